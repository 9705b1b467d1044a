/**
 * Automatic persisted queries (no PERSISTED_OPERATIONS_FILE) over real HTTP, as Apollo Client's
 * persisted-queries link speaks them: the hash alone, `PersistedQueryNotFound`, the hash with
 * the text, then the hash alone again; over GET too. The in-process store is bounded; the Redis
 * store (a real redis-server) is shared by two gateways and falls back when Redis goes away.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import {
  APQ_LRU_MAX_BYTES,
  APQ_LRU_MAX_ENTRIES,
  APQ_REDIS_KEY_PREFIX,
  APQ_REDIS_TIMEOUT_MS,
  LruApqStore,
  RedisApqStore,
} from '../../src/persisted/apq-store.js';
import { eventually } from '../support/assertions.js';
import { MAX_REGISTERED_DOCUMENT_CHARS } from '../../src/plugins/trusted-documents.js';
import { startStack } from '../support/stack.js';
import { operationOverWebSocket } from '../support/subscriptions.js';
import type { GraphQLResponse, Stack } from '../support/stack.js';
import { freePort } from '../support/process.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** A distinct, valid query per n (the alias changes the text and so the hash). */
const queryOf = (n: number) =>
  `query Q${n} { s${n}: chatSessions(first: 1) { edges { node { sessionId } } } }`;

