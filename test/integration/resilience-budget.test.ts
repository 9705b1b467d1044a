/**
 * Per-operation dedupe and upstream-call budget (MAX_UPSTREAM_CALLS_PER_OPERATION): the one home
 * of the budget rule over real HTTP. (How the boundary maps BudgetExceededError:
 * error-boundary.test.ts; ChatApi alone: test/unit/chat-api.test.ts.)
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectSafe, onlyError } from '../support/assertions.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const ids = `edges { node { sessionId } }`;

describe('dedupe', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  it('two aliases with the same arguments make one upstream call', async () => {
    const res = await stack.graphql(
      `{ a: chatSessions(first: 5) { ${ids} } b: chatSessions(first: 5) { ${ids} } }`,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.a).toEqual(res.body.data!.b);
    expect(stack.listCalls()).toHaveLength(1);
  });

  it('aliases with other arguments make their own calls', async () => {
    const res = await stack.graphql(
      `{ a: chatSessions(first: 5) { ${ids} } b: chatSessions(first: 5) { ${ids} }
         c: chatSessions(first: 6) { ${ids} } }`,
    );
    expect(res.body.errors).toBeUndefined();
    expect(stack.listCalls()).toHaveLength(2);
  });

  it('nothing is cached between two requests, even with the same key and arguments', async () => {
    // (A read still in flight is joined by an identical one: test/integration/coalesce.test.ts.)
    const query = `{ chatSessions(first: 5) { ${ids} } }`;
    await stack.graphql(query);
    await stack.graphql(query);
    expect(stack.listCalls()).toHaveLength(2);
  });
});

describe('budget', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Pages of at most 5 upstream, and at most 3 upstream calls per operation.
    stack = await startStack({
      sandbox: { maxPageSize: 5 },
      env: { MAX_UPSTREAM_CALLS_PER_OPERATION: '3' },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  it('a field that would exceed it fails with QUERY_TOO_COMPLEX; the others answer', async () => {
    const res = await stack.graphql(
      `{ a: chatSessions(first: 1) { ${ids} } b: chatSessions(first: 2) { ${ids} }
         c: chatSessions(first: 3) { ${ids} } d: chatSessions(first: 4) { ${ids} } }`,
    );
    expectSafe(res, stack);
    const error = onlyError(res);
    expect(error.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxUpstreamCalls: 3 });
    expect(error.path).toEqual(['d']);
    expect(res.body.data).toMatchObject({ d: null });
    expect(res.body.data!.c.edges).toHaveLength(3);
    expect(stack.listCalls()).toHaveLength(3);
  });

  it('one connection that needs more pages than the budget fails with QUERY_TOO_COMPLEX', async () => {
    // 20 items from pages of 5: four calls.
    const res = await stack.graphql(`{ chatSessions(first: 20) { ${ids} } }`);
    expect(onlyError(res).extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(stack.listCalls()).toHaveLength(3);
  });

  it('lookups count against it too: nodes() past it get null entries, and no call past it is made', async () => {
    // A stack of its own: closing it below is what makes "no later call" a fact.
    const own = await startStack({ env: { MAX_UPSTREAM_CALLS_PER_OPERATION: '3' } });
    try {
      const sessions = own.sandbox.dataset.values().next().value!.slice(0, 5);
      const ids = sessions.map((s) => encodeGlobalID('ChatSession', s.summary.session_id));
      const res = await own.graphql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
      expectSafe(res, own);
      // One entry per id, in order: those past the budget are null, each with its own error.
      expect(res.body.data!.nodes.map((n: { id: string } | null) => n?.id ?? null)).toEqual([
        ...ids.slice(0, 3),
        null,
        null,
      ]);
      expect(res.body.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
        [['nodes', 3], 'QUERY_TOO_COMPLEX'],
        [['nodes', 4], 'QUERY_TOO_COMPLEX'],
      ]);
    } finally {
      // The error can answer before the calls that fit the budget reach the sandbox; once the
      // gateway has closed (its upstream pool drained), every call it made has been received.
      await own.gateway.close();
      await own.sandbox.close();
    }
    expect(own.summaryCalls()).toHaveLength(3);
  });

  it('deduped calls do not count against it', async () => {
    const aliases = Array.from(
      { length: 10 },
      (_, i) => `a${i}: chatSessions(first: 5) { ${ids} }`,
    );
    const res = await stack.graphql(`{ ${aliases.join(' ')} }`);
    expect(res.body.errors).toBeUndefined();
    expect(stack.listCalls()).toHaveLength(1);
  });
});
