/**
 * The bench scenarios: what each sends, where, and how a response is checked.
 *
 * Before any load, `prepareScenarios` makes each request for real and checks the answer against
 * the sandbox's own data (right sessions, right counts, no GraphQL `errors`), then checks the
 * proxy's body is byte-identical to the gateway's `connection` body. The load runs then compare
 * every response with that checked reference body (the stack is deterministic); if a scenario's
 * body varies between two identical requests, the check falls back to "2xx JSON with `data` and no
 * `errors`", and the scenario says so.
 */
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import type { LoadRequest } from './load.js';

export type ScenarioName = 'direct' | 'proxy' | 'connection' | 'fanout' | 'entities';
export const SCENARIOS: readonly ScenarioName[] = [
  'direct',
  'proxy',
  'connection',
  'fanout',
  'entities',
];

export interface PreparedScenario {
  name: ScenarioName;
  /** The name in reports: `<name>@baseline` when it runs against the baseline build. */
  label: string;
  description: string;
  /** Upstream HTTP calls one request causes (direct: the request itself). */
  upstreamCallsPerRequest: number;
  /** Which process serves it: its CPU time is reported per request. */
  server: 'sandbox' | 'proxy' | 'gateway' | 'baseline';
  request: LoadRequest;
  /** Set when responses are not byte-identical and only the weaker check applies. */
  note?: string;
}

export interface SkippedScenario {
  name: ScenarioName;
  reason: string;
}

const JOB_FIELDS =
  'durationMs error exportConfigIds isError totalInputTokens totalOutputTokens turns';
