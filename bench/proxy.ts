/**
 * The `proxy` scenario, the floor: a minimal node:http server on an undici Pool configured like
 * the gateway's (src/upstream/client.ts). It reads each request, makes the same upstream call as
 * `chatSessions(first: 20)` and writes the very bytes the gateway answers to the bench's
 * `connection` query (the bench checks they are identical), reusing the gateway's cursor and
 * timestamp helpers; GraphQL itself, validation, deadlines, retries and logging are left out.
 * Environment: UPSTREAM_URL, PORT, HOST, LLAMA_CLOUD_API_KEY. Prints `{"url": …}` once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { encodeCursor } from '../src/pagination/cursor.js';
import type { CursorPosition } from '../src/pagination/cursor.js';
import { toRfc3339Utc } from '../src/upstream/timestamps.js';
import type { WireSessionList } from '../src/upstream/wire.js';

const upstream = new URL(process.env.UPSTREAM_URL ?? '');
const apiKey = process.env.LLAMA_CLOUD_API_KEY;
const path = `${upstream.pathname.replace(/\/+$/, '')}/api/v1/chat?page_size=20`;
const scope = {};

// The gateway's pool settings (src/upstream/client.ts).
const pool = new Pool(upstream.origin, {
  connections: 64,
  keepAliveTimeout: 30_000,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
});
const headers: Record<string, string> = { accept: 'application/json' };
if (apiKey) headers.authorization = `Bearer ${apiKey}`;

/** Same field order as the bench's `connection` query, so the bodies compare equal. */
function reshape(list: WireSessionList): unknown {
  const next = list.next_page_token ? list.next_page_token : null;
  const items = list.items;
  const edges = items.map((s, i) => {
    const after: CursorPosition =
      i === items.length - 1 && next !== null ? { t: next, o: 0 } : { t: null, o: i + 1 };
    const job = s.job_metadata;
    return {
      cursor: encodeCursor(after, scope),
      node: {
        sessionId: s.session_id,
        lastUpdatedAt: toRfc3339Utc(s.last_updated_at),
        generatedTitle: s.generated_title ?? null,
        indexIds: s.index_ids ?? null,
        jobMetadata: job
          ? {
              durationMs: job.duration_ms,
              error: job.error ?? null,
              exportConfigIds: job.export_config_ids ?? null,
              isError: job.is_error,
              totalInputTokens: job.total_input_tokens ?? null,
              totalOutputTokens: job.total_output_tokens ?? null,
              turns: job.turns,
            }
          : null,
      },
    };
  });
  return {
    data: {
      chatSessions: {
        edges,
        pageInfo: {
          hasNextPage: next !== null,
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      },
    },
  };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    // Read and parse the request like any gateway would; its content is not needed here.
    if (chunks.length > 0) JSON.parse(Buffer.concat(chunks).toString('utf8'));
    pool
      .request({ method: 'GET', path, headers })
      .then(async (upstreamRes) => {
        if (upstreamRes.statusCode !== 200) {
          await upstreamRes.body.dump();
          throw new Error(`upstream answered ${upstreamRes.statusCode}`);
        }
        const text = JSON.stringify(reshape((await upstreamRes.body.json()) as WireSessionList));
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      })
      .catch((error: Error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(error.message);
      });
  });
});
server.keepAliveTimeout = 60_000;
const host = process.env.HOST ?? '127.0.0.1';
server.listen(Number(process.env.PORT ?? 0), host, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://${host}:${port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.close().then(() => process.exit(0));
});
