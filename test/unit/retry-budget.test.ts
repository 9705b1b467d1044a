/** The process-wide retry budget (src/upstream/retry-budget.ts), on an injected clock. */
import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../src/upstream/retry-budget.js';

function clocked(options: ConstructorParameters<typeof RetryBudget>[0] = {}) {
  let now = 1_000_000;
  const budget = new RetryBudget({ ...options, now: () => now });
  return {
    budget,
    advance: (ms: number) => {
      now += ms;
    },
    /** How many of `n` retries asked for now are allowed. */
    retries: (n: number) =>
      Array.from({ length: n }, () => budget.tryRetry()).filter(Boolean).length,
    calls: (n: number) => {
      for (let i = 0; i < n; i++) budget.recordCall();
    },
  };
}

describe('RetryBudget', () => {
  it('defaults: 20 % of recent calls, at least 10 retries a second', () => {
    const { retries, calls, advance } = clocked();
    calls(1_000);
    expect(retries(500)).toBe(200);
    advance(1_000);
    // The share is spent; the floor still allows 10 in the new second.
    expect(retries(50)).toBe(10);
  });

  it('the floor lets a quiet gateway retry every failure', () => {
    const { retries, calls, advance } = clocked({ minRetriesPerSecond: 10 });
    for (let second = 0; second < 30; second++) {
      calls(2);
      expect(retries(4), `second ${second}`).toBe(4);
      advance(1_000);
    }
  });

  it('the floor is a rate, not a reserve: no burst at the start of an outage', () => {
    const { retries, advance } = clocked({ minRetriesPerSecond: 10 });
    expect(retries(100)).toBe(10);
    advance(999);
    expect(retries(100)).toBe(0);
    advance(1);
    expect(retries(100)).toBe(10);
  });

  it('under a sustained outage retries stay near the share plus the floor', () => {
    const { budget, advance } = clocked({ percent: 20, minRetriesPerSecond: 10 });
    let calls = 0;
    let retries = 0;
    // 100 calls a second for a minute, each wanting 2 retries.
    for (let ms = 0; ms < 60_000; ms += 10) {
      budget.recordCall();
      calls++;
      for (let r = 0; r < 2; r++) if (budget.tryRetry()) retries++;
      advance(10);
    }
    expect(calls).toBe(6_000);
    expect(retries).toBeLessThanOrEqual(calls * 0.2 + 10 * 60);
    expect(retries).toBeGreaterThanOrEqual(calls * 0.2);
  });

  it('calls and retries leave the window after windowSeconds', () => {
    const { retries, calls, advance } = clocked({ percent: 50, minRetriesPerSecond: 0 });
    calls(10);
    expect(retries(10)).toBe(5);
    advance(9_000);
    expect(retries(1)).toBe(0); // both still counted: 5 of 10 spent
    advance(1_000);
    expect(retries(1)).toBe(0); // both forgotten: no calls, no share
    calls(2);
    expect(retries(2)).toBe(1);
  });

  it('a share of zero and no floor never retries', () => {
    const { retries, calls } = clocked({ percent: 0, minRetriesPerSecond: 0 });
    calls(100);
    expect(retries(10)).toBe(0);
  });

  it('a long pause empties the whole ring, and a clock going backwards is harmless', () => {
    const { retries, calls, advance } = clocked({ percent: 20, minRetriesPerSecond: 1 });
    calls(100);
    expect(retries(30)).toBe(20);
    advance(3_600_000);
    expect(retries(5)).toBe(1); // the floor only
    advance(-5_000);
    expect(retries(5)).toBe(0); // still counted in the newest second
    calls(10);
    expect(retries(5)).toBe(1); // a share of 2, one already spent by the floor
  });
});
