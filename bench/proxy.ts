/**
 * The `proxy` scenario, the floor: a minimal node:http server on an undici Pool configured like
 * the gateway's (src/upstream/client.ts). It reads each request, makes the same upstream call as
 * `chatSessions(first: 20)` and writes the very bytes the gateway answers to the bench's
 * `connection` query (the bench checks they are identical), built by `bench/lib/connection-page.ts`;
 * GraphQL itself, validation, deadlines, retries and logging are left out.
 * Environment: UPSTREAM_URL, PORT, HOST, LLAMA_CLOUD_API_KEY. Prints `{"url": …}` once listening.
 */
import { createServer } from 'node:http';
import type { WireSessionList } from '../src/upstream/wire.js';
import { connectionOf } from './lib/connection-page.js';
import { headers, LIST_PATH, pool, serve } from './lib/floor-server.js';

const path = `${LIST_PATH}?page_size=20`;

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
        const text = JSON.stringify({
          data: { chatSessions: connectionOf((await upstreamRes.body.json()) as WireSessionList) },
        });
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
serve(server);
