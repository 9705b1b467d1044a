/**
 * The execution deadline (EXECUTION_TIMEOUT_MS): an operation still running after it ends with
 * EXECUTION_TIMEOUT, and its upstream calls are aborted. Upstream deadlines bound each call; this
 * bounds the operation, whatever it waits on. Listed after graphql-jit, so it wraps the executor
 * that actually runs.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.js';
import { ErrorCode, gatewayError } from '../errors.js';

export interface ExecutionDeadlineOptions {
  timeoutMs: number;
}

export function useExecutionDeadline({ timeoutMs }: ExecutionDeadlineOptions): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<ExecutionResult>((resolve) => {
          timer = setTimeout(() => {
            (args.contextValue as Partial<GatewayContext>).cancel?.();
            resolve({
              data: null,
              errors: [
                gatewayError(
                  ErrorCode.EXECUTION_TIMEOUT,
                  `The operation did not finish within ${timeoutMs} ms (EXECUTION_TIMEOUT_MS).`,
                  { timeoutMs },
                ),
              ],
            });
          }, timeoutMs);
        });
        const work = Promise.resolve(executeFn(args));
        return Promise.race([work, late]).finally(() => clearTimeout(timer));
      });
    },
  };
}
