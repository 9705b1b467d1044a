/**
 * The GraphQL error model (docs/architecture.md, "Errors"): every error a client sees carries
 * `extensions.code`. Messages are short and safe: no stack, no key, no internal host.
 *
 * Resolvers and the layers below them throw domain errors (UpstreamError, BudgetExceededError,
 * InvalidCursorError, UpstreamPagingError, the caller errors of src/auth/errors.ts) and never
 * wrap them: `maskError` below, Yoga's one error boundary, turns each into its coded GraphQL
 * error, and masks anything unexpected.
 */
import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';
import type { MaskError } from 'graphql-yoga';
import { CallerAuthError, ProjectForbiddenError, ProjectRequiredError } from './auth/errors.js';
import type { CallerAuthFailure } from './auth/errors.js';
import { UpstreamPagingError } from './pagination/assemble.js';
import { InvalidCursorError } from './pagination/cursor.js';
import { StreamEndedByShutdownError, StreamLimitError } from './streams/registry.js';
import { BudgetExceededError } from './upstream/chat-api.js';
import { SessionNotFoundError, UpstreamError } from './upstream/errors.js';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_BAD_RESPONSE: 'UPSTREAM_BAD_RESPONSE',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  EXECUTION_TIMEOUT: 'EXECUTION_TIMEOUT',
  RESPONSE_TOO_LARGE: 'RESPONSE_TOO_LARGE',
  CSRF_PREVENTED: 'CSRF_PREVENTED',
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
  NOT_FOUND: 'NOT_FOUND',
  STREAM_INTERRUPTED: 'STREAM_INTERRUPTED',
  TOO_MANY_STREAMS: 'TOO_MANY_STREAMS',
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_ONLY: 'PERSISTED_QUERY_ONLY',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function gatewayError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const badUserInput = (message: string, argument?: string) =>
  gatewayError(ErrorCode.BAD_USER_INPUT, message, argument ? { argument } : {});

/** Upstream failure (HTTP terms) -> GraphQL error (the table in docs/architecture.md). */
function upstreamError(error: UpstreamError): GraphQLError {
  const f = error.failure;
  switch (f.kind) {
    case 'timeout':
      return gatewayError(ErrorCode.UPSTREAM_TIMEOUT, 'The LlamaCloud API did not answer in time.');
    case 'network':
      return gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, 'The LlamaCloud API is unreachable.');
    case 'aborted':
      return gatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, 'The request was cancelled.');
    case 'stream_interrupted':
      return gatewayError(
        ErrorCode.STREAM_INTERRUPTED,
        `The LlamaCloud API ended the chat turn's stream after ${f.events} event(s), before its stop event; the turn may or may not have finished upstream.`,
        { eventsReceived: f.events },
      );
    case 'stream_idle':
      return gatewayError(
        ErrorCode.UPSTREAM_TIMEOUT,
        `The LlamaCloud API sent nothing for ${f.idleMs} ms (UPSTREAM_STREAM_IDLE_TIMEOUT_MS); the stream was closed.`,
        { idleMs: f.idleMs },
      );
    case 'bad_response':
      return gatewayError(
        ErrorCode.UPSTREAM_BAD_RESPONSE,
        `The LlamaCloud API sent an unexpected response: ${f.reason}${f.path ? ` at ${f.path}` : ''}.`,
        f.path ? { upstreamField: f.path } : {},
      );
    case 'status': {
      const upstream = { upstreamStatus: f.status };
      if (f.status === 401) {
        return gatewayError(
          ErrorCode.UNAUTHENTICATED,
          'The LlamaCloud API rejected the credential.',
          upstream,
        );
      }
      if (f.status === 403) {
        return gatewayError(
          ErrorCode.FORBIDDEN,
          'The credential may not access this resource.',
          upstream,
        );
      }
      if (f.status === 429) {
        return gatewayError(
          ErrorCode.RATE_LIMITED,
          'The LlamaCloud API is rate limiting requests.',
          {
            ...upstream,
            ...(f.retryAfterSeconds !== undefined && { retryAfterSeconds: f.retryAfterSeconds }),
          },
        );
      }
      if (f.status === 400 || f.status === 422) {
        const detail = f.detail ? `: ${f.detail}` : '.';
        return gatewayError(
          ErrorCode.BAD_USER_INPUT,
          `The LlamaCloud API rejected the request${detail}`,
          upstream,
        );
      }
      if (f.status === 404) {
        // Lookups that may legitimately miss turn 404 into null before this; for a list it
        // means the projectId/organizationId does not exist (for this credential).
        return gatewayError(
          ErrorCode.BAD_USER_INPUT,
          'The LlamaCloud API found no such project or organization.',
          upstream,
        );
      }
      if (f.status === 408) {
        return gatewayError(ErrorCode.UPSTREAM_TIMEOUT, 'The LlamaCloud API timed out.', upstream);
      }
      if (f.status >= 500) {
        return gatewayError(
          ErrorCode.UPSTREAM_UNAVAILABLE,
          'The LlamaCloud API is unavailable.',
          upstream,
        );
      }
      return gatewayError(
        ErrorCode.UPSTREAM_BAD_RESPONSE,
        `The LlamaCloud API answered with unexpected status ${f.status}.`,
        upstream,
      );
    }
  }
}

