/**
 * Coalescing of identical in-flight upstream reads across operations (docs/architecture.md,
 * "Coalesced reads"): while a GET with the same credential, path and query is in flight, a second
 * operation waits for its answer instead of sending its own. Only in flight: an entry is removed
 * the moment its answer settles, so nothing here is a response cache. Writes and the streamed
 * turn are never shared (src/upstream/chat-api.ts joins or leads from `#fetch`, the reads' path
 * only); they only say when they have settled (`noteWrite`).
 *
 * The rules, each an answer to a way sharing could leak or cheat:
 * - **Keyed by credential**: SHA-256 of the upstream credential, never the key itself, then the
 *   path and the query (src/upstream/chat-api.ts builds them from what goes on the wire).
 * - **Each waiter pays**: a joiner counts the attempts the shared call has made so far against its
 *   own budget, and every later retry while it waits (`Waiter.take`); one whose budget cannot
 *   cover them does not join (the Chat API then makes its own call, or refuses it with
 *   BUDGET_EXCEEDED as without coalescing).
 * - **Each waiter leaves on its own**: its operation's signal (client gone, execution deadline)
 *   ends its wait at once with its own `aborted` error; the shared request is aborted only when
 *   the last waiter has left, and it is then no longer joinable.
 * - **One deadline**: the shared request keeps the deadline (UPSTREAM_TIMEOUT_MS) it started with;
 *   a joiner arrives later, so it never waits past the deadline its own call would have had.
 * - **One outcome**: the answer or the failure (404, 5xx after retries, a timeout) goes to every
 *   waiter alike, so each maps it to the same code. The parsed body is shared: decoding must not
 *   mutate it.
 * - **The leader's request headers**: the request goes out with the `x-request-id` and
 *   `traceparent` of the operation that started it; a joiner's are not sent upstream.
 * - **Never older than a write**: once a write (or a chat turn) through this process has settled,
 *   no read that was already in flight is joined any more (`noteWrite`), so an operation that
 *   starts after a write answered never gets an answer read before that write.
 *
 * How this differs from other gateways' in-flight deduplication, and why:
 * docs/architecture.md, "Coalesced reads".
 *
 * Hand-written: in-flight deduplication libraries (e.g. p-memoize, DataLoader across requests)
 * share one promise, with no per-waiter abort and no per-waiter accounting of retries, which is
 * the whole of what this module must get right.
 */
import { hash } from 'node:crypto';
import { UpstreamError } from './errors.js';

/** One operation waiting for a read: how it leaves, and how it pays. */
export interface Waiter {
  /** The operation's signal: when it fires, the waiter stops waiting (UpstreamError `aborted`). */
  readonly signal: AbortSignal | undefined;
  /**
   * Counts `attempts` more upstream attempts against the operation's budget when it has room for
   * all of them; false (nothing counted) otherwise.
   */
  take(attempts: number): boolean;
}

/** What the shared request is made with (src/upstream/client.ts, CallOptions). */
export interface SharedCall {
  /** Aborted when the last waiter has left. */
  readonly signal: AbortSignal;
  /**
   * Asked before each retry: counts it against every waiter whose budget has room, and allows it
   * when at least one had (as one operation alone would have made it).
   */
  readonly beforeRetry: () => boolean;
}

export interface ReadCoalescerOptions {
  /** Called once per join, with the endpoint's template (metrics). */
  onJoin?: ((endpoint: string) => void) | undefined;
}

/** One read in flight. */
class Flight {
  /** Attempts the shared call has made so far (the first, and each retry allowed). */
  attempts = 1;
  /** Joinable only while no write has settled since it started (ReadCoalescer.noteWrite). */
  readonly writes: number;
  settled = false;
  readonly waiters = new Set<{ waiter: Waiter }>();
  readonly controller = new AbortController();
  outcome!: Promise<unknown>;

  constructor(writes: number) {
    this.writes = writes;
  }

  readonly beforeRetry = (): boolean => {
    let allowed = false;
    for (const { waiter } of this.waiters) if (waiter.take(1)) allowed = true;
    if (allowed) this.attempts++;
    return allowed;
  };
}

/** The process's reads in flight, for one upstream (one per UpstreamClient: src/context.ts). */
export class ReadCoalescer {
  readonly #flights = new Map<string, Flight>();
  readonly #onJoin: ((endpoint: string) => void) | undefined;
  /** Writes settled so far, any credential (one counter: writes are rare next to reads). */
  #writes = 0;

