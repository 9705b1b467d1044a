/** CLI entry: read config, start the gateway, log the mode, shut down on SIGTERM/SIGINT. */
import { ConfigError, describeUpstream, loadConfig } from './config.js';
import type { Config } from './config.js';

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

// Imported only once the configuration is known to be good: the server pulls in Yoga, Pothos,
// graphql and undici (about a second), and a bad variable should be reported at once.
const { startGateway } = await import('./server.js');
const gateway = await startGateway(config);
const { logger } = gateway;

/** Past the drain timeout, closing the pools must not take long: this is the last resort. */
const HARD_EXIT_GRACE_MS = 5_000;

let shuttingDown = false;

function onSignal(signal: NodeJS.Signals): void {
  if (shuttingDown) {
    // A second signal while draining means "now".
    logger.warn({ signal }, 'second signal: closing every connection now');
    gateway.server.closeAllConnections();
    return;
  }
  shuttingDown = true;
  logger.info(
    { signal, inFlight: gateway.inFlight(), timeoutMs: config.shutdownTimeoutMs },
    'shutting down: not ready, no new connections, draining in-flight requests',
  );
  setTimeout(() => {
    logger.error('shutdown did not finish in time; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs + HARD_EXIT_GRACE_MS).unref();

  gateway.close().then(
    ({ drained, abandoned }) => {
      if (drained) {
        logger.info('shutdown complete: every in-flight request finished');
      } else {
        logger.warn(
          { abandoned },
          `shutdown complete: SHUTDOWN_TIMEOUT_MS passed, ${abandoned} request(s) cut off`,
        );
      }
      process.exit(0);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
}

// Before the start-up line: a supervisor that signals as soon as it reads it must reach onSignal,
// not the default handler.
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

logger.info(
  {
    url: `${gateway.url}/graphql`,
    metricsUrl: gateway.metricsUrl ?? null,
    mode: config.upstream.kind,
    callerAuth: config.auth ? 'jwt' : 'none',
  },
  `GraphQL gateway listening on ${gateway.url}/graphql, metrics ${gateway.metricsUrl ?? 'off (METRICS_PORT=0)'} — ${describeUpstream(config.upstream, gateway.sandbox?.url)}`,
);
