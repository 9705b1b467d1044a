/**
 * The sandbox upstream: a real HTTP server implementing the documented Chat API endpoints over
 * deterministic demo data (src/sandbox/data.ts). `npm start` runs it in-process when no upstream
 * is configured; `npm run sandbox` runs it alone. It is a product, not a test double: it records
 * nothing, and the state its writes keep (created and deleted sessions, turns, per tenant) is
 * bounded, so memory does not grow with traffic. Tests wrap `createSandboxApi` in their own
 * server to record requests and inject faults (test/support/faulty-sandbox.ts).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildDataset, INDEX_POOL, SANDBOX_PROJECTS } from './data.js';
import type { SandboxSession, WireEvent } from './data.js';
import { frameEvent, hash, KEEP_ALIVE, scriptTurn, STREAM_END, STREAM_PREAMBLE } from './turns.js';

/** A tenant: the data one API key sees. */
export interface SandboxTenant {
  /** Prefix of every session id of this tenant (the default data set uses `ses-`). */
  sessionPrefix: string;
  seed?: number;
}

export interface SandboxApiOptions {
  /** Largest page the sandbox returns; bigger requests get a short page (default 50). */
  maxPageSize?: number;
  /** Page size when the request has none (default 20). */
  defaultPageSize?: number;
  /**
   * When set, every request needs `Authorization: Bearer <one of these or a tenant key>`,
   * else 401.
   */
  apiKeys?: readonly string[];
  /** Per-API-key data sets; other keys (and no key) see the default data set. */
  tenants?: Readonly<Record<string, SandboxTenant>>;
  seed?: number;
  /**
   * Pause before each event of a streamed turn: a fixed number of milliseconds, or by default a
   * deterministic 40–120 ms, like a model producing tokens.
   */
  turnEventDelayMs?: number;
}

/**
 * SANDBOX_TURN_EVENT_DELAY_MS (`npm run sandbox`, the bench): a fixed pause before each event of a
 * streamed turn, 0 to 600000 ms; undefined (the scripted 40–120 ms) when unset.
 */
export function turnEventDelayFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.SANDBOX_TURN_EVENT_DELAY_MS;
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 600_000) {
    throw new Error(`SANDBOX_TURN_EVENT_DELAY_MS must be an integer from 0 to 600000, got ${raw}`);
  }
  return value;
}

/** Sessions created per tenant that are kept; the oldest is evicted beyond this. */
export const MAX_CREATED_SESSIONS = 1_000;
/** Turns one session may hold; a further turn is refused with 422. */
export const MAX_TURNS_PER_SESSION = 20;
/** Longest prompt the Chat API accepts. */
export const MAX_PROMPT_CHARS = 1_000;

export interface SandboxOptions extends SandboxApiOptions {
  port?: number;
  host?: string;
  /** Added before every answer, to model network and server time (benchmarks). */
  latencyMs?: number;
}

/** One request as the sandbox's API sees it. */
export interface SandboxRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** The JSON request body, parsed; undefined when there is none. */
  body: unknown;
}

/** What the sandbox answers to one request. */
export type SandboxAnswer =
  /** A JSON body; `undefined` sends no content. */
  | { status: number; body: unknown }
  /** A `text/event-stream`: each chunk written as it comes, as is. */
  | { status: number; events: AsyncIterable<string> };

/** The Chat API over the demo data, without HTTP: one answer per request. */
export interface SandboxApi {
  /** Sessions by project id, in list order (the default data set). */
  dataset: Map<string, SandboxSession[]>;
  answer(request: SandboxRequest): SandboxAnswer;
}

export interface Sandbox {
  url: string;
  /** Sessions by project id, in list order (the default data set). */
  dataset: Map<string, SandboxSession[]>;
  /** Open client connections (keep-alive sockets included). */
  connections(): Promise<number>;
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(typeof detail === 'string' ? detail : 'error');
  }
}

