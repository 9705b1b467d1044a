/**
 * Returns `x-request-id` on every response (GraphQL, health, metrics, errors) and puts it into
 * `extensions.requestId` of every GraphQL error, so a client report can be matched to logs. The
 * id itself is decided once, when the request record is created (src/observability/trace.ts).
 */
import { GraphQLError } from 'graphql';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import { mapAsyncIterator } from 'graphql-yoga';
import type { Plugin } from 'graphql-yoga';
import { maskError } from '../errors.js';
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

/** One payload of a stream (subscription, @defer/@stream): its errors and its increments' errors. */
function tagPayload<R extends ExecutionResult>(payload: R, requestId: string): R {
  const tagged = tag(payload, requestId);
  const incremental = (tagged as { incremental?: ExecutionResult[] }).incremental;
  if (!Array.isArray(incremental)) return tagged;
  // Yoga's error masking (the boundary, src/errors.ts) sees only a payload's top-level `errors`,
  // not those of its `incremental` parts: without this, a deferred field's domain error reached
  // the client raw (no code, the internal message). Masked here, then tagged.
  const masked = (part: ExecutionResult): ExecutionResult =>
    part.errors?.length
      ? {
          ...part,
          errors: part.errors.map((e) =>
            e.extensions?.code ? e : (maskError(e, 'Unexpected error.', false) as GraphQLError),
          ),
        }
      : part;
  return { ...tagged, incremental: incremental.map((part) => tag(masked(part), requestId)) };
}

export function useRequestId(): Plugin {
  return {
    onResultProcess({ request, result, setResult }) {
      const { requestId } = requestRecord(request);
      // Streams (subscriptions over SSE, @defer/@stream): each payload as it passes.
      if (Symbol.asyncIterator in result) {
        setResult(mapAsyncIterator(result, (payload) => tagPayload(payload, requestId)));
        return;
      }
      setResult(
        Array.isArray(result) ? result.map((r) => tag(r, requestId)) : tag(result, requestId),
      );
    },
    onResponse({ request, response }) {
      response.headers.set(REQUEST_ID_HEADER, requestRecord(request).requestId);
    },
  };
}
