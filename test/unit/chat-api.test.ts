/**
 * ChatApi in isolation, over a scripted client: the per-endpoint loaders' dedupe, concurrency
 * cap, budget, 404 handling and wire validation. (The same behaviour over real HTTP is covered
 * in test/integration.)
 */
import { describe, expect, it } from 'vitest';
import { BudgetExceededError, ChatApi } from '../../src/upstream/chat-api.js';
import type { QueryParams, UpstreamClient } from '../../src/upstream/client.js';
import { UpstreamError } from '../../src/upstream/errors.js';

const summary = (id: string) => ({
  session_id: id,
  last_updated_at: '2026-04-22T12:34:41.342245',
  generated_title: null,
  index_ids: null,
  job_metadata: null,
});

/** A client whose calls stay open until released, so in-flight calls can be counted. */
function scriptedClient(answer: (path: string) => unknown = (path) => summary(path)) {
  const calls: { path: string; query: QueryParams }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    async getJson(_endpoint: string, path: string, query: QueryParams) {
      calls.push({ path, query });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      const body = answer(path);
      if (body instanceof Error) throw body;
      return body;
    },
  };
  return {
    client: client as unknown as UpstreamClient,
    calls,
    maxInFlight: () => maxInFlight,
  };
}

/** The ChatApi and the counter its budget writes (a request record in the gateway). */
function api(client: UpstreamClient, maxCalls = 100, concurrency?: number) {
  const counter = { upstreamCalls: 0 };
  const chat = new ChatApi({
    client,
    call: {},
    maxCalls,
    counter,
    ...(concurrency && { concurrency }),
  });
  return Object.assign(chat, { counter });
}

describe('ChatApi', () => {
  it('dedupes identical calls per endpoint and keeps endpoints apart', async () => {
    const upstream = scriptedClient((path) =>
      path.endsWith('/summary') ? summary('ses-1') : { ...summary('ses-1'), events: [] },
    );
    const chat = api(upstream.client);
    await Promise.all([
      chat.getSummary({ sessionId: 'ses-1' }),
      chat.getSummary({ sessionId: 'ses-1', projectId: undefined }),
      chat.getSession({ sessionId: 'ses-1' }),
      chat.getSession({ sessionId: 'ses-1' }),
    ]);
    await chat.getSummary({ sessionId: 'ses-1' });
    expect(upstream.calls.map((c) => c.path)).toEqual([
      '/api/v1/chat/ses-1/summary',
      '/api/v1/chat/ses-1',
    ]);
    expect(chat.counter.upstreamCalls).toBe(2);
  });

  it('treats another scope as another call', async () => {
    const upstream = scriptedClient(() => summary('ses-1'));
    const chat = api(upstream.client);
    const projectId = '3f0e8a52-6c1d-4b7a-9e2f-5a8c1d3b7e90';
    const [a, b] = await Promise.all([
      chat.getSummary({ sessionId: 'ses-1' }),
      chat.getSummary({ sessionId: 'ses-1', projectId }),
    ]);
    expect(upstream.calls.map((c) => c.query)).toEqual([
      { project_id: undefined, organization_id: undefined },
      { project_id: projectId, organization_id: undefined },
    ]);
    // Each session remembers its scope, for later calls about it (events).
    expect(a?.scope).toEqual({ projectId: undefined, organizationId: undefined });
    expect(b?.scope).toEqual({ projectId, organizationId: undefined });
  });

  it('caps the calls in flight', async () => {
    const upstream = scriptedClient();
    const chat = api(upstream.client, 100, 4);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => chat.getSummary({ sessionId: `ses-${i}` })),
    );
    expect(upstream.calls).toHaveLength(30);
    expect(upstream.maxInFlight()).toBe(4);
  });

  it('stops at the budget: calls past it fail without reaching the upstream', async () => {
    const upstream = scriptedClient();
    const chat = api(upstream.client, 5);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => chat.getSummary({ sessionId: `ses-${i}` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(3);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(BudgetExceededError);
    expect(upstream.calls).toHaveLength(5);
  });

  it('reads 404 as null and rejects with any other upstream failure', async () => {
    const upstream = scriptedClient((path) =>
      path.includes('gone')
        ? new UpstreamError({ kind: 'status', status: 404 })
        : new UpstreamError({ kind: 'status', status: 401 }),
    );
    const chat = api(upstream.client);
    await expect(chat.getSummary({ sessionId: 'gone' })).resolves.toBeNull();
    await expect(chat.getSession({ sessionId: 'gone' })).resolves.toBeNull();
    await expect(chat.getSummary({ sessionId: 'locked' })).rejects.toMatchObject({
      failure: { kind: 'status', status: 401 },
    });
    await expect(chat.listSessions({ pageSize: 1, pageToken: null })).rejects.toMatchObject({
      failure: { kind: 'status', status: 401 },
    });
  });

  it('encodes the session id as one path segment', async () => {
    const upstream = scriptedClient(() => new UpstreamError({ kind: 'status', status: 404 }));
    const chat = api(upstream.client);
    await chat.getSummary({ sessionId: 'a/b?c=d#e f' });
    expect(upstream.calls[0]?.path).toBe('/api/v1/chat/a%2Fb%3Fc%3Dd%23e%20f/summary');
  });

  it('maps unknown event types to generic events and names the first bad field of a known one', async () => {
    const events = [
      { type: 'text', content: 'hi' },
      { type: 'brand_new', anything: [1, 2] },
    ];
    const good = api(scriptedClient(() => ({ ...summary('s'), events })).client);
    await expect(good.getSession({ sessionId: 's' })).resolves.toMatchObject({
      events: [
        { type: 'text', content: 'hi' },
        { type: 'brand_new', unknown: true, data: events[1] },
      ],
    });

    const bad = api(
      scriptedClient(() => ({ ...summary('s'), events: [...events, { type: 'stop' }] })).client,
    );
    await expect(bad.getSession({ sessionId: 's' })).rejects.toMatchObject({
      failure: { kind: 'bad_response', path: 'events[2].is_error' },
    });
  });
});
