/**
 * Composition and a real router for the federation tests: @apollo/composition builds the
 * supergraph; @apollo/gateway, served by @apollo/server on a loopback port, plans each query
 * and calls the subgraphs over HTTP.
 */
import { composeServices } from '@apollo/composition';
import type { CompositionSuccess } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { parse } from 'graphql';
import type { GraphQLResponse } from '../support/stack.js';

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

export type Composition =
  | { ok: true; supergraphSdl: string; hints: CompositionSuccess['hints'] }
  | { ok: false; errors: string[] };

export function compose(subgraphs: SubgraphSource[]): Composition {
  const result = composeServices(
    subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
  );
  if (result.errors) return { ok: false, errors: result.errors.map((e) => e.message) };
  return { ok: true, supergraphSdl: result.supergraphSdl, hints: result.hints };
}

export interface Router {
  url: string;
  // Tests walk response data freely; a query's own types would add nothing here.

  query<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>['body']>;
  close(): Promise<void>;
}

export async function startRouter(supergraphSdl: string): Promise<Router> {
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return {
    url,
    async query<T>(query: string, variables?: Record<string, unknown>) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse<T>['body'];
    },
    close: () => server.stop(),
  };
}
