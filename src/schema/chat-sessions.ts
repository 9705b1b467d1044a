/**
 * The Relay `chatSessions` connection over `GET /api/v1/chat` (docs/architecture.md, "Cursors").
 */
import type { GatewayContext } from '../context.js';
import type { ChatSession } from '../domain.js';
import { assemblePage } from '../pagination/assemble.js';
import { connectionOf } from '../pagination/connection.js';
import { decodeCursor } from '../pagination/cursor.js';
import { validateFirst, validateScope } from './arguments.js';
import { builder, CONNECTION_LIST_SIZE, UPSTREAM_CALL_COST } from './builder.js';
import { ChatSessionRef } from './chat-session.js';

export const ChatSessionConnection = builder.connectionObject(
  {
    type: ChatSessionRef,
    name: 'ChatSessionConnection',
    description: 'A page of chat sessions, most recently updated first (upstream order).',
  },
  {
    name: 'ChatSessionEdge',
    description: 'A chat session and the cursor that resumes the list right after it.',
  },
);

export interface ChatSessionsArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
  projectId?: string | null | undefined;
  organizationId?: string | null | undefined;
}

/** Shared by Query.chatSessions and any type that scopes the list (e.g. a project). */
export async function resolveChatSessions(args: ChatSessionsArgs, ctx: GatewayContext) {
  // Validate everything before the first upstream call.
  const scope = validateScope(args);
  const first = validateFirst(args.first, ctx.config);
  // A malformed or foreign cursor throws InvalidCursorError: BAD_USER_INPUT at the boundary.
  const start = args.after == null ? { t: null, o: 0 } : decodeCursor(args.after, scope);
  const api = ctx.chatApi();
  const page = await assemblePage<ChatSession>(first, start, async (pageToken, pageSize) =>
    api.listSessions({
      ...scope,
      pageToken,
      pageSize: Math.min(pageSize, ctx.config.maxPageSize),
    }),
  );
  // Cursors are encoded only for the fields the operation selects (pagination/connection.ts).
  return connectionOf(page, scope, args.after != null);
}

builder.queryField('chatSessions', (t) =>
  t.field({
    type: ChatSessionConnection,
    nullable: true,
    cost: UPSTREAM_CALL_COST,
    listSize: CONNECTION_LIST_SIZE,
    description:
      'Chat sessions of a project, as a forward-only Relay connection over `GET /api/v1/chat`. Pass `pageInfo.endCursor` as `after` to get the next page; cursors are opaque and bound to the projectId/organizationId they were issued for.',
    args: {
      first: t.arg.int({
        description: 'How many sessions to return (0 to MAX_PAGE_SIZE, default DEFAULT_PAGE_SIZE).',
      }),
      after: t.arg.string({
        description: 'Return sessions after this cursor (an edge cursor or endCursor).',
      }),
      projectId: t.arg.id({
        description: "Project UUID; the API key's default project when omitted.",
      }),
      organizationId: t.arg.id({ description: 'Organization UUID.' }),
    },
    resolve: (_root, args, ctx) => resolveChatSessions(args, ctx),
  }),
);
