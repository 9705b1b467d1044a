/**
 * The oracle for test/unit/mapping.property.test.ts: the zod schemas and the wire -> domain
 * mapping that src/upstream/mapping.ts replaced (commit 7ff5ef4, src/upstream/wire.ts and
 * src/upstream/mapping.ts), verbatim, and `parse` of src/upstream/chat-api.ts. The hand-written
 * decoder must accept what these accept, produce what they produce, and fail with their first
 * issue's message and path.
 */
import { z } from 'zod';
import type {
  ChatEvent,
  ChatJobMetadata,
  ChatSession,
  ChatSessionPage,
  FullChatSession,
  Scope,
} from '../../src/domain.js';
import { toRfc3339Utc } from '../../src/upstream/timestamps.js';
import { formatPath } from '../../src/upstream/wire.js';

const nullableStringList = z.array(z.string()).nullish();
const int64 = z.number().int();

const wireJobMetadata = z.object({
  duration_ms: z.number(),
  error: z.string().nullish(),
  export_config_ids: nullableStringList,
  is_error: z.boolean(),
  total_input_tokens: int64.nullish(),
  total_output_tokens: int64.nullish(),
  turns: int64,
});

const timestamp = z.string().transform((value, ctx) => {
  const normalised = toRfc3339Utc(value);
  if (normalised === null) {
    ctx.addIssue({ code: 'custom', message: 'not an ISO-8601 date-time' });
    return z.NEVER;
  }
  return normalised;
});

const wireSessionSummary = z.object({
  session_id: z.string().min(1),
  last_updated_at: timestamp,
  generated_title: z.string().nullish(),
  index_ids: nullableStringList,
  job_metadata: wireJobMetadata.nullish(),
  /** Newer API versions only: what the session's share link allows. */
  shared_access: z.enum(['query', 'read_only']).nullish(),
});

const wireSessionList = z.object({
  items: z.array(wireSessionSummary),
  next_page_token: z.string().nullish(),
});

const contentEvent = <T extends string>(type: T) =>
  z.object({ type: z.literal(type), content: z.string() });

/** The eight documented event types of `GET /api/v1/chat/{session_id}`. */
const knownEvent = z.discriminatedUnion('type', [
  contentEvent('user_input'),
  contentEvent('thinking_delta'),
  contentEvent('thinking'),
  contentEvent('text_delta'),
  contentEvent('text'),
  z.object({
    type: z.literal('tool_call'),
    call_id: z.string(),
    name: z.string(),
    // Documented as an object; kept as any JSON so a string of JSON does not fail the session.
    arguments: z.unknown(),
  }),
  z.object({
    type: z.literal('tool_result'),
    call_id: z.string(),
    name: z.string(),
    result: z.unknown(),
    image_attachment: z.object({ attachment_name: z.string(), source_id: z.string() }).nullish(),
  }),
  z.object({
    type: z.literal('stop'),
    error: z.string().nullish(),
    is_error: z.boolean(),
    usage: z
      .object({
        duration_ms: z.number(),
        total_input_tokens: int64.nullish(),
        total_output_tokens: int64.nullish(),
        turns: int64,
      })
      .nullish(),
    /** Newer API versions only: indexes the turn could not use. */
    skipped_index_ids: z.array(z.string()).nullish(),
  }),
]);

const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(
  knownEvent.options.map((option) => option.shape.type.value),
);

/**
 * A known event type must have its documented shape (else the response is bad, naming the field);
 * an unknown type passes through whole, so a new upstream event type never fails a query.
 */
const wireEvent = z.looseObject({ type: z.string() }).transform((event, ctx) => {
  if (!KNOWN_EVENT_TYPES.has(event.type)) return { known: false as const, raw: event };
  const result = knownEvent.safeParse(event);
  if (!result.success) {
    for (const issue of result.error.issues) ctx.addIssue({ ...issue, input: undefined });
    return z.NEVER;
  }
  return { known: true as const, event: result.data };
});

const wireFullSession = wireSessionSummary.extend({
  // Absent events are read as an empty history rather than a broken response.
  events: z.array(wireEvent).nullish(),
});

