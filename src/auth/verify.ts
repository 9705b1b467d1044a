/**
 * Verifies callers' JWTs against the issuer's JWKS (AUTH_JWKS_URL). docs/architecture.md,
 * "Callers".
 *
 * Why jose and not @graphql-yoga/plugin-jwt (`useJWT` with `createRemoteJwksSigningKeyProvider`):
 *  - an unknown `kid` makes useJWT throw a plain Error ("Authentication is not available at the
 *    moment"), which the error boundary can only mask (500, "Unexpected error."), and logs the
 *    attacker's kid at error level; its refusals carry no `extensions.code`;
 *  - jwks-rsa caches keys one `kid` at a time for `cacheMaxAge`, so a key removed from the JWKS
 *    stays trusted until that cache expires; jose replaces the whole key set on each refetch;
 *  - it runs in Yoga's HTTP hooks, while graphql-ws must verify at `connection_init` and streams
 *    must end when the token expires: the verification is needed outside the plugin anyway.
 * jose's remote key set does what the rules ask: cached (CACHE_MAX_AGE_MS), refetched for an
 * unknown `kid` at most once per REFETCH_COOLDOWN_MS, keys selected by `kid` and `alg`.
 *
 * A caller sends the same token with many requests, and its signature check (ECDSA, RSA) was the
 * gateway's largest single per-request cost (bench/README.md, "Issue 14: the per-request
 * floor"), so verified tokens are remembered: see `VerifiedTokens`.
 */
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import type { AuthConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { CLOCK_TOLERANCE_SECONDS, projectsFromClaim } from './caller.js';
import type { Caller } from './caller.js';
import { CallerAuthError } from './errors.js';
import type { CallerAuthFailure } from './errors.js';

/**
 * Asymmetric algorithms only. `none` and HMAC (HS*) are refused before any key is looked up, so
 * a token signed with HS256 using the public key as its secret (the classic confusion attack)
 * never reaches a verification.
 */
export const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** An unknown `kid` refetches the JWKS at most this often (key rotation, rate-limited). */
export const REFETCH_COOLDOWN_MS = 5_000;
/** The JWKS is refetched when older than this, so removed keys stop being trusted. */
export const CACHE_MAX_AGE_MS = 10 * 60_000;
/** A JWKS fetch that takes longer fails the verification (keys_unavailable). */
export const JWKS_TIMEOUT_MS = 5_000;

/** A verified token is trusted without a new signature check for at most this long. */
export const VERIFIED_TOKEN_TTL_MS = 5 * 60_000;
/** Verified tokens remembered at once (the least recently used go first). */
export const MAX_VERIFIED_TOKENS = 10_000;
/** And at most this many characters of them, whatever their sizes (MAX_TOKEN_LENGTH each). */
const MAX_VERIFIED_TOKEN_CHARS = 8 * 1024 * 1024;

/** `Bearer <JWT>`: three base64url segments (the signature may be empty: `alg: none`). */
const BEARER_JWT = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;
/** Larger than any real token; refused before decoding. */
const MAX_TOKEN_LENGTH = 16 * 1024;

export interface CallerAuthenticator {
  /**
   * The caller of an `Authorization` value (`Bearer <JWT>`); throws CallerAuthError for a
   * missing, malformed or refused token.
   */
  authenticate(authorization: string | null | undefined): Promise<Caller>;
}

export function createCallerAuthenticator(
  auth: AuthConfig,
  logger?: Pick<Logger, 'warn'>,
): CallerAuthenticator {
  const keys = createRemoteJWKSet(new URL(auth.jwksUrl), {
    cooldownDuration: REFETCH_COOLDOWN_MS,
    cacheMaxAge: CACHE_MAX_AGE_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
  });
  const verified = new VerifiedTokens();

  /** The full check: signature against the JWKS, then the claims. Throws CallerAuthError. */
  async function verify(token: string): Promise<Caller> {
    let key: unknown;
    let result;
    try {
      result = await jwtVerify(
        token,
        async (header: JWTHeaderParameters) => (key = await keys(header)),
        {
          algorithms: [...ACCEPTED_ALGORITHMS],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'sub'],
          ...(auth.issuer !== undefined && { issuer: auth.issuer }),
          ...(auth.audience !== undefined && { audience: [...auth.audience] }),
        },
      );
    } catch (error) {
      const failure = failureOf(error);
      if (failure === 'keys_unavailable') {
        // The issuer's fault, not the caller's: worth an operator's attention. No token here.
        logger?.warn(
          { err: { name: (error as Error)?.name, message: (error as Error)?.message } },
          'caller authentication: the JWKS could not be fetched or read',
        );
      }
      throw new CallerAuthError(failure);
    }
    const { payload, protectedHeader } = result;
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new CallerAuthError('claims');
    }
    const caller: Caller = {
      subject: payload.sub,
      projects:
        auth.projectsClaim === undefined
          ? undefined
          : projectsFromClaim(payload[auth.projectsClaim]),
      expiresAt: payload.exp === undefined ? undefined : payload.exp * 1000,
    };
    // Only now, with every check passed: a refused token is never remembered as good.
    verified.remember(token, {
      caller,
      header: protectedHeader,
      key,
      exp: payload.exp!,
      nbf: payload.nbf,
    });
    return caller;
  }

  /**
   * A remembered token's caller, when its `exp`/`nbf` still hold (the same rule and tolerance as
   * jose's) and the current key set still resolves its header to the very key that verified it:
   * jose imports a new key object for every JWKS it fetches, so after a refetch (CACHE_MAX_AGE_MS,
   * or an unknown `kid`) each remembered token is verified once more, and a key that left the
   * JWKS fails it. Anything else is a miss and takes the full check, which gives the refusal its
   * reason.
   */
  async function remembered(token: string): Promise<Caller | undefined> {
    const entry = verified.get(token);
    if (!entry) return undefined;
    const now = Math.floor(Date.now() / 1000);
    let current: unknown;
    if (
      entry.exp > now - CLOCK_TOLERANCE_SECONDS &&
      (entry.nbf === undefined || entry.nbf <= now + CLOCK_TOLERANCE_SECONDS)
    ) {
      // May refetch a stale JWKS, exactly as a full check would.
      current = await keys(entry.header).catch(() => undefined);
    }
    if (current !== undefined && current === entry.key) return entry.caller;
    verified.forget(token);
    return undefined;
  }

  return {
    async authenticate(authorization) {
      if (authorization == null || authorization.trim() === '') {
        throw new CallerAuthError('missing');
      }
      const match = authorization.length <= MAX_TOKEN_LENGTH && BEARER_JWT.exec(authorization);
      if (!match) throw new CallerAuthError('malformed');
      const token = match[1]!;
      return (await remembered(token)) ?? verify(token);
    },
  };
}

