/**
 * What can go wrong talking to the upstream, in HTTP terms. src/errors.ts maps these to the
 * GraphQL error codes of docs/architecture.md; nothing here knows GraphQL.
 */
export type UpstreamFailure =
  /** The upstream answered with a non-2xx status (after retries, when retryable). */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; detail?: string }
  /** The deadline (UPSTREAM_TIMEOUT_MS, retries included) passed. */
  | { kind: 'timeout' }
  /** Connection refused/reset, DNS, TLS… after retries. */
  | { kind: 'network'; reason: string }
  /** 2xx with a body that is not JSON, not the documented shape, or too large. */
  | { kind: 'bad_response'; reason: string; path?: string }
  /** The GraphQL client went away; nobody is waiting for this answer. */
  | { kind: 'aborted' }
  /**
   * A streamed chat turn ended (EOF, `data: [DONE]` or a cut connection) before its `stop`
   * event, after `events` events; `reason` names a cut connection (e.g. `ECONNRESET`).
   */
  | { kind: 'stream_interrupted'; events: number; reason?: string }
  /** An event stream sent nothing (no message, no comment) for `idleMs`. */
  | { kind: 'stream_idle'; idleMs: number };

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly failure: UpstreamFailure,
    /** Number of HTTP attempts made, for logs and tests. */
    readonly attempts = 1,
  ) {
    super(describe(failure));
  }
}

function describe(f: UpstreamFailure): string {
  switch (f.kind) {
    case 'status':
      return `upstream answered ${f.status}`;
    case 'timeout':
      return 'upstream deadline exceeded';
    case 'network':
      return `upstream unreachable: ${f.reason}`;
    case 'bad_response':
      return `upstream sent a bad response: ${f.reason}${f.path ? ` at ${f.path}` : ''}`;
    case 'aborted':
      return 'request aborted by the client';
    case 'stream_interrupted':
      return `upstream stream ended before its stop event, after ${f.events} event(s)${f.reason ? ` (${f.reason})` : ''}`;
    case 'stream_idle':
      return `upstream stream sent nothing for ${f.idleMs} ms`;
  }
}

/**
 * A write or a chat turn named a session the upstream does not know (404). Lookups answer
 * `null` instead (ChatApi.getSummary/getSession); src/errors.ts maps this one to NOT_FOUND.
 */
export class SessionNotFoundError extends Error {
  override name = 'SessionNotFoundError';
  constructor(readonly sessionId: string) {
    super('chat session not found');
  }
}
