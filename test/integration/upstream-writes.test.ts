/**
 * The write half of the Chat API over real HTTP: UpstreamClient + ChatApi against the faulty
 * sandbox (the product sandbox's answers) and an independently written scripted upstream.
 * Create, list, a streamed turn read while it is being sent, delete; then the faults: writes are
 * never repeated once sent, cut and silent streams, early exits closing the upstream socket.
 */
import { getEventListeners } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../src/domain.js';
import { INDEX_POOL } from '../../src/sandbox/data.js';
import { createSandboxApi, MAX_CREATED_SESSIONS } from '../../src/sandbox/server.js';
import { scriptTurn } from '../../src/sandbox/turns.js';
import { ChatApi, decodeStreamEvent } from '../../src/upstream/chat-api.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import type { AttemptEvent, UpstreamClientOptions } from '../../src/upstream/client.js';
import { SessionNotFoundError, UpstreamError } from '../../src/upstream/errors.js';
import { decodeEvent } from '../../src/upstream/mapping.js';
import { startFaultySandbox } from '../support/faulty-sandbox.js';
import type { FaultySandbox, RecordedRequest } from '../support/faulty-sandbox.js';
import { scriptedAnswer, startScriptedChatUpstream } from '../support/scripted-chat-upstream.js';

/** Per-event pause of the sandbox's turns in these tests (the product default is 40–120 ms). */
const SANDBOX_GAP_MS = 30;
const SCRIPTED_GAP_MS = 25;
const IDLE_MS = 300;

const clients: UpstreamClient[] = [];
afterAll(() => Promise.all(clients.map((c) => c.close())));

function chatApi(
  baseUrl: string,
  options: Partial<UpstreamClientOptions> = {},
  signal?: AbortSignal,
) {
  const client = new UpstreamClient({
    baseUrl,
    timeoutMs: 2_000,
    maxRetries: 2,
    userAgent: 'upstream-writes-test',
    retryBaseDelayMs: 20,
    ...options,
  });
  clients.push(client);
  const counter = { upstreamCalls: 0 };
  const api = new ChatApi({
    client,
    call: { signal },
    maxCalls: 25,
    counter,
    streamIdleTimeoutMs: IDLE_MS,
  });
  return { api, counter };
}

/** Reads a turn, noting when each event arrived. */
async function readTurn(events: AsyncIterable<ChatEvent>) {
  const received: Array<{ event: ChatEvent; at: number }> = [];
  let error: unknown;
  try {
    for await (const event of events) received.push({ event, at: performance.now() });
  } catch (e) {
    error = e;
  }
  return { events: received.map((r) => r.event), times: received.map((r) => r.at), error };
}

const failureOf = (error: unknown) => (error instanceof UpstreamError ? error.failure : error);

async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const streamRequests = (sandbox: FaultySandbox) =>
  sandbox.requests.filter((r) => r.path.endsWith('/messages/stream'));

interface Upstream {
  url: string;
  /** The events a turn is expected to yield, in order. */
  expected(sessionId: string, prompt: string, indexIds: string[], turn: number): ChatEvent[];
  gapMs: number;
  sharedAccessEchoed: boolean;
  close(): Promise<void>;
}

const known = INDEX_POOL[0]!;

const upstreams: Array<[string, () => Promise<Upstream>]> = [
  [
    'the sandbox',
    async () => {
      const sandbox = await startFaultySandbox({ turnEventDelayMs: SANDBOX_GAP_MS });
      return {
        url: sandbox.url,
        gapMs: SANDBOX_GAP_MS,
        sharedAccessEchoed: true,
        expected: (sessionId, prompt, indexIds, turn) =>
          scriptTurn({
            sessionId,
            turn,
            prompt,
            indexIds,
            skippedIndexIds: indexIds.filter((id) => id !== known),
            requireAllIndexes: false,
          }).map((e) => decodeEvent(e)),
        close: sandbox.close,
      };
    },
  ],
  [
    'the scripted upstream',
    async () => {
      const upstream = await startScriptedChatUpstream({ eventGapMs: SCRIPTED_GAP_MS });
      return {
        url: upstream.url,
        gapMs: SCRIPTED_GAP_MS,
        sharedAccessEchoed: false,
        expected: (_id, prompt, _indexIds, turn) =>
          scriptedAnswer(prompt, turn).map((e) => decodeEvent(e)),
        close: upstream.close,
      };
    },
  ],
];