interface VerifiedToken {
  caller: Caller;
  /** Its protected header, to ask the key set for its key again. */
  header: JWTHeaderParameters;
  /** The key object that verified its signature. */
  key: unknown;
  /** Its `exp` and `nbf`, in epoch seconds. */
  exp: number;
  nbf: number | undefined;
}

/**
 * Tokens that passed the full check, keyed by the whole compact token: a token with the same
 * claims and another signature is another key, and takes the full check. Bounded by count and
 * characters (LRU), each entry kept until its token's `exp` (with the clock tolerance) and at most
 * VERIFIED_TOKEN_TTL_MS. Tokens are only keys in memory: never logged.
 */
class VerifiedTokens {
  readonly #cache = new LRUCache<string, VerifiedToken>({
    max: MAX_VERIFIED_TOKENS,
    maxSize: MAX_VERIFIED_TOKEN_CHARS,
    sizeCalculation: (_value, token) => token.length,
  });

  get(token: string): VerifiedToken | undefined {
    return this.#cache.get(token);
  }

  remember(token: string, entry: VerifiedToken): void {
    const ttl = Math.min(
      VERIFIED_TOKEN_TTL_MS,
      (entry.exp + CLOCK_TOLERANCE_SECONDS) * 1000 - Date.now(),
    );
    if (ttl > 0) this.#cache.set(token, entry, { ttl: Math.ceil(ttl) });
  }

  forget(token: string): void {
    this.#cache.delete(token);
  }
}

/** A jose error -> why the token was refused. */
function failureOf(error: unknown): CallerAuthFailure {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return 'not_yet_valid';
      case 'iss':
        return 'issuer';
      case 'aud':
        return 'audience';
      case 'exp':
      case 'sub':
        return 'claims';
      default:
        return 'invalid';
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return 'algorithm';
  }
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return 'invalid';
  }
  // The rest is the key set itself: a timeout, a network error, a non-200 or a body that is not
  // a JWKS.
  return 'keys_unavailable';
}
