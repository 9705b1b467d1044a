/**
 * Prometheus metrics (prom-client) in the text exposition format, served by their own listener
 * (METRICS_PORT, src/server.ts; never on the GraphQL port) through `metricsHandler`.
 *
 * Every label has a bounded set of values: routes and upstream endpoints are fixed templates
 * (the Chat API layer names each endpoint it calls; a session id never becomes a label), status
 * codes are HTTP codes, error codes come from the gateway's own table (src/observability/
 * operation.ts), and operation names — chosen by clients — must earn their label
 * (src/observability/operation-labels.ts). No header, key or argument value is ever a label.
 */
import type { RequestListener } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Plugin } from 'graphql-yoga';
import type { OperationInfo } from '../observability/operation.js';
import { OperationLabels } from '../observability/operation-labels.js';
import { pathnameOf, requestRecord } from '../observability/request-record.js';
import type { StreamReport } from '../streams/registry.js';
import type { AttemptEvent } from '../upstream/client.js';

export { MAX_OPERATION_NAMES, MIN_OPERATION_COUNT } from '../observability/operation-labels.js';

export const METRICS_ENDPOINT = '/metrics';

/** Chat turns take seconds to minutes. */
const STREAM_DURATION_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const HTTP_METHODS = new Set(['GET', 'POST', 'OPTIONS', 'HEAD']);

export interface MetricsOptions {
  /** HTTP requests being served right now (tracked by the HTTP server, see server.ts). */
  inFlight: () => number;
  /** METRICS_OPERATION_NAMES: when set, the only operation names that become labels. */
  operationNames?: readonly string[] | undefined;
  /** Chat-turn streams open right now (src/streams/registry.ts). */
  openStreams?: () => number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly #operationLabels: OperationLabels;

  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly operations: Counter<'operation_name' | 'operation_type' | 'outcome'>;
  readonly operationDuration: Histogram<'operation_name' | 'operation_type'>;
  readonly errors: Counter<'code'>;
  readonly upstreamRequests: Counter<'endpoint' | 'status' | 'outcome'>;
  readonly upstreamDuration: Histogram<'endpoint' | 'status'>;
  readonly upstreamRetries: Counter<'endpoint'>;
  readonly upstreamCoalesced: Counter<'endpoint'>;
  readonly streams: Counter<'transport' | 'outcome'>;
  readonly streamDuration: Histogram<'transport' | 'outcome'>;
  readonly streamEvents: Counter<'transport'>;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    this.#operationLabels = new OperationLabels({ allowList: options.operationNames });
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });

    this.httpRequests = new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP requests served, by method, route and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to sending its response headers.',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'gateway_http_requests_in_flight',
      help: 'HTTP requests being served right now.',
      registers,
      collect() {
        this.set(options.inFlight());
      },
    });
    this.operations = new Counter({
      name: 'gateway_graphql_operations_total',
      help: 'GraphQL operations, by name, type and outcome (success, error, invalid = rejected before execution).',
      labelNames: ['operation_name', 'operation_type', 'outcome'],
      registers,
    });
    this.operationDuration = new Histogram({
      name: 'gateway_graphql_operation_duration_seconds',
      help: 'Time to answer a GraphQL request, by operation name and type.',
      labelNames: ['operation_name', 'operation_type'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: 'gateway_graphql_errors_total',
      help: 'GraphQL requests whose result held errors with this extensions.code (one per code per request, however many errors).',
      labelNames: ['code'],
      registers,
    });
    this.upstreamRequests = new Counter({
      name: 'gateway_upstream_requests_total',
      help: 'HTTP attempts to the LlamaCloud API (retries included), by endpoint template, status and outcome.',
      labelNames: ['endpoint', 'status', 'outcome'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'gateway_upstream_request_duration_seconds',
      help: 'Latency of one HTTP attempt to the LlamaCloud API, by endpoint template and status.',
      labelNames: ['endpoint', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.upstreamRetries = new Counter({
      name: 'gateway_upstream_retries_total',
      help: 'Upstream attempts that were retries of an earlier failed attempt, by endpoint template.',
      labelNames: ['endpoint'],
      registers,
    });
    this.upstreamCoalesced = new Counter({
      name: 'gateway_upstream_coalesced_total',
      help: 'Upstream reads an operation did not send because it joined an identical read (same credential, path and query) already in flight, by endpoint template.',
      labelNames: ['endpoint'],
      registers,
    });
    this.streams = new Counter({
      name: 'gateway_chat_turn_streams_total',
      help: 'Chat-turn streams that ended, by transport (sse, graphql-ws) and outcome (completed, error, cancelled, shutdown).',
      labelNames: ['transport', 'outcome'],
      registers,
    });
    this.streamDuration = new Histogram({
      name: 'gateway_chat_turn_stream_duration_seconds',
      help: 'How long a chat-turn stream stayed open, by transport and outcome.',
      labelNames: ['transport', 'outcome'],
      buckets: STREAM_DURATION_BUCKETS,
      registers,
    });
    this.streamEvents = new Counter({
      name: 'gateway_chat_turn_events_total',
      help: 'Chat events passed on to subscribers, by transport.',
      labelNames: ['transport'],
      registers,
    });
    const openStreams = options.openStreams ?? (() => 0);
    new Gauge({
      name: 'gateway_chat_turn_streams_open',
      help: 'Chat-turn streams open right now.',
      registers,
      collect() {
        this.set(openStreams());
      },
    });
  }

  /** Hook for the stream registry: one report per chat-turn stream when it ends. */
  observeStream(report: StreamReport): void {
    const labels = { transport: report.transport, outcome: report.outcome };
    this.streams.inc(labels);
    this.streamDuration.observe(labels, report.durationMs / 1000);
    this.streamEvents.inc({ transport: report.transport }, report.events);
  }

  /** Hook for UpstreamClient.onAttempt. */
  observeUpstream(event: AttemptEvent): void {
    const { endpoint } = event;
    const status =
      event.status !== undefined && event.status >= 100 && event.status <= 599
        ? String(event.status)
        : 'none';
    this.upstreamRequests.inc({ endpoint, status, outcome: event.outcome });
    this.upstreamDuration.observe({ endpoint, status }, event.durationMs / 1000);
    if (event.attempt > 0) this.upstreamRetries.inc({ endpoint });
  }

  /** Hook for the read coalescer (src/upstream/coalesce.ts): one read joined in flight. */
  observeCoalesced(endpoint: string): void {
    this.upstreamCoalesced.inc({ endpoint });
  }

  /** The `operation_name` label of a validated operation (counts the sighting; see OperationLabels). */
  operationLabel(operation: OperationInfo | undefined): string {
    return this.#operationLabels.label(operation);
  }
}

/** The metrics listener's handler: GET (or HEAD) /metrics, 404 for any other path. */
export function metricsHandler(metrics: Metrics): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== METRICS_ENDPOINT) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, {
          'content-type': metrics.registry.contentType,
          'content-length': Buffer.byteLength(text),
        });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => res.writeHead(500).end(),
    );
  };
}

