/**
 * Wire (snake_case JSON, unchecked) -> domain (camelCase, validated): the only place that knows
 * both shapes. The wire shapes are documented in ./wire.ts and docs/llamacloud-chat-api.md.
 *
 * Hand-written rather than a schema library: one pass per item validates a field, normalises
 * its timestamp and writes the domain field, with no intermediate snake_case object and no
 * generic schema walk (zod was 4–7 % of a list request's samples in the profiles of
 * bench/README.md). A compiled validator (ajv) would still need a second pass to map and
 * normalise, and its error messages and order differ from the ones clients already see. The
 * contract kept here (the zod schemas this replaced are the oracle in
 * test/support/wire-schema.ts; test/unit/mapping.property.test.ts compares the two on
 * generated inputs):
 *  - accepted: what those schemas accept (nullish optional fields, integers within the safe
 *    range, a non-empty `session_id`, the `shared_access` values); extra fields are ignored;
 *  - rejected: the first failing field in document order (fields in the order below, items in
 *    index order), as UPSTREAM_BAD_RESPONSE with zod's message for it and its path, e.g.
 *    `items[3].session_id` (docs/architecture.md, "Errors").
 */
import type {
  ChatEvent,
  ChatJobMetadata,
  ChatSession,
  ChatSessionPage,
  ChatUsage,
  FullChatSession,
  Scope,
} from '../domain.js';
import { UpstreamError } from './errors.js';
import { toRfc3339Utc } from './timestamps.js';
import { formatPath } from './wire.js';

type Json = Record<string, unknown>;

/** The first bad field: its message and its path inside the value being decoded. */
class WireIssue {
  constructor(
    readonly reason: string,
    readonly path: PropertyKey[] = [],
  ) {}
}

/** `error` from inside `keys` (an item, a nested object): its path gets them in front. */
function within(error: unknown, ...keys: PropertyKey[]): unknown {
  if (error instanceof WireIssue) error.path.unshift(...keys);
  return error;
}

function badResponse(error: unknown, at: readonly PropertyKey[]): unknown {
  if (!(error instanceof WireIssue)) return error;
  return new UpstreamError({
    kind: 'bad_response',
    reason: error.reason,
    path: formatPath([...at, ...error.path]),
  });
}

/** `GET /api/v1/chat`: one page of the list. */
export function decodeSessionPage(body: unknown, scope: Scope): ChatSessionPage {
  try {
    const w = object(body);
    const items = w.items;
    if (!Array.isArray(items)) throw new WireIssue(expected('array', items), ['items']);
    const out: ChatSession[] = new Array<ChatSession>(items.length);
    let i = 0;
    try {
      for (; i < items.length; i++) out[i] = session(items[i], scope);
    } catch (error) {
      throw within(error, 'items', i);
    }
    const token = field(nullishString, w, 'next_page_token');
    // The official SDKs stop on an empty token too.
    return { items: out, nextPageToken: token ? token : null };
  } catch (error) {
    throw badResponse(error, []);
  }
}

/** `GET /api/v1/chat/{session_id}/summary` and the answer of `POST /api/v1/chat`. */
export function decodeSession(body: unknown, scope: Scope): ChatSession {
  try {
    return session(body, scope);
  } catch (error) {
    throw badResponse(error, []);
  }
}

/** `GET /api/v1/chat/{session_id}`: the summary plus its events (absent events: none). */
export function decodeFullSession(body: unknown, scope: Scope): FullChatSession {
  try {
    const summary = session(body, scope);
    const raw = (body as Json).events;
    if (raw === undefined || raw === null) return { session: summary, events: [] };
    if (!Array.isArray(raw)) throw new WireIssue(expected('array', raw), ['events']);
    const events: ChatEvent[] = new Array<ChatEvent>(raw.length);
    let i = 0;
    try {
      for (; i < raw.length; i++) events[i] = event(raw[i]);
    } catch (error) {
      throw within(error, 'events', i);
    }
    return { session: summary, events };
  } catch (error) {
    throw badResponse(error, []);
  }
}

/**
 * One event, of a full session or of a streamed turn; a bad one is named under `at`
 * (`stream[4].content`). A known type must have its documented shape; an unknown type is kept
 * whole (`unknown: true`), so a new upstream event type never fails a query.
 */
export function decodeEvent(value: unknown, at: readonly PropertyKey[] = []): ChatEvent {
  try {
    return event(value);
  } catch (error) {
    throw badResponse(error, at);
  }
}

function session(value: unknown, scope: Scope): ChatSession {
  const w = object(value);
  const sessionId = w.session_id;
  if (typeof sessionId !== 'string') {
    throw new WireIssue(expected('string', sessionId), ['session_id']);
  }
  if (sessionId.length < 1) {
    throw new WireIssue('Too small: expected string to have >=1 characters', ['session_id']);
  }
  const lastUpdatedAt = field(timestamp, w, 'last_updated_at');
  const generatedTitle = field(nullishString, w, 'generated_title');
  const indexIds = field(nullishStringList, w, 'index_ids');
  const meta = w.job_metadata;
  let jobMetadata: ChatJobMetadata | null = null;
  if (meta !== undefined && meta !== null) {
    try {
      jobMetadata = jobMetadataOf(meta);
    } catch (error) {
      throw within(error, 'job_metadata');
    }
  }
  const sharedAccess = w.shared_access;
  if (
    sharedAccess !== undefined &&
    sharedAccess !== null &&
    sharedAccess !== 'query' &&
    sharedAccess !== 'read_only'
  ) {
    throw new WireIssue('Invalid option: expected one of "query"|"read_only"', ['shared_access']);
  }
  return {
    sessionId,
    lastUpdatedAt,
    generatedTitle,
    indexIds,
    jobMetadata,
    sharedAccess: sharedAccess ?? null,
    scope,
  };
}