interface Operation {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

async function send(stack: Stack, body: Record<string, unknown>): Promise<GraphQLResponse> {
  const started = performance.now();
  const res = await fetch(`${stack.gateway.url}/graphql`, {
    method: 'POST',
    // What Apollo Client's HttpLink sends.
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json,application/json;q=0.9',
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: JSON.parse(text),
    headers: res.headers,
    text,
    elapsedMs: performance.now() - started,
  };
}

/** The hash alone (what the link sends first). */
const hashOnly = (stack: Stack, op: Operation, hash = sha256(op.query)) =>
  send(stack, {
    operationName: op.operationName,
    variables: op.variables,
    extensions: persisted(hash),
  });
/** The hash with the text (the link's retry after PersistedQueryNotFound). */
const hashAndQuery = (stack: Stack, op: Operation, hash = sha256(op.query)) =>
  send(stack, { ...op, extensions: persisted(hash) });

/** Apollo's link: the hash, and the text only when the server does not know it. */
async function apolloLink(stack: Stack, op: Operation) {
  const first = await hashOnly(stack, op);
  const notFound = first.body.errors?.some((e) => e.message === 'PersistedQueryNotFound') ?? false;
  return { first, final: notFound ? await hashAndQuery(stack, op) : first, retried: notFound };
}

function expectNotFound(res: GraphQLResponse) {
  expect(res.status, res.text).toBe(200);
  expect(res.body.data ?? undefined).toBeUndefined();
  expect(res.body.errors).toEqual([
    {
      message: 'PersistedQueryNotFound',
      extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', requestId: expect.any(String) },
    },
  ]);
}

function expectData(res: GraphQLResponse, alias = 'chatSessions') {
  expect(res.status, res.text).toBe(200);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data?.[alias].edges.length).toBeGreaterThan(0);
}

describe("APQ as Apollo Client's persisted-queries link expects", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  const op: Operation = {
    query:
      'query Sessions($first: Int) { chatSessions(first: $first) { edges { node { sessionId } } } }',
    variables: { first: 2 },
    operationName: 'Sessions',
  };

  it('hash alone -> PersistedQueryNotFound (200, no upstream call); hash + query -> data; hash alone -> data', async () => {
    expectNotFound(await hashOnly(stack, op));
    expect(stack.sandbox.requests).toHaveLength(0);
    const registered = await hashAndQuery(stack, op);
    expectData(registered);
    expect(registered.body.data?.chatSessions.edges).toHaveLength(2);
    const again = await hashOnly(stack, op);
    expectData(again);
    expect(again.body).toEqual(registered.body);
    expect(stack.listCalls()).toHaveLength(2);

    // The link's own loop: a new query retries once, a known one never.
    const other = { query: queryOf(1) };
    expect((await apolloLink(stack, other)).retried).toBe(true);
    const known = await apolloLink(stack, other);
    expect(known.retried).toBe(false);
    expectData(known.final, 's1');
  });

  it('refuses a hash that is not the sha256 of the query, and stores nothing', async () => {
    const wrong = sha256('something else');
    for (const hash of [wrong, 'not-a-hash']) {
      const res = await hashAndQuery(stack, { query: queryOf(2) }, hash);
      expect(res.status, res.text).toBe(400);
      expect(res.body.errors).toEqual([
        {
          message: 'provided sha does not match query',
          extensions: { code: 'BAD_USER_INPUT', requestId: expect.any(String) },
        },
      ]);
    }
    expectNotFound(await hashOnly(stack, { query: queryOf(2) }, wrong));
    expectNotFound(await hashOnly(stack, { query: queryOf(2) }));
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it('stores only documents that pass validation', async () => {
    const invalid = { query: '{ chatSessions(first: 1) { noSuchField } }' };
    const res = await hashAndQuery(stack, invalid);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expectNotFound(await hashOnly(stack, invalid));
  });

  it('runs a document over 64 KiB but does not store it (comments cost no tokens)', async () => {
    const padded = { query: `${queryOf(3)}\n# ${'x'.repeat(MAX_REGISTERED_DOCUMENT_CHARS)}` };
    expectData(await hashAndQuery(stack, padded), 's3');
    expectNotFound(await hashOnly(stack, padded));
  });

  it('serves GET with the hash (useGETForHashedQueries) when it carries a CSRF header', async () => {
    const op3 = { query: queryOf(3), operationName: 'Q3', variables: {} };
    const search = new URLSearchParams({
      operationName: op3.operationName,
      variables: '{}',
      extensions: JSON.stringify(persisted(sha256(op3.query))),
    });
    const url = `${stack.gateway.url}/graphql?${search}`;
    const preflight = { accept: 'application/json', 'apollo-require-preflight': 'true' };

    const unknown = await fetch(url, { headers: preflight });
    expect(unknown.status).toBe(200);
    expect((await unknown.json()).errors[0]).toMatchObject({
      message: 'PersistedQueryNotFound',
      extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' },
    });
    expectData(await hashAndQuery(stack, op3), 's3');
    for (const headers of [preflight, { 'x-apollo-operation-name': 'Q3' }]) {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(200);
      expect((await res.json()).data.s3.edges).toHaveLength(1);
    }
    // Never loosened: a GET without one of the CSRF headers runs nothing.
    const bare = await fetch(url);
    expect(bare.status).toBe(403);
    expect(await bare.text()).toContain('CSRF_PREVENTED');
  });

  it('works over graphql-ws: the hash with the text registers, the hash alone runs', async () => {
    const op4 = { query: queryOf(4) };
    const hash = sha256(op4.query);
    const unknown = await operationOverWebSocket(stack.gateway.url, {
      extensions: persisted(hash),
    });
    expect(unknown.errors?.[0]).toMatchObject({
      message: 'PersistedQueryNotFound',
      extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' },
    });
    // Apollo's GraphQLWsLink sends the text with the hash.
    const url = stack.gateway.url;
    const both = await operationOverWebSocket(url, { ...op4, extensions: persisted(hash) });
    expect(both.data?.s4.edges).toHaveLength(1);
    const byHash = await operationOverWebSocket(url, { extensions: persisted(hash) });
    expect(byHash).toEqual(both);
    expectData(await hashOnly(stack, op4), 's4');
    const wrong = await operationOverWebSocket(url, {
      ...op4,
      extensions: persisted(sha256('other')),
    });
    expect(wrong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('never runs a mutation over GET, even by hash', async () => {
    const mutation = {
      query:
        'mutation Del { deleteChatSession(input: { sessionId: "nope" }) { clientMutationId } }',
    };
    const search = new URLSearchParams({
      extensions: JSON.stringify(persisted(sha256(mutation.query))),
    });
    await hashAndQuery(stack, mutation);
    stack.resetRequests();
    const res = await fetch(`${stack.gateway.url}/graphql?${search}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(405);
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});

describe('the in-process store is bounded', () => {
  it(`keeps at most ${APQ_LRU_MAX_ENTRIES} entries, dropping the least recently used`, async () => {
    const store = new LruApqStore();
    for (let n = 0; n < APQ_LRU_MAX_ENTRIES + 500; n++) {
      await store.set(sha256(queryOf(n)), queryOf(n));
      if (n === 990) await store.get(sha256(queryOf(0))); // used recently: kept
    }
    expect(store.size).toBe(APQ_LRU_MAX_ENTRIES);
    expect(await store.get(sha256(queryOf(0)))).toBe(queryOf(0));
    expect(await store.get(sha256(queryOf(1)))).toBeUndefined();
    expect(await store.get(sha256(queryOf(APQ_LRU_MAX_ENTRIES + 499)))).toBe(
      queryOf(APQ_LRU_MAX_ENTRIES + 499),
    );
  });

  it(`keeps at most ${APQ_LRU_MAX_BYTES} bytes, and never one entry larger than that`, async () => {
    const store = new LruApqStore();
    const big = (n: number) => `# ${n}\n${'x'.repeat(512 * 1024)}\n{ __typename }`;
    for (let n = 0; n < 40; n++) {
      await store.set(sha256(big(n)), big(n));
      expect(store.bytes).toBeLessThanOrEqual(APQ_LRU_MAX_BYTES);
    }
    expect(store.size).toBe(Math.floor(APQ_LRU_MAX_BYTES / (64 + big(39).length)));
    expect(await store.get(sha256(big(39)))).toBe(big(39));

    const huge = 'x'.repeat(APQ_LRU_MAX_BYTES);
    await store.set(sha256(huge), huge);
    expect(await store.get(sha256(huge))).toBeUndefined();
    expect(store.bytes).toBeLessThanOrEqual(APQ_LRU_MAX_BYTES);
  });
});

describe('the Redis store, shared by two gateways', () => {
  let redis: ChildProcess;
  let port: number;
  let clients: Redis[];
  let a: Stack;
  let b: Stack;
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    port = await freePort();
    redis = spawn(
      '/usr/bin/redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    clients = [newClient(port), newClient(port)];
    await eventually(async () => (await clients[0]!.ping().catch(() => '')) === 'PONG', 10_000);
    const logs = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
        done();
      },
    });
    [a, b] = await Promise.all([
      startStack({ gateway: { redis: clients[0], logger: createLogger('info', logs) } }),
      startStack({ gateway: { redis: clients[1], logger: createLogger('silent') } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    for (const client of clients ?? []) client.disconnect();
    if (redis && redis.exitCode === null && redis.signalCode === null) redis.kill('SIGKILL');
  });

  it('a query registered on one gateway is found by hash on the other', async () => {
    const op = { query: queryOf(100) };
    expectNotFound(await hashOnly(b, op));
    expectData(await hashAndQuery(a, op), 's100');
    expectData(await hashOnly(b, op), 's100');

    const key = `${APQ_REDIS_KEY_PREFIX}${sha256(op.query)}`;
    expect(await clients[0]!.get(key)).toBe(op.query);
    const ttl = await clients[0]!.ttl(key);
    expect(ttl).toBeGreaterThan(24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });

  it('a Redis that hangs costs a request at most the store timeout', async () => {
    const known = { query: queryOf(110) };
    expectData(await hashAndQuery(a, known), 's110');
    redis.kill('SIGSTOP');
    try {
      const miss = await hashOnly(a, { query: queryOf(111) });
      expectNotFound(miss);
      expect(miss.elapsedMs).toBeGreaterThanOrEqual(APQ_REDIS_TIMEOUT_MS - 20);
      expect(miss.elapsedMs).toBeLessThan(APQ_REDIS_TIMEOUT_MS + 750);
      // What this process already knows needs no Redis at all.
      const hit = await hashOnly(a, known);
      expectData(hit, 's110');
    } finally {
      redis.kill('SIGCONT');
    }
    // Redis answers again: the store says so, and shares new entries again.
    const after = { query: queryOf(112) };
    expectData(await hashAndQuery(a, after), 's112');
    expectData(await hashOnly(b, after), 's112');
    const messages = logLines.map((line) => line.msg);
    expect(
      messages.filter((m) => String(m).startsWith('APQ store: Redis unavailable')),
    ).toHaveLength(1);
    expect(messages).toContain('APQ store: Redis answers again');
    logLines.length = 0;
  });

  it('keeps serving from the in-process fallback when Redis stops, and logs it once', async () => {
    const before = { query: queryOf(101) };
    expectData(await hashAndQuery(a, before), 's101');

    const exited = new Promise((resolve) => redis.once('exit', resolve));
    redis.kill('SIGTERM');
    await exited;
    await eventually(() => clients.every((client) => client.status !== 'ready'), 10_000);

    // Registered before the outage: still served by hash, quickly.
    const known = await hashOnly(a, before);
    expectData(known, 's101');
    expect(known.elapsedMs).toBeLessThan(1_000);
    // A new query: not found (no one knows it), registered locally, then served by hash.
    const during = { query: queryOf(102) };
    const first = await hashOnly(a, during);
    expectNotFound(first);
    expect(first.elapsedMs).toBeLessThan(1_000);
    expectData(await hashAndQuery(a, during), 's102');
    expectData(await hashOnly(a, during), 's102');
    // The other gateway answers as a gateway without Redis would: never an error of its own.
    expectNotFound(await hashOnly(b, during));
    expectData(await hashAndQuery(b, during), 's102');

    const warnings = logLines.filter((line) =>
      String(line.msg).startsWith('APQ store: Redis unavailable'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn' });
    // Never the query text.
    expect(JSON.stringify(logLines)).not.toContain('chatSessions');
  });

  it('the store alone: Redis down means a miss, not an error or a wait', async () => {
    const store = new RedisApqStore({ redis: clients[0]!, logger: createLogger('silent') });
    const started = performance.now();
    expect(await store.get(sha256(queryOf(100)))).toBeUndefined();
    await store.set(sha256(queryOf(103)), queryOf(103));
    expect(await store.get(sha256(queryOf(103)))).toBe(queryOf(103));
    expect(performance.now() - started).toBeLessThan(500);
  });
});

function newClient(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port });
  // The owner of a client listens for its errors (the gateway's connection owner does).
  client.on('error', () => {});
  return client;
}
