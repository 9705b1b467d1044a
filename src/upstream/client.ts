/**
 * HTTP client for the LlamaCloud Chat API on an undici keep-alive pool.
 *
 * One call = one deadline (UPSTREAM_TIMEOUT_MS) covering every attempt; idempotent GETs are
 * retried on network errors, 408, 429 and 5xx (unless `x-should-retry` says otherwise) with
 * exponential back-off and jitter, honouring Retry-After / retry-after-ms but never past the
 * deadline (the official SDKs' rules). A retry also needs the process-wide retry budget
 * (./retry-budget.ts) and the caller's leave (`CallOptions.beforeRetry`: the operation's budget).
 *
 * Writes (POST, DELETE, the streamed turn) are never repeated: see `neverSent`.
 */
import { EventEmitter } from 'node:events';
import { Pool, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import { UpstreamError } from './errors.js';
import type { UpstreamFailure } from './errors.js';
import { RetryBudget } from './retry-budget.js';
import { readSse } from './sse.js';
import type { SseMessage } from './sse.js';

export type { SseMessage } from './sse.js';

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
  /** Observes each HTTP attempt (metrics). */
  onAttempt?: ((event: AttemptEvent) => void) | undefined;
  /** Shared by every call of this client (default: 20 % of recent calls, at least 10/s). */
  retryBudget?: RetryBudget;
}

export interface CallOptions {
  /** Bearer token for the upstream; omitted when undefined (sandbox without keys). */
  credential?: string | undefined;
  /** Fires when the GraphQL client disconnects. */
  signal?: AbortSignal | undefined;
  /** Extra headers to pass through (x-request-id, traceparent). */
  headers?: Record<string, string> | undefined;
  /**
   * Asked right before each retry is sent: false means the retry is not made, and the call fails
   * with the last attempt's failure. True counts the attempt (the operation's call budget).
   */
  beforeRetry?: (() => boolean) | undefined;
}

export type QueryParams = Record<string, string | number | undefined>;

export interface EventStreamOptions {
  /**
   * Longest silence between two messages (comments count as signs of life) before the stream
   * fails with `stream_idle`. There is no limit on a stream that keeps sending.
   */
  idleTimeoutMs: number;
}

/** An HTTP method of the Chat API's writes. */
export type WriteMethod = 'POST' | 'DELETE';

type Method = 'GET' | WriteMethod;

interface Outgoing {
  endpoint: string;
  method: Method;
  fullPath: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** undici's per-request body timeout (0 = none); the pool's default otherwise. */
  bodyTimeout?: number | undefined;
  /** An event stream: sent on the stream pool. */
  stream?: boolean | undefined;
}

/** One HTTP attempt, as UpstreamClientOptions.onAttempt sees it. */
export interface AttemptEvent {
  /** The endpoint's template, e.g. `/api/v1/chat/{session_id}`: never a concrete path. */
  endpoint: string;
  status: number | undefined;
  durationMs: number;
  /** Zero-based attempt number; > 0 means a retry. */
  attempt: number;
  outcome: 'ok' | 'http_error' | 'network_error' | 'timeout';
}

