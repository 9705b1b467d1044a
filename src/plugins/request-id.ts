/**
 * Request ids and trace context.
 *
 * - `x-request-id`: taken from the request when it is a sane token, else a new UUID; returned on
 *   every response and sent upstream, so one id follows a request through every log.
 * - W3C `traceparent` (and its companion `tracestate`): passed through to the upstream when the
 *   format is valid, dropped otherwise (a malformed one would only break the upstream's tracing).
 *
 * Both are computed once per Request and remembered in a WeakMap, so the context factory, the
 * log line, the response header and `extensions.requestId` of every error see the same values.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Word characters and a few separators, at most 200: safe to echo in a header, a log line and
 * JSON without escaping surprises (no spaces, quotes, angle brackets or control characters).
 */
const REQUEST_ID = /^[\w.:/+=@-]{1,200}$/;

/**
 * version "-" trace-id "-" parent-id "-" trace-flags, lower-case hex (W3C Trace Context §3.2).
 * Version ff is invalid; a future version may append fields after the flags.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** tracestate: list members of printable ASCII; 512 characters is the spec's minimum to keep. */
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

export interface RequestTrace {
  requestId: string;
  /** Headers to send upstream with every call made for this request. */
  upstreamHeaders: Record<string, string>;
}

const traces = new WeakMap<Request, RequestTrace>();

export function isValidTraceparent(value: string): boolean {
  const match = TRACEPARENT.exec(value);
  if (!match) return false;
  const [, version, traceId, parentId, , rest] = match;
  if (version === 'ff') return false;
  if (version === '00' && rest !== undefined) return false;
  return !/^0+$/.test(traceId!) && !/^0+$/.test(parentId!);
}

export function acceptRequestId(value: string | null): string {
  return value !== null && REQUEST_ID.test(value) ? value : randomUUID();
}

/** The request's id and upstream trace headers (computed on first use). */
export function requestTrace(request: Request): RequestTrace {
  let trace = traces.get(request);
  if (trace) return trace;
  const requestId = acceptRequestId(request.headers.get(REQUEST_ID_HEADER));
  const upstreamHeaders: Record<string, string> = { [REQUEST_ID_HEADER]: requestId };
  const traceparent = request.headers.get('traceparent')?.trim();
  if (traceparent && isValidTraceparent(traceparent)) {
    upstreamHeaders.traceparent = traceparent;
    const tracestate = request.headers.get('tracestate')?.trim();
    if (tracestate && TRACESTATE.test(tracestate)) upstreamHeaders.tracestate = tracestate;
  }
  trace = { requestId, upstreamHeaders };
  traces.set(request, trace);
  return trace;
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

/**
 * Returns `x-request-id` on every response (GraphQL, health, metrics, errors) and puts it into
 * `extensions.requestId` of every GraphQL error, so a client report can be matched to logs.
 */
export function useRequestId(): Plugin {
  return {
    onRequest({ request }) {
      requestTrace(request);
    },
    onResultProcess({ request, result, setResult }) {
      // Streams (@defer, subscriptions) are not offered by this schema.
      if (Symbol.asyncIterator in result) return;
      const { requestId } = requestTrace(request);
      setResult(
        Array.isArray(result) ? result.map((r) => tag(r, requestId)) : tag(result, requestId),
      );
    },
    onResponse({ request, response }) {
      response.headers.set(REQUEST_ID_HEADER, requestTrace(request).requestId);
    },
  };
}
