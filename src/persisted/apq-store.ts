/**
 * Where automatic persisted queries (APQ) are kept: sha256 hash -> query text. The text is
 * content-addressed (the hash is checked before anything is stored), so an entry never changes
 * and may be cached anywhere; losing one only costs the client one retry with the full query.
 *
 * - `LruApqStore`: in-process, bounded by entries and bytes (never unbounded).
 * - `RedisApqStore`: shared by every gateway on one Redis (keys prefixed, with a TTL), in front
 *   of an in-process LRU that is both its cache and its fallback: a Redis outage never fails or
 *   stalls a request, it only makes the store per-process until Redis answers again.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export interface ApqStore {
  get(hash: string): Promise<string | undefined>;
  /** Never rejects: a store that cannot keep an entry forgets it. */
  set(hash: string, query: string): Promise<void>;
}

export const APQ_LRU_MAX_ENTRIES = 1_000;
export const APQ_LRU_MAX_BYTES = 10 * 1024 * 1024;

export interface LruApqStoreOptions {
  maxEntries?: number;
  /** Sum of the hashes' and queries' UTF-8 sizes. */
  maxBytes?: number;
}

/** Least recently used entries go first once either bound is reached. */
export class LruApqStore implements ApqStore {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, { query: string; bytes: number }>();
  private totalBytes = 0;

  constructor(options: LruApqStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? APQ_LRU_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? APQ_LRU_MAX_BYTES;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held (what `maxBytes` bounds). */
  get bytes(): number {
    return this.totalBytes;
  }

  getSync(hash: string): string | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    this.entries.delete(hash);
    this.entries.set(hash, entry);
    return entry.query;
  }

  get(hash: string): Promise<string | undefined> {
    return Promise.resolve(this.getSync(hash));
  }

  setSync(hash: string, query: string): void {
    const bytes = Buffer.byteLength(hash) + Buffer.byteLength(query);
    this.delete(hash);
    if (bytes > this.maxBytes) return;
    this.entries.set(hash, { query, bytes });
    this.totalBytes += bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  set(hash: string, query: string): Promise<void> {
    this.setSync(hash, query);
    return Promise.resolve();
  }

  private delete(hash: string): void {
    const entry = this.entries.get(hash);
    if (!entry) return;
    this.entries.delete(hash);
    this.totalBytes -= entry.bytes;
  }
}

export const APQ_REDIS_KEY_PREFIX = 'llamacloud-gateway:apq:';
export const APQ_REDIS_TTL_SECONDS = 24 * 60 * 60;
/** A Redis command slower than this is treated as an outage for that request. */
export const APQ_REDIS_TIMEOUT_MS = 250;

export interface RedisApqStoreOptions {
  /** A connected (or connecting) client; its owner creates, configures and closes it. */
  redis: Redis;
  logger: Logger;
  /** The in-process cache and fallback (default: a bounded LruApqStore). */
  local?: LruApqStore;
  keyPrefix?: string;
  ttlSeconds?: number;
  timeoutMs?: number;
}

export class RedisApqStore implements ApqStore {
  readonly local: LruApqStore;
  private readonly redis: Redis;
  private readonly logger: Logger;
  private readonly keyPrefix: string;
  private readonly ttlSeconds: number;
  private readonly timeoutMs: number;
  /** True from the first failure until Redis answers again: one log line per outage. */
  private degraded = false;

  constructor(options: RedisApqStoreOptions) {
    this.redis = options.redis;
    this.logger = options.logger;
    this.local = options.local ?? new LruApqStore();
    this.keyPrefix = options.keyPrefix ?? APQ_REDIS_KEY_PREFIX;
    this.ttlSeconds = options.ttlSeconds ?? APQ_REDIS_TTL_SECONDS;
    this.timeoutMs = options.timeoutMs ?? APQ_REDIS_TIMEOUT_MS;
  }

  async get(hash: string): Promise<string | undefined> {
    const cached = this.local.getSync(hash);
    if (cached !== undefined) return cached;
    const query = await this.attempt(() => this.redis.get(this.keyPrefix + hash));
    if (typeof query !== 'string') return undefined;
    this.local.setSync(hash, query);
    return query;
  }

  async set(hash: string, query: string): Promise<void> {
    this.local.setSync(hash, query);
    await this.attempt(() => this.redis.set(this.keyPrefix + hash, query, 'EX', this.ttlSeconds));
  }

  /** The command's answer, or undefined when Redis is down, failing or slow. Never rejects. */
  private async attempt<T>(command: () => Promise<T>): Promise<T | undefined> {
    // While ioredis reconnects it would queue the command (and retry it) for seconds: answer
    // from the local store at once instead. 'wait' is a lazy client not connected yet.
    const { status } = this.redis;
    if (status !== 'ready' && status !== 'wait') {
      this.fail(`connection ${status}`);
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
          this.timeoutMs,
        );
      });
      const result = await Promise.race([command(), timeout]);
      this.recovered();
      return result;
    } catch (error) {
      // Only the message: an ioredis error may carry the command's arguments (the query text).
      this.fail(error instanceof Error ? error.message : String(error));
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private fail(reason: string): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(
      { reason },
      'APQ store: Redis unavailable, persisted queries are served from this process until it answers again',
    );
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger.info('APQ store: Redis answers again');
  }
}
