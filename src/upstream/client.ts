/**
 * HTTP client for the LlamaCloud Chat API on an undici keep-alive pool.
 *
 * One call = one deadline (UPSTREAM_TIMEOUT_MS) covering every attempt; idempotent GETs are
 * retried on network errors, 408, 429 and 5xx with exponential back-off and jitter, honouring
 * Retry-After / retry-after-ms but never past the deadline (the official SDKs' rules).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import { UpstreamError } from './errors.js';
import type { UpstreamFailure } from './errors.js';

export interface UpstreamClientOptions {
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  userAgent: string;
  /** Responses larger than this are UPSTREAM_BAD_RESPONSE (default 8 MiB). */
  maxBodyBytes?: number;
  /** First back-off delay; doubles per retry, capped at 8 s (default 500 ms). */
  retryBaseDelayMs?: number;
  /** Keep-alive sockets to the upstream origin (default 64). */
  connections?: number;
}

export interface CallOptions {
  /** Bearer token for the upstream; omitted when undefined (sandbox without keys). */
  credential?: string | undefined;
  /** Fires when the GraphQL client disconnects. */
  signal?: AbortSignal | undefined;
  /** Extra headers to pass through (x-request-id, traceparent). */
  headers?: Record<string, string> | undefined;
}

export type QueryParams = Record<string, string | number | undefined>;

/** Observes each attempt; metrics and tests hook in here. */
export interface AttemptEvent {
  path: string;
  status: number | undefined;
  durationMs: number;
  /** Zero-based attempt number; > 0 means a retry. */
  attempt: number;
  outcome: 'ok' | 'http_error' | 'network_error' | 'timeout';
}

