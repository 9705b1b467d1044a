/**
 * Tenant isolation: many concurrent, interleaved requests with different keys against a sandbox
 * that answers per key. Every answer must be exactly that key's data, and every upstream call
 * must carry the key of the GraphQL request that caused it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildDataset, SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import { SERVER_KEY, startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const TENANTS = {
  'llx-tenant-alpha-0000000000000000': { sessionPrefix: 'ses-alpha-', seed: 1 },
  'llx-tenant-beta-00000000000000000': { sessionPrefix: 'ses-beta-', seed: 2 },
  'llx-tenant-gamma-0000000000000000': { sessionPrefix: 'ses-gamma-', seed: 3 },
} as const;
type Key = keyof typeof TENANTS | typeof SERVER_KEY;
const KEYS: Key[] = [...(Object.keys(TENANTS) as (keyof typeof TENANTS)[]), SERVER_KEY];
const REQUESTS = 240;

/** Session ids each key may see, by project, in list order. */
const expected = new Map<Key, Map<string, string[]>>();
for (const key of KEYS) {
  const tenant = key === SERVER_KEY ? undefined : TENANTS[key];
  const data = buildDataset(tenant?.seed, tenant?.sessionPrefix);
  expected.set(
    key,
    new Map(
      [...data].map(([project, sessions]) => [project, sessions.map((s) => s.summary.session_id)]),
    ),
  );
}

let stack: Stack;

beforeAll(async () => {
  // Small upstream pages: most requests need several upstream calls, which interleave.
  stack = await startStack({ sandbox: { tenants: TENANTS, maxPageSize: 7 } });
});
afterAll(() => stack.close());

/** Deterministic pseudo-random choices, so a failure can be replayed. */
function* choices(seed: number) {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield x;
  }
}

it(`${REQUESTS} interleaved concurrent requests with ${KEYS.length} keys never see another key's data`, async () => {
  const projects = SANDBOX_PROJECTS.filter((p) => p.sessionCount > 0).map((p) => p.id);
  const random = choices(7);
  const next = (n: number) => random.next().value! % n;
  const plans = Array.from({ length: REQUESTS }, (_, i) => ({
    requestId: `iso-${i}`,
    key: KEYS[i % KEYS.length]!,
    // The server key is also used when the request brings none: half of its requests do that.
    sendKey: !(KEYS[i % KEYS.length] === SERVER_KEY && i % 2 === 0),
    project: projects[next(projects.length)]!,
    first: 1 + next(30),
  }));

  const results = await Promise.all(
    plans.map(async (plan) => {
      const res = await stack.graphql(
        `query($first: Int, $projectId: ID) {
          chatSessions(first: $first, projectId: $projectId) { edges { node { sessionId } } }
        }`,
        { first: plan.first, projectId: plan.project },
        {
          'x-request-id': plan.requestId,
          ...(plan.sendKey && { authorization: `Bearer ${plan.key}` }),
        },
      );
      return { plan, res };
    }),
  );

  for (const { plan, res } of results) {
    expect(res.body.errors, res.text).toBeUndefined();
    const ids = res.body.data!.chatSessions.edges.map(
      (e: { node: { sessionId: string } }) => e.node.sessionId,
    );
    const all = expected.get(plan.key)!.get(plan.project)!;
    expect(ids, plan.requestId).toEqual(all.slice(0, plan.first));
    // No key's answer holds an id that only another key may see.
    for (const other of KEYS.filter((k) => k !== plan.key)) {
      const foreign = new Set(expected.get(other)!.get(plan.project));
      expect(ids.filter((id: string) => foreign.has(id))).toEqual([]);
    }
  }

  // Upstream, every call carried the credential of the request that caused it.
  const keyOf = new Map(plans.map((p) => [p.requestId, p.key]));
  const calls = stack.listCalls();
  expect(calls.length).toBeGreaterThan(REQUESTS);
  for (const call of calls) {
    expect(call.headers.authorization).toBe(`Bearer ${keyOf.get(call.requestId!)}`);
  }
});
