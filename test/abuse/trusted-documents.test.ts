/**
 * Trusted documents (PERSISTED_OPERATIONS_FILE) over real HTTP and graphql-ws: only the
 * manifest's operations run, whichever way a client names them (Apollo's
 * `extensions.persistedQuery.sha256Hash`, `documentId`, Relay's `doc_id`), and nothing else
 * reaches the upstream. Both manifest formats; a bad manifest stops start-up.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { spawnGateway } from '../support/process.js';
import { startStack } from '../support/stack.js';
import { operationOverWebSocket } from '../support/subscriptions.js';
import type { GraphQLResponse, Stack } from '../support/stack.js';

const LIST = 'query ListSessions { chatSessions(first: 2) { edges { node { sessionId } } } }';
const FIRST = 'query FirstSession { chatSessions(first: 1) { edges { node { sessionId } } } }';
const ARBITRARY = '{ chatSessions(first: 3) { edges { node { sessionId } } } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const UNKNOWN = sha256('query Unknown { __typename }');

const dir = mkdtempSync(join(tmpdir(), 'trusted-documents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** What `generate-persisted-query-manifest` writes (ids are the bodies' sha256). */
const APOLLO_MANIFEST = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [
    { id: sha256(LIST), body: LIST, name: 'ListSessions', type: 'query' },
    { id: sha256(FIRST), body: FIRST, name: 'FirstSession', type: 'query' },
  ],
};
/** What relay-compiler writes with `persistConfig` (here with its default md5 ids). */
const RELAY_MANIFEST = { [md5(LIST)]: LIST, [md5(FIRST)]: FIRST };

type Body = Record<string, unknown>;

