/**
 * Soak: a few thousand requests with random upstream faults and client aborts through one
 * gateway, then: every answer was the documented one, no unhandled rejection, no socket or timer
 * left behind, and the heap after GC back within a bound.
 *
 * Each request's fault is chosen by its x-request-id (which the gateway forwards), so the
 * expected outcome of every single request is known even though they run concurrently.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Fault } from '../support/faulty-sandbox.js';
import { eventually } from '../support/assertions.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const REQUESTS = 2_000;
/** The soak stops sending after this long, so it stays bounded on a busy machine… */
const SOAK_BUDGET_MS = 35_000;
/** …but it must have pushed at least this many requests through by then. */
const MIN_REQUESTS = 1_000;
const WARM_UP = 300;
const CONCURRENCY = 32;
const DEADLINE_MS = 3_000;
/**
 * On a starved CPU (CI, a shared box) any call can outlive its deadline: UPSTREAM_TIMEOUT is
 * then the documented answer. A few are tolerated (and reported); any other surprise fails.
 */
const MAX_DEADLINE_HITS = 0.02;
const UPSTREAM_POOL = 64; // UpstreamClient's default `connections`
/**
 * 8 KiB per request: a leak of that much per request fails the check (measured growth without a
 * leak: 1-2 MiB). Scale it with REQUESTS.
 */
const HEAP_GROWTH_LIMIT = REQUESTS * 8 * 1024;

/** 'data', 'aborted' (the client hung up) or a GraphQL error code. */
type Outcome = string;

interface Scenario {
  weight: number;
  /** Acceptable outcomes. */
  expect: Outcome | Outcome[];
  fault?: Fault;
  /** Only the first attempt of each upstream call fails ("once"). */
  once?: boolean;
  first?: number;
  /** The client hangs up this many ms after sending. */
  abortAfterMs?: number;
}

/**
 * This mix asks for about 30 retries per 100 calls, more than the process-wide retry budget's
 * 20 % (src/upstream/retry-budget.ts): a refused retry answers with the upstream's own error, so
 * the "once" scenarios may also end that way, and a call in "abort-in-backoff" may fail before
 * the client hangs up.
 */
const SCENARIOS: Record<string, Scenario> = {
  ok: { weight: 45, expect: 'data' },
  'two-pages': { weight: 5, expect: 'data', first: 70 },
  '503-once': {
    weight: 8,
    expect: ['data', 'UPSTREAM_UNAVAILABLE'],
    fault: { kind: 'status', status: 503 },
    once: true,
  },
  '503-always': {
    weight: 4,
    expect: 'UPSTREAM_UNAVAILABLE',
    fault: { kind: 'status', status: 503 },
  },
  '429-ms-once': {
    weight: 5,
    expect: ['data', 'RATE_LIMITED'],
    fault: { kind: 'status', status: 429, headers: { 'retry-after-ms': '30' } },
    once: true,
  },
  '429-long': {
    weight: 3,
    expect: 'RATE_LIMITED',
    fault: { kind: 'status', status: 429, headers: { 'retry-after': '120' } },
  },
  'reset-mid-once': {
    weight: 5,
    expect: ['data', 'UPSTREAM_UNAVAILABLE'],
    fault: { kind: 'reset', at: 'mid-body' },
    once: true,
  },
  'reset-always': {
    weight: 3,
    expect: 'UPSTREAM_UNAVAILABLE',
    fault: { kind: 'reset', at: 'before-headers' },
  },
  malformed: {
    weight: 3,
    expect: 'UPSTREAM_BAD_RESPONSE',
    fault: { kind: 'body', body: { text: '{"items": [', contentType: 'application/json' } },
  },
  shape: {
    weight: 3,
    expect: 'UPSTREAM_BAD_RESPONSE',
    fault: { kind: 'transform', transform: () => ({ items: [{ session_id: 7 }] }) },
  },
  oversized: {
    weight: 1,
    expect: 'UPSTREAM_BAD_RESPONSE',
    fault: { kind: 'oversized', bytes: 9 * 1024 * 1024, contentLength: true },
  },
  '401': { weight: 3, expect: 'UNAUTHENTICATED', fault: { kind: 'status', status: 401 } },
  '422': {
    weight: 3,
    expect: 'BAD_USER_INPUT',
    fault: { kind: 'status', status: 422, body: { json: { detail: 'no' } } },
  },
  slow: { weight: 2, expect: 'data', fault: { kind: 'slow-body', totalMs: 60, chunks: 3 } },
  hang: { weight: 1, expect: 'UPSTREAM_TIMEOUT', fault: { kind: 'hang' } },
  'client-abort': { weight: 3, expect: 'aborted', fault: { kind: 'hang' }, abortAfterMs: 30 },
  'abort-in-backoff': {
    weight: 1,
    expect: ['aborted', 'UPSTREAM_UNAVAILABLE'],
    fault: { kind: 'status', status: 503, headers: { 'retry-after-ms': '500' } },
    abortAfterMs: 100,
  },
};

