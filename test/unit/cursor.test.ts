import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  PageCursors,
} from '../../src/pagination/cursor.js';

const project = { projectId: '3f0e8a52-6c1d-4b7a-9e2f-5a8c1d3b7e90' };
const other = { projectId: '9c2d4e6f-8a1b-4c3d-b5e7-f9a1c3e5b7d2' };

describe('cursor codec', () => {
  it.each([
    { t: null, o: 0 },
    { t: null, o: 17 },
    { t: 'next_page_token', o: 0 },
    { t: 'eyJvZmZzZXQiOjQwfQ==/+?&#', o: 3 },
    { t: 'ünïcödé 🔑', o: 99_999 },
  ])('round-trips %j', (position) => {
    const cursor = encodeCursor(position, project);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe, opaque
    expect(decodeCursor(cursor, project)).toEqual(position);
  });

  it('binds a cursor to its projectId/organizationId', () => {
    const cursor = encodeCursor({ t: 'x', o: 1 }, project);
    expect(() => decodeCursor(cursor, other)).toThrow(/different projectId/);
    expect(() =>
      decodeCursor(cursor, { ...project, organizationId: '0b7e2c1a-5d4f-4e8a-9c3b-2f1d6a8e4c70' }),
    ).toThrow(InvalidCursorError);
    expect(() => decodeCursor(cursor, {})).toThrow(InvalidCursorError);
  });

  const valid = encodeCursor({ t: 'tok', o: 2 }, project);
  const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['empty', '', 'malformed cursor'],
    ['garbage', 'not a cursor!', 'malformed cursor'],
    ['non-canonical base64', `${valid}=`, 'malformed cursor'],
    ['truncated', valid.slice(0, -3), 'corrupted cursor'],
    ['not JSON', Buffer.from('hello').toString('base64url'), 'malformed cursor'],
    ['JSON of the wrong shape', json({ t: 'tok', o: 2 }), 'malformed cursor'],
    ['a future version', json([3, 'tok', 2, 'x', 'y']), 'unsupported cursor version'],
    ['a version-1 cursor', json([1, 'tok', 2, 'x', 'y']), 'unsupported cursor version'],
    ['a version-4 text cursor', `4${valid.slice(1)}`, 'unsupported cursor version'],
    ['huge', 'A'.repeat(20_000), 'malformed cursor'],
  ])('rejects a %s cursor', (_name, cursor, message) => {
    expect(() => decodeCursor(cursor, project)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(cursor, project)).toThrow(message);
  });

  it('rejects every single-character tampering', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < valid.length; i++) {
      const replacement = alphabet[(alphabet.indexOf(valid[i]!) + 7) % alphabet.length]!;
      const tampered = valid.slice(0, i) + replacement + valid.slice(i + 1);
      let decoded: unknown = 'rejected';
      try {
        decoded = decodeCursor(tampered, project);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidCursorError);
      }
      expect(decoded).toBe('rejected');
    }
  });

  it('round-trips the longest token at the length bound', () => {
    // 4,096 UTF-16 units of 3 UTF-8 bytes each: the longest version-3 cursor.
    const position = { t: '€'.repeat(4096), o: 100_000 };
    const cursor = encodeCursor(position, project);
    expect(cursor).toHaveLength(16_402);
    expect(decodeCursor(cursor, project)).toEqual(position);
  });

  it('round-trips a page token that starts with U+FEFF (a UTF-8 decoder drops it by default)', () => {
    for (const t of ['\ufeff', '\ufeffnext', '\ufeff\ufeffx']) {
      const cursor = encodeCursor({ t, o: 4 }, project);
      expect(cursor.startsWith('3')).toBe(true);
      expect(decodeCursor(cursor, project)).toEqual({ t, o: 4 });
    }
  });

  it('rejects a re-signed cursor whose offset is out of range', () => {
    // Even with a correct checksum, a negative offset must not pass.
    const forged = encodeCursor({ t: 'tok', o: -1 }, project);
    expect(() => decodeCursor(forged, project)).toThrow(InvalidCursorError);
  });
});

/** Version-2 cursors as the gateway issued them before version 3 (commit 7ff5ef4). */
const ISSUED_AS_V2: Array<[string, { t: string | null; o: number }]> = [
  ['WzIsbnVsbCwwLCJsV3JLRjlTayIsIjF2Y2t5enYiXQ', { t: null, o: 0 }],
  ['WzIsbnVsbCwxNywibFdyS0Y5U2siLCIwZTFwcjg1Il0', { t: null, o: 17 }],
  ['WzIsIm5leHRfcGFnZV90b2tlbiIsMCwibFdyS0Y5U2siLCIwajFwanA3Il0', { t: 'next_page_token', o: 0 }],
  [
    'WzIsIsO8bsOvY8O2ZMOpIPCflJEiLDk5OTk5LCJsV3JLRjlTayIsIjBraXoyMTYiXQ',
    { t: 'ünïcödé 🔑', o: 99_999 },
  ],
];

