/**
 * Opaque connection cursors (DESIGN.md, "Pagination").
 *
 * A cursor is base64url(JSON [version, t, o, f, c]):
 *   t  upstream page_token of the page holding the next item (null = first page)
 *   o  how many items of that page to skip
 *   f  fingerprint of the list arguments (projectId/organizationId): no replay with other ones
 *   c  checksum of the rest, so a mangled or hand-edited cursor is rejected, not half-trusted
 * It is not a secret: the upstream still authorises every call with the caller's credential.
 */
import { createHash } from 'node:crypto';
import type { Scope } from '../domain.js';

export interface CursorPosition {
  /** Upstream page token (null = the first page). */
  t: string | null;
  /** Items to skip in that page. */
  o: number;
}

const VERSION = 1;
const MAX_TOKEN_LENGTH = 4096;
const MAX_OFFSET = 100_000;

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const digest = (text: string, bytes: number) =>
  createHash('sha256').update(text).digest().subarray(0, bytes).toString('base64url');

export function scopeFingerprint(scope: Scope): string {
  return digest(`${scope.projectId ?? ''}\u0000${scope.organizationId ?? ''}`, 6);
}

export function encodeCursor(position: CursorPosition, scope: Scope): string {
  const body = [VERSION, position.t, position.o, scopeFingerprint(scope)];
  const json = JSON.stringify(body);
  return Buffer.from(JSON.stringify([...body, digest(json, 4)])).toString('base64url');
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
  if (c !== digest(JSON.stringify([version, t, o, f]), 4))
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
