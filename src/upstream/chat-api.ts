/**
 * The Chat API as one GraphQL operation sees it: typed methods over UpstreamClient, with
 *  - dedupe: one DataLoader per endpoint (the credential is fixed per request), keyed by the
 *    exact call (path and parameters), so identical calls are made once;
 *  - a budget: at most MAX_UPSTREAM_CALLS_PER_OPERATION HTTP attempts (distinct calls and their
 *    retries), across all endpoints, counted on the request's record (docs/architecture.md,
 *    "The call budget");
 *  - a concurrency cap, so a wide query cannot open a socket per field at once.
 * Created per request (src/context.ts): nothing here outlives or crosses credentials.
 */
import DataLoader from 'dataloader';
import pLimit from 'p-limit';
import type { LimitFunction } from 'p-limit';
import type {
  ChatSession,
  ChatSessionPage,
  FullChatSession,
  Scope,
  SessionKey,
} from '../domain.js';
import type { CallOptions, QueryParams, UpstreamClient } from './client.js';
import { UpstreamError } from './errors.js';
import { toChatSession, toChatSessionPage, toFullChatSession } from './mapping.js';
import { formatPath, wireFullSession, wireSessionList, wireSessionSummary } from './wire.js';
import type { z } from 'zod';

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
}

export interface ChatApiOptions {
  client: UpstreamClient;
  call: CallOptions;
  maxCalls: number;
  counter: CallCounter;
  /** Upstream calls in flight at once for this operation. */
  concurrency?: number;
}

const scopeQuery = (scope: Scope): QueryParams => ({
  project_id: scope.projectId,
  organization_id: scope.organizationId,
});

/** The id is one path segment: encoded, so `/`, `?` or `#` in it cannot change the URL. */
const sessionPath = (sessionId: string) => `/api/v1/chat/${encodeURIComponent(sessionId)}`;

/** A single-resource lookup answers 404 when the resource does not exist: that is `null`. */
async function nullIfNotFound<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (
      error instanceof UpstreamError &&
      error.failure.kind === 'status' &&
      error.failure.status === 404
    ) {
      return null;
    }
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
      (body, p) => toChatSessionPage(parse(wireSessionList, body), scopeOf(p)),
    );
    // GET /api/v1/chat/{session_id}/summary
    this.#summaries = this.#endpoint(
      (k) => ({
        endpoint: '/api/v1/chat/{session_id}/summary',
        path: `${sessionPath(k.sessionId)}/summary`,
        query: scopeQuery(k),
      }),
      (body, k) => toChatSession(parse(wireSessionSummary, body), scopeOf(k)),
    );
    // GET /api/v1/chat/{session_id}: the summary plus events.
    this.#sessions = this.#endpoint(
      (k) => ({
        endpoint: '/api/v1/chat/{session_id}',
        path: sessionPath(k.sessionId),
        query: scopeQuery(k),
      }),
      (body, k) => toFullChatSession(parse(wireFullSession, body), scopeOf(k)),
    );
  }

  listSessions(params: ListSessionsParams): Promise<ChatSessionPage> {
    return this.#lists.load(params);
  }

  /** One session summary; `null` when the upstream answers 404. */
  getSummary(key: SessionKey): Promise<ChatSession | null> {
    return nullIfNotFound(this.#summaries.load(key));
  }

  /** One session with its events; `null` when the upstream answers 404. */
  getSession(key: SessionKey): Promise<FullChatSession | null> {
    return nullIfNotFound(this.#sessions.load(key));
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
      async ([key]) => [
        await this.#limit(() => this.#fetch(toCall(key!)))
          .then((body) => decode(body, key!))
          .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      ],
      {
        batch: false,
        cacheKeyFn: (key) => {
          const { path, query } = toCall(key);
          return `${path}?${JSON.stringify(query)}`;
        },
      },
    );
  }

  /**
   * The budget is checked when a call is about to start and again before each of its retries, so
   * every attempt counts and only real attempts do. A retry it refuses is not made: the call then
   * fails with its last attempt's own failure.
   */
  #fetch(key: CallKey): Promise<unknown> {
    // Queued behind the concurrency cap while the client went away: do not start it.
    if (this.#options.call.signal?.aborted) {
      return Promise.reject(new UpstreamError({ kind: 'aborted' }, 0));
    }
    if (!this.#takeAttempt()) {
      return Promise.reject(new BudgetExceededError(this.#options.maxCalls));
    }
    return this.#options.client.getJson(key.endpoint, key.path, key.query, {
      ...this.#options.call,
      beforeRetry: this.#takeAttempt,
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

const scopeOf = (s: Scope): Scope => ({
  projectId: s.projectId,
  organizationId: s.organizationId,
});

/** Validate a 2xx body; the first bad field is named (e.g. `items[3].session_id`). */
export function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new UpstreamError({
    kind: 'bad_response',
    reason: issue?.message ?? 'unexpected shape',
    path: formatPath(issue?.path ?? []),
  });
}
