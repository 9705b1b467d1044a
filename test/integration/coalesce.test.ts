/**
 * Coalesced reads (UPSTREAM_COALESCE, src/upstream/coalesce.ts; docs/architecture.md, "The call
 * budget"): identical reads in flight for several operations are sent once, with the same
 * credential only, never for writes; each operation pays its budget, leaves on its own, and gets
 * the same outcome. Over real HTTP against the recording sandbox double, whose `hold` fault keeps
 * a request in flight until the test releases it, so every overlap here is deterministic.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import { ChatApi } from '../../src/upstream/chat-api.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import { ReadCoalescer } from '../../src/upstream/coalesce.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import { startFaultySandbox } from '../support/faulty-sandbox.js';
import type { FaultySandbox, RecordedRequest } from '../support/faulty-sandbox.js';
import { deferred } from '../support/scripted-upstream.js';
import { SERVER_KEY, startStack } from '../support/stack.js';
import type { GraphQLResponse, Stack, StackOptions } from '../support/stack.js';

const LIST = `{ chatSessions(first: 3) { edges { node { sessionId } } } }`;
const isList = (r: RecordedRequest) => r.path === '/api/v1/chat';

type Line = Record<string, unknown>;

/** Polls `check` until it holds (a few seconds at most: a missed event fails, never hangs). */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A stack with /metrics and its request log lines captured. */
async function observedStack(options: StackOptions = {}) {
  const lines: Line[] = [];
  const logger = createLogger('info', {
    write: (text: string) => void lines.push(JSON.parse(text) as Line),
  });
  const stack = await startStack({ ...options, metrics: true, gateway: { logger } });
  /** The request log line of the request sent with this x-request-id. */
  const logOf = (requestId: string) =>
    lines.find((l) => l.msg === 'graphql request' && l.requestId === requestId);
  /** gateway_upstream_coalesced_total, summed over endpoints. */
  const joins = async () => {
    const text = await (await fetch(stack.gateway.metricsUrl!)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('gateway_upstream_coalesced_total{'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };
  return { stack, logOf, joins };
}

const id = (requestId: string, more: Record<string, string> = {}) => ({
  headers: { 'x-request-id': requestId, ...more },
});

const codesOf = (res: GraphQLResponse) => (res.body.errors ?? []).map((e) => e.extensions?.code);

describe('on (the default)', () => {
  let observed: Awaited<ReturnType<typeof observedStack>>;
  let stack: Stack;
  /** The list's answer when nothing is shared. */
  let expected: unknown;
  beforeAll(async () => {
    observed = await observedStack({ env: { MAX_UPSTREAM_CALLS_PER_OPERATION: '3' } });
    stack = observed.stack;
    expected = (await stack.graphql(LIST)).body;
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.resetRequests());

  /**
   * Sends LIST as `requestId` and waits until it joined the read in flight; resolves with its
   * response's promise (wrapped: awaiting it would wait for the answer).
   */
  async function join(requestId: string, more: Record<string, string> = {}, signal?: AbortSignal) {
    const before = await observed.joins();
    const res = stack.graphql(LIST, undefined, {
      ...id(requestId, more),
      ...(signal && { signal }),
    });
    res.catch(() => undefined);
    await until(`${requestId} to join`, async () => (await observed.joins()) > before);
    return { res };
  }

  it('identical reads in flight go upstream once, with the leader’s request id; each counts its call', async () => {
    const release = deferred();
    stack.sandbox.faults.add({ kind: 'hold', until: release.promise }, { times: 1, when: isList });
    const a = stack.graphql(LIST, undefined, id('co-a'));
    await until('the first read upstream', () => stack.listCalls().length === 1);
    const { res: b } = await join('co-b');
    const { res: c } = await join('co-c');
    release.resolve();
    const answers = await Promise.all([a, b, c]);

    for (const res of answers) expect(res.body).toEqual(expected);
    const calls = stack.listCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.requestId).toBe('co-a');
    // The record (the log line): each operation counts its call; the joiners say they joined.
    await until('three log lines', () => ['co-a', 'co-b', 'co-c'].every((r) => observed.logOf(r)));
    expect(observed.logOf('co-a')).toMatchObject({ upstreamCalls: 1, upstreamCallsJoined: 0 });
    expect(observed.logOf('co-b')).toMatchObject({ upstreamCalls: 1, upstreamCallsJoined: 1 });
    expect(observed.logOf('co-c')).toMatchObject({ upstreamCalls: 1, upstreamCallsJoined: 1 });

    // Settled means gone: the same read now goes upstream again.
    expect((await stack.graphql(LIST)).body).toEqual(expected);
    expect(stack.listCalls()).toHaveLength(2);
  });

  it('never across credentials: another key sends its own read', async () => {
    const release = deferred();
    stack.sandbox.faults.add({ kind: 'hold', until: release.promise }, { when: isList });
    const a = stack.graphql(LIST, undefined, id('key-a', { authorization: 'Bearer llx-key-one' }));
    await until('the first read upstream', () => stack.listCalls().length === 1);
    const b = stack.graphql(LIST, undefined, id('key-b', { authorization: 'Bearer llx-key-two' }));
    await until('the second key’s own read', () => stack.listCalls().length === 2);
    // The same key as the first does join it.
    const { res: c } = await join('key-c', { authorization: 'Bearer llx-key-one' });
    release.resolve();
    await Promise.all([a, b, c]);
    const calls = stack.listCalls();
    expect(calls.map((r) => [r.requestId, r.headers.authorization])).toEqual([
      ['key-a', 'Bearer llx-key-one'],
      ['key-b', 'Bearer llx-key-two'],
    ]);
  });

  it('an operation whose budget is spent does not join: BUDGET_EXCEEDED for that field', async () => {
    const release = deferred();
    stack.sandbox.faults.add({ kind: 'hold', until: release.promise }, { times: 1, when: isList });
    const a = stack.graphql(LIST, undefined, id('budget-a'));
    await until('the first read upstream', () => stack.listCalls().length === 1);
    const before = await observed.joins();
    // Three other reads spend the budget of 3 first; the fourth is the read in flight.
    const b = await stack.graphql(
      `{ s0: chatSession(sessionId: "ses-x0") { sessionId } s1: chatSession(sessionId: "ses-x1") { sessionId }
         s2: chatSession(sessionId: "ses-x2") { sessionId } list: chatSessions(first: 3) { edges { node { sessionId } } } }`,
      undefined,
      id('budget-b'),
    );
    expect(codesOf(b)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(b.body.errors![0]!.path).toEqual(['list']);
    expect(await observed.joins()).toBe(before);
    release.resolve();
    expect((await a).body).toEqual(expected);
    expect(stack.listCalls()).toHaveLength(1);
  });

  it('failures reach every waiter with the same code; retries count for each of them', async () => {
    const release = deferred();
    const unavailable = { kind: 'status', status: 503 } as const;
    stack.sandbox.faults.add(
      { kind: 'hold', until: release.promise, then: unavailable },
      { times: 1, when: isList },
    );
    stack.sandbox.faults.add(unavailable, { when: isList });
    const a = stack.graphql(LIST, undefined, id('fail-a'));
    await until('the first read upstream', () => stack.listCalls().length === 1);
    const { res: b } = await join('fail-b');
    release.resolve();
    const [ra, rb] = await Promise.all([a, b]);
    expect(codesOf(ra)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(codesOf(rb)).toEqual(['UPSTREAM_UNAVAILABLE']);
    // One call of three attempts (UPSTREAM_MAX_RETRIES=2), counted in full by both operations:
    // neither counts less than it would have made alone.
    expect(stack.listCalls()).toHaveLength(3);
    await until('two log lines', () =>
      Boolean(observed.logOf('fail-a') && observed.logOf('fail-b')),
    );
    expect(observed.logOf('fail-a')).toMatchObject({ upstreamCalls: 3, upstreamCallsJoined: 0 });
    expect(observed.logOf('fail-b')).toMatchObject({ upstreamCalls: 3, upstreamCallsJoined: 1 });
  });

  it('a 404 is null for every waiter', async () => {
    const release = deferred();
    const lookup = `{ chatSession(sessionId: "ses-missing") { sessionId } }`;
    stack.sandbox.faults.add(
      { kind: 'hold', until: release.promise },
      { times: 1, when: (r) => r.path.startsWith('/api/v1/chat/ses-missing') },
    );
    const a = stack.graphql(lookup);
    await until('the lookup upstream', () => stack.sandbox.requests.length === 1);
    const before = await observed.joins();
    const b = stack.graphql(lookup);
    await until('the second lookup to join', async () => (await observed.joins()) > before);
    release.resolve();
    for (const res of await Promise.all([a, b])) {
      expect(res.body).toEqual({ data: { chatSession: null } });
    }
    expect(stack.sandbox.requests).toHaveLength(1);
  });

  it('a waiter whose client goes away leaves alone; the read goes on for the others', async () => {
    const release = deferred();
    stack.sandbox.faults.add({ kind: 'hold', until: release.promise }, { times: 1, when: isList });
    const leader = new AbortController();
    const a = stack.graphql(LIST, undefined, { ...id('leave-a'), signal: leader.signal });
    a.catch(() => undefined);
    await until('the first read upstream', () => stack.listCalls().length === 1);
    const joiner = new AbortController();
    const { res: b } = await join('leave-b', {}, joiner.signal);
    const { res: c } = await join('leave-c');
    // The leader and one joiner leave; the third operation still waits.
    leader.abort();
    joiner.abort();
    await expect(a).rejects.toThrow();
    await expect(b).rejects.toThrow();
    release.resolve();
    expect((await c).body).toEqual(expected);
    const [call] = stack.listCalls();
    await until('the upstream response to close', () => call!.closedAt !== undefined);
    expect(call!.aborted).toBe(false);
  });

  it('the last waiter leaving aborts the shared read, which is then no longer joinable', async () => {
    const release = deferred();
    stack.sandbox.faults.add({ kind: 'hold', until: release.promise }, { times: 1, when: isList });
    const a = new AbortController();
    const b = new AbortController();
    const ra = stack.graphql(LIST, undefined, { ...id('last-a'), signal: a.signal });
    ra.catch(() => undefined);
    await until('the first read upstream', () => stack.listCalls().length === 1);
    const { res: rb } = await join('last-b', {}, b.signal);
    a.abort();
    b.abort();
    const [call] = stack.listCalls();
    await until('the upstream request to be aborted', () => call!.aborted);
    await expect(rb).rejects.toThrow();
    // A new operation starts a read of its own.
    expect((await stack.graphql(LIST)).body).toEqual(expected);
    expect(stack.listCalls()).toHaveLength(2);
    release.resolve();
  });

  it('writes are never shared', async () => {
    const release = deferred();
    stack.sandbox.faults.add(
      { kind: 'hold', until: release.promise },
      { when: (r) => r.method === 'POST' },
    );
    const create = `mutation { createChatSession(input: {}) { chatSession { sessionId } } }`;
    const writes = [stack.graphql(create), stack.graphql(create)];
    await until('both writes upstream', () => stack.sandbox.requests.length === 2);
    release.resolve();
    const [one, two] = await Promise.all(writes);
    expect(one!.body.errors).toBeUndefined();
    expect(one!.body.data).not.toEqual(two!.body.data);
  });

  // After 'writes are never shared': the sessions created there and here change the list, so
  // `expected` no longer holds.
  it('a read in flight from before a write is not joined once the write has answered', async () => {
    const release = deferred();
    const isListRead = (r: RecordedRequest) => isList(r) && r.method === 'GET';
    const listReads = () => stack.sandbox.requests.filter(isListRead);
    stack.sandbox.faults.add(
      { kind: 'hold', until: release.promise },
      { times: 1, when: isListRead },
    );
    const a = stack.graphql(LIST, undefined, id('rw-a'));
    await until('the first read upstream', () => listReads().length === 1);
    // Before any write the same read joins it.
    const { res: b } = await join('rw-b');
    const create = `mutation { createChatSession(input: {}) { chatSession { sessionId } } }`;
    const created = await stack.graphql(create);
    expect(created.body.errors).toBeUndefined();
    // The write has answered: a read started now must not get the answer read before it.
    const c = stack.graphql(LIST, undefined, id('rw-c'));
    await until('rw-c’s own read upstream', () => listReads().length === 2);
    expect(listReads()[1]!.requestId).toBe('rw-c');
    // The sandbox lists the newest session first: the one just created.
    expect((await c).body.data!.chatSessions.edges[0].node).toEqual(
      created.body.data!.createChatSession.chatSession,
    );
    // The flight from before the write still answers the operations that were waiting for it.
    release.resolve();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.body.errors).toBeUndefined();
    expect(rb.body).toEqual(ra.body);
    expect(listReads()).toHaveLength(2);
    await until('the log lines', () => ['rw-b', 'rw-c'].every((r) => observed.logOf(r)));
    expect(observed.logOf('rw-b')).toMatchObject({ upstreamCallsJoined: 1 });
    expect(observed.logOf('rw-c')).toMatchObject({ upstreamCalls: 1, upstreamCallsJoined: 0 });
  });
});

describe('deadlines', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  /** Two list queries on a read that hangs upstream: the second joins the first's read. */
  async function twoWaitersOnAHungRead(env: Record<string, string>) {
    const observed = await observedStack({ env });
    stack = observed.stack;
    stack.sandbox.faults.add({ kind: 'hang' }, { when: isList });
    const a = stack.graphql(LIST);
    await until('the read upstream', () => stack!.listCalls().length === 1);
    const before = await observed.joins();
    const b = stack.graphql(LIST);
    await until('the second read to join', async () => (await observed.joins()) > before);
    return Promise.all([a, b]);
  }

  it('the shared read keeps its own UPSTREAM_TIMEOUT_MS: every waiter gets UPSTREAM_TIMEOUT', async () => {
    const [ra, rb] = await twoWaitersOnAHungRead({ UPSTREAM_TIMEOUT_MS: '800' });
    expect(codesOf(ra)).toEqual(['UPSTREAM_TIMEOUT']);
    expect(codesOf(rb)).toEqual(['UPSTREAM_TIMEOUT']);
    // A timeout is not retried past the deadline: one request, shared.
    expect(stack!.listCalls()).toHaveLength(1);
  });

  it('each waiter’s execution deadline ends its own wait; the read is aborted once all left', async () => {
    const [ra, rb] = await twoWaitersOnAHungRead({ EXECUTION_TIMEOUT_MS: '800' });
    expect(codesOf(ra)).toEqual(['EXECUTION_TIMEOUT']);
    expect(codesOf(rb)).toEqual(['EXECUTION_TIMEOUT']);
    const [call] = stack!.listCalls();
    await until('the upstream request to be aborted', () => call!.aborted);
    expect(stack!.listCalls()).toHaveLength(1);
  });
});

describe('ChatApi with a shared coalescer (two operations, one process)', () => {
  let sandbox: FaultySandbox;
  let client: UpstreamClient;
  beforeAll(async () => {
    // No pause between the events of a turn: a turn here is read to its end at once.
    sandbox = await startFaultySandbox({ turnEventDelayMs: 0 });
    client = new UpstreamClient({
      baseUrl: sandbox.url,
      timeoutMs: 10_000,
      maxRetries: 2,
      userAgent: 'coalesce-test',
      retryBaseDelayMs: 5,
    });
  });
  afterAll(async () => {
    await client.close();
    await sandbox.close();
  });
  beforeEach(() => {
    sandbox.clearRequests();
    sandbox.faults.clear();
  });

  const operation = (coalescer: ReadCoalescer, signal: AbortSignal, maxCalls = 25) => {
    const counter = { upstreamCalls: 0, upstreamCallsJoined: 0 };
    const api = new ChatApi({
      client,
      call: { signal },
      maxCalls,
      counter,
      reads: coalescer.forCredential(SERVER_KEY),
    });
    return { api, counter };
  };
  const params = { pageSize: 3, pageToken: null };

  it('a joiner whose signal fires (client gone, execution deadline) stops waiting at once; the leader still gets its answer', async () => {
    const release = deferred();
    sandbox.faults.add({ kind: 'hold', until: release.promise }, { times: 1 });
    const coalescer = new ReadCoalescer();
    const joiner = new AbortController();
    const a = operation(coalescer, new AbortController().signal);
    const b = operation(coalescer, joiner.signal);
    const pa = a.api.listSessions(params);
    await until('the read upstream', () => sandbox.requests.length === 1);
    const pb = b.api.listSessions(params);
    await until('the joiner to join', () => b.counter.upstreamCallsJoined === 1);
    joiner.abort();
    // Rejected while the shared read is still held upstream: its own `aborted`, nothing else.
    const error: unknown = await pb.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).failure.kind).toBe('aborted');
    expect(sandbox.requests[0]!.closedAt).toBeUndefined();
    expect(coalescer.size).toBe(1);
    release.resolve();
    const page = await pa;
    expect(page.items).toHaveLength(3);
    expect(sandbox.requests[0]!.aborted).toBe(false);
    expect(coalescer.size).toBe(0);
    expect([a.counter.upstreamCalls, b.counter.upstreamCalls]).toEqual([1, 1]);
  });

  it('a joiner pays the attempts made so far; one whose budget cannot makes its own call', async () => {
    const release = deferred();
    // The first attempt fails, the retry is held: the shared call has made 2 attempts.
    sandbox.faults.add({ kind: 'status', status: 503 }, { times: 1 });
    sandbox.faults.add({ kind: 'hold', until: release.promise }, { times: 1 });
    const coalescer = new ReadCoalescer();
    const signal = new AbortController().signal;
    const a = operation(coalescer, signal);
    const rich = operation(coalescer, signal);
    const poor = operation(coalescer, signal, 1);
    const pa = a.api.listSessions(params);
    await until('the retry upstream', () => sandbox.requests.length === 2);
    const pRich = rich.api.listSessions(params);
    const pPoor = poor.api.listSessions(params);
    await until('the poor operation’s own call', () => sandbox.requests.length === 3);
    release.resolve();
    await Promise.all([pa, pRich, pPoor]);
    expect(rich.counter).toEqual({ upstreamCalls: 2, upstreamCallsJoined: 1 });
    expect(poor.counter).toEqual({ upstreamCalls: 1, upstreamCallsJoined: 0 });
    expect(a.counter).toEqual({ upstreamCalls: 2, upstreamCallsJoined: 0 });
  });

  it('a chat turn that has ended makes the reads in flight from before it unjoinable', async () => {
    const coalescer = new ReadCoalescer();
    const signal = new AbortController().signal;
    const { sessionId } = await operation(coalescer, signal).api.createSession({}, {});
    const key = { sessionId };
    const isLookup = (r: RecordedRequest) =>
      r.method === 'GET' && r.path === `/api/v1/chat/${sessionId}`;
    const lookups = () => sandbox.requests.filter(isLookup);
    const release = deferred();
    sandbox.faults.add({ kind: 'hold', until: release.promise }, { times: 1, when: isLookup });
    const a = operation(coalescer, signal);
    const pa = a.api.getSession(key);
    await until('the lookup upstream', () => lookups().length === 1);
    // Before the turn the same lookup joins it.
    const b = operation(coalescer, signal);
    const pb = b.api.getSession(key);
    await until('the second lookup to join', () => b.counter.upstreamCallsJoined === 1);

    const types: string[] = [];
    const turn = operation(coalescer, signal).api.streamTurn(key, { prompt: 'hi', indexIds: [] });
    for await (const event of turn) types.push(event.type);
    expect(types.at(-1)).toBe('stop');

    // After the turn: a lookup of its own, which sees the turn's events.
    const c = operation(coalescer, signal);
    const pc = c.api.getSession(key);
    await until('the third lookup’s own call', () => lookups().length === 2);
    expect((await pc)!.events.length).toBeGreaterThan(0); // a new session has none before
    expect(c.counter).toEqual({ upstreamCalls: 1, upstreamCallsJoined: 0 });
    release.resolve();
    expect(await pb).toEqual(await pa);
  });
});

