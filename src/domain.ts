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

export interface ChatSession {
  sessionId: string;
  /** RFC 3339 in UTC, with the upstream's fractional seconds kept (e.g. microseconds). */
  lastUpdatedAt: string;
  generatedTitle: string | null;
  indexIds: string[] | null;
  jobMetadata: ChatJobMetadata | null;
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
