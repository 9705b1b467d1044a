/**
 * A tiny upstream on a loopback port whose answers the test scripts: hold a response until the
 * test releases it (a request deterministically "in flight"), fail N times then succeed, etc.
 * Bodies are real sandbox sessions, so the gateway validates and maps them as usual.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildDataset, SANDBOX_PROJECTS } from '../../src/sandbox/data.js';

export interface Reply {
  status: number;
  body?: unknown;
}

export interface ScriptedUpstream {
  url: string;
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  /** Resolves once `count` requests have arrived. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** One list page of real sandbox sessions in the wire format, with no next page. */
export function sessionsPage(count = 3) {
  const sessions = buildDataset().get(SANDBOX_PROJECTS[0]!.id) ?? [];
  return {
    items: sessions.slice(0, count).map((s) => s.summary),
    next_page_token: null,
  };
}

export async function startScriptedUpstream(
  reply: (index: number, req: IncomingMessage) => Reply | Promise<Reply>,
): Promise<ScriptedUpstream> {
  const requests: ScriptedUpstream['requests'] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server = createServer((req, res) => {
    const index = requests.length;
    requests.push({ path: new URL(req.url ?? '/', 'http://x').pathname, headers: req.headers });
    for (const w of waiters.filter((w) => requests.length >= w.count)) w.resolve();
    void Promise.resolve(reply(index, req)).then(
      ({ status, body }) => {
        const text = JSON.stringify(body ?? { detail: `status ${status}` });
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    received(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
