/**
 * Opaque connection cursors (docs/architecture.md, "Cursors").
 *
 * A cursor names a position: `t`, the upstream page_token of the page holding the next item
 * (null = first page), and `o`, how many items of that page to skip. It is bound to the list
 * arguments (projectId/organizationId) by a fingerprint, and carries a checksum so a mangled or
 * hand-edited cursor is rejected, not half-trusted. It is not a secret: the upstream still
 * authorises every call with the caller's credential.
 *
 * Version 3, the one issued, is plain URL-safe text, laid out so that every edge of a page
 * shares one prefix and adds only its offset (a page encodes one cursor per edge, so this sits
 * on the hot path, bench/README.md):
 *
 *   "3" · fingerprint (8) · base64url(UTF-8 of t; empty for null) · o (3) · checksum (6)
 *   \___________________ prefix, once per page token ___________/
 *
 * The checksum is 32-bit FNV-1a over every character before it, so the prefix's hash state is
 * kept and continued over the offset's three characters per edge. FNV-1a's steps are bijective
 * in its state, so any single-character change of the text always changes the checksum. The
 * offset (18 bits) and the checksum (32 bits) are written as base64url digits, most significant
 * first, from a table: `Number#toString(36)` cost ~20 times as much (bench/README.md).
 *
 * Version 2, base64url(JSON [2, t, o, f, c]), is still decoded: cursors issued before an upgrade
 * keep working. It is also still issued for the one token version 3 cannot carry (see
 * `cursorPrefix`). Version 1 (a SHA-256 checksum) is refused.
 */
import { hash } from 'node:crypto';
import type { Scope } from '../domain.js';

export interface CursorPosition {
  /** Upstream page token (null = the first page). */
  t: string | null;
  /** Items to skip in that page. */
  o: number;
}

const VERSION = '3';
const LEGACY_VERSION = 2;
const MAX_TOKEN_LENGTH = 4096;
const MAX_OFFSET = 100_000;
const FINGERPRINT_LENGTH = 8;
/** 3 base64url digits: up to 262,143, above MAX_OFFSET. */
const OFFSET_LENGTH = 3;
/** 32 bits: 6 base64url digits, the first holding the top 2 bits. */
const CHECKSUM_LENGTH = 6;
/** Version, fingerprint, the longest token's base64url (3 UTF-8 bytes per UTF-16 unit), tail. */
const MAX_CURSOR_LENGTH =
  1 +
  FINGERPRINT_LENGTH +
  Math.ceil((MAX_TOKEN_LENGTH * 3 * 4) / 3) +
  OFFSET_LENGTH +
  CHECKSUM_LENGTH;
const URL_SAFE = /^[A-Za-z0-9_-]+$/;
const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** A lone surrogate: UTF-8 cannot carry it (in `u` mode a well-formed pair is one code point). */
const LONE_SURROGATE = /\p{Surrogate}/u;
/**
 * Well-formed UTF-8 only, and every byte kept: without `ignoreBOM` the decoder drops a leading
 * U+FEFF, so a token starting with one would come back as another token (or as none).
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const digest = (text: string, bytes: number) =>
  hash('sha256', text, 'buffer').subarray(0, bytes).toString('base64url');

const FNV_OFFSET_BASIS = 0x811c9dc5;

/**
 * FNV-1a over the UTF-16 code units of `text`, continuing from `state`. The checksum only
 * catches mangled cursors (it is no secret, see above), so a fast non-cryptographic hash does.
 */
