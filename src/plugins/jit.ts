/**
 * Executes operations with graphql-jit: each distinct document is compiled once to a plain JS
 * function (cached alongside Yoga's parse/validate cache). Measured in bench/README.md: it is the
 * largest single CPU saving on the request path. Documents graphql-jit cannot compile fall back
 * to an error result, logged here; none of this schema's do (the whole suite runs under JIT).
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import type { Logger } from '../logger.js';

export function useJitExecution(logger: Logger) {
  return useGraphQlJit(
    {},
    {
      onError: (result) =>
        logger.error({ errors: result.errors }, 'graphql-jit could not compile an operation'),
    },
  );
}
