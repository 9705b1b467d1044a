/**
 * RATE_LIMIT per caller (src/limits/): each operation, over HTTP, SSE or graphql-ws, is counted
 * once when it starts executing (onExecute, onSubscribe), after parsing and validation and before
 * any resolver, so a refused operation makes no upstream call. Refused: RATE_LIMITED with
 * `retryAfterSeconds`; over HTTP also status 429 and a `Retry-After` header (Yoga applies and
 * strips `extensions.http`; graphql-ws has no response to put them on).
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.js';
import { ErrorCode, gatewayError } from '../errors.js';
import { callerKey } from '../limits/caller.js';
import type { CallerRateLimiter } from '../limits/rate-limiter.js';

export interface RateLimitOptions {
  limiter: CallerRateLimiter;
}

export function useRateLimit({ limiter }: RateLimitOptions): Plugin {
  async function check(context: unknown): Promise<ExecutionResult | undefined> {
    const ctx = context as GatewayContext;
    const decision = await limiter.take(callerKey(ctx));
    if (decision.allowed) return undefined;
    const { retryAfterSeconds } = decision;
    const http =
      ctx.transport === 'graphql-ws'
        ? {}
        : { http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } } };
    return {
      errors: [
        gatewayError(
          ErrorCode.RATE_LIMITED,
          `Too many operations from this caller (RATE_LIMIT); try again in ${retryAfterSeconds} s.`,
          { retryAfterSeconds, ...http },
        ),
      ],
    };
  }
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const refused = await check(args.contextValue);
      if (refused) setResultAndStopExecution(refused);
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const refused = await check(args.contextValue);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}
