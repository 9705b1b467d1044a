/**
 * Property: the hand-written wire decoder (src/upstream/mapping.ts) and the zod schemas plus
 * mapping it replaced (test/support/wire-schema.ts) agree on every near-valid answer: the same
 * inputs accepted, the same domain values out (timestamps normalised, nullish fields null), and
 * for a rejected one the same first issue, message and path (`items[3].session_id`), which
 * clients see in UPSTREAM_BAD_RESPONSE.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scope } from '../../src/domain.js';
import { UpstreamError } from '../../src/upstream/errors.js';
import {
  decodeEvent,
  decodeFullSession,
  decodeSession,
  decodeSessionPage,
} from '../../src/upstream/mapping.js';
import { oracle } from '../support/wire-schema.js';
import type { Outcome } from '../support/wire-schema.js';

/** A key generated with this value is left out of its object. */
const ABSENT = Symbol('absent');

/** What a field may hold instead of a valid value: every JSON type, the edges of each check. */
const odd = fc.constantFrom<unknown>(
  ABSENT,
  null,
  '',
  'x',
  'query',
  'read_only',
  '2026-04-22T12:34:41.342245',
  0,
  -0,
  1,
  1.5,
  -3,
  2 ** 53 - 1,
  2 ** 53,
  -(2 ** 53) + 1,
  -(2 ** 53),
  1e300,
  -1e300,
  Infinity, // JSON.parse reads 1e400 so
  -Infinity,
  true,
  false,
  [],
  ['a'],
  ['a', 1],
  [null],
  {},
  { a: 1 },
);

/** Mostly `valid`, sometimes anything else: most answers are valid, many have one bad field. */
const maybe = <T>(valid: fc.Arbitrary<T>, weight = 30): fc.Arbitrary<unknown> =>
  fc.oneof({ weight, arbitrary: valid }, { weight: 1, arbitrary: odd });

const nullish = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: valid }, fc.constant(null), fc.constant(ABSENT));

/** The generated record as an object: ABSENT keys left out, maybe an extra field (ignored). */
function build(fields: Record<string, unknown>, extra: [string, unknown] | null): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== ABSENT) out[key] = value;
  if (extra) out[extra[0]] = extra[1];
  return out;
}

const extraField = fc.option(
  fc.tuple(fc.constantFrom('extra', 'sessionId', 'metadata', 'type2'), fc.jsonValue()),
);

const object = (model: Record<string, fc.Arbitrary<unknown>>) =>
  fc.tuple(fc.record(model), extraField).map(([fields, extra]) => build(fields, extra));

const text = fc.string({ maxLength: 6 });
const stringList = fc.array(text, { maxLength: 3 });
const int = fc.oneof(fc.integer({ min: -5, max: 1_000_000 }), fc.maxSafeInteger());
const duration = fc.oneof(int, fc.double({ noNaN: true, noDefaultInfinity: true }));

