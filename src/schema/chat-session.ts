/**
 * ChatSession and ChatJobMetadata (the session summary), and every way to load one session by
 * id: `Query.chatSession`, the Relay Node (`node`/`nodes`) and the federation entity key. All
 * three go through the per-request summary loader of `GET /api/v1/chat/{session_id}/summary`.
 */
import type { GatewayContext } from '../context.js';
import type { ChatJobMetadata, ChatSession, SessionKey } from '../domain.js';
import { validateScope, validateSessionId } from './arguments.js';
import { builder, UPSTREAM_CALL_COST } from './builder.js';
import { tokenCountFields } from './token-counts.js';

export const ChatJobMetadataRef = builder.objectRef<ChatJobMetadata>('ChatJobMetadata').implement({
  description: 'Token usage and status of the most recent run of a chat session.',
  fields: (t) => ({
    durationMs: t.exposeFloat('durationMs', {
      description: 'How long the run took, in milliseconds.',
    }),
    error: t.exposeString('error', {
      nullable: true,
      description: 'Error message of the run when it failed, else null.',
    }),
    exportConfigIds: t.exposeIDList('exportConfigIds', {
      nullable: true,
      description: 'Export configurations applied to the run, if any.',
    }),
    isError: t.exposeBoolean('isError', { description: 'Whether the run ended in an error.' }),
    ...tokenCountFields(t),
    turns: t.expose('turns', { type: 'SafeInt', description: 'Number of agent turns in the run.' }),
  }),
});

/** One session summary through the request's loader; null when the upstream answers 404. */
export function loadChatSession(ctx: GatewayContext, key: SessionKey): Promise<ChatSession | null> {
  return ctx.chatApi().getSummary(key);
}

export const ChatSharedAccessRef = builder.enumType('ChatSharedAccess', {
  description: "What a session's share link grants.",
  values: {
    QUERY: { value: 'query', description: 'Viewers may ask the session questions.' },
    READ_ONLY: { value: 'read_only', description: 'Viewers may only read the conversation.' },
  } as const,
});

export const ChatSessionRef = builder.objectRef<ChatSession>('ChatSession');

builder.node(ChatSessionRef, {
  description: 'A LlamaCloud chat session: a conversation with an agent over zero or more indexes.',
  id: {
    resolve: (session) => session.sessionId,
    parse: (id) => validateSessionId(id, 'id'),
  },
  // The summary loader already dedupes per request, so Pothos needs no cache of its own.
  // A failed lookup is returned as its Error, not thrown: Pothos loads `nodes(ids:)` with one
  // Promise.all, so one rejection (e.g. the 26th id past a budget of 25) would null the whole
  // list. graphql-js and graphql-jit both complete a returned Error as a null item with that
  // error at the item's path (through the error boundary), so each id keeps its own entry.
  loadWithoutCache: (sessionId, ctx) =>
    loadChatSession(ctx, { sessionId }).catch(
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))) as never,
    ),
  fields: (t) => ({
    sessionId: t.exposeID('sessionId', {
      description: 'The upstream session identifier (e.g. "ses-abc123").',
    }),
    lastUpdatedAt: t.expose('lastUpdatedAt', {
      type: 'DateTime',
      description: 'When the session last changed (RFC 3339, UTC, microsecond precision).',
    }),
    generatedTitle: t.exposeString('generatedTitle', {
      nullable: true,
      description: 'Title generated from the first user message; null until there is one.',
    }),
    indexIds: t.exposeIDList('indexIds', {
      nullable: true,
      description: 'Indexes the session is bound to; null on unbound sessions.',
    }),
    sharedAccess: t.field({
      type: ChatSharedAccessRef,
      nullable: true,
      description:
        "What the session's share link grants; null when the upstream does not say (older API versions).",
      resolve: (session) => session.sharedAccess,
    }),
    jobMetadata: t.field({
      type: ChatJobMetadataRef,
      nullable: true,
      description: 'Usage and status of the most recent run; null if the session never ran.',
      resolve: (session) => session.jobMetadata,
    }),
  }),
});

// Federation: other subgraphs refer to a session by its upstream id alone, so an entity
// reference is looked up in the credential's default project.
builder.asEntity(ChatSessionRef, {
  key: builder.selection<{ sessionId: string }>('sessionId'),
  resolveReference: (ref, ctx) =>
    loadChatSession(ctx, { sessionId: validateSessionId(ref.sessionId) }),
});

builder.queryField('chatSession', (t) =>
  t.field({
    type: ChatSessionRef,
    nullable: true,
    cost: UPSTREAM_CALL_COST,
    description:
      'One chat session by its upstream id (`GET /api/v1/chat/{session_id}/summary`); null when it does not exist.',
    args: {
      sessionId: t.arg.id({ required: true, description: 'The upstream session id.' }),
      projectId: t.arg.id({
        description: "Project UUID; the API key's default project when omitted.",
      }),
      organizationId: t.arg.id({ description: 'Organization UUID.' }),
    },
    resolve: (_root, args, ctx) => {
      // Validate everything before the upstream call.
      const scope = validateScope(args);
      const sessionId = validateSessionId(String(args.sessionId));
      return loadChatSession(ctx, { sessionId, ...scope });
    },
  }),
);
