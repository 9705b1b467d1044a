/**
 * A request id on every answer: the caller's `x-request-id` when it is safe to echo, else a
 * fresh UUID. It goes upstream (src/context.ts), into `extensions.requestId` of every error
 * and into the `x-request-id` response header, so a client report can be matched to logs.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const ids = new WeakMap<Request, string>();
/** Echoed into headers and JSON: no spaces, quotes or control characters. */
const SAFE_ID = /^[\w.:-]{1,128}$/;

export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (id === undefined) {
    const given = request.headers.get('x-request-id');
    id = given && SAFE_ID.test(given) ? given : randomUUID();
    ids.set(request, id);
  }
  return id;
}

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
      const id = requestIdOf(request);
      setResult(Array.isArray(result) ? result.map((r) => tag(r, id)) : tag(result, id));
    },
    onResponse({ request, response }) {
      response.headers.set('x-request-id', requestIdOf(request));
    },
  };
}
