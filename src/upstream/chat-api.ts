/**
 * The Chat API as one GraphQL operation sees it: typed methods over UpstreamClient, with
 *  - dedupe: identical calls (same endpoint and parameters; the credential is fixed per
 *    request) are made once, through a per-request DataLoader;
 *  - a budget: at most MAX_UPSTREAM_CALLS_PER_OPERATION distinct calls;
 *  - a concurrency cap, so a wide query cannot open a socket per field at once.
 * Created per request (src/context.ts): nothing here outlives or crosses credentials.
 */
import DataLoader from 'dataloader';
import pLimit from 'p-limit';
import type { ChatSessionPage, Scope } from '../domain.js';
import type { CallOptions, UpstreamClient } from './client.js';
import { UpstreamError } from './errors.js';
import { toChatSessionPage } from './mapping.js';
import { formatPath, wireSessionList } from './wire.js';
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
  path: string;
  query: Record<string, string | number | undefined>;
}

export interface ChatApiOptions {
  client: UpstreamClient;
  call: CallOptions;
  maxCalls: number;
  /** Upstream calls in flight at once for this operation. */
  concurrency?: number;
}

export class ChatApi {
  /** Distinct upstream calls started by this operation (for logs, metrics and the budget). */
  callCount = 0;
  readonly #options: ChatApiOptions;
  readonly #loader: DataLoader<CallKey, unknown, string>;

  constructor(options: ChatApiOptions) {
    this.#options = options;
    const limit = pLimit(options.concurrency ?? 8);
    // DataLoader wants settled values: an Error in the array rejects that key's load() only.
    // (Unsettled promises in the array would resolve load() *with* the Error object.)
    this.#loader = new DataLoader(
      (keys) =>
        Promise.all(
          keys.map((key) =>
            limit(() => this.#fetch(key)).catch((error: unknown) => toError(error)),
          ),
        ),
      { cacheKeyFn: (key) => `${key.path}?${JSON.stringify(key.query)}` },
    );
  }

  async listSessions(params: ListSessionsParams): Promise<ChatSessionPage> {
    const body = await this.#get({
      path: '/api/v1/chat',
      query: {
        page_size: params.pageSize,
        page_token: params.pageToken ?? undefined,
        project_id: params.projectId,
        organization_id: params.organizationId,
      },
    });
    return toChatSessionPage(parse(wireSessionList, body));
  }

  /** Deduped, budgeted GET. The budget is checked when a call is about to start. */
  #get(key: CallKey): Promise<unknown> {
    return this.#loader.load(key);
  }

  #fetch(key: CallKey): Promise<unknown> {
    // Queued behind the concurrency cap while the client went away: do not start it.
    if (this.#options.call.signal?.aborted) {
      return Promise.reject(new UpstreamError({ kind: 'aborted' }, 0));
    }
    if (this.callCount >= this.#options.maxCalls) {
      return Promise.reject(new BudgetExceededError(this.#options.maxCalls));
    }
    this.callCount++;
    return this.#options.client.getJson(key.path, key.query, this.#options.call);
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

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
