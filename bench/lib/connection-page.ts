/**
 * The `chatSessions(first: 20)` answer built by hand from an upstream page, field for field in
 * the order of the bench's `connection` query, with the gateway's own cursor and timestamp
 * helpers: what the floors (`bench/proxy.ts`, `bench/yoga-floor.ts`) answer, byte-identical to the
 * gateway once serialised (the bench checks it).
 */
import { encodeCursor } from '../../src/pagination/cursor.js';
import type { CursorPosition } from '../../src/pagination/cursor.js';
import { toRfc3339Utc } from '../../src/upstream/timestamps.js';
import type { WireSessionList } from '../../src/upstream/wire.js';

const scope = {};

/** The connection object (`data.chatSessions`) of one upstream page, read from the start. */
export function connectionOf(list: WireSessionList) {
  const next = list.next_page_token ? list.next_page_token : null;
  const items = list.items;
  const edges = items.map((s, i) => {
    const after: CursorPosition =
      i === items.length - 1 && next !== null ? { t: next, o: 0 } : { t: null, o: i + 1 };
    const job = s.job_metadata;
    return {
      cursor: encodeCursor(after, scope),
      node: {
        sessionId: s.session_id,
        lastUpdatedAt: toRfc3339Utc(s.last_updated_at),
        generatedTitle: s.generated_title ?? null,
        indexIds: s.index_ids ?? null,
        jobMetadata: job
          ? {
              durationMs: job.duration_ms,
              error: job.error ?? null,
              exportConfigIds: job.export_config_ids ?? null,
              isError: job.is_error,
              totalInputTokens: job.total_input_tokens ?? null,
              totalOutputTokens: job.total_output_tokens ?? null,
              turns: job.turns,
            }
          : null,
      },
    };
  });
  return {
    edges,
    pageInfo: {
      hasNextPage: next !== null,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