describe('off (UPSTREAM_COALESCE=false)', () => {
  it('every operation sends its own read', async () => {
    const stack = await startStack({ env: { UPSTREAM_COALESCE: 'false' } });
    try {
      const release = deferred();
      stack.sandbox.faults.add({ kind: 'hold', until: release.promise }, { when: isList });
      const a = stack.graphql(LIST);
      await until('the first read upstream', () => stack.listCalls().length === 1);
      const b = stack.graphql(LIST);
      await until('the second read upstream', () => stack.listCalls().length === 2);
      release.resolve();
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra.body).toEqual(rb.body);
    } finally {
      await stack.close();
    }
  });
});

describe('with caller authentication (every caller uses the server key)', () => {
  const P1 = SANDBOX_PROJECTS[0]!.id;
  const P2 = SANDBOX_PROJECTS[1]!.id;
  let jwks: Server;
  let privateKey: CryptoKey;
  let observed: Awaited<ReturnType<typeof observedStack>>;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    observed = await observedStack({
      env: { AUTH_JWKS_URL: url, AUTH_PROJECTS_CLAIM: 'projects' },
    });
  });
  afterAll(async () => {
    await observed.stack.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const token = (sub: string, projects: string[]) =>
    new SignJWT({ sub, projects })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

  it('two callers allowed the project share the read; a caller who is not is refused before joining', async () => {
    const { stack } = observed;
    const query = `query($p: ID) { chatSessions(first: 3, projectId: $p) { edges { node { sessionId } } } }`;
    const release = deferred();
    stack.sandbox.faults.add({ kind: 'hold', until: release.promise }, { when: isList });
    const alice = { authorization: `Bearer ${await token('alice', [P1])}` };
    const bob = { authorization: `Bearer ${await token('bob', [P1, P2])}` };
    const eve = { authorization: `Bearer ${await token('eve', [P2])}` };
    const a = stack.graphql(query, { p: P1 }, alice);
    await until('the first read upstream', () => stack.listCalls().length === 1);
    const before = await observed.joins();
    const b = stack.graphql(query, { p: P1 }, bob);
    await until('bob to join', async () => (await observed.joins()) > before);
    const e = await stack.graphql(query, { p: P1 }, eve);
    expect(codesOf(e)).toEqual(['FORBIDDEN']);
    release.resolve();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.body.errors).toBeUndefined();
    expect(rb.body).toEqual(ra.body);
    const calls = stack.listCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${SERVER_KEY}`);
    expect(await observed.joins()).toBe(before + 1);
  });
});