describe.each(upstreams)('the write half against %s', (_name, start) => {
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await start();
  });
  afterAll(() => upstream.close());

  it('creates, lists, streams a turn as it is sent, deletes', async () => {
    const { api, counter } = chatApi(upstream.url);
    const created = await api.createSession({}, { indexIds: [known], sharedAccess: 'query' });
    expect(created).toMatchObject({ indexIds: [known], generatedTitle: null, jobMetadata: null });
    expect(created.sharedAccess).toBe(upstream.sharedAccessEchoed ? 'query' : null);
    const page = await api.listSessions({ pageSize: 5, pageToken: null });
    expect(page.items[0]!.sessionId).toBe(created.sessionId);

    const prompt = 'What changed in the Q3 report?';
    const indexIds = [known, 'idx-not-here'];
    const key = { sessionId: created.sessionId };
    const opened = performance.now();
    const turn = await readTurn(api.streamTurn(key, { prompt, indexIds }));
    const ended = performance.now();
    expect(turn.error).toBeUndefined();
    expect(turn.events).toEqual(upstream.expected(created.sessionId, prompt, indexIds, 1));
    expect(turn.events.at(-1)).toMatchObject({ type: 'stop', isError: false });

    // Events arrive while the upstream is still sending: spread over the turn, not in one burst.
    const n = turn.times.length;
    const spread = turn.times[n - 1]! - turn.times[0]!;
    const gaps = turn.times.slice(1).map((t, i) => t - turn.times[i]!);
    console.log(
      `${_name}: ${n} events, first after ${(turn.times[0]! - opened).toFixed(0)} ms, spread ${spread.toFixed(0)} ms, ` +
        `gaps ${Math.min(...gaps).toFixed(0)}–${Math.max(...gaps).toFixed(0)} ms, done after ${(ended - opened).toFixed(0)} ms`,
    );
    expect(spread).toBeGreaterThanOrEqual((n - 1) * upstream.gapMs * 0.6);
    expect(gaps.filter((g) => g >= upstream.gapMs * 0.5).length).toBeGreaterThanOrEqual(n - 2);

    const full = await api.getSession(key);
    expect(full!.events[0]).toEqual({ type: 'user_input', content: prompt });
    expect(full!.events.slice(1)).toEqual(turn.events);
    expect(full!.session.generatedTitle).toBeTruthy();
    expect(full!.session.jobMetadata).toMatchObject({ isError: false, turns: 1 });

    await api.deleteSession(key);
    const after = chatApi(upstream.url).api;
    expect(await after.getSummary(key)).toBeNull();
    expect(await after.getSession(key)).toBeNull();
    await expect(after.deleteSession(key)).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(readTurn(after.streamTurn(key, { prompt, indexIds: [] }))).resolves.toMatchObject({
      events: [],
      error: expect.any(SessionNotFoundError),
    });
    // create, list, stream, full session, delete: one call each.
    expect(counter.upstreamCalls).toBe(5);
  });

  it('counts every write as its own call: two creates are two sessions', async () => {
    const { api, counter } = chatApi(upstream.url);
    const [a, b] = await Promise.all([api.createSession({}, {}), api.createSession({}, {})]);
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(counter.upstreamCalls).toBe(2);
  });

  it('stops reading and closes the upstream after stop', async () => {
    const { api } = chatApi(upstream.url);
    const { sessionId } = await api.createSession({}, {});
    const turn = await readTurn(api.streamTurn({ sessionId }, { prompt: 'hi', indexIds: [] }));
    expect(turn.events.filter((e) => e.type === 'stop')).toHaveLength(1);
    expect(turn.events.at(-1)!.type).toBe('stop');
  });
});

