/**
 * `npm run sandbox`: the sandbox upstream alone (PORT, default 4010; SANDBOX_LATENCY_MS;
 * SANDBOX_TURN_EVENT_DELAY_MS, the pause before each event of a streamed turn, else 40–120 ms).
 */
import { startSandbox, turnEventDelayFromEnv } from './server.js';

const sandbox = await startSandbox({
  port: Number(process.env.PORT ?? 4010),
  host: process.env.HOST ?? '127.0.0.1',
  latencyMs: Number(process.env.SANDBOX_LATENCY_MS ?? 0),
  turnEventDelayMs: turnEventDelayFromEnv(process.env),
});
process.stdout.write(`Sandbox LlamaCloud Chat API listening on ${sandbox.url}/api/v1/chat\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void sandbox.close().then(() => process.exit(0)));
}
