/** Validation of list/lookup arguments: bad input fails before any upstream call. */
import type { Config } from '../config.js';
import type { Scope } from '../domain.js';
import { badUserInput } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function validateScope(args: {
  projectId?: string | null | undefined;
  organizationId?: string | null | undefined;
}): Scope {
  for (const name of ['projectId', 'organizationId'] as const) {
    const value = args[name];
    if (value != null && !UUID.test(value)) {
      throw badUserInput(
        `${name} must be a UUID, got ${JSON.stringify(value.slice(0, 60))}.`,
        name,
      );
    }
  }
  return {
    projectId: args.projectId?.toLowerCase() ?? undefined,
    organizationId: args.organizationId?.toLowerCase() ?? undefined,
  };
}

export function validateFirst(first: number | null | undefined, config: Config): number {
  if (first == null) return config.defaultPageSize;
  if (first < 0 || first > config.maxPageSize) {
    throw badUserInput(`first must be between 0 and ${config.maxPageSize}, got ${first}.`, 'first');
  }
  return first;
}

/** Longer ids are refused before they reach a URL; real ones are short (e.g. "ses-abc123"). */
const MAX_SESSION_ID_LENGTH = 1024;

/**
 * A session id becomes one URL path segment (percent-encoded by the upstream client). Empty,
 * "." and ".." would still be read as dot-segments by servers and proxies, so they are refused.
 */
export function validateSessionId(sessionId: string, argument = 'sessionId'): string {
  if (
    sessionId === '' ||
    sessionId === '.' ||
    sessionId === '..' ||
    sessionId.length > MAX_SESSION_ID_LENGTH
  ) {
    throw badUserInput(
      `${argument} must be a session id, got ${JSON.stringify(sessionId.slice(0, 60))}.`,
      argument,
    );
  }
  return sessionId;
}

/** The upstream's limit on one turn's prompt, in characters (code points). */
export const MAX_PROMPT_LENGTH = 1000;

export function validatePrompt(prompt: string): string {
  const length = [...prompt].length;
  if (length < 1 || length > MAX_PROMPT_LENGTH) {
    throw badUserInput(
      `prompt must be 1 to ${MAX_PROMPT_LENGTH} characters, got ${length}.`,
      'prompt',
    );
  }
  return prompt;
}

/** Index ids are opaque upstream ids (e.g. "idx-abc123"): short, printable, no spaces. */
const INDEX_ID = /^[\x21-\x7e]{1,200}$/;

export function validateIndexIds(
  ids: readonly (string | number)[] | null | undefined,
  argument = 'indexIds',
): string[] | undefined {
  if (ids == null) return undefined;
  return ids.map((raw) => {
    const id = String(raw);
    if (!INDEX_ID.test(id)) {
      throw badUserInput(
        `${argument} must hold index ids, got ${JSON.stringify(id.slice(0, 60))}.`,
        argument,
      );
    }
    return id;
  });
}
