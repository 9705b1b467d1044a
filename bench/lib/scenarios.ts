/**
 * The bench scenarios. Before any load, each request is made for real and its answer checked
 * against the sandbox's own data (right session ids in the right order, no GraphQL `errors`; the
 * proxy's body byte-identical to the gateway's); the stack is deterministic, so during the load
 * every response must then equal that checked body.
 */
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import type { LoadRequest } from './load.js';

export const SCENARIOS = [
  'direct',
  'proxy',
  'yoga',
  'apollo',
  'connection',
  'connection-same',
  'fanout',
  'entities',
  'items-1',
  'items-100',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Scenario {
  /** The scenario name, `<name>@baseline` on the baseline build. */
  label: string;
  /** The process whose CPU time is reported per request. */
  server: 'sandbox' | 'proxy' | 'yoga' | 'apollo' | 'gateway' | 'baseline';
  upstreamCalls: number;
  request: LoadRequest;
}

/** A scenario answered wrongly before the load: nothing is measured. */
export class PreflightError extends Error {}

const JOB = 'durationMs error exportConfigIds isError totalInputTokens totalOutputTokens turns';
/** Every field of a session, in the order the proxy writes them. */
const SESSION = `sessionId lastUpdatedAt generatedTitle indexIds jobMetadata { ${JOB} }`;
const CONNECTION = `edges { cursor node { ${SESSION} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;
const CONNECTION_QUERY = `query BenchConnection { chatSessions(first: 20) { ${CONNECTION} } }`;
/** The headline load: `first` 18–22 on each of the first 10 pages of 20, 50 distinct requests. */
const PAGED_QUERY = `query BenchPage($first: Int, $after: String) { chatSessions(first: $first, after: $after) { ${CONNECTION} } }`;
interface Paging {
  /** `first` of the requests, one request per value on each page. */
  firsts: number[];
  /** Sessions between two consecutive `after` positions. */
  step: number;
  pages: number;
}
const PAGED: Paging = { firsts: [18, 19, 20, 21, 22], step: 20, pages: 10 };
/**
 * The per-item cost: the same query with 1 and with about 100 sessions per answer, 50 distinct
 * requests each (as many as connections, so that coalescing identical reads in flight cannot
 * share them). CPU per request of `items-100` minus `items-1`, over the difference in items, is
 * the CPU per session item (printed by bench/run.ts).
 */
const ITEMS: Record<'items-1' | 'items-100', Paging> = {
  'items-1': { firsts: [1], step: 1, pages: 50 },
  'items-100': { firsts: [96, 97, 98, 99, 100], step: 10, pages: 10 },
};
/** Mean sessions per answer of a paged scenario. */
export const itemsPerRequest = (name: 'items-1' | 'items-100'): number =>
  ITEMS[name].firsts.reduce((a, b) => a + b, 0) / ITEMS[name].firsts.length;
/** Ten distinct upstream calls: four projects, `first` varied so that no two aliases dedupe. */
const FANOUT = [20, 20, 20, 20, 10, 10, 10, 10, 5, 5].map((first, i) => ({
  alias: `p${i}`,
  project: SANDBOX_PROJECTS[i % SANDBOX_PROJECTS.length]!.id,
  first,
}));
/** Sessions in one `fanout` answer (its aliases' `first`). */
export const FANOUT_ITEMS = FANOUT.reduce((sum, a) => sum + a.first, 0);
/** Upstream calls of one `fanout` answer. */
export const FANOUT_CALLS = FANOUT.length;
const FANOUT_QUERY = `query BenchFanout { ${FANOUT.map((a) => `${a.alias}: chatSessions(first: ${a.first}, projectId: "${a.project}") { ${CONNECTION} }`).join(' ')} }`;
const ENTITIES = 50;
const ENTITIES_QUERY = `query BenchEntities($representations: [_Any!]!) { _entities(representations: $representations) { ... on ChatSession { ${SESSION} } } }`;

type Request = Omit<LoadRequest, 'verify'>;

/** Extra headers of every GraphQL request (the caller's JWT), set by the driver. */
let extraHeaders: Record<string, string> = {};
export function setRequestHeaders(headers: Record<string, string>): void {
  extraHeaders = headers;
}

const graphql = (url: string, query: string, variables?: unknown): Request => ({
  url: `${url}/graphql`,
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json', ...extraHeaders },
  body: JSON.stringify({ query, variables }),
});

async function send(req: Request): Promise<string> {
  const res = await fetch(req.url, req);
  const body = await res.text();
  if (!res.ok) throw new PreflightError(`${req.url} answered ${res.status}: ${body.slice(0, 300)}`);
  return body;
}

async function sandboxIds(sandbox: string, size: number, project?: string): Promise<string[]> {
  const qs = `page_size=${size}${project ? `&project_id=${project}` : ''}`;
  const list = JSON.parse(await send({ url: `${sandbox}/api/v1/chat?${qs}`, method: 'GET' }));
  return (list as { items: Array<{ session_id: string }> }).items.map((s) => s.session_id);
}

/** The first `count` sessions of the default project, walking the sandbox's pages. */
async function sandboxFirst(sandbox: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  let token: string | null = null;
  do {
    const qs: string = `page_size=${count - ids.length}${token ? `&page_token=${token}` : ''}`;
    const list = JSON.parse(await send({ url: `${sandbox}/api/v1/chat?${qs}`, method: 'GET' })) as {
      items: Array<{ session_id: string }>;
      next_page_token?: string | null;
    };
    ids.push(...list.items.map((s) => s.session_id));
    token = list.next_page_token ?? null;
  } while (token && ids.length < count);
  return ids;
}

/**
 * The headline requests on one server: each checked (the right sessions in the right order, no
 * errors, the same body twice) with its own `after` cursors, taken from that server's pages.
 */
async function pagedVariants(
  sandbox: string,
  server: string,
  what: string,
  { firsts, step, pages }: Paging = PAGED,
) {
  const all = await sandboxFirst(sandbox, (pages - 1) * step + Math.max(...firsts));
  const afters: Array<string | null> = [null];
  for (let k = 1; k < pages; k++) {
    const body = await send(graphql(server, PAGED_QUERY, { first: step, after: afters[k - 1] }));
    const connection = dataOf(body, what).chatSessions as { pageInfo: { endCursor: string } };
    sameIds(`${what} page ${k}`, nodesOf(connection), all.slice(step * (k - 1), step * k));
    afters.push(connection.pageInfo.endCursor);
  }
  const variants: Array<{ body: string; expected: string }> = [];
  for (let k = 0; k < pages; k++) {
    for (const first of firsts) {
      const req = graphql(server, PAGED_QUERY, { first, after: afters[k] });
      const body = await send(req);
      const ids = all.slice(step * k, step * k + first);
      sameIds(`${what} first ${first} page ${k}`, nodesOf(dataOf(body, what).chatSessions), ids);
      if ((await send(req)) !== body) {
        throw new PreflightError(`${what}: two identical requests got different bodies`);
      }
      variants.push({ body: req.body!, expected: body });
    }
  }
  if (new Set(variants.map((v) => v.expected)).size !== variants.length) {
    throw new PreflightError(`${what}: two distinct requests got the same body`);
  }
  return { request: graphql(server, PAGED_QUERY), variants };
}

function dataOf(body: string, what: string): Record<string, unknown> {
  const { data, errors } = JSON.parse(body) as {
    data?: Record<string, unknown>;
    errors?: Array<{ message: string }>;
  };
  if (errors?.length || !data) throw new PreflightError(`${what}: ${errors?.[0]?.message}`);
  return data;
}

function sameIds(what: string, nodes: unknown, expected: string[]): void {
  const got = (nodes as Array<{ sessionId: string } | null>).map((n) => n?.sessionId);
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new PreflightError(`${what}: expected sessions ${expected.join()}, got ${got.join()}`);
  }
}

const nodesOf = (connection: unknown) =>
  (connection as { edges: Array<{ node: unknown }> }).edges.map((e) => e.node);

/** The scenario's request, checked, with a verifier that wants that very body every time. */
export async function prepareScenario(
  name: ScenarioName,
  urls: { sandbox: string; proxy: string; yoga: string; apollo: string; gateway: string },
): Promise<Omit<Scenario, 'label' | 'server'>> {
  const { sandbox, gateway } = urls;
  if (name === 'connection' || name === 'apollo') {
    const server = name === 'apollo' ? urls.apollo : gateway;
    const { request, variants } = await pagedVariants(sandbox, server, name);
    return { upstreamCalls: 1, request: { ...request, verify: () => false, variants } };
  }
  if (name === 'items-1' || name === 'items-100') {
    const { request, variants } = await pagedVariants(sandbox, gateway, name, ITEMS[name]);
    return { upstreamCalls: 1, request: { ...request, verify: () => false, variants } };
  }
  let req: Request;
  let check: (body: string) => Promise<void>;
  let upstreamCalls = 1;
  if (name === 'direct') {
    req = { url: `${sandbox}/api/v1/chat?page_size=20`, method: 'GET' };
    check = async (body) => {
      const items = (JSON.parse(body) as { items: unknown[] }).items;
      if (items.length !== 20) throw new PreflightError(`direct: ${items.length} items, not 20`);
    };
  } else if (name === 'proxy' || name === 'yoga') {
    req = graphql(urls[name], CONNECTION_QUERY);
    check = async (body) => {
      if (body !== (await send(graphql(gateway, CONNECTION_QUERY)))) {
        throw new PreflightError(
          `${name}: its body differs from the gateway \`connection-same\` body`,
        );
      }
    };
  } else if (name === 'connection-same') {
    req = graphql(gateway, CONNECTION_QUERY);
    check = async (body) =>
      sameIds(name, nodesOf(dataOf(body, name).chatSessions), await sandboxIds(sandbox, 20));
  } else if (name === 'fanout') {
    req = graphql(gateway, FANOUT_QUERY);
    upstreamCalls = FANOUT.length;
    check = async (body) => {
      const data = dataOf(body, name);
      for (const a of FANOUT) {
        sameIds(
          `fanout ${a.alias}`,
          nodesOf(data[a.alias]),
          await sandboxIds(sandbox, a.first, a.project),
        );
      }
    };
  } else {
    const ids = await sandboxIds(sandbox, ENTITIES);
    const representations = ids.map((sessionId) => ({ __typename: 'ChatSession', sessionId }));
    req = graphql(gateway, ENTITIES_QUERY, { representations });
    upstreamCalls = ENTITIES;
    check = async (body) => sameIds(name, dataOf(body, name)._entities, ids);
  }
  const body = await send(req);
  await check(body);
  if ((await send(req)) !== body) {
    throw new PreflightError(`${name}: two identical requests got different bodies`);
  }
  return { upstreamCalls, request: { ...req, verify: (b) => b === body } };
}
