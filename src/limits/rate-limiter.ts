/**
 * RATE_LIMIT per caller (src/limits/caller.ts): a fixed window of `requests` operations per
 * `windowSeconds`, counted by rate-limiter-flexible.
 *
 * With Redis (REDIS_URL) the counters live there, so every replica counts against one limit.
 * Redis is never needed to serve: while it is away (not connected, or not answering within the
 * client's command timeout) each replica counts in its own memory against the same limit (the
 * `insuranceLimiter`): the gateway fails open to local limits. A brief over-allowance (up to one
 * limit per replica for the outage) is the price; refusing every read, or allowing everything,
 * would be worse. When Redis returns, counting is shared again (its counters start afresh if it
 * lost them). See docs/architecture.md, "Rate limits and shared state".
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract, RateLimiterStoreAbstract } from 'rate-limiter-flexible';
import type { RateLimit } from '../config.js';
import type { Redis } from '../redis.js';
import type { CallerKey } from './caller.js';

/** Redis keys are `gw:rl:<caller key>` (e.g. `gw:rl:key:3f9a…`). */
export const RATE_LIMIT_KEY_PREFIX = 'gw:rl';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface CallerRateLimiter {
  /** Counts one operation for `caller` and says whether it may run. */
  take(caller: CallerKey): Promise<RateDecision>;
}

export function createRateLimiter(limit: RateLimit, redis?: Redis): CallerRateLimiter {
  const options = {
    keyPrefix: RATE_LIMIT_KEY_PREFIX,
    points: limit.requests,
    duration: limit.windowSeconds,
  };
  const memory = new RateLimiterMemory(options);
  const limiter: RateLimiterAbstract | RateLimiterStoreAbstract = redis
    ? new RateLimiterRedis({
        ...options,
        storeClient: redis,
        // Not connected: straight to the in-process limiter, no waiting.
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      })
    : memory;
  return {
    async take(caller) {
      try {
        await limiter.consume(caller);
        return { allowed: true };
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          return {
            allowed: false,
            retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
          };
        }
        // Neither store answered (the memory limiter does not fail): fail open.
        return { allowed: true };
      }
    },
  };
}
