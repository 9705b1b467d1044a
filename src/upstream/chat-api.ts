/**
 * The Chat API as one GraphQL operation sees it: typed methods over UpstreamClient, with
 *  - dedupe: one DataLoader per endpoint (the credential is fixed per request), keyed by the
 *    exact call (path and parameters), so identical calls are made once (reads only: two
 *    creates are two sessions, and each write is its own call);
 *  - a budget: at most MAX_UPSTREAM_CALLS_PER_OPERATION HTTP attempts (distinct calls and their
 *    retries), across all endpoints, counted on the request's record (docs/architecture.md,
 *    "The call budget");
 *  - a concurrency cap, so a wide query cannot open a socket per field at once;
 *  - `authorizeScope`, applied to the scope of every method before anything else: the one place
 *    the caller's projects are enforced (src/auth/caller.ts, docs/architecture.md "Callers").
 * Created per request (src/context.ts): nothing here outlives or crosses credentials; the one
 * thing shared between operations is a read in flight with the same credential (./coalesce.ts).
 */
import DataLoader from 'dataloader';
import pLimit from 'p-limit';
import type { LimitFunction } from 'p-limit';
import type {
  ChatEvent,
  ChatSession,
  ChatSessionPage,
  ChatSharedAccess,
  FullChatSession,
  Scope,
  SessionKey,
} from '../domain.js';
import type { CallOptions, QueryParams, SseMessage, UpstreamClient } from './client.js';
import type { CredentialReads, Waiter } from './coalesce.js';
import { SessionNotFoundError, UpstreamError } from './errors.js';
import { decodeEvent, decodeFullSession, decodeSession, decodeSessionPage } from './mapping.js';
import { formatPath } from './wire.js';

export class BudgetExceededError extends Error {
  override name = 'BudgetExceededError';
  constructor(readonly limit: number) {
    super(`operation needs more than ${limit} upstream calls`);
  }
}

export interface ListSessionsParams extends Scope {
  pageSize: number;
  pageToken: string | null;
}

interface CallKey {
  /** The endpoint's template (a metrics label), e.g. `/api/v1/chat/{session_id}`. */
  endpoint: string;
  path: string;
  query: QueryParams;
}

/** Where the budget counts attempts: the request's record (src/observability/request-record.ts). */
export interface CallCounter {
  upstreamCalls: number;
  /** Of those calls, how many joined an identical read already in flight (./coalesce.ts). */
  upstreamCallsJoined?: number;
}

export interface ChatApiOptions {
  client: UpstreamClient;
  call: CallOptions;
  maxCalls: number;
  counter: CallCounter;
  /** Upstream calls in flight at once for this operation. */
  concurrency?: number;
  /** Longest silence of a streamed turn (UPSTREAM_STREAM_IDLE_TIMEOUT_MS; default 60 s). */
  streamIdleTimeoutMs?: number | undefined;
  /**
   * The scope every call is made in, from the scope it was asked for; throws a domain error to
   * refuse it (no upstream call is made). Default: the scope as asked.
   */
  authorizeScope?: ((scope: Scope) => Scope) | undefined;
  /**
   * Identical reads in flight in other operations with this credential (`call.credential`), to
   * join instead of calling again (./coalesce.ts; UPSTREAM_COALESCE). Undefined: never shared.
   */
  reads?: CredentialReads | undefined;
}

/** `POST /api/v1/chat`: every field optional; undefined fields are not sent. */
export interface CreateSessionInput {
  indexIds?: string[] | null | undefined;
  sharedAccess?: ChatSharedAccess | null | undefined;
}

/** `POST /api/v1/chat/{session_id}/messages/stream`. */
export interface StreamTurnInput {
  /** 1000 characters at most (the upstream answers 422 otherwise). */
  prompt: string;
  /** May be empty. */
  indexIds: string[];
  /** Newer API versions: fail the turn if an index cannot be used. Not sent when undefined. */
  requireAllIndexes?: boolean | undefined;
}

const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 60_000;

const scopeQuery = (scope: Scope): QueryParams => ({
  project_id: scope.projectId,
  organization_id: scope.organizationId,
});

/** The id is one path segment: encoded, so `/`, `?` or `#` in it cannot change the URL. */
const sessionPath = (sessionId: string) => `/api/v1/chat/${encodeURIComponent(sessionId)}`;