let stack: Stack;
let client: Pool;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let baseline: Record<string, number>;

/** Counts of live handles by type (sockets, timers…), for the leak check. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  baseline = resources();
  stack = await startStack({
    env: {
      UPSTREAM_TIMEOUT_MS: String(DEADLINE_MS),
      // Each request's fault is chosen by its own x-request-id, so none may join a read another
      // request started (coalesced reads have their own tests: coalesce.test.ts).
      UPSTREAM_COALESCE: 'false',
    },
  });
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (!scenario.fault) continue;
    const tag = `:${name}`;
    stack.sandbox.faults.add(scenario.fault, {
      when: (r) => !!r.requestId?.endsWith(tag) && (!scenario.once || r.attempt === 1),
    });
  }
  client = new Pool(stack.gateway.url, { connections: CONCURRENCY });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await client?.close().catch(() => undefined);
  await stack?.close();
});

/** Deterministic weighted choice, so a failing run can be replayed. */
function planner(seed: number) {
  let x = seed;
  const random = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const entries = Object.entries(SCENARIOS);
  const total = entries.reduce((sum, [, s]) => sum + s.weight, 0);
  return () => {
    let pick = random() * total;
    for (const [name, s] of entries) if ((pick -= s.weight) < 0) return name;
    return entries[0]![0];
  };
}

