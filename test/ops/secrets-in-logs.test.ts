/**
 * Keys never reach the logs: a real gateway process at the most verbose level is sent keys in
 * every way a key can arrive (server-side LLAMA_CLOUD_API_KEY, a caller's Authorization header,
 * a rejected key, a malformed header), and every line it printed is searched for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultySandbox } from '../support/faulty-sandbox.js';
import type { FaultySandbox } from '../support/faulty-sandbox.js';
import { spawnGateway } from '../support/process.js';
import type { GatewayProcess } from '../support/process.js';

const SERVER_KEY = 'llx-SERVERSIDE-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const CALLER_KEY = 'llx-CALLER-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const REJECTED_KEY = 'llx-REJECTED-5555aaaa6666bbbb7777cccc8888dddd';
const SECRETS = [SERVER_KEY, CALLER_KEY, REJECTED_KEY];

const QUERY = 'query Keys { chatSessions(first: 2) { edges { node { sessionId } } } }';

let sandbox: FaultySandbox;
let gateway: GatewayProcess;

beforeAll(async () => {
  sandbox = await startFaultySandbox({ apiKeys: [SERVER_KEY, CALLER_KEY] });
  gateway = await spawnGateway({
    env: {
      LLAMA_CLOUD_BASE_URL: sandbox.url,
      LLAMA_CLOUD_API_KEY: SERVER_KEY,
      LOG_LEVEL: 'trace',
    },
    metrics: true,
  });
});

afterAll(async () => {
  gateway.kill();
  await sandbox.close();
});

async function graphql(query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
}

describe('credentials in logs (real process, LOG_LEVEL=trace)', () => {
  it('prints no key in any line, whatever the request', async () => {
    // The caller's key, forwarded upstream.
    expect(
      (await graphql(QUERY, { authorization: `Bearer ${CALLER_KEY}` })).errors,
    ).toBeUndefined();
    // No header: the server-side key.
    expect((await graphql(QUERY)).errors).toBeUndefined();
    // A key the upstream rejects with 401 (the code it maps to is tested elsewhere).
    const rejected = await graphql(QUERY, { authorization: `Bearer ${REJECTED_KEY}` });
    expect(rejected.errors).toHaveLength(1);
    expect(sandbox.requests.at(-1)?.headers.authorization).toBe(`Bearer ${REJECTED_KEY}`);
    // A malformed header that contains a key.
    const malformed = await graphql(QUERY, { authorization: `Token ${REJECTED_KEY}` });
    expect(malformed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // A syntax error and a request id, with a key attached.
    await graphql('{ chatSessions {', {
      authorization: `Bearer ${CALLER_KEY}`,
      'x-request-id': 'secrets-test',
    });
    // Probes and metrics with a key attached.
    for (const url of [`${gateway.url}/health`, `${gateway.url}/readiness`, gateway.metricsUrl!]) {
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${CALLER_KEY}` },
      });
      const text = await res.text();
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    }

    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });

    const lines = [...gateway.stdout, ...gateway.stderr];
    // The requests above were logged (so the search below is over real content)…
    const requests = gateway.logs().filter((l) => l.msg === 'graphql request');
    expect(requests).toHaveLength(5);
    expect(gateway.logs().some((l) => l.component === 'yoga')).toBe(true);
    // …and no line holds a key, or a recognisable piece of one.
    for (const line of lines) {
      for (const secret of SECRETS) {
        expect(line).not.toContain(secret);
        expect(line).not.toContain(secret.slice(4, 20));
      }
    }
    // Every stdout line is one JSON object (pino), stderr is empty.
    expect(gateway.stderr).toEqual([]);
    expect(gateway.logs().every((l) => typeof l.level === 'string')).toBe(true);
  });
});
