/**
 * Trusted documents and automatic persisted queries (docs/architecture.md, "Security").
 *
 * A client may send, instead of (or with) the document's text, its id:
 * `extensions.persistedQuery.sha256Hash` (Apollo, version 1), `documentId` (GraphQL over HTTP's
 * persisted documents draft, `sha256:` prefix allowed) or `doc_id` (Relay), over POST, GET and
 * graphql-ws alike.
 *
 * - With a manifest (PERSISTED_OPERATIONS_FILE): only its operations run. An unknown id is
 *   PERSISTED_QUERY_NOT_FOUND; a document sent as text runs only when it is exactly the text of
 *   one of the manifest's operations (with or without its id: Apollo's WebSocket link sends
 *   both), else it is PERSISTED_QUERY_ONLY, unless ALLOW_ARBITRARY_OPERATIONS=true. Nothing is
 *   ever registered: the manifest is the list.
 * - Without one: automatic persisted queries, as Apollo Client's persisted-queries link expects.
 *   A hash alone that is not stored is `PersistedQueryNotFound` (HTTP 200), the client sends the
 *   hash with the text, the hash is checked (sha256 of the text) and the document is stored once
 *   it has passed validation (so nothing invalid takes room), then the hash alone runs it.
 *
 * Yoga's usePersistedOperations does the lookup and the refusals. What it does not do is the APQ
 * glue below (verify and register a hash sent with its text): that is what
 * @graphql-yoga/plugin-apq does, but its peer range wants @graphql-tools/utils 10 while Yoga 5.24
 * has 11, so it cannot be installed here and the glue is written out.
 *
 * Yoga runs `onParams` for HTTP only: graphql-ws (src/transport/graphql-ws.ts) calls
 * `resolvePersistedOperation` with the operation's initial context before it parses, which runs
 * these same hooks.
 */