async function send(i: number, name: string): Promise<Outcome> {
  const scenario = SCENARIOS[name]!;
  const first = scenario.first ?? 1 + (i % 10);
  const controller = new AbortController();
  const timer = scenario.abortAfterMs
    ? setTimeout(() => controller.abort(), scenario.abortAfterMs)
    : undefined;
  try {
    const res = await client.request({
      method: 'POST',
      path: '/graphql',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-request-id': `soak-${i}:${name}`,
      },
      body: JSON.stringify({
        query: `query($first: Int) { chatSessions(first: $first) { edges { node { sessionId } } } }`,
        variables: { first },
      }),
      signal: controller.signal,
    });
    const body = (await res.body.json()) as {
      data?: { chatSessions: { edges: unknown[] } | null };
      errors?: { extensions?: { code?: string } }[];
    };
    if (body.errors) return body.errors.map((e) => e.extensions?.code ?? 'NO_CODE').join(',');
    return body.data?.chatSessions?.edges.length === first ? 'data' : 'WRONG_DATA';
  } catch (error) {
    if (controller.signal.aborted) return 'aborted';
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs up to `count` planned requests, CONCURRENCY at a time, sending none after `budgetMs`;
 * returns how many ran, the tally by scenario and every unexpected outcome.
 */
async function soak(count: number, offset: number, next: () => string, budgetMs = Infinity) {
  const tally: Record<string, number> = {};
  const mismatches: string[] = [];
  const deadlineHits: string[] = [];
  const stopAt = performance.now() + budgetMs;
  let cursor = 0;
  const worker = async () => {
    while (cursor < count && performance.now() < stopAt) {
      const i = offset + cursor++;
      const name = next();
      const outcome = await send(i, name);
      tally[name] = (tally[name] ?? 0) + 1;
      if ([SCENARIOS[name]!.expect].flat().includes(outcome)) continue;
      (outcome === 'UPSTREAM_TIMEOUT' ? deadlineHits : mismatches).push(`${i}:${name}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { sent: cursor, tally, mismatches, deadlineHits };
}

/**
 * Waits until no request is open at the gateway or the sandbox: upstream calls of clients that
 * hung up end when the gateway notices (at the latest at their deadline).
 */
async function settled(): Promise<void> {
  await eventually(
    () => stack.gateway.inFlight() === 0 && stack.sandbox.inFlight() === 0,
    DEADLINE_MS + 2_000,
  );
}

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc!();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

it(
  `${REQUESTS} requests with random faults: right answers, no leaks`,
  { timeout: 60_000 },
  async () => {
    expect(globalThis.gc, 'run with --expose-gc (vitest.config.ts execArgv)').toBeTypeOf(
      'function',
    );
    const next = planner(2026);

    // Warm up caches (parse/validation, JIT, pools) before the heap baseline.
    const warm = await soak(WARM_UP, 0, next);
    expect(warm.mismatches).toEqual([]);
    expect(warm.deadlineHits.length).toBeLessThanOrEqual(WARM_UP * MAX_DEADLINE_HITS);
    await settled();
    stack.sandbox.clearRequests();
    const heapBefore = await heapAfterGc();

    const started = performance.now();
    const { sent, tally, mismatches, deadlineHits } = await soak(
      REQUESTS,
      WARM_UP,
      next,
      SOAK_BUDGET_MS,
    );
    const seconds = (performance.now() - started) / 1000;
    await settled();
    const upstreamCalls = stack.sandbox.requests.length;
    stack.sandbox.clearRequests();
    const heapAfter = await heapAfterGc();

    console.log(
      JSON.stringify({
        requests: sent,
        seconds: Math.round(seconds * 10) / 10,
        upstreamCalls,
        tally,
        unexpectedDeadlineHits: deadlineHits,
        heapGrowthMiB: Math.round(((heapAfter - heapBefore) / 1024 / 1024) * 10) / 10,
        sandboxConnections: await stack.sandbox.connections(),
      }),
    );

    expect(sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
    // Every request got exactly the documented outcome (or, rarely, hit its deadline).
    expect(mismatches).toEqual([]);
    expect(deadlineHits.length).toBeLessThanOrEqual(sent * MAX_DEADLINE_HITS);
    // Every scenario was exercised.
    expect(Object.keys(tally).sort()).toEqual(Object.keys(SCENARIOS).sort());
    expect(unhandled).toEqual([]);

    // Upstream sockets never exceed the pool; client sockets close when the client does.
    expect(await stack.sandbox.connections()).toBeLessThanOrEqual(UPSTREAM_POOL);
    await client.close();
    await eventually(
      () =>
        new Promise<boolean>((resolve) =>
          stack.gateway.server.getConnections((_e, n) => resolve(n === 0)),
        ),
    );

    expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT);

    // With everything closed, no socket or timer outlives the stack.
    await stack.close();
    await eventually(() => {
      const now = resources();
      return (
        (now.TCPSocketWrap ?? 0) <= (baseline.TCPSocketWrap ?? 0) &&
        (now.TCPServerWrap ?? 0) <= (baseline.TCPServerWrap ?? 0) &&
        (now.Timeout ?? 0) <= (baseline.Timeout ?? 0) + 2
      );
    }, 5_000).catch(() => {
      expect(resources()).toEqual(baseline);
    });
  },
);
