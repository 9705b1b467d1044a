/**
 * Wire shapes of the LlamaCloud Chat API (snake_case, as documented in
 * docs/llamacloud-chat-api.md): what a valid answer looks like once ./mapping.ts has checked it
 * (there, unknown extra fields are ignored, and `last_updated_at` is normalised to RFC 3339 UTC).
 * Types only: the checks live in ./mapping.ts.
 */

export interface WireJobMetadata {
  duration_ms: number;
  error?: string | null | undefined;
  export_config_ids?: string[] | null | undefined;
  is_error: boolean;
  /** int64; exact within ±(2^53 - 1), refused beyond. */
  total_input_tokens?: number | null | undefined;
  total_output_tokens?: number | null | undefined;
  turns: number;
}

export interface WireSessionSummary {
  /** Never empty. */
  session_id: string;
  /** ISO-8601; without an offset it means UTC (./timestamps.ts). */
  last_updated_at: string;
  generated_title?: string | null | undefined;
  index_ids?: string[] | null | undefined;
  job_metadata?: WireJobMetadata | null | undefined;
  /** Newer API versions only: what the session's share link allows. */
  shared_access?: 'query' | 'read_only' | null | undefined;
}

export interface WireSessionList {
  items: WireSessionSummary[];
  next_page_token?: string | null | undefined;
}

/**
 * One event of `GET /api/v1/chat/{session_id}` or of a streamed turn. The eight documented types
 * have these shapes; any other `type` is passed on whole.
 */
export type WireEvent =
  | { type: 'user_input' | 'thinking_delta' | 'thinking' | 'text_delta' | 'text'; content: string }
  /** `arguments` is documented as an object; any JSON is kept, but the key must be there. */
  | { type: 'tool_call'; call_id: string; name: string; arguments: unknown }
  | {
      type: 'tool_result';
      call_id: string;
      name: string;
      result: unknown;
      image_attachment?: { attachment_name: string; source_id: string } | null | undefined;
    }
  | {
      type: 'stop';
      error?: string | null | undefined;
      is_error: boolean;
      usage?: Omit<WireJobMetadata, 'error' | 'export_config_ids' | 'is_error'> | null | undefined;
      /** Newer API versions only: indexes the turn could not use. */
      skipped_index_ids?: string[] | null | undefined;
    };

export interface WireFullSession extends WireSessionSummary {
  /** Absent events are read as an empty history rather than a broken response. */
  events?: WireEvent[] | null | undefined;
}

/** `items[3].session_id` from ['items', 3, 'session_id']. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}
