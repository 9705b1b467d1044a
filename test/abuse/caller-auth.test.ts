/**
 * Caller authentication and per-project authorization (AUTH_*), over real HTTP and WebSocket:
 * JWTs signed here with jose, their JWKS served by this test over HTTP on loopback, the gateway
 * in front of the recording sandbox double. Every refusal is asserted with its code and with the
 * upstream calls it made (none); every call that went upstream carried the SERVER key, never the
 * caller's JWT.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { REFETCH_COOLDOWN_MS } from '../../src/auth/verify.js';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import { SERVER_KEY, startStack } from '../support/stack.js';
import type { GraphQLResponse, Stack } from '../support/stack.js';
import { subscribeOverSse, subscribeOverWebSocket } from '../support/subscriptions.js';
import type { Received } from '../support/subscriptions.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'chat-gateway';
const P1 = SANDBOX_PROJECTS[0]!.id;
const P2 = SANDBOX_PROJECTS[1]!.id;

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, jwk };
}

/** The issuer's JWKS over HTTP, with the keys it currently publishes and its fetch count. */
interface Jwks {
  url: string;
  keys: JWK[];
  fetches: number;
  server: Server;
}

async function serveJwks(keys: JWK[]): Promise<Jwks> {
  const jwks: Jwks = { url: '', keys, fetches: 0, server: undefined as unknown as Server };
  jwks.server = createServer((_req, res) => {
    jwks.fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: jwks.keys }));
  });
  await new Promise<void>((resolve) => jwks.server.listen(0, '127.0.0.1', resolve));
  jwks.url = `http://127.0.0.1:${(jwks.server.address() as AddressInfo).port}/jwks.json`;
  return jwks;
}

const now = () => Math.floor(Date.now() / 1000);

/** A token as the issuer mints it; `claims` and `header` override the defaults. */
function sign(
  key: SigningKey,
  claims: JWTPayload & Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    iat: now(),
    exp: now() + 300,
    projects: [P1],
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const errorOf = (res: GraphQLResponse) => res.body.errors?.[0];

const LIST = `query List($projectId: ID) {
  chatSessions(first: 2, projectId: $projectId) { edges { node { id sessionId } } }
}`;

let jwks: Jwks;
let stack: Stack;
let key: SigningKey;
let other: SigningKey;
/** A session of P1 and one of P2 (read with the server key, straight from the sandbox). */
let s1: { sessionId: string; id: string };
let s2: { sessionId: string; id: string };

beforeAll(async () => {
  key = await signingKey('key-1', 'RS256');
  other = await signingKey('key-2', 'ES256');
  jwks = await serveJwks([key.jwk]);
  stack = await startStack({
    sandbox: { turnEventDelayMs: 20 },
    env: {
      AUTH_JWKS_URL: jwks.url,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_PROJECTS_CLAIM: 'projects',
    },
  });
  const both = await sign(key, { projects: `${P1} ${P2}` });
  const first = async (projectId: string) => {
    const res = await stack.graphql(LIST, { projectId }, bearer(both));
    return res.body.data!.chatSessions.edges[0].node as { sessionId: string; id: string };
  };
  s1 = await first(P1);
  s2 = await first(P2);
});

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => jwks?.server.close(resolve));
});

beforeEach(() => stack.resetRequests());

/** Every upstream request so far used the server key; returns them. */
function upstreamCalls() {
  for (const request of stack.sandbox.requests) {
    expect(request.headers.authorization).toBe(`Bearer ${SERVER_KEY}`);
  }
  return stack.sandbox.requests;
}

