/**
 * The rows of the README's error table about the caller: bad input and missing credentials fail
 * before any upstream call, and a credential the upstream rejects (401) is UNAUTHENTICATED.
 * This file is the one home of those rules. (Other upstream-caused rows:
 * resilience-faults.test.ts; QUERY_TOO_COMPLEX: resilience-limits.test.ts and
 * resilience-budget.test.ts; request ids: test/ops/request-id.test.ts.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectSafe, onlyError } from '../support/assertions.js';
import { SERVER_KEY, startStack } from '../support/stack.js';
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
  it('no credential at all (not sandbox mode): no upstream call, whatever the header', async () => {
    const stack = await startStack({ env: { LLAMA_CLOUD_API_KEY: undefined } });
    try {
      const res = await stack.graphql(query, { first: 1 });
      expectSafe(res, stack);
      expect(onlyError(res).extensions?.code).toBe('UNAUTHENTICATED');
      // A header that is not "Bearer <key>" is no credential either.
      const basic = await stack.graphql(
        query,
        { first: 1 },
        { authorization: 'Basic dXNlcjpwYXNz' },
      );
      expectSafe(basic, stack, ['dXNlcjpwYXNz']);
      expect(onlyError(basic).extensions?.code).toBe('UNAUTHENTICATED');
      expect(stack.sandbox.requests).toHaveLength(0);
    } finally {
      await stack.close();
    }
  });

  describe('with a server key the upstream accepts', () => {
    const VALID_KEY = 'llx-the-only-valid-caller-key-000000';
    const callerKey = 'llx-callers-own-key-that-is-wrong-123456';
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ sandbox: { apiKeys: [SERVER_KEY, VALID_KEY] } });
    });
    afterAll(() => stack.close());
    beforeEach(() => stack.resetRequests());

    it('an Authorization header that is not "Bearer <key>": no upstream call, no fallback to the server key', async () => {
      const res = await stack.graphql(query, { first: 1 }, { authorization: 'Basic dXNlcjpwYXNz' });
      expectSafe(res, stack, ['dXNlcjpwYXNz']);
      expect(onlyError(res).extensions?.code).toBe('UNAUTHENTICATED');
      expect(stack.sandbox.requests).toHaveLength(0);
    });

    it("the caller's key is forwarded and rejected upstream (401): once, never retried, never echoed", async () => {
      const res = await stack.graphql(
        query,
        { first: 1 },
        { authorization: `Bearer ${callerKey}` },
      );
      expectSafe(res, stack, [callerKey]);
      expect(res.body.data).toEqual({ chatSessions: null });
      expect(onlyError(res)).toMatchObject({
        // Our own message: the upstream's 401 detail ("Invalid API key") is not passed on.
        message: 'The LlamaCloud API rejected the credential.',
        path: ['chatSessions'],
        extensions: { code: 'UNAUTHENTICATED', upstreamStatus: 401 },
      });
      expect(stack.listCalls().map((c) => [c.headers.authorization, c.attempt])).toEqual([
        [`Bearer ${callerKey}`, 1],
      ]);
    });

    it('a lookup rejected upstream (401) is UNAUTHENTICATED too, not a missing session', async () => {
      const res = await stack.graphql(
        `query($id: ID!) { chatSession(sessionId: $id) { sessionId } }`,
        { id: 'ses-1' },
        { authorization: `Bearer ${callerKey}` },
      );
      expectSafe(res, stack, [callerKey]);
      expect(res.body.data).toEqual({ chatSession: null });
      expect(onlyError(res).extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        upstreamStatus: 401,
      });
      expect(stack.summaryCalls()).toHaveLength(1);
    });

    it('the same operation with a key the upstream accepts answers', async () => {
      const res = await stack.graphql(
        query,
        { first: 1 },
        { authorization: `Bearer ${VALID_KEY}` },
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.chatSessions.edges).toHaveLength(1);
      expect(stack.listCalls()[0]?.headers.authorization).toBe(`Bearer ${VALID_KEY}`);
    });
  });
});