export interface MetricsPluginOptions {
  metrics: Metrics;
  /** Paths served by this gateway; anything else is counted as route "other". */
  routes: readonly string[];
}

/** Counts every request from its record when the response is ready. */
export function useMetrics({ metrics, routes }: MetricsPluginOptions): Plugin {
  const knownRoutes = new Set(routes);
  return {
    onResponse({ request, response }) {
      const record = requestRecord(request);
      const seconds = record.elapsedMs() / 1000;
      const pathname = pathnameOf(request);
      const http = {
        method: HTTP_METHODS.has(request.method) ? request.method : 'other',
        route: knownRoutes.has(pathname) ? pathname : 'other',
        status: String(response.status),
      };
      metrics.httpRequests.inc(http);
      metrics.httpDuration.observe(http, seconds);
      if (!record.graphql) return;

      // Only an operation that passed validation and ran has a name that may become a label.
      const operation = {
        operation_name: metrics.operationLabel(record.operation),
        operation_type: record.operation?.type ?? '(unknown)',
      };
      const codes = record.errorCodes;
      const outcome = !codes.size ? 'success' : record.operation ? 'error' : 'invalid';
      metrics.operations.inc({ ...operation, outcome });
      metrics.operationDuration.observe(operation, seconds);
      // One per distinct code (errorCodesOf keeps only well-formed codes, a bounded number).
      for (const code of codes.keys()) metrics.errors.inc({ code });
    },
  };
}
