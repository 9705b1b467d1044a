/**
 * A router must get exactly one entry per representation, in order, whatever fails. With more
 * items than MAX_UPSTREAM_CALLS_PER_OPERATION and an upstream that answers in ~20 ms, the items
 * past the budget fail (QUERY_TOO_COMPLEX) while earlier ones are still pending: graphql-jit
 * 0.8.7 once returned 33 entries for 40 representations here (src/plugins/jit.ts says why).
 * Over real HTTP, against the sandbox, for every list whose items can fail.
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import { startStack } from '../support/stack.js';
import type { GraphQLResponse, Stack } from '../support/stack.js';

const ITEMS = 40;
const BUDGET = 25;
let stack: Stack;
let sessionIds: string[];

beforeAll(async () => {
  stack = await startStack({
    sandbox: { latencyMs: 20 },
    env: { MAX_UPSTREAM_CALLS_PER_OPERATION: String(BUDGET) },
  });
  // Sessions of the default project (entity references carry no project).
  sessionIds = stack.sandbox.dataset
    .get(SANDBOX_PROJECTS[0]!.id)!
    .slice(0, ITEMS)
    .map((s) => s.summary.session_id);
  expect(new Set(sessionIds).size).toBe(ITEMS);
});
afterAll(() => stack.close());

type Item = { sessionId: string } | null;

/** One entry per input, in order: the first BUDGET resolved, the rest null with a coded error each. */
function expectExactList(res: GraphQLResponse, field: string, expected: string[]) {
  const list = res.body.data?.[field] as Item[] | undefined;
  expect(list).toHaveLength(expected.length);
  const resolved = list!.filter((item) => item !== null);
  // Every resolved entry sits at its own index.
  list!.forEach((item, i) => {
    if (item !== null) expect(item.sessionId).toBe(expected[i]);
  });
  expect(resolved.length).toBeLessThanOrEqual(BUDGET);
  expect(resolved.length).toBeGreaterThan(0);
  const errors = res.body.errors ?? [];
  const nullIndexes = list!.flatMap((item, i) => (item === null ? [i] : []));
  // One error per null entry, at that entry's path, coded.
  expect(errors.map((e) => e.path).sort()).toEqual(nullIndexes.map((i) => [field, i]).sort());
  for (const error of errors) {
    expect(error.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(error.extensions?.maxUpstreamCalls).toBe(BUDGET);
  }
  expect(stack.sandbox.requests.length).toBeLessThanOrEqual(BUDGET);
}

describe(`lists of ${ITEMS} items whose items fail past a budget of ${BUDGET} (upstream 20 ms)`, () => {
  it('_entities: one entry per representation, in order, null + error for the failed ones', async () => {
    stack.resetRequests();
    const res = await stack.graphql(
      `query Entities($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on ChatSession { sessionId } }
      }`,
      {
        representations: sessionIds.map((sessionId) => ({ __typename: 'ChatSession', sessionId })),
      },
    );
    expect(res.status).toBe(200);
    expectExactList(res, '_entities', sessionIds);
  });

  it('nodes(ids:): one entry per id, in order, null + error for the failed ones', async () => {
    stack.resetRequests();
    const res = await stack.graphql(
      `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ... on ChatSession { sessionId } } }`,
      { ids: sessionIds.map((id) => encodeGlobalID('ChatSession', id)) },
    );
    expect(res.status).toBe(200);
    expectExactList(res, 'nodes', sessionIds);
  });

  it('_entities with a nested async field: still one entry per representation', async () => {
    stack.resetRequests();
    const res = await stack.graphql(
      `query Entities($representations: [_Any!]!) {
        _entities(representations: $representations) {
          ... on ChatSession { sessionId events { type } }
        }
      }`,
      {
        representations: sessionIds.map((sessionId) => ({ __typename: 'ChatSession', sessionId })),
      },
    );
    expect(res.status).toBe(200);
    const list = res.body.data!._entities as Item[];
    expect(list).toHaveLength(ITEMS);
    list.forEach((item, i) => {
      if (item !== null) expect(item.sessionId).toBe(sessionIds[i]);
    });
    expect(stack.sandbox.requests.length).toBeLessThanOrEqual(BUDGET);
  });
});

describe('which documents leave graphql-jit', () => {
  it('only those selecting _entities, wherever it sits', async () => {
    const { parse } = await import('graphql');
    const { buildSchema } = await import('../../src/schema/index.js');
    const { selectsListOfPromises } = await import('../../src/plugins/jit.js');
    const schema = buildSchema();
    const entities = `query Q($r: [_Any!]!) { ...F } fragment F on Query { _entities(representations: $r) { __typename } }`;
    expect(selectsListOfPromises(schema, parse(entities))).toBe(true);
    expect(
      selectsListOfPromises(
        schema,
        parse(`{ chatSessions(first: 5) { edges { node { sessionId } } } }`),
      ),
    ).toBe(false);
    expect(
      selectsListOfPromises(schema, parse(`query N($ids: [ID!]!) { nodes(ids: $ids) { id } }`)),
    ).toBe(false);
  });
});
