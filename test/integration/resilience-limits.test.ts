/**
 * GraphQL-level limits (graphql-armor) and the request body cap: abusive operations get
 * QUERY_TOO_COMPLEX (or HTTP 413) before any upstream call, reasonable ones are untouched.
 */
import { readFileSync } from 'node:fs';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY } from '../../src/graphiql.js';
import { MAX_REQUEST_BODY_BYTES } from '../../src/plugins/body-limit.js';
import { QUERY_LIMITS } from '../../src/plugins/query-limits.js';
import { expectSafe } from '../support/assertions.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.resetRequests());

const FULL_SELECTION = `edges { cursor node { sessionId lastUpdatedAt generatedTitle indexIds
  jobMetadata { durationMs error exportConfigIds isError totalInputTokens totalOutputTokens turns } } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

/** `count` aliased full-field chatSessions with distinct `first` values (no dedupe). */
const aliased = (count: number, first: number) =>
  `{ ${Array.from({ length: count }, (_, i) => `s${i}: chatSessions(first: ${first - i}) { ${FULL_SELECTION} }`).join('\n')} }`;

function readmeExample(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const match = /```graphql\n([\s\S]+?)```/.exec(readme);
  if (!match) throw new Error('README has no graphql example');
  return match[1]!;
}

describe('reasonable operations pass', () => {
  const reasonable: Record<string, string> = {
    'the README example': readmeExample(),
    "GraphiQL's default query": EXAMPLE_QUERY,
    "GraphiQL's introspection query": getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    }),
    '10 aliased full-field chatSessions of up to 100 items': aliased(10, 100),
    'Relay-style fragments': `query Q { ...Root }
      fragment Root on Query { chatSessions(first: 50) { ...List } }
      fragment List on ChatSessionConnection { edges { node { ...Row } } pageInfo { endCursor hasNextPage } }
      fragment Row on ChatSession { sessionId generatedTitle jobMetadata { ...Meta } }
      fragment Meta on ChatJobMetadata { turns isError }`,
    'directives and __typename aliases': `{ chatSessions(first: 3) {
      t1: __typename t2: __typename
      edges @include(if: true) { node { sessionId @skip(if: false) generatedTitle @include(if: true) } } } }`,
  };

  it.each(Object.entries(reasonable))('%s', async (_name, query) => {
    const res = await stack.graphql(query);
    expect(res.status).toBe(200);
    expect(res.body.errors, res.text.slice(0, 500)).toBeUndefined();
  });
});

describe('abusive operations get QUERY_TOO_COMPLEX without an upstream call', () => {
  const nest = (levels: number) =>
    `{ __type(name: "ChatSession") { fields { type ${'{ ofType '.repeat(levels)}{ name }${' }'.repeat(levels)} } } }`;

  const abusive: Record<string, [string, RegExp]> = {
    [`depth > ${QUERY_LIMITS.maxDepth}`]: [nest(QUERY_LIMITS.maxDepth), /depth limit/],
    [`aliases > ${QUERY_LIMITS.maxAliases}`]: [
      `{ ${Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: chatSessions(first: 1) { pageInfo { hasNextPage } }`).join(' ')} }`,
      /Aliases limit/,
    ],
    [`tokens > ${QUERY_LIMITS.maxTokens}`]: [
      `{ chatSessions { pageInfo { ${'hasNextPage '.repeat(QUERY_LIMITS.maxTokens)} } } }`,
      /Token limit/,
    ],
    [`cost > ${QUERY_LIMITS.maxCost} (14 aliased full pages of ~100)`]: [
      aliased(14, 100),
      /Cost limit/,
    ],
    [`cost > ${QUERY_LIMITS.maxCost} (one huge literal first)`]: [
      `{ chatSessions(first: 1000000) { edges { node { sessionId } } } }`,
      /Cost limit/,
    ],
    [`directives > ${QUERY_LIMITS.maxDirectives}`]: [
      `{ chatSessions { pageInfo { ${'hasNextPage @include(if: true) '.repeat(QUERY_LIMITS.maxDirectives + 1)} } } }`,
      /Directives limit/,
    ],
  };

  it.each(Object.entries(abusive))('%s', async (_name, [query, message]) => {
    const res = await stack.graphql(query);
    expectSafe(res, stack);
    const errors = res.body.errors ?? [];
    const tooComplex = errors.filter((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX');
    expect(tooComplex.length, res.text.slice(0, 500)).toBeGreaterThan(0);
    expect(tooComplex[0]!.message).toMatch(message);
    expect(tooComplex[0]!.message).not.toMatch(/^Syntax Error/);
    expect(res.body.data).toBeUndefined();
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});

describe('request body cap', () => {
  const url = () => `${stack.gateway.url}/graphql`;
  const hugeBody = () =>
    JSON.stringify({
      query: '{ chatSessions { pageInfo { hasNextPage } } }',
      variables: { padding: 'x'.repeat(MAX_REQUEST_BODY_BYTES) },
    });

  it('a body over the cap with Content-Length gets 413', async () => {
    const res = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: hugeBody(),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });

  it('a chunked body over the cap (no Content-Length) is refused too', async () => {
    const bytes = new TextEncoder().encode(hugeBody());
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 64 * 1024) {
          controller.enqueue(bytes.subarray(i, i + 64 * 1024));
        }
        controller.close();
      },
    });
    const res = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    await res.text();
  });

  it('a body just under the cap is served, and the server is fine afterwards', async () => {
    const res = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ chatSessions(first: 1) { pageInfo { hasNextPage } } }',
        variables: { padding: 'x'.repeat(MAX_REQUEST_BODY_BYTES - 200) },
      }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
  });
});
