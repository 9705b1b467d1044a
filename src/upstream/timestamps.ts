/**
 * Upstream timestamps are ISO-8601 without a UTC offset ("2026-04-22T12:34:41.342245"), which
 * the API means as UTC. A JS Date keeps only milliseconds, so we rewrite the string instead of
 * round-tripping through Date: the fractional digits survive untouched.
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Returns RFC 3339 UTC ("…Z"), or null when the input is not an ISO-8601 date-time. */
export function toRfc3339Utc(value: string): string | null {
  const m = ISO.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction = '', offset = 'Z'] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [year, month, day, hour, minute, second] = fields;
  let millis = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(millis);
  // Reject impossible dates (Date.UTC silently rolls 2026-02-31 over to March).
  if (
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return null;
  }
  if (offset.toUpperCase() !== 'Z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    millis -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return `${new Date(millis).toISOString().slice(0, 19)}${fraction}Z`;
}
