/** One pino JSON line per GraphQL request, with the fields operators search by. */
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startStack } from '../support/stack.js';
import type { Stack, StackOptions } from '../support/stack.js';

type Line = Record<string, unknown>;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function loggedStack(level: LogLevel, options: StackOptions = {}) {
  const lines: Line[] = [];
  const logger = createLogger(level, {
    write: (text: string) => void lines.push(JSON.parse(text) as Line),
  });
  stack = await startStack({ ...options, gateway: { logger } });
  const requestLines = () => lines.filter((l) => l.msg === 'graphql request');
  return { stack, lines, requestLines };
}

const RECENT = 'query Recent($first: Int) { chatSessions(first: $first) { edges { cursor } } }';

describe('request log line', () => {
  it('has the request id, operation name and type, duration, upstream calls and no errors', async () => {
    const { stack, requestLines } = await loggedStack('info');
    const res = await stack.graphql(RECENT, { first: 60 }, { 'x-request-id': 'req-log-1' });
    expect(res.body.errors).toBeUndefined();
    expect(requestLines()).toHaveLength(1);
    const line = requestLines()[0]!;
    expect(line).toMatchObject({
      level: 'info',
      requestId: 'req-log-1',
      operationName: 'Recent',
      operationType: 'query',
      status: 200,
      // 60 items from an upstream that pages by 50: two calls.
      upstreamCalls: 2,
      errorCodes: {},
    });
    expect(typeof line.durationMs).toBe('number');
    expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(typeof line.time).toBe('string'); // ISO time
    expect(stack.listCalls()).toHaveLength(2);
  });

  it('counts errors by code, and counts 0 upstream calls when none was made', async () => {
    const { stack, requestLines } = await loggedStack('info');
    await stack.graphql('query Bad { chatSessions(first: -1) { edges { cursor } } }');
    await stack.graphql('{ chatSessions { edges { cursor } }'); // syntax error
    const [bad, broken] = requestLines();
    expect(bad).toMatchObject({
      operationName: 'Bad',
      errorCodes: { BAD_USER_INPUT: 1 },
      upstreamCalls: 0,
    });
    expect(broken).toMatchObject({ operationName: null, operationType: null, upstreamCalls: 0 });
    expect(broken!.errorCodes).toEqual({ GRAPHQL_PARSE_FAILED: 1 });
  });

  it('logs an operation without a credential (chatApi() threw) with 0 upstream calls', async () => {
    const { stack, requestLines } = await loggedStack('info', {
      env: { LLAMA_CLOUD_API_KEY: undefined },
    });
    const res = await stack.graphql(RECENT, { first: 1 });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(requestLines()[0]).toMatchObject({
      operationName: 'Recent',
      upstreamCalls: 0,
      errorCodes: { UNAUTHENTICATED: 1 },
    });
  });

  it('does not log probes, metrics or the GraphiQL page as GraphQL requests', async () => {
    const { stack, requestLines } = await loggedStack('info', { metrics: true });
    const base = stack.gateway.url;
    await fetch(`${base}/health`);
    await fetch(`${base}/readiness`);
    expect((await fetch(stack.gateway.metricsUrl!)).status).toBe(200);
    await (await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } })).text();
    expect(requestLines()).toHaveLength(0);
  });

  it('follows LOG_LEVEL: nothing below warn at warn', async () => {
    const { stack, lines } = await loggedStack('warn');
    await stack.graphql(RECENT, { first: 1 });
    expect(lines).toHaveLength(0);
  });

  it("routes Yoga's own logger to pino (component yoga)", async () => {
    const { stack, lines } = await loggedStack('debug');
    await stack.graphql(RECENT, { first: 1 });
    const yoga = lines.filter((l) => l.component === 'yoga');
    expect(yoga.length).toBeGreaterThan(0);
    expect(yoga.every((l) => l.level === 'debug' && typeof l.msg === 'string')).toBe(true);
  });
});
