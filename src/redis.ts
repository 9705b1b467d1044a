/**
 * The process's one Redis connection (REDIS_URL), shared by everything that keeps state across
 * replicas: the rate-limit counters (src/limits/rate-limiter.ts) and any other store that needs
 * one (take it from `GatewayAppDeps.redis`, never open a second connection). See
 * docs/architecture.md, "Rate limits and shared state".
 *
 * Redis is an optimisation of limits, never a dependency of serving:
 * - start-up does not wait for it (the connection is made in the background);
 * - no command waits for a connection: the offline queue is off, so a command sent while Redis is
 *   away fails at once, and one that gets no answer fails after COMMAND_TIMEOUT_MS; callers fall
 *   back (the rate limiter to its in-process limiter);
 * - it reconnects forever, at most RECONNECT_MAX_MS apart;
 * - an outage is logged once (warn) when it starts and once (info) when Redis is back, not per
 *   failed command or reconnection attempt.
 * The URL is never logged (it may carry a password): only host, port and database.
 */
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export type { Redis } from 'ioredis';

/** A connection attempt that takes longer than this fails (and is retried). */
const CONNECT_TIMEOUT_MS = 1_000;
/** A command Redis does not answer within this fails; callers fall back rather than wait. */
const COMMAND_TIMEOUT_MS = 500;
/** Reconnection back-off: 100 ms, 200 ms, … capped here, for as long as it takes. */
const RECONNECT_MAX_MS = 2_000;

export const REDIS_UNAVAILABLE_MESSAGE =
  'redis unavailable: shared limits fall back to per-process limits until it returns';
export const REDIS_RESTORED_MESSAGE = 'redis reachable again: limits are shared again';

/** `host:port/db` of a Redis URL, without user or password. */
export function describeRedisUrl(url: string): string {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '') || '0';
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}/${db}`;
}

const closing = new WeakSet<Redis>();

/** The Redis client for REDIS_URL; connects in the background and never blocks a caller. */
export function createRedis(url: string, logger: Logger): Redis {
  const log = logger.child({ component: 'redis', redis: describeRedisUrl(url) });
  const password = decodeURIComponent(new URL(url).password);
  /** An error message as logged: never the password, should a message ever carry it. */
  const safe = (message: string) =>
    password ? message.split(password).join('[redacted]') : message;

  const redis = new Redis(url, {
    // Connect now, in the background: start-up never waits, and the first request finds a
    // connection when Redis is there.
    lazyConnect: false,
    enableOfflineQueue: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // Commands in flight when the connection drops fail at once rather than wait for it to return.
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_MS),
  });

  let state: 'connecting' | 'up' | 'down' = 'connecting';
  function down(reason: string): void {
    if (closing.has(redis) || state === 'down') return;
    state = 'down';
    log.warn({ reason: safe(reason) }, REDIS_UNAVAILABLE_MESSAGE);
  }
  redis.on('ready', () => {
    if (state === 'down') log.info(REDIS_RESTORED_MESSAGE);
    else log.info('redis connected: limits are shared');
    state = 'up';
  });
  // ioredis emits an error per failed attempt: without a listener each would be printed.
  redis.on('error', (error: Error) => down(error.message));
  redis.on('close', () => down('connection closed'));
  return redis;
}

/** Closes the connection on shutdown: QUIT when connected, else drop it (no reconnection). */
export async function closeRedis(redis: Redis): Promise<void> {
  closing.add(redis);
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through: no answer to QUIT
    }
  }
  redis.disconnect();
}
