/**
 * Environment -> one validated, typed Config. This is the only module that reads process.env.
 * Variable names are a contract (the README's configuration table).
 */

import { loadPersistedOperations, ManifestError } from './persisted/manifest.js';
import type { PersistedOperations } from './persisted/manifest.js';

export const LLAMA_CLOUD_DEFAULT_BASE_URL = 'https://api.cloud.llamaindex.ai';

/** Where upstream calls go, decided once at start-up. */
export type UpstreamMode =
  | { kind: 'custom'; baseUrl: string }
  | { kind: 'llamacloud'; baseUrl: string }
  | { kind: 'sandbox' };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  upstream: UpstreamMode;
  /** Server-side credential, used when a request brings none. Never log it. */
  apiKey: string | undefined;
  upstreamTimeoutMs: number;
  upstreamMaxRetries: number;
  /** Longest silence of a streamed chat turn before it fails (no limit on its total length). */
  upstreamStreamIdleTimeoutMs: number;
  maxPageSize: number;
  defaultPageSize: number;
  maxUpstreamCallsPerOperation: number;
  /**
   * UPSTREAM_COALESCE: an operation joins an identical upstream read (same credential, path and
   * query) already in flight for another operation instead of sending its own (src/upstream/coalesce.ts).
   */
  upstreamCoalesce: boolean;
  /** BATCHING_LIMIT: operations per HTTP request (a JSON array body); 0 turns batching off. */
  batchingLimit: number;
  logLevel: LogLevel;
  /** How long in-flight requests may take to finish after SIGTERM/SIGINT. */
  shutdownTimeoutMs: number;
  /**
   * Origins allowed to call the gateway from a browser (CORS). Empty = no cross-origin access
   * (the default: the gateway may answer with the server-side key); `['*']` = any origin.
   */
  corsOrigins: readonly string[];
  /**
   * Host names the gateway answers to (the Host header, port ignored); `['*']` = any. Guards
   * against DNS rebinding, where a hostile page's own name resolves to this gateway.
   */
  allowedHosts: readonly string[];
  /** How long one operation may execute before it ends with EXECUTION_TIMEOUT. */
  executionTimeoutMs: number;
  /** Largest response (its JSON text, estimated while walking the result) before RESPONSE_TOO_LARGE. */
  maxResponseBytes: number;
  /** Serve GraphiQL to browsers on GET /graphql. */
  graphiql: boolean;
  /** Answer introspection (`__schema`, `__type`). */
  introspection: boolean;
  /** Chat-turn streams open at once in this process; more get TOO_MANY_STREAMS. */
  maxConcurrentStreams: number;
  /** server.headersTimeout: a request's headers must arrive within this (slowloris, silent sockets). */
  httpHeadersTimeoutMs: number;
  /** server.requestTimeout: the whole request, body included, must arrive within this. */
  httpRequestTimeoutMs: number;
  /** Keep-alive idle between requests, and how long a new connection may stay silent. */
  httpIdleTimeoutMs: number;
  /** server.maxConnections: connections beyond this are closed as they arrive. */
  maxConnections: number;
  /** Port of the separate /metrics listener; 0 = no metrics listener. */
  metricsPort: number;
  metricsHost: string;
  /**
   * Operation names allowed as metric labels. Undefined = names seen often enough in validated
   * operations (src/observability/operation-labels.ts).
   */
  metricsOperationNames: readonly string[] | undefined;
  /**
   * Trusted documents (PERSISTED_OPERATIONS_FILE), read at start-up. Undefined = no manifest:
   * any operation runs, and automatic persisted queries (APQ) are served.
   */
  persistedOperations: PersistedOperations | undefined;
  /** With a manifest: also run operations sent as full text (ALLOW_ARBITRARY_OPERATIONS). */
  allowArbitraryOperations: boolean;
  /** RATE_LIMIT: operations per caller per window; undefined = no limit (src/limits/). */
  rateLimit: RateLimit | undefined;
  /**
   * TRUST_PROXY: how many proxies in front of the gateway append to X-Forwarded-For; 0 = ignore
   * the header and use the socket address. The caller's address is the Nth entry from the right.
   */
  trustProxyHops: number;
  /** Chat-turn streams one caller may have open at once in this process; undefined = no cap. */
  maxStreamsPerCaller: number | undefined;
  /** Shared state (rate-limit counters) in this Redis; undefined = in process. Never log it. */
  redisUrl: string | undefined;
  /** Caller authentication with JWTs (AUTH_*); undefined = callers are not authenticated. */
  auth: AuthConfig | undefined;
  /**
   * ALLOW_UNAUTHENTICATED_CALLERS: start with a server key on a non-loopback HOST without caller
   * authentication (only trusted clients can reach the gateway).
   */
  allowUnauthenticatedCallers: boolean;
}