/** Every field of a session summary, in the order the proxy writes them. */
const SESSION_FIELDS = `sessionId lastUpdatedAt generatedTitle indexIds jobMetadata { ${JOB_FIELDS} }`;
const CONNECTION_FIELDS = `edges { cursor node { ${SESSION_FIELDS} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

export const CONNECTION_QUERY = `query BenchConnection { chatSessions(first: 20) { ${CONNECTION_FIELDS} } }`;

/** Ten distinct upstream calls: four projects, and `first` varied so no two aliases dedupe. */
export const FANOUT_ALIASES = [20, 20, 20, 20, 10, 10, 10, 10, 5, 5].map((first, i) => ({
  alias: `p${i}`,
  project: SANDBOX_PROJECTS[i % SANDBOX_PROJECTS.length]!,
  first,
}));
export const FANOUT_QUERY = `query BenchFanout { ${FANOUT_ALIASES.map(
  (a) =>
    `${a.alias}: chatSessions(first: ${a.first}, projectId: "${a.project.id}") { ${CONNECTION_FIELDS} }`,
).join(' ')} }`;

const ENTITY_COUNT = 50;
const GRAPHQL_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

interface Urls {
  sandbox: string;
  proxy: string;
  gateway: string;
}

interface WireList {
  items: Array<{ session_id: string }>;
  next_page_token?: string | null;
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** A scenario's answer is wrong before any load: nothing is measured. */
export class PreflightError extends Error {
  override name = 'PreflightError';
}

async function text(url: string, init?: RequestInit): Promise<string> {
  const res = await fetch(url, init);
  const body = await res.text();
  if (!res.ok) throw new PreflightError(`${url} answered ${res.status}: ${body.slice(0, 300)}`);
  return body;
}

function post(url: string, query: string, variables?: Record<string, unknown>) {
  return {
    url,
    method: 'POST' as const,
    headers: GRAPHQL_HEADERS,
    body: JSON.stringify(variables ? { query, variables } : { query }),
  };
}

async function send(req: ReturnType<typeof post>): Promise<string> {
  return text(req.url, { method: req.method, headers: req.headers, body: req.body });
}

function parseGraphQL(body: string, what: string): Record<string, unknown> {
  const parsed = JSON.parse(body) as GraphQLBody;
  if (parsed.errors?.length) {
    const e = parsed.errors[0]!;
    throw new PreflightError(`${what}: ${e.message} (${String(e.extensions?.code ?? 'no code')})`);
  }
  if (!parsed.data) throw new PreflightError(`${what}: no data`);
  return parsed.data;
}

function sameIds(what: string, actual: unknown[], expected: string[]): void {
  const got = actual.map((n) => (n as { sessionId?: unknown } | null)?.sessionId ?? null);
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new PreflightError(
      `${what}: expected sessions ${JSON.stringify(expected.slice(0, 3))}…(${expected.length}), got ${JSON.stringify(got.slice(0, 3))}…(${got.length})`,
    );
  }
}

async function sandboxIds(urls: Urls, pageSize: number, projectId?: string): Promise<string[]> {
  const qs = `page_size=${pageSize}${projectId ? `&project_id=${projectId}` : ''}`;
  const list = JSON.parse(await text(`${urls.sandbox}/api/v1/chat?${qs}`)) as WireList;
  return list.items.map((i) => i.session_id);
}

const edgesOf = (connection: unknown) =>
  ((connection as { edges?: Array<{ node: unknown }> } | null)?.edges ?? []).map((e) => e.node);

/**
 * A verifier for the load run: exact match against the checked reference when two identical
 * requests give identical bodies, else the weaker structural check.
 */
async function verifierFor(
  req: ReturnType<typeof post> | { url: string; method: 'GET' },
  reference: string,
): Promise<{ verify: (body: string) => boolean; note?: string }> {
  const again =
    'body' in req
      ? await send(req)
      : await text(req.url, { method: 'GET', headers: { accept: 'application/json' } });
  if (again === reference) return { verify: (body) => body === reference };
  return {
    verify: (body) => body.startsWith('{"data"') && !body.includes('"errors"'),
    note: 'responses vary between identical requests: checked for data without errors only',
  };
}

interface IntrospectedField {
  name: string;
  args: Array<{ name: string }>;
}

async function queryFields(urls: Urls): Promise<Map<string, IntrospectedField>> {
  const body = await send(
    post(
      `${urls.gateway}/graphql`,
      '{ __schema { queryType { fields { name args { name } } } } __type(name: "ChatSession") { fields { name } } }',
    ),
  );
  const data = parseGraphQL(body, 'introspection') as {
    __schema: { queryType: { fields: IntrospectedField[] } };
    __type: { fields: Array<{ name: string }> } | null;
  };
  const fields = new Map(data.__schema.queryType.fields.map((f) => [f.name, f]));
  // Remember whether ChatSession has a Relay global `id`, for `nodes`.
  if (data.__type?.fields.some((f) => f.name === 'id')) {
    fields.set('ChatSession.id', { name: 'ChatSession.id', args: [] });
  }
  return fields;
}

export type EntitiesVia = 'auto' | '_entities' | 'nodes' | 'chatSession';

async function prepareEntities(
  urls: Urls,
  via: EntitiesVia,
): Promise<PreparedScenario | SkippedScenario> {
  const fields = await queryFields(urls);
  const has = (name: string, arg: string) => fields.get(name)?.args.some((a) => a.name === arg);
  const available = {
    _entities: has('_entities', 'representations'),
    nodes: has('nodes', 'ids') && fields.has('ChatSession.id'),
    chatSession: has('chatSession', 'sessionId'),
  };
  const order = via === 'auto' ? (['_entities', 'nodes', 'chatSession'] as const) : [via];
  const chosen = order.find((v) => available[v]);
  if (!chosen) {
    return {
      name: 'entities',
      reason:
        via === 'auto'
          ? 'the schema has no Query._entities, Query.nodes(ids:) or Query.chatSession(sessionId:) yet (issue 4 adds them)'
          : `the schema has no way to look up sessions via ${via}`,
    };
  }

  const ids = await sandboxIds(urls, ENTITY_COUNT);
  let req: ReturnType<typeof post>;
  let pick: (data: Record<string, unknown>) => unknown[];
  if (chosen === '_entities') {
    req = post(
      `${urls.gateway}/graphql`,
      `query BenchEntities($representations: [_Any!]!) { _entities(representations: $representations) { ... on ChatSession { ${SESSION_FIELDS} } } }`,
      { representations: ids.map((sessionId) => ({ __typename: 'ChatSession', sessionId })) },
    );
    pick = (data) => data._entities as unknown[];
  } else if (chosen === 'nodes') {
    const idsBody = await send(
      post(
        `${urls.gateway}/graphql`,
        `{ chatSessions(first: ${ENTITY_COUNT}) { edges { node { id sessionId } } } }`,
      ),
    );
    const nodes = edgesOf(parseGraphQL(idsBody, 'global ids').chatSessions) as Array<{
      id: string;
    }>;
    req = post(
      `${urls.gateway}/graphql`,
      `query BenchNodes($ids: [ID!]!) { nodes(ids: $ids) { ... on ChatSession { ${SESSION_FIELDS} } } }`,
      { ids: nodes.map((n) => n.id) },
    );
    pick = (data) => data.nodes as unknown[];
  } else {
    req = post(
      `${urls.gateway}/graphql`,
      `query BenchLookups(${ids.map((_, i) => `$s${i}: ID!`).join(', ')}) { ${ids
        .map((_, i) => `s${i}: chatSession(sessionId: $s${i}) { ${SESSION_FIELDS} }`)
        .join(' ')} }`,
      Object.fromEntries(ids.map((id, i) => [`s${i}`, id])),
    );
    pick = (data) => ids.map((_, i) => data[`s${i}`]);
  }
  const reference = await send(req);
  sameIds(`entities via ${chosen}`, pick(parseGraphQL(reference, `entities via ${chosen}`)), ids);
  return {
    name: 'entities',
    label: 'entities',
    description: `${ENTITY_COUNT} sessions by id in one operation, via ${chosen}`,
    upstreamCallsPerRequest: ENTITY_COUNT,
    server: 'gateway',
    request: { ...req, ...(await verifierFor(req, reference)) },
  };
}

/** Checks every selected scenario for real and returns what to load, or why it is skipped. */
export async function prepareScenarios(
  urls: Urls,
  selected: readonly ScenarioName[],
  options: { entitiesVia: EntitiesVia },
): Promise<{ prepared: PreparedScenario[]; skipped: SkippedScenario[] }> {
  const prepared: PreparedScenario[] = [];
  const skipped: SkippedScenario[] = [];
  const defaultIds = await sandboxIds(urls, 20);

  // The gateway's `connection` body is the reference for the proxy too, so it is always fetched.
  const connectionReq = post(`${urls.gateway}/graphql`, CONNECTION_QUERY);
  const connectionBody = await send(connectionReq);
  const connection = parseGraphQL(connectionBody, 'connection').chatSessions;
  sameIds('connection', edgesOf(connection), defaultIds);

  for (const name of selected) {
    switch (name) {
      case 'direct': {
        const req = { url: `${urls.sandbox}/api/v1/chat?page_size=20`, method: 'GET' as const };
        const body = await text(req.url, { headers: { accept: 'application/json' } });
        const ids = (JSON.parse(body) as WireList).items.map((i) => i.session_id);
        if (ids.length !== 20) throw new PreflightError(`direct: ${ids.length} items, not 20`);
        prepared.push({
          name,
          label: name,
          description: 'GET /api/v1/chat?page_size=20 straight to the sandbox upstream (ceiling)',
          upstreamCallsPerRequest: 1,
          server: 'sandbox',
          request: {
            ...req,
            headers: { accept: 'application/json' },
            ...(await verifierFor(req, body)),
          },
        });
        break;
      }
      case 'proxy': {
        // Same request body as `connection`: the proxy reads and parses it, then ignores it.
        const req = { ...connectionReq, url: `${urls.proxy}/graphql` };
        const body = await send(req);
        if (body !== connectionBody) {
          throw new PreflightError(
            'proxy: its body differs from the gateway `connection` body; the floor would not be comparable',
          );
        }
        prepared.push({
          name,
          label: name,
          description:
            'minimal node:http + undici Pool proxy, same upstream call, same output bytes (floor)',
          upstreamCallsPerRequest: 1,
          server: 'proxy',
          request: { ...req, ...(await verifierFor(req, body)) },
        });
        break;
      }
      case 'connection':
        prepared.push({
          name,
          label: name,
          description: 'chatSessions(first: 20) with every field, through the gateway',
          upstreamCallsPerRequest: 1,
          server: 'gateway',
          request: { ...connectionReq, ...(await verifierFor(connectionReq, connectionBody)) },
        });
        break;
      case 'fanout': {
        const req = post(`${urls.gateway}/graphql`, FANOUT_QUERY);
        const body = await send(req);
        const data = parseGraphQL(body, 'fanout');
        for (const a of FANOUT_ALIASES) {
          const expected = (await sandboxIds(urls, 50, a.project.id)).slice(0, a.first);
          sameIds(`fanout ${a.alias}`, edgesOf(data[a.alias]), expected);
        }
        prepared.push({
          name,
          label: name,
          description: `${FANOUT_ALIASES.length} aliased chatSessions over ${SANDBOX_PROJECTS.length} projects, all distinct upstream calls`,
          upstreamCallsPerRequest: FANOUT_ALIASES.length,
          server: 'gateway',
          request: { ...req, ...(await verifierFor(req, body)) },
        });
        break;
      }
      case 'entities': {
        const result = await prepareEntities(urls, options.entitiesVia);
        if ('reason' in result) skipped.push(result);
        else prepared.push(result);
        break;
      }
    }
  }
  return { prepared, skipped };
}
