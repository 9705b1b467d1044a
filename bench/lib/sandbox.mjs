// The bench's sandbox upstream, from the built output: PORT, HOST, SANDBOX_LATENCY_MS and
// SANDBOX_TURN_EVENT_DELAY_MS in, one JSON line with its `url` out (what test/support/process.ts
// waits for), SIGTERM to stop.
//
// With BENCH_EVENT_TIMES=<file> (bench/streams.ts) it serves the same API from a server of its
// own that notes when each event of a streamed turn was written to the socket (epoch ms, from
// `performance`, comparable with the driver's clock on the same host) and writes them, by session
// id, to that file as JSON when stopped. The product sandbox stays free of bench hooks.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createSandboxApi,
  readRequest,
  sendAnswer,
  startSandbox,
  turnEventDelayFromEnv,
} from '../../dist/sandbox/server.js';
import { STREAM_END } from '../../dist/sandbox/turns.js';

const options = {
  port: Number(process.env.PORT ?? 0),
  host: process.env.HOST ?? '127.0.0.1',
  latencyMs: Number(process.env.SANDBOX_LATENCY_MS ?? 0),
  turnEventDelayMs: turnEventDelayFromEnv(process.env),
};
const timesFile = process.env.BENCH_EVENT_TIMES;

if (timesFile === undefined) {
  const sandbox = await startSandbox(options);
  process.stdout.write(`${JSON.stringify({ url: sandbox.url })}\n`);
  process.once('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
} else {
  const api = createSandboxApi(options);
  /** Session id → write time of each event of its turn, in order. */
  const sent = new Map();
  const now = () => performance.timeOrigin + performance.now();
  const server = createServer((req, res) => {
    void (async () => {
      const request = await readRequest(req);
      if (options.latencyMs) await sleep(options.latencyMs);
      const answer = request ? api.answer(request) : { status: 422, body: { detail: 'bad body' } };
      if ('events' in answer) {
        const sessionId = decodeURIComponent(request.url.pathname.split('/')[4]);
        const times = [];
        sent.set(sessionId, times);
        const events = answer.events;
        // An event is complete with its chunk holding `data:` (the sandbox splits some events
        // into a head and a data chunk); `sendAnswer` writes each chunk before asking for the next.
        answer.events = (async function* () {
          for await (const chunk of events) {
            yield chunk;
            // Resumed once `sendAnswer` has written the chunk.
            if (chunk.includes('data:') && chunk !== STREAM_END) times.push(now());
          }
        })();
      }
      await sendAnswer(res, answer);
    })().catch(() => res.destroy());
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(options.port, options.host, resolve));
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://${options.host}:${port}` })}\n`);
  process.once('SIGTERM', () => {
    writeFileSync(timesFile, JSON.stringify(Object.fromEntries(sent)));
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
