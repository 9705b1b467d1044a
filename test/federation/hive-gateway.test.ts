/**
 * The same federation as supergraph.test.ts through another router: Hive Gateway
 * (@graphql-hive/gateway-runtime) serving a supergraph composed here from the committed
 * subgraph.graphql (with its @cost/@listSize) and the catalog subgraph, forwarding the caller's
 * Authorization to the subgraphs (`propagateHeaders`), as README "Compose into a supergraph" sets
 * it up.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PROJECTS } from '../../src/sandbox/data.js';
import { startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';
import { CATALOG_SDL, indexName, startCatalogSubgraph } from './catalog-subgraph.js';
import type { CatalogSubgraph } from './catalog-subgraph.js';
import { compose } from './router.js';

const CALLER_KEY = 'llx-hive-gateway-caller-key-000000';

let stack: Stack;
let catalog: CatalogSubgraph;
let gateway: ReturnType<typeof createGatewayRuntime>;
let server: Server;
let url: string;

beforeAll(async () => {
  stack = await startStack({ env: { MAX_UPSTREAM_CALLS_PER_OPERATION: '100' } });
  catalog = await startCatalogSubgraph({
    projects: SANDBOX_PROJECTS.map((p) => ({ id: p.id, name: `Project ${p.id.slice(0, 8)}` })),
    starred: [stack.sandbox.dataset.get(SANDBOX_PROJECTS[0]!.id)![0]!.summary.session_id],
  });
  const composition = compose([
    {
      name: 'chat',
      url: `${stack.gateway.url}/graphql`,
      sdl: readFileSync(new URL('../../subgraph.graphql', import.meta.url), 'utf8'),
    },
    { name: 'catalog', url: catalog.url, sdl: CATALOG_SDL },
  ]);
  if (!composition.ok) throw new Error(`composition failed:\n${composition.errors.join('\n')}`);
  // The demand-control directives reach the supergraph, where a pricing router reads them.
  expect(composition.supergraphSdl).toContain('@cost(weight: 10)');
  expect(composition.supergraphSdl).toContain('slicingArguments: ["first"]');

  gateway = createGatewayRuntime({
    supergraph: composition.supergraphSdl,
    logging: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({
        authorization: request.headers.get('authorization'),
      }),
    },
  });
  server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await gateway?.dispose();
  await catalog?.close();
  await stack?.close();
});

describe('Hive Gateway as the router', () => {
  it("answers a query across both subgraphs, and the chat subgraph gets the caller's Authorization", async () => {
    stack.resetRequests();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CALLER_KEY}` },
      body: JSON.stringify({
        query: `{
          projects {
            id
            name
            chatSessions(first: 2) { edges { node { sessionId starred indexes { id name } } } }
          }
        }`,
      }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown };
    expect(body.errors).toBeUndefined();
    const starred = stack.sandbox.dataset.get(SANDBOX_PROJECTS[0]!.id)![0]!.summary.session_id;
    expect(body.data.projects).toEqual(
      SANDBOX_PROJECTS.map((p) => ({
        id: p.id,
        name: `Project ${p.id.slice(0, 8)}`,
        chatSessions: {
          edges: stack.sandbox.dataset
            .get(p.id)!
            .slice(0, 2)
            .map((s) => ({
              node: {
                sessionId: s.summary.session_id,
                starred: s.summary.session_id === starred,
                indexes: s.summary.index_ids?.map((id) => ({ id, name: indexName(id) })) ?? null,
              },
            })),
        },
      })),
    );
    // The gateway forwarded the caller's key (not its server key) on every upstream call.
    expect(stack.listCalls()).toHaveLength(SANDBOX_PROJECTS.length);
    expect(stack.sandbox.requests.map((r) => r.headers.authorization)).toEqual(
      SANDBOX_PROJECTS.map(() => `Bearer ${CALLER_KEY}`),
    );
  });
});
