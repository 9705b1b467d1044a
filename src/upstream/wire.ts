/**
 * Wire shapes of the LlamaCloud Chat API (snake_case, as documented in
 * shared/llamacloud-chat-api.md) and their validation. Unknown extra fields are ignored (stripped).
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
});

export const wireSessionList = z.object({
  items: z.array(wireSessionSummary),
  next_page_token: z.string().nullish(),
});

export type WireSessionSummary = z.output<typeof wireSessionSummary>;
export type WireSessionList = z.output<typeof wireSessionList>;

/** `items[3].session_id` from zod's ['items', 3, 'session_id']. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}
