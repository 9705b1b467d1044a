// The bench's sandbox upstream: the built sandbox (dist/sandbox/server.js), as `npm run sandbox`
// starts it (PORT, HOST, SANDBOX_LATENCY_MS), except that the log of received requests, which
// tests read and a bench never does, is emptied every second: hundreds of thousands of records
// would otherwise grow the sandbox's heap and slow its garbage collection during long runs.
import process from 'node:process';
import { setInterval } from 'node:timers';
import { startSandbox } from '../../dist/sandbox/server.js';

const sandbox = await startSandbox({
  port: Number(process.env.PORT ?? 4010),
  host: process.env.HOST ?? '127.0.0.1',
  latencyMs: Number(process.env.SANDBOX_LATENCY_MS ?? 0),
});
setInterval(() => {
  sandbox.requests.length = 0;
}, 1_000).unref();
process.stdout.write(`Sandbox LlamaCloud Chat API listening on ${sandbox.url}/api/v1/chat\n`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => void sandbox.close().then(() => process.exit(0)));
}
