/**
 * The bench scenarios. Before any load, each request is made for real and its answer checked
 * against the sandbox's own data (right session ids in the right order, no GraphQL `errors`; the
 * proxy's body byte-identical to the gateway's); the stack is deterministic, so during the load
 * every response must then equal that checked body.
 */
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import type { LoadRequest } from './load.js';

export const SCENARIOS = ['direct', 'proxy', 'connection', 'fanout', 'entities'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Scenario {
  /** The scenario name, `<name>@baseline` on the baseline build. */
  label: string;
  /** The process whose CPU time is reported per request. */
  server: 'sandbox' | 'proxy' | 'gateway' | 'baseline';
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
/** Ten distinct upstream calls: four projects, `first` varied so that no two aliases dedupe. */
const FANOUT = [20, 20, 20, 20, 10, 10, 10, 10, 5, 5].map((first, i) => ({
  alias: `p${i}`,
  project: SANDBOX_PROJECTS[i % SANDBOX_PROJECTS.length]!.id,
  first,
}));
const FANOUT_QUERY = `query BenchFanout { ${FANOUT.map((a) => `${a.alias}: chatSessions(first: ${a.first}, projectId: "${a.project}") { ${CONNECTION} }`).join(' ')} }`;
const ENTITIES = 50;
const ENTITIES_QUERY = `query BenchEntities($representations: [_Any!]!) { _entities(representations: $representations) { ... on ChatSession { ${SESSION} } } }`;

type Request = Omit<LoadRequest, 'verify'>;

const graphql = (url: string, query: string, variables?: unknown): Request => ({
  url: `${url}/graphql`,
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json' },
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
  urls: { sandbox: string; proxy: string; gateway: string },
): Promise<Omit<Scenario, 'label' | 'server'>> {
  const { sandbox, gateway } = urls;
  let req: Request;
  let check: (body: string) => Promise<void>;
  let upstreamCalls = 1;
  if (name === 'direct') {
    req = { url: `${sandbox}/api/v1/chat?page_size=20`, method: 'GET' };
    check = async (body) => {
      const items = (JSON.parse(body) as { items: unknown[] }).items;
      if (items.length !== 20) throw new PreflightError(`direct: ${items.length} items, not 20`);
    };
  } else if (name === 'proxy') {
    req = graphql(urls.proxy, CONNECTION_QUERY);
    check = async (body) => {
      if (body !== (await send(graphql(gateway, CONNECTION_QUERY)))) {
        throw new PreflightError('proxy: its body differs from the gateway `connection` body');
      }
    };
  } else if (name === 'connection') {
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
