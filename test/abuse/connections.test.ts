/**
 * Connection hygiene over real sockets: what a client can hold open without sending a request is
 * bounded in time (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_IDLE_TIMEOUT_MS) and in
 * number (MAX_CONNECTIONS), while a request that is in and waiting on a slow upstream is never cut.
 *
 * Timeouts here are short so the file stays fast; node checks headers/request timeouts every
 * second, so each bound is the timeout plus that second plus a generous margin.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { deferred, sessionsPage, startScriptedUpstream } from '../support/scripted-upstream.js';
import type { ScriptedUpstream } from '../support/scripted-upstream.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const SHORT = {
  HTTP_HEADERS_TIMEOUT_MS: '500',
  HTTP_REQUEST_TIMEOUT_MS: '1000',
  HTTP_IDLE_TIMEOUT_MS: '500',
};
/** node's headers/request timeout check runs every second. */
const CHECK_INTERVAL_MS = 1_000;
const MARGIN_MS = 1_500;

let stack: Stack | undefined;
let upstream: ScriptedUpstream | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await stack?.close();
  await upstream?.close();
  stack = upstream = undefined;
});

interface Client {
  socket: Socket;
  /** Resolves when the server closes the connection: after how long, and what it sent. */
  closed: Promise<{ ms: number; received: string }>;
  isClosed(): boolean;
  /** Resolves with the first bytes the server sends. */
  firstData: Promise<string>;
}

