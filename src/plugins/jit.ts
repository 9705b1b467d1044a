/**
 * Executes operations with graphql-jit: each distinct document is compiled once to a plain JS
 * function (cached alongside Yoga's parse/validate cache). Measured in bench/README.md: it is the
 * largest single CPU saving on the request path. Documents graphql-jit cannot compile fall back
 * to an error result, logged here; none of this schema's do (the whole suite runs under JIT).
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { getOperationAST } from 'graphql';
import type { Logger } from '../logger.js';

export function useJitExecution(logger: Logger) {
  return useGraphQlJit(
    {},
    {
      // Subscriptions run on graphql-js: graphql-jit's compiled subscribe hands the operation's
      // variables to the subscription field as its arguments (chatTurn saw `{ id }` instead of
      // `{ sessionId, prompt }`). A subscription is compiled once per stream, not per item, so
      // nothing is lost.
      enableIf: ({ document, operationName }) =>
        getOperationAST(document, operationName)?.operation !== 'subscription',
      onError: (result) =>
        logger.error({ errors: result.errors }, 'graphql-jit could not compile an operation'),
    },
  );
}