const timestamp = fc.oneof(
  fc
    .tuple(
      fc.date({
        min: new Date('0001-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      }),
      fc.constantFrom('', '.1', '.342245', '.123456789'),
      fc.constantFrom('', 'Z', 'z', '+02:00', '-0530', '+00:00'),
      fc.constantFrom('T', ' '),
    )
    .map(([d, fraction, offset, sep]) => {
      const iso = d.toISOString(); // 2026-04-22T12:34:41.342Z
      return `${iso.slice(0, 10)}${sep}${iso.slice(11, 19)}${fraction}${offset}`;
    }),
  fc.constantFrom(
    'yesterday',
    '2026-02-29T00:00:00',
    '2024-02-29T00:00:00',
    '2026-04-31T00:00:00',
    '2026-01-01T24:00:00',
    '2026-01-01T00:60:00',
    '2026-01-01',
    '2026-01-01T00:00:00.',
    '2026-01-01T00:00:00.1234567890',
  ),
);

const jobMetadata = object({
  duration_ms: maybe(duration),
  error: maybe(nullish(text)),
  export_config_ids: maybe(nullish(stringList)),
  is_error: maybe(fc.boolean()),
  total_input_tokens: maybe(nullish(int)),
  total_output_tokens: maybe(nullish(int)),
  turns: maybe(int),
});

const summaryFields = {
  session_id: maybe(fc.string({ minLength: 1, maxLength: 8 })),
  last_updated_at: maybe(timestamp),
  generated_title: maybe(nullish(text)),
  index_ids: maybe(nullish(stringList)),
  job_metadata: maybe(nullish(jobMetadata)),
  shared_access: maybe(nullish(fc.constantFrom('query', 'read_only'))),
};
const summary = object(summaryFields);

const sessionList = object({
  items: maybe(fc.array(summary, { maxLength: 5 }), 60),
  next_page_token: maybe(nullish(fc.constantFrom('', 'next', 'token-2'))),
});

const contentType = fc.constantFrom(
  'user_input',
  'thinking_delta',
  'thinking',
  'text_delta',
  'text',
);
const event = fc.oneof(
  object({ type: maybe(contentType), content: maybe(text) }),
  object({
    type: maybe(fc.constant('tool_call')),
    call_id: maybe(text),
    name: maybe(text),
    arguments: maybe(fc.jsonValue({ maxDepth: 2 }), 8),
  }),
  object({
    type: maybe(fc.constant('tool_result')),
    call_id: maybe(text),
    name: maybe(text),
    result: maybe(fc.jsonValue({ maxDepth: 2 }), 8),
    image_attachment: maybe(
      nullish(object({ attachment_name: maybe(text), source_id: maybe(text) })),
    ),
  }),
  object({
    type: maybe(fc.constant('stop')),
    error: maybe(nullish(text)),
    is_error: maybe(fc.boolean()),
    usage: maybe(
      nullish(
        object({
          duration_ms: maybe(duration),
          total_input_tokens: maybe(nullish(int)),
          total_output_tokens: maybe(nullish(int)),
          turns: maybe(int),
        }),
      ),
    ),
    skipped_index_ids: maybe(nullish(stringList)),
  }),
  // Unknown types pass through whole: any fields, in any order.
  fc
    .tuple(fc.constantFrom('citation', 'status', 'x'), fc.dictionary(text, fc.jsonValue()))
    .map(([type, rest]) => ({ ...rest, type })),
  fc.constant(JSON.parse('{"a":1,"__proto__":{"x":1},"2":"two","type":"citation"}')),
  odd,
);

const fullSession = object({
  ...summaryFields,
  events: maybe(nullish(fc.array(event, { maxLength: 4 })), 60),
});

/** Anything at all at the root, now and then. */
const root = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 20, arbitrary: valid }, odd);

const scope: Scope = { projectId: 'p-1' };

function outcome<T>(decode: () => T): Outcome<T> {
  try {
    return { ok: decode() };
  } catch (error) {
    if (error instanceof UpstreamError && error.failure.kind === 'bad_response') {
      return { reason: error.failure.reason, path: error.failure.path ?? '(root)' };
    }
    throw error;
  }
}

/** Runs the property; both outcomes must be common, or the generator proves little. */
function agree<T>(
  input: fc.Arbitrary<unknown>,
  expected: (body: unknown) => Outcome<T>,
  actual: (body: unknown) => T,
) {
  let accepted = 0;
  let rejected = 0;
  fc.assert(
    fc.property(input, (body) => {
      const want = expected(body);
      expect(outcome(() => actual(body))).toStrictEqual(want);
      if ('ok' in want) accepted++;
      else rejected++;
    }),
    { numRuns: 3_000 },
  );
  expect(accepted).toBeGreaterThan(300);
  expect(rejected).toBeGreaterThan(300);
}

describe('the hand-written decoder agrees with the zod schemas it replaced', () => {
  it('a page of the list', () => {
    agree(
      root(sessionList),
      (body) => oracle.sessionPage(body, scope),
      (body) => decodeSessionPage(body, scope),
    );
  });

  it('a session summary', () => {
    agree(
      root(summary),
      (body) => oracle.session(body, scope),
      (body) => decodeSession(body, scope),
    );
  });

  it('a full session with its events', () => {
    agree(
      root(fullSession),
      (body) => oracle.fullSession(body, scope),
      (body) => decodeFullSession(body, scope),
    );
  });

  it('one event of a streamed turn', () => {
    agree(
      event,
      (body) => oracle.event(body, ['stream', 2]),
      (body) => decodeEvent(body, ['stream', 2]),
    );
  });
});
