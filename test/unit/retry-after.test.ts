import { describe, expect, it } from 'vitest';
import { errorDetail, parseRetryAfter } from '../../src/upstream/client.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-04-22T12:00:00Z');

  it.each([
    [{ 'retry-after': '3' }, 3_000],
    [{ 'retry-after': '0' }, 0],
    [{ 'retry-after': '1.5' }, 1_500],
    [{ 'retry-after': '3600' }, 3_600_000],
    [{ 'retry-after-ms': '250' }, 250],
    [{ 'retry-after-ms': '250', 'retry-after': '9' }, 250],
    [{ 'retry-after-ms': 'soon', 'retry-after': '9' }, 9_000],
    [{ 'retry-after': 'Wed, 22 Apr 2026 12:00:30 GMT' }, 30_000],
    [{ 'retry-after': 'Wed, 22 Apr 2026 11:00:00 GMT' }, 0],
    [{ 'retry-after': ['2', '7'] }, 2_000],
  ])('%j -> %d ms', (headers, ms) => {
    expect(parseRetryAfter(headers, now)).toBe(ms);
  });

  it.each([{}, { 'retry-after': '' }, { 'retry-after': 'later' }, { 'retry-after': '-5' }])(
    '%j -> undefined',
    (headers) => {
      expect(parseRetryAfter(headers, now)).toBeUndefined();
    },
  );
});

describe('errorDetail', () => {
  it('passes a string detail on', () => {
    expect(errorDetail('{"detail":"page_size too large"}')).toEqual({
      detail: 'page_size too large',
    });
  });

  it('flattens FastAPI validation errors', () => {
    const body = JSON.stringify({
      detail: [
        { loc: ['query', 'project_id'], msg: 'Input should be a valid UUID' },
        { loc: ['query', 'page_size'], msg: 'Input should be > 0' },
      ],
    });
    expect(errorDetail(body).detail).toBe(
      'query.project_id: Input should be a valid UUID; query.page_size: Input should be > 0',
    );
  });

  it('redacts the credential and control characters, truncates', () => {
    const body = JSON.stringify({ detail: `bad key llx-secret\n\u0007${'y'.repeat(1000)}` });
    const { detail } = errorDetail(body, 'llx-secret');
    expect(detail).toMatch(/^bad key \[redacted\] y+…$/);
    expect(detail!.length).toBe(301);
  });

  it.each(['', '<html>oops</html>', '{"error":"x"}', '{"detail":""}', 'null', '[1]'])(
    'nothing from %j',
    (body) => {
      expect(errorDetail(body)).toEqual({});
    },
  );
});