const isNotFound = (error: unknown): boolean =>
  error instanceof UpstreamError && error.failure.kind === 'status' && error.failure.status === 404;

/** A single-resource lookup answers 404 when the resource does not exist: that is `null`. */
async function nullIfNotFound<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export class ChatApi {
  readonly #options: ChatApiOptions;
  readonly #limit: LimitFunction;

  readonly #lists: DataLoader<ListSessionsParams, ChatSessionPage, string>;
  readonly #summaries: DataLoader<SessionKey, ChatSession, string>;
  readonly #sessions: DataLoader<SessionKey, FullChatSession, string>;

  constructor(options: ChatApiOptions) {
    this.#options = options;
    this.#limit = pLimit(options.concurrency ?? 8);
    // GET /api/v1/chat: one page of the list.
    this.#lists = this.#endpoint(
      (p) => ({
        endpoint: '/api/v1/chat',
        path: '/api/v1/chat',
        query: { page_size: p.pageSize, page_token: p.pageToken ?? undefined, ...scopeQuery(p) },
      }),
      (body, p) => decodeSessionPage(body, scopeOf(p)),
    );
    // GET /api/v1/chat/{session_id}/summary
    this.#summaries = this.#endpoint(
      (k) => ({
        endpoint: '/api/v1/chat/{session_id}/summary',
        path: `${sessionPath(k.sessionId)}/summary`,
        query: scopeQuery(k),
      }),
      (body, k) => decodeSession(body, scopeOf(k)),
    );
    // GET /api/v1/chat/{session_id}: the summary plus events.
    this.#sessions = this.#endpoint(
      (k) => ({
        endpoint: '/api/v1/chat/{session_id}',
        path: sessionPath(k.sessionId),
        query: scopeQuery(k),
      }),
      (body, k) => decodeFullSession(body, scopeOf(k)),
    );
  }

  async listSessions(params: ListSessionsParams): Promise<ChatSessionPage> {
    return this.#lists.load(this.#authorize(params));
  }

  /** One session summary; `null` when the upstream answers 404. */
  async getSummary(key: SessionKey): Promise<ChatSession | null> {
    return nullIfNotFound(this.#summaries.load(this.#authorize(key)));
  }

  /** One session with its events; `null` when the upstream answers 404. */
  async getSession(key: SessionKey): Promise<FullChatSession | null> {
    return nullIfNotFound(this.#sessions.load(this.#authorize(key)));
  }

  /**
   * `POST /api/v1/chat`: a new session in `scope`'s project. One call against the budget; never
   * repeated once it may have reached the upstream (src/upstream/client.ts, `neverSent`).
   */
  async createSession(asked: Scope, input: CreateSessionInput): Promise<ChatSession> {
    const scope = this.#authorize(asked);
    const body: Record<string, unknown> = {};
    if (input.indexIds !== undefined) body.index_ids = input.indexIds;
    if (input.sharedAccess !== undefined) body.shared_access = input.sharedAccess;
    const answer = await this.#write(
      '/api/v1/chat',
      'POST',
      '/api/v1/chat',
      scopeQuery(scope),
      body,
    );
    return decodeSession(answer, scopeOf(scope));
  }

  /** `DELETE /api/v1/chat/{session_id}`; a session the upstream does not know is SessionNotFoundError. */
  async deleteSession(asked: SessionKey): Promise<void> {
    const key = this.#authorize(asked);
    try {
      await this.#write(
        '/api/v1/chat/{session_id}',
        'DELETE',
        sessionPath(key.sessionId),
        scopeQuery(key),
        undefined,
      );
    } catch (error) {
      if (isNotFound(error)) throw new SessionNotFoundError(key.sessionId);
      throw error;
    }
  }

  /**
   * One chat turn, `POST /api/v1/chat/{session_id}/messages/stream`: its events as the upstream
   * sends them, mapped like a full session's events (unknown types kept whole). The request is
   * made on the first `next()` and counts one call against the budget.
   *
   * - Completes after the `stop` event (a failed turn is a stop with `isError`, not an error);
   *   anything after it is ignored and the upstream request closed.
   * - Throws SessionNotFoundError on a 404 at the start; UpstreamError `stream_interrupted` when
   *   the stream ends or is cut before `stop`; `stream_idle` after `streamIdleTimeoutMs` of
   *   silence; `bad_response` for an event that is not JSON or not its type's shape, naming the
   *   field as `stream[n].field` (n counts the turn's events from 0); `aborted` when the
   *   operation's signal fires.
   * - Leaving the loop early (`return()`) closes the upstream request at once, even while
   *   waiting for the next event.
   * - The scope is authorized here, at once (a refusal throws before any stream exists).
   */
  streamTurn(asked: SessionKey, input: StreamTurnInput): AsyncIterable<ChatEvent> {
    const key = this.#authorize(asked);
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<ChatEvent> => {
        const stop = new AbortController();
        const turn = this.#turn(key, input, stop);
        return {
          next: () => turn.next(),
          // Aborting first: turn.return() alone would wait for a pending next(), i.e. for the
          // upstream's next event.
          return: async () => {
            stop.abort();
            return turn.return(undefined);
          },
        };
      },
    };
  }

  async *#turn(
    key: SessionKey,
    input: StreamTurnInput,
    stop: AbortController,
  ): AsyncGenerator<ChatEvent, void, undefined> {
    const operation = this.#options.call.signal;
    if (operation?.aborted) throw new UpstreamError({ kind: 'aborted' }, 0);
    if (!this.#takeAttempt()) throw new BudgetExceededError(this.#options.maxCalls);
    // The upstream request ends with the operation or with the consumer (`stop`); the listener
    // lives exactly as long as this turn.
    const onOperationAbort = () => stop.abort();
    operation?.addEventListener('abort', onOperationAbort, { once: true });
    const stopped = () => stop.signal.aborted && !operation?.aborted;
    let events = 0;
    try {
      const body: Record<string, unknown> = { prompt: input.prompt, index_ids: input.indexIds };
      if (input.requireAllIndexes !== undefined) {
        body.require_all_indexes = input.requireAllIndexes;
      }
      let stream: AsyncIterable<SseMessage>;
      try {
        stream = await this.#options.client.openEventStream(
          '/api/v1/chat/{session_id}/messages/stream',
          `${sessionPath(key.sessionId)}/messages/stream`,
          scopeQuery(key),
          body,
          { ...this.#options.call, signal: stop.signal, beforeRetry: this.#takeAttempt },
          {
            idleTimeoutMs: this.#options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
          },
        );
      } catch (error) {
        if (stopped()) return;
        if (isNotFound(error)) throw new SessionNotFoundError(key.sessionId);
        throw error;
      }
      try {
        // Leaving this loop (stop, return(), an error) closes the upstream request.
        for await (const message of stream) {
          const event = decodeStreamEvent(message, events);
          events++;
          // Before the client sees the turn end (./coalesce.ts, noteWrite; again in `finally`).
          if (event.type === 'stop') this.#options.reads?.noteWrite();
          yield event;
          if (event.type === 'stop') return;
        }
      } catch (error) {
        if (stopped()) return;
        if (error instanceof UpstreamError && error.failure.kind === 'network') {
          throw new UpstreamError({
            kind: 'stream_interrupted',
            events,
            reason: error.failure.reason,
          });
        }
        throw error;
      }
      if (stopped()) return;
      throw new UpstreamError({ kind: 'stream_interrupted', events });
    } finally {
      operation?.removeEventListener('abort', onOperationAbort);
      // A turn adds events to its session: reads in flight from before its end are not joined,
      // however it ended.
      this.#options.reads?.noteWrite();
    }
  }

  /** `target` with the scope `authorizeScope` decides (the same object when there is no hook). */
  #authorize<T extends Scope>(target: T): T {
    const authorize = this.#options.authorizeScope;
    if (!authorize) return target;
    const { projectId, organizationId } = authorize({
      projectId: target.projectId,
      organizationId: target.organizationId,
    });
    return { ...target, projectId, organizationId };
  }

  /**
   * One write: through the concurrency cap, one call against the budget, never deduped. Once it
   * has been sent, its settling makes the reads in flight unjoinable (./coalesce.ts, noteWrite).
   */
  #write(
    endpoint: string,
    method: 'POST' | 'DELETE',
    path: string,
    query: QueryParams,
    body: unknown,
  ): Promise<unknown> {
    return this.#limit(() => {
      if (this.#options.call.signal?.aborted) {
        return Promise.reject(new UpstreamError({ kind: 'aborted' }, 0));
      }
      if (!this.#takeAttempt()) {
        return Promise.reject(new BudgetExceededError(this.#options.maxCalls));
      }
      const sent = this.#options.client.sendJson(endpoint, method, path, query, body, {
        ...this.#options.call,
        beforeRetry: this.#takeAttempt,
      });
      const { reads } = this.#options;
      if (!reads) return sent;
      return sent.finally(() => reads.noteWrite());
    });
  }

  /**
   * A per-request loader for one endpoint. The upstream has no batch endpoint, so N keys are
   * N single calls, each through the concurrency cap and the budget. Calls are keyed by what
   * goes on the wire, so two keys that make the same request share one call.
   */
  #endpoint<K, V>(
    toCall: (key: K) => CallKey,
    decode: (body: unknown, key: K) => V,
  ): DataLoader<K, V, string> {
    return new DataLoader<K, V, string>(
      // `batch: false`: each key is its own call, so one slow call never holds back another;
      // the loader still dedupes through its per-request cache. DataLoader's contract is a
      // settled value or an Error per key, so a failure is returned, not thrown.
      async ([key]) => {
        const call = toCall(key!);
        return [
          await this.#limit(() => this.#fetch(call, callId(call)))
            .then((body) => decode(body, key!))
            .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
        ];
      },
      {
        batch: false,
        cacheKeyFn: (key) => callId(toCall(key)),
      },
    );
  }

  /**
   * The budget is checked when a call is about to start and again before each of its retries, so
   * every attempt counts and only real attempts do. A retry it refuses is not made: the call then
   * fails with its last attempt's own failure.
   *
   * With `reads`, an identical read already in flight for another operation with the same
   * credential is joined instead (its attempts so far counted here, and its later retries), else
   * this call is made so that others can join it (./coalesce.ts; docs/architecture.md, "The call
   * budget").
   */
  #fetch(key: CallKey, id: string): Promise<unknown> {
    // Queued behind the concurrency cap while the client went away: do not start it.
    if (this.#options.call.signal?.aborted) {
      return Promise.reject(new UpstreamError({ kind: 'aborted' }, 0));
    }
    const { reads, client, call, counter } = this.#options;
    if (reads) {
      const joined = reads.join(id, key.endpoint, this.#waiter);
      if (joined) {
        counter.upstreamCallsJoined = (counter.upstreamCallsJoined ?? 0) + 1;
        return joined;
      }
    }
    if (!this.#takeAttempt()) {
      return Promise.reject(new BudgetExceededError(this.#options.maxCalls));
    }
    if (reads) {
      // The shared request ends when its last waiter leaves, not with this operation.
      return reads.lead(id, this.#waiter, (shared) =>
        client.getJson(key.endpoint, key.path, key.query, { ...call, ...shared }),
      );
    }
    return client.getJson(key.endpoint, key.path, key.query, {
      ...call,
      beforeRetry: this.#takeAttempt,
    });
  }

  #waiterOnce: Waiter | undefined;

  /** This operation as a waiter on a shared read: its signal, and its budget. */
  get #waiter(): Waiter {
    return (this.#waiterOnce ??= {
      signal: this.#options.call.signal,
      take: (attempts: number): boolean => {
        const { counter, maxCalls } = this.#options;
        if (counter.upstreamCalls + attempts > maxCalls) return false;
        counter.upstreamCalls += attempts;
        return true;
      },
    });
  }

  /** Counts one more attempt when the budget has room for it. */
  readonly #takeAttempt = (): boolean => {
    const { counter, maxCalls } = this.#options;
    if (counter.upstreamCalls >= maxCalls) return false;
    counter.upstreamCalls++;
    return true;
  };
}

/** What goes on the wire for a read (its path and parameters): the dedupe and coalescing key. */
const callId = ({ path, query }: CallKey): string => `${path}?${JSON.stringify(query)}`;

const scopeOf = (s: Scope): Scope => ({
  projectId: s.projectId,
  organizationId: s.organizationId,
});

/**
 * One SSE message -> one event: its data is one JSON event whose type is its `type`, else the
 * SSE event name (docs/llamacloud-chat-api.md, "Chat turn (streamed)").
 */
export function decodeStreamEvent(message: SseMessage, index: number): ChatEvent {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    throw new UpstreamError({
      kind: 'bad_response',
      reason: 'event is not valid JSON',
      path: formatPath(['stream', index]),
    });
  }
  if (
    data !== null &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    !('type' in data) &&
    message.event !== undefined
  ) {
    data = { ...data, type: message.event };
  }
  return decodeEvent(data, ['stream', index]);
}
