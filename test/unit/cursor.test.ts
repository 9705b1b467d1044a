import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, InvalidCursorError } from '../../src/pagination/cursor.js';

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
    ['empty', ''],
    ['garbage', 'not a cursor!'],
    ['non-canonical base64', `${valid}=`],
    ['truncated', valid.slice(0, -3)],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['JSON of the wrong shape', json({ t: 'tok', o: 2 })],
    ['a future version', json([3, 'tok', 2, 'x', 'y'])],
    ['a version-1 cursor', json([1, 'tok', 2, 'x', 'y'])],
    ['huge', 'A'.repeat(20_000)],
  ])('rejects a %s cursor', (_name, cursor) => {
    expect(() => decodeCursor(cursor, project)).toThrow(InvalidCursorError);
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

  it('rejects a re-signed cursor whose offset is out of range', () => {
    // Even with a correct checksum, a negative offset must not pass.
    const forged = encodeCursor({ t: 'tok', o: -1 }, project);
    expect(() => decodeCursor(forged, project)).toThrow(InvalidCursorError);
  });
});
