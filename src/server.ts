/**
 * createGateway(config): Yoga + plugins + node:http. No business logic here.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga } from 'graphql-yoga';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { createContextFactory } from './context.js';
import type { RequestContext } from './context.js';
import { graphiqlOptions, renderLocalGraphiQL } from './graphiql.js';
import { MAX_REQUEST_BODY_BYTES, useQueryLimits } from './plugins/query-limits.js';
import { useRequestId } from './plugins/request-id.js';
import { startSandbox } from './sandbox/server.js';
import type { Sandbox } from './sandbox/server.js';
import { buildSchema } from './schema/index.js';
import { UpstreamClient } from './upstream/client.js';
import type { UpstreamClientOptions } from './upstream/client.js';
import { USER_AGENT } from './version.js';

export interface GatewayOptions {
  /** Overrides of the upstream client's internals (tests shorten back-off). */
  upstream?: Partial<Omit<UpstreamClientOptions, 'baseUrl'>>;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:4000 */
  url: string;
  /** The embedded sandbox, in sandbox mode. */
  sandbox: Sandbox | undefined;
  server: Server;
  yoga: YogaServerInstance<Record<string, unknown>, RequestContext>;
  close(): Promise<void>;
}

export function createGatewayYoga(config: Config, client: UpstreamClient) {
  return createYoga<Record<string, unknown>, RequestContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: graphiqlOptions,
    renderGraphiQL: renderLocalGraphiQL,
    maxRequestBodySize: MAX_REQUEST_BODY_BYTES,
    // Never attach stacks or original messages, whatever NODE_ENV says.
    maskedErrors: { isDev: false },
    plugins: [useQueryLimits(), useRequestId()],
    context: createContextFactory({
      config,
      client,
      credentialRequired: config.upstream.kind !== 'sandbox',
    }),
  });
}

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const sandbox = config.upstream.kind === 'sandbox' ? await startSandbox() : undefined;
  const baseUrl = sandbox ? sandbox.url : (config.upstream as { baseUrl: string }).baseUrl;
  const client = new UpstreamClient({
    baseUrl,
    timeoutMs: config.upstreamTimeoutMs,
    maxRetries: config.upstreamMaxRetries,
    userAgent: USER_AGENT,
    ...options.upstream,
  });
  const yoga = createGatewayYoga(config, client);
  const server = createServer(yoga);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    sandbox,
    server,
    yoga,
    // Idempotent: a second signal (or a test's afterAll) must not throw.
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await client.close();
        await sandbox?.close();
      })();
      return closing;
    },
  };
}
