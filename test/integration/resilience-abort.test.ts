/**
 * A client that hangs up takes its upstream calls with it: over real HTTP, the test aborts its
 * fetch and watches the sandbox see the gateway's upstream request closed — and no retry follow.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { eventually, LIST_QUERY } from '../support/assertions.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack;
/** The gateway's log lines: one 'graphql request' line once an operation has finished. */
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const logger = createLogger('info', {
    write: (text: string) => void lines.push(JSON.parse(text) as Record<string, unknown>),
  });
  // A deadline far away: whatever closes the upstream socket here, it is not the deadline.
  stack = await startStack({ env: { UPSTREAM_TIMEOUT_MS: '30000' }, gateway: { logger } });
});
afterAll(() => stack.close());
beforeEach(() => stack.resetRequests());

/** Sends LIST_QUERY, aborts it once the sandbox has received `attempts` upstream requests. */
async function abortAfter(attempts: number, requestId = 'abort-test'): Promise<void> {
  const controller = new AbortController();
  const pending = stack.graphql(
    LIST_QUERY,
    {},
    { signal: controller.signal, headers: { 'x-request-id': requestId } },
  );
  pending.catch(() => undefined);
  await eventually(() => stack.listCalls().length >= attempts);
  controller.abort();
  await expect(pending).rejects.toThrow();
}

it('aborts an upstream call in flight when the client disconnects', async () => {
  stack.sandbox.faults.add({ kind: 'hang' });
  await abortAfter(1);
  await eventually(() => stack.listCalls()[0]?.aborted === true);
  expect(stack.listCalls()).toHaveLength(1);
});

it('aborts a slow body being read when the client disconnects', async () => {
  stack.sandbox.faults.add({ kind: 'slow-body', totalMs: 20_000, chunks: 100 });
  await abortAfter(1);
  await eventually(() => stack.listCalls()[0]?.aborted === true);
});

it('makes no retry after the client disconnected during a back-off wait', async () => {
  stack.sandbox.faults.add({ kind: 'status', status: 503, headers: { 'retry-after-ms': '1000' } });
  await abortAfter(1, 'abort-in-backoff');
  // The operation's log line is written once its resolvers have settled: had the back-off not
  // been cut short, its retry would have reached the sandbox by then (about 1 s later).
  await eventually(() => lines.some((l) => l.requestId === 'abort-in-backoff'));
  expect(stack.listCalls()).toHaveLength(1);
  expect(lines.find((l) => l.requestId === 'abort-in-backoff')).toMatchObject({
    upstreamCalls: 1,
  });
});

it('keeps serving other clients afterwards', async () => {
  stack.sandbox.faults.add({ kind: 'hang' }, { times: 1 });
  await abortAfter(1);
  const res = await stack.graphql(LIST_QUERY);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data?.chatSessions.edges).toHaveLength(3);
});
