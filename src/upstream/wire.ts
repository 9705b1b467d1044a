/**
 * Wire shapes of the LlamaCloud Chat API (snake_case, as documented in
 * docs/llamacloud-chat-api.md) and their validation. Unknown extra fields are ignored (stripped).
 */
import { z } from 'zod';
import { toRfc3339Utc } from './timestamps.js';

const nullableStringList = z.array(z.string()).nullish();
const int64 = z.number().int();

export const wireJobMetadata = z.object({
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

export const wireSessionSummary = z.object({
  session_id: z.string().min(1),
  last_updated_at: timestamp,
  generated_title: z.string().nullish(),
  index_ids: nullableStringList,
  job_metadata: wireJobMetadata.nullish(),
  /** Newer API versions only: what the session's share link allows. */
  shared_access: z.enum(['query', 'read_only']).nullish(),
});

export const wireSessionList = z.object({
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
export const wireEvent = z.looseObject({ type: z.string() }).transform((event, ctx) => {
  if (!KNOWN_EVENT_TYPES.has(event.type)) return { known: false as const, raw: event };
  const result = knownEvent.safeParse(event);
  if (!result.success) {
    for (const issue of result.error.issues) ctx.addIssue({ ...issue, input: undefined });
    return z.NEVER;
  }
  return { known: true as const, event: result.data };
});

export const wireFullSession = wireSessionSummary.extend({
  // Absent events are read as an empty history rather than a broken response.
  events: z.array(wireEvent).nullish(),
});

export type WireSessionSummary = z.output<typeof wireSessionSummary>;
export type WireSessionList = z.output<typeof wireSessionList>;
export type WireEvent = z.output<typeof wireEvent>;
export type WireFullSession = z.output<typeof wireFullSession>;

/** `items[3].session_id` from zod's ['items', 3, 'session_id']. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}