const RETRYABLE_STATUS = (status: number) => status === 408 || status === 429 || status >= 500;
/** `x-should-retry: true|false` overrides what the status says (the official SDKs' rule). */
function shouldRetry(status: number, headers: Record<string, string | string[] | undefined>) {
  const raw = headers['x-should-retry'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return RETRYABLE_STATUS(status);
}
const MAX_BACKOFF_MS = 8_000;
/** Like the official SDKs: a longer Retry-After is reported to the client, not waited for. */
const MAX_RETRY_AFTER_MS = 60_000;
/** Longest upstream `detail` passed on to clients. */
const MAX_DETAIL_CHARS = 300;
/** How much of a `detail` is looked at (for addresses) at all. */
const MAX_DETAIL_SCAN_CHARS = 2_000;
/** Error bodies are read only far enough to find a `detail`. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** How far undici's own socket timers sit above a call's deadline (see the constructor). */
const UNDICI_TIMER_SLACK_MS = 1_000;

export class UpstreamClient {
  readonly #pool: Pool;
  /**
   * Event streams hold their socket for a whole turn (minutes): a pool of their own, without a
   * socket cap (MAX_CONCURRENT_STREAMS bounds them before any upstream call), so open turns
   * neither queue behind each other nor take the sockets of the JSON calls.
   */
  readonly #streamPool: Pool;
  readonly #basePath: string;
  readonly #options: Required<Omit<UpstreamClientOptions, 'baseUrl' | 'onAttempt' | 'retryBudget'>>;
  readonly #onAttempt: ((event: AttemptEvent) => void) | undefined;
  readonly #retryBudget: RetryBudget;

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
    this.#onAttempt = options.onAttempt;
    this.#retryBudget = options.retryBudget ?? new RetryBudget();
    this.#pool = new Pool(url.origin, {
      connections: this.#options.connections,
      keepAliveTimeout: 30_000,
      // A backstop only: each call's own deadline (CallDeadline) ends it on time. undici's
      // timers are coarse (they tick in steps of up to a second) and fired up to 150 ms before
      // the deadline on reused sockets, so they sit a second above it.
      headersTimeout: options.timeoutMs + UNDICI_TIMER_SLACK_MS,
      bodyTimeout: options.timeoutMs + UNDICI_TIMER_SLACK_MS,
    });
    this.#streamPool = new Pool(url.origin, {
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs + UNDICI_TIMER_SLACK_MS,
      bodyTimeout: 0,
    });
  }

  /**
   * GET `path` (already encoded: callers use `encodeURIComponent` on every segment they add)
   * with `query` encoded by URLSearchParams, so no value can change the path or add parameters.
   * `endpoint` names the endpoint's template for metrics.
   */
  async getJson(
    endpoint: string,
    path: string,
    query: QueryParams,
    call: CallOptions = {},
  ): Promise<unknown> {
    const out = this.#outgoing(endpoint, 'GET', path, query, undefined, 'application/json', call);
    return this.#call(out, call, (res) => this.#readJson(res));
  }

  /**
   * POST or DELETE `path` with a JSON body (none when `body` is undefined). Resolves with the
   * parsed JSON of a 2xx, or undefined when the 2xx has no content (204, an empty body). Failures
   * are UpstreamErrors as for `getJson`; the request is never repeated once it may have reached
   * the upstream (see `neverSent`).
   */
  async sendJson(
    endpoint: string,
    method: WriteMethod,
    path: string,
    query: QueryParams,
    body: unknown,
    call: CallOptions = {},
  ): Promise<unknown> {
    const out = this.#outgoing(endpoint, method, path, query, body, 'application/json', call);
    return this.#call(out, call, (res) => this.#readOptionalJson(res));
  }

  /**
   * POST `body` to an endpoint answering `text/event-stream` and resolve, once the response
   * headers are in, with its messages (./sse.ts), read as they arrive.
   *
   * - UPSTREAM_TIMEOUT_MS bounds the time to the response headers only; after them,
   *   `idleTimeoutMs` bounds each silence (`stream_idle`), and nothing bounds the total.
   * - A non-2xx is an UpstreamError `status` with its `detail`; a 2xx that is not an event
   *   stream is `bad_response`. Like every write, the request is not repeated once sent.
   * - The stream ends at `data: [DONE]` or the end of the body; a connection cut mid-stream fails
   *   it with `network`, the caller's signal with `aborted`.
   * - `call.signal` aborting, the consumer leaving the loop early (`return()`), [DONE] and the
   *   idle limit all destroy the upstream request at once. Read it once, to its end or `return()`:
   *   its timer and signal listener live exactly as long as that.
   */
  async openEventStream(
    endpoint: string,
    path: string,
    query: QueryParams,
    body: unknown,
    call: CallOptions,
    options: EventStreamOptions,
  ): Promise<AsyncIterable<SseMessage>> {
    const out = {
      ...this.#outgoing(endpoint, 'POST', path, query, body, 'text/event-stream', call),
      // The body's silences are bounded by the idle limit below, not by undici.
      bodyTimeout: 0,
      stream: true,
    };
    const deadline = this.#startCall(call);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#attempts(out, deadline, call, async (r) => {
        const type = String(r.headers['content-type'] ?? '');
        if (!/^\s*text\/event-stream\b/i.test(type)) {
          await r.body.dump().catch(() => undefined);
          throw new UpstreamError({
            kind: 'bad_response',
            reason: `expected text/event-stream, got ${JSON.stringify(type.slice(0, 60))}`,
          });
        }
        return r;
      });
    } finally {
      // The deadline's timer and client listener end with the headers; the stream has its own.
      deadline.dispose();
    }
    return new EventStream(res, deadline, call.signal, options.idleTimeoutMs);
  }

  #outgoing(
    endpoint: string,
    method: Method,
    path: string,
    query: QueryParams,
    body: unknown,
    accept: string,
    call: CallOptions,
  ): Outgoing {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) search.set(name, String(value));
    }
    const qs = search.toString();
    const fullPath = `${this.#basePath}${path}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = {
      ...call.headers,
      accept,
      'user-agent': this.#options.userAgent,
    };
    if (call.credential !== undefined) headers.authorization = `Bearer ${call.credential}`;
    if (body === undefined) return { endpoint, method, fullPath, headers };
    headers['content-type'] = 'application/json';
    return { endpoint, method, fullPath, headers, body: JSON.stringify(body) };
  }

  #startCall(call: CallOptions): CallDeadline {
    if (call.signal?.aborted) throw new UpstreamError({ kind: 'aborted' }, 0);
    this.#retryBudget.recordCall();
    return new CallDeadline(this.#options.timeoutMs, call.signal);
  }

  async #call<T>(
    out: Outgoing,
    call: CallOptions,
    onOk: (res: Dispatcher.ResponseData) => Promise<T>,
  ): Promise<T> {
    const deadline = this.#startCall(call);
    try {
      return await this.#attempts(out, deadline, call, onOk);
    } finally {
      deadline.dispose();
    }
  }

  /**
   * The attempts of one call. A GET is retried by the SDKs' rules (header comment). A write is
   * retried only when its failed attempt provably never reached the upstream (`neverSent`): the
   * Chat API takes no idempotency key, so a POST repeated after a 5xx, a timeout or a reset may
   * create a second session or run a turn twice (docs/llamacloud-chat-api.md, "Connection and
   * client behaviour"). Such failures are reported, and `x-should-retry` and Retry-After are not
   * asked at all for writes.
   */
  async #attempts<T>(
    out: Outgoing,
    deadline: CallDeadline,
    call: CallOptions,
    onOk: (res: Dispatcher.ResponseData) => Promise<T>,
  ): Promise<T> {
    const { signal } = deadline;
    const { endpoint, method, fullPath, headers, body, bodyTimeout } = out;
    const write = method !== 'GET';
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      let failure: UpstreamFailure;
      let retryAfterMs: number | undefined;
      try {
        const pool = out.stream ? this.#streamPool : this.#pool;
        const res = await pool.request({
          method,
          path: fullPath,
          headers,
          signal,
          ...(body !== undefined && { body }),
          ...(bodyTimeout !== undefined && { bodyTimeout }),
        });
        const event = { endpoint, status: res.statusCode, attempt, started };
        if (res.statusCode >= 200 && res.statusCode < 300) {
          const value = await onOk(res);
          this.#report(event, 'ok');
          return value;
        }
        retryAfterMs = parseRetryAfter(res.headers);
        const errorBody = await readCapped(res, MAX_ERROR_BODY_BYTES).catch(() => undefined);
        this.#report(event, 'http_error');
        failure = {
          kind: 'status',
          status: res.statusCode,
          ...(retryAfterMs !== undefined && { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) }),
          ...errorDetail(errorBody, call.credential),
        };
        // The upstream received this write: never repeat it, whatever the status.
        if (write || !shouldRetry(res.statusCode, res.headers)) {
          throw new UpstreamError(failure, attempt + 1);
        }
      } catch (error) {
        if (error instanceof UpstreamError && !signal.aborted) throw error;
        if (deadline.reason === 'client') throw new UpstreamError({ kind: 'aborted' }, attempt + 1);
        if (
          deadline.reason === 'timeout' ||
          error instanceof undiciErrors.HeadersTimeoutError ||
          error instanceof undiciErrors.BodyTimeoutError
        ) {
          this.#report({ endpoint, status: undefined, attempt, started }, 'timeout');
          throw new UpstreamError({ kind: 'timeout' }, attempt + 1);
        }
        this.#report({ endpoint, status: undefined, attempt, started }, 'network_error');
        failure = { kind: 'network', reason: networkReason(error) };
        // A reset or a cut after the request may have gone out: the write may have happened.
        if (write && !neverSent(error)) throw new UpstreamError(failure, attempt + 1);
      }

      if (attempt >= this.#options.maxRetries) throw new UpstreamError(failure, attempt + 1);
      // An upstream asking for more than a minute is not coming back within this call.
      if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) {
        throw new UpstreamError(failure, attempt + 1);
      }
      const delay = retryAfterMs ?? this.#backoff(attempt);
      // Waiting past the deadline only to time out would hide the real cause: fail now.
      if (Date.now() + delay >= deadline.at) throw new UpstreamError(failure, attempt + 1);
      // Retries beyond the process-wide budget would only pile onto a failing upstream.
      if (!this.#retryBudget.tryRetry()) throw new UpstreamError(failure, attempt + 1);
      try {
        await deadline.wait(delay);
      } catch {
        if (deadline.reason === 'client') throw new UpstreamError({ kind: 'aborted' }, attempt + 1);
        throw new UpstreamError({ kind: 'timeout' }, attempt + 1);
      }
      // Asked last, right before sending, so that an attempt counted is an attempt made.
      if (call.beforeRetry && !call.beforeRetry()) throw new UpstreamError(failure, attempt + 1);
    }
  }

  /**
   * Closes the pool: requests still running get `graceMs` to finish, then are cut (nobody waits
   * for their answers any more: the gateway has stopped serving).
   */
  async close(graceMs = 1_000): Promise<void> {
    // Settles either way: after destroy() a pending close() may reject, and nobody awaits it then.
    const closed = Promise.all([this.#pool.close(), this.#streamPool.close()]).catch(
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([closed, late]);
    clearTimeout(timer);
    if (outcome === 'late') await Promise.all([this.#pool.destroy(), this.#streamPool.destroy()]);
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

  /** A write's answer: JSON, or undefined when the 2xx has no content. */
  async #readOptionalJson(res: Dispatcher.ResponseData): Promise<unknown> {
    if (res.statusCode === 204 || res.statusCode === 205 || res.headers['content-length'] === '0') {
      await res.body.dump().catch(() => undefined);
      return undefined;
    }
    const text = await readCapped(res, this.#options.maxBodyBytes, true);
    if (text.trim() === '') return undefined;
    const type = String(res.headers['content-type'] ?? '');
    if (!/\bjson\b/i.test(type)) {
      throw new UpstreamError({
        kind: 'bad_response',
        reason: `expected a JSON content-type, got ${JSON.stringify(type.slice(0, 60))}`,
      });
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new UpstreamError({ kind: 'bad_response', reason: 'body is not valid JSON' });
    }
  }

  #report(
    e: { endpoint: string; status: number | undefined; attempt: number; started: number },
    outcome: AttemptEvent['outcome'],
  ): void {
    this.#onAttempt?.({
      endpoint: e.endpoint,
      status: e.status,
      attempt: e.attempt,
      durationMs: performance.now() - e.started,
      outcome,
    });
  }
}

/**
 * Reads at most `limit` bytes. Over the limit: `strict` fails with bad_response (a 2xx body we
 * need whole); otherwise the rest is discarded (an error body we only skim). A declared length
 * over the limit fails before reading; one under it cannot let more through, as undici ends the
 * body at the declared length (test/integration/upstream-body.test.ts). One loop for every body:
 * undici's `body.bytes()` for a declared length measured no cheaper (bench/README.md, issue 14).
 */
async function readCapped(
  res: Dispatcher.ResponseData,
  limit: number,
  strict = false,
): Promise<string> {
  const declared = Number(res.headers['content-length']);
  const tooLarge = () =>
    new UpstreamError({ kind: 'bad_response', reason: `body larger than ${limit} bytes` });
  if (strict && Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.body.destroy();
      if (strict) throw tooLarge();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A FastAPI `{"detail": ...}` is worth passing on (validation errors flattened to
 * `loc: msg`, the caller's key redacted, URLs and host names removed, truncated); anything else
 * (HTML, other JSON) is not.
 */
export function errorDetail(body: string | undefined, credential?: string): { detail?: string } {
  if (!body) return {};
  let detail: unknown;
  try {
    const parsed: unknown = JSON.parse(body);
    if (!parsed || typeof parsed !== 'object' || !('detail' in parsed)) return {};
    detail = (parsed as { detail: unknown }).detail;
  } catch {
    return {}; // Not JSON (an HTML error page, say): nothing safe to pass on.
  }
  let text = typeof detail === 'string' ? detail : formatValidationErrors(detail);
  if (credential) text = text.split(credential).join('[redacted]');
  // Bounded before the address patterns run, so their cost stays small whatever the body.
  text = withoutAddresses(text.slice(0, MAX_DETAIL_SCAN_CHARS));
  // One line, no control characters: it ends up in a GraphQL error message.
  text = text.replace(/\p{Cc}+/gu, ' ').trim();
  if (!text) return {};
  return { detail: text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text };
}

/**
 * URLs and host names say where the upstream's own dependencies live (`http://10.2.3.4:8080/x`,
 * `db-7.internal.corp:5432`): none of a client's business. Replaced by `[url]` and `[host]`; a
 * pydantic location (`query.page_size`, `body.name`) is not a host name and stays.
 */
