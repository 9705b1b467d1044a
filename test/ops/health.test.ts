/** /health (liveness) and /readiness (ready once listening, not while draining). */
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, sessionsPage, startScriptedUpstream } from '../support/scripted-upstream.js';
import type { ScriptedUpstream } from '../support/scripted-upstream.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack | undefined;
let upstream: ScriptedUpstream | undefined;
afterEach(async () => {
  await stack?.close();
  await upstream?.close();
  stack = upstream = undefined;
});

describe('health and readiness', () => {
  it('answers 200 on /health and /readiness once listening', async () => {
    stack = await startStack();
    expect((await fetch(`${stack.gateway.url}/health`)).status).toBe(200);
    expect((await fetch(`${stack.gateway.url}/readiness`)).status).toBe(200);
  });

  it('turns /readiness to 503 while draining, lets the in-flight request finish', async () => {
    const release = deferred();
    upstream = await startScriptedUpstream(async () => {
      await release.promise;
      return { status: 200, body: sessionsPage(2) };
    });
    stack = await startStack({ env: { LLAMA_CLOUD_BASE_URL: upstream.url } });
    const { gateway } = stack;
    const inFlight = stack.graphql('{ chatSessions(first: 2) { edges { cursor } } }');
    await upstream.received(1);
    expect(gateway.inFlight()).toBe(1);

    const closing = gateway.close();
    // No new connection is accepted any more, so ask the app directly.
    const readiness = await gateway.app.fetch('http://gateway/readiness');
    expect(readiness.status).toBe(503);
    const health = await gateway.app.fetch('http://gateway/health');
    expect(health.status).toBe(200); // alive, just not taking traffic

    release.resolve();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.headers.get('connection')).toBe('close');
    expect(await closing).toEqual({ drained: true, abandoned: 0, streamsEnded: 0 });
  });
});