type WireSessionSummary = z.output<typeof wireSessionSummary>;
type WireSessionList = z.output<typeof wireSessionList>;
type WireEvent = z.output<typeof wireEvent>;
type WireFullSession = z.output<typeof wireFullSession>;

type WireJobMetadata = NonNullable<WireSessionSummary['job_metadata']>;

function toJobMetadata(w: WireJobMetadata): ChatJobMetadata {
  return {
    durationMs: w.duration_ms,
    error: w.error ?? null,
    exportConfigIds: w.export_config_ids ?? null,
    isError: w.is_error,
    totalInputTokens: w.total_input_tokens ?? null,
    totalOutputTokens: w.total_output_tokens ?? null,
    turns: w.turns,
  };
}

function toChatSession(w: WireSessionSummary, scope: Scope): ChatSession {
  return {
    sessionId: w.session_id,
    lastUpdatedAt: w.last_updated_at,
    generatedTitle: w.generated_title ?? null,
    indexIds: w.index_ids ?? null,
    jobMetadata: w.job_metadata ? toJobMetadata(w.job_metadata) : null,
    sharedAccess: w.shared_access ?? null,
    scope,
  };
}

function toChatSessionPage(w: WireSessionList, scope: Scope): ChatSessionPage {
  return {
    items: w.items.map((item) => toChatSession(item, scope)),
    // The official SDKs stop on an empty token too.
    nextPageToken: w.next_page_token ? w.next_page_token : null,
  };
}

function toChatEvent(w: WireEvent): ChatEvent {
  if (!w.known) return { type: w.raw.type, unknown: true, data: w.raw };
  const e = w.event;
  switch (e.type) {
    case 'tool_call':
      return { type: e.type, callId: e.call_id, name: e.name, arguments: e.arguments ?? null };
    case 'tool_result':
      return {
        type: e.type,
        callId: e.call_id,
        name: e.name,
        result: e.result ?? null,
        imageAttachment: e.image_attachment
          ? {
              attachmentName: e.image_attachment.attachment_name,
              sourceId: e.image_attachment.source_id,
            }
          : null,
      };
    case 'stop':
      return {
        type: e.type,
        error: e.error ?? null,
        isError: e.is_error,
        usage: e.usage
          ? {
              durationMs: e.usage.duration_ms,
              totalInputTokens: e.usage.total_input_tokens ?? null,
              totalOutputTokens: e.usage.total_output_tokens ?? null,
              turns: e.usage.turns,
            }
          : null,
        skippedIndexIds: e.skipped_index_ids ?? null,
      };
    default:
      return { type: e.type, content: e.content };
  }
}

function toFullChatSession(w: WireFullSession, scope: Scope): FullChatSession {
  return { session: toChatSession(w, scope), events: (w.events ?? []).map(toChatEvent) };
}

/** What decoding gave: the domain value, or the first issue as UPSTREAM_BAD_RESPONSE names it. */
export type Outcome<T> = { ok: T } | { reason: string; path: string };

function decode<S extends z.ZodType, T>(
  schema: S,
  body: unknown,
  map: (w: z.output<S>) => T,
  at: readonly PropertyKey[] = [],
): Outcome<T> {
  const result = schema.safeParse(body);
  if (result.success) return { ok: map(result.data) };
  const issue = result.error.issues[0];
  return {
    reason: issue?.message ?? 'unexpected shape',
    path: formatPath([...at, ...(issue?.path ?? [])]),
  };
}

export const oracle = {
  sessionPage: (body: unknown, scope: Scope) =>
    decode(wireSessionList, body, (w) => toChatSessionPage(w, scope)),
  session: (body: unknown, scope: Scope) =>
    decode(wireSessionSummary, body, (w) => toChatSession(w, scope)),
  fullSession: (body: unknown, scope: Scope) =>
    decode(wireFullSession, body, (w) => toFullChatSession(w, scope)),
  event: (body: unknown, at: readonly PropertyKey[] = []) =>
    decode(wireEvent, body, toChatEvent, at),
};
