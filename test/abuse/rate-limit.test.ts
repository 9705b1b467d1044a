/**
 * Rate limits and stream caps per caller (docs/architecture.md, "Rate limits and shared state"),
 * over real HTTP and WebSockets against the recording upstream double: a refused operation makes
 * no upstream call; callers are told apart by bearer key (hashed: never in Redis, logs or
 * metrics), else by address (X-Forwarded-For only with TRUST_PROXY); chat turns are capped per
 * caller and the slot comes back when a stream ends.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { LIST_QUERY } from '../support/assertions.js';
import { freePort } from '../support/process.js';
import { startRedisServer } from '../support/redis.js';
import type { RedisServer } from '../support/redis.js';
import { startStack } from '../support/stack.js';
import type { GraphQLResponse, Stack } from '../support/stack.js';
import { subscribeOverSse, subscribeOverWebSocket } from '../support/subscriptions.js';

const KEY_A = 'llx-caller-a-secret-1111111111111111';
const KEY_B = 'llx-caller-b-secret-2222222222222222';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const code = (res: GraphQLResponse) => res.body.errors?.[0]?.extensions?.code;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('RATE_LIMIT=3/60, in process', () => {
  it('refuses the 4th operation with RATE_LIMITED, 429 and Retry-After, and no upstream call', async () => {
    stack = await startStack({ env: { RATE_LIMIT: '3/60' } });
    for (let i = 0; i < 3; i++) {
      const res = await stack.graphql(LIST_QUERY);
      expect(res.body.errors).toBeUndefined();
    }
    const before = stack.sandbox.requests.length;
    expect(before).toBeGreaterThan(0);

    const refused = await stack.graphql(LIST_QUERY);
    expect(refused.status).toBe(429);
    expect(refused.body.data ?? null).toBeNull();
    const extensions = refused.body.errors?.[0]?.extensions;
    expect(extensions).toMatchObject({ code: 'RATE_LIMITED', requestId: expect.any(String) });
    expect(extensions?.http).toBeUndefined();
    const retryAfter = extensions?.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
    expect(stack.sandbox.requests).toHaveLength(before);
  });

  it('counts graphql-ws operations too, once each, and refuses them without an upstream call', async () => {
    stack = await startStack({ env: { RATE_LIMIT: '3/60' } });
    await stack.graphql(LIST_QUERY);
    await stack.graphql(LIST_QUERY);
    const third = subscribeOverWebSocket(stack.gateway.url, LIST_QUERY);
    await third.done;
    await third.dispose();
    expect(third.received[0]?.payload.errors).toBeUndefined();
    const before = stack.sandbox.requests.length;

    const fourth = subscribeOverWebSocket(stack.gateway.url, LIST_QUERY);
    await fourth.done;
    await fourth.dispose();
    const extensions = fourth.received[0]?.payload.errors?.[0]?.extensions;
    expect(extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: expect.any(Number),
    });
    expect(extensions?.http).toBeUndefined();
    expect(stack.sandbox.requests).toHaveLength(before);
  });

  it('TRUST_PROXY off: X-Forwarded-For is ignored (one budget for the socket address)', async () => {
    stack = await startStack({ env: { RATE_LIMIT: '3/60' } });
    for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      expect(code(await stack.graphql(LIST_QUERY, {}, { 'x-forwarded-for': address }))).toBe(
        undefined,
      );
    }
    const res = await stack.graphql(LIST_QUERY, {}, { 'x-forwarded-for': '203.0.113.4' });
    expect(code(res)).toBe('RATE_LIMITED');
  });

  it('TRUST_PROXY on: the address the proxy appended to X-Forwarded-For is the caller', async () => {
    stack = await startStack({ env: { RATE_LIMIT: '3/60', TRUST_PROXY: 'true' } });
    // The client forges the leftmost entry; the proxy appends the address it saw (rightmost).
    const via = (seen: string) => ({ 'x-forwarded-for': `198.51.100.7, ${seen}` });
    for (let i = 0; i < 3; i++) {
      expect(code(await stack.graphql(LIST_QUERY, {}, via('203.0.113.1')))).toBe(undefined);
    }
    expect(code(await stack.graphql(LIST_QUERY, {}, via('203.0.113.1')))).toBe('RATE_LIMITED');
    expect(code(await stack.graphql(LIST_QUERY, {}, via('203.0.113.2')))).toBe(undefined);
    // The forged entry changes nothing.
    const forged = { 'x-forwarded-for': '198.51.100.99, 203.0.113.1' };
    expect(code(await stack.graphql(LIST_QUERY, {}, forged))).toBe('RATE_LIMITED');
  });
});

describe('per caller, counted in Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.close());

  it('two bearer keys get separate budgets; the key is in no Redis key, log line or metric', async () => {
    const logs: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });
    stack = await startStack({
      env: { RATE_LIMIT: '3/60', REDIS_URL: redis.url },
      gateway: { logger },
      metrics: true,
    });
    await expect.poll(() => stack!.gateway.redis?.status).toBe('ready');

    for (let i = 0; i < 3; i++) {
      expect(code(await stack.graphql(LIST_QUERY, {}, bearer(KEY_A)))).toBe(undefined);
    }
    expect(code(await stack.graphql(LIST_QUERY, {}, bearer(KEY_A)))).toBe('RATE_LIMITED');
    for (let i = 0; i < 3; i++) {
      expect(code(await stack.graphql(LIST_QUERY, {}, bearer(KEY_B)))).toBe(undefined);
    }
    expect(code(await stack.graphql(LIST_QUERY, {}, bearer(KEY_B)))).toBe('RATE_LIMITED');
    // Without a key: the address, a third budget.
    expect(code(await stack.graphql(LIST_QUERY))).toBe(undefined);

    const keys = await redis.keys();
    expect(keys.filter((k) => k.startsWith('gw:rl:key:'))).toHaveLength(2);
    expect(keys).toContain('gw:rl:ip:127.0.0.1');
    const metrics = await (await fetch(stack.gateway.metricsUrl!)).text();
    expect(metrics).toContain('RATE_LIMITED');
    for (const key of [KEY_A, KEY_B]) {
      expect(keys.join('\n')).not.toContain(key);
      expect(keys.join('\n')).not.toContain(key.slice(-16));
      expect(logs.join('\n')).not.toContain(key);
      expect(metrics).not.toContain(key);
    }
  });
});

describe('Redis unreachable from the start', () => {
  it('start-up does not wait for it, and limits apply per process meanwhile', async () => {
    const logs: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
    const started = performance.now();
    stack = await startStack({
      env: { RATE_LIMIT: '3/60', REDIS_URL: `redis://:hunter2@127.0.0.1:${await freePort()}/0` },
      gateway: { logger },
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    for (let i = 0; i < 3; i++) expect(code(await stack.graphql(LIST_QUERY))).toBe(undefined);
    const refused = await stack.graphql(LIST_QUERY);
    expect(code(refused)).toBe('RATE_LIMITED');
    expect(refused.elapsedMs).toBeLessThan(500);
    const outage = logs.filter((line) => line.includes('redis unavailable'));
    expect(outage).toHaveLength(1);
    expect(outage[0]).toContain('redis://127.0.0.1:');
    expect(logs.join('\n')).not.toContain('hunter2');
  });
});

describe('MAX_STREAMS_PER_CALLER=1', () => {
  const CREATE = `mutation { createChatSession(input: {}) { chatSession { sessionId } } }`;
  const TURN = `subscription Turn($sessionId: ID!, $prompt: String!) {
    chatTurn(sessionId: $sessionId, prompt: $prompt) { type }
  }`;

  let sessionId: string;

  async function startStreamStack() {
    const s = await startStack({
      sandbox: { turnEventDelayMs: 60 },
      env: { MAX_STREAMS_PER_CALLER: '1' },
    });
    const created = await s.graphql(CREATE);
    sessionId = created.body.data!.createChatSession.chatSession.sessionId;
    return s;
  }

  it('a second concurrent turn gets TOO_MANY_STREAMS; the slot is back when the first ends', async () => {
    stack = await startStreamStack();
    const first = subscribeOverSse(stack.gateway.url, TURN, { sessionId, prompt: 'one' });
    await expect.poll(() => first.received.length, { timeout: 3_000 }).toBeGreaterThan(0);

    const second = subscribeOverWebSocket(stack.gateway.url, TURN, { sessionId, prompt: 'two' });
    await second.done;
    await second.dispose();
    expect(second.received[0]?.payload.errors?.[0]?.extensions).toMatchObject({
      code: 'TOO_MANY_STREAMS',
      maxStreamsPerCaller: 1,
    });
    const turnsUpstream = () =>
      stack!.sandbox.requests.filter((r) => r.path.endsWith('/messages/stream')).length;
    expect(turnsUpstream()).toBe(1);

    // Another caller (another key) is not affected.
    const other = subscribeOverSse(
      stack.gateway.url,
      TURN,
      { sessionId, prompt: 'other caller' },
      { headers: bearer(KEY_B) },
    );
    await first.done;
    expect(first.received.at(-1)?.payload.data?.chatTurn?.type).toBe('stop');
    await other.done;
    expect(other.received[0]?.payload.errors).toBeUndefined();

    await expect.poll(() => stack!.gateway.streams.size).toBe(0);
    const third = subscribeOverSse(stack.gateway.url, TURN, { sessionId, prompt: 'three' });
    await third.done;
    expect(third.received.at(-1)?.payload.data?.chatTurn?.type).toBe('stop');
  });

  it('the slot is back when the client goes away, and after an error', async () => {
    stack = await startStreamStack();
    const controller = new AbortController();
    const first = subscribeOverSse(
      stack.gateway.url,
      TURN,
      { sessionId, prompt: 'long' },
      { signal: controller.signal },
    );
    first.done.catch(() => undefined);
    await expect.poll(() => first.received.length, { timeout: 3_000 }).toBeGreaterThan(0);
    controller.abort();
    await expect.poll(() => stack!.gateway.streams.size).toBe(0);

    stack.sandbox.faults.add(
      { kind: 'cut-stream', afterEvents: 2, how: 'reset' },
      { when: (r) => r.path.endsWith('/messages/stream'), times: 1 },
    );
    const cut = subscribeOverSse(stack.gateway.url, TURN, { sessionId, prompt: 'cut' });
    await cut.done;
    expect(cut.received.at(-1)?.payload.errors?.[0]?.extensions?.code).toBe('STREAM_INTERRUPTED');

    const next = subscribeOverSse(stack.gateway.url, TURN, { sessionId, prompt: 'again' });
    await next.done;
    expect(next.received.at(-1)?.payload.data?.chatTurn?.type).toBe('stop');
  });
});
