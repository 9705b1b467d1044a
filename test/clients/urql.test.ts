/**
 * urql with the normalized cache (`@urql/exchange-graphcache`) as its docs recommend: the schema's
 * introspection for interfaces, `keys` for the types without an id, and `relayPagination()` for
 * `Query.chatSessions`. Paging with `after` until done leaves every session of the default
 * project in the merged list exactly once, in upstream order, with no cache warnings.
 */
import { Client, fetchExchange, gql } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import type { CacheExchangeOpts } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { buildSchema, introspectionFromSchema } from 'graphql';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.js';
import type { AnyData, Stack } from '../support/stack.js';
import { clientPossibleTypes, clientSchemaSdl } from './schema.js';
import { defaultProject, expectedSessionIds, recordConsole, recordingFetch } from './support.js';

let stack: Stack;
let consoleRecorder: ReturnType<typeof recordConsole>;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => {
  consoleRecorder = recordConsole();
});
afterEach(() => consoleRecorder.restore());

/** The recommended graphcache configuration for this API. */
export function graphcacheOptions(): CacheExchangeOpts {
  return {
    // Lets graphcache match fragments on ChatEvent's implementations (and Node's).
    schema: introspectionFromSchema(buildSchema(clientSchemaSdl())),
    keys: {
      // Objects without an id of their own: embedded in their parent, never normalized.
      ChatJobMetadata: () => null,
      ChatSessionConnection: () => null,
      ChatSessionEdge: () => null,
      PageInfo: () => null,
      ChatUsage: () => null,
      ChatImageAttachment: () => null,
      // Events are values inside their session, too: every implementation of ChatEvent.
      ...Object.fromEntries(clientPossibleTypes().ChatEvent!.map((type) => [type, () => null])),
    },
    resolvers: {
      Query: { chatSessions: relayPagination() },
      Project: { chatSessions: relayPagination() },
    },
  };
}

const SESSIONS = gql`
  query UrqlChatSessions($first: Int!, $after: String) {
    chatSessions(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          sessionId
          generatedTitle
          lastUpdatedAt
          jobMetadata {
            isError
            turns
            totalInputTokens
            totalOutputTokens
            durationMs
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

describe('urql + graphcache', () => {
  it('pages through the default project with relayPagination', async () => {
    const recorder = recordingFetch();
    const client = new Client({
      url: `${stack.gateway.url}/graphql`,
      exchanges: [cacheExchange(graphcacheOptions()), fetchExchange],
      fetch: recorder.fetch,
      // JSON POSTs need no CSRF header. For GETs, add `apollo-require-preflight: true` to
      // fetchOptions' headers instead.
      preferGetMethod: false,
    });

    let after: string | null = null;
    let pages = 0;
    let merged: AnyData | undefined;
    for (;;) {
      const result = await client.query(SESSIONS, { first: 50, after }).toPromise();
      expect(result.error).toBeUndefined();
      pages += 1;
      merged = result.data as AnyData;
      // relayPagination answers every page's query with all pages fetched so far.
      expect(merged.chatSessions.edges).toHaveLength(
        Math.min(pages * 50, defaultProject.sessionCount),
      );
      if (!merged.chatSessions.pageInfo.hasNextPage) break;
      after = merged.chatSessions.pageInfo.endCursor as string;
    }
    expect(pages).toBe(Math.ceil(defaultProject.sessionCount / 50));
    expect(recorder.requests).toHaveLength(pages);
    expect(recorder.requests.every((r) => r.method === 'POST')).toBe(true);

    const ids = (merged!.chatSessions.edges as AnyData[]).map((e) => e.node.sessionId as string);
    expect(ids).toEqual(expectedSessionIds(stack));
    expect(new Set(ids).size).toBe(defaultProject.sessionCount);

    // The first page's query, answered from the cache alone, is the whole merged list.
    const cached = await client
      .query(SESSIONS, { first: 50 }, { requestPolicy: 'cache-only' })
      .toPromise();
    expect(
      (cached.data as AnyData).chatSessions.edges.map((e: AnyData) => e.node.sessionId),
    ).toEqual(ids);
    expect((cached.data as AnyData).chatSessions.pageInfo.hasNextPage).toBe(false);
    expect(recorder.requests).toHaveLength(pages);
    const withMetadata = (cached.data as AnyData).chatSessions.edges.find(
      (e: AnyData) => e.node.jobMetadata,
    );
    expect(withMetadata.node.jobMetadata).toMatchObject({
      isError: expect.any(Boolean),
      turns: expect.any(Number),
    });

    expect(consoleRecorder.messages).toEqual([]);
  });

  it('matches fragments on ChatEvent implementations with the schema', async () => {
    const client = new Client({
      url: `${stack.gateway.url}/graphql`,
      exchanges: [cacheExchange(graphcacheOptions()), fetchExchange],
      preferGetMethod: false,
    });
    const session = stack.sandbox.dataset
      .get(defaultProject.id)!
      .find((s) => s.summary.job_metadata && s.summary.job_metadata.turns > 0)!;
    const query = gql`
      query UrqlEvents($sessionId: ID!) {
        chatSession(sessionId: $sessionId) {
          id
          events {
            __typename
            type
            ... on UserInputChatEvent {
              content
            }
            ... on ToolCallChatEvent {
              callId
              name
            }
          }
        }
      }
    `;
    const variables = { sessionId: session.summary.session_id };
    const result = await client.query(query, variables).toPromise();
    expect(result.error).toBeUndefined();
    const events = (result.data as AnyData).chatSession.events as AnyData[];
    expect(events.find((e) => e.__typename === 'UserInputChatEvent')?.content).toEqual(
      expect.any(String),
    );
    const cached = await client
      .query(query, variables, { requestPolicy: 'cache-only' })
      .toPromise();
    expect((cached.data as AnyData).chatSession.events).toEqual(events);

    expect(consoleRecorder.messages).toEqual([]);
  });
});
