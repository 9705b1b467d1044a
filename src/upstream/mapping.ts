/** Wire (snake_case) -> domain (camelCase). The only place that knows both shapes. */
import type { ChatJobMetadata, ChatSession, ChatSessionPage } from '../domain.js';
import type { WireSessionList, WireSessionSummary } from './wire.js';

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

export function toChatSession(w: WireSessionSummary): ChatSession {
  return {
    sessionId: w.session_id,
    lastUpdatedAt: w.last_updated_at,
    generatedTitle: w.generated_title ?? null,
    indexIds: w.index_ids ?? null,
    jobMetadata: w.job_metadata ? toJobMetadata(w.job_metadata) : null,
  };
}

export function toChatSessionPage(w: WireSessionList): ChatSessionPage {
  return {
    items: w.items.map(toChatSession),
    // The official SDKs stop on an empty token too.
    nextPageToken: w.next_page_token ? w.next_page_token : null,
  };
}
