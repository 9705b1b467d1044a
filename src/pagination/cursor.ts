/**
 * Opaque connection cursors (docs/architecture.md, "Cursors").
 *
 * A cursor is base64url(JSON [version, t, o, f, c]):
 *   t  upstream page_token of the page holding the next item (null = first page)
 *   o  how many items of that page to skip
 *   f  fingerprint of the list arguments (projectId/organizationId): no replay with other ones
 *   c  checksum of the rest, so a mangled or hand-edited cursor is rejected, not half-trusted
 * It is not a secret: the upstream still authorises every call with the caller's credential.
 */
import { hash } from 'node:crypto';
import type { Scope } from '../domain.js';

export interface CursorPosition {
  /** Upstream page token (null = the first page). */
  t: string | null;
  /** Items to skip in that page. */
  o: number;
}

/** 2: the checksum is FNV-1a (was a truncated SHA-256 in version 1). */
const VERSION = 2;
const MAX_TOKEN_LENGTH = 4096;
const MAX_OFFSET = 100_000;

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const digest = (text: string, bytes: number) =>
  hash('sha256', text, 'buffer').subarray(0, bytes).toString('base64url');

/**
 * The checksum only catches mangled cursors (it is no secret, see above), so a fast
 * non-cryptographic hash does: FNV-1a over the UTF-16 code units, as 7 base36 characters.
 * A page encodes one cursor per edge, so this sits on the hot path (bench/README.md).
 */
function checksum(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36).padStart(7, '0');
}

/** Fingerprints of recent scopes: every edge of a page shares one. Bounded; cleared when full. */
const fingerprints = new Map<string, string>();
const MAX_FINGERPRINTS = 1_000;

export function scopeFingerprint(scope: Scope): string {
  const key = `${scope.projectId ?? ''}\u0000${scope.organizationId ?? ''}`;
  let fingerprint = fingerprints.get(key);
  if (fingerprint === undefined) {
    if (fingerprints.size >= MAX_FINGERPRINTS) fingerprints.clear();
    fingerprint = digest(key, 6);
    fingerprints.set(key, fingerprint);
  }
  return fingerprint;
}

export function encodeCursor(position: CursorPosition, scope: Scope): string {
  const json = JSON.stringify([VERSION, position.t, position.o, scopeFingerprint(scope)]);
  // Append the checksum (base64url: nothing to escape) rather than stringify the array again.
  return Buffer.from(`${json.slice(0, -1)},"${checksum(json)}"]`).toString('base64url');
}

export function decodeCursor(cursor: string, scope: Scope): CursorPosition {
  if (cursor.length === 0 || cursor.length > MAX_TOKEN_LENGTH * 2) {
    throw new InvalidCursorError('malformed cursor');
  }
  const bytes = Buffer.from(cursor, 'base64url');
  // Buffer.from ignores junk characters; insist on the canonical spelling.
  if (bytes.toString('base64url') !== cursor) throw new InvalidCursorError('malformed cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidCursorError('malformed cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== 5)
    throw new InvalidCursorError('malformed cursor');
  const [version, t, o, f, c] = parsed as unknown[];
  if (version !== VERSION) throw new InvalidCursorError('unsupported cursor version');
  if (c !== checksum(JSON.stringify([version, t, o, f])))
    throw new InvalidCursorError('corrupted cursor');
  const validToken =
    t === null || (typeof t === 'string' && t.length > 0 && t.length <= MAX_TOKEN_LENGTH);
  if (!validToken || !Number.isSafeInteger(o) || (o as number) < 0 || (o as number) > MAX_OFFSET) {
    throw new InvalidCursorError('malformed cursor');
  }
  if (f !== scopeFingerprint(scope)) {
    throw new InvalidCursorError('cursor belongs to a different projectId/organizationId');
  }
  return { t: t as string | null, o: o as number };
}
