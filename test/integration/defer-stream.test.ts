/**
 * Incremental delivery (@defer, @stream) over real HTTP, both transports: multipart/mixed and
 * SSE. Same limits as any operation: the upstream-call budget counts on the request record, so a
 * deferred part past it gets its coded error in its own payload; CSRF still applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

let stack: Stack;
let sessionId: string;
let eventCount: number;

type Payload = Record<string, any>;

/** The JSON payloads of a multipart/mixed or text/event-stream answer, in order. */
async function incremental(
  accept: 'multipart/mixed' | 'text/event-stream',
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string; payloads: Payload[]; text: string }> {
  const res = await fetch(`${stack.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  const lines = text.split(/\r?\n/);
  const payloads =
    accept === 'text/event-stream'
      ? lines.filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)) as Payload)
      : lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Payload);
  return { status: res.status, contentType, payloads, text };
}

const DEFERRED = `query Deferred($sessionId: ID!) {
  chatSession(sessionId: $sessionId) { sessionId ... @defer(label: "events") { events { type } } }
}`;
const STREAMED = `query Streamed($sessionId: ID!) {
  chatSession(sessionId: $sessionId) { sessionId events @stream(initialCount: 1) { type } }
}`;

beforeAll(async () => {
  // One call for the summary, one for the events: a budget of 1 leaves the deferred part short.
  stack = await startStack({ env: { MAX_UPSTREAM_CALLS_PER_OPERATION: '2' } });
  const session = stack.sandbox.dataset
    .get(SANDBOX_PROJECTS[0]!.id)!
    .find((s) => s.events.length >= 3)!;
  sessionId = session.summary.session_id;
  eventCount = session.events.length;
});
afterAll(() => stack.close());

describe.each(['multipart/mixed', 'text/event-stream'] as const)('over %s', (accept) => {
  it('@defer: the session first, its events in a later payload', async () => {
    const res = await incremental(accept, DEFERRED, { sessionId });
    expect(res.status).toBe(200);
    expect(res.contentType).toContain(accept);
    expect(res.payloads.length).toBeGreaterThanOrEqual(2);
    expect(res.payloads[0]).toMatchObject({ data: { chatSession: { sessionId } }, hasNext: true });
    expect(res.payloads[0]!.data.chatSession.events).toBeUndefined();
    const parts = res.payloads.flatMap((p) => p.incremental ?? []);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ label: 'events', path: ['chatSession'] });
    expect(parts[0].data.events).toHaveLength(eventCount);
    expect(res.payloads.at(-1)!.hasNext).toBe(false);
  });

  it('@stream: the first event, then the rest', async () => {
    const res = await incremental(accept, STREAMED, { sessionId });
    expect(res.status).toBe(200);
    expect(res.payloads[0]!.data.chatSession.events).toHaveLength(1);
    const streamed = res.payloads.flatMap((p) => p.incremental ?? []).flatMap((p) => p.items);
    expect(1 + streamed.length).toBe(eventCount);
  });

  it('a deferred part past the budget gets its coded error (with the request id) in its payload', async () => {
    const tight = await startStack({ env: { MAX_UPSTREAM_CALLS_PER_OPERATION: '1' } });
    const saved = stack;
    stack = tight;
    try {
      const res = await incremental(accept, DEFERRED, { sessionId });
      expect(res.status).toBe(200);
      expect(res.payloads[0]).toMatchObject({ data: { chatSession: { sessionId } } });
      const parts = res.payloads.flatMap((p) => p.incremental ?? []);
      const errors = parts.flatMap((p) => p.errors ?? []);
      expect(errors).toHaveLength(1);
      expect(errors[0].extensions).toMatchObject({
        code: 'QUERY_TOO_COMPLEX',
        maxUpstreamCalls: 1,
      });
      expect(errors[0].extensions.requestId).toEqual(expect.any(String));
      expect(tight.sandbox.requests).toHaveLength(1);
      expect(res.text).not.toContain('BudgetExceededError');
    } finally {
      stack = saved;
      await tight.close();
    }
  });

  it('CSRF still applies: a simple request (text/plain) runs nothing', async () => {
    stack.resetRequests();
    const res = await incremental(
      accept,
      DEFERRED,
      { sessionId },
      { 'content-type': 'text/plain' },
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});
