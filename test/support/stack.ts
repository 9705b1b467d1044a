/**
 * A real stack on loopback ports for integration tests: sandbox upstream <- gateway <- client.
 * Nothing is mocked: the gateway is started exactly as main.ts starts it, from env variables;
 * the upstream is the sandbox's API behind the recording, fault-injecting test double.
 */
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/server.js';
import type { Gateway, GatewayOptions } from '../../src/server.js';
import type { SandboxOptions } from '../../src/sandbox/server.js';
import { startFaultySandbox } from './faulty-sandbox.js';
import type { FaultySandbox } from './faulty-sandbox.js';

export const SERVER_KEY = 'llx-server-side-test-key-0000000000';

/** Response data as tests read it: any shape, checked by assertions rather than types. */

export type AnyData = Record<string, any>;

export interface GraphQLResponse<T = AnyData> {
  status: number;
  body: {
    data?: T | null;
    errors?: Array<{
      message: string;
      path?: (string | number)[];
      extensions?: Record<string, unknown>;
    }>;
  };
  headers: Headers;
  /** The raw response text (for "no key, no URL, no stack" checks). */
  text: string;
  /** Milliseconds from sending the request to having the whole answer. */
  elapsedMs: number;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Stack {
  sandbox: FaultySandbox;
  gateway: Gateway;
  /** POST a GraphQL operation to the gateway. */
  graphql<T = AnyData>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions | Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** Sandbox requests to the list endpoint since the last reset. */
  listCalls(): FaultySandbox['requests'];
  /** Sandbox requests to `GET /api/v1/chat/{id}/summary` since the last reset. */
  summaryCalls(): FaultySandbox['requests'];
  /** Sandbox requests to `GET /api/v1/chat/{id}` (full session with events) since the last reset. */
  fullSessionCalls(): FaultySandbox['requests'];
  /** Forgets recorded requests and removes programmed faults. */
  resetRequests(): void;
  close(): Promise<void>;
}

export interface StackOptions {
  sandbox?: SandboxOptions;
  /** Gateway environment on top of the defaults (upstream = this sandbox, server key set). */
  env?: Record<string, string | undefined>;
  gateway?: GatewayOptions;
  /**
   * Serve /metrics on a free port (`gateway.metricsUrl`). Off by default, so test files running
   * in parallel never compete for METRICS_PORT's default 9464.
   */
  metrics?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sandbox = await startFaultySandbox(options.sandbox);
  const config = loadConfig({
    PORT: '0',
    LLAMA_CLOUD_BASE_URL: sandbox.url,
    LLAMA_CLOUD_API_KEY: SERVER_KEY,
    LOG_LEVEL: 'silent',
    METRICS_PORT: '0',
    ...options.env,
  });
  const gateway = await startGateway(config, {
    ...(options.metrics && { metricsPort: 0 }),
    ...options.gateway,
    upstream: { retryBaseDelayMs: 20, ...options.gateway?.upstream },
  });
  return {
    sandbox,
    gateway,
    async graphql<T>(
      query: string,
      variables?: Record<string, unknown>,
      options: RequestOptions | Record<string, string> = {},
    ): Promise<GraphQLResponse<T>> {
      // Older call sites pass the headers object itself.
      const { headers, signal } = (
        'headers' in options || 'signal' in options ? options : { headers: options }
      ) as RequestOptions;
      const started = performance.now();
      const res = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
        ...(signal && { signal }),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: JSON.parse(text) as GraphQLResponse<T>['body'],
        headers: res.headers,
        text,
        elapsedMs: performance.now() - started,
      };
    },
    listCalls: () => sandbox.requests.filter((r) => r.path === '/api/v1/chat'),
    summaryCalls: () =>
      sandbox.requests.filter((r) => /^\/api\/v1\/chat\/[^/]+\/summary$/.test(r.path)),
    fullSessionCalls: () => sandbox.requests.filter((r) => /^\/api\/v1\/chat\/[^/]+$/.test(r.path)),
    resetRequests: () => {
      sandbox.clearRequests();
      sandbox.faults.clear();
    },
    async close() {
      await gateway.close();
      await sandbox.close();
    },
  };
}
