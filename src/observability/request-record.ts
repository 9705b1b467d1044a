/**
 * One record per HTTP request: the facts logging and metrics report about it, each written once
 * by the hook that learns it (src/plugins/request-record.ts, the context factory, the Chat API's
 * call budget) and only read by src/plugins/logging.ts and src/plugins/metrics.ts.
 * See docs/architecture.md, "Logs, metrics and request ids".
 */
import type { ErrorCodeCounts, OperationInfo } from './operation.js';
import { acceptRequestId, REQUEST_ID_HEADER, upstreamTraceHeaders } from './trace.js';

export class RequestRecord {
  /** performance.now() when the request arrived. */
  readonly startedAt = performance.now();
  readonly requestId: string;
  /** x-request-id and trace context to send with every upstream call made for this request. */
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  /** True once the request turned out to carry GraphQL parameters (not a probe or a page). */
  graphql = false;
  /** The operation name the client asked for (kept even when the document never executes). */
  requestedOperationName: string | undefined;
  /** The operation that passed validation and ran; undefined when none did. */
  operation: OperationInfo | undefined;
  /** Upstream calls started for this request; the call budget counts here. */
  upstreamCalls = 0;
  /** Of those, reads that joined an identical read in flight for another operation. */
  upstreamCallsJoined = 0;
  /** How many errors of each `extensions.code` the result holds (a few codes, however many errors). */
  errorCodes: ErrorCodeCounts = new Map();
  /** HTTP status of the response, once it is ready. */
  status: number | undefined;
  /**
   * The URL's path, from the URL Yoga has already parsed (`onRequest`); undefined for a request
   * answered before that hook (health check, CORS preflight): read it with `pathnameOf`.
   */
  pathname: string | undefined;

  constructor(headers: Headers) {
    this.requestId = acceptRequestId(headers.get(REQUEST_ID_HEADER));
    this.upstreamHeaders = upstreamTraceHeaders(headers, this.requestId);
  }

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
}

const records = new WeakMap<Request, RequestRecord>();

/** The request's path: the record's, else parsed from its URL. */
export function pathnameOf(request: Request): string {
  return records.get(request)?.pathname ?? new URL(request.url).pathname;
}

/** The record of this request, created on first use (the request-record plugin's first hook). */
export function requestRecord(request: Request): RequestRecord {
  let record = records.get(request);
  if (!record) {
    record = new RequestRecord(request.headers);
    records.set(request, record);
  }
  return record;
}
