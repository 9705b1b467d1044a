/**
 * The rows of the README's error table that need no upstream fault: bad input and missing
 * credentials fail before any upstream call. (Upstream-caused rows: resilience-faults.test.ts;
 * QUERY_TOO_COMPLEX: resilience-limits.test.ts and resilience-budget.test.ts.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectSafe, onlyError } from '../support/assertions.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const query = `query($first: Int, $after: String, $projectId: ID, $organizationId: ID) {
  chatSessions(first: $first, after: $after, projectId: $projectId, organizationId: $organizationId) {
    edges { node { sessionId } }
    pageInfo { endCursor }
  }
}`;
const OTHER_PROJECT = '9c2d4e6f-8a1b-4c3d-b5e7-f9a1c3e5b7d2';

describe('BAD_USER_INPUT, no upstream call', () => {
  let stack: Stack;
  let cursor: string;
  beforeAll(async () => {
    stack = await startStack();
    const res = await stack.graphql(query, { first: 2 });
    cursor = res.body.data!.chatSessions.pageInfo.endCursor;
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  const cases: Record<string, () => Record<string, unknown>> = {
    'negative first': () => ({ first: -1 }),
    'first above MAX_PAGE_SIZE': () => ({ first: 101 }),
    'malformed cursor': () => ({ after: 'not-a-cursor' }),
    'hand-edited cursor': () => ({ after: `${cursor.slice(0, -2)}AA` }),
    'cursor from other arguments': () => ({ after: cursor, projectId: OTHER_PROJECT }),
    'non-UUID projectId': () => ({ projectId: 'project-1' }),
    'non-UUID organizationId': () => ({ organizationId: "1' OR '1'='1" }),
  };

  it.each(Object.keys(cases))('%s', async (name) => {
    const res = await stack.graphql(query, cases[name]!());
    expectSafe(res, stack);
    expect(onlyError(res).extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});

describe('UNAUTHENTICATED', () => {
  it('no credential at all (not sandbox mode): no upstream call', async () => {
    const stack = await startStack({ env: { LLAMA_CLOUD_API_KEY: undefined } });
    try {
      const res = await stack.graphql(query, { first: 1 });
      expectSafe(res, stack);
      expect(onlyError(res).extensions?.code).toBe('UNAUTHENTICATED');
      expect(stack.sandbox.requests).toHaveLength(0);
    } finally {
      await stack.close();
    }
  });

  it('an Authorization header that is not "Bearer <key>": no upstream call', async () => {
    const stack = await startStack();
    try {
      const res = await stack.graphql(query, { first: 1 }, { authorization: 'Basic dXNlcjpwYXNz' });
      expectSafe(res, stack, ['dXNlcjpwYXNz']);
      expect(onlyError(res).extensions?.code).toBe('UNAUTHENTICATED');
      expect(stack.sandbox.requests).toHaveLength(0);
    } finally {
      await stack.close();
    }
  });

  it("the caller's key is forwarded, and rejected upstream: 401, the key never echoed", async () => {
    const stack = await startStack({ sandbox: { apiKeys: ['llx-the-only-valid-key'] } });
    const callerKey = 'llx-callers-own-key-that-is-wrong-123456';
    try {
      const res = await stack.graphql(
        query,
        { first: 1 },
        { authorization: `Bearer ${callerKey}` },
      );
      expectSafe(res, stack, [callerKey]);
      expect(onlyError(res).extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        upstreamStatus: 401,
      });
      expect(stack.listCalls()[0]?.headers.authorization).toBe(`Bearer ${callerKey}`);
    } finally {
      await stack.close();
    }
  });
});

describe('request id', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('a safe x-request-id is kept, sent upstream and echoed in errors', async () => {
    const res = await stack.graphql(query, { first: -1 }, { 'x-request-id': 'client-req-42' });
    expect(res.headers.get('x-request-id')).toBe('client-req-42');
    expect(onlyError(res).extensions?.requestId).toBe('client-req-42');
    await stack.graphql(query, { first: 1 }, { 'x-request-id': 'client-req-43' });
    expect(stack.listCalls().at(-1)?.requestId).toBe('client-req-43');
  });

  it('an unsafe one is replaced by a fresh id', async () => {
    const res = await stack.graphql(
      query,
      { first: -1 },
      { 'x-request-id': '<script>"x"</script>' },
    );
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(onlyError(res).extensions?.requestId).toBe(id);
    expect(res.text).not.toContain('<script>');
  });

  it('parse and validation errors carry it too', async () => {
    for (const broken of ['{ chatSessions(first: 1) {', '{ chatSessions { nope } }']) {
      const res = await stack.graphql(broken);
      const error = onlyError(res);
      expect(error.extensions?.code).toMatch(/^GRAPHQL_(PARSE|VALIDATION)_FAILED$/);
      expect(error.extensions?.requestId).toBe(res.headers.get('x-request-id'));
    }
  });
});
