/**
 * createGateway(config): Yoga + plugins + node:http. No business logic here.
 */
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga } from 'graphql-yoga';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { createContextFactory } from './context.js';
import type { RequestContext } from './context.js';
import { graphiqlOptions, renderLocalGraphiQL } from './graphiql.js';
import { createLogger, yogaLogger } from './logger.js';
import type { Logger } from './logger.js';
import { corsOptions, useVaryOrigin } from './plugins/cors.js';
import { useRequestLogging } from './plugins/logging.js';
import { METRICS_ENDPOINT, Metrics } from './plugins/metrics.js';
import { HEALTH_ENDPOINT, READINESS_ENDPOINT, Readiness } from './plugins/readiness.js';
import { useJitExecution } from './plugins/jit.js';
import { useRequestBodyLimit } from './plugins/body-limit.js';
import { useQueryLimits } from './plugins/query-limits.js';
import { useRequestId } from './plugins/request-id.js';
import { startSandbox } from './sandbox/server.js';
import type { Sandbox } from './sandbox/server.js';
import { buildSchema } from './schema/index.js';
import { UpstreamClient } from './upstream/client.js';
import type { UpstreamClientOptions } from './upstream/client.js';
import { USER_AGENT } from './version.js';

export interface GatewayOptions {
  /** Overrides of the upstream client's internals (tests shorten back-off). */
  upstream?: Partial<Omit<UpstreamClientOptions, 'baseUrl'>>;
  /** Where logs go (default: a pino logger on stdout at LOG_LEVEL). */
  logger?: Logger;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  /** The embedded sandbox, in sandbox mode. */
  sandbox: Sandbox | undefined;
  server: Server;
  yoga: YogaServerInstance<Record<string, unknown>, RequestContext>;
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  /** HTTP requests being served right now. */
  inFlight(): number;
  /**
   * Graceful shutdown: readiness goes false, the listener closes, in-flight requests get up to
   * `timeoutMs` (default SHUTDOWN_TIMEOUT_MS) to finish before their connections are cut, then
   * the upstream pool (and the embedded sandbox) close. Resolves with what happened.
   */
  close(timeoutMs?: number): Promise<CloseResult>;
}

export interface CloseResult {
  /** True when every in-flight request finished within the timeout. */
  drained: boolean;
  /** Requests still running when the timeout cut their connections. */
  abandoned: number;
}

export interface GatewayPlugins {
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
}

const GRAPHQL_ENDPOINT = '/graphql';
/** Every path the gateway serves (anything else is metric route "other"). */
const ROUTES = [GRAPHQL_ENDPOINT, HEALTH_ENDPOINT, READINESS_ENDPOINT, METRICS_ENDPOINT];

/**
 * The Yoga instance alone (no HTTP server). Without `ops`, it logs at LOG_LEVEL, keeps its own
 * metrics and reports ready.
 */
export function createGatewayYoga(
  config: Config,
  client: UpstreamClient,
  ops: Partial<GatewayPlugins> = {},
) {
  const logger = ops.logger ?? createLogger(config.logLevel);
  const metrics = ops.metrics ?? new Metrics({ routes: ROUTES, inFlight: () => 0 });
  const readiness = ops.readiness ?? new Readiness(true);
  return createYoga<Record<string, unknown>, RequestContext>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    healthCheckEndpoint: HEALTH_ENDPOINT,
    landingPage: false,
    graphiql: graphiqlOptions,
    renderGraphiQL: renderLocalGraphiQL,
    logging: yogaLogger(logger),
    cors: corsOptions(config.corsOrigins),
    // Replaced by useRequestBodyLimit (same cap and answer, cheaper): see src/plugins/body-limit.ts.
    maxRequestBodySize: false,
    // Never attach stacks or original messages, whatever NODE_ENV says.
    maskedErrors: { isDev: false },
    plugins: [
      useRequestBodyLimit(),
      useQueryLimits(),
      useJitExecution(logger),
      useRequestId(),
      readiness.plugin(),
      metrics.plugin(),
      useRequestLogging(logger),
      useVaryOrigin(config.corsOrigins),
    ],
    context: createContextFactory({
      config,
      client,
      credentialRequired: config.upstream.kind !== 'sandbox',
    }),
  });
}

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const sandbox = config.upstream.kind === 'sandbox' ? await startSandbox() : undefined;
  const baseUrl = sandbox ? sandbox.url : (config.upstream as { baseUrl: string }).baseUrl;
  const client = new UpstreamClient({
    baseUrl,
    timeoutMs: config.upstreamTimeoutMs,
    maxRetries: config.upstreamMaxRetries,
    userAgent: USER_AGENT,
    ...options.upstream,
  });

  // In-flight requests, tracked at the HTTP layer: from the request's arrival until its response
  // is fully written or its connection closes.
  const live = new Set<ServerResponse>();
  let draining = false;
  let onIdle: (() => void) | undefined;
  const readiness = new Readiness();
  const metrics = new Metrics({ routes: ROUTES, inFlight: () => live.size });
  client.onAttempt = (event) => metrics.observeUpstream(event);

  const yoga = createGatewayYoga(config, client, { logger, metrics, readiness });
  const server = createServer((req, res) => {
    live.add(res);
    res.once('close', () => {
      live.delete(res);
      if (!draining) return;
      // The connection this answer used is idle now: close it rather than keep it alive.
      setImmediate(() => server.closeIdleConnections());
      if (live.size === 0) onIdle?.();
    });
    // While draining, every answer closes its connection behind it.
    if (draining) res.setHeader('connection', 'close');
    void yoga(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  readiness.markReady();
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  let closing: Promise<CloseResult> | undefined;
  async function shutdown(timeoutMs: number): Promise<CloseResult> {
    readiness.markDraining();
    draining = true;
    for (const res of live) if (!res.headersSent) res.setHeader('connection', 'close');
    // Stop accepting connections; idle keep-alive connections close now.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let drained = true;
    let abandoned = 0;
    if (live.size > 0) {
      drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        onIdle = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      if (!drained) {
        abandoned = live.size;
        server.closeAllConnections();
      }
    }
    await closed;
    await client.close();
    await sandbox?.close();
    await yoga.dispose();
    return { drained, abandoned };
  }

  return {
    url: `http://${host}:${port}`,
    sandbox,
    server,
    yoga,
    logger,
    metrics,
    readiness,
    inFlight: () => live.size,
    close(timeoutMs = config.shutdownTimeoutMs) {
      closing ??= shutdown(timeoutMs);
      return closing;
    },
  };
}