describe('caller authentication over HTTP', () => {
  it('a valid token: the operation runs, the upstream sees the server key, never the JWT', async () => {
    const token = await sign(key);
    const res = await stack.graphql(LIST, { projectId: P1 }, bearer(token));
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.chatSessions.edges).toHaveLength(2);
    const calls = upstreamCalls();
    expect(calls).toHaveLength(1);
    expect(JSON.stringify(calls[0]!.headers)).not.toContain(token);
  });

  it.each<[string, () => Promise<string | undefined>, string]>([
    ['no token', async () => undefined, 'missing'],
    ['not a JWT', async () => 'llx-a-llamacloud-key-is-no-jwt', 'malformed'],
    ['expired', async () => sign(key, { exp: now() - 120, iat: now() - 600 }), 'expired'],
    ['not yet valid', async () => sign(key, { nbf: now() + 120 }), 'not_yet_valid'],
    ['from another issuer', async () => sign(key, { iss: 'https://evil.test' }), 'issuer'],
    ['for another audience', async () => sign(key, { aud: 'another-api' }), 'audience'],
    ['without exp', async () => sign(key, { exp: undefined }), 'claims'],
    ['signed by a key the JWKS does not hold', async () => sign(other), 'unknown_key'],
    [
      'with a forged signature',
      async () => {
        const [header, , signature] = (await sign(key)).split('.');
        const payload = Buffer.from(
          JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'admin', exp: now() + 300 }),
        ).toString('base64url');
        return `${header}.${payload}.${signature}`;
      },
      'invalid',
    ],
    [
      'alg: none',
      async () =>
        new UnsecuredJWT({ sub: 'user-1', projects: [P1] })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .encode(),
      'algorithm',
    ],
    [
      'HS256 signed with the public key as the secret',
      async () => {
        const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
        return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'admin', projects: [P1, P2] })
          .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
          .setExpirationTime('5m')
          .sign(secret);
      },
      'algorithm',
    ],
  ])(
    '%s: 401 UNAUTHENTICATED, no upstream call, the token not echoed',
    async (_name, make, reason) => {
      const token = await make();
      const res = await stack.graphql(LIST, { projectId: P1 }, token ? bearer(token) : {});
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(res.body.data ?? null).toBeNull();
      expect(errorOf(res)?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason });
      expect(errorOf(res)?.extensions).not.toHaveProperty('http');
      if (token) {
        expect(res.text).not.toContain(token);
        expect(res.text).not.toContain(token.split('.')[1] ?? token);
      }
      expect(stack.sandbox.requests).toHaveLength(0);
    },
  );

  it('health and readiness stay open; the GraphiQL page loads, its operations need the token', async () => {
    expect((await fetch(`${stack.gateway.url}/health`)).status).toBe(200);
    expect((await fetch(`${stack.gateway.url}/readiness`)).status).toBe(200);
    const page = await fetch(`${stack.gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const get = await fetch(
      `${stack.gateway.url}/graphql?query=${encodeURIComponent('{ chatSessions(first: 1) { edges { cursor } } }')}`,
      { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } },
    );
    expect(get.status).toBe(401);
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});

describe('per-project authorization (AUTH_PROJECTS_CLAIM)', () => {
  const CREATE = `mutation Create($input: CreateChatSessionInput!) {
    createChatSession(input: $input) { chatSession { sessionId } }
  }`;
  const DELETE = `mutation Delete($input: DeleteChatSessionInput!) {
    deleteChatSession(input: $input) { deletedSessionId }
  }`;
  const LOOKUP = `query Lookup($sessionId: ID!, $projectId: ID) {
    chatSession(sessionId: $sessionId, projectId: $projectId) { sessionId events { type } }
  }`;
  const NODE = `query Node($id: ID!) { node(id: $id) { ... on ChatSession { sessionId } } }`;
  const NODES = `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ... on ChatSession { sessionId } } }`;
  const ENTITIES = `query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on ChatSession { sessionId }
      ... on Project { id chatSessions(first: 1) { edges { node { sessionId } } } }
    }
  }`;
  const TURN = `subscription Turn($sessionId: ID!, $projectId: ID) {
    chatTurn(sessionId: $sessionId, prompt: "hello", indexIds: [], projectId: $projectId) { type }
  }`;

  /** Each entry point, asked for project `projectId` (or none), as `token`. */
  const entryPoints: Array<
    [string, (token: string, projectId: string | undefined) => Promise<GraphQLResponse>]
  > = [
    ['chatSessions', (t, projectId) => stack.graphql(LIST, { projectId }, bearer(t))],
    [
      'chatSession',
      (t, projectId) =>
        stack.graphql(
          LOOKUP,
          { sessionId: projectId === P2 ? s2.sessionId : s1.sessionId, projectId },
          bearer(t),
        ),
    ],
    [
      'Project.chatSessions',
      (t, projectId) =>
        stack.graphql(
          ENTITIES,
          { representations: [{ __typename: 'Project', id: projectId ?? P1 }] },
          bearer(t),
        ),
    ],
    [
      'createChatSession',
      (t, projectId) => stack.graphql(CREATE, { input: { projectId } }, bearer(t)),
    ],
    [
      'deleteChatSession',
      (t, projectId) =>
        stack.graphql(DELETE, { input: { sessionId: 'ses-does-not-exist', projectId } }, bearer(t)),
    ],
    [
      'chatTurn (SSE)',
      async (t, projectId) => {
        const run = subscribeOverSse(
          stack.gateway.url,
          TURN,
          { sessionId: projectId === P2 ? s2.sessionId : s1.sessionId, projectId },
          { headers: bearer(t) },
        );
        await run.done;
        const last = run.received.at(-1)!;
        return { status: await run.status, body: last.payload } as GraphQLResponse;
      },
    ],
  ];

  it.each(entryPoints)(
    '%s: a project outside the claim is FORBIDDEN, no upstream call',
    async (_name, call) => {
      const res = await call(await sign(key, { projects: [P1] }), P2);
      expect(errorOf(res)?.extensions).toMatchObject({ code: 'FORBIDDEN', projectId: P2 });
      expect(stack.sandbox.requests).toHaveLength(0);
    },
  );

  it.each(entryPoints)(
    '%s: a project in the claim is served, in that project',
    async (name, call) => {
      const res = await call(await sign(key, { projects: `${P2} ${P1}` }), P1);
      if (name === 'deleteChatSession') {
        expect(errorOf(res)?.extensions).toMatchObject({ code: 'NOT_FOUND' });
      } else {
        expect(res.body.errors).toBeUndefined();
      }
      const calls = upstreamCalls();
      expect(calls.length).toBeGreaterThan(0);
      for (const request of calls) expect(request.query.project_id).toBe(P1);
    },
  );

  it.each(entryPoints)("%s without projectId: the claim's only project", async (name, call) => {
    if (name === 'Project.chatSessions') return; // a Project always names itself
    const res = await call(await sign(key, { projects: [P1] }), undefined);
    if (name === 'deleteChatSession') {
      expect(errorOf(res)?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    } else {
      expect(res.body.errors).toBeUndefined();
    }
    const calls = upstreamCalls();
    expect(calls.length).toBeGreaterThan(0);
    for (const request of calls) expect(request.query.project_id).toBe(P1);
  });

  it.each(entryPoints)(
    '%s without projectId, the claim holding several: BAD_USER_INPUT, no upstream call',
    async (name, call) => {
      if (name === 'Project.chatSessions') return;
      const res = await call(await sign(key, { projects: [P1, P2] }), undefined);
      expect(errorOf(res)?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'projectId',
      });
      expect(stack.sandbox.requests).toHaveLength(0);
    },
  );

  it('a token without the claim may use no project: FORBIDDEN, no upstream call', async () => {
    const res = await stack.graphql(
      LIST,
      { projectId: P1 },
      bearer(await sign(key, { projects: undefined })),
    );
    expect(errorOf(res)?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(stack.sandbox.requests).toHaveLength(0);
  });

  it('a session read in a project resolves its events in that project', async () => {
    const token = await sign(key, { projects: [P1, P2] });
    const res = await stack.graphql(
      LOOKUP,
      { sessionId: s2.sessionId, projectId: P2 },
      bearer(token),
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.chatSession.sessionId).toBe(s2.sessionId);
    expect(stack.fullSessionCalls()).toHaveLength(1);
    expect(upstreamCalls().map((r) => r.query.project_id)).toEqual([P2, P2]);
  });

  describe.each([
    ['node', (id: string) => stack.graphql(NODE, { id: s(id).id }, bearer(tokenFor))],
    ['nodes', (id: string) => stack.graphql(NODES, { ids: [s(id).id] }, bearer(tokenFor))],
    [
      '_entities (ChatSession)',
      (id: string) =>
        stack.graphql(
          ENTITIES,
          { representations: [{ __typename: 'ChatSession', sessionId: s(id).sessionId }] },
          bearer(tokenFor),
        ),
    ],
  ])('%s: no projectId, so the claim decides', (name, lookup) => {
    const field = name.startsWith('_entities') ? '_entities' : name;
    const first = (res: GraphQLResponse) => {
      const value = res.body.data?.[field];
      return Array.isArray(value) ? value[0] : value;
    };

    it("the claim's only project: found in it, another project's session is not", async () => {
      tokenFor = await sign(key, { projects: [P1] });
      expect(first(await lookup('s1'))).toMatchObject({ sessionId: s1.sessionId });
      expect(first(await lookup('s2'))).toBeNull();
      const calls = upstreamCalls();
      expect(calls).toHaveLength(2);
      for (const request of calls) expect(request.query.project_id).toBe(P1);
    });

    it('several projects: BAD_USER_INPUT, no upstream call', async () => {
      tokenFor = await sign(key, { projects: [P1, P2] });
      const res = await lookup('s1');
      expect(errorOf(res)?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(stack.sandbox.requests).toHaveLength(0);
    });
  });
});

let tokenFor = '';
const s = (name: string) => (name === 's1' ? s1 : s2);

const TURN_ALL = `subscription Turn($sessionId: ID!, $projectId: ID) {
  chatTurn(sessionId: $sessionId, prompt: "a long answer", indexIds: [], projectId: $projectId) { type }
}`;
const lastError = (received: Received[]) => received.at(-1)?.payload.errors?.[0];

/** A raw graphql-transport-ws connection: how it closes, or that it was acknowledged. */
function connect(
  payload: Record<string, unknown> | undefined,
  headers: Record<string, string> = {},
): Promise<{ acked: boolean; code?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `${stack.gateway.url.replace(/^http/, 'ws')}/graphql`,
      'graphql-transport-ws',
      {
        headers,
      },
    );
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload })));
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        ws.close(1000);
        resolve({ acked: true });
      }
    });
    ws.on('close', (code) => resolve({ acked: false, code }));
    ws.on('error', reject);
  });
}

describe('graphql-ws: authenticated at connection_init', () => {
  it('a valid token (connectionParams): the turn streams, the upstream sees the server key', async () => {
    const token = await sign(key);
    const run = subscribeOverWebSocket(
      stack.gateway.url,
      TURN_ALL,
      { sessionId: s1.sessionId, projectId: P1 },
      { authorization: `Bearer ${token}` },
    );
    await run.done;
    await run.dispose();
    expect(run.received.at(-1)!.payload.data?.chatTurn.type).toBe('stop');
    expect(run.received.every((r) => r.payload.errors === undefined)).toBe(true);
    expect(upstreamCalls()).toHaveLength(1);
  });

  it("a valid token in the upgrade's Authorization header is accepted too", async () => {
    expect(await connect(undefined, bearer(await sign(key)))).toEqual({ acked: true });
  });

  it.each<[string, () => Promise<Record<string, unknown> | undefined>]>([
    ['no token', async () => undefined],
    ['an expired token', async () => bearer(await sign(key, { exp: now() - 120 }))],
    ['a token of an unknown key', async () => bearer(await sign(other))],
    ['garbage', async () => ({ authorization: 'Bearer not-a-jwt' })],
  ])('%s: the connection is refused with 4403, no upstream call', async (_name, params) => {
    expect(await connect(await params())).toEqual({ acked: false, code: 4403 });
    expect(stack.sandbox.requests).toHaveLength(0);
  });
});

describe('a token that expires mid-stream ends the stream with UNAUTHENTICATED', () => {
  // Honoured until exp + the 30 s clock tolerance: 3 to 4 s from now (room for two events first,
  // even on a loaded machine).
  const expiring = () => sign(key, { exp: now() - 26 });

  it.each(['SSE', 'graphql-ws'])(
    'over %s: the upstream stream is aborted',
    async (transport) => {
      stack.sandbox.faults.add(
        { kind: 'cut-stream', afterEvents: 2, how: 'hang' },
        { when: (r) => r.path.endsWith('/messages/stream') },
      );
      const token = await expiring();
      const variables = { sessionId: s1.sessionId, projectId: P1 };
      const ws =
        transport === 'SSE'
          ? undefined
          : subscribeOverWebSocket(stack.gateway.url, TURN_ALL, variables, {
              authorization: `Bearer ${token}`,
            });
      const run =
        ws ?? subscribeOverSse(stack.gateway.url, TURN_ALL, variables, { headers: bearer(token) });
      await run.done;
      await ws?.dispose();
      expect(run.received).toHaveLength(3);
      expect(lastError(run.received)).toMatchObject({
        message: 'The token expired.',
        extensions: { code: 'UNAUTHENTICATED', reason: 'expired' },
      });
      const [upstream] = upstreamCalls();
      expect(upstream!.path).toMatch(/\/messages\/stream$/);
      await expect.poll(() => upstream!.closedAt, { timeout: 2_000 }).toBeDefined();
      expect(upstream!.aborted).toBe(true);
      await expect.poll(() => stack.gateway.streams.size).toBe(0);
    },
    10_000,
  );
});

// Verified tokens are remembered by the whole compact token (src/auth/verify.ts): each use
// below comes after the same token was verified at least once.
describe('a remembered token keeps every rule', () => {
  it('still expires on time: exp is checked again on every use', async () => {
    // Honoured until exp + the 30 s clock tolerance: 1 to 2 s from now.
    const token = await sign(key, { exp: now() - 28 });
    for (let i = 0; i < 2; i++) {
      const res = await stack.graphql(LIST, { projectId: P1 }, bearer(token));
      expect(res.body.errors).toBeUndefined();
    }
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const late = await stack.graphql(LIST, { projectId: P1 }, bearer(token));
    expect(late.status).toBe(401);
    expect(errorOf(late)?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'expired' });
    expect(upstreamCalls()).toHaveLength(2);
  });

  it('the same header and claims with another signature is no hit: invalid', async () => {
    const token = await sign(key, { jti: 'remembered' });
    expect((await stack.graphql(LIST, { projectId: P1 }, bearer(token))).status).toBe(200);
    const [header, payload] = token.split('.');
    const otherSignature = (await sign(key, { jti: 'another' })).split('.')[2];
    const forged = `${header}.${payload}.${otherSignature}`;
    const res = await stack.graphql(LIST, { projectId: P1 }, bearer(forged));
    expect(res.status).toBe(401);
    expect(errorOf(res)?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'invalid' });
    expect(upstreamCalls()).toHaveLength(1);
  });
});

// Last: it leaves the JWKS rotated.
describe('JWKS key rotation', () => {
  it('key rotation: a new kid refetches the JWKS (at most once per cooldown); a removed key fails', async () => {
    const rotated = await signingKey('key-3', 'PS256');
    // The JWKS is cached: a known kid costs no fetch. Used twice: the token is remembered.
    const before = jwks.fetches;
    const remembered = await sign(key, { jti: 'before-rotation' });
    for (let i = 0; i < 2; i++) {
      expect((await stack.graphql(LIST, { projectId: P1 }, bearer(remembered))).status).toBe(200);
    }
    expect(jwks.fetches).toBe(before);

    jwks.keys = [rotated.jwk];
    // The last JWKS fetch may be recent (an unknown kid above): wait out the cooldown.
    await new Promise((resolve) => setTimeout(resolve, REFETCH_COOLDOWN_MS + 200));
    const fresh = await stack.graphql(LIST, { projectId: P1 }, bearer(await sign(rotated)));
    expect(fresh.body.errors).toBeUndefined();
    expect(jwks.fetches).toBe(before + 1);

    // The old key left the JWKS with that refetch: its tokens fail, the remembered one too.
    for (const token of [remembered, await sign(key)]) {
      const old = await stack.graphql(LIST, { projectId: P1 }, bearer(token));
      expect(errorOf(old)?.extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'unknown_key',
      });
    }
    // Within the cooldown, unknown kids cost no more fetches (rate-limited).
    for (let i = 0; i < 5; i++) {
      await stack.graphql(LIST, { projectId: P1 }, bearer(await sign(other)));
    }
    expect(jwks.fetches).toBe(before + 1);
    expect(upstreamCalls()).toHaveLength(3);
  }, 15_000);
});

describe('rate limits count per verified subject', () => {
  it('RATE_LIMIT=2/60: fresh tokens of one sub share its budget; another sub has its own', async () => {
    // Its own issuer keys: the rotation test changes what the shared JWKS publishes.
    const own = await signingKey('rate-limit-key', 'ES256');
    const ownJwks = await serveJwks([own.jwk]);
    const limited = await startStack({
      env: {
        AUTH_JWKS_URL: ownJwks.url,
        AUTH_JWT_ISSUER: ISSUER,
        AUTH_JWT_AUDIENCE: AUDIENCE,
        RATE_LIMIT: '2/60',
      },
    });
    try {
      const asUser = async (sub: string, jti: string) =>
        limited.graphql(LIST, {}, bearer(await sign(own, { sub, jti })));
      expect((await asUser('user-9', 'a')).body.errors).toBeUndefined();
      expect((await asUser('user-9', 'b')).body.errors).toBeUndefined();
      // A third token of the same subject: the same caller, whatever the token's bytes.
      const third = await asUser('user-9', 'c');
      expect(errorOf(third)?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect(limited.listCalls()).toHaveLength(2);
      expect((await asUser('user-10', 'd')).body.errors).toBeUndefined();
    } finally {
      await limited.close();
      await new Promise((resolve) => ownJwks.server.close(resolve));
    }
  });
});
