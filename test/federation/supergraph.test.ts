/**
 * Federation end to end: this gateway as a subgraph, next to a second real subgraph (catalog),
 * composed with @apollo/composition and queried through a real router (@apollo/gateway) over
 * HTTP. Upstream calls are counted at the sandbox.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import type { SandboxSession } from '../../src/sandbox/data.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';
import { CATALOG_SDL, indexName, startCatalogSubgraph } from './catalog-subgraph.js';
import type { CatalogSubgraph } from './catalog-subgraph.js';
import { compose, startRouter } from './router.js';
import type { Composition, Router } from './router.js';

const PROJECT_NAMES: Record<string, string> = {
  [SANDBOX_PROJECTS[0]!.id]: 'Research assistant',
  [SANDBOX_PROJECTS[1]!.id]: 'Support desk',
  [SANDBOX_PROJECTS[2]!.id]: 'Legal review',
  [SANDBOX_PROJECTS[3]!.id]: 'Empty project',
};

let stack: Stack;
let catalog: CatalogSubgraph;
let router: Router;
let composition: Composition;
let chatSdl: string;
let research: SandboxSession[];
/** Starred: 12 sessions of the default project, one of them twice. */
let starred: string[];

beforeAll(async () => {
  stack = await startStack({ env: { MAX_UPSTREAM_CALLS_PER_OPERATION: '100' } });
  research = stack.sandbox.dataset.get(SANDBOX_PROJECTS[0]!.id)!;
  const starredIds = research.filter((_, i) => i % 3 === 0).slice(0, 12);
  starred = [...starredIds.map((s) => s.summary.session_id), starredIds[0]!.summary.session_id];
  catalog = await startCatalogSubgraph({
    projects: SANDBOX_PROJECTS.map((p) => ({ id: p.id, name: PROJECT_NAMES[p.id]! })),
    starred,
  });

  // The chat subgraph's SDL as a router's tooling would read it: from `_service` over HTTP.
  const service = await stack.graphql<{ _service: { sdl: string } }>(`{ _service { sdl } }`);
  chatSdl = service.body.data!._service.sdl;

  composition = compose([
    { name: 'chat', url: `${stack.gateway.url}/graphql`, sdl: chatSdl },
    { name: 'catalog', url: catalog.url, sdl: CATALOG_SDL },
  ]);
  if (!composition.ok) throw new Error(`composition failed:\n${composition.errors.join('\n')}`);
  router = await startRouter(composition.supergraphSdl);
});

afterAll(async () => {
  await router?.close();
  await catalog?.close();
  await stack?.close();
});

beforeEach(() => {
  stack.resetRequests();
  catalog.requests.length = 0;
});

describe('the subgraph', () => {
  it('serves _service.sdl equal to the committed subgraph.graphql', () => {
    const committed = readFileSync(new URL('../../subgraph.graphql', import.meta.url), 'utf8');
    expect(`${chatSdl}\n`).toBe(committed);
  });

  it('composes with another subgraph without errors, and with no hint but the expected ones', () => {
    expect(composition.ok).toBe(true);
    if (!composition.ok) return;
    // Both subgraphs describe the shared entities Project and Index in their own words, and
    // composition keeps one description: that is expected, and harmless. Any other hint (an
    // unused @shareable, an inconsistent field, ...) is worth a look and fails here.
    expect(
      composition.hints.map((h) => [h.definition.code, h.coordinate ?? h.element?.coordinate]),
    ).toEqual([
      ['INCONSISTENT_DESCRIPTION', 'Project'],
      ['INCONSISTENT_DESCRIPTION', 'Index'],
    ]);
    expect(composition.supergraphSdl).toContain('join__type(graph: CHAT, key: "sessionId")');
    expect(composition.supergraphSdl).toContain(
      'join__type(graph: CHAT, key: "id", resolvable: false)',
    );
  });
});

