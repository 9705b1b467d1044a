// The bench's sandbox upstream, from the built output: PORT, HOST and SANDBOX_LATENCY_MS in, one
// JSON line with its `url` out (what test/support/process.ts waits for), SIGTERM to stop.
import process from 'node:process';
import { startSandbox } from '../../dist/sandbox/server.js';

const sandbox = await startSandbox({
  port: Number(process.env.PORT ?? 0),
  host: process.env.HOST ?? '127.0.0.1',
  latencyMs: Number(process.env.SANDBOX_LATENCY_MS ?? 0),
});
process.stdout.write(`${JSON.stringify({ url: sandbox.url })}\n`);
process.once('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