describe('writes and turns against the faulty sandbox', () => {
  let sandbox: FaultySandbox;
  beforeAll(async () => {
    sandbox = await startFaultySandbox({ turnEventDelayMs: SANDBOX_GAP_MS });
  });
  afterAll(() => sandbox.close());

  const posts = (path = '/api/v1/chat') =>
    sandbox.requests.filter((r) => r.method === 'POST' && r.path === path);

  it('sends the documented bodies and scope', async () => {
    sandbox.clearRequests();
    const { api } = chatApi(sandbox.url);
    const projectId = '9c2d4e6f-8a1b-4c3d-b5e7-f9a1c3e5b7d2';
    const created = await api.createSession({ projectId }, { indexIds: null });
    await api.createSession({}, {});
    await readTurn(
      api.streamTurn(
        { sessionId: created.sessionId, projectId },
        { prompt: 'p', indexIds: [], requireAllIndexes: true },
      ),
    );
    await api.deleteSession({ sessionId: created.sessionId, projectId });
    expect(sandbox.requests.map((r) => [r.method, r.path, r.query, r.body])).toEqual([
      ['POST', '/api/v1/chat', { project_id: projectId }, { index_ids: null }],
      ['POST', '/api/v1/chat', {}, {}],
      [
        'POST',
        `/api/v1/chat/${created.sessionId}/messages/stream`,
        { project_id: projectId },
        { prompt: 'p', index_ids: [], require_all_indexes: true },
      ],
      ['DELETE', `/api/v1/chat/${created.sessionId}`, { project_id: projectId }, undefined],
    ]);
    expect(sandbox.requests[2]!.headers.accept).toBe('text/event-stream');
    expect(sandbox.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('does not retry a create answered 503: one POST, the 503 reported', async () => {
    sandbox.clearRequests();
    sandbox.faults.add({ kind: 'status', status: 503 }, { times: 1 });
    const { api, counter } = chatApi(sandbox.url);
    const error = await api.createSession({}, {}).catch((e: unknown) => e);
    expect(failureOf(error)).toMatchObject({ kind: 'status', status: 503 });
    expect((error as UpstreamError).attempts).toBe(1);
    expect(posts()).toHaveLength(1);
    expect(counter.upstreamCalls).toBe(1);
  });

  it('does not retry a write even when the upstream says x-should-retry or Retry-After', async () => {
    sandbox.clearRequests();
    sandbox.faults.add(
      {
        kind: 'status',
        status: 429,
        headers: { 'x-should-retry': 'true', 'retry-after-ms': '10' },
      },
      { times: 1 },
    );
    const { api } = chatApi(sandbox.url);
    const error = await api.deleteSession({ sessionId: 'ses-whatever' }).catch((e: unknown) => e);
    expect(failureOf(error)).toMatchObject({ kind: 'status', status: 429 });
    expect(sandbox.requests).toHaveLength(1);
  });

  it('does not retry a create whose connection was reset after sending (it may have happened)', async () => {
    sandbox.clearRequests();
    sandbox.faults.add({ kind: 'reset', at: 'before-headers' }, { times: 1 });
    const { api } = chatApi(sandbox.url);
    const error = await api.createSession({}, {}).catch((e: unknown) => e);
    expect(failureOf(error)).toMatchObject({ kind: 'network' });
    expect(posts()).toHaveLength(1);
  });

  it('does not retry a create that timed out', async () => {
    sandbox.clearRequests();
    sandbox.faults.add({ kind: 'hang' }, { times: 1 });
    const { api } = chatApi(sandbox.url, { timeoutMs: 200 });
    const error = await api.createSession({}, {}).catch((e: unknown) => e);
    expect(failureOf(error)).toEqual({ kind: 'timeout' });
    expect(posts()).toHaveLength(1);
  });

  it('does not retry a turn answered 503 at the start', async () => {
    sandbox.clearRequests();
    const { api } = chatApi(sandbox.url);
    const { sessionId } = await api.createSession({}, {});
    sandbox.faults.add({ kind: 'status', status: 503 }, { times: 1 });
    const turn = await readTurn(api.streamTurn({ sessionId }, { prompt: 'x', indexIds: [] }));
    expect(failureOf(turn.error)).toMatchObject({ kind: 'status', status: 503 });
    expect(streamRequests(sandbox)).toHaveLength(1);
  });

  it('retries a create whose connection was refused (provably never sent)', async () => {
    // A port with nothing listening; the sandbox starts on it once the first attempt is refused.
    const port = await freePort();
    let late: FaultySandbox | undefined;
    const attempts: AttemptEvent[] = [];
    const { api, counter } = chatApi(`http://127.0.0.1:${port}`, {
      retryBaseDelayMs: 200,
      onAttempt: (event) => {
        attempts.push(event);
        if (attempts.length === 1) void startFaultySandbox({ port }).then((s) => (late = s));
      },
    });
    try {
      const created = await api.createSession({}, { indexIds: ['a'] });
      expect(created.indexIds).toEqual(['a']);
      expect(attempts.map((a) => a.outcome)).toEqual(['network_error', 'ok']);
      expect(late!.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
      expect(counter.upstreamCalls).toBe(2);
    } finally {
      await late?.close();
    }
  });

  it('gives up on a refused create after the retries, with the network failure', async () => {
    const port = await freePort();
    const { api, counter } = chatApi(`http://127.0.0.1:${port}`);
    const error = await api.createSession({}, {}).catch((e: unknown) => e);
    expect(failureOf(error)).toEqual({ kind: 'network', reason: 'ECONNREFUSED' });
    expect((error as UpstreamError).attempts).toBe(3);
    expect(counter.upstreamCalls).toBe(3);
  });

  it.each(['reset', 'end'] as const)(
    'a stream cut after N events (%s): N events, then stream_interrupted',
    async (how) => {
      const { api } = chatApi(sandbox.url);
      const { sessionId } = await api.createSession({}, {});
      sandbox.faults.add({ kind: 'cut-stream', afterEvents: 4, how }, { times: 1 });
      const turn = await readTurn(api.streamTurn({ sessionId }, { prompt: 'q', indexIds: [] }));
      expect(turn.events.map((e) => e.type)).toEqual([
        'thinking_delta',
        'thinking_delta',
        'thinking',
        'tool_call',
      ]);
      expect(failureOf(turn.error)).toMatchObject({ kind: 'stream_interrupted', events: 4 });
      if (how === 'reset') expect((turn.error as UpstreamError).failure).toHaveProperty('reason');
    },
  );

  it('a failed turn is a stop event with isError, not an exception', async () => {
    const { api } = chatApi(sandbox.url);
    const { sessionId } = await api.createSession({}, {});
    const turn = await readTurn(
      api.streamTurn({ sessionId }, { prompt: 'please fail this', indexIds: [] }),
    );
    expect(turn.error).toBeUndefined();
    expect(turn.events.at(-1)).toMatchObject({
      type: 'stop',
      isError: true,
      error: expect.stringContaining('failed'),
      skippedIndexIds: [],
    });
  });

  it('requireAllIndexes with an unknown index fails the turn, naming it', async () => {
    const { api } = chatApi(sandbox.url);
    const { sessionId } = await api.createSession({}, {});
    const turn = await readTurn(
      api.streamTurn(
        { sessionId },
        { prompt: 'q', indexIds: [known, 'idx-gone'], requireAllIndexes: true },
      ),
    );
    expect(turn.events.at(-1)).toMatchObject({
      type: 'stop',
      isError: true,
      skippedIndexIds: ['idx-gone'],
    });
  });

  it.each([
    ['a silent stream', { kind: 'silent-stream' } as const, 0],
    ['a stream that goes quiet', { kind: 'cut-stream', afterEvents: 2, how: 'hang' } as const, 2],
  ])('%s ends with stream_idle within the idle limit', async (_name, fault, count) => {
    sandbox.clearRequests();
    const { api } = chatApi(sandbox.url);
    const { sessionId } = await api.createSession({}, {});
    sandbox.faults.add(fault, { times: 1 });
    const turn = await readTurn(api.streamTurn({ sessionId }, { prompt: 'q', indexIds: [] }));
    const last = turn.times.at(-1) ?? sandbox.requests.at(-1)!.receivedAt;
    const silentFor = performance.now() - last;
    expect(turn.events).toHaveLength(count);
    expect(failureOf(turn.error)).toEqual({ kind: 'stream_idle', idleMs: IDLE_MS });
    expect(silentFor).toBeGreaterThanOrEqual(IDLE_MS - 5);
    expect(silentFor).toBeLessThan(IDLE_MS + 500);
    const request = streamRequests(sandbox).at(-1)!;
    await until(() => request.aborted);
  });

  it('the consumer leaving early closes the upstream socket at once', async () => {
    sandbox.clearRequests();
    const { api } = chatApi(sandbox.url);
    const { sessionId } = await api.createSession({}, {});
    let left = 0;
    for await (const event of api.streamTurn({ sessionId }, { prompt: 'q', indexIds: [] })) {
      if (event.type === 'thinking') {
        left = performance.now();
        break;
      }
    }
    const request = streamRequests(sandbox)[0]!;
    await until(() => request.closedAt !== undefined);
    console.log(`break -> upstream socket closed: ${(request.closedAt! - left).toFixed(1)} ms`);
    expect(request.aborted).toBe(true);
    expect(request.closedAt! - left).toBeLessThan(1_000);
  });

  it('return() while waiting for the next event closes the upstream at once', async () => {
    sandbox.clearRequests();
    const { api } = chatApi(sandbox.url);
    const { sessionId } = await api.createSession({}, {});
    sandbox.faults.add({ kind: 'silent-stream' }, { times: 1 });
    const turn = api.streamTurn({ sessionId }, { prompt: 'q', indexIds: [] });
    const iterator = turn[Symbol.asyncIterator]();
    const pending = iterator.next();
    await until(() => streamRequests(sandbox).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const left = performance.now();
    await iterator.return!();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    const request = streamRequests(sandbox)[0]!;
    await until(() => request.closedAt !== undefined);
    console.log(`return() -> upstream socket closed: ${(request.closedAt! - left).toFixed(1)} ms`);
    expect(request.aborted).toBe(true);
    expect(request.closedAt! - left).toBeLessThan(1_000);
  });

  it('the operation signal aborting closes the upstream at once and leaves no listener', async () => {
    sandbox.clearRequests();
    const controller = new AbortController();
    const { api } = chatApi(sandbox.url, {}, controller.signal);
    const { sessionId } = await api.createSession({}, {});
    let aborted = 0;
    const turn = await readTurn(
      (async function* () {
        for await (const event of api.streamTurn({ sessionId }, { prompt: 'q', indexIds: [] })) {
          yield event;
          if (event.type === 'tool_call') {
            aborted = performance.now();
            controller.abort();
          }
        }
      })(),
    );
    expect(failureOf(turn.error)).toEqual({ kind: 'aborted' });
    const request: RecordedRequest = streamRequests(sandbox)[0]!;
    await until(() => request.closedAt !== undefined);
    console.log(`signal -> upstream socket closed: ${(request.closedAt! - aborted).toFixed(1)} ms`);
    expect(request.aborted).toBe(true);
    expect(request.closedAt! - aborted).toBeLessThan(1_000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('leaves no abort listener on the operation signal after a complete turn', async () => {
    const controller = new AbortController();
    const { api } = chatApi(sandbox.url, {}, controller.signal);
    const { sessionId } = await api.createSession({}, {});
    const turn = await readTurn(api.streamTurn({ sessionId }, { prompt: 'q', indexIds: [] }));
    expect(turn.error).toBeUndefined();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('validates like the real API: 422 for a bad prompt, 404 for an unknown session', async () => {
    const { api } = chatApi(sandbox.url);
    const { sessionId } = await api.createSession({}, {});
    const long = await readTurn(
      api.streamTurn({ sessionId }, { prompt: 'x'.repeat(1001), indexIds: [] }),
    );
    expect(failureOf(long.error)).toMatchObject({
      kind: 'status',
      status: 422,
      detail: expect.stringContaining('body.prompt'),
    });
    const missing = await readTurn(
      api.streamTurn({ sessionId: 'ses-nope' }, { prompt: 'x', indexIds: [] }),
    );
    expect(missing.error).toBeInstanceOf(SessionNotFoundError);
    expect((missing.error as SessionNotFoundError).sessionId).toBe('ses-nope');
  });

  it('a 2xx that is not an event stream is bad_response', async () => {
    const { api } = chatApi(sandbox.url);
    const { sessionId } = await api.createSession({}, {});
    sandbox.faults.add({ kind: 'body', body: { json: { ok: true } } }, { times: 1 });
    const turn = await readTurn(api.streamTurn({ sessionId }, { prompt: 'q', indexIds: [] }));
    expect(failureOf(turn.error)).toMatchObject({ kind: 'bad_response' });
  });
});

describe('decoding one streamed event', () => {
  const message = (data: string, event?: string) => ({ data, event, id: undefined });

  it('takes the type from JSON, else from the SSE event name; unknown types are kept', () => {
    expect(decodeStreamEvent(message('{"type":"text","content":"a"}', 'other'), 0)).toEqual({
      type: 'text',
      content: 'a',
    });
    expect(decodeStreamEvent(message('{"content":"a"}', 'thinking'), 0)).toEqual({
      type: 'thinking',
      content: 'a',
    });
    expect(decodeStreamEvent(message('{"x":1}', 'citation'), 0)).toEqual({
      type: 'citation',
      unknown: true,
      data: { type: 'citation', x: 1 },
    });
  });

  it('names the bad field of an invalid or mistyped event', () => {
    const bad = (data: string, event?: string) => {
      try {
        decodeStreamEvent(message(data, event), 3);
      } catch (error) {
        return (error as UpstreamError).failure;
      }
      throw new Error('no error');
    };
    expect(bad('{not json')).toMatchObject({ kind: 'bad_response', path: 'stream[3]' });
    expect(bad('{"type":"tool_call","name":"x","arguments":{}}')).toMatchObject({
      kind: 'bad_response',
      path: 'stream[3].call_id',
    });
    expect(bad('{"content":"a"}')).toMatchObject({ kind: 'bad_response', path: 'stream[3].type' });
    expect(bad('{"type":"stop","is_error":"no"}')).toMatchObject({
      path: 'stream[3].is_error',
    });
  });
});

/** A loopback port nothing listens on (just freed). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('the sandbox write state', () => {
  const request = (method: string, path: string, body?: unknown) => ({
    method,
    url: new URL(path, 'http://sandbox'),
    headers: {},
    body,
  });

  it('is bounded: at most MAX_CREATED_SESSIONS per tenant, the oldest evicted', () => {
    const api = createSandboxApi();
    const ids: string[] = [];
    for (let i = 0; i < MAX_CREATED_SESSIONS + 5; i++) {
      const answer = api.answer(request('POST', '/api/v1/chat', {}));
      ids.push((answer as { body: { session_id: string } }).body.session_id);
    }
    expect(api.answer(request('GET', `/api/v1/chat/${ids[0]}/summary`)).status).toBe(404);
    expect(api.answer(request('GET', `/api/v1/chat/${ids[4]}/summary`)).status).toBe(404);
    expect(api.answer(request('GET', `/api/v1/chat/${ids[5]}/summary`)).status).toBe(200);
    const page = api.answer(request('GET', '/api/v1/chat?page_size=1')) as {
      body: { items: Array<{ session_id: string }> };
    };
    expect(page.body.items[0]!.session_id).toBe(ids.at(-1));
  });

  it('deletes a seeded session without touching the seed, and refuses bad bodies', () => {
    const api = createSandboxApi();
    const seeded = [...api.dataset.values()][0]![0]!.summary.session_id;
    expect(api.answer(request('DELETE', `/api/v1/chat/${seeded}`)).status).toBe(204);
    expect(api.answer(request('GET', `/api/v1/chat/${seeded}`)).status).toBe(404);
    expect(api.answer(request('DELETE', `/api/v1/chat/${seeded}`)).status).toBe(404);
    expect([...api.dataset.values()][0]![0]!.summary.session_id).toBe(seeded);
    const stream = `/api/v1/chat/${seeded}/messages/stream`;
    expect(api.answer(request('POST', stream, { index_ids: [] })).status).toBe(422);
    expect(api.answer(request('POST', stream, { prompt: 'x', index_ids: 'a' })).status).toBe(422);
    expect(api.answer(request('POST', stream, { prompt: 'x', index_ids: [] })).status).toBe(404);
    expect(api.answer(request('POST', '/api/v1/chat', { shared_access: 'all' })).status).toBe(422);
  });
});
