/**
 * The verified caller of one operation (docs/architecture.md, "Callers"), and the one place its
 * projects claim is enforced: `scopeAuthorizer`, which every ChatApi method applies to its scope
 * before any upstream call (src/upstream/chat-api.ts).
 */
import type { Scope } from '../domain.js';
import { CallerAuthError, ProjectForbiddenError, ProjectRequiredError } from './errors.js';

/** Who is calling, once their JWT is verified. On the context as `ctx.caller`. */
export interface Caller {
  /** The token's `sub` (never empty). Stable per caller: rate limits key on it. */
  subject: string;
  /**
   * Lower-case project UUIDs from the AUTH_PROJECTS_CLAIM claim; undefined when that variable is
   * unset (no per-project restriction). Empty when the token lacks the claim: no project allowed.
   */
  projects: ReadonlySet<string> | undefined;
  /**
   * The token's `exp`, in epoch milliseconds (always set: tokens without `exp` are refused). The
   * gateway honours the token until `expiresAt + CLOCK_TOLERANCE_SECONDS` (see `honouredUntil`).
   */
  expiresAt: number | undefined;
}

/** Allowed skew between the issuer's clock and ours, for `exp` and `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** The last moment (epoch ms) the gateway accepts the caller's token; undefined: no limit. */
export function honouredUntil(caller: Caller): number | undefined {
  return caller.expiresAt === undefined
    ? undefined
    : caller.expiresAt + CLOCK_TOLERANCE_SECONDS * 1000;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The projects claim: an array of UUIDs or one space-separated string of them (like OAuth's
 * `scope`). Anything that is not a UUID is ignored, and a claim of another type or a missing one
 * is no project at all: the gateway fails closed.
 */
export function projectsFromClaim(value: unknown): ReadonlySet<string> {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(' ') : [];
  const projects = new Set<string>();
  for (const item of items) {
    if (typeof item === 'string' && UUID.test(item.trim())) {
      projects.add(item.trim().toLowerCase());
    }
  }
  return projects;
}

/**
 * The hook ChatApi applies to the scope of every upstream call (`authorizeScope`):
 *  - the token must still be honoured (a graphql-ws connection outlives its token otherwise);
 *  - with a projects claim, a `projectId` outside it is FORBIDDEN, and a missing one becomes the
 *    claim's only project, or BAD_USER_INPUT when it holds several.
 * Lookups by id alone (node, nodes, `_entities`) carry no projectId, so they get the same rule.
 */
export function scopeAuthorizer(caller: Caller, now: () => number = Date.now) {
  return (scope: Scope): Scope => {
    const until = honouredUntil(caller);
    if (until !== undefined && now() > until) throw new CallerAuthError('expired');
    const { projects } = caller;
    if (projects === undefined) return scope;
    if (scope.projectId !== undefined) {
      if (!projects.has(scope.projectId.toLowerCase())) {
        throw new ProjectForbiddenError(scope.projectId);
      }
      return scope;
    }
    if (projects.size === 0) throw new ProjectForbiddenError(undefined);
    if (projects.size > 1) throw new ProjectRequiredError(projects.size);
    const [only] = projects;
    return { ...scope, projectId: only };
  };
}

/**
 * The verified caller of each request: set by the authentication plugin (HTTP) or the graphql-ws
 * transport (the connection's caller, for each operation's Request), read by the context.
 */
const callers = new WeakMap<Request, Caller>();

export function attachCaller(request: Request, caller: Caller): void {
  callers.set(request, caller);
}

export function callerOf(request: Request): Caller | undefined {
  return callers.get(request);
}
