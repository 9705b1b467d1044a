/**
 * `npm run bench:sandbox-memory`: the embedded sandbox keeps no memory that grows with traffic.
 * Starts the built gateway in sandbox mode (as `npm start` does), sends 20,000 list queries (20
 * at a time), and compares the gateway process's RSS after the first 2,000 with its RSS at the
 * end, each read right after a full garbage collection (bench/lib/memory-probe.mjs): between
 * collections RSS swings by ±30 MB with garbage waiting to be collected, which says nothing about
 * growth. Passes (exit 0) when the growth is within 20 MB.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { spawnGateway } from '../test/support/process.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '20' },
    'max-growth-mb': { type: 'string', default: '20' },
  },
});
const total = Number(values.requests);
const warmup = Number(values.warmup);
const concurrency = Number(values.concurrency);
const maxGrowthMb = Number(values['max-growth-mb']);

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** RSS and live heap (MB) right after a full collection in the gateway. */
async function afterGc(): Promise<{ rss: number; heap: number }> {
  const seen = gateway.stderr.length;
  gateway.child.kill('SIGUSR2');
  while (gateway.stderr.length === seen) await new Promise((r) => setTimeout(r, 20));
  const { liveHeap } = JSON.parse(gateway.stderr[seen]!) as { liveHeap: number };
  return { rss: rssMb(gateway.child.pid!), heap: liveHeap / 2 ** 20 };
}

const gateway = await spawnGateway({
  command: [
    process.execPath,
    '--expose-gc',
    '--import',
    './bench/lib/memory-probe.mjs',
    'dist/main.js',
  ],
});
// One log line per request: keep none of them in this process.
gateway.child.stdout!.removeAllListeners('data');
gateway.child.stdout!.resume();
const query = JSON.stringify({
  query:
    'query($first: Int) { chatSessions(first: $first) { edges { cursor node { sessionId } } } }',
});

let sent = 0;
let failed = 0;
async function worker(until: number) {
  while (sent < until) {
    sent++;
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: query,
    });
    const body = (await res.json()) as { errors?: unknown };
    if (res.status !== 200 || body.errors) failed++;
  }
}
const run = (until: number) =>
  Promise.all(Array.from({ length: concurrency }, () => worker(until)));

await run(warmup);
const warm = await afterGc();
const samples: number[] = [];
for (let step = warmup + 2_000; step <= total; step += 2_000) {
  await run(step);
  samples.push(Math.round((await afterGc()).rss));
}
const end = await afterGc();
gateway.child.kill('SIGTERM');
await gateway.exited;

const growth = end.rss - warm.rss;
const round = (mb: number) => Math.round(mb * 10) / 10;
console.log(
  JSON.stringify({
    requests: sent,
    failed,
    rssAfterWarmupMb: round(warm.rss),
    rssAtEndMb: round(end.rss),
    growthMb: round(growth),
    liveHeapAfterWarmupMb: round(warm.heap),
    liveHeapAtEndMb: round(end.heap),
    rssEvery2000Mb: samples,
    maxGrowthMb,
  }),
);
process.exit(failed === 0 && growth <= maxGrowthMb ? 0 : 1);