describe('version-2 cursors issued before the upgrade', () => {
  it.each(ISSUED_AS_V2)('still decodes %s', (cursor, position) => {
    expect(decodeCursor(cursor, project)).toEqual(position);
  });

  it('still binds them to their projectId/organizationId and rejects them tampered', () => {
    const [cursor] = ISSUED_AS_V2[2]!;
    expect(() => decodeCursor(cursor, other)).toThrow(/different projectId/);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < cursor.length; i++) {
      const replacement = alphabet[(alphabet.indexOf(cursor[i]!) + 7) % alphabet.length]!;
      const tampered = cursor.slice(0, i) + replacement + cursor.slice(i + 1);
      expect(() => decodeCursor(tampered, project)).toThrow(InvalidCursorError);
    }
  });

  it('keeps issuing one for a page token UTF-8 cannot carry (a lone surrogate)', () => {
    const position = { t: 'tok\ud800en', o: 3 };
    const cursor = encodeCursor(position, project);
    expect(cursor.startsWith('W')).toBe(true);
    expect(decodeCursor(cursor, project)).toEqual(position);
  });
});

describe('version-3 cursors (property)', () => {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const uuid = fc.uuid().map((id) => id.toLowerCase());
  const scopeArb = fc.record({ projectId: uuid, organizationId: uuid }, { requiredKeys: [] });
  // Tokens of every kind: null, ASCII, any Unicode (lone surrogates included), up to the limit.
  const tokenArb = fc.option(
    fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      // Up to MAX_TOKEN_LENGTH UTF-16 units ('🔑' is two).
      fc.string({
        unit: fc.constantFrom('a', 'é', '🔑', '\udc00'),
        minLength: 2000,
        maxLength: 2048,
      }),
    ),
  );
  const positionArb = fc.record({ t: tokenArb, o: fc.integer({ min: 0, max: 100_000 }) });

  it('round-trips any position, URL-safe and bounded in length', () => {
    fc.assert(
      fc.property(positionArb, scopeArb, (position, scope) => {
        const cursor = encodeCursor(position, scope);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(cursor.length).toBeLessThanOrEqual(16_402);
        expect(decodeCursor(cursor, scope)).toEqual(position);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes a page of positions exactly as one by one', () => {
    fc.assert(
      fc.property(fc.array(positionArb, { maxLength: 30 }), scopeArb, (positions, scope) => {
        const page = new PageCursors(scope);
        for (const position of positions) {
          expect(page.encode(position)).toBe(encodeCursor(position, scope));
        }
      }),
    );
  });

  it('rejects every single-character mutation, or decodes it to the same position', () => {
    const shortToken = fc.option(fc.string({ minLength: 1, maxLength: 24 }));
    const shortPosition = fc.record({ t: shortToken, o: fc.integer({ min: 0, max: 100_000 }) });
    fc.assert(
      fc.property(shortPosition, scopeArb, (position, scope) => {
        const cursor = encodeCursor(position, scope);
        const wrong: string[] = [];
        for (let i = 0; i < cursor.length; i++) {
          // Every other character, URL-safe or not, at every index.
          for (const replacement of `${ALPHABET}=+/.~ `) {
            if (replacement === cursor[i]) continue;
            const mutated = cursor.slice(0, i) + replacement + cursor.slice(i + 1);
            try {
              const decoded = decodeCursor(mutated, scope);
              if (decoded.t !== position.t || decoded.o !== position.o) wrong.push(mutated);
            } catch (error) {
              if (!(error instanceof InvalidCursorError)) wrong.push(mutated);
            }
          }
        }
        expect(wrong).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('rejects a cursor of another projectId/organizationId', () => {
    fc.assert(
      fc.property(positionArb, scopeArb, scopeArb, (position, scope, foreign) => {
        fc.pre(
          (scope.projectId ?? '') !== (foreign.projectId ?? '') ||
            (scope.organizationId ?? '') !== (foreign.organizationId ?? ''),
        );
        const cursor = encodeCursor(position, scope);
        expect(() => decodeCursor(cursor, foreign)).toThrow(
          'cursor belongs to a different projectId/organizationId',
        );
      }),
      { numRuns: 200 },
    );
  });
});
