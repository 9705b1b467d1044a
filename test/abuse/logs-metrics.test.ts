/**
 * Logs and metrics a client cannot abuse, over real HTTP: /metrics is served only by its own
 * listener; one request with thousands of errors writes one small log line and adds one to the
 * error counter per distinct code; client-chosen operation names cannot take or block a real
 * operation's label.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import {
  MAX_OPERATION_CANDIDATES,
  MAX_OPERATION_NAMES,
  MIN_OPERATION_COUNT,
  OperationLabels,
} from '../../src/observability/operation-labels.js';
import { MAX_ERROR_CODES, OTHER_CODE, errorCodesOf } from '../../src/observability/operation.js';
import { startStack } from '../support/stack.js';
import type { Stack, StackOptions } from '../support/stack.js';
import { freePort } from '../support/process.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** `name{labels} value` lines -> value by series (name plus labels, as printed). */
async function scrape(url: string | undefined): Promise<Map<string, number>> {
  expect(url).toBeDefined();
  const res = await fetch(url!);
  expect(res.status).toBe(200);
  const series = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const index = line.lastIndexOf(' ');
    series.set(line.slice(0, index), Number(line.slice(index + 1)));
  }
  return series;
}

/** A stack whose log lines are kept as raw text. */
async function loggedStack(options: StackOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (text: string) => void lines.push(text) });
  stack = await startStack({ ...options, gateway: { ...options.gateway, logger } });
  const requestLines = () =>
    lines.filter((text) => (JSON.parse(text) as { msg?: string }).msg === 'graphql request');
  return { stack, requestLines };
}