const RETRYABLE_STATUS = (status: number) => status === 408 || status === 429 || status >= 500;
const MAX_BACKOFF_MS = 8_000;
/** Error bodies are read only far enough to find a `detail`. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export class UpstreamClient {
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #options: Required<Omit<UpstreamClientOptions, 'baseUrl'>>;
  onAttempt: ((event: AttemptEvent) => void) | undefined;

  constructor(options: UpstreamClientOptions) {
    const url = new URL(options.baseUrl);
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#options = {
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      userAgent: options.userAgent,
      maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
      connections: options.connections ?? 64,
    };
    this.#pool = new Pool(url.origin, {
      connections: this.#options.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  /**
   * GET `path` (already encoded: callers use `encodeURIComponent` on every segment they add)
   * with `query` encoded by URLSearchParams, so no value can change the path or add parameters.
   */
  async getJson(path: string, query: QueryParams, call: CallOptions = {}): Promise<unknown> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) search.set(name, String(value));
    }
    const qs = search.toString();
    const fullPath = `${this.#basePath}${path}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = {
      ...call.headers,
      accept: 'application/json',
      'user-agent': this.#options.userAgent,
    };
    if (call.credential !== undefined) headers.authorization = `Bearer ${call.credential}`;

    const deadline = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = call.signal ? AbortSignal.any([deadline, call.signal]) : deadline;
    const deadlineAt = Date.now() + this.#options.timeoutMs;

    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      let failure: UpstreamFailure;
      let retryAfterMs: number | undefined;
      try {
        const res = await this.#pool.request({ method: 'GET', path: fullPath, headers, signal });
        const event = { path, status: res.statusCode, attempt, started };
        if (res.statusCode >= 200 && res.statusCode < 300) {
          const body = await this.#readJson(res);
          this.#report(event, 'ok');
          return body;
        }
        this.#report(event, 'http_error');
        retryAfterMs = parseRetryAfter(res.headers);
        failure = {
          kind: 'status',
          status: res.statusCode,
          ...(retryAfterMs !== undefined && { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) }),
          ...errorDetail(await readCapped(res, MAX_ERROR_BODY_BYTES).catch(() => undefined)),
        };
        if (!RETRYABLE_STATUS(res.statusCode)) throw new UpstreamError(failure, attempt + 1);
      } catch (error) {
        if (error instanceof UpstreamError) throw error;
        if (call.signal?.aborted) throw new UpstreamError({ kind: 'aborted' }, attempt + 1);
        if (
          deadline.aborted ||
          error instanceof undiciErrors.HeadersTimeoutError ||
          error instanceof undiciErrors.BodyTimeoutError
        ) {
          this.#report({ path, status: undefined, attempt, started }, 'timeout');
          throw new UpstreamError({ kind: 'timeout' }, attempt + 1);
        }
        this.#report({ path, status: undefined, attempt, started }, 'network_error');
        failure = { kind: 'network', reason: networkReason(error) };
      }

      if (attempt >= this.#options.maxRetries) throw new UpstreamError(failure, attempt + 1);
      const delay = retryAfterMs ?? this.#backoff(attempt);
      // Waiting past the deadline only to time out would hide the real cause: fail now.
      if (Date.now() + delay >= deadlineAt) throw new UpstreamError(failure, attempt + 1);
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        if (call.signal?.aborted) throw new UpstreamError({ kind: 'aborted' }, attempt + 1);
        throw new UpstreamError({ kind: 'timeout' }, attempt + 1);
      }
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** Full jitter in [0.5, 1] of the exponential delay, like the official SDKs. */
  #backoff(attempt: number): number {
    const base = Math.min(this.#options.retryBaseDelayMs * 2 ** attempt, MAX_BACKOFF_MS);
    return base * (1 - Math.random() * 0.5);
  }

  async #readJson(res: Dispatcher.ResponseData): Promise<unknown> {
    const type = String(res.headers['content-type'] ?? '');
    if (!/\bjson\b/i.test(type)) {
      await res.body.dump().catch(() => undefined);
      throw new UpstreamError({
        kind: 'bad_response',
        reason: `expected a JSON content-type, got ${JSON.stringify(type.slice(0, 60))}`,
      });
    }
    const text = await readCapped(res, this.#options.maxBodyBytes, true);
    try {
      return JSON.parse(text);
    } catch {
      throw new UpstreamError({ kind: 'bad_response', reason: 'body is not valid JSON' });
    }
  }

  #report(
    e: { path: string; status: number | undefined; attempt: number; started: number },
    outcome: AttemptEvent['outcome'],
  ): void {
    this.onAttempt?.({
      path: e.path,
      status: e.status,
      attempt: e.attempt,
      durationMs: performance.now() - e.started,
      outcome,
    });
  }
}

/**
 * Reads at most `limit` bytes. Over the limit: `strict` fails with bad_response (a 2xx body we
 * need whole); otherwise the rest is discarded (an error body we only skim).
 */
async function readCapped(
  res: Dispatcher.ResponseData,
  limit: number,
  strict = false,
): Promise<string> {
  const declared = Number(res.headers['content-length']);
  if (strict && Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw new UpstreamError({ kind: 'bad_response', reason: `body larger than ${limit} bytes` });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.body.destroy();
      if (strict) {
        throw new UpstreamError({
          kind: 'bad_response',
          reason: `body larger than ${limit} bytes`,
        });
      }
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A FastAPI `{"detail": "..."}` is worth passing on (truncated); anything else is not. */
function errorDetail(body: string | undefined): { detail?: string } {
  if (!body) return {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'detail' in parsed) {
      const detail = (parsed as { detail: unknown }).detail;
      const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
      return { detail: text.length > 300 ? `${text.slice(0, 300)}…` : text };
    }
  } catch {
    // Not JSON (an HTML error page, say): nothing safe to pass on.
  }
  return {};
}

/** `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date; capped at 60 s. */
export function parseRetryAfter(
  headers: Record<string, string | string[] | undefined>,
): number | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const ms = Number(first(headers['retry-after-ms']));
  if (first(headers['retry-after-ms']) !== undefined && Number.isFinite(ms) && ms >= 0) {
    return Math.min(ms, 60_000);
  }
  const raw = first(headers['retry-after']);
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(seconds) && seconds >= 0)
    return Math.min(seconds * 1000, 60_000);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(date - Date.now(), 0), 60_000);
}

function networkReason(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'connection failed';
}
