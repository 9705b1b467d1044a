/** CLI entry: read config, start the gateway, log the mode, shut down on SIGTERM/SIGINT. */
import { ConfigError, describeUpstream, loadConfig } from './config.js';
import type { Config } from './config.js';
import { startGateway } from './server.js';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Invalid configuration: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

const gateway = await startGateway(config);
process.stdout.write(
  `${JSON.stringify({
    level: 'info',
    msg: `GraphQL gateway listening on ${gateway.url}/graphql — ${describeUpstream(config.upstream, gateway.sandbox?.url)}`,
    url: `${gateway.url}/graphql`,
    mode: config.upstream.kind,
  })}\n`,
);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
