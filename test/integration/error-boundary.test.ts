/**
 * Errors are mapped at one boundary (src/errors.ts `maskError`, Yoga's maskedErrors hook): a
 * resolver that throws a raw domain error, with no wrapper of its own, still gets the documented
 * code. The gateway's real app (every plugin, graphql-jit included) serves a test schema over
 * real HTTP.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema } from 'graphql-yoga';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGatewayApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { InvalidCursorError } from '../../src/pagination/cursor.js';
import { Metrics } from '../../src/plugins/metrics.js';
import { StreamRegistry } from '../../src/streams/registry.js';
import { BudgetExceededError } from '../../src/upstream/chat-api.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamError } from '../../src/upstream/errors.js';

const throwers: Record<string, () => never> = {
  unavailable: () => {
    throw new UpstreamError({ kind: 'status', status: 503 }, 3);
  },
  limited: () => {
    throw new UpstreamError({ kind: 'status', status: 429, retryAfterSeconds: 7 });
  },
  badField: () => {
    throw new UpstreamError({ kind: 'bad_response', reason: 'Required', path: 'items[3].title' });
  },
  budget: () => {
    throw new BudgetExceededError(25);
  },
  cursor: () => {
    throw new InvalidCursorError('malformed cursor');
  },
  unexpected: () => {
    throw new Error('secret internal detail at http://10.0.0.7/x');
  },
};

let server: Server;
let url: string;

beforeAll(async () => {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const app = createGatewayApp(config, {
    client: new UpstreamClient({
      baseUrl: 'http://127.0.0.1:9',
      timeoutMs: 1000,
      maxRetries: 0,
      userAgent: 'test',
    }),
    logger: createLogger('silent'),
    metrics: new Metrics({ inFlight: () => 0 }),
    isReady: () => true,
    streams: new StreamRegistry({ maxStreams: 1 }),
    schema: createSchema({
      typeDefs: `type Query { ${Object.keys(throwers)
        .map((name) => `${name}: String`)
        .join(' ')} }`,
      resolvers: { Query: throwers },
    }),
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('maps raw domain errors thrown by any resolver to their documented codes', async () => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `{ ${Object.keys(throwers).join(' ')} }` }),
  });
  const body = (await res.json()) as {
    data: Record<string, null>;
    errors: Array<{ message: string; path: string[]; extensions: Record<string, unknown> }>;
  };
  const byField = new Map(body.errors.map((e) => [e.path[0], e]));
  expect(body.data).toEqual(Object.fromEntries(Object.keys(throwers).map((k) => [k, null])));
  expect(byField.get('unavailable')?.extensions).toMatchObject({
    code: 'UPSTREAM_UNAVAILABLE',
    upstreamStatus: 503,
  });
  expect(byField.get('limited')?.extensions).toMatchObject({
    code: 'RATE_LIMITED',
    retryAfterSeconds: 7,
  });
  expect(byField.get('badField')?.extensions).toMatchObject({
    code: 'UPSTREAM_BAD_RESPONSE',
    upstreamField: 'items[3].title',
  });
  expect(byField.get('budget')?.extensions).toMatchObject({
    code: 'QUERY_TOO_COMPLEX',
    maxUpstreamCalls: 25,
  });
  expect(byField.get('cursor')?.extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    argument: 'after',
  });
  // Anything else stays masked: no message, no internal address.
  expect(byField.get('unexpected')?.message).toBe('Unexpected error.');
  expect(JSON.stringify(body)).not.toContain('10.0.0.7');
  // Every error has a request id, as with the real schema.
  for (const error of body.errors) expect(error.extensions.requestId).toEqual(expect.any(String));
});