function jobMetadataOf(value: unknown): ChatJobMetadata {
  const w = object(value);
  return {
    durationMs: field(number, w, 'duration_ms'),
    error: field(nullishString, w, 'error'),
    exportConfigIds: field(nullishStringList, w, 'export_config_ids'),
    isError: field(boolean, w, 'is_error'),
    totalInputTokens: field(nullishInt64, w, 'total_input_tokens'),
    totalOutputTokens: field(nullishInt64, w, 'total_output_tokens'),
    turns: field(int64, w, 'turns'),
  };
}

function usageOf(value: unknown): ChatUsage {
  const w = object(value);
  return {
    durationMs: field(number, w, 'duration_ms'),
    totalInputTokens: field(nullishInt64, w, 'total_input_tokens'),
    totalOutputTokens: field(nullishInt64, w, 'total_output_tokens'),
    turns: field(int64, w, 'turns'),
  };
}

function event(value: unknown): ChatEvent {
  const w = object(value);
  const type = w.type;
  if (typeof type !== 'string') throw new WireIssue(expected('string', type), ['type']);
  switch (type) {
    case 'user_input':
    case 'thinking_delta':
    case 'thinking':
    case 'text_delta':
    case 'text':
      return { type, content: field(string, w, 'content') };
    case 'tool_call': {
      const callId = field(string, w, 'call_id');
      const name = field(string, w, 'name');
      // Documented as an object; any JSON is kept, so a string of JSON does not fail the
      // session. The key itself must be there (null is fine).
      if (!('arguments' in w)) throw new WireIssue(NONOPTIONAL, ['arguments']);
      return { type, callId, name, arguments: w.arguments ?? null };
    }
    case 'tool_result': {
      const callId = field(string, w, 'call_id');
      const name = field(string, w, 'name');
      if (!('result' in w)) throw new WireIssue(NONOPTIONAL, ['result']);
      const image = w.image_attachment;
      let imageAttachment = null;
      if (image !== undefined && image !== null) {
        const a = object(image, 'image_attachment');
        imageAttachment = {
          attachmentName: field(string, a, 'attachment_name', 'image_attachment'),
          sourceId: field(string, a, 'source_id', 'image_attachment'),
        };
      }
      return { type, callId, name, result: w.result ?? null, imageAttachment };
    }
    case 'stop': {
      const error = field(nullishString, w, 'error');
      const isError = field(boolean, w, 'is_error');
      const raw = w.usage;
      let usage: ChatUsage | null = null;
      if (raw !== undefined && raw !== null) {
        try {
          usage = usageOf(raw);
        } catch (e) {
          throw within(e, 'usage');
        }
      }
      const skippedIndexIds = field(nullishStringList, w, 'skipped_index_ids');
      return { type, error, isError, usage, skippedIndexIds };
    }
    default: {
      // Kept whole: `type` first, then the other fields as sent (the oracle's order,
      // test/support/wire-schema.ts), never an own `__proto__` (it would replace the copy's
      // prototype).
      const data: Json = { type };
      for (const key in w) {
        if (key !== 'type' && key !== '__proto__') data[key] = w[key];
      }
      return { type, unknown: true, data };
    }
  }
}

// --- one field: a check that returns the domain value or throws a WireIssue without a path ---

type Check<T> = (value: unknown) => T;

/** `w[key]` through `check`; a failure is named `key` (under `parent` when given). */
function field<T>(check: Check<T>, w: Json, key: string, parent?: string): T {
  try {
    return check(w[key]);
  } catch (error) {
    throw parent === undefined ? within(error, key) : within(error, parent, key);
  }
}

const NONOPTIONAL = 'Invalid input: expected nonoptional, received undefined';

/** The oracle's (zod's) wording, which clients already see in UPSTREAM_BAD_RESPONSE messages. */
function expected(type: string, value: unknown): string {
  return `Invalid input: expected ${type}, received ${received(value)}`;
}

function received(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  // JSON.parse reads 1e400 as Infinity.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function object(value: unknown, parent?: string): Json {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
  throw new WireIssue(expected('object', value), parent === undefined ? [] : [parent]);
}

const string: Check<string> = (value) => {
  if (typeof value === 'string') return value;
  throw new WireIssue(expected('string', value));
};

const nullishString: Check<string | null> = (value) =>
  value === undefined || value === null ? null : string(value);

const nullishStringList: Check<string[] | null> = (value) => {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new WireIssue(expected('array', value));
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') throw new WireIssue(expected('string', value[i]), [i]);
  }
  // Read-only from here on: the parsed array itself, no copy.
  return value as string[];
};

const boolean: Check<boolean> = (value) => {
  if (typeof value === 'boolean') return value;
  throw new WireIssue(expected('boolean', value));
};

const number: Check<number> = (value) => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new WireIssue(expected('number', value));
};

/** int64 on the wire; exact only within ±(2^53 - 1), so anything beyond is refused. */
const int64: Check<number> = (value) => {
  const n = number(value);
  if (Number.isSafeInteger(n)) return n;
  if (!Number.isInteger(n)) throw new WireIssue(expected('int', n));
  throw new WireIssue(
    n > 0
      ? `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`
      : `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`,
  );
};

const nullishInt64: Check<number | null> = (value) =>
  value === undefined || value === null ? null : int64(value);

const timestamp: Check<string> = (value) => {
  const normalised = toRfc3339Utc(string(value));
  if (normalised === null) throw new WireIssue('not an ISO-8601 date-time');
  return normalised;
};
