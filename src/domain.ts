/**
 * The gateway's own view of chat sessions: camelCase, validated, timestamps normalised to
 * RFC 3339 UTC. Produced from wire data only by src/upstream/mapping.ts.
 */

export interface ChatJobMetadata {
  durationMs: number;
  error: string | null;
  exportConfigIds: string[] | null;
  isError: boolean;
  /** int64 upstream; exact up to 2^53 - 1 (JSON numbers are doubles). */
  totalInputTokens: number | null;
  totalOutputTokens: number | null;
  turns: number;
}

/** `shared_access` of a session (newer API versions). */
export type ChatSharedAccess = 'query' | 'read_only';

export interface ChatSession {
  sessionId: string;
  /** RFC 3339 in UTC, with the upstream's fractional seconds kept (e.g. microseconds). */
  lastUpdatedAt: string;
  generatedTitle: string | null;
  indexIds: string[] | null;
  jobMetadata: ChatJobMetadata | null;
  /** What the session's share link allows; null when the upstream does not say (older versions). */
  sharedAccess: ChatSharedAccess | null;
  /**
   * The project/organization scope the session was read in. Later calls about this session
   * (its events) use the same scope, so they reach the same project.
   */
  scope: Scope;
}

/** One upstream page of `GET /api/v1/chat`. */
export interface ChatSessionPage {
  items: ChatSession[];
  /** `null` when this is the last page (missing, null and "" upstream all mean that). */
  nextPageToken: string | null;
}

/** Which project/organization a call is scoped to; both optional UUIDs. */
export interface Scope {
  projectId?: string | undefined;
  organizationId?: string | undefined;
}

/** Key of a single-session lookup: the session and the scope to look it up in. */
export interface SessionKey extends Scope {
  sessionId: string;
}

/** Usage figures of a `stop` event (same meaning as in ChatJobMetadata). */
export interface ChatUsage {
  durationMs: number;
  totalInputTokens: number | null;
  totalOutputTokens: number | null;
  turns: number;
}

export interface ChatImageAttachment {
  attachmentName: string;
  sourceId: string;
}

/** Event types whose only payload is `content`. */
export type ContentEventType = 'user_input' | 'thinking_delta' | 'thinking' | 'text_delta' | 'text';

export interface ContentChatEvent {
  type: ContentEventType;
  content: string;
}

export interface ToolCallChatEvent {
  type: 'tool_call';
  callId: string;
  name: string;
  /** Free-form JSON, documented as an object. */
  arguments: unknown;
}

export interface ToolResultChatEvent {
  type: 'tool_result';
  callId: string;
  name: string;
  /** Any JSON value, including null. */
  result: unknown;
  imageAttachment: ChatImageAttachment | null;
}

export interface StopChatEvent {
  type: 'stop';
  error: string | null;
  isError: boolean;
  usage: ChatUsage | null;
  /** Indexes the turn could not use; null when the upstream does not say (older versions). */
  skippedIndexIds: string[] | null;
}

/** An event type the upstream docs do not list: kept whole, so clients can still read it. */
export interface UnknownChatEvent {
  type: string;
  unknown: true;
  /** The event exactly as the upstream sent it. */
  data: Record<string, unknown>;
}

export type KnownChatEvent =
  ContentChatEvent | ToolCallChatEvent | ToolResultChatEvent | StopChatEvent;
export type ChatEvent = KnownChatEvent | UnknownChatEvent;

/** `GET /api/v1/chat/{session_id}`: the summary plus the ordered conversation history. */
export interface FullChatSession {
  session: ChatSession;
  events: ChatEvent[];
}