/** Why a token was refused, in words safe to show: never the token, a claim's value or the kid. */
const CALLER_AUTH_MESSAGES: Record<CallerAuthFailure, string> = {
  missing: 'This gateway authenticates its callers: send "Authorization: Bearer <JWT>".',
  malformed: 'The Authorization header must be "Bearer <JWT>".',
  invalid: 'The token is invalid (its encoding or signature).',
  algorithm:
    "The token's signing algorithm is not accepted (asymmetric algorithms only: RS*, PS*, ES*, EdDSA).",
  unknown_key: 'The token was signed with a key the issuer does not publish.',
  expired: 'The token expired.',
  not_yet_valid: 'The token is not valid yet (nbf).',
  issuer: 'The token was issued by another issuer.',
  audience: 'The token is meant for another audience.',
  claims: 'The token lacks a required claim (exp, and a non-empty sub).',
  keys_unavailable:
    "The token could not be checked: the issuer's signing keys are unavailable. Try again shortly.",
};

/** A domain error -> its coded GraphQL error; undefined for anything else. */
export function codedError(error: unknown): GraphQLError | undefined {
  if (error instanceof CallerAuthError) {
    return gatewayError(ErrorCode.UNAUTHENTICATED, CALLER_AUTH_MESSAGES[error.failure], {
      reason: error.failure,
    });
  }
  if (error instanceof ProjectForbiddenError) {
    return gatewayError(
      ErrorCode.FORBIDDEN,
      error.projectId === undefined
        ? 'The token allows no project.'
        : 'The token does not allow this project.',
      error.projectId === undefined ? {} : { projectId: error.projectId },
    );
  }
  if (error instanceof ProjectRequiredError) {
    return badUserInput(
      `The token allows ${error.allowed} projects: pass projectId to say which one (lookups by global id or entity key need a token with exactly one project).`,
      'projectId',
    );
  }
  if (error instanceof UpstreamError) return upstreamError(error);
  if (error instanceof BudgetExceededError) {
    return gatewayError(
      ErrorCode.QUERY_TOO_COMPLEX,
      `This operation needs more than ${error.limit} upstream calls (MAX_UPSTREAM_CALLS_PER_OPERATION); ask for fewer or smaller connections.`,
      { maxUpstreamCalls: error.limit },
    );
  }
  if (error instanceof InvalidCursorError) {
    return badUserInput(`Invalid after cursor: ${error.message}.`, 'after');
  }
  if (error instanceof SessionNotFoundError) {
    return gatewayError(ErrorCode.NOT_FOUND, 'No such chat session.', {
      sessionId: error.sessionId,
    });
  }
  if (error instanceof StreamLimitError && error.scope === 'caller') {
    return gatewayError(
      ErrorCode.TOO_MANY_STREAMS,
      `This caller already has ${error.limit} chat-turn streams open (MAX_STREAMS_PER_CALLER); wait for one to end.`,
      { maxStreamsPerCaller: error.limit },
    );
  }
  if (error instanceof StreamLimitError) {
    return gatewayError(
      ErrorCode.TOO_MANY_STREAMS,
      `This gateway already serves ${error.limit} chat-turn streams (MAX_CONCURRENT_STREAMS); try again shortly.`,
      { maxStreams: error.limit },
    );
  }
  if (error instanceof StreamEndedByShutdownError) {
    return gatewayError(
      ErrorCode.SHUTTING_DOWN,
      'The gateway is shutting down; the stream was ended. Run the turn again on another instance if it matters (the upstream may have finished it).',
    );
  }
  if (error instanceof UpstreamPagingError) {
    return gatewayError(
      ErrorCode.UPSTREAM_BAD_RESPONSE,
      `The LlamaCloud API sent inconsistent pages: ${error.message}.`,
    );
  }
  return undefined;
}

/**
 * Yoga's `maskedErrors.maskError`: the one place domain errors become coded GraphQL errors. A
 * resolver's error arrives located (path, positions) around the thrown one, which is kept as
 * `originalError`; the coded error keeps that location. Anything that is neither a domain error
 * nor a GraphQL error thrown on purpose is masked by Yoga's default ("Unexpected error.").
 */
export const maskError: MaskError = (error, message, isDev) => {
  if (isVariableCoercionError(error)) {
    // graphql-js reports a variable of the wrong type without a code: it is the caller's input.
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      extensions: { ...error.extensions, code: ErrorCode.BAD_USER_INPUT },
    });
  }
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const coded = codedError(original);
  if (!coded) return yogaMaskError(error, message, isDev);
  if (!(error instanceof GraphQLError)) return coded;
  return new GraphQLError(coded.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: original instanceof Error ? original : undefined,
    extensions: coded.extensions,
  });
};

/** `Variable "$first" got invalid value …` and kin: raised while coercing variables, uncoded. */
function isVariableCoercionError(error: unknown): error is GraphQLError {
  return (
    error instanceof GraphQLError &&
    error.extensions?.code === undefined &&
    error.path === undefined &&
    error.message.startsWith('Variable "$')
  );
}

/**
 * Whether Yoga's "masked an error" log line is about an expected outcome: a domain error (or a
 * variable coercion error) that the boundary turned into its coded error. Those are answers,
 * not faults, and are logged at debug (src/logger.ts).
 */
export function isMappedDomainError(error: unknown): boolean {
  if (isVariableCoercionError(error)) return true;
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  return codedError(original) !== undefined;
}