/** Page tokens are opaque to clients; here they are base64url("<project>:<offset>"). */
const encodeToken = (projectId: string, offset: number) =>
  Buffer.from(`${projectId}:${offset}`).toString('base64url');

function decodeToken(token: string, projectId: string): number {
  const [project, offset] = Buffer.from(token, 'base64url').toString('utf8').split(':');
  const value = Number(offset);
  if (project !== projectId || !Number.isSafeInteger(value) || value < 0) {
    throw new HttpError(400, 'Invalid page_token for this project');
  }
  return value;
}

/**
 * What one tenant sees: its seeded sessions (never modified: `dataset` stays the seed), and the
 * state its writes made. Every part is bounded: `live` holds at most the seeded sessions plus
 * MAX_CREATED_SESSIONS, `deleted` at most the seeded ids, a session at most
 * MAX_TURNS_PER_SESSION turns.
 */
interface Data {
  prefix: string;
  seeded: Map<string, SandboxSession[]>;
  seededById: Map<string, SandboxSession>;
  /** The current version of every session that exists, by id. */
  live: Map<string, SandboxSession>;
  /** Sessions created through the API, oldest first. */
  created: SandboxSession[];
  /** Seeded sessions deleted through the API. */
  deleted: Set<string>;
  serial: number;
}

function indexData(byProject: Map<string, SandboxSession[]>, prefix: string): Data {
  const seededById = new Map<string, SandboxSession>();
  for (const sessions of byProject.values())
    for (const s of sessions) seededById.set(s.summary.session_id, s);
  return {
    prefix,
    seeded: byProject,
    seededById,
    live: new Map(seededById),
    created: [],
    deleted: new Set(),
    serial: 0,
  };
}

/** The upstream's timestamp format: ISO 8601, microseconds, no UTC offset. */
const upstreamNow = () => `${new Date().toISOString().slice(0, 23)}000`;

const validation = (loc: (string | number)[], msg: string, type: string) =>
  new HttpError(422, [{ loc, msg, type }]);

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function bodyObject(body: unknown, optional: boolean): Record<string, unknown> {
  if (body === undefined && optional) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validation(['body'], 'Input should be a valid dictionary', 'dict_type');
  }
  return body as Record<string, unknown>;
}

/** `POST /api/v1/chat` body: every field optional. */
function readCreateBody(body: unknown) {
  const b = bodyObject(body, true);
  const indexIds = b.index_ids ?? null;
  if (indexIds !== null && !isStringList(indexIds)) {
    throw validation(['body', 'index_ids'], 'Input should be a valid list', 'list_type');
  }
  const sharedAccess = b.shared_access ?? null;
  if (sharedAccess !== null && sharedAccess !== 'query' && sharedAccess !== 'read_only') {
    throw validation(['body', 'shared_access'], "Input should be 'query' or 'read_only'", 'enum');
  }
  return { indexIds, sharedAccess: sharedAccess as 'query' | 'read_only' | null };
}

/** `POST …/messages/stream` body: `prompt` (1–1000 characters) and `index_ids` required. */
function readTurnBody(body: unknown) {
  const b = bodyObject(body, false);
  if (b.prompt === undefined) throw validation(['body', 'prompt'], 'Field required', 'missing');
  if (typeof b.prompt !== 'string') {
    throw validation(['body', 'prompt'], 'Input should be a valid string', 'string_type');
  }
  if (b.prompt.length < 1) {
    throw validation(
      ['body', 'prompt'],
      'String should have at least 1 character',
      'string_too_short',
    );
  }
  if (b.prompt.length > MAX_PROMPT_CHARS) {
    throw validation(
      ['body', 'prompt'],
      `String should have at most ${MAX_PROMPT_CHARS} characters`,
      'string_too_long',
    );
  }
  if (b.index_ids === undefined) {
    throw validation(['body', 'index_ids'], 'Field required', 'missing');
  }
  if (!isStringList(b.index_ids)) {
    throw validation(['body', 'index_ids'], 'Input should be a valid list', 'list_type');
  }
  const requireAll = b.require_all_indexes ?? false;
  if (typeof requireAll !== 'boolean') {
    throw validation(
      ['body', 'require_all_indexes'],
      'Input should be a valid boolean',
      'bool_type',
    );
  }
  return { prompt: b.prompt, indexIds: b.index_ids, requireAllIndexes: requireAll };
}

