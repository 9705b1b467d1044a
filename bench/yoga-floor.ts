/**
 * The `yoga` scenario: the proxy's work (`bench/proxy.ts`: one upstream call, the answer built by
 * hand in `bench/lib/connection-page.ts`) served through a bare graphql-yoga with graphql-jit, as
 * the gateway's own stack: Yoga's HTTP adaptation (@whatwg-node/server), its parse/validate
 * cache, the Envelop pipeline, JIT execution over a minimal SDL and Yoga's serialisation, and no
 * plugin of the gateway's. It measures what Yoga itself costs on this request: the distance from
 * `proxy` to `yoga` is the stack's, from `yoga` to `connection` the gateway's.
 * Environment: UPSTREAM_URL, PORT, HOST, LLAMA_CLOUD_API_KEY. Prints `{"url": …}` once listening.
 */
import { createServer } from 'node:http';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createSchema, createYoga } from 'graphql-yoga';
import type { WireSessionList } from '../src/upstream/wire.js';
import { connectionOf } from './lib/connection-page.js';
import { headers, LIST_PATH, pool, serve } from './lib/floor-server.js';

const typeDefs = /* GraphQL */ `
  type Query {
    chatSessions(first: Int): ChatSessionConnection
  }
  type ChatSessionConnection {
    edges: [ChatSessionEdge!]!
    pageInfo: PageInfo!
  }
  type ChatSessionEdge {
    cursor: String!
    node: ChatSession!
  }
  type ChatSession {
    sessionId: ID!
    lastUpdatedAt: String!
    generatedTitle: String
    indexIds: [String!]
    jobMetadata: ChatJobMetadata
  }
  type ChatJobMetadata {
    durationMs: Float!
    error: String
    exportConfigIds: [String!]
    isError: Boolean!
    totalInputTokens: Float
    totalOutputTokens: Float
    turns: Int!
  }
  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
`;

async function chatSessions(_root: unknown, args: { first?: number | null }) {
  const res = await pool.request({
    method: 'GET',
    path: `${LIST_PATH}?page_size=${args.first ?? 20}`,
    headers,
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`upstream answered ${res.statusCode}`);
  }
  return connectionOf((await res.body.json()) as WireSessionList);
}

const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers: { Query: { chatSessions } } }),
  plugins: [useGraphQlJit()],
  graphiql: false,
  landingPage: false,
  logging: false,
});

const server = createServer(yoga);
serve(server);