function fnv1a(text: string, state = FNV_OFFSET_BASIS): number {
  let h = state;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

function checksumText(h: number): string {
  return (
    DIGITS[(h >>> 30) & 3]! +
    DIGITS[(h >>> 24) & 63]! +
    DIGITS[(h >>> 18) & 63]! +
    DIGITS[(h >>> 12) & 63]! +
    DIGITS[(h >>> 6) & 63]! +
    DIGITS[h & 63]!
  );
}

const offsetText = (o: number) =>
  DIGITS[(o >>> 12) & 63]! + DIGITS[(o >>> 6) & 63]! + DIGITS[o & 63]!;

/** The offset a canonical 3-digit text stands for, or -1. */
function offsetValue(text: string): number {
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = DIGITS.indexOf(text[i]!);
    if (digit < 0) return -1;
    value = value * 64 + digit;
  }
  return value;
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

/** The part of a cursor shared by every position in one upstream page (one token, one scope). */
export interface CursorPrefix {
  readonly token: string | null;
  readonly fingerprint: string;
  /** The text before the offset; undefined when the token needs version 2. */
  readonly text: string | undefined;
  /** FNV-1a state after `text`. */
  readonly state: number;
}

export function cursorPrefix(token: string | null, scope: Scope): CursorPrefix {
  const fingerprint = scopeFingerprint(scope);
  // A token holding a lone surrogate would not survive UTF-8: it keeps the version-2 form,
  // whose JSON carries it exactly. Upstream tokens are ASCII in practice; this is for exactness.
  if (token !== null && LONE_SURROGATE.test(token)) {
    return { token, fingerprint, text: undefined, state: 0 };
  }
  const encoded = token === null ? '' : Buffer.from(token, 'utf8').toString('base64url');
  const text = `${VERSION}${fingerprint}${encoded}`;
  return { token, fingerprint, text, state: fnv1a(text) };
}

/** The cursor of `offset` in the prefix's page: O(digits) work on top of the shared prefix. */
export function prefixedCursor(prefix: CursorPrefix, offset: number): string {
  if (prefix.text === undefined) return encodeLegacy(prefix.token, offset, prefix.fingerprint);
  const digits = offsetText(offset);
  return `${prefix.text}${digits}${checksumText(fnv1a(digits, prefix.state))}`;
}

/** Expects 0 <= o <= MAX_OFFSET, as page assembly produces (others encode wrong offsets). */
export function encodeCursor(position: CursorPosition, scope: Scope): string {
  return prefixedCursor(cursorPrefix(position.t, scope), position.o);
}

/**
 * Encodes the cursors of one connection page: positions come in list order and share a few
 * page tokens, so the prefix of the last token seen is kept.
 */
export class PageCursors {
  readonly #scope: Scope;
  #prefix: CursorPrefix | undefined;

  constructor(scope: Scope) {
    this.#scope = scope;
  }

  encode(position: CursorPosition): string {
    let prefix = this.#prefix;
    if (prefix === undefined || prefix.token !== position.t) {
      prefix = cursorPrefix(position.t, this.#scope);
      this.#prefix = prefix;
    }
    return prefixedCursor(prefix, position.o);
  }
}

export function decodeCursor(cursor: string, scope: Scope): CursorPosition {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) {
    throw new InvalidCursorError('malformed cursor');
  }
  const lead = cursor[0]!;
  if (lead === VERSION) return decodeV3(cursor, scope);
  // base64url of JSON starts with "W" ("["): versions 1 and 2.
  if (lead === 'W') return decodeLegacy(cursor, scope);
  if (lead >= '0' && lead <= '9') throw new InvalidCursorError('unsupported cursor version');
  throw new InvalidCursorError('malformed cursor');
}

function decodeV3(cursor: string, scope: Scope): CursorPosition {
  const tail = cursor.length - OFFSET_LENGTH - CHECKSUM_LENGTH;
  if (tail < 1 + FINGERPRINT_LENGTH || !URL_SAFE.test(cursor)) {
    throw new InvalidCursorError('malformed cursor');
  }
  if (checksumText(fnv1a(cursor.slice(0, -CHECKSUM_LENGTH))) !== cursor.slice(-CHECKSUM_LENGTH)) {
    throw new InvalidCursorError('corrupted cursor');
  }
  // Past the checksum only a hand-made cursor can be wrong (the checksum is no secret).
  const o = offsetValue(cursor.slice(tail, tail + OFFSET_LENGTH));
  if (o < 0 || o > MAX_OFFSET) {
    throw new InvalidCursorError('malformed cursor');
  }
  const t = decodeToken(cursor.slice(1 + FINGERPRINT_LENGTH, tail));
  if (cursor.slice(1, 1 + FINGERPRINT_LENGTH) !== scopeFingerprint(scope)) {
    throw new InvalidCursorError('cursor belongs to a different projectId/organizationId');
  }
  return { t, o };
}

/** The token part of a version-3 cursor: canonical base64url of well-formed UTF-8, or empty. */
function decodeToken(encoded: string): string | null {
  if (encoded === '') return null;
  const bytes = Buffer.from(encoded, 'base64url');
  // Buffer.from ignores junk and stray bits; insist on the canonical spelling.
  if (bytes.toString('base64url') !== encoded) throw new InvalidCursorError('malformed cursor');
  let token: string;
  try {
    token = strictUtf8.decode(bytes);
  } catch {
    throw new InvalidCursorError('malformed cursor');
  }
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new InvalidCursorError('malformed cursor');
  }
  return token;
}

/** Version 2's checksum: FNV-1a as 7 base36 characters. */
const legacyChecksum = (json: string) => (fnv1a(json) >>> 0).toString(36).padStart(7, '0');

function encodeLegacy(t: string | null, o: number, fingerprint: string): string {
  const json = JSON.stringify([LEGACY_VERSION, t, o, fingerprint]);
  // Append the checksum (base64url: nothing to escape) rather than stringify the array again.
  return Buffer.from(`${json.slice(0, -1)},"${legacyChecksum(json)}"]`).toString('base64url');
}

/** Version 2 (and the refused version 1): base64url(JSON [version, t, o, f, c]). */
function decodeLegacy(cursor: string, scope: Scope): CursorPosition {
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
  if (version !== LEGACY_VERSION) throw new InvalidCursorError('unsupported cursor version');
  if (c !== legacyChecksum(JSON.stringify([version, t, o, f]))) {
    throw new InvalidCursorError('corrupted cursor');
  }
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
