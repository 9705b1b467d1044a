/**
 * Page assembly: turn "first N after position P" into upstream page fetches
 * (docs/architecture.md, "Cursors").
 * Pure apart from `fetchPage`, so it is property-tested against simulated upstreams.
 *
 * The upstream's page size is a request, not a promise: pages may come back short (keep
 * fetching until `first` is filled or the list ends) or long (slice). A position is
 * (page token, items to skip); resuming mid-page refetches that page with a larger page size.
 */
import type { CursorPosition } from './cursor.js';

export interface UpstreamPage<T> {
  items: T[];
  /** null when this is the last page. */
  nextPageToken: string | null;
}

export type FetchPage<T> = (pageToken: string | null, pageSize: number) => Promise<UpstreamPage<T>>;

export interface AssembledEdge<T> {
  node: T;
  /** Where the item after this one is: the edge's cursor. */
  after: CursorPosition;
}

export interface AssembledPage<T> {
  edges: AssembledEdge<T>[];
  hasNextPage: boolean;
}

export class UpstreamPagingError extends Error {
  override name = 'UpstreamPagingError';
}

export async function assemblePage<T>(
  first: number,
  start: CursorPosition,
  fetchPage: FetchPage<T>,
): Promise<AssembledPage<T>> {
  const edges: AssembledEdge<T>[] = [];
  const seenTokens = new Set<string | null>();
  let { t: token, o: skip } = start;

  for (;;) {
    // A token we already fetched in this call means the upstream is looping.
    if (seenTokens.has(token)) throw new UpstreamPagingError('the upstream repeated a page token');
    seenTokens.add(token);

    const need = first - edges.length;
    // Ask for one item beyond what we need when need = 0, to learn whether more exist.
    const page = await fetchPage(token, skip + Math.max(need, 1));
    const { items, nextPageToken } = page;

    const taken = items.slice(skip, skip + need);
    taken.forEach((node, i) => {
      const index = skip + i;
      const lastOfPage = index === items.length - 1;
      // At a page boundary the cursor carries next_page_token: `after` sends it unchanged.
      const after: CursorPosition =
        lastOfPage && nextPageToken !== null
          ? { t: nextPageToken, o: 0 }
          : { t: token, o: index + 1 };
      edges.push({ node, after });
    });

    if (edges.length === first) {
      const consumed = skip + taken.length;
      return { edges, hasNextPage: consumed < items.length || nextPageToken !== null };
    }
    if (nextPageToken === null) return { edges, hasNextPage: false };
    // A short page can leave part of the skip for the next one.
    skip = Math.max(0, skip - items.length);
    token = nextPageToken;
  }
}