/** A raw TCP client; `drive` runs once connected. */
async function open(url: string, drive: (socket: Socket) => void = () => {}): Promise<Client> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  sockets.push(socket);
  let received = '';
  let done = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined); // a reset is a close too
  const started = performance.now();
  const firstData = new Promise<string>((resolve) => socket.once('data', resolve));
  const closed = new Promise<{ ms: number; received: string }>((resolve) =>
    socket.once('close', () => {
      done = true;
      resolve({ ms: performance.now() - started, received });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  drive(socket);
  return { socket, closed, isClosed: () => done, firstData };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('connection timeouts (short values configured)', () => {
  it('closes a socket that never sends a byte after HTTP_IDLE_TIMEOUT_MS', async () => {
    stack = await startStack({ env: SHORT });
    const silent = await Promise.all(Array.from({ length: 20 }, () => open(stack!.gateway.url)));
    const results = await Promise.all(silent.map((client) => client.closed));
    for (const { ms, received } of results) {
      expect(ms).toBeGreaterThanOrEqual(400);
      expect(ms).toBeLessThan(500 + MARGIN_MS);
      expect(received).toBe('');
    }
  });

  it('closes slowloris headers (one line every 200 ms) after HTTP_HEADERS_TIMEOUT_MS', async () => {
    stack = await startStack({ env: SHORT });
    let lines = 0;
    const client = await open(stack.gateway.url, (socket) => {
      socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\n');
      const timer = setInterval(() => {
        if (socket.writable) socket.write(`X-Slow-${lines++}: a\r\n`);
      }, 200);
      socket.once('close', () => clearInterval(timer));
    });
    const { ms, received } = await client.closed;
    expect(ms).toBeLessThan(500 + CHECK_INTERVAL_MS + MARGIN_MS);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(lines).toBeLessThan(20);
  });

  it('closes a stalled body (10 of 100 bytes, then silence) after HTTP_REQUEST_TIMEOUT_MS', async () => {
    stack = await startStack({ env: SHORT });
    const client = await open(stack.gateway.url, (socket) =>
      socket.write(
        'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
          'Content-Length: 100\r\n\r\n{"query":"',
      ),
    );
    const { ms, received } = await client.closed;
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(1_000 + CHECK_INTERVAL_MS + MARGIN_MS);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a keep-alive connection idle for HTTP_IDLE_TIMEOUT_MS (+1 s node adds)', async () => {
    stack = await startStack({ env: SHORT });
    const client = await open(stack.gateway.url, (socket) =>
      socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n'),
    );
    const { ms, received } = await client.closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(ms).toBeLessThan(500 + 1_000 + MARGIN_MS);
  });

  it('answers a request that waits on a slow upstream far longer than every timeout', async () => {
    const release = deferred();
    upstream = await startScriptedUpstream(async () => {
      await release.promise;
      return { status: 200, body: sessionsPage(2) };
    });
    stack = await startStack({ env: { ...SHORT, LLAMA_CLOUD_BASE_URL: upstream.url } });
    const answer = stack.graphql('query Slow { chatSessions(first: 2) { edges { cursor } } }');
    await upstream.received(1);
    // Past the request timeout (1 s) plus two checks, and five idle timeouts.
    await sleep(1_000 + 2 * CHECK_INTERVAL_MS + 500);
    expect(stack.gateway.inFlight()).toBe(1);
    release.resolve();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.chatSessions.edges).toHaveLength(2);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(3_000);
  });

  it('keeps a connection that sent its request open while the answer is slow (raw socket)', async () => {
    const release = deferred();
    upstream = await startScriptedUpstream(async () => {
      await release.promise;
      return { status: 200, body: sessionsPage(1) };
    });
    stack = await startStack({ env: { ...SHORT, LLAMA_CLOUD_BASE_URL: upstream.url } });
    const body = JSON.stringify({ query: '{ chatSessions(first: 1) { edges { cursor } } }' });
    const client = await open(stack.gateway.url, (socket) =>
      socket.write(
        'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
          `Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      ),
    );
    await upstream.received(1);
    await sleep(1_000 + 2 * CHECK_INTERVAL_MS + 500);
    expect(client.isClosed()).toBe(false);
    release.resolve();
    const { received } = await client.closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toContain('"cursor"');
  });
});

describe('MAX_CONNECTIONS', () => {
  it('closes connections beyond the cap at once, and serves the ones within it', async () => {
    stack = await startStack({
      env: {
        MAX_CONNECTIONS: '5',
        HTTP_IDLE_TIMEOUT_MS: '10000',
        HTTP_HEADERS_TIMEOUT_MS: '10000',
      },
    });
    const { url } = stack.gateway;
    const health = 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const kept = await Promise.all(
      Array.from({ length: 5 }, () => open(url, (socket) => socket.write(health))),
    );
    // All five are accepted and answered (so the server holds five connections).
    for (const client of kept) expect(await client.firstData).toMatch(/^HTTP\/1\.1 200 /);
    const extra = await Promise.all(
      Array.from({ length: 3 }, () => open(url, (socket) => socket.write(health))),
    );
    const results = await Promise.all(extra.map((client) => client.closed));
    for (const { ms, received } of results) {
      expect(ms).toBeLessThan(500);
      expect(received).toBe('');
    }
    expect(kept.every((client) => !client.isClosed())).toBe(true);
    // Once one leaves, a new connection gets in.
    kept[0]!.socket.destroy();
    await kept[0]!.closed;
    await sleep(50);
    const next = await open(url, (socket) => socket.write(health));
    expect(await next.firstData).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('defaults', () => {
  it('close a silent socket or slowloris headers within 15 s and a stalled body within 30 s', () => {
    const config = loadConfig({});
    // Node enforces headers/request timeouts at the next 1 s check and keep-alive idle + 1 s.
    expect(config.httpIdleTimeoutMs + 1_000).toBeLessThanOrEqual(15_000);
    expect(config.httpHeadersTimeoutMs + CHECK_INTERVAL_MS).toBeLessThanOrEqual(15_000);
    expect(config.httpRequestTimeoutMs + CHECK_INTERVAL_MS).toBeLessThanOrEqual(30_000);
    expect(config.maxConnections).toBe(1_000);
    expect(config).toMatchObject({
      httpHeadersTimeoutMs: 10_000,
      httpRequestTimeoutMs: 20_000,
      httpIdleTimeoutMs: 5_000,
    });
  });

  it.each([
    ['HTTP_HEADERS_TIMEOUT_MS', '0'],
    ['HTTP_REQUEST_TIMEOUT_MS', 'soon'],
    ['HTTP_IDLE_TIMEOUT_MS', '-1'],
    ['MAX_CONNECTIONS', '0'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('rejects a headers timeout longer than the request timeout', () => {
    expect(() =>
      loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '4000' }),
    ).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
  });
});
