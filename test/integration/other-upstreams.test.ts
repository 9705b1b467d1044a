/**
 * Paging is exact against any server implementing the documented list endpoint, not only our
 * sandbox: these small real HTTP servers page differently (cursor-style tokens, long pages that
 * ignore page_size, short pages, "" as the last token, empty pages, extra unknown fields).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/server.js';
import type { Gateway } from '../../src/server.js';

interface Behaviour {
  name: string;
  /** Items returned for a request of `pageSize` starting at `offset`. */
  pageLength(offset: number, pageSize: number): number;
  /** The token for the page starting at `offset`, and what "no more pages" looks like. */
  lastToken: null | '' | undefined;
  emptyPageAt?: number;
}

const TOTAL = 95;
const behaviours: Behaviour[] = [
  { name: 'long pages (ignores page_size, always 30)', pageLength: () => 30, lastToken: '' },
  {
    name: 'short pages (caps at 8)',
    pageLength: (_o, size) => Math.min(size, 8),
    lastToken: undefined,
  },
  {
    name: 'uneven pages',
    pageLength: (o, size) => Math.max(1, Math.min(size, (o % 11) + 1)),
    lastToken: null,
  },
  {
    name: 'an empty page mid-list',
    pageLength: (_o, size) => Math.min(size, 25),
    lastToken: '',
    emptyPageAt: 50,
  },
];

async function startUpstream(b: Behaviour) {
  const items = Array.from({ length: TOTAL }, (_, i) => ({
    session_id: `s-${String(i).padStart(3, '0')}`,
    last_updated_at: `2026-01-01T00:00:${String(59 - (i % 60)).padStart(2, '0')}.000001`,
    generated_title: `Session ${i}`,
    index_ids: null,
    job_metadata: null,
    some_future_field: { nested: true }, // unknown fields are ignored
  }));
  // Tokens are "cursor-style": an opaque id of the item the page starts at, not an offset.
  const tokenFor = (offset: number) =>
    `after:${items[offset - 1]!.session_id}:${'x'.repeat(offset % 5)}`;
  const offsetOf = (token: string) =>
    items.findIndex((i) => i.session_id === token.split(':')[1]) + 1;

  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const token = url.searchParams.get('page_token');
    const offset = token ? offsetOf(token) : 0;
    const size = Number(url.searchParams.get('page_size') ?? 10);
    let page: unknown[];
    let next: string | null | undefined;
    if (b.emptyPageAt === offset && token && !token.endsWith('!')) {
      page = [];
      next = `${token}!`;
    } else {
      const end = Math.min(offset + b.pageLength(offset, size), TOTAL);
      page = items.slice(offset, end);
      next = end < TOTAL ? tokenFor(end) : b.lastToken;
    }
    const body = JSON.stringify(
      next === undefined ? { items: page } : { items: page, next_page_token: next },
    );
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, items, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe.each(behaviours)('against an upstream with $name', (behaviour) => {
  // The upstream is stateless and every test pages from the start: one stack per behaviour.
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let gateway: Gateway;
  beforeAll(async () => {
    upstream = await startUpstream(behaviour);
    gateway = await startGateway(
      loadConfig({
        PORT: '0',
        METRICS_PORT: '0',
        LLAMA_CLOUD_BASE_URL: upstream.url,
        LLAMA_CLOUD_API_KEY: 'k',
        LOG_LEVEL: 'silent',
      }),
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it.each([1, 7, 20, 100])('first: %i visits every session once, in order', async (first) => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `query($first: Int, $after: String) { chatSessions(first: $first, after: $after) {
            edges { node { sessionId } } pageInfo { hasNextPage endCursor } } }`,
          variables: { first, after },
        }),
      });
      const body = (await res.json()) as any;
      expect(body.errors).toBeUndefined();
      const conn = body.data.chatSessions;
      seen.push(...conn.edges.map((e: any) => e.node.sessionId));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(upstream.items.map((i) => i.session_id));
  });
});
