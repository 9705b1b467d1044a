/**
 * Probes of what a hostile web page can make a visitor's browser send, against a gateway that
 * holds a server key (docs/architecture.md, "Security"): simple cross-site requests (no CORS
 * preflight) never run an operation, and a DNS-rebinding Host is refused before any work.
 * Each probe asserts the answer, the upstream calls made (none) and a time bound.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LIST_QUERY } from '../support/assertions.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.resetRequests());

const BOUND_MS = 2_000;

async function send(path: string, init: RequestInit = {}) {
  const started = performance.now();
  const res = await fetch(`${stack.gateway.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, text, elapsedMs: performance.now() - started };
}

describe('CSRF: simple cross-site requests run nothing', () => {
  const query = encodeURIComponent(LIST_QUERY);
  const form = new URLSearchParams({ query: LIST_QUERY });
  const multipart = new FormData();
  multipart.set('operations', JSON.stringify({ query: LIST_QUERY }));
  multipart.set('map', '{}');

  it.each<[string, string, RequestInit]>([
    ['GET with a query string', `/graphql?query=${query}`, {}],
    [
      'POST text/plain',
      '/graphql',
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: LIST_QUERY }),
      },
    ],
    ['POST application/x-www-form-urlencoded', '/graphql', { method: 'POST', body: form }],
    ['POST multipart/form-data', '/graphql', { method: 'POST', body: multipart }],
    [
      'POST with no content type',
      '/graphql',
      { method: 'POST', body: new Blob([JSON.stringify({ query: LIST_QUERY })]) },
    ],
  ])('%s: 403 CSRF_PREVENTED, no upstream call', async (_name, path, init) => {
    const res = await send(path, init);
    expect(res.status, res.text).toBe(403);
    expect(JSON.parse(res.text).errors[0].extensions.code).toBe('CSRF_PREVENTED');
    expect(stack.sandbox.requests).toHaveLength(0);
    expect(res.elapsedMs).toBeLessThan(BOUND_MS);
  });

  it.each(['x-graphql-yoga-csrf', 'apollo-require-preflight', 'x-apollo-operation-name'])(
    'GET with %s (a header that forces a preflight) runs a query',
    async (header) => {
      const res = await send(`/graphql?query=${query}`, { headers: { [header]: '1' } });
      expect(res.status, res.text).toBe(200);
      expect(JSON.parse(res.text).data.chatSessions.edges).toHaveLength(3);
      expect(stack.listCalls()).toHaveLength(1);
    },
  );

  it('a JSON POST (every GraphQL client, GraphiQL) needs no extra header', async () => {
    const res = await stack.graphql(LIST_QUERY);
    expect(res.status).toBe(200);
    expect(res.body.data?.chatSessions.edges).toHaveLength(3);
  });
});

describe('Host allow-list: DNS rebinding', () => {
  /** fetch() may not set Host; node:http may. */
  function withHost(path: string, host: string) {
    const url = new URL(`${stack.gateway.url}${path}`);
    const started = performance.now();
    return new Promise<{ status: number; text: string; elapsedMs: number }>((resolve, reject) => {
      const body = JSON.stringify({ query: LIST_QUERY });
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: path.endsWith('/graphql') ? 'POST' : 'GET',
          headers: { host, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode!, text, elapsedMs: performance.now() - started }),
          );
        },
      );
      req.on('error', reject);
      req.end(path.endsWith('/graphql') ? body : undefined);
    });
  }

  it.each(['rebind.attacker.example', 'rebind.attacker.example:4000', '10.0.0.8', '[fe80::1]:80'])(
    'Host %s: 421 HOST_NOT_ALLOWED before any work',
    async (host) => {
      const res = await withHost('/graphql', host);
      expect(res.status, res.text).toBe(421);
      expect(JSON.parse(res.text).errors[0].extensions.code).toBe('HOST_NOT_ALLOWED');
      expect(stack.sandbox.requests).toHaveLength(0);
      expect(res.elapsedMs).toBeLessThan(BOUND_MS);
    },
  );

  it('serves the loopback names, with or without a port', async () => {
    const { port } = new URL(stack.gateway.url);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'LOCALHOST', `[::1]:${port}`]) {
      const res = await withHost('/graphql', host);
      expect(res.status, host).toBe(200);
    }
  });

  it('a probe path is no way around the check: /health?/graphql is GraphQL, and refused', async () => {
    const res = await withHost('/health?/graphql', 'rebind.attacker.example');
    expect(res.status, res.text).toBe(421);
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it('answers probes whatever the Host (Kubernetes sends the pod IP)', async () => {
    expect((await withHost('/health', '10.0.0.8:4000')).status).toBe(200);
    expect((await withHost('/readiness', '10.0.0.8:4000')).status).toBe(200);
  });
});

describe('CSRF: mutations', () => {
  const CREATE = 'mutation { createChatSession(input: {}) { chatSession { sessionId } } }';
  const creates = () =>
    stack.sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/chat');

  it.each<[string, RequestInit]>([
    [
      'POST text/plain',
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: CREATE }),
      },
    ],
    ['POST form', { method: 'POST', body: new URLSearchParams({ query: CREATE }) }],
    [
      'POST multipart',
      {
        method: 'POST',
        body: (() => {
          const form = new FormData();
          form.set('operations', JSON.stringify({ query: CREATE }));
          form.set('map', '{}');
          return form;
        })(),
      },
    ],
  ])('%s cannot create a session', async (_name, init) => {
    const res = await send('/graphql', init);
    expect(res.status).toBe(403);
    expect(creates()).toHaveLength(0);
  });

  it('GET never runs a mutation, even with a preflight header', async () => {
    const res = await send(`/graphql?query=${encodeURIComponent(CREATE)}`, {
      headers: { 'x-graphql-yoga-csrf': '1' },
    });
    expect(res.status).toBe(405);
    expect(creates()).toHaveLength(0);
  });

  it('a JSON POST creates one', async () => {
    const res = await stack.graphql(CREATE);
    expect(res.body.data?.createChatSession.chatSession.sessionId).toEqual(expect.any(String));
    expect(creates()).toHaveLength(1);
  });
});

describe('WebSocket upgrades pass the same gates', () => {
  /** The status of an upgrade attempt: 101 when it became a WebSocket. */
  function upgrade(headers: Record<string, string>) {
    const url = new URL(stack.gateway.url);
    return new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: '/graphql',
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'sec-websocket-protocol': 'graphql-transport-ws',
          ...headers,
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode!);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('a page on another origin cannot open one (cross-site WebSocket hijacking)', async () => {
    expect(await upgrade({ origin: 'https://evil.example' })).toBe(403);
  });

  it('a rebinding Host cannot either', async () => {
    expect(await upgrade({ host: 'rebind.attacker.example' })).toBe(421);
  });

  it('the gateway’s own origin and clients without an Origin can', async () => {
    const { host } = new URL(stack.gateway.url);
    expect(await upgrade({ origin: `http://${host}` })).toBe(101);
    expect(await upgrade({})).toBe(101);
  });
});
