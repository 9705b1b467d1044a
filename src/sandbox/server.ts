/**
 * The sandbox upstream: a real HTTP server implementing the documented Chat API endpoints over
 * deterministic demo data (src/sandbox/data.ts). `npm start` runs it in-process when no upstream
 * is configured; `npm run sandbox` runs it alone. It is a product, not a test double: it keeps no
 * memory that grows with traffic and records nothing. Tests wrap `createSandboxApi` in their own
 * server to record requests and inject faults (test/support/faulty-sandbox.ts).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildDataset, SANDBOX_PROJECTS } from './data.js';
import type { SandboxSession } from './data.js';

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
}

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

interface Data {
  byProject: Map<string, SandboxSession[]>;
  byId: Map<string, SandboxSession>;
}

function indexData(byProject: Map<string, SandboxSession[]>): Data {
  const byId = new Map<string, SandboxSession>();
  for (const sessions of byProject.values())
    for (const s of sessions) byId.set(s.summary.session_id, s);
  return { byProject, byId };
}

export function createSandboxApi(options: SandboxApiOptions = {}): SandboxApi {
  const maxPageSize = options.maxPageSize ?? 50;
  const defaultPageSize = options.defaultPageSize ?? 20;
  const dataset = buildDataset(options.seed);
  const defaultData = indexData(dataset);
  const tenants = new Map<string, Data>();
  for (const [key, tenant] of Object.entries(options.tenants ?? {})) {
    tenants.set(key, indexData(buildDataset(tenant.seed, tenant.sessionPrefix)));
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
    const all = data.byProject.get(projectId) ?? [];
    const end = offset + Math.min(pageSize, maxPageSize);
    return {
      items: all.slice(offset, end).map((s) => s.summary),
      next_page_token: end < all.length ? encodeToken(projectId, end) : null,
    };
  }

  function findSession(data: Data, sessionId: string, query: URLSearchParams): SandboxSession {
    const projectId = scope(query);
    const session = data.byId.get(sessionId);
    if (!session || (query.has('project_id') && session.projectId !== projectId)) {
      throw new HttpError(404, 'Session not found');
    }
    return session;
  }

  function route(data: Data, method: string, pathname: string, query: URLSearchParams): unknown {
    if (method !== 'GET') throw new HttpError(405, 'Method not allowed');
    if (pathname === '/api/v1/chat') return listSessions(data, query);
    const match = /^\/api\/v1\/chat\/([^/]+)(\/summary)?$/.exec(pathname);
    if (match) {
      const session = findSession(data, decodeURIComponent(match[1]!), query);
      return match[2] ? session.summary : { ...session.summary, events: session.events };
    }
    throw new HttpError(404, 'Not Found');
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

  function answer({ method, url, headers }: SandboxRequest): SandboxAnswer {
    try {
      const data = authorise(headers);
      return { status: 200, body: route(data, method, url.pathname, url.searchParams) };
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
