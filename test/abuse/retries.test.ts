/**
 * Retries are bounded twice: by the operation's call budget (MAX_UPSTREAM_CALLS_PER_OPERATION
 * counts every attempt) and by the process-wide retry budget (src/upstream/retry-budget.ts);
 * `x-should-retry` overrides what the status says. Over real HTTP: the answer's codes, the
 * requests the upstream saw, and a generous time bound.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { ChatApi, BudgetExceededError } from '../../src/upstream/chat-api.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { RetryBudget } from '../../src/upstream/retry-budget.js';
import { expectSafe, LIST_QUERY, onlyError } from '../support/assertions.js';
import { startFaultySandbox } from '../support/faulty-sandbox.js';
import type { Fault, FaultySandbox } from '../support/faulty-sandbox.js';
import { startStack } from '../support/stack.js';
import type { Stack, StackOptions } from '../support/stack.js';

/** Generous: a few retries with 20 ms back-off; no test gates on speed. */
const TIME_BOUND_MS = 8_000;
const BUDGET = 25; // MAX_UPSTREAM_CALLS_PER_OPERATION's default
const ALIASES = 30; // the alias limit

type Line = Record<string, unknown>;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** A fresh stack (so a fresh process-wide retry budget), its request log lines captured. */
async function loggedStack(options: StackOptions = {}) {
  const lines: Line[] = [];
  const logger = createLogger('info', {
    write: (text: string) => void lines.push(JSON.parse(text) as Line),
  });
  stack = await startStack({ ...options, gateway: { logger } });
  const logged = () => lines.filter((l) => l.msg === 'graphql request');
  return { stack, logged };
}

/** 30 aliased lookups of distinct sessions: up to 30 distinct upstream calls. */
const LOOKUPS = `{ ${Array.from(
  { length: ALIASES },
  (_, i) => `a${i}: chatSession(sessionId: "ses-${i}") { sessionId }`,
).join(' ')} }`;

const FAULTS: Array<[string, Fault, string]> = [
  ['503', { kind: 'status', status: 503 }, 'UPSTREAM_UNAVAILABLE'],
  ['429', { kind: 'status', status: 429 }, 'RATE_LIMITED'],
  ['connection reset', { kind: 'reset', at: 'before-headers' }, 'UPSTREAM_UNAVAILABLE'],
];

describe('retries count against MAX_UPSTREAM_CALLS_PER_OPERATION', () => {
  it.each(FAULTS)(
    '30 aliased lookups against an upstream answering %s: at most 25 requests',
    async (_name, fault, code) => {
      const { stack, logged } = await loggedStack();
      stack.sandbox.faults.add(fault);
      const res = await stack.graphql(LOOKUPS);
      expect(res.elapsedMs).toBeLessThan(TIME_BOUND_MS);
      expectSafe(res, stack);

      const requests = stack.sandbox.requests;
      expect(requests.length).toBeLessThanOrEqual(BUDGET);
      // The log's upstreamCalls (the request record) is the attempts made, retries included.
      expect(logged()).toHaveLength(1);
      expect(logged()[0]!.upstreamCalls).toBe(requests.length);

      // Every alias failed: a lookup that was started with the upstream's own code (also when
      // its retry was refused), one never started with QUERY_TOO_COMPLEX.
      const codes = (res.body.errors ?? []).map((e) => e.extensions?.code);
      expect(codes).toHaveLength(ALIASES);
      const started = new Set(requests.map((r) => r.path)).size;
      expect(codes.filter((c) => c === code)).toHaveLength(started);
      expect(codes.filter((c) => c === 'QUERY_TOO_COMPLEX')).toHaveLength(ALIASES - started);
    },
  );
});

