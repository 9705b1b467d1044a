/**
 * ChatEvent: the conversation history of `GET /api/v1/chat/{session_id}`, one object type per
 * documented event type, and UnknownChatEvent for any type the docs do not list (yet).
 * `ChatSession.events` calls the upstream only when the field is selected.
 */
import type {
  ChatEvent,
  ChatImageAttachment,
  ChatUsage,
  ContentChatEvent,
  ContentEventType,
  StopChatEvent,
  ToolCallChatEvent,
  ToolResultChatEvent,
  UnknownChatEvent,
} from '../domain.js';
import { builder, UPSTREAM_CALL_COST } from './builder.js';
import { tokenCountFields } from './token-counts.js';
import { ChatSessionRef } from './chat-session.js';

export const ChatEventRef = builder.interfaceRef<ChatEvent>('ChatEvent').implement({
  description:
    'One event of a chat session, in conversation order. Select the fields of each kind with `... on UserInputChatEvent { content }` and so on; event types this API does not know yet arrive as UnknownChatEvent.',
  resolveType: (event) => {
    if ('unknown' in event) return 'UnknownChatEvent';
    switch (event.type) {
      case 'tool_call':
        return 'ToolCallChatEvent';
      case 'tool_result':
        return 'ToolResultChatEvent';
      case 'stop':
        return 'StopChatEvent';
      default:
        return CONTENT_EVENTS[event.type].name;
    }
  },
  fields: (t) => ({
    type: t.exposeString('type', {
      description:
        'The upstream event type, e.g. "user_input", "tool_call" or "stop" (any string for UnknownChatEvent).',
    }),
  }),
});

/** The five event types whose payload is only text differ in meaning, not in shape. */
const CONTENT_EVENTS: Record<ContentEventType, { name: string; description: string }> = {
  user_input: {
    name: 'UserInputChatEvent',
    description: 'A message the user sent (`user_input`).',
  },
  thinking_delta: {
    name: 'ThinkingDeltaChatEvent',
    description: 'A streamed fragment of the agent reasoning (`thinking_delta`).',
  },
  thinking: {
    name: 'ThinkingChatEvent',
    description: 'A complete piece of the agent reasoning (`thinking`).',
  },
  text_delta: {
    name: 'TextDeltaChatEvent',
    description: 'A streamed fragment of the agent answer (`text_delta`).',
  },
  text: { name: 'TextChatEvent', description: 'A complete piece of the agent answer (`text`).' },
};

for (const { name, description } of Object.values(CONTENT_EVENTS)) {
  builder.objectRef<ContentChatEvent>(name).implement({
    description,
    interfaces: [ChatEventRef],
    fields: (t) => ({
      content: t.exposeString('content', { description: 'The text of this event.' }),
    }),
  });
}

builder.objectRef<ToolCallChatEvent>('ToolCallChatEvent').implement({
  description: 'The agent called a tool (`tool_call`).',
  interfaces: [ChatEventRef],
  fields: (t) => ({
    callId: t.exposeID('callId', {
      description: 'Identifies this call; the matching ToolResultChatEvent has the same callId.',
    }),
    name: t.exposeString('name', { description: 'Name of the tool, e.g. "search_index".' }),
    arguments: t.expose('arguments', {
      type: 'JSON',
      nullable: true,
      description:
        'Arguments the tool was called with, as sent upstream (a JSON object); null if none were sent.',
    }),
  }),
});

const ChatImageAttachmentRef = builder
  .objectRef<ChatImageAttachment>('ChatImageAttachment')
  .implement({
    description: 'An image a tool returned alongside its result.',
    fields: (t) => ({
      attachmentName: t.exposeString('attachmentName', {
        description: 'File name of the attachment, e.g. "page-12.png".',
      }),
      sourceId: t.exposeID('sourceId', { description: 'The source document the image is from.' }),
    }),
  });

builder.objectRef<ToolResultChatEvent>('ToolResultChatEvent').implement({
  description: 'A tool returned (`tool_result`).',
  interfaces: [ChatEventRef],
  fields: (t) => ({
    callId: t.exposeID('callId', { description: 'The callId of the ToolCallChatEvent answered.' }),
    name: t.exposeString('name', { description: 'Name of the tool.' }),
    result: t.expose('result', {
      type: 'JSON',
      nullable: true,
      description: 'What the tool returned: any JSON value, as sent upstream.',
    }),
    imageAttachment: t.field({
      type: ChatImageAttachmentRef,
      nullable: true,
      description: 'An image returned with the result, if any.',
      resolve: (event) => event.imageAttachment,
    }),
  }),
});

const ChatUsageRef = builder.objectRef<ChatUsage>('ChatUsage').implement({
  description: 'Resources a run used, as reported when it stopped.',
  fields: (t) => ({
    durationMs: t.exposeFloat('durationMs', { description: 'How long the run took, in ms.' }),
    ...tokenCountFields(t),
    turns: t.expose('turns', { type: 'SafeInt', description: 'Number of agent turns.' }),
  }),
});

builder.objectRef<StopChatEvent>('StopChatEvent').implement({
  description: 'The run ended (`stop`), successfully or not.',
  interfaces: [ChatEventRef],
  fields: (t) => ({
    error: t.exposeString('error', {
      nullable: true,
      description: 'Why the run failed; null when it did not.',
    }),
    isError: t.exposeBoolean('isError', { description: 'Whether the run ended in an error.' }),
    skippedIndexIds: t.exposeIDList('skippedIndexIds', {
      nullable: true,
      description:
        'Indexes the run could not query and went without; null when the upstream does not say (older API versions).',
    }),
    usage: t.field({
      type: ChatUsageRef,
      nullable: true,
      description: 'Resources the run used; null when the upstream sent none.',
      resolve: (event) => event.usage,
    }),
  }),
});

builder.objectRef<UnknownChatEvent>('UnknownChatEvent').implement({
  description:
    'An event of a type this API does not know (the upstream may add types): its `type` and its raw data, instead of an error.',
  interfaces: [ChatEventRef],
  fields: (t) => ({
    data: t.expose('data', {
      type: 'JSON',
      description: 'The event exactly as the upstream sent it, `type` included.',
    }),
  }),
});

builder.objectField(ChatSessionRef, 'events', (t) =>
  t.field({
    type: [ChatEventRef],
    nullable: true,
    cost: UPSTREAM_CALL_COST,
    description:
      'The conversation history, oldest first (`GET /api/v1/chat/{session_id}`, fetched only when selected). Null if the session no longer exists.',
    resolve: async (session, _args, ctx) => {
      const full = await ctx
        .chatApi()
        .getSession({ sessionId: session.sessionId, ...session.scope });
      return full?.events ?? null;
    },
  }),
);
