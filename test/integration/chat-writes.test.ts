/**
 * The write half through the graph, over real HTTP and WebSocket: createChatSession, the list,
 * chatTurn over GraphQL over SSE and over graphql-ws, deleteChatSession, the lookup gone. Against
 * the sandbox's answers (the faulty-sandbox double) and an independently written scripted
 * upstream. Then the faults, validation, the stream cap and shutdown.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startScriptedChatUpstream } from '../support/scripted-chat-upstream.js';
import type { ScriptedChatUpstream } from '../support/scripted-chat-upstream.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';
import { subscribeOverSse, subscribeOverWebSocket } from '../support/subscriptions.js';
import type { Received } from '../support/subscriptions.js';

const GAP_MS = 30;
const IDLE_MS = 300;

const CREATE = `mutation Create($input: CreateChatSessionInput!) {
  createChatSession(input: $input) { clientMutationId chatSession { id sessionId sharedAccess indexIds } }
}`;
const DELETE = `mutation Delete($input: DeleteChatSessionInput!) {
  deleteChatSession(input: $input) { clientMutationId deletedSessionId deletedId }
}`;
const TURN = `subscription Turn($sessionId: ID!, $prompt: String!) {
  chatTurn(sessionId: $sessionId, prompt: $prompt) {
    type
    ... on TextDeltaChatEvent { content }
    ... on ToolCallChatEvent { name }
    ... on StopChatEvent { isError error skippedIndexIds usage { turns } }
  }
}`;

const types = (received: Received[]) => received.map((r) => r.payload.data?.chatTurn?.type);
const lastError = (received: Received[]) => received.at(-1)?.payload.errors?.[0];

/** The stream was read while the upstream was still sending: arrivals spread over the gaps. */
function expectSpread(received: Received[]) {
  const spread = received.at(-1)!.at - received[0]!.at;
  expect(spread).toBeGreaterThan((received.length - 1) * GAP_MS * 0.5);
}

