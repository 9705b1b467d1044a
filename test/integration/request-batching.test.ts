/**
 * Request batching (BATCHING_LIMIT): a JSON array of operations in one HTTP request, as Apollo's
 * BatchHttpLink sends it. Each operation is validated, limited and rate-limited on its own; the
 * whole batch shares one upstream-call budget (it counts on the request record, one per HTTP
 * request) and the 1 MiB body cap. Over real HTTP, counted at the sandbox.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const BUDGET = 6;
let stack: Stack;
let sessionIds: string[];

async function postBatch(target: Stack, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${target.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as any };
}

const LOOKUP = `query Lookup($sessionId: ID!) { chatSession(sessionId: $sessionId) { sessionId } }`;
const NODES = `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ... on ChatSession { sessionId } } }`;

beforeAll(async () => {
  stack = await startStack({
    env: {
      MAX_UPSTREAM_CALLS_PER_OPERATION: String(BUDGET),
      MAX_PAGE_SIZE: '10',
      DEFAULT_PAGE_SIZE: '10',
      BATCHING_LIMIT: '4',
    },
  });
  sessionIds = stack.sandbox.dataset
    .get(SANDBOX_PROJECTS[0]!.id)!
    .slice(0, 12)
    .map((s) => s.summary.session_id);
});
afterAll(() => stack.close());

describe('a JSON array of operations', () => {
  it('answers each operation, in order, in one response', async () => {
    stack.resetRequests();
    const res = await postBatch(stack, [
      { query: LOOKUP, variables: { sessionId: sessionIds[0] }, operationName: 'Lookup' },
      { query: `{ chatSessions(first: 2) { edges { node { sessionId } } } }` },
      { query: LOOKUP, variables: { sessionId: 'ses-does-not-exist' } },
    ]);
    expect(res.status).toBe(200);
    expect(res.json).toHaveLength(3);
    expect(res.json[0]).toEqual({ data: { chatSession: { sessionId: sessionIds[0] } } });
    expect(res.json[1].data.chatSessions.edges).toHaveLength(2);
    expect(res.json[2]).toEqual({ data: { chatSession: null } });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('shares one upstream-call budget: the batch makes at most MAX_UPSTREAM_CALLS_PER_OPERATION calls in total', async () => {
    stack.resetRequests();
    // Three operations of 4 distinct lookups each: 12 calls asked, 6 allowed for the request.
    const batch = [0, 1, 2].map((n) => ({
      query: NODES,
      variables: {
        ids: sessionIds.slice(4 * n, 4 * n + 4).map((id) => encodeGlobalID('ChatSession', id)),
      },
    }));
    const res = await postBatch(stack, batch);
    expect(res.status).toBe(200);
    expect(res.json).toHaveLength(3);
    expect(stack.sandbox.requests.length).toBe(BUDGET);
    const resolved = res.json.flatMap((r: any) => r.data.nodes).filter((n: unknown) => n !== null);
    expect(resolved).toHaveLength(BUDGET);
    const codes = res.json.flatMap((r: any) => (r.errors ?? []).map((e: any) => e.extensions.code));
    expect(codes).toHaveLength(12 - BUDGET);
    expect(new Set(codes)).toEqual(new Set(['QUERY_TOO_COMPLEX']));
    // Each list still holds one entry per id.
    for (const r of res.json) expect(r.data.nodes).toHaveLength(4);
  });

  it('applies the query limits to each operation on its own', async () => {
    stack.resetRequests();
    const tooMany = Array.from({ length: 11 }, (_, i) => encodeGlobalID('ChatSession', `ses-${i}`));
    const res = await postBatch(stack, [
      { query: NODES, variables: { ids: tooMany } },
      { query: LOOKUP, variables: { sessionId: sessionIds[0] } },
      { query: `{ chatSession(sessionId: "x") { nope } }` },
    ]);
    expect(res.json).toHaveLength(3);
    expect(res.json[0].errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.json[1]).toEqual({ data: { chatSession: { sessionId: sessionIds[0] } } });
    expect(res.json[2].errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(stack.sandbox.requests).toHaveLength(1);
  });

  it('refuses more than BATCHING_LIMIT operations, before running any', async () => {
    stack.resetRequests();
    const res = await postBatch(
      stack,
      Array.from({ length: 5 }, () => ({ query: LOOKUP, variables: { sessionId: sessionIds[0] } })),
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(res.json)).toMatch(/limited to 4 operations/i);
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it('keeps the whole batch under the 1 MiB body cap', async () => {
    stack.resetRequests();
    const padding = 'x'.repeat(300 * 1024);
    const res = await postBatch(
      stack,
      Array.from({ length: 4 }, () => ({ query: `{ __typename } # ${padding}` })),
    );
    expect(res.status).toBe(413);
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});

describe('BATCHING_LIMIT=0', () => {
  it('refuses a JSON array', async () => {
    const off = await startStack({ env: { BATCHING_LIMIT: '0' } });
    try {
      const res = await postBatch(off, [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(off.sandbox.requests).toHaveLength(0);
      const single = await off.graphql('{ __typename }');
      expect(single.body.data).toEqual({ __typename: 'Query' });
    } finally {
      await off.close();
    }
  });
});

describe('RATE_LIMIT with batches', () => {
  it('counts each operation of a batch: a batch of 5 uses 5', async () => {
    const limited = await startStack({ env: { RATE_LIMIT: '6/60', BATCHING_LIMIT: '10' } });
    try {
      const five = Array.from({ length: 5 }, () => ({ query: '{ __typename }' }));
      const first = await postBatch(limited, five);
      expect(first.json.map((r: any) => r.data)).toEqual(five.map(() => ({ __typename: 'Query' })));
      // One left in the window: the next batch of 3 runs one operation and refuses two.
      const second = await postBatch(limited, five.slice(0, 3));
      const codes = second.json.map((r: any) => r.errors?.[0]?.extensions?.code ?? 'ok');
      expect(codes).toEqual(['ok', 'RATE_LIMITED', 'RATE_LIMITED']);
      const single = await limited.graphql('{ __typename }');
      expect(single.status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
