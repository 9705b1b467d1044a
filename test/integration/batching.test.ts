/**
 * Batching over real HTTP: one operation touching 50 sessions' summaries and events, several
 * times over, makes exactly one upstream call per distinct session and endpoint (counted at the
 * sandbox).
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const SESSIONS = 50;
let stack: Stack;

beforeAll(async () => {
  // 50 summaries + 50 full sessions: exactly the budget, so one extra call would fail the query.
  stack = await startStack({ env: { MAX_UPSTREAM_CALLS_PER_OPERATION: String(2 * SESSIONS) } });
});
afterAll(() => stack.close());

const count = (paths: string[]) => {
  const counts = new Map<string, number>();
  for (const path of paths) counts.set(path, (counts.get(path) ?? 0) + 1);
  return counts;
};

describe('per-request DataLoaders', () => {
  it('make one upstream call per distinct session and endpoint for 50 sessions', async () => {
    // Every sixth session of the whole data set, so the ids span several projects.
    const sessionIds = [...stack.sandbox.dataset.values()]
      .flat()
      .filter((_, i) => i % 6 === 0)
      .slice(0, SESSIONS)
      .map((s) => s.summary.session_id);
    expect(new Set(sessionIds).size).toBe(SESSIONS);
    const ids = sessionIds.map((id) => encodeGlobalID('ChatSession', id));
    // The same sessions again, in another order: still no extra call.
    const reversed = [...ids].reverse();
    stack.resetRequests();

    const res = await stack.graphql(
      `query Wide($ids: [ID!]!, $reversed: [ID!]!, $first: ID!, $last: ID!) {
        nodes(ids: $ids) { ... on ChatSession { sessionId generatedTitle events { type } } }
        again: nodes(ids: $reversed) { ... on ChatSession { lastUpdatedAt events { __typename } } }
        first: chatSession(sessionId: $first) { jobMetadata { turns } events { type } }
        last: chatSession(sessionId: $last) { generatedTitle }
      }`,
      { ids, reversed, first: sessionIds[0], last: sessionIds.at(-1) },
    );

    expect(res.body.errors).toBeUndefined();
    const nodes = res.body.data!.nodes as { sessionId: string; events: unknown[] }[];
    expect(nodes.map((n) => n.sessionId)).toEqual(sessionIds);
    expect(res.body.data!.again).toHaveLength(SESSIONS);

    const summaries = count(stack.summaryCalls().map((r) => r.path));
    const fullSessions = count(stack.fullSessionCalls().map((r) => r.path));
    expect(summaries.size).toBe(SESSIONS);
    expect(fullSessions.size).toBe(SESSIONS);
    expect([...summaries.values()].every((n) => n === 1)).toBe(true);
    expect([...fullSessions.values()].every((n) => n === 1)).toBe(true);
    expect([...summaries.keys()].sort()).toEqual(
      sessionIds.map((id) => `/api/v1/chat/${id}/summary`).sort(),
    );
    expect(stack.sandbox.requests).toHaveLength(2 * SESSIONS);
    console.log(
      `batching: ${SESSIONS} sessions x (2 nodes lists + 2 lookups) -> ${summaries.size} summary + ${fullSessions.size} full-session upstream calls`,
    );
  });
});
