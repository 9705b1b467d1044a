/**
 * A real stack on loopback ports for integration tests: sandbox upstream <- gateway <- client.
 * Nothing is mocked: the gateway is started exactly as main.ts starts it, from env variables.
 */
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/server.js';
import type { Gateway, GatewayOptions } from '../../src/server.js';
import { startSandbox } from '../../src/sandbox/server.js';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/server.js';

export const SERVER_KEY = 'llx-server-side-test-key-0000000000';

export interface GraphQLResponse<T = Record<string, unknown>> {
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
}

export interface Stack {
  sandbox: Sandbox;
  gateway: Gateway;
  /** POST a GraphQL operation to the gateway. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read deep response shapes
  graphql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** Sandbox requests to the list endpoint since the last reset. */
  listCalls(): Sandbox['requests'];
  resetRequests(): void;
  close(): Promise<void>;
}

export interface StackOptions {
  sandbox?: SandboxOptions;
  /** Gateway environment on top of the defaults (upstream = this sandbox, server key set). */
  env?: Record<string, string | undefined>;
  gateway?: GatewayOptions;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sandbox = await startSandbox(options.sandbox);
  const config = loadConfig({
    PORT: '0',
    LLAMA_CLOUD_BASE_URL: sandbox.url,
    LLAMA_CLOUD_API_KEY: SERVER_KEY,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const gateway = await startGateway(config, {
    ...options.gateway,
    upstream: { retryBaseDelayMs: 20, ...options.gateway?.upstream },
  });
  return {
    sandbox,
    gateway,
    async graphql<T>(
      query: string,
      variables?: Record<string, unknown>,
      headers?: Record<string, string>,
    ) {
      const res = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: res.status,
        body: (await res.json()) as GraphQLResponse<T>['body'],
        headers: res.headers,
      };
    },
    listCalls: () => sandbox.requests.filter((r) => r.path === '/api/v1/chat'),
    resetRequests: () => {
      sandbox.requests.length = 0;
    },
    async close() {
      await gateway.close();
      await sandbox.close();
    },
  };
}