describe('/metrics on its own listener', () => {
  it('is 404 on the GraphQL port, 200 on METRICS_HOST:METRICS_PORT, closed on shutdown', async () => {
    const port = await freePort();
    stack = await startStack({ env: { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' } });
    const { gateway } = stack;
    expect(gateway.metricsUrl).toBe(`http://127.0.0.1:${port}/metrics`);
    expect(gateway.metricsUrl).not.toContain(new URL(gateway.url).port);

    const onGraphQLPort = await fetch(`${gateway.url}/metrics`);
    expect(onGraphQLPort.status).toBe(404);
    expect(await onGraphQLPort.text()).not.toContain('gateway_');

    const scraped = await fetch(gateway.metricsUrl!);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await scraped.text()).toContain('gateway_http_requests_total');
    // The metrics listener serves nothing else.
    const base = gateway.metricsUrl!.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/graphql`)).status).toBe(404);
    expect((await fetch(gateway.metricsUrl!, { method: 'POST' })).status).toBe(405);

    await stack.close();
    stack = undefined;
    await expect(fetch(gateway.metricsUrl!)).rejects.toThrow();
  });

  it('METRICS_PORT=0: no metrics listener', async () => {
    stack = await startStack({ env: { METRICS_PORT: '0' } });
    expect(stack.gateway.metricsUrl).toBeUndefined();
    expect(stack.gateway.metricsServer).toBeUndefined();
    expect((await fetch(`${stack.gateway.url}/metrics`)).status).toBe(404);
  });

  it('defaults to 127.0.0.1:9464', () => {
    expect(loadConfig({})).toMatchObject({ metricsPort: 9464, metricsHost: '127.0.0.1' });
  });
});

const FULL_SESSION = /^\/api\/v1\/chat\/[^/]+$/;

describe('one request with 2,000 errors', () => {
  it('writes one log line under 2 KiB and adds 1 to the error counter', async () => {
    const { stack, requestLines } = await loggedStack({
      metrics: true,
      env: { MAX_UPSTREAM_CALLS_PER_OPERATION: '200', UPSTREAM_MAX_RETRIES: '0' },
    });
    // Every session's events call fails: 100 sessions x 20 aliases = 2,000 field errors.
    stack.sandbox.faults.add(
      { kind: 'status', status: 500 },
      { when: (request) => FULL_SESSION.test(request.path) },
    );
    const aliases = Array.from({ length: 20 }, (_, i) => `e${i}: events { type }`).join(' ');
    const counter = 'gateway_graphql_errors_total{code="UPSTREAM_UNAVAILABLE"}';
    const before = (await scrape(stack.gateway.metricsUrl)).get(counter) ?? 0;

    const res = await stack.graphql(
      `query ManyErrors { chatSessions(first: 100) { edges { node { ${aliases} } } } }`,
    );
    expect(res.body.errors).toHaveLength(2_000);
    expect(res.elapsedMs).toBeLessThan(15_000);

    const [line] = requestLines();
    expect(requestLines()).toHaveLength(1);
    expect(Buffer.byteLength(line!)).toBeLessThan(2_048);
    expect(JSON.parse(line!)).toMatchObject({
      operationName: 'ManyErrors',
      errorCodes: { UPSTREAM_UNAVAILABLE: 2_000 },
    });

    const after = await scrape(stack.gateway.metricsUrl);
    // One distinct code: one increment, however many errors.
    expect((after.get(counter) ?? 0) - before).toBe(1);
    const total = [...after]
      .filter(([key]) => key.startsWith('gateway_graphql_errors_total{'))
      .reduce((sum, [, value]) => sum + value, 0);
    expect(total).toBe(1);
  }, 30_000);

  it('keeps the line small with a huge operation name', async () => {
    const { stack, requestLines } = await loggedStack();
    const name = `Op${'x'.repeat(50_000)}`;
    const res = await stack.graphql(`query ${name} { __typename }`, undefined, {
      'x-request-id': 'y'.repeat(200),
    });
    expect(res.body.errors).toBeUndefined();
    expect(Buffer.byteLength(requestLines()[0]!)).toBeLessThan(2_048);
  });

  it('counts codes in one pass with a bounded number of distinct codes', () => {
    const errors = Array.from({ length: 200_000 }, (_, i) => ({
      extensions: { code: i % 2 ? 'BAD_USER_INPUT' : `CODE_${i % 1_000}` },
    }));
    errors.push({ extensions: { code: 'not a code {}' } }, { extensions: {} } as never);
    const started = performance.now();
    const counts = errorCodesOf({ errors });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(counts.size).toBeLessThanOrEqual(MAX_ERROR_CODES + 1);
    expect(counts.get('BAD_USER_INPUT')).toBe(100_000);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(200_002);
    expect(counts.get(OTHER_CODE)).toBeGreaterThan(0);
  });
});

const REAL = 'query RecentChatSessions { chatSessions(first: 1) { edges { cursor } } }';
const REAL_SERIES =
  'gateway_graphql_operations_total{operation_name="RecentChatSessions",operation_type="query",outcome="success"}';

describe('operation-name labels', () => {
  it('junk names sent before a real operation neither take its label nor block it', async () => {
    ({ stack } = await loggedStack({ metrics: true }));
    // More distinct names than there are labels (first-come would have filled every slot)…
    for (let i = 0; i < MAX_OPERATION_NAMES + 50; i++) {
      await stack.graphql(`query Junk${i} { __typename }`);
    }
    // …and a few names sent just under the threshold.
    for (let i = 0; i < 5; i++) {
      for (let n = 1; n < MIN_OPERATION_COUNT; n++) {
        await stack.graphql(`query Repeated${i} { __typename }`);
      }
    }
    for (let n = 0; n < MIN_OPERATION_COUNT + 2; n++) {
      expect((await stack.graphql(REAL)).body.errors).toBeUndefined();
    }
    const series = await scrape(stack.gateway.metricsUrl);
    // Labelled from its MIN_OPERATION_COUNT-th operation on; earlier ones count as (other).
    expect(series.get(REAL_SERIES)).toBe(3);
    const names = [...series.keys()]
      .filter((key) => key.startsWith('gateway_graphql_operations_total{'))
      .map((key) => /operation_name="([^"]*)"/.exec(key)![1]!);
    expect(names.filter((name) => /Junk|Repeated/.test(name))).toEqual([]);
    expect(
      series.get(
        'gateway_graphql_operations_total{operation_name="(other)",operation_type="query",outcome="success"}',
      ),
    ).toBe(MAX_OPERATION_NAMES + 50 + 5 * (MIN_OPERATION_COUNT - 1) + MIN_OPERATION_COUNT - 1);
  }, 60_000);

  it('METRICS_OPERATION_NAMES: the listed names at once, no other name ever', async () => {
    ({ stack } = await loggedStack({
      metrics: true,
      env: { METRICS_OPERATION_NAMES: 'RecentChatSessions, Other' },
    }));
    for (let n = 0; n < 2 * MIN_OPERATION_COUNT; n++) {
      await stack.graphql('query Junk { __typename }');
    }
    await stack.graphql(REAL);
    const series = await scrape(stack.gateway.metricsUrl);
    expect(series.get(REAL_SERIES)).toBe(1);
    expect([...series.keys()].some((key) => key.includes('Junk'))).toBe(false);
  });

  it('a flood of distinct names keeps memory bounded and cannot keep a real name out', () => {
    const labels = new OperationLabels();
    const query = (name: string) => labels.label({ name, type: 'query' });
    let realLabel = '';
    // 20,000 distinct junk names, the real operation once per 100 of them.
    for (let i = 0; i < 20_000; i++) {
      expect(query(`Junk${i}`)).toBe('(other)');
      if (i % 100 === 99) realLabel = query('RecentChatSessions');
      expect(labels.candidateCount).toBeLessThanOrEqual(MAX_OPERATION_CANDIDATES);
    }
    expect(realLabel).toBe('RecentChatSessions');
    // A name sent MIN_OPERATION_COUNT - 1 times after the flood is still no label.
    for (let n = 1; n < MIN_OPERATION_COUNT; n++) expect(query('LateJunk')).toBe('(other)');
  });
});