/** Caller authentication (src/auth/): who may call, and which projects they may use. */
export interface AuthConfig {
  /** AUTH_JWKS_URL: the issuer's signing keys (https, or http on a loopback host). */
  jwksUrl: string;
  /** AUTH_JWT_ISSUER: the required `iss`, when set. */
  issuer: string | undefined;
  /** AUTH_JWT_AUDIENCE: accepted `aud` values (comma-separated), when set. */
  audience: readonly string[] | undefined;
  /** AUTH_PROJECTS_CLAIM: the claim listing the project UUIDs a caller may use, when set. */
  projectsClaim: string | undefined;
}

export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** An empty variable counts as unset. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) {
    throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function baseUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must use http or https, got ${url.protocol}`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`${name} must not contain credentials, a query or a fragment`);
  }
  // Normalise away a trailing slash so paths can be appended with one rule.
  return url.toString().replace(/\/+$/, '');
}

/** A comma-separated list (blank items dropped), or `*` alone; undefined when unset. */
function listOrAny(env: Env, name: string): string[] | '*' | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (!items.includes('*')) return items;
  if (items.length > 1) throw new ConfigError(`${name} must be either * alone or a list, not both`);
  return '*';
}

/**
 * CORS_ORIGINS: comma-separated origins (`scheme://host[:port]`, no path), or `*` alone.
 * Origins are compared as browsers send them, so they are normalised the same way.
 */
function corsOrigins(env: Env): string[] {
  const items = listOrAny(env, 'CORS_ORIGINS');
  if (items === undefined) return [];
  if (items === '*') return ['*'];
  return items.map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError(
        `CORS_ORIGINS must list origins like https://app.example.com, got ${JSON.stringify(item)}`,
      );
    }
    const bare = url.pathname === '/' && !url.search && !url.hash && !url.username;
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare) {
      throw new ConfigError(
        `CORS_ORIGINS entries must be http(s) origins without a path, got ${JSON.stringify(item)}`,
      );
    }
    return url.origin;
  });
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

/** Addresses that mean "every interface": not a name a client would use. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '*']);

/** `[::1]` for an IPv6 literal, lower case otherwise: how hosts are compared (src/plugins/host.ts). */
export function normaliseHostName(host: string): string {
  const lower = host.toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

/**
 * ALLOWED_HOSTS: comma-separated host names (no port), or `*` alone. Default: the loopback
 * names, plus HOST when it names one interface.
 */
function allowedHosts(env: Env, host: string): string[] {
  const items = listOrAny(env, 'ALLOWED_HOSTS');
  if (items === undefined) {
    const hosts = ['localhost', '127.0.0.1', '[::1]'];
    const own = normaliseHostName(host);
    if (!WILDCARD_HOSTS.has(host) && !hosts.includes(own)) hosts.push(own);
    return hosts;
  }
  if (items === '*') return ['*'];
  return items.map((item) => {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+|[0-9a-f:]+)$/i.test(item)) {
      throw new ConfigError(
        `ALLOWED_HOSTS entries must be host names without scheme or port, got ${JSON.stringify(item)}`,
      );
    }
    return normaliseHostName(item);
  });
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
/** More names than this is not an allow-list of operations (and would be that many series). */
const MAX_METRICS_OPERATION_NAMES = 1_000;

