/**
 * Writes to chat sessions, as Relay mutations (one `input`, a payload, `clientMutationId`
 * echoed): `createChatSession` (`POST /api/v1/chat`) and `deleteChatSession`
 * (`DELETE /api/v1/chat/{session_id}`). A write is never repeated behind the caller's back
 * (docs/architecture.md, "Writes").
 */
import { encodeGlobalID } from '@pothos/plugin-relay';
import { validateIndexIds, validateScope, validateSessionId } from './arguments.js';
import { builder, UPSTREAM_CALL_COST } from './builder.js';
import { ChatSessionRef, ChatSharedAccessRef } from './chat-session.js';

builder.mutationType({ description: 'Writes to the LlamaCloud Chat API.' });

/**
 * Relay's `clientMutationId`, a String as the Relay spec has it (Pothos's own option would make
 * it an ID): echoed unchanged in the payload.
 */
const CLIENT_MUTATION_ID = {
  description: 'Any string; echoed unchanged in the payload (Relay).',
};
const echo = (input: { clientMutationId?: string | null | undefined }) => ({
  clientMutationId: input.clientMutationId ?? null,
});

builder.relayMutationField(
  'createChatSession',
  {
    description: 'What the new session is bound to.',
    inputFields: (t) => ({
      indexIds: t.idList({
        description:
          'Indexes the session retrieves from (locked after its first turn); unbound when omitted.',
      }),
      sharedAccess: t.field({
        type: ChatSharedAccessRef,
        description: "What the session's share link grants; the deployment default when omitted.",
      }),
      projectId: t.id({ description: "Project UUID; the API key's default project when omitted." }),
      organizationId: t.id({ description: 'Organization UUID.' }),
      clientMutationId: t.string(CLIENT_MUTATION_ID),
    }),
  },
  {
    nullable: true,
    cost: UPSTREAM_CALL_COST,
    description:
      'Creates a chat session (`POST /api/v1/chat`). Never retried once sent: on an error, list the sessions before creating again.',
    resolve: async (_root, { input }, ctx) => {
      const scope = validateScope(input);
      const indexIds = validateIndexIds(input.indexIds, 'input.indexIds');
      const chatSession = await ctx.chatApi().createSession(scope, {
        ...(indexIds !== undefined && { indexIds }),
        ...(input.sharedAccess != null && { sharedAccess: input.sharedAccess }),
      });
      return { chatSession, ...echo(input) };
    },
  },
  {
    description: 'The session just created.',
    outputFields: (t) => ({
      chatSession: t.field({
        type: ChatSessionRef,
        description: 'The new session (no title and no job metadata until its first turn).',
        resolve: (payload) => payload.chatSession,
      }),
      clientMutationId: t.exposeString('clientMutationId', {
        nullable: true,
        description: "The input's clientMutationId.",
      }),
    }),
  },
);

builder.relayMutationField(
  'deleteChatSession',
  {
    description: 'Which session to delete.',
    inputFields: (t) => ({
      sessionId: t.id({ required: true, description: 'The upstream session id.' }),
      projectId: t.id({ description: "Project UUID; the API key's default project when omitted." }),
      organizationId: t.id({ description: 'Organization UUID.' }),
      clientMutationId: t.string(CLIENT_MUTATION_ID),
    }),
  },
  {
    nullable: true,
    cost: UPSTREAM_CALL_COST,
    description:
      'Deletes a chat session (`DELETE /api/v1/chat/{session_id}`); NOT_FOUND when there is no such session.',
    resolve: async (_root, { input }, ctx) => {
      const scope = validateScope(input);
      const sessionId = validateSessionId(String(input.sessionId), 'input.sessionId');
      await ctx.chatApi().deleteSession({ sessionId, ...scope });
      return { sessionId, ...echo(input) };
    },
  },
  {
    description: 'The session that was deleted.',
    outputFields: (t) => ({
      deletedSessionId: t.id({
        description: 'The upstream id of the deleted session.',
        resolve: (payload) => payload.sessionId,
      }),
      deletedId: t.id({
        description:
          "The deleted session's global id (`ChatSession.id`), for Relay's `@deleteRecord`.",
        resolve: (payload) => encodeGlobalID('ChatSession', payload.sessionId),
      }),
      clientMutationId: t.exposeString('clientMutationId', {
        nullable: true,
        description: "The input's clientMutationId.",
      }),
    }),
  },
);