export function withoutAddresses(text: string): string {
  return text
    .replace(URL_PATTERN, '[url]')
    .replace(IPV4_PATTERN, '[host]')
    .replace(IPV6_PATTERN, '[host]')
    .replace(HOSTNAME_PATTERN, '[host]')
    .replace(HOST_PORT_PATTERN, '[host]');
}

/** Anything from a scheme's `://` to the next space or quote (a final `.` or `,` stays). */
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/(?:[^\s"'<>`]*[^\s"'<>`.,;:!?)\]}])?/gi;
/** 10.0.0.7, 10.0.0.7:5432 (not part of a longer dotted number). */
const IPV4_PATTERN = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w]|\.\d)/g;
/** [fd00::7]:5432, fd00::7, and the full eight-group form. */
const IPV6_PATTERN =
  /\[[0-9a-f:.]*:[0-9a-f:.]*\](?::\d{1,5})?|(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|(?<![\w:])[0-9a-f:]*::[0-9a-f:.]*(?![\w:])/gi;
/**
 * Dotted names ending in a letters-only label (db-7.internal.corp, api.example.com), with an
 * optional port; not a pydantic location (its first label body/query/path/header/cookie/form).
 */
const HOSTNAME_PATTERN =
  /(?<![\w.-])(?!(?:body|query|path|header|cookie|form)\.)(?:[a-z0-9-]+\.)+[a-z]{2,63}(?::\d{1,5})?(?![\w-]|\.[a-z0-9])/gi;
/** One label with a port: localhost:8080, redis:6379. */
const HOST_PORT_PATTERN = /(?<![\w.-])[a-z][a-z0-9-]*:\d{2,5}(?![\w.])/gi;

/** FastAPI/pydantic `[{loc: ['query', 'page_size'], msg: '…'}]` -> `query.page_size: …`. */
function formatValidationErrors(detail: unknown): string {
  if (Array.isArray(detail)) {
    const parts = detail.map((item: unknown) => {
      const { loc, msg } = (item ?? {}) as { loc?: unknown; msg?: unknown };
      if (typeof msg !== 'string') return JSON.stringify(item);
      return Array.isArray(loc) ? `${loc.join('.')}: ${msg}` : msg;
    });
    return parts.join('; ');
  }
  return JSON.stringify(detail) ?? '';
}

/**
 * How long the upstream asks us to wait: `retry-after-ms`, else `Retry-After` in seconds or as
 * an HTTP date (a date in the past means now). Undefined when absent or unreadable.
 */
export function parseRetryAfter(
  headers: Record<string, string | string[] | undefined>,
  now = Date.now(),
): number | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim();
  const ms = first(headers['retry-after-ms']);
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const raw = first(headers['retry-after']);
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  // An HTTP date names its day and month; Date.parse would also accept "-5" as a year.
  if (!/[a-z]/i.test(raw)) return undefined;
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(date - now, 0);
}

