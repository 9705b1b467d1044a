/**
 * A process-wide retry budget, like Finagle's RetryBudget and Envoy's retry_budget: so that an
 * upstream outage is not tripled by our own retries (UPSTREAM_MAX_RETRIES=2 means up to three
 * attempts per call), a retry is allowed only while
 *
 *  - the retries of the last `windowSeconds` stay within `percent` % of the calls made in them
 *    (calls = first attempts), or
 *  - fewer than `minRetriesPerSecond` retries were made in the current second: a floor, so a
 *    gateway with little traffic can still retry its occasional failure.
 *
 * During a long outage the upstream thus sees about (1 + percent/100)× the calls, plus at most
 * the floor; unlike Finagle's reserve (minRetriesPerSec × ttl, spendable at once), the floor is
 * a rate, so an outage does not open with a burst of retries.
 *
 * Hand-written: no maintained npm package offers a retry budget (cockatiel and opossum have
 * retries and circuit breakers, not this), and it is one small class. Counts live in one-second
 * buckets of a ring, so memory and work per call are constant; the clock is injected, so tests
 * need not sleep.
 */
export interface RetryBudgetOptions {
  /** Retries allowed as a percentage of recent calls (default 20). */
  percent?: number;
  /** How far back "recent" reaches, in whole seconds (default 10). */
  windowSeconds?: number;
  /** Retries allowed in any one second whatever the percentage says (default 10). */
  minRetriesPerSecond?: number;
  /** Milliseconds on a monotonic clock (default performance.now). */
  now?: () => number;
}

export class RetryBudget {
  readonly #percent: number;
  readonly #minPerSecond: number;
  readonly #now: () => number;
  /** Calls and retries per second, indexed by second modulo the window. */
  readonly #calls: number[];
  readonly #retries: number[];
  /** The second the newest bucket counts. */
  #second: number;

  constructor(options: RetryBudgetOptions = {}) {
    this.#percent = options.percent ?? 20;
    this.#minPerSecond = options.minRetriesPerSecond ?? 10;
    this.#now = options.now ?? (() => performance.now());
    const buckets = Math.max(1, Math.floor(options.windowSeconds ?? 10));
    this.#calls = new Array<number>(buckets).fill(0);
    this.#retries = new Array<number>(buckets).fill(0);
    this.#second = Math.floor(this.#now() / 1000);
  }

  /** Counts a call (its first attempt): each one earns `percent` % of a retry. */
  recordCall(): void {
    this.#calls[this.#advance()]!++;
  }

  /** True, and the retry counted, when one more retry is allowed now; false otherwise. */
  tryRetry(): boolean {
    const bucket = this.#advance();
    const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
    const withinShare = (sum(this.#retries) + 1) * 100 <= this.#percent * sum(this.#calls);
    if (!withinShare && this.#retries[bucket]! >= this.#minPerSecond) return false;
    this.#retries[bucket]!++;
    return true;
  }

  /** Moves the window to the current second (emptying the buckets it passes); its index. */
  #advance(): number {
    const second = Math.floor(this.#now() / 1000);
    const size = this.#calls.length;
    // A clock that went backwards keeps counting in the newest bucket.
    for (let s = Math.max(this.#second + 1, second - size + 1); s <= second; s++) {
      this.#calls[index(s, size)] = 0;
      this.#retries[index(s, size)] = 0;
    }
    this.#second = Math.max(this.#second, second);
    return index(this.#second, size);
  }
}

const index = (second: number, size: number) => ((second % size) + size) % size;
