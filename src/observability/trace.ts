/**
 * Request ids and W3C trace context, read from a request's headers (docs/architecture.md,
 * "Logs, metrics and request ids").
 *
 * - `x-request-id`: taken from the request when it is a sane token, else a new UUID; returned on
 *   every response and sent upstream, so one id follows a request through every log.
 * - `traceparent` (and its companion `tracestate`): passed through to the upstream when the
 *   format is valid, dropped otherwise (a malformed one would only break the upstream's tracing).
 */
import { randomUUID } from 'node:crypto';

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

/** Headers to send upstream with every call made for this request. */
export function upstreamTraceHeaders(headers: Headers, requestId: string): Record<string, string> {
  const upstream: Record<string, string> = { [REQUEST_ID_HEADER]: requestId };
  const traceparent = headers.get('traceparent')?.trim();
  if (traceparent && isValidTraceparent(traceparent)) {
    upstream.traceparent = traceparent;
    const tracestate = headers.get('tracestate')?.trim();
    if (tracestate && TRACESTATE.test(tracestate)) upstream.tracestate = tracestate;
  }
  return upstream;
}