/**
 * What undici needs of a request's signal (it takes an EventEmitter as well as an AbortSignal):
 * `aborted`, `reason` and an `abort` event. An AbortController and its AbortSignal cost some
 * 7 µs per call on Node 20, an EventEmitter a fraction of a microsecond (bench/README.md,
 * "Issue 14: the per-request floor"); a call makes one, a `fanout` operation ten.
 */
class DeadlineSignal extends EventEmitter {
  aborted = false;
  reason: Error | undefined;
}

/**
 * One deadline for a whole call (every attempt and back-off), plus the caller's own signal:
 * whichever fires first aborts the call. Disposed when the call ends, so no timer or listener
 * outlives it.
 */
class CallDeadline {
  readonly at: number;
  /** Why the call's request was aborted: `idle` and `consumer` are an event stream's. */
  reason: 'timeout' | 'client' | 'idle' | 'consumer' | undefined;
  /** Passed to undici as the request's `signal`. */
  readonly signal = new DeadlineSignal();
  readonly #timer: NodeJS.Timeout;
  readonly #client: AbortSignal | undefined;
  readonly #onClientAbort = () => this.abort('client');

  constructor(timeoutMs: number, client: AbortSignal | undefined) {
    this.at = Date.now() + timeoutMs;
    this.#timer = setTimeout(() => this.abort('timeout'), timeoutMs);
    this.#client = client;
    client?.addEventListener('abort', this.#onClientAbort, { once: true });
  }

  /** Aborts the call's request (the first reason wins). */
  abort(reason: NonNullable<CallDeadline['reason']>): void {
    if (this.reason) return;
    this.reason = reason;
    this.signal.aborted = true;
    this.signal.reason = new Error(`upstream request aborted: ${reason}`);
    this.signal.emit('abort');
  }

  /** Resolves after `ms` (a back-off), or rejects as soon as the call is aborted. */
  wait(ms: number): Promise<void> {
    const { signal } = this;
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.off('abort', onAbort);
        resolve();
      }, ms);
      signal.once('abort', onAbort);
    });
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#client?.removeEventListener('abort', this.#onClientAbort);
  }
}

