/** Wire (snake_case) -> domain (camelCase). The only place that knows both shapes. */
import type {
  ChatEvent,
  ChatJobMetadata,
  ChatSession,
  ChatSessionPage,
  FullChatSession,
  Scope,
} from '../domain.js';
import type { WireEvent, WireFullSession, WireSessionList, WireSessionSummary } from './wire.js';

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

export function toChatSession(w: WireSessionSummary, scope: Scope): ChatSession {
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

export function toChatSessionPage(w: WireSessionList, scope: Scope): ChatSessionPage {
  return {
    items: w.items.map((item) => toChatSession(item, scope)),
    // The official SDKs stop on an empty token too.
    nextPageToken: w.next_page_token ? w.next_page_token : null,
  };
}

export function toChatEvent(w: WireEvent): ChatEvent {
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

export function toFullChatSession(w: WireFullSession, scope: Scope): FullChatSession {
  return { session: toChatSession(w, scope), events: (w.events ?? []).map(toChatEvent) };
}
