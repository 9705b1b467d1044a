/**
 * Property: for arbitrary lists, upstream page behaviours (short pages, over-long pages, empty
 * pages before the end, empty last pages) and client `first` values, paging with
 * `after: endCursor` visits every item exactly once, in order, and ends with hasNextPage false.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemblePage } from '../../src/pagination/assemble.js';
import type { FetchPage } from '../../src/pagination/assemble.js';
import { decodeCursor, encodeCursor } from '../../src/pagination/cursor.js';

interface UpstreamModel {
  size: number;
  /** Upstream page sizes are decided by (offset, requested) through these knobs. */
  cap: number;
  extra: number;
  emptyEvery: number;
  trailingEmptyPage: boolean;
}

/** A simulated upstream whose token is an offset; deterministic for the same (token, size). */
function simulatedUpstream(m: UpstreamModel) {
  const items = Array.from({ length: m.size }, (_, i) => `item-${i}`);
  const calls: Array<{ token: string | null; pageSize: number }> = [];
  const fetchPage: FetchPage<string> = async (token, pageSize) => {
    calls.push({ token, pageSize });
    expect(pageSize).toBeGreaterThan(0);
    const offset = token === null ? 0 : Number.parseInt(token.slice(4), 10);
    // Some pages are empty even though the list goes on.
    const empty =
      m.emptyEvery > 0 && offset > 0 && offset % m.emptyEvery === 0 && !token?.endsWith('e');
    if (empty) return { items: [], nextPageToken: `tok:${offset}e` };
    const count = Math.min(pageSize, m.cap) + m.extra; // short (cap) or long (extra) pages
    const end = Math.min(offset + count, items.length);
    const last = end >= items.length;
    const nextPageToken = !last
      ? `tok:${end}`
      : m.trailingEmptyPage && offset < items.length
        ? `tok:${end}`
        : null;
    return { items: items.slice(offset, end), nextPageToken };
  };
  return { items, calls, fetchPage };
}

const scope = { projectId: '3f0e8a52-6c1d-4b7a-9e2f-5a8c1d3b7e90' };

describe('page assembly (property)', () => {
  it('visits every item exactly once, in order, and ends with hasNextPage false', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          size: fc.integer({ min: 0, max: 120 }),
          cap: fc.integer({ min: 1, max: 40 }),
          extra: fc.integer({ min: 0, max: 5 }),
          emptyEvery: fc.constantFrom(0, 0, 7, 13),
          trailingEmptyPage: fc.boolean(),
        }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 8 }),
        async (model, firsts) => {
          const upstream = simulatedUpstream(model);
          const seen: string[] = [];
          let after: string | null = null;
          let hasNextPage = true;
          for (let request = 0; hasNextPage; request++) {
            expect(request).toBeLessThan(model.size + 10); // always terminates
            const first = firsts[request % firsts.length]!;
            const start = after === null ? { t: null, o: 0 } : decodeCursor(after, scope);
            const page = await assemblePage(first, start, upstream.fetchPage);
            expect(page.edges.length).toBeLessThanOrEqual(first);
            // A full page is returned whenever the list has that many items left.
            if (page.hasNextPage) expect(page.edges.length).toBe(first);
            seen.push(...page.edges.map((e) => e.node));
            hasNextPage = page.hasNextPage;
            const last = page.edges.at(-1);
            if (last) after = encodeCursor(last.after, scope);
          }
          expect(seen).toEqual(upstream.items);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('puts next_page_token into the cursor of the last item of an upstream page', async () => {
    const upstream = simulatedUpstream({
      size: 10,
      cap: 4,
      extra: 0,
      emptyEvery: 0,
      trailingEmptyPage: false,
    });
    const page = await assemblePage(4, { t: null, o: 0 }, upstream.fetchPage);
    expect(page.edges.at(-1)!.after).toEqual({ t: 'tok:4', o: 0 });
    expect(page.edges[1]!.after).toEqual({ t: null, o: 2 });
  });

  it('first: 0 returns no edges but still knows whether items exist', async () => {
    const full = simulatedUpstream({
      size: 3,
      cap: 10,
      extra: 0,
      emptyEvery: 0,
      trailingEmptyPage: false,
    });
    expect(await assemblePage(0, { t: null, o: 0 }, full.fetchPage)).toEqual({
      edges: [],
      hasNextPage: true,
    });
    const empty = simulatedUpstream({
      size: 0,
      cap: 10,
      extra: 0,
      emptyEvery: 0,
      trailingEmptyPage: false,
    });
    expect(await assemblePage(0, { t: null, o: 0 }, empty.fetchPage)).toEqual({
      edges: [],
      hasNextPage: false,
    });
  });

  it('refuses an upstream that loops on one page token', async () => {
    const looping: FetchPage<string> = async () => ({ items: [], nextPageToken: 'same' });
    await expect(assemblePage(5, { t: null, o: 0 }, looping)).rejects.toThrow(
      /repeated a page token/,
    );
  });
});
