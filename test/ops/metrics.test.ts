/** /metrics: Prometheus text format, the series operators need, bounded labels, no secrets. */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_OPERATION_NAMES, MIN_OPERATION_COUNT, Metrics } from '../../src/plugins/metrics.js';
import { sessionsPage, startScriptedUpstream } from '../support/scripted-upstream.js';
import type { ScriptedUpstream } from '../support/scripted-upstream.js';
import { SERVER_KEY, startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack | undefined;
let upstream: ScriptedUpstream | undefined;
afterEach(async () => {
  await stack?.close();
  await upstream?.close();
  stack = upstream = undefined;
});

/** `name{labels} value` lines -> value by series (name plus labels, as printed). */
function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const index = line.lastIndexOf(' ');
    series.set(line.slice(0, index), Number(line.slice(index + 1)));
  }
  return series;
}

/** GET the metrics listener's URL (`gateway.metricsUrl`). */
async function scrape(url: string | undefined) {
  expect(url).toBeDefined();
  const res = await fetch(url!);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  return { text, series: parseMetrics(text) };
}

const RECENT =
  'query Recent($first: Int) { chatSessions(first: $first) { edges { node { sessionId } } } }';

describe('/metrics', () => {
  it('counts HTTP requests, operations by name and outcome, errors by code, upstream calls', async () => {
    stack = await startStack({
      metrics: true,
      // Named operations get their label at once (without the list, after 10 sightings).
      env: { METRICS_OPERATION_NAMES: 'Recent,One,Broken' },
    });
    const ok = await stack.graphql<{
      chatSessions: { edges: Array<{ node: { sessionId: string } }> };
    }>(RECENT, { first: 60 }, { authorization: 'Bearer caller-key-in-metrics-test' });
    expect(ok.body.errors).toBeUndefined();
    const first = ok.body.data!.chatSessions.edges[0]!.node.sessionId;
    const one = await stack.graphql(
      'query One($id: ID!) { chatSession(sessionId: $id) { events { type } } }',
      { id: first },
    );
    expect(one.body.errors).toBeUndefined();
    await stack.graphql('query Broken { chatSessions(first: -5) { edges { cursor } } }');
    await stack.graphql('{ chatSessions(');
    await fetch(`${stack.gateway.url}/health`);

    const { text, series } = await scrape(stack.gateway.metricsUrl);
    const s = (key: string) => series.get(key);

    expect(s('gateway_http_requests_total{method="POST",route="/graphql",status="200"}')).toBe(4);
    expect(s('gateway_http_requests_total{method="GET",route="/health",status="200"}')).toBe(1);
    expect(
      s('gateway_http_request_duration_seconds_count{method="POST",route="/graphql",status="200"}'),
    ).toBe(4);
    // The scrape has its own listener: it is not a gateway request.
    expect(s('gateway_http_requests_in_flight')).toBe(0);

    expect(
      s(
        'gateway_graphql_operations_total{operation_name="Recent",operation_type="query",outcome="success"}',
      ),
    ).toBe(1);
    expect(
      s(
        'gateway_graphql_operations_total{operation_name="Broken",operation_type="query",outcome="error"}',
      ),
    ).toBe(1);
    expect(
      s(
        'gateway_graphql_operations_total{operation_name="(unknown)",operation_type="(unknown)",outcome="invalid"}',
      ),
    ).toBe(1);
    expect(
      s(
        'gateway_graphql_operation_duration_seconds_count{operation_name="Recent",operation_type="query"}',
      ),
    ).toBe(1);
    expect(s('gateway_graphql_errors_total{code="BAD_USER_INPUT"}')).toBe(1);
    expect(s('gateway_graphql_errors_total{code="GRAPHQL_PARSE_FAILED"}')).toBe(1);

    // 60 sessions from an upstream that pages by 50: two calls to the list endpoint.
    expect(
      s('gateway_upstream_requests_total{endpoint="/api/v1/chat",status="200",outcome="ok"}'),
    ).toBe(2);
    expect(
      s('gateway_upstream_request_duration_seconds_count{endpoint="/api/v1/chat",status="200"}'),
    ).toBe(2);
    expect(
      s(
        'gateway_upstream_request_duration_seconds_bucket{le="+Inf",endpoint="/api/v1/chat",status="200"}',
      ),
    ).toBe(2);
    // Lookups are labelled by the endpoint's template, never by the session id in the path.
    for (const endpoint of ['/api/v1/chat/{session_id}/summary', '/api/v1/chat/{session_id}']) {
      expect(
        s(`gateway_upstream_requests_total{endpoint="${endpoint}",status="200",outcome="ok"}`),
      ).toBe(1);
    }
    // Default process metrics come along.
    expect(s('gateway_process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);

    // Nothing identifying: no key, no session id.
    const sessionIds = ok.body.data!.chatSessions.edges.map((e) => e.node.sessionId);
    expect(sessionIds).toHaveLength(60);
    for (const secret of [SERVER_KEY, 'caller-key-in-metrics-test', ...sessionIds]) {
      expect(text).not.toContain(secret);
    }
  });

  it('counts retries and failed attempts by status', async () => {
    upstream = await startScriptedUpstream((index) =>
      index === 0 ? { status: 503 } : { status: 200, body: sessionsPage(2) },
    );
    stack = await startStack({ metrics: true, env: { LLAMA_CLOUD_BASE_URL: upstream.url } });
    const res = await stack.graphql(RECENT, { first: 2 });
    expect(res.body.errors).toBeUndefined();
    expect(upstream.requests).toHaveLength(2);

    const { series } = await scrape(stack.gateway.metricsUrl);
    expect(
      series.get(
        'gateway_upstream_requests_total{endpoint="/api/v1/chat",status="503",outcome="http_error"}',
      ),
    ).toBe(1);
    expect(
      series.get(
        'gateway_upstream_requests_total{endpoint="/api/v1/chat",status="200",outcome="ok"}',
      ),
    ).toBe(1);
    expect(series.get('gateway_upstream_retries_total{endpoint="/api/v1/chat"}')).toBe(1);
  });

  it('caps the distinct operation names it keeps as label values', () => {
    const metrics = new Metrics({ inFlight: () => 0 });
    const label = (name: string) => metrics.operationLabel({ name, type: 'query' });
    for (let i = 0; i < MAX_OPERATION_NAMES; i++) {
      // A name is a label from its MIN_OPERATION_COUNT-th operation on.
      for (let seen = 1; seen < MIN_OPERATION_COUNT; seen++)
        expect(label(`Op${i}`)).toBe('(other)');
      expect(label(`Op${i}`)).toBe(`Op${i}`);
    }
    for (let seen = 0; seen < 2 * MIN_OPERATION_COUNT; seen++) {
      expect(label('OneTooMany')).toBe('(other)');
    }
    expect(metrics.operationLabel({ name: 'Op0', type: 'query' })).toBe('Op0');
    expect(metrics.operationLabel({ name: undefined, type: 'query' })).toBe('(anonymous)');
    expect(metrics.operationLabel(undefined)).toBe('(unknown)');
  });
});
