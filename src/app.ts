/**
 * createGatewayApp: the Yoga app (schema, plugins, context) and nothing else. It listens on no
 * port; src/server.ts serves it over node:http. See docs/architecture.md, "How a request flows".
 */
import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { createYoga } from 'graphql-yoga';
import type { GraphQLSchema } from 'graphql';
import { createCallerAuthenticator } from './auth/verify.js';
import type { CallerAuthenticator } from './auth/verify.js';
import type { Config } from './config.js';
import { createContextFactory } from './context.js';
import type { RequestContext } from './context.js';
import { isMappedDomainError, maskError } from './errors.js';
import { graphiqlOptions, renderLocalGraphiQL } from './graphiql.js';
import { yogaLogger } from './logger.js';
import type { Logger } from './logger.js';
import { useRequestBodyLimit } from './plugins/body-limit.js';
import { corsOptions, useVaryOrigin } from './plugins/cors.js';
import { useCsrfPrevention } from './plugins/csrf.js';
import { useCallerAuthentication } from './plugins/caller-auth.js';
import { useExecutionDeadline } from './plugins/execution-deadline.js';
import { useGraphiQLCompression } from './plugins/graphiql-compression.js';
import { useHostAllowList } from './plugins/host.js';
import { useJitExecution } from './plugins/jit.js';
import { useRequestLogging } from './plugins/logging.js';
import { useMetrics } from './plugins/metrics.js';
import type { Metrics } from './plugins/metrics.js';
import { useNoStoreOnGet } from './plugins/no-store.js';
import { useQueryLimits } from './plugins/query-limits.js';
import { useRateLimit } from './plugins/rate-limit.js';
import { createRateLimiter } from './limits/rate-limiter.js';
import type { Redis } from './redis.js';
import { HEALTH_ENDPOINT, READINESS_ENDPOINT, useReadiness } from './plugins/readiness.js';
import { useRequestId } from './plugins/request-id.js';
import { useRequestRecord } from './plugins/request-record.js';
import { useResponseSizeLimit } from './plugins/response-size.js';
import { useTrustedDocuments } from './plugins/trusted-documents.js';
import { useCostWithVariables, useListSizeLimit } from './plugins/variable-limits.js';
import { buildSchema } from './schema/index.js';
import type { StreamRegistry } from './streams/registry.js';
import type { UpstreamClient } from './upstream/client.js';

export const GRAPHQL_ENDPOINT = '/graphql';
/** Every path the gateway serves (anything else is metric route "other"; /metrics has its own port). */
const ROUTES = [GRAPHQL_ENDPOINT, HEALTH_ENDPOINT, READINESS_ENDPOINT];

export interface GatewayAppDeps {
  client: UpstreamClient;
  logger: Logger;
  metrics: Metrics;
  /** Readiness as the HTTP server knows it (listening and not draining). */
  isReady: () => boolean;
  /** The process's open streams (chat turns). */
  streams: StreamRegistry;
  /** Another schema behind the same plugins and error boundary (tests of the boundary). */
  schema?: GraphQLSchema;
  /** The process's Redis connection (REDIS_URL; src/redis.ts): rate-limit counters and APQ shared by replicas. */
  redis?: Redis | undefined;
  /** Verifies callers' JWTs when AUTH_JWKS_URL is set (default: one of its own). */
  authenticator?: CallerAuthenticator | undefined;
}

export type GatewayApp = ReturnType<typeof createGatewayApp>;

export function createGatewayApp(config: Config, deps: GatewayAppDeps) {
  const { client, logger, metrics, isReady } = deps;
  const authenticator =
    deps.authenticator ?? (config.auth && createCallerAuthenticator(config.auth, logger));
  return createYoga<Record<string, unknown>, RequestContext>({
    schema: deps.schema ?? buildSchema(),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    healthCheckEndpoint: HEALTH_ENDPOINT,
    landingPage: false,
    graphiql: config.graphiql ? graphiqlOptions : false,
    renderGraphiQL: renderLocalGraphiQL,
    logging: yogaLogger(logger, { isExpected: isMappedDomainError }),
    cors: corsOptions(config.corsOrigins),
    // Replaced by useRequestBodyLimit (same cap and answer, cheaper): see src/plugins/body-limit.ts.
    maxRequestBodySize: false,
    // BATCHING_LIMIT operations per request (a JSON array body), each validated, limited and
    // rate-limited on its own; they share the request's record, so one upstream-call budget and
    // the 1 MiB body cap cover the whole batch (docs/architecture.md, "Batching").
    batching: config.batchingLimit > 0 ? { limit: config.batchingLimit } : false,
    // The one error boundary: domain errors become coded GraphQL errors (src/errors.ts). Never
    // attach stacks or original messages, whatever NODE_ENV says.
    maskedErrors: { isDev: false, maskError },
    plugins: [
      // First: every later hook reads the record it creates and fills.
      useRequestRecord(),
      // Refusals that need no parsing, before any work (docs/architecture.md, "Security").
      useHostAllowList({
        allowedHosts: config.allowedHosts,
        exemptPaths: [HEALTH_ENDPOINT, READINESS_ENDPOINT],
      }),
      useCsrfPrevention(),
      // Caller authentication (AUTH_JWKS_URL): before the body is read or parsed.
      ...(authenticator ? [useCallerAuthentication({ authenticator })] : []),
      useRequestBodyLimit(),
      // The document to run, from its id (trusted documents, APQ): before anything parses it.
      useTrustedDocuments({
        persistedOperations: config.persistedOperations,
        allowArbitraryOperations: config.allowArbitraryOperations,
        redis: deps.redis,
        logger,
      }),
      useQueryLimits(),
      ...(config.introspection ? [] : [useDisableIntrospection()]),
      // The first execution hook: every operation that passed validation counts, and one refused
      // here runs nothing (docs/architecture.md, "Rate limits and shared state").
      ...(config.rateLimit
        ? [useRateLimit({ limiter: createRateLimiter(config.rateLimit, deps.redis) })]
        : []),
      // @defer/@stream (multipart/mixed, SSE): adds the directives and their validation rules;
      // such documents run on Yoga's incremental executor, not graphql-jit (src/plugins/jit.ts).
      useDeferStream(),
      useJitExecution(logger),
      // After graphql-jit: each wraps or stops the executor that actually runs.
      useListSizeLimit({ max: config.maxPageSize }),
      useCostWithVariables(),
      useExecutionDeadline({ timeoutMs: config.executionTimeoutMs }),
      useResponseSizeLimit({ maxBytes: config.maxResponseBytes }),
      useGraphiQLCompression(),
      useRequestId(),
      useReadiness({ isReady }),
      useMetrics({ metrics, routes: ROUTES }),
      useRequestLogging({ logger }),
      useVaryOrigin(config.corsOrigins),
      useNoStoreOnGet(),
    ],
    context: createContextFactory({
      config,
      client,
      streams: deps.streams,
      onCoalesced: (endpoint) => metrics.observeCoalesced(endpoint),
    }),
  });
}
