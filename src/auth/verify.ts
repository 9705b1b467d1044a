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
 */
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
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
  return {
    async authenticate(authorization) {
      if (authorization == null || authorization.trim() === '') {
        throw new CallerAuthError('missing');
      }
      const match = authorization.length <= MAX_TOKEN_LENGTH && BEARER_JWT.exec(authorization);
      if (!match) throw new CallerAuthError('malformed');
      let payload;
      try {
        ({ payload } = await jwtVerify(match[1]!, keys, {
          algorithms: [...ACCEPTED_ALGORITHMS],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'sub'],
          ...(auth.issuer !== undefined && { issuer: auth.issuer }),
          ...(auth.audience !== undefined && { audience: [...auth.audience] }),
        }));
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
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new CallerAuthError('claims');
      }
      return {
        subject: payload.sub,
        projects:
          auth.projectsClaim === undefined
            ? undefined
            : projectsFromClaim(payload[auth.projectsClaim]),
        expiresAt: payload.exp === undefined ? undefined : payload.exp * 1000,
      };
    },
  };
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
