/**
 * startGateway: serves the Yoga app (src/app.ts) over node:http. This module owns the process's
 * HTTP life: listening, connection limits, in-flight requests, readiness, draining and shutdown,
 * and the separate /metrics listener; in sandbox mode it also runs the embedded sandbox
 * upstream. No GraphQL here.
 */
import { createServer } from 'node:http';
import type { RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createGatewayApp, GRAPHQL_ENDPOINT } from './app.js';
import type { GatewayApp } from './app.js';
import { createCallerAuthenticator } from './auth/verify.js';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { METRICS_ENDPOINT, Metrics, metricsHandler } from './plugins/metrics.js';
import { closeRedis, createRedis } from './redis.js';
import type { Redis } from './redis.js';
import { startSandbox } from './sandbox/server.js';
import { StreamRegistry } from './streams/registry.js';
import type { StreamReport } from './streams/registry.js';
import { serveGraphQLOverWebSocket } from './transport/graphql-ws.js';
import type { Sandbox } from './sandbox/server.js';
import { UpstreamClient } from './upstream/client.js';
import type { UpstreamClientOptions } from './upstream/client.js';
import { USER_AGENT } from './version.js';

export interface GatewayOptions {
  /** Overrides of the upstream client's internals (tests shorten back-off). */
  upstream?: Partial<Pick<UpstreamClientOptions, 'retryBaseDelayMs' | 'connections'>>;
  /** Where logs go (default: a pino logger on stdout at LOG_LEVEL). */
  logger?: Logger;
  /**
   * Tests: serve /metrics on this port instead of METRICS_PORT; here 0 means any free port
   * (METRICS_PORT=0 turns the listener off).
   */
  metricsPort?: number;
  /** Tests: a Redis client to use instead of one made from REDIS_URL (its owner closes it). */
  redis?: Redis;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  /** e.g. http://127.0.0.1:9464/metrics; undefined when METRICS_PORT=0. */
  metricsUrl: string | undefined;
  /** The embedded sandbox, in sandbox mode. */
  sandbox: Sandbox | undefined;
  server: Server;
  /** The /metrics listener, when there is one. */
  metricsServer: Server | undefined;
  app: GatewayApp;
  logger: Logger;
  metrics: Metrics;
  /** HTTP requests being served right now. */
  inFlight(): number;
  /** Chat-turn streams open right now (SSE and graphql-ws). */
  streams: StreamRegistry;
  /** The Redis connection (REDIS_URL), closed by `close`; undefined without REDIS_URL. */
  redis: Redis | undefined;
  /**
   * Graceful shutdown: readiness goes false, the listener closes, in-flight requests and open
   * streams get up to `timeoutMs` (default SHUTDOWN_TIMEOUT_MS) to finish; streams still open
   * are then ended with SHUTTING_DOWN and the remaining connections cut; then the upstream pool
   * (and the embedded sandbox) close. Resolves with what happened.
   */
  close(timeoutMs?: number): Promise<CloseResult>;
}

export interface CloseResult {
  /** True when every in-flight request finished within the timeout. */
  drained: boolean;
  /** Requests still running when the timeout cut their connections. */
  abandoned: number;
  /** Streams ended with SHUTTING_DOWN when the timeout passed. */
  streamsEnded: number;
}

/** Upstream requests still open after the drain are cut after this long (they have no reader). */
const POOL_CLOSE_GRACE_MS = 1_000;
/** Time for a stream ended at shutdown to send its SHUTTING_DOWN error and close. */
const STREAM_END_GRACE_MS = 1_000;

/**
 * How often node:http enforces headersTimeout and requestTimeout. Its default, 30 s, would let a
 * connection outlive either timeout by up to 30 s.
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;
/** Prometheus holds one or two connections; the metrics listener needs no more than this. */
const METRICS_MAX_CONNECTIONS = 16;

interface ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

/**
 * A node:http server that bounds what a client can hold without sending a request:
 *  - headers must arrive within headersTimeout and the whole request (body included) within
 *    requestTimeout, or the connection gets a 408 and closes (checked every second). Once the
 *    request is in, neither applies: a response may take as long as it takes (a slow upstream,
 *    a long-lived stream), and there is no inactivity timeout on a response in progress
 *    (server.timeout stays 0);
 *  - a connection is closed when it stays silent for idleTimeout: before its first request (a
 *    socket that never sends a byte) and between requests (keep-alive; node adds one second).
 *    (Node 20's headersTimeout covers a silent new socket too, with a 408: idleTimeout only
 *    closes it sooner, quietly);
 *  - connections beyond maxConnections are closed as they arrive.
 */
