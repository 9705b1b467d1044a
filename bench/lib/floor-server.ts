/**
 * What the hand-written servers of the bench (`bench/proxy.ts`, `bench/yoga-floor.ts`) share: the
 * upstream pool with the gateway's settings (src/upstream/client.ts) and the list call's headers,
 * from UPSTREAM_URL and LLAMA_CLOUD_API_KEY; and listening on HOST:PORT, printing `{"url": …}`
 * for the driver, closing on SIGTERM.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstream = new URL(process.env.UPSTREAM_URL ?? '');

/** `/api/v1/chat` under the upstream's base path. */
export const LIST_PATH = `${upstream.pathname.replace(/\/+$/, '')}/api/v1/chat`;

export const pool = new Pool(upstream.origin, {
  connections: 64,
  keepAliveTimeout: 30_000,
  headersTimeout: 10_000,
  bodyTimeout: 10_000,
});

export const headers: Record<string, string> = { accept: 'application/json' };
if (process.env.LLAMA_CLOUD_API_KEY) {
  headers.authorization = `Bearer ${process.env.LLAMA_CLOUD_API_KEY}`;
}

export function serve(server: Server): void {
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
}