/** Indexes the sandbox knows: the demo pool and any a session of this tenant is bound to. */
const KNOWN_INDEXES: ReadonlySet<string> = new Set(INDEX_POOL);

export function createSandboxApi(options: SandboxApiOptions = {}): SandboxApi {
  const maxPageSize = options.maxPageSize ?? 50;
  const defaultPageSize = options.defaultPageSize ?? 20;
  const dataset = buildDataset(options.seed);
  const defaultData = indexData(dataset, 'ses-');
  const tenants = new Map<string, Data>();
  for (const [key, tenant] of Object.entries(options.tenants ?? {})) {
    tenants.set(
      key,
      indexData(buildDataset(tenant.seed, tenant.sessionPrefix), tenant.sessionPrefix),
    );
  }

  function scope(query: URLSearchParams): string {
    for (const name of ['project_id', 'organization_id']) {
      const value = query.get(name);
      if (value !== null && !UUID.test(value)) {
        throw new HttpError(422, [
          { loc: ['query', name], msg: 'Input should be a valid UUID', type: 'uuid_parsing' },
        ]);
      }
    }
    const projectId = query.get('project_id')?.toLowerCase() ?? SANDBOX_PROJECTS[0]!.id;
    const project = SANDBOX_PROJECTS.find((p) => p.id === projectId);
    const organizationId = query.get('organization_id')?.toLowerCase();
    if (!project || (organizationId && project.organizationId !== organizationId)) {
      throw new HttpError(404, 'Project not found');
    }
    return project.id;
  }

  function listSessions(data: Data, query: URLSearchParams) {
    const projectId = scope(query);
    const rawSize = query.get('page_size');
    const pageSize = rawSize === null ? defaultPageSize : Number(rawSize);
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new HttpError(422, [
        { loc: ['query', 'page_size'], msg: 'Input should be a positive integer' },
      ]);
    }
    const token = query.get('page_token');
    const offset = token ? decodeToken(token, projectId) : 0;
    // Newest created first, then the seeded sessions still there.
    const all: SandboxSession[] = [];
    for (let i = data.created.length - 1; i >= 0; i--) {
      if (data.created[i]!.projectId === projectId) all.push(data.created[i]!);
    }
    for (const seeded of data.seeded.get(projectId) ?? []) {
      const session = data.live.get(seeded.summary.session_id);
      if (session) all.push(session);
    }
    const end = offset + Math.min(pageSize, maxPageSize);
    return {
      items: all.slice(offset, end).map((s) => s.summary),
      next_page_token: end < all.length ? encodeToken(projectId, end) : null,
    };
  }

  function findSession(data: Data, sessionId: string, query: URLSearchParams): SandboxSession {
    const projectId = scope(query);
    const session = data.live.get(sessionId);
    if (!session || (query.has('project_id') && session.projectId !== projectId)) {
      throw new HttpError(404, 'Session not found');
    }
    return session;
  }

  function createSession(data: Data, query: URLSearchParams, body: unknown): SandboxAnswer {
    const projectId = scope(query);
    const input = readCreateBody(body);
    let sessionId: string;
    do {
      sessionId = `${data.prefix}n${(data.serial++).toString(36).padStart(9, '0')}`;
    } while (data.live.has(sessionId));
    const session: SandboxSession = {
      projectId,
      summary: {
        session_id: sessionId,
        last_updated_at: upstreamNow(),
        generated_title: null,
        index_ids: input.indexIds,
        job_metadata: null,
        // null asks for the deployment's default, which is the narrower one here.
        shared_access: input.sharedAccess ?? 'read_only',
      },
      events: [],
    };
    data.created.push(session);
    data.live.set(sessionId, session);
    if (data.created.length > MAX_CREATED_SESSIONS) {
      const evicted = data.created.shift()!;
      data.live.delete(evicted.summary.session_id);
    }
    return { status: 201, body: session.summary };
  }

  function deleteSession(data: Data, session: SandboxSession): SandboxAnswer {
    const sessionId = session.summary.session_id;
    data.live.delete(sessionId);
    if (data.seededById.has(sessionId)) data.deleted.add(sessionId);
    else data.created.splice(data.created.indexOf(session), 1);
    return { status: 204, body: undefined };
  }

  /** A seeded session is copied before its first turn, so `dataset` stays the seed. */
  function ownCopy(data: Data, session: SandboxSession): SandboxSession {
    const sessionId = session.summary.session_id;
    if (data.seededById.get(sessionId) !== session) return session;
    const copy = structuredClone(session);
    data.live.set(sessionId, copy);
    return copy;
  }

  function streamTurn(data: Data, found: SandboxSession, body: unknown): SandboxAnswer {
    const input = readTurnBody(body);
    const turns = found.events.filter((e) => e.type === 'user_input').length;
    if (turns >= MAX_TURNS_PER_SESSION) {
      throw new HttpError(
        422,
        `This sandbox session holds at most ${MAX_TURNS_PER_SESSION} turns; create a new one`,
      );
    }
    const session = ownCopy(data, found);
    const summary = session.summary;
    // Known: the demo indexes, and those the session was bound to before this turn.
    const bound = summary.index_ids ?? [];
    const known = (id: string) => KNOWN_INDEXES.has(id) || bound.includes(id);
    // The session's indexes are fixed by its first message.
    summary.index_ids ??= [...input.indexIds];
    const answer = scriptTurn({
      sessionId: summary.session_id,
      turn: turns + 1,
      prompt: input.prompt,
      indexIds: input.indexIds,
      skippedIndexIds: input.indexIds.filter((id) => !known(id)),
      requireAllIndexes: input.requireAllIndexes,
    });
    return { status: 200, events: runTurn(data, session, input.prompt, answer, turns + 1) };
  }

  /**
   * The turn as it happens: each event is stored in the session when it is sent, after a pause.
   * A client that leaves mid-turn leaves the events sent so far (like an interrupted run).
   */
  async function* runTurn(
    data: Data,
    session: SandboxSession,
    prompt: string,
    answer: WireEvent[],
    turn: number,
  ): AsyncGenerator<string, void, undefined> {
    const summary = session.summary;
    const store = (event: WireEvent) => {
      // A session deleted (or evicted) mid-turn keeps streaming, but nothing is stored.
      if (data.live.get(summary.session_id) !== session) return;
      session.events.push(event);
      summary.last_updated_at = upstreamNow();
    };
    store({ type: 'user_input', content: prompt });
    summary.generated_title ??= titleOf(prompt);
    yield STREAM_PREAMBLE;
    for (let i = 0; i < answer.length; i++) {
      const event = answer[i]!;
      await sleep(
        options.turnEventDelayMs ?? 40 + (hash(`${summary.session_id}:${turn}:${i}`) % 81),
      );
      store(event);
      if (event.type === 'stop') {
        const usage = event.usage as {
          duration_ms: number;
          total_input_tokens: number;
          total_output_tokens: number;
        };
        summary.job_metadata = {
          duration_ms: usage.duration_ms,
          error: (event.error as string | null) ?? null,
          export_config_ids: summary.job_metadata?.export_config_ids ?? null,
          is_error: event.is_error as boolean,
          total_input_tokens: usage.total_input_tokens,
          total_output_tokens: usage.total_output_tokens,
          turns: turn,
        };
      }
      yield* frameEvent(event, i, turn);
      if (i % 3 === 2) yield KEEP_ALIVE;
    }
    yield STREAM_END;
  }

  function route(data: Data, request: SandboxRequest): SandboxAnswer {
    const { method, url, body } = request;
    const { pathname, searchParams: query } = url;
    if (pathname === '/api/v1/chat') {
      if (method === 'GET') return { status: 200, body: listSessions(data, query) };
      if (method === 'POST') return createSession(data, query, body);
      throw new HttpError(405, 'Method Not Allowed');
    }
    const match = /^\/api\/v1\/chat\/([^/]+)(\/summary|\/messages\/stream)?$/.exec(pathname);
    if (!match) throw new HttpError(404, 'Not Found');
    const sessionId = decodeURIComponent(match[1]!);
    const allowed = match[2] === '/messages/stream' ? 'POST' : match[2] ? 'GET' : ['GET', 'DELETE'];
    if (!allowed.includes(method)) throw new HttpError(405, 'Method Not Allowed');
    if (match[2] === '/messages/stream') {
      // Like FastAPI: the body is validated before the handler looks the session up.
      readTurnBody(body);
      return streamTurn(data, findSession(data, sessionId, query), body);
    }
    const session = findSession(data, sessionId, query);
    if (method === 'DELETE') return deleteSession(data, session);
    return {
      status: 200,
      body: match[2] ? session.summary : { ...session.summary, events: session.events },
    };
  }

  /** The data set the caller's key may see; 401 when keys are required and this one is not known. */
  function authorise(headers: IncomingHttpHeaders): Data {
    const token = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
    const tenant = token === undefined ? undefined : tenants.get(token);
    if (tenant) return tenant;
    if (options.apiKeys && (!token || !options.apiKeys.includes(token))) {
      throw new HttpError(401, 'Invalid API key');
    }
    return defaultData;
  }

  function answer(request: SandboxRequest): SandboxAnswer {
    try {
      return route(authorise(request.headers), request);
    } catch (error) {
      if (error instanceof HttpError)
        return { status: error.status, body: { detail: error.detail } };
      return { status: 500, body: { detail: 'Internal Server Error' } };
    }
  }

  return { dataset, answer };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const api = createSandboxApi(options);
  // Aborted on close, so a latency wait ends at once.
  const closing = new AbortController();

  const server = createServer((req, res) => {
    void (async () => {
      const request = await readRequest(req);
      if (options.latencyMs) await sleep(options.latencyMs, undefined, { signal: closing.signal });
      await sendAnswer(res, request ? api.answer(request) : BAD_BODY);
    })().catch(() => res.destroy());
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    dataset: api.dataset,
    connections: () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A title from the first prompt: its first line, at most 80 characters. */
function titleOf(prompt: string): string {
  const line = prompt.trim().split(/\r?\n/)[0]!.replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** Request bodies are small JSON objects; anything larger is refused. */
const MAX_REQUEST_BODY_BYTES = 64 * 1024;

const BAD_BODY: SandboxAnswer = {
  status: 422,
  body: { detail: [{ loc: ['body'], msg: 'Input should be a JSON object', type: 'json_invalid' }] },
};

/** The request with its JSON body read; undefined when the body is not JSON or too large. */
export async function readRequest(req: IncomingMessage): Promise<SandboxRequest | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  let body: unknown;
  if (size > 0) {
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return undefined;
    }
  }
  const url = new URL(req.url ?? '/', 'http://sandbox');
  return { method: req.method ?? 'GET', url, headers: req.headers, body };
}

/** Writes an answer: JSON (or no content), or an event stream until it ends or the client goes. */
export async function sendAnswer(res: ServerResponse, answer: SandboxAnswer): Promise<void> {
  if ('events' in answer) {
    res.writeHead(answer.status, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    });
    for await (const chunk of answer.events) {
      if (res.destroyed) return;
      res.write(chunk);
    }
    res.end();
    return;
  }
  if (answer.body === undefined) {
    res.writeHead(answer.status).end();
    return;
  }
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
