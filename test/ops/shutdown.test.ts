/**
 * Graceful shutdown of the real process: a request in flight when SIGTERM arrives completes
 * successfully, no new connection is accepted meanwhile, and the process exits 0.
 *
 * The upstream holds its answer until the test releases it, so "in flight" is a fact, not a
 * timing guess.
 */
import { connect } from 'node:net';
import { describe, it } from 'vitest';
import type { TestContext } from 'vitest';
import { eventually } from '../support/assertions.js';
import { spawnGateway } from '../support/process.js';
import { deferred, sessionsPage, startScriptedUpstream } from '../support/scripted-upstream.js';
import type { Reply } from '../support/scripted-upstream.js';

const QUERY = 'query InFlight { chatSessions(first: 3) { edges { node { generatedTitle } } } }';

/**
 * A scripted upstream and a gateway process in front of it, both cleaned up after the test. The
 * tests run two at a time (each mostly waits for its process), so cleanup is per test.
 */
async function start(
  { onTestFinished }: TestContext,
  reply: () => Reply | Promise<Reply>,
  env: Record<string, string> = {},
) {
  const upstream = await startScriptedUpstream(reply);
  onTestFinished(() => upstream.close());
  const gateway = await spawnGateway({
    env: { LLAMA_CLOUD_BASE_URL: upstream.url, LLAMA_CLOUD_API_KEY: 'test-key', ...env },
  });
  onTestFinished(() => gateway.kill());
  return { upstream, gateway };
}

function post(url: string) {
  return fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY }),
  });
}

/** Whether a new TCP connection to the port is refused. */
function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

// Two processes at a time (each describe's tests run concurrently, the describes one after the
// other): start-up is CPU-bound, and four at once on a loaded 2-core machine outran the timeout.
describe('graceful shutdown (real process): in-flight requests', () => {
  it.concurrent.for(['SIGTERM', 'SIGINT'] as const)(
    'finishes the request in flight at %s, refuses new connections, exits 0',
    async (signal, context) => {
      const { expect } = context;
      const release = deferred();
      const { upstream, gateway } = await start(context, async () => {
        await release.promise;
        return { status: 200, body: sessionsPage(3) };
      });

      const inFlight = post(gateway.url);
      inFlight.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
      await upstream.received(1); // the operation is now waiting on the upstream
      gateway.child.kill(signal);
      await gateway.waitForLog((line) => String(line.msg).startsWith('shutting down'));

      // The listener is closed: new connections are refused (polled: closing is asynchronous).
      const url = gateway.url;
      await eventually(() => refused(url), 5_000);
      expect(gateway.child.exitCode).toBeNull(); // still draining, waiting for the upstream

      release.resolve();
      const res = await inFlight;
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        data: { chatSessions: { edges: unknown[] } };
        errors?: unknown;
      };
      expect(body.errors).toBeUndefined();
      expect(body.data.chatSessions.edges).toHaveLength(3);

      expect(await gateway.exited).toEqual({ code: 0, signal: null });
      const logs = gateway.logs();
      expect(
        logs.some((l) => l.msg === 'shutdown complete: every in-flight request finished'),
      ).toBe(true);
      // The drained request was logged like any other.
      expect(logs.some((l) => l.msg === 'graphql request' && l.operationName === 'InFlight')).toBe(
        true,
      );
    },
  );
});

describe('graceful shutdown (real process): stragglers and idle', () => {
  it.concurrent(
    'cuts requests still running after SHUTDOWN_TIMEOUT_MS, then exits 0',
    async (context) => {
      const { expect } = context;
      // The upstream never answers.
      const { upstream, gateway } = await start(context, () => new Promise(() => undefined), {
        SHUTDOWN_TIMEOUT_MS: '200',
      });
      const inFlight = post(gateway.url).then(
        () => 'answered',
        () => 'connection cut',
      );
      await upstream.received(1);
      gateway.child.kill('SIGTERM');

      expect(await inFlight).toBe('connection cut');
      expect(await gateway.exited).toEqual({ code: 0, signal: null });
      const cut = gateway.logs().find((l) => String(l.msg).includes('SHUTDOWN_TIMEOUT_MS passed'));
      expect(cut).toMatchObject({ level: 'warn', abandoned: 1 });
    },
  );

  it.concurrent('exits 0 at once when idle', async (context) => {
    const { expect } = context;
    const { gateway } = await start(context, () => ({ status: 200, body: sessionsPage(1) }));
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
  });
});