describe('cross-subgraph queries through the router', () => {
  it('projects (catalog) -> their chat sessions (chat) -> their indexes names (catalog)', async () => {
    const res = await router.query(`{
      projects {
        id
        name
        chatSessions(first: 3) {
          edges { node { sessionId generatedTitle indexes { id name } } }
          pageInfo { hasNextPage }
        }
      }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.projects).toEqual(
      SANDBOX_PROJECTS.map((project) => {
        const sessions = stack.sandbox.dataset.get(project.id)!;
        return {
          id: project.id,
          name: PROJECT_NAMES[project.id],
          chatSessions: {
            edges: sessions.slice(0, 3).map((s) => ({
              node: {
                sessionId: s.summary.session_id,
                generatedTitle: s.summary.generated_title,
                indexes: s.summary.index_ids?.map((id) => ({ id, name: indexName(id) })) ?? null,
              },
            })),
            pageInfo: { hasNextPage: sessions.length > 3 },
          },
        };
      }),
    );
    // One list call per project, scoped to it; no per-session calls.
    expect(stack.listCalls().map((r) => r.query)).toEqual(
      SANDBOX_PROJECTS.map((p) => ({ page_size: '3', project_id: p.id })),
    );
    expect(stack.sandbox.requests).toHaveLength(SANDBOX_PROJECTS.length);
    // The catalog saw the root query and one batched _entities call for every Index.
    const entityCalls = catalog.requests.filter((r) => r.representations.length > 0);
    expect(entityCalls).toHaveLength(1);
    expect(entityCalls[0]!.representations.every((r) => r.__typename === 'Index')).toBe(true);
  });

  it("chatSessions (chat) -> the catalog's starred flag", async () => {
    const res = await router.query(`{
      chatSessions(first: 10) { edges { node { sessionId starred } } }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.chatSessions.edges).toEqual(
      research.slice(0, 10).map((s) => ({
        node: { sessionId: s.summary.session_id, starred: starred.includes(s.summary.session_id) },
      })),
    );
    expect(stack.listCalls()).toHaveLength(1);
    expect(stack.sandbox.requests).toHaveLength(1);
  });

  it('starredSessions (catalog) -> generatedTitle and events (chat _entities, one upstream call per id and endpoint)', async () => {
    const res = await router.query(`{
      starredSessions { sessionId starred generatedTitle lastUpdatedAt events { type } }
    }`);
    expect(res.errors).toBeUndefined();
    const byId = new Map(research.map((s) => [s.summary.session_id, s]));
    expect(res.data!.starredSessions).toEqual(
      starred.map((id) => {
        const s = byId.get(id)!;
        return {
          sessionId: id,
          starred: true,
          generatedTitle: s.summary.generated_title,
          lastUpdatedAt: `${s.summary.last_updated_at}Z`,
          events: s.events.map((e) => ({ type: e.type })),
        };
      }),
    );
    const distinct = new Set(starred);
    const summaryPaths = stack.summaryCalls().map((r) => r.path);
    const fullPaths = stack.fullSessionCalls().map((r) => r.path);
    expect(summaryPaths.sort()).toEqual(
      [...distinct].map((id) => `/api/v1/chat/${id}/summary`).sort(),
    );
    expect(fullPaths.sort()).toEqual([...distinct].map((id) => `/api/v1/chat/${id}`).sort());
    expect(stack.sandbox.requests).toHaveLength(2 * distinct.size);
    console.log(
      `federation: starredSessions with ${starred.length} references (${distinct.size} distinct) -> ${summaryPaths.length} summary + ${fullPaths.length} full-session upstream calls`,
    );
  });

  it('refetches a session through the router with node(id:)', async () => {
    const listed = await router.query(
      `{ chatSessions(first: 1) { edges { node { id sessionId } } } }`,
    );
    const node = listed.data!.chatSessions.edges[0].node;
    const res = await router.query(
      `query($id: ID!) { node(id: $id) { id ... on ChatSession { sessionId starred } } }`,
      { id: node.id },
    );
    expect(res).toEqual({
      data: {
        node: { id: node.id, sessionId: node.sessionId, starred: starred.includes(node.sessionId) },
      },
    });
  });
});