/** METRICS_OPERATION_NAMES: comma-separated GraphQL operation names, or unset. */
function metricsOperationNames(env: Env): string[] | undefined {
  const raw = read(env, 'METRICS_OPERATION_NAMES');
  if (raw === undefined) return undefined;
  const names = [
    ...new Set(
      raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
  ];
  for (const name of names) {
    if (!GRAPHQL_NAME.test(name) || name.length > 100) {
      throw new ConfigError(
        `METRICS_OPERATION_NAMES must list GraphQL operation names, got ${JSON.stringify(name)}`,
      );
    }
  }
  if (names.length > MAX_METRICS_OPERATION_NAMES) {
    throw new ConfigError(
      `METRICS_OPERATION_NAMES must list at most ${MAX_METRICS_OPERATION_NAMES} names, got ${names.length}`,
    );
  }
  return names;
}

/** PERSISTED_OPERATIONS_FILE and ALLOW_ARBITRARY_OPERATIONS (src/persisted/manifest.ts). */
function persistedOperations(
  env: Env,
): Pick<Config, 'persistedOperations' | 'allowArbitraryOperations'> {
  const file = read(env, 'PERSISTED_OPERATIONS_FILE');
  if (file === undefined) {
    if (read(env, 'ALLOW_ARBITRARY_OPERATIONS') !== undefined) {
      throw new ConfigError(
        'ALLOW_ARBITRARY_OPERATIONS applies only with PERSISTED_OPERATIONS_FILE: without a manifest every operation runs',
      );
    }
    return { persistedOperations: undefined, allowArbitraryOperations: false };
  }
  const allowArbitraryOperations = boolean(env, 'ALLOW_ARBITRARY_OPERATIONS', false);
  try {
    return { persistedOperations: loadPersistedOperations(file), allowArbitraryOperations };
  } catch (error) {
    if (error instanceof ManifestError) {
      throw new ConfigError(`PERSISTED_OPERATIONS_FILE: ${error.message}`);
    }
    throw error;
  }
}

/** RATE_LIMIT: `<requests>/<seconds>`, e.g. `600/60`. */
function rateLimit(env: Env): RateLimit | undefined {
  const raw = read(env, 'RATE_LIMIT');
  if (raw === undefined) return undefined;
  const match = /^(\d{1,9}) *\/ *(\d{1,6})$/.exec(raw);
  const requests = Number(match?.[1]);
  const windowSeconds = Number(match?.[2]);
  if (!match || requests < 1 || windowSeconds < 1 || windowSeconds > 86_400) {
    throw new ConfigError(
      `RATE_LIMIT must be <requests>/<seconds> (at least 1 request, 1 to 86400 seconds), e.g. 600/60, got ${JSON.stringify(raw)}`,
    );
  }
  return { requests, windowSeconds };
}

/** TRUST_PROXY: true/false, or the number of proxies (hops) in front of the gateway. */
function trustProxyHops(env: Env): number {
  const raw = read(env, 'TRUST_PROXY')?.toLowerCase();
  if (raw === undefined || raw === 'false') return 0;
  if (raw === 'true') return 1;
  if (/^\d{1,2}$/.test(raw) && Number(raw) <= 10) return Number(raw);
  throw new ConfigError(
    `TRUST_PROXY must be true, false or a number of proxies from 0 to 10, got ${JSON.stringify(raw)}`,
  );
}

/** REDIS_URL: redis:// or rediss://. The message never repeats it: it may hold a password. */
function redisUrl(env: Env): string | undefined {
  const raw = read(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    throw new ConfigError(
      'REDIS_URL must be a redis://[user:password@]host[:port][/db] or rediss:// URL (value not shown: it may hold a password)',
    );
  }
  return raw;
}

/** Whether HOST can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/** AUTH_*: caller authentication, or undefined when AUTH_JWKS_URL is unset. */
function authConfig(env: Env): AuthConfig | undefined {
  const jwksUrl = read(env, 'AUTH_JWKS_URL');
  if (jwksUrl === undefined) {
    for (const name of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE', 'AUTH_PROJECTS_CLAIM']) {
      if (read(env, name) !== undefined) {
        throw new ConfigError(`${name} needs AUTH_JWKS_URL (caller authentication) to be set`);
      }
    }
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    throw new ConfigError(`AUTH_JWKS_URL must be an absolute URL, got ${JSON.stringify(jwksUrl)}`);
  }
  // Whoever can change the keys can mint tokens: plain http only where nobody sits in between.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ConfigError('AUTH_JWKS_URL must use https (http only on a loopback host)');
  }
  if (url.username || url.password || url.hash) {
    throw new ConfigError('AUTH_JWKS_URL must not contain credentials or a fragment');
  }
  const audience = read(env, 'AUTH_JWT_AUDIENCE')
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const projectsClaim = read(env, 'AUTH_PROJECTS_CLAIM');
  if (projectsClaim !== undefined && projectsClaim.length > 200) {
    throw new ConfigError('AUTH_PROJECTS_CLAIM must be a claim name of at most 200 characters');
  }
  return {
    jwksUrl: url.toString(),
    issuer: read(env, 'AUTH_JWT_ISSUER'),
    audience: audience?.length ? audience : undefined,
    projectsClaim,
  };
}

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export function loadConfig(env: Env = process.env): Config {
  const apiKey = read(env, 'LLAMA_CLOUD_API_KEY');
  const customBaseUrl = read(env, 'LLAMA_CLOUD_BASE_URL');
  const upstream: UpstreamMode = customBaseUrl
    ? { kind: 'custom', baseUrl: baseUrl(customBaseUrl, 'LLAMA_CLOUD_BASE_URL') }
    : apiKey
      ? { kind: 'llamacloud', baseUrl: LLAMA_CLOUD_DEFAULT_BASE_URL }
      : { kind: 'sandbox' };

  const logLevel = (read(env, 'LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${logLevel}`);
  }

  const maxPageSize = integer(env, 'MAX_PAGE_SIZE', 100, 1, 10_000);
  const defaultPageSize = integer(env, 'DEFAULT_PAGE_SIZE', 20, 1, 10_000);
  if (defaultPageSize > maxPageSize) {
    throw new ConfigError(
      `DEFAULT_PAGE_SIZE (${defaultPageSize}) must not exceed MAX_PAGE_SIZE (${maxPageSize})`,
    );
  }

  const host = read(env, 'HOST') ?? '127.0.0.1';
  const httpHeadersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 1, 600_000);
  const httpRequestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 20_000, 1, 3_600_000);
  if (httpHeadersTimeoutMs > httpRequestTimeoutMs) {
    // node:http refuses a headers timeout longer than the request timeout.
    throw new ConfigError(
      `HTTP_HEADERS_TIMEOUT_MS (${httpHeadersTimeoutMs}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${httpRequestTimeoutMs})`,
    );
  }

  const auth = authConfig(env);
  if (auth && apiKey === undefined && upstream.kind !== 'sandbox') {
    throw new ConfigError(
      "AUTH_JWKS_URL needs LLAMA_CLOUD_API_KEY: with caller authentication the upstream is called with the server key, never the caller's token",
    );
  }
  const allowUnauthenticatedCallers = boolean(env, 'ALLOW_UNAUTHENTICATED_CALLERS', false);
  if (apiKey !== undefined && !auth && !allowUnauthenticatedCallers && !isLoopbackHost(host)) {
    throw new ConfigError(
      `refusing to start exposed: LLAMA_CLOUD_API_KEY is set and HOST=${host} is not a loopback address, but callers are not authenticated, so anyone who reaches the gateway could use the server key. Either set AUTH_JWKS_URL to authenticate callers with JWTs, or set ALLOW_UNAUTHENTICATED_CALLERS=true if only trusted clients can reach it`,
    );
  }

  return {
    port: integer(env, 'PORT', 4000, 0, 65_535),
    host,
    upstream,
    apiKey,
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 1, 600_000),
    upstreamMaxRetries: integer(env, 'UPSTREAM_MAX_RETRIES', 2, 0, 10),
    upstreamStreamIdleTimeoutMs: integer(
      env,
      'UPSTREAM_STREAM_IDLE_TIMEOUT_MS',
      60_000,
      1,
      3_600_000,
    ),
    maxPageSize,
    defaultPageSize,
    maxUpstreamCallsPerOperation: integer(env, 'MAX_UPSTREAM_CALLS_PER_OPERATION', 25, 1, 1_000),
    upstreamCoalesce: boolean(env, 'UPSTREAM_COALESCE', true),
    batchingLimit: integer(env, 'BATCHING_LIMIT', 10, 0, 100),
    logLevel,
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    corsOrigins: corsOrigins(env),
    allowedHosts: allowedHosts(env, host),
    executionTimeoutMs: integer(env, 'EXECUTION_TIMEOUT_MS', 30_000, 1, 600_000),
    maxResponseBytes: integer(env, 'MAX_RESPONSE_BYTES', 10 * 1024 * 1024, 1024, 1024 ** 3),
    graphiql: boolean(env, 'GRAPHIQL', true),
    introspection: boolean(env, 'INTROSPECTION', true),
    maxConcurrentStreams: integer(env, 'MAX_CONCURRENT_STREAMS', 1_000, 1, 100_000),
    httpHeadersTimeoutMs,
    httpRequestTimeoutMs,
    httpIdleTimeoutMs: integer(env, 'HTTP_IDLE_TIMEOUT_MS', 5_000, 1, 600_000),
    maxConnections: integer(env, 'MAX_CONNECTIONS', 1_000, 1, 1_000_000),
    metricsPort: integer(env, 'METRICS_PORT', 9464, 0, 65_535),
    metricsHost: read(env, 'METRICS_HOST') ?? '127.0.0.1',
    metricsOperationNames: metricsOperationNames(env),
    ...persistedOperations(env),
    rateLimit: rateLimit(env),
    trustProxyHops: trustProxyHops(env),
    maxStreamsPerCaller:
      read(env, 'MAX_STREAMS_PER_CALLER') === undefined
        ? undefined
        : integer(env, 'MAX_STREAMS_PER_CALLER', 0, 1, 100_000),
    redisUrl: redisUrl(env),
    auth,
    allowUnauthenticatedCallers,
  };
}

/** One line for the start-up log: where calls go, never the key. */
export function describeUpstream(mode: UpstreamMode, sandboxUrl?: string): string {
  switch (mode.kind) {
    case 'custom':
      return `upstream ${mode.baseUrl} (LLAMA_CLOUD_BASE_URL)`;
    case 'llamacloud':
      return `upstream LlamaCloud ${mode.baseUrl}`;
    case 'sandbox':
      return `SANDBOX upstream with demo data at ${sandboxUrl ?? '(not started)'}: no LLAMA_CLOUD_API_KEY or LLAMA_CLOUD_BASE_URL set, no real LlamaCloud data`;
  }
}