describe('the operation budget alone (a retry budget that never says no)', () => {
  let sandbox: FaultySandbox | undefined;
  let client: UpstreamClient | undefined;
  afterEach(async () => {
    await client?.close();
    await sandbox?.close();
  });

  it('a retry the operation budget refuses is not made; the call fails with its own 503', async () => {
    sandbox = await startFaultySandbox();
    sandbox.faults.add({ kind: 'status', status: 503 });
    client = new UpstreamClient({
      baseUrl: sandbox.url,
      timeoutMs: 5_000,
      maxRetries: 2,
      userAgent: 'retries-test',
      retryBaseDelayMs: 5,
      retryBudget: new RetryBudget({ minRetriesPerSecond: 1_000_000 }),
    });
    const counter = { upstreamCalls: 0 };
    const api = new ChatApi({ client, call: {}, maxCalls: 10, counter, concurrency: 6 });
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => api.getSummary({ sessionId: `ses-${i}` })),
    );
    expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS);
    // 6 calls of up to 3 attempts want 18; the budget allows 10.
    expect(sandbox.requests).toHaveLength(10);
    expect(counter.upstreamCalls).toBe(10);
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.value));
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(UpstreamError);
      expect((reason as UpstreamError).failure).toMatchObject({ kind: 'status', status: 503 });
    }
    // Some call stopped short of its 3 attempts because the budget refused the retry.
    const attempts = reasons.map((r) => (r as UpstreamError).attempts);
    expect(attempts.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.min(...attempts)).toBeLessThan(3);
    // Nothing left: the next call does not start at all.
    await expect(api.getSummary({ sessionId: 'ses-late' })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    expect(sandbox.requests).toHaveLength(10);
  });
});

describe('the process-wide retry budget', () => {
  it('40 sequential lookups against an always-503 upstream: far fewer than 3× attempts', async () => {
    const OPERATIONS = 40;
    const { stack, logged } = await loggedStack();
    stack.sandbox.faults.add({ kind: 'status', status: 503 });
    const started = performance.now();
    for (let i = 0; i < OPERATIONS; i++) {
      const res = await stack.graphql(`{ chatSession(sessionId: "ses-${i}") { sessionId } }`);
      expect(onlyError(res).extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    }
    const seconds = (performance.now() - started) / 1000;
    expect(seconds * 1000).toBeLessThan(TIME_BOUND_MS * 2);

    const attempts = stack.sandbox.requests.length;
    const retries = attempts - OPERATIONS;
    // Every operation made its call; retries: 20 % of the calls, plus the floor of 10 a second.
    expect(new Set(stack.sandbox.requests.map((r) => r.path)).size).toBe(OPERATIONS);
    expect(retries).toBeLessThanOrEqual(OPERATIONS * 0.2 + 10 * (Math.ceil(seconds) + 1));
    // Without the budget: 3 × 40 = 120. Typically about 55 here (the floor grows with slowness,
    // so this bound is the formula above, not a fixed number).
    expect(attempts).toBeLessThan(3 * OPERATIONS);
    // Each operation's log line counts exactly the attempts it made.
    const perLine = logged().map((l) => l.upstreamCalls as number);
    expect(perLine).toHaveLength(OPERATIONS);
    expect(perLine.reduce((a, b) => a + b, 0)).toBe(attempts);
  });
});

describe('x-should-retry', () => {
  it('true: a 400 is retried (then data); false: a 503 or a 429 is not', async () => {
    const { stack } = await loggedStack();
    const cases: Array<{
      fault: Fault;
      times?: number;
      attempts: number;
      code: string | undefined;
    }> = [
      {
        fault: { kind: 'status', status: 400, headers: { 'x-should-retry': 'true' } },
        times: 1,
        attempts: 2,
        code: undefined,
      },
      {
        fault: { kind: 'status', status: 400, headers: { 'x-should-retry': 'true' } },
        attempts: 3, // UPSTREAM_MAX_RETRIES=2
        code: 'BAD_USER_INPUT',
      },
      {
        fault: { kind: 'status', status: 503, headers: { 'x-should-retry': 'false' } },
        attempts: 1,
        code: 'UPSTREAM_UNAVAILABLE',
      },
      {
        fault: { kind: 'status', status: 429, headers: { 'x-should-retry': 'false' } },
        attempts: 1,
        code: 'RATE_LIMITED',
      },
      {
        // Anything but true/false: the status decides (503 is retried).
        fault: { kind: 'status', status: 503, headers: { 'x-should-retry': 'maybe' } },
        attempts: 3,
        code: 'UPSTREAM_UNAVAILABLE',
      },
    ];
    for (const { fault, times, attempts, code } of cases) {
      stack.resetRequests();
      stack.sandbox.faults.add(fault, times === undefined ? {} : { times });
      const res = await stack.graphql(LIST_QUERY);
      const label = JSON.stringify(fault);
      expect(res.elapsedMs, label).toBeLessThan(TIME_BOUND_MS);
      expectSafe(res, stack);
      if (code === undefined) {
        expect(res.body.errors, label).toBeUndefined();
        expect(res.body.data?.chatSessions.edges, label).toHaveLength(3);
      } else {
        expect(onlyError(res).extensions?.code, label).toBe(code);
      }
      expect(stack.listCalls(), label).toHaveLength(attempts);
    }
  });
});
