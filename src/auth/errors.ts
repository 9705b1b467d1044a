/**
 * Domain errors of caller authentication and per-project authorization. They are thrown raw and
 * coded at the one boundary, src/errors.ts (docs/architecture.md, "Errors" and "Callers").
 */

/** Why a caller's token was refused; each has its own safe message (src/errors.ts). */
export type CallerAuthFailure =
  /** No `Authorization` header (or graphql-ws `connectionParams.authorization`). */
  | 'missing'
  /** Not `Bearer <JWT>`. */
  | 'malformed'
  /** Signature, encoding or JSON of the token is wrong. */
  | 'invalid'
  /** `alg` is `none`, an HMAC or anything but the accepted asymmetric algorithms. */
  | 'algorithm'
  /** No key of the JWKS has the token's `kid` (after a refetch, when one was allowed). */
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'issuer'
  | 'audience'
  /** `exp` or `sub` missing or of the wrong type. */
  | 'claims'
  /** The JWKS could not be fetched or read: the token could not be checked. */
  | 'keys_unavailable';

/** UNAUTHENTICATED: the call is refused before any upstream call. Never carries the token. */
export class CallerAuthError extends Error {
  override name = 'CallerAuthError';
  constructor(readonly failure: CallerAuthFailure) {
    super(`caller authentication failed: ${failure}`);
  }
}

/** FORBIDDEN: the caller's projects claim does not list this project. */
export class ProjectForbiddenError extends Error {
  override name = 'ProjectForbiddenError';
  constructor(readonly projectId: string | undefined) {
    super('project not allowed for this caller');
  }
}

/** BAD_USER_INPUT: no projectId given and the caller's claim does not name exactly one. */
export class ProjectRequiredError extends Error {
  override name = 'ProjectRequiredError';
  constructor(readonly allowed: number) {
    super('projectId required');
  }
}