import { createHash } from 'node:crypto';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError } from 'graphql-yoga';
import type { GraphQLParams, OnParamsEventPayload, Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { LruApqStore, RedisApqStore } from '../persisted/apq-store.js';
import type { ApqStore } from '../persisted/apq-store.js';
import { lookupPersistedOperation } from '../persisted/manifest.js';
import type { PersistedOperations } from '../persisted/manifest.js';

export interface TrustedDocumentsOptions {
  /** PERSISTED_OPERATIONS_FILE's operations (config.persistedOperations); undefined = APQ. */
  persistedOperations: PersistedOperations | undefined;
  /** ALLOW_ARBITRARY_OPERATIONS (config.allowArbitraryOperations); only with a manifest. */
  allowArbitraryOperations: boolean;
  /** APQ across gateways: the shared Redis client (REDIS_URL), or undefined for in-process only. */
  redis?: Redis | undefined;
  logger: Logger;
  /** Overrides the APQ store (tests). */
  apqStore?: ApqStore;
}

/** The id parameters besides `extensions.persistedQuery`, not in Yoga's own parameter list. */
const ID_PARAMS = ['documentId', 'doc_id'] as const;
type IdParams = GraphQLParams & { [name in (typeof ID_PARAMS)[number]]?: unknown };
const SHA256_HEX = /^[0-9a-f]{64}$/;

export const PERSISTED_QUERY_NOT_FOUND_MESSAGE = 'PersistedQueryNotFound';
export const HASH_MISMATCH_MESSAGE = 'provided sha does not match query';

/** The persisted id a request names, if any (see the file comment for where it may be). */
export function extractPersistedOperationId(params: IdParams, request: Request): string | null {
  const persistedQuery = params.extensions?.persistedQuery as Record<string, unknown> | undefined;
  if (
    persistedQuery !== null &&
    typeof persistedQuery === 'object' &&
    persistedQuery.version === 1 &&
    typeof persistedQuery.sha256Hash === 'string' &&
    persistedQuery.sha256Hash !== ''
  ) {
    return persistedQuery.sha256Hash;
  }
  for (const name of ID_PARAMS) {
    const value = params[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  if (request.method === 'GET') {
    // Yoga's GET parser keeps only query, variables, operationName and extensions.
    const search = new URL(request.url, 'http://gateway').searchParams;
    for (const name of ID_PARAMS) {
      const value = search.get(name);
      if (value) return value;
    }
  }
  return null;
}

/** A sha256 id as stored: lower-case hex, `sha256:` prefix dropped; undefined if it is not one. */
function sha256Id(id: string): string | undefined {
  const hex = (id.startsWith('sha256:') ? id.slice('sha256:'.length) : id).toLowerCase();
  return SHA256_HEX.test(hex) ? hex : undefined;
}

/** Operations registered by a request, stored once their document has passed validation. */
interface Registration {
  hash: string;
  query: string;
  stored?: Promise<void>;
}

type ParamsHook = NonNullable<Plugin['onParams']>;
type Resolve = (context: PersistedContext) => Promise<GraphQLParams>;
interface PersistedContext {
  request: Request;
  /** GraphQLParams, or graphql-ws's SubscribePayload (the same fields, nulls allowed). */
  params: object;
}

/** graphql-ws: an operation's initial context -> the resolver of the app that enveloped it. */
const resolvers = new WeakMap<object, Resolve>();

/**
 * graphql-ws: the operation's params with its persisted document resolved (as `onParams` does
 * over HTTP). Rejects with the same coded GraphQL errors. Pass the object given to
 * `app.getEnveloped`, after that call.
 */
export async function resolvePersistedOperation(context: PersistedContext): Promise<GraphQLParams> {
  const resolve = resolvers.get(context);
  return resolve ? resolve(context) : (context.params as GraphQLParams);
}

export function createApqStore(options: Pick<TrustedDocumentsOptions, 'redis' | 'logger'>) {
  return options.redis
    ? new RedisApqStore({ redis: options.redis, logger: options.logger })
    : new LruApqStore();
}

/** The largest document APQ stores (a real operation is a few KiB). */
export const MAX_REGISTERED_DOCUMENT_CHARS = 64 * 1024;

export function useTrustedDocuments(options: TrustedDocumentsOptions): Plugin {
  const manifest = options.persistedOperations;
  const store = manifest ? undefined : (options.apqStore ?? createApqStore(options));
  const registrations = new WeakMap<object, Registration>();
  /** A manifest's operations by their text (the first id of each). */
  const idsByText = new Map<string, string>();
  for (const [id, text] of manifest?.operations ?? []) {
    if (!idsByText.has(text)) idsByText.set(text, id);
  }
  /** Requests that sent a manifest operation's text: the id it runs as. */
  const trustedIds = new WeakMap<object, string>();

  /** Before Yoga's plugin: normalise the params, and verify an APQ registration. */
  const prepare: ParamsHook = ({ params, request, setParams, context }) => {
    const { query } = params;
    if (typeof query !== 'string' || query === '') {
      // graphql-ws requires a `query` string: an empty one means "by id". Any other non-string
      // is left to Yoga's own parameter check.
      if (query === '') setParams({ ...params, query: undefined });
      return;
    }
    const id = extractPersistedOperationId(params as IdParams, request);
    if (manifest) {
      // The manifest's own text, with its id (Apollo's WebSocket link sends both) or alone
      // (safelisting): run it as the manifest's operation.
      const trusted =
        id !== null && lookupPersistedOperation(manifest, id) === query ? id : idsByText.get(query);
      if (trusted !== undefined) {
        trustedIds.set(context, trusted);
        setParams({ ...params, query: undefined });
        return;
      }
    } else if (id !== null) {
      // APQ registration: the id must be the text's sha256.
      const hash = sha256Id(id);
      if (hash === undefined || sha256(query) !== hash) {
        throw createGraphQLError(HASH_MISMATCH_MESSAGE, {
          extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
        });
      }
      registrations.set(context, { hash, query });
    }
    // The text runs (if allowed below): drop the id parameters Yoga would refuse as unknown.
    setParams({
      query,
      operationName: params.operationName,
      variables: params.variables,
      extensions: params.extensions,
    });
  };

  const persisted = usePersistedOperations({
    allowArbitraryOperations: manifest ? options.allowArbitraryOperations : true,
    extractPersistedOperationId: (params, request, context) =>
      trustedIds.get(context) ?? extractPersistedOperationId(params as IdParams, request),
    getPersistedOperation(id) {
      if (manifest) return lookupPersistedOperation(manifest, id) ?? null;
      const hash = sha256Id(id);
      if (hash === undefined) return null;
      return store!.get(hash).then((query) => query ?? null);
    },
    customErrors: {
      notFound: {
        message: PERSISTED_QUERY_NOT_FOUND_MESSAGE,
        // HTTP 200: Apollo's link reads the error and retries with the text.
        extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_FOUND },
      },
      persistedQueryOnly: {
        message:
          'This gateway runs only trusted documents: send the operation id (extensions.persistedQuery.sha256Hash, documentId or doc_id) instead of its text.',
        extensions: { code: ErrorCode.PERSISTED_QUERY_ONLY, http: { status: 400 } },
      },
      keyNotFound: {
        message:
          'Must provide a query string or a persisted operation id (extensions.persistedQuery.sha256Hash, documentId or doc_id).',
        extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
      },
    },
  });
  const lookup = persisted.onParams!;

  async function resolve(context: PersistedContext): Promise<GraphQLParams> {
    let params = context.params as GraphQLParams;
    for (const hook of [prepare, lookup]) {
      // Each hook reads the params the previous one left, as Yoga's own loop does.
      await hook({
        params,
        request: context.request,
        context,
        setParams: (next: GraphQLParams) => (params = next),
      } as unknown as OnParamsEventPayload);
    }
    context.params = params;
    return params;
  }

  return {
    onParams: (payload) => prepare(payload),
    onPluginInit({ addPlugin }) {
      addPlugin(persisted);
    },
    onEnveloped({ context }) {
      if (context) resolvers.set(context, resolve);
    },
    onValidate({ context }) {
      const registration = registrations.get(context);
      if (!registration || !store) return;
      return ({ valid }) => {
        // Only documents of a sane size are kept: comments cost no tokens, so a valid document
        // can be nearly 1 MiB, and the shared Redis store has no bound of its own. Larger ones
        // still run; the client simply sends their text each time.
        if (valid && registration.query.length <= MAX_REGISTERED_DOCUMENT_CHARS) {
          registration.stored = store.set(registration.hash, registration.query);
        }
      };
    },
    onExecutionResult({ context }) {
      // The client may send the hash alone next, maybe to another gateway on the same Redis.
      return registrations.get(context)?.stored;
    },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
