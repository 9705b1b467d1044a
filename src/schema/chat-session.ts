/** ChatSession and ChatJobMetadata: the session summary of `GET /api/v1/chat`. */
import type { ChatJobMetadata, ChatSession } from '../domain.js';
import { builder } from './builder.js';

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
    totalInputTokens: t.expose('totalInputTokens', {
      type: 'SafeInt',
      nullable: true,
      description: 'Input (prompt) tokens consumed, when known.',
    }),
    totalOutputTokens: t.expose('totalOutputTokens', {
      type: 'SafeInt',
      nullable: true,
      description: 'Output (completion) tokens produced, when known.',
    }),
    turns: t.expose('turns', { type: 'SafeInt', description: 'Number of agent turns in the run.' }),
  }),
});

export const ChatSessionRef = builder.objectRef<ChatSession>('ChatSession').implement({
  description: 'A LlamaCloud chat session: a conversation with an agent over zero or more indexes.',
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
    jobMetadata: t.field({
      type: ChatJobMetadataRef,
      nullable: true,
      description: 'Usage and status of the most recent run; null if the session never ran.',
      resolve: (session) => session.jobMetadata,
    }),
  }),
});