/**
 * True only when the request provably never left this process: the connection itself failed
 * (refused, no such host, connect timeout), so no byte of it was written. Everything else (a
 * reset, a timeout, a cut body) may come after the upstream got the request.
 */
function neverSent(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.every(neverSent); // happy eyeballs: every address failed to connect
  }
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && NEVER_SENT_CODES.has(code);
}

const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The messages of one event-stream response, with its lifetime: an idle timer (armed only while
 * waiting on the upstream, so a slow consumer is not mistaken for a silent upstream), the
 * caller's signal, and early `return()`, each of which aborts the request (destroying its
 * socket). Both the timer and the listener are gone when the stream ends, however it ends.
 */
class EventStream implements AsyncIterable<SseMessage> {
  readonly #res: Dispatcher.ResponseData;
  readonly #request: CallDeadline;
  readonly #client: AbortSignal | undefined;
  readonly #idleMs: number;
  #timer: NodeJS.Timeout | undefined;
  #used = false;
  readonly #onClientAbort = () => this.#request.abort('client');

  constructor(
    res: Dispatcher.ResponseData,
    request: CallDeadline,
    client: AbortSignal | undefined,
    idleMs: number,
  ) {
    this.#res = res;
    this.#request = request;
    this.#client = client;
    this.#idleMs = idleMs;
    // Aborting destroys the body with an error; reading surfaces it, and unread it is expected.
    res.body.on('error', () => undefined);
    client?.addEventListener('abort', this.#onClientAbort, { once: true });
    if (client?.aborted) this.#request.abort('client');
  }

  [Symbol.asyncIterator](): AsyncIterator<SseMessage> {
    if (this.#used) throw new Error('an upstream event stream can be read once');
    this.#used = true;
    const messages = this.#messages();
    const iterator: AsyncIterator<SseMessage> = {
      next: () => messages.next(),
      // Not only messages.return(): that waits for a pending next(), i.e. for the upstream's
      // next message; aborting first ends that wait at once.
      return: async () => {
        this.#request.abort('consumer');
        this.#end();
        return messages.return(undefined);
      },
    };
    return iterator;
  }

  async *#messages(): AsyncGenerator<SseMessage, void, undefined> {
    try {
      this.#arm();
      const body = this.#res.body as AsyncIterable<Buffer>;
      for await (const message of readSse(body, { onComment: () => this.#arm() })) {
        this.#disarm();
        yield message;
        this.#arm();
      }
    } catch (error) {
      const reason = this.#request.reason;
      if (reason === 'consumer') return;
      if (reason === 'idle') throw new UpstreamError({ kind: 'stream_idle', idleMs: this.#idleMs });
      if (reason === 'client') throw new UpstreamError({ kind: 'aborted' });
      if (error instanceof UpstreamError) throw error;
      throw new UpstreamError({ kind: 'network', reason: networkReason(error) });
    } finally {
      this.#end();
    }
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#request.abort('idle'), this.#idleMs);
  }

  #disarm(): void {
    clearTimeout(this.#timer);
  }

  /** Idempotent: no timer, no listener, and the request closed (a no-op once fully read). */
  #end(): void {
    this.#disarm();
    this.#client?.removeEventListener('abort', this.#onClientAbort);
    if (!this.#res.body.destroyed) this.#request.abort('consumer');
  }
}

function networkReason(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'connection failed';
}