describe.each([
  ['the sandbox', 'sandbox'],
  ['a second, scripted upstream', 'scripted'],
] as const)('create, list, turn over SSE and graphql-ws, delete: against %s', (_name, kind) => {
  let stack: Stack;
  let scripted: ScriptedChatUpstream | undefined;
  beforeAll(async () => {
    scripted =
      kind === 'scripted' ? await startScriptedChatUpstream({ eventGapMs: GAP_MS }) : undefined;
    stack = await startStack({
      sandbox: { turnEventDelayMs: GAP_MS },
      env: scripted ? { LLAMA_CLOUD_BASE_URL: scripted.url } : {},
    });
  });
  afterAll(async () => {
    await stack.close();
    await scripted?.close();
  });

  it('round trip', async () => {
    const created = await stack.graphql(CREATE, {
      input: { clientMutationId: 'create-1', indexIds: [], sharedAccess: 'READ_ONLY' },
    });
    expect(created.body.errors).toBeUndefined();
    const { chatSession, clientMutationId } = created.body.data!.createChatSession;
    expect(clientMutationId).toBe('create-1');
    const { sessionId, id } = chatSession;
    expect(sessionId).toEqual(expect.any(String));

    const list = await stack.graphql('{ chatSessions(first: 5) { edges { node { sessionId } } } }');
    expect(list.body.data!.chatSessions.edges.map((e: any) => e.node.sessionId)).toContain(
      sessionId,
    );

    const sse = subscribeOverSse(stack.gateway.url, TURN, {
      sessionId,
      prompt: 'What changed in Q3?',
    });
    await sse.done;
    expect(await sse.status).toBe(200);
    expect(sse.received.every((r) => r.payload.errors === undefined)).toBe(true);
    expect(types(sse.received).at(-1)).toBe('stop');
    expect(types(sse.received)).toContain('text_delta');
    expect(sse.received.at(-1)!.payload.data!.chatTurn.isError).toBe(false);
    expectSpread(sse.received);

    const ws = subscribeOverWebSocket(stack.gateway.url, TURN, { sessionId, prompt: 'And Q4?' });
    await ws.done;
    await ws.dispose();
    expect(ws.received.every((r) => r.payload.errors === undefined)).toBe(true);
    expect(types(ws.received).at(-1)).toBe('stop');
    expectSpread(ws.received);

    const deleted = await stack.graphql(DELETE, { input: { sessionId, clientMutationId: 'd-1' } });
    expect(deleted.body.data!.deleteChatSession).toEqual({
      clientMutationId: 'd-1',
      deletedSessionId: sessionId,
      deletedId: id,
    });
    const lookup = await stack.graphql(
      'query($id: ID!) { chatSession(sessionId: $id) { sessionId } }',
      {
        id: sessionId,
      },
    );
    expect(lookup.body).toEqual({ data: { chatSession: null } });
    const again = await stack.graphql(DELETE, { input: { sessionId } });
    expect(again.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('faults, validation, limits', () => {
  let stack: Stack;
  let sessionId: string;
  beforeAll(async () => {
    stack = await startStack({
      sandbox: { turnEventDelayMs: GAP_MS },
      env: { UPSTREAM_STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS), MAX_CONCURRENT_STREAMS: '1' },
    });
    const created = await stack.graphql(CREATE, { input: {} });
    sessionId = created.body.data!.createChatSession.chatSession.sessionId;
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  const posts = (path: RegExp) =>
    stack.sandbox.requests.filter((r) => r.method === 'POST' && path.test(r.path));
  const turn = (prompt = 'Tell me more') =>
    subscribeOverSse(stack.gateway.url, TURN, { sessionId, prompt });

  it('503 once on create: one POST upstream, never repeated, UPSTREAM_UNAVAILABLE', async () => {
    stack.sandbox.faults.add({ kind: 'status', status: 503 }, { times: 1 });
    const res = await stack.graphql(CREATE, { input: {} });
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      upstreamStatus: 503,
    });
    expect(posts(/^\/api\/v1\/chat$/)).toHaveLength(1);
  });

  it('a stream cut after 3 events: 3 events, then STREAM_INTERRUPTED, then the end', async () => {
    stack.sandbox.faults.add(
      { kind: 'cut-stream', afterEvents: 3, how: 'reset' },
      { when: (r) => r.path.endsWith('/messages/stream') },
    );
    const run = turn();
    await run.done;
    expect(run.received).toHaveLength(4);
    expect(types(run.received.slice(0, 3)).every(Boolean)).toBe(true);
    expect(lastError(run.received)?.extensions).toMatchObject({
      code: 'STREAM_INTERRUPTED',
      eventsReceived: 3,
    });
    expect(posts(/\/messages\/stream$/)).toHaveLength(1);
  });

  it('a failing turn: the stop event says isError, the subscription ends normally', async () => {
    const run = turn('Please fail this one');
    await run.done;
    const stop = run.received.at(-1)!.payload.data!.chatTurn;
    expect(stop).toMatchObject({ type: 'stop', isError: true, error: expect.any(String) });
    expect(run.received.every((r) => r.payload.errors === undefined)).toBe(true);
  });

  it('a silent stream: UPSTREAM_TIMEOUT after the idle limit', async () => {
    stack.sandbox.faults.add(
      { kind: 'silent-stream' },
      { when: (r) => r.path.endsWith('/messages/stream') },
    );
    const started = performance.now();
    const run = turn();
    await run.done;
    expect(lastError(run.received)?.extensions).toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      idleMs: IDLE_MS,
    });
    expect(performance.now() - started).toBeLessThan(IDLE_MS + 2_000);
  });

  it('the client going away closes the upstream stream within 1 s', async () => {
    const controller = new AbortController();
    const run = subscribeOverSse(
      stack.gateway.url,
      TURN,
      { sessionId, prompt: 'long answer' },
      {
        signal: controller.signal,
      },
    );
    run.done.catch(() => undefined);
    await expect.poll(() => run.received.length, { timeout: 3_000 }).toBeGreaterThan(1);
    const abortedAt = performance.now();
    controller.abort();
    const [upstream] = posts(/\/messages\/stream$/);
    await expect.poll(() => upstream?.closedAt, { timeout: 2_000 }).toBeDefined();
    expect(upstream!.aborted).toBe(true);
    expect(upstream!.closedAt! - abortedAt).toBeLessThan(1_000);
    await expect.poll(() => stack.gateway.streams.size).toBe(0);
  });

  it('bad arguments fail before any upstream call', async () => {
    for (const [variables, argument] of [
      [{ sessionId, prompt: '' }, 'prompt'],
      [{ sessionId, prompt: 'x'.repeat(1001) }, 'prompt'],
      [{ sessionId: '..', prompt: 'hi' }, 'sessionId'],
    ] as const) {
      const run = subscribeOverSse(stack.gateway.url, TURN, variables);
      await run.done;
      expect(run.received[0]?.payload.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument,
      });
    }
    // A list argument of a subscription is bounded like any other (MAX_PAGE_SIZE items).
    const tooMany = subscribeOverSse(
      stack.gateway.url,
      'subscription($id: ID!, $ids: [ID!]) { chatTurn(sessionId: $id, prompt: "hi", indexIds: $ids) { type } }',
      { id: sessionId, ids: Array.from({ length: 101 }, (_, i) => `idx-${i}`) },
    );
    await tooMany.done;
    expect(tooMany.received[0]?.payload.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'ids',
    });
    expect(stack.sandbox.requests).toHaveLength(0);
    const unknown = subscribeOverSse(stack.gateway.url, TURN, {
      sessionId: 'ses-nope',
      prompt: 'hi',
    });
    await unknown.done;
    expect(unknown.received[0]?.payload.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('a turn that cannot be streamed (Accept: JSON, inside a batch) holds no stream slot', async () => {
    const body = JSON.stringify({ query: TURN, variables: { sessionId, prompt: 'hi' } });
    for (let i = 0; i < 3; i++) {
      await fetch(`${stack.gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
      }).then((res) => res.text());
      await fetch(`${stack.gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `[${body}]`,
      }).then((res) => res.text());
    }
    expect(stack.gateway.streams.size).toBe(0);
    expect(posts(/\/messages\/stream$/)).toHaveLength(0);
    // MAX_CONCURRENT_STREAMS is 1 here: a real turn still gets its slot.
    const run = turn();
    await run.done;
    expect(types(run.received).at(-1)).toBe('stop');
  });

  it('MAX_CONCURRENT_STREAMS=1: a second turn at once gets TOO_MANY_STREAMS', async () => {
    const first = turn();
    await expect.poll(() => first.received.length, { timeout: 3_000 }).toBeGreaterThan(0);
    const second = turn();
    await second.done;
    expect(second.received[0]?.payload.errors?.[0]?.extensions).toMatchObject({
      code: 'TOO_MANY_STREAMS',
      maxStreams: 1,
    });
    await first.done;
    expect(types(first.received).at(-1)).toBe('stop');
  });
});

describe('shutdown', () => {
  it('gives an open stream SHUTDOWN_TIMEOUT_MS, then ends it with SHUTTING_DOWN', async () => {
    const stack = await startStack({ sandbox: { turnEventDelayMs: 400 } });
    const created = await stack.graphql(CREATE, { input: {} });
    const { sessionId } = created.body.data!.createChatSession.chatSession;
    const run = subscribeOverSse(stack.gateway.url, TURN, { sessionId, prompt: 'slow' });
    await expect.poll(() => run.received.length, { timeout: 3_000 }).toBeGreaterThan(0);
    const result = await stack.gateway.close(300);
    await run.done;
    expect(lastError(run.received)?.extensions?.code).toBe('SHUTTING_DOWN');
    expect(result).toMatchObject({ streamsEnded: 1, drained: true });
    await stack.sandbox.close();
  });
});

describe('open turns and the upstream sockets', () => {
  it('turns beyond the JSON pool size all stream, and a list query answers while they are open', async () => {
    // Two sockets for the JSON calls: with turns on the same pool, the third turn and the query
    // would wait for a turn to end.
    const stack = await startStack({
      sandbox: { turnEventDelayMs: 150 },
      gateway: { upstream: { connections: 2 } },
    });
    try {
      const runs = [];
      for (let i = 0; i < 3; i++) {
        const created = await stack.graphql(CREATE, { input: {} });
        const { sessionId } = created.body.data!.createChatSession.chatSession;
        runs.push(subscribeOverSse(stack.gateway.url, TURN, { sessionId, prompt: `turn ${i}` }));
      }
      let ended = 0;
      for (const run of runs) void run.done.then(() => ended++);
      for (const run of runs) {
        await expect.poll(() => run.received.length, { timeout: 5_000 }).toBeGreaterThan(0);
      }
      const list = await stack.graphql('{ chatSessions(first: 2) { edges { cursor } } }');
      expect(list.body.errors).toBeUndefined();
      expect(list.body.data!.chatSessions.edges).toHaveLength(2);
      // All three turns were still streaming when the query was answered.
      expect(ended).toBe(0);
      await Promise.all(runs.map((run) => run.done));
      for (const run of runs) expect(types(run.received).at(-1)).toBe('stop');
    } finally {
      await stack.close();
    }
  });
});
