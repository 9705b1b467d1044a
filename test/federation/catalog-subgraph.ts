/**
 * A second, independent subgraph for the federation tests: a small real server (graphql-yoga +
 * @apollo/subgraph) that owns `Project { id name }` and `Index { id name }`, adds `starred` to
 * the chat subgraph's ChatSession, and returns ChatSession references from `starredSessions`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';

export const CATALOG_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  type Query {
    "Every project, in catalog order."
    projects: [Project!]!
    "Sessions the user starred, as references: the chat subgraph resolves their fields."
    starredSessions: [ChatSession!]!
  }

  "A project, as the catalog knows it."
  type Project @key(fields: "id") {
    id: ID!
    "Display name."
    name: String!
  }

  "An index, as the catalog knows it."
  type Index @key(fields: "id") {
    id: ID!
    "Display name."
    name: String!
  }

  type ChatSession @key(fields: "sessionId") {
    sessionId: ID!
    "Whether the user starred this session."
    starred: Boolean!
  }
`;

export interface CatalogData {
  projects: readonly { id: string; name: string }[];
  /** Starred session ids, in the order `starredSessions` returns them (repeats allowed). */
  starred: readonly string[];
}

/** Every index id resolves, to a name derived from it (the test can recompute it). */
export const indexName = (id: string) => `Index ${id.slice(4).toUpperCase()}`;

export interface CatalogSubgraph {
  url: string;
  /** Each GraphQL request received: its query text and, for _entities, the representations. */
  requests: { query: string; representations: { __typename: string }[] }[];
  close(): Promise<void>;
}

export async function startCatalogSubgraph(data: CatalogData): Promise<CatalogSubgraph> {
  const starred = new Set(data.starred);
  const schema = buildSubgraphSchema({
    typeDefs: parse(CATALOG_SDL),
    resolvers: {
      Query: {
        projects: () => data.projects,
        starredSessions: () => data.starred.map((sessionId) => ({ sessionId })),
      },
      Project: {
        __resolveReference: (ref: { id: string }) =>
          data.projects.find((p) => p.id === ref.id) ?? null,
      },
      Index: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: indexName(ref.id) }),
      },
      ChatSession: {
        __resolveReference: (ref: { sessionId: string }) => ref,
        starred: (session: { sessionId: string }) => starred.has(session.sessionId),
      },
    },
  });

  const requests: CatalogSubgraph['requests'] = [];
  const yoga = createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    logging: false,
    plugins: [
      {
        onParams({ params }) {
          const variables = (params.variables ?? {}) as { representations?: [] };
          requests.push({
            query: params.query ?? '',
            representations: variables.representations ?? [],
          });
        },
      },
    ],
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
