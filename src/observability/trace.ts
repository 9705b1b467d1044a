/**
 * Request ids and W3C trace context, read from a request's headers (docs/architecture.md,
 * "Logs, metrics and request ids").
 *
 * - `x-request-id`: taken from the request when it is a sane token, else a new UUID; returned on
 *   every response and sent upstream, so one id follows a request through every log.
 * - `traceparent` (and its companion `tracestate`): passed through to the upstream when the
 *   format is valid, dropped otherwise (a malformed one would only break the upstream's tracing).
 *   A future version's header is sent on as the version 00 this gateway knows, without the
 *   fields it does not.
 */
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Word characters and a few separators, at most 200: safe to echo in a header, a log line and
 * JSON without escaping surprises (no spaces, quotes, angle brackets or control characters).
 */
const REQUEST_ID = /^[\w.:/+=@-]{1,200}$/;

/**
 * version "-" trace-id "-" parent-id "-" trace-flags, lower-case hex (W3C Trace Context §3.2):
 * 55 characters. Version 00 is exactly that; a future version (01–fe) starts with it and may
 * append fields after a `-` (§4.3, "Versioning of traceparent").
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:$|-)/;
/** Longer traceparent headers are refused outright (version 00 is 55 characters). */
export const MAX_TRACEPARENT_CHARS = 512;
/** tracestate: list members of printable ASCII; 512 characters is the spec's minimum to keep. */
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

/**
 * The traceparent to send upstream for this one: itself when it is a valid version 00; for a
 * valid future version, its trace-id, parent-id and sampled flag as version 00 (the spec's rule:
 * use the fields this version understands); undefined when it is invalid or too long.
 */
export function upstreamTraceparent(value: string): string | undefined {
  if (value.length > MAX_TRACEPARENT_CHARS) return undefined;
  const match = TRACEPARENT.exec(value);
  if (!match) return undefined;
  const [, version, traceId, parentId, flags] = match;
  if (version === 'ff' || /^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined;
  if (version === '00') return value.length === 55 ? value : undefined;
  // Other flag bits may mean something else in that version: only `sampled` carries over.
  const sampled = parseInt(flags!, 16) & 1 ? '01' : '00';
  return `00-${traceId}-${parentId}-${sampled}`;
}

export function isValidTraceparent(value: string): boolean {
  return upstreamTraceparent(value) !== undefined;
}

export function acceptRequestId(value: string | null): string {
  return value !== null && REQUEST_ID.test(value) ? value : randomUUID();
}

/** Headers to send upstream with every call made for this request. */
export function upstreamTraceHeaders(headers: Headers, requestId: string): Record<string, string> {
  const upstream: Record<string, string> = { [REQUEST_ID_HEADER]: requestId };
  const received = headers.get('traceparent');
  const traceparent = received ? upstreamTraceparent(received.trim()) : undefined;
  if (traceparent) {
    upstream.traceparent = traceparent;
    const tracestate = headers.get('tracestate')?.trim();
    if (tracestate && TRACESTATE.test(tracestate)) upstream.tracestate = tracestate;
  }
  return upstream;
}
