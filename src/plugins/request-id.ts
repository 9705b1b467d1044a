/**
 * Request ids and trace context.
 *
 * - `x-request-id`: taken from the request when it is a sane token, else a new UUID; returned on
 *   every response and sent upstream, so one id follows a request through every log.
 * - W3C `traceparent` (and its companion `tracestate`): passed through to the upstream when the
 *   format is valid, dropped otherwise (a malformed one would only break the upstream's tracing).
 *
 * Both are computed once per Request and remembered in a WeakMap, so the context factory, the
 * log line and the response header all see the same values.
 */
import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Visible ASCII, no spaces, at most 200 characters: safe in a header, a log and a label-free id. */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

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

/** Returns `x-request-id` on every response (GraphQL, health, metrics, errors). */
export function useRequestId(): Plugin {
  return {
    onRequest({ request }) {
      requestTrace(request);
    },
    onResponse({ request, response }) {
      response.headers.set(REQUEST_ID_HEADER, requestTrace(request).requestId);
    },
  };
}
