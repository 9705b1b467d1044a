/**
 * The `apollo` scenario, the peer: what a team would hand-write with Apollo Server 5 and
 * `@apollo/datasource-rest` for the same field, `chatSessions(first, after, projectId)` with every
 * field the bench's `connection` query selects. Defaults throughout (standalone server, a
 * RESTDataSource per request with its default fetch and cache, Apollo's CSRF prevention); the
 * upstream timestamps are passed through as they come; cursors are its own opaque strings (the
 * upstream page token and an offset into that page). No caller authentication, limits, metrics
 * or logging: it is the cheapest honest implementation, not a feature-equal one.
 * Environment: UPSTREAM_URL, PORT, HOST, LLAMA_CLOUD_API_KEY. Prints `{"url": …}` once listening.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { RESTDataSource } from '@apollo/datasource-rest';
import type { AugmentedRequest } from '@apollo/datasource-rest';
import { GraphQLError } from 'graphql';
import type { WireSessionList } from '../src/upstream/wire.js';

const typeDefs = /* GraphQL */ `
  type Query {
    chatSessions(first: Int, after: String, projectId: ID): ChatSessionConnection!
  }
  type ChatSessionConnection {
    edges: [ChatSessionEdge!]!
    pageInfo: PageInfo!
  }
  type ChatSessionEdge {
    cursor: String!
    node: ChatSession!
  }
  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
  type ChatSession {
    sessionId: ID!
    lastUpdatedAt: String!
    generatedTitle: String
    indexIds: [ID!]
    jobMetadata: JobMetadata
  }
  type JobMetadata {
    durationMs: Float!
    error: String
    exportConfigIds: [ID!]
    isError: Boolean!
    totalInputTokens: Float
    totalOutputTokens: Float
    turns: Float!
  }
`;

const apiKey = process.env.LLAMA_CLOUD_API_KEY;

class ChatApi extends RESTDataSource {
  override baseURL = `${(process.env.UPSTREAM_URL ?? '').replace(/\/+$/, '')}/`;

  override willSendRequest(_path: string, request: AugmentedRequest) {
    if (apiKey) request.headers.authorization = `Bearer ${apiKey}`;
  }

  listSessions(params: Record<string, string>): Promise<WireSessionList> {
    return this.get<WireSessionList>('api/v1/chat', { params });
  }
}

interface Context {
  chat: ChatApi;
}

/** Cursor: where the list resumes after an edge, as (upstream page token, items to skip). */
const encodeCursor = (token: string | null, skip: number) =>
  Buffer.from(JSON.stringify([token, skip])).toString('base64url');
function decodeCursor(cursor: string): [string | null, number] {
  try {
    const [token, skip] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [
      string | null,
      number,
    ];
    if ((token === null || typeof token === 'string') && Number.isSafeInteger(skip) && skip >= 0)
      return [token, skip];
  } catch {
    // falls through
  }
  throw new GraphQLError('Invalid cursor', { extensions: { code: 'BAD_USER_INPUT' } });
}

const resolvers = {
  Query: {
    async chatSessions(
      _: unknown,
      args: { first?: number | null; after?: string | null; projectId?: string | null },
      { chat }: Context,
    ) {
      const first = args.first ?? 20;
      if (first < 1 || first > 100) {
        throw new GraphQLError('first must be 1 to 100', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
      const [token, skip] = args.after ? decodeCursor(args.after) : [null, 0];
      const params: Record<string, string> = { page_size: String(skip + first) };
      if (token) params.page_token = token;
      if (args.projectId) params.project_id = args.projectId;
      const list = await chat.listSessions(params);
      const next = list.next_page_token || null;
      const items = list.items.slice(skip, skip + first);
      const edges = items.map((s, i) => {
        const index = skip + i;
        const last = index === list.items.length - 1;
        const job = s.job_metadata;
        return {
          cursor: last && next ? encodeCursor(next, 0) : encodeCursor(token, index + 1),
          node: {
            sessionId: s.session_id,
            lastUpdatedAt: s.last_updated_at,
            generatedTitle: s.generated_title ?? null,
            indexIds: s.index_ids ?? null,
            jobMetadata: job
              ? {
                  durationMs: job.duration_ms,
                  error: job.error ?? null,
                  exportConfigIds: job.export_config_ids ?? null,
                  isError: job.is_error,
                  totalInputTokens: job.total_input_tokens ?? null,
                  totalOutputTokens: job.total_output_tokens ?? null,
                  turns: job.turns,
                }
              : null,
          },
        };
      });
      return {
        edges,
        pageInfo: {
          hasNextPage: skip + first < list.items.length || next !== null,
          hasPreviousPage: args.after != null,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  },
};

const server = new ApolloServer<Context>({ typeDefs, resolvers });
const host = process.env.HOST ?? '127.0.0.1';
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 0), host },
  // One data source per request, as Apollo's documentation does it.
  context: async () => ({ chat: new ChatApi() }),
});
process.stdout.write(`${JSON.stringify({ url: url.replace(/\/$/, '') })}\n`);
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
