/**
 * Upstream timestamps are ISO-8601 without a UTC offset ("2026-04-22T12:34:41.342245"), which
 * the API means as UTC. A JS Date keeps only milliseconds, so we rewrite the string instead of
 * round-tripping through Date: the fractional digits survive untouched.
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/i;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** Returns RFC 3339 UTC ("…Z"), or null when the input is not an ISO-8601 date-time. */
export function toRfc3339Utc(value: string): string | null {
  const m = ISO.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction = '', offset = 'Z'] = m as unknown as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  // Already UTC (the upstream's case, on every item of every page): no Date arithmetic.
  if (offset === 'Z' || offset === 'z') return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}Z`;

  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0-99 to 1900-1999
  date.setUTCHours(Number(h), Number(mi) - sign * offsetMinutes, Number(s));
  return `${date.toISOString().slice(0, 19)}${fraction}Z`;
}