function createLimitedServer(limits: ConnectionLimits, handler: RequestListener): Server {
  const server = createServer(
    { connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS },
    handler,
  );
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // Before the first request: node's own idle handling starts after a response, so arm the
  // socket's idle timer here (node destroys a socket that times out with no request on it) and
  // disarm it when the first request arrives. Bytes of a request in progress keep it alive.
  const awaitingFirstRequest = new WeakSet<Socket>();
  server.on('connection', (socket: Socket) => {
    socket.setTimeout(limits.idleTimeoutMs);
    awaitingFirstRequest.add(socket);
  });
  server.on('request', (req) => {
    if (awaitingFirstRequest.delete(req.socket)) req.socket.setTimeout(0);
  });
  return server;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function baseUrlOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const sandbox = config.upstream.kind === 'sandbox' ? await startSandbox() : undefined;
  const baseUrl = config.upstream.kind === 'sandbox' ? sandbox!.url : config.upstream.baseUrl;

  // In-flight requests, tracked at the HTTP layer: from the request's arrival until its response
  // is fully written or its connection closes. Readiness derives from `state`.
  const live = new Set<ServerResponse>();
  let state: 'starting' | 'listening' | 'draining' = 'starting';
  let onIdle: (() => void) | undefined;

  const streams: StreamRegistry = new StreamRegistry({
    maxStreams: config.maxConcurrentStreams,
    maxStreamsPerCaller: config.maxStreamsPerCaller,
    onClose: (report) => reportStream(report),
  });
  const metrics = new Metrics({
    inFlight: () => live.size,
    operationNames: config.metricsOperationNames,
    openStreams: () => streams.size,
  });
  /** One log line and the stream metrics per chat turn; never the prompt. */
  function reportStream(report: StreamReport): void {
    metrics.observeStream(report);
    logger.info(
      { ...report, durationMs: Math.round(report.durationMs * 10) / 10 },
      'chat turn stream',
    );
  }
  const client = new UpstreamClient({
    baseUrl,
    timeoutMs: config.upstreamTimeoutMs,
    maxRetries: config.upstreamMaxRetries,
    userAgent: USER_AGENT,
    onAttempt: (event) => metrics.observeUpstream(event),
    ...options.upstream,
  });
  // Connects in the background: start-up never waits for Redis (src/redis.ts).
  const ownRedis =
    !options.redis && config.redisUrl ? createRedis(config.redisUrl, logger) : undefined;
  const redis = options.redis ?? ownRedis;
  // One per process: the issuer's keys are fetched and cached once for HTTP and WebSocket.
  const authenticator = config.auth && createCallerAuthenticator(config.auth, logger);
  const app = createGatewayApp(config, {
    client,
    logger,
    metrics,
    isReady: () => state === 'listening',
    streams,
    redis,
    authenticator,
  });

  const limits: ConnectionLimits = {
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    idleTimeoutMs: config.httpIdleTimeoutMs,
    maxConnections: config.maxConnections,
  };
  const server = createLimitedServer(limits, (req, res) => {
    live.add(res);
    res.once('close', () => {
      live.delete(res);
      if (state !== 'draining') return;
      // The connection this answer used is idle now: close it rather than keep it alive.
      setImmediate(() => server.closeIdleConnections());
      if (live.size === 0) onIdle?.();
    });
    // While draining, every answer closes its connection behind it.
    if (state === 'draining') res.setHeader('connection', 'close');
    void app(req, res);
  });
  // /metrics on its own listener (METRICS_HOST:METRICS_PORT), never on the public port.
  const metricsPort = options.metricsPort ?? (config.metricsPort || undefined);
  const metricsServer =
    metricsPort === undefined
      ? undefined
      : createLimitedServer(
          { ...limits, maxConnections: METRICS_MAX_CONNECTIONS },
          metricsHandler(metrics),
        );
  const webSockets = serveGraphQLOverWebSocket({
    server,
    app,
    path: GRAPHQL_ENDPOINT,
    allowedHosts: config.allowedHosts,
    corsOrigins: config.corsOrigins,
    authenticator,
  });
  if (metricsServer) await listen(metricsServer, metricsPort!, config.metricsHost);
  try {
    await listen(server, config.port, config.host);
  } catch (error) {
    metricsServer?.close();
    if (ownRedis) await closeRedis(ownRedis);
    throw error;
  }
  state = 'listening';

  /** Resolves true when every in-flight request has finished, false after `timeoutMs`. */
  function drain(timeoutMs: number): Promise<boolean> {
    if (live.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      onIdle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  async function shutdown(timeoutMs: number): Promise<CloseResult> {
    state = 'draining';
    for (const res of live) if (!res.headersSent) res.setHeader('connection', 'close');
    // Stop accepting connections; idle keep-alive connections close now.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Streams (SSE responses among them) get the same time, then end with SHUTTING_DOWN, which
    // ends their responses: the HTTP drain waits for that too.
    const openStreams = streams.size;
    const [{ ended: streamsEnded }, drained] = await Promise.all([
      streams.drain(timeoutMs, STREAM_END_GRACE_MS),
      drain(openStreams > 0 ? timeoutMs + STREAM_END_GRACE_MS : timeoutMs),
    ]);
    const abandoned = drained ? 0 : live.size;
    await webSockets.close();
    // Whatever is left (cut requests, a keep-alive socket that went idle meanwhile) goes now,
    // so closing never waits for a client's keep-alive timeout.
    server.closeAllConnections();
    await closed;
    // Last: a final scrape during the drain still sees the drain's requests counted.
    if (metricsServer) {
      const metricsClosed = new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      metricsServer.closeAllConnections();
      await metricsClosed;
    }
    await client.close(POOL_CLOSE_GRACE_MS);
    await sandbox?.close();
    await app.dispose();
    // After the app: nothing runs an operation any more.
    if (ownRedis) await closeRedis(ownRedis);
    return { drained, abandoned, streamsEnded };
  }

  let closing: Promise<CloseResult> | undefined;
  return {
    url: baseUrlOf(server),
    metricsUrl: metricsServer && `${baseUrlOf(metricsServer)}${METRICS_ENDPOINT}`,
    sandbox,
    server,
    metricsServer,
    app,
    logger,
    metrics,
    inFlight: () => live.size,
    streams,
    redis,
    close(timeoutMs = config.shutdownTimeoutMs) {
      closing ??= shutdown(timeoutMs);
      return closing;
    },
  };
}
