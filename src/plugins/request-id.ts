/**
 * Returns `x-request-id` on every response (GraphQL, health, metrics, errors) and puts it into
 * `extensions.requestId` of every GraphQL error, so a client report can be matched to logs. The
 * id itself is decided once, when the request record is created (src/observability/trace.ts).
 */
import { GraphQLError } from 'graphql';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { requestRecord } from '../observability/request-record.js';
import { REQUEST_ID_HEADER } from '../observability/trace.js';

type AnyError = GraphQLError | GraphQLFormattedError;

/** A copy, not a mutation: Yoga caches parse/validation errors and shares them between requests. */
function withRequestId(error: AnyError, requestId: string): AnyError {
  const extensions = { ...error.extensions, requestId };
  if (!(error instanceof GraphQLError)) return { ...error, extensions };
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

function tag<R extends ExecutionResult>(result: R, requestId: string): R {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map((e) => withRequestId(e, requestId)) };
}

export function useRequestId(): Plugin {
  return {
    onResultProcess({ request, result, setResult }) {
      // Streams (@defer, subscriptions) are not offered by this schema.
      if (Symbol.asyncIterator in result) return;
      const { requestId } = requestRecord(request);
      setResult(
        Array.isArray(result) ? result.map((r) => tag(r, requestId)) : tag(result, requestId),
      );
    },
    onResponse({ request, response }) {
      response.headers.set(REQUEST_ID_HEADER, requestRecord(request).requestId);
    },
  };
}