  constructor(options: ReadCoalescerOptions = {}) {
    this.#onJoin = options.onJoin;
  }

  /** The reads of one credential (undefined: none, the sandbox without keys). */
  forCredential(credential: string | undefined): CredentialReads {
    // Hashed so that no map key, heap dump or debugger view holds the credential itself.
    const id = credential === undefined ? '-' : hash('sha256', credential, 'base64');
    return new CredentialReads(this, `${id} `);
  }

  /** Reads in flight right now (tests). */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * A write (POST, DELETE, a chat turn) has settled, whatever its outcome: the reads in flight
   * started before it, so none of them is joined from now on (each still answers its waiters).
   */
  noteWrite(): void {
    this.#writes++;
  }

  /** @internal See CredentialReads.join. */
  join(key: string, endpoint: string, waiter: Waiter): Promise<unknown> | undefined {
    const flight = this.#flights.get(key);
    if (!flight || flight.settled) return undefined;
    if (flight.writes !== this.#writes) {
      // Older than a write: the next read of this key leads a flight of its own.
      this.#flights.delete(key);
      return undefined;
    }
    if (!waiter.take(flight.attempts)) return undefined;
    this.#onJoin?.(endpoint);
    return this.#wait(key, flight, waiter);
  }

  /** @internal See CredentialReads.lead. */
  lead(
    key: string,
    waiter: Waiter,
    start: (call: SharedCall) => Promise<unknown>,
  ): Promise<unknown> {
    const flight = new Flight(this.#writes);
    // A read already in flight that this waiter could not pay for keeps its place: this one runs
    // beside it, unregistered. One older than a write gives its place up.
    const current = this.#flights.get(key);
    const registered = current === undefined || current.writes !== this.#writes;
    if (registered) this.#flights.set(key, flight);
    const settle = () => {
      flight.settled = true;
      if (registered && this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    flight.outcome = start({ signal: flight.controller.signal, beforeRetry: flight.beforeRetry });
    // First reaction on the outcome: the entry is gone before any waiter hears the answer.
    flight.outcome.then(settle, settle);
    return this.#wait(registered ? key : undefined, flight, waiter);
  }

  #wait(key: string | undefined, flight: Flight, waiter: Waiter): Promise<unknown> {
    const entry = { waiter };
    flight.waiters.add(entry);
    const { signal } = waiter;
    if (!signal) {
      return flight.outcome.finally(() => flight.waiters.delete(entry));
    }
    return new Promise((resolve, reject) => {
      const leave = () => {
        flight.waiters.delete(entry);
        reject(new UpstreamError({ kind: 'aborted' }, 0));
        if (flight.waiters.size > 0 || flight.settled) return;
        // The last waiter left: nobody needs the answer any more.
        if (key !== undefined && this.#flights.get(key) === flight) this.#flights.delete(key);
        flight.controller.abort();
      };
      if (signal.aborted) {
        leave();
        return;
      }
      signal.addEventListener('abort', leave, { once: true });
      flight.outcome.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          flight.waiters.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave);
          flight.waiters.delete(entry);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}

/** The reads of one credential: keys are prefixed with its hash, so two credentials never meet. */
export class CredentialReads {
  readonly #coalescer: ReadCoalescer;
  readonly #prefix: string;

  constructor(coalescer: ReadCoalescer, prefix: string) {
    this.#coalescer = coalescer;
    this.#prefix = prefix;
  }

  /**
   * The answer of the identical read in flight (`call`: path and query as sent), when there is
   * one and the waiter's budget covers the attempts it has made so far (counted then); undefined
   * otherwise, with nothing counted.
   */
  join(call: string, endpoint: string, waiter: Waiter): Promise<unknown> | undefined {
    return this.#coalescer.join(this.#prefix + call, endpoint, waiter);
  }

  /** A write with this credential has settled (see ReadCoalescer.noteWrite). */
  noteWrite(): void {
    this.#coalescer.noteWrite();
  }

  /**
   * Makes the read (`start`, with the shared request's signal and retry hook) and lets others
   * join it until it settles. The waiter's first attempt must already be counted.
   */
  lead(
    call: string,
    waiter: Waiter,
    start: (call: SharedCall) => Promise<unknown>,
  ): Promise<unknown> {
    return this.#coalescer.lead(this.#prefix + call, waiter, start);
  }
}
