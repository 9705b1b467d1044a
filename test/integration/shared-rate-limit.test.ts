/**
 * One rate limit across replicas (docs/architecture.md, "Rate limits and shared state"): two
 * gateway processes share a real redis-server with RATE_LIMIT=10/60, so ten operations spread
 * over both pass and the eleventh, on either, is refused without an upstream call. Then Redis
 * stops: both keep answering under their own per-process limits and log the outage once, and
 * when Redis returns they share the limit again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_RESTORED_MESSAGE, REDIS_UNAVAILABLE_MESSAGE } from '../../src/redis.js';
import { LIST_QUERY } from '../support/assertions.js';
import { startFaultySandbox } from '../support/faulty-sandbox.js';
import type { FaultySandbox } from '../support/faulty-sandbox.js';
import { spawnGateway } from '../support/process.js';
import type { GatewayProcess } from '../support/process.js';
import { startRedisServer } from '../support/redis.js';
import type { RedisServer } from '../support/redis.js';
import { SERVER_KEY } from '../support/stack.js';

let redis: RedisServer;
let sandbox: FaultySandbox;
let gateways: GatewayProcess[] = [];

async function query(gateway: GatewayProcess) {
  const res = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: LIST_QUERY }),
  });
  const body = (await res.json()) as {
    data?: unknown;
    errors?: Array<{ extensions?: Record<string, unknown> }>;
  };
  return { status: res.status, code: body.errors?.[0]?.extensions?.code, body };
}

const logged = (gateway: GatewayProcess, msg: string) =>
  gateway.logs().filter((line) => line.msg === msg);

beforeAll(async () => {
  [redis, sandbox] = await Promise.all([startRedisServer(), startFaultySandbox()]);
  const env = {
    LLAMA_CLOUD_BASE_URL: sandbox.url,
    LLAMA_CLOUD_API_KEY: SERVER_KEY,
    RATE_LIMIT: '10/60',
    REDIS_URL: redis.url,
  };
  gateways = await Promise.all([spawnGateway({ env }), spawnGateway({ env })]);
  await Promise.all(
    gateways.map((g) => g.waitForLog((line) => line.msg === 'redis connected: limits are shared')),
  );
});

afterAll(async () => {
  for (const gateway of gateways) gateway.kill();
  await Promise.all(gateways.map((g) => g.exited));
  await redis?.close();
  await sandbox?.close();
});

describe('two gateways, one Redis, RATE_LIMIT=10/60', () => {
  it('10 operations alternating between both pass; the 11th, on either, is refused', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    for (let i = 0; i < 10; i++) {
      const res = await query(i % 2 === 0 ? a : b);
      expect(res.code, `operation ${i + 1}`).toBeUndefined();
    }
    const upstreamCalls = sandbox.requests.length;
    for (const gateway of [a, b]) {
      const refused = await query(gateway);
      expect(refused.status).toBe(429);
      expect(refused.code).toBe('RATE_LIMITED');
      expect(refused.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    }
    expect(sandbox.requests).toHaveLength(upstreamCalls);
    expect(await redis.keys()).toEqual(['gw:rl:ip:127.0.0.1']);
  });

  it('Redis gone: both keep answering under per-process limits and log the outage once', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    await redis.stop();
    await Promise.all(
      gateways.map((g) => g.waitForLog((line) => line.msg === REDIS_UNAVAILABLE_MESSAGE)),
    );
    // Each process now counts alone, from zero: 10 each, then its own refusal.
    for (let i = 0; i < 10; i++) {
      expect((await query(a)).code, `A, operation ${i + 1}`).toBeUndefined();
    }
    expect((await query(b)).code).toBeUndefined();
    expect((await query(a)).code).toBe('RATE_LIMITED');
    // Reconnection attempts went on meanwhile (100 ms apart, growing): still one line each.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const gateway of gateways) {
      expect(logged(gateway, REDIS_UNAVAILABLE_MESSAGE)).toHaveLength(1);
      expect(gateway.stdout.join('\n')).not.toContain('ioredis');
    }
  });

  it('Redis back: the recovery is logged once, and the limit is shared again', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    await redis.start();
    await Promise.all(
      gateways.map((g) => g.waitForLog((line) => line.msg === REDIS_RESTORED_MESSAGE)),
    );
    // The new Redis is empty: the shared count starts afresh.
    for (let i = 0; i < 10; i++) {
      expect((await query(i % 2 === 0 ? b : a)).code, `operation ${i + 1}`).toBeUndefined();
    }
    expect((await query(b)).code).toBe('RATE_LIMITED');
    for (const gateway of gateways) {
      expect(logged(gateway, REDIS_RESTORED_MESSAGE)).toHaveLength(1);
      expect(logged(gateway, REDIS_UNAVAILABLE_MESSAGE)).toHaveLength(1);
    }
  });
});