async function post(stack: Stack, body: Body): Promise<GraphQLResponse> {
  const res = await fetch(`${stack.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), headers: res.headers, text, elapsedMs: 0 };
}

async function get(stack: Stack, search: Record<string, string>): Promise<GraphQLResponse> {
  const res = await fetch(`${stack.gateway.url}/graphql?${new URLSearchParams(search)}`, {
    headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), headers: res.headers, text, elapsedMs: 0 };
}

const byHash = (hash: string) => ({
  extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
});

/** One operation over graphql-ws. */
const overWebSocket = (stack: Stack, payload: Body) =>
  operationOverWebSocket(stack.gateway.url, payload);

function expectSessions(res: { data?: Record<string, any> | null; errors?: unknown }, n: number) {
  expect(res.errors).toBeUndefined();
  expect(res.data?.chatSessions.edges).toHaveLength(n);
}

function expectCode(res: GraphQLResponse, status: number, code: string, message?: RegExp) {
  expect(res.status, res.text).toBe(status);
  expect(res.body.data ?? undefined).toBeUndefined();
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors![0]!.extensions?.code).toBe(code);
  expect(res.body.errors![0]!.extensions?.requestId).toEqual(expect.any(String));
  if (message) expect(res.body.errors![0]!.message).toMatch(message);
}

describe('an Apollo persisted query manifest', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { PERSISTED_OPERATIONS_FILE: file('apollo.json', APOLLO_MANIFEST) },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  it('runs its operations by extensions.persistedQuery.sha256Hash, documentId and doc_id', async () => {
    expectSessions((await post(stack, byHash(sha256(LIST)))).body, 2);
    expectSessions((await post(stack, { documentId: `sha256:${sha256(LIST)}` })).body, 2);
    expectSessions((await post(stack, { documentId: sha256(FIRST) })).body, 1);
    expectSessions((await post(stack, { doc_id: sha256(FIRST), variables: {} })).body, 1);
    expect(stack.listCalls()).toHaveLength(4);
  });

  it('runs them over GET with a CSRF header, by hash and by documentId', async () => {
    const extensions = JSON.stringify(byHash(sha256(LIST)).extensions);
    expectSessions((await get(stack, { extensions })).body, 2);
    expectSessions((await get(stack, { documentId: sha256(FIRST) })).body, 1);
    expectSessions((await get(stack, { doc_id: sha256(FIRST) })).body, 1);
    // The CSRF rule is unchanged: a GET without one of its headers runs nothing.
    const res = await fetch(`${stack.gateway.url}/graphql?${new URLSearchParams({ extensions })}`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('CSRF_PREVENTED');
  });

  it.each<[string, Body]>([
    ['an unknown hash', byHash(UNKNOWN)],
    ['an unknown documentId', { documentId: `sha256:${UNKNOWN}` }],
    ['an unknown doc_id', { doc_id: md5(LIST) }],
  ])('answers %s with PERSISTED_QUERY_NOT_FOUND and no upstream call', async (_, body) => {
    const res = await post(stack, body);
    expectCode(res, 200, 'PERSISTED_QUERY_NOT_FOUND', /^PersistedQueryNotFound$/);
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it('refuses a document sent as text that is not in the manifest: PERSISTED_QUERY_ONLY', async () => {
    expectCode(
      await post(stack, { query: ARBITRARY }),
      400,
      'PERSISTED_QUERY_ONLY',
      /only trusted documents/,
    );
    // With an id of the manifest that names another text: still not the manifest's operation.
    expectCode(
      await post(stack, { query: ARBITRARY, ...byHash(sha256(LIST)) }),
      400,
      'PERSISTED_QUERY_ONLY',
    );
    expectCode(
      await get(stack, { query: ARBITRARY, documentId: sha256(LIST) }),
      400,
      'PERSISTED_QUERY_ONLY',
    );
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it("runs the manifest's own text, alone or with its id (Apollo's WebSocket link sends both)", async () => {
    expectSessions((await post(stack, { query: LIST })).body, 2);
    expectSessions((await post(stack, { query: FIRST, ...byHash(sha256(FIRST)) })).body, 1);
  });

  it('applies the same rules over graphql-ws', async () => {
    expectSessions(await overWebSocket(stack, byHash(sha256(LIST))), 2);
    expectSessions(await overWebSocket(stack, { doc_id: sha256(FIRST) }), 1);
    expectSessions(await overWebSocket(stack, { query: LIST, ...byHash(sha256(LIST)) }), 2);
    const calls = stack.sandbox.requests.length;

    const unknown = await overWebSocket(stack, byHash(UNKNOWN));
    expect(unknown.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const arbitrary = await overWebSocket(stack, { query: ARBITRARY });
    expect(arbitrary.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    expect(stack.sandbox.requests).toHaveLength(calls);
  });
});

describe("relay-compiler's persisted queries file (id -> document)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { PERSISTED_OPERATIONS_FILE: file('relay.json', RELAY_MANIFEST) },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  it('runs its operations by doc_id and documentId, over POST, GET and graphql-ws', async () => {
    expectSessions((await post(stack, { doc_id: md5(LIST), variables: {} })).body, 2);
    expectSessions((await post(stack, { documentId: md5(FIRST) })).body, 1);
    expectSessions((await get(stack, { doc_id: md5(FIRST) })).body, 1);
    expectSessions(await overWebSocket(stack, { doc_id: md5(LIST) }), 2);
    expect(stack.listCalls()).toHaveLength(4);
  });

  it('refuses unknown ids and arbitrary text without an upstream call', async () => {
    expectCode(await post(stack, { doc_id: sha256(LIST) }), 200, 'PERSISTED_QUERY_NOT_FOUND');
    expectCode(await post(stack, { query: ARBITRARY }), 400, 'PERSISTED_QUERY_ONLY');
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});

describe('ALLOW_ARBITRARY_OPERATIONS=true', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        PERSISTED_OPERATIONS_FILE: file('apollo-open.json', APOLLO_MANIFEST),
        ALLOW_ARBITRARY_OPERATIONS: 'true',
      },
    });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  it('runs documents sent as text besides the manifest', async () => {
    expectSessions((await post(stack, { query: ARBITRARY })).body, 3);
    expectSessions((await post(stack, { doc_id: sha256(LIST) })).body, 2);
    expectSessions(await overWebSocket(stack, { query: ARBITRARY }), 3);
  });

  it('still answers an unknown id with PERSISTED_QUERY_NOT_FOUND, and stores nothing', async () => {
    expectCode(await post(stack, byHash(UNKNOWN)), 200, 'PERSISTED_QUERY_NOT_FOUND');
    // An APQ registration attempt runs the text but registers nothing: the manifest is the list.
    const hash = sha256(ARBITRARY);
    expectSessions((await post(stack, { query: ARBITRARY, ...byHash(hash) })).body, 3);
    expectCode(await post(stack, byHash(hash)), 200, 'PERSISTED_QUERY_NOT_FOUND');
    expect(stack.listCalls()).toHaveLength(1);
  });
});

describe('a bad manifest stops start-up', () => {
  it.each<[string, string | undefined, RegExp]>([
    ['a missing file', undefined, /cannot read .*ENOENT/],
    ['a file that is not JSON', '{"format":', /is not JSON/],
    ['a JSON array', '[]', /Apollo's persisted query manifest or a JSON object/],
    [
      'an unknown format',
      JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 2, operations: [] }),
      /version 2/,
    ],
    [
      'an operation without a body',
      JSON.stringify({ ...APOLLO_MANIFEST, operations: [{ id: 'x', name: 'X' }] }),
      /operations\[0\] \(x\) has no "body"/,
    ],
    ['a non-string document', JSON.stringify({ a: 1 }), /entry "a" must map an id/],
    ['a document that does not parse', JSON.stringify({ a: 'query {' }), /"a" does not parse/],
    ['no operations', '{}', /holds no operations/],
    [
      'one id for two documents',
      JSON.stringify({
        ...APOLLO_MANIFEST,
        operations: [
          { id: 'x', body: LIST },
          { id: 'x', body: FIRST },
        ],
      }),
      /"x" names two different documents/,
    ],
  ])('%s', (name, content, reason) => {
    const path =
      content === undefined ? join(dir, 'missing.json') : file(`bad-${name}.json`, content);
    const load = () => loadConfig({ PERSISTED_OPERATIONS_FILE: path });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^PERSISTED_OPERATIONS_FILE: /);
    expect(load).toThrow(reason);
  });

  it('refuses ALLOW_ARBITRARY_OPERATIONS without a manifest, and a value that is not a boolean', () => {
    expect(() => loadConfig({ ALLOW_ARBITRARY_OPERATIONS: 'false' })).toThrow(
      /ALLOW_ARBITRARY_OPERATIONS applies only with PERSISTED_OPERATIONS_FILE/,
    );
    expect(() =>
      loadConfig({
        PERSISTED_OPERATIONS_FILE: file('ok.json', RELAY_MANIFEST),
        ALLOW_ARBITRARY_OPERATIONS: 'yes',
      }),
    ).toThrow(/ALLOW_ARBITRARY_OPERATIONS must be true or false/);
  });

  it('the process exits 2 with one message naming the variable', async () => {
    const started = spawnGateway({
      env: { PERSISTED_OPERATIONS_FILE: file('broken.json', '{"format":') },
    });
    await expect(started).rejects.toThrow(
      /exited \(code 2, signal null\)[\s\S]*stderr:\nInvalid configuration: PERSISTED_OPERATIONS_FILE: .*broken\.json is not JSON/,
    );
  });
});
