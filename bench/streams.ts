/**
 * `npm run bench:streams`: N concurrent `chatTurn` subscriptions over GraphQL over SSE (Yoga's
 * "distinct connections" mode: one POST with `Accept: text/event-stream` per subscription), each
 * on a session of its own created first with `createChatSession`, against the built gateway and
 * the sandbox upstream. Reports the gateway's memory (RSS, and the live heap after a full GC)
 * idle, with the N streams open and after they end; its CPU time per delivered event; and the
 * time from the sandbox writing an event to the driver reading it. Every stream must receive
 * every event of its scripted turn, in order, and complete; any error fails the run (exit 1).
 * See bench/README.md, "Streams".
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { scriptTurn } from '../src/sandbox/turns.js';
import { REPO_ROOT } from '../test/support/process.js';
import type { GatewayProcess } from '../test/support/process.js';
import {
  cpuMs,
  envPairs,
  gitInfo,
  liveHeapMB,
  MEMORY_PROBE,
  productionFeatures,
  RESULTS,
  rssMB,
  startLogged,
  stopProcess,
} from './lib/processes.js';
import type { ProductionFeatures } from './lib/processes.js';
import { fail, fmt, median, STAMP, table, writeResults } from './lib/report.js';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '1' },
    features: { type: 'string', default: 'on' },
    'gateway-env': { type: 'string', multiple: true, default: [] },
    gateway: { type: 'string', default: 'dist/main.js' },
    'node-flag': { type: 'string', multiple: true, default: [] },
    'heap-snapshot': { type: 'boolean', default: false },
    baseline: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run bench:streams -- [options]   (see bench/README.md, "Streams")
  --streams 1000        concurrent chatTurn subscriptions (at most 1000: the sandbox keeps 1000
                        created sessions)
  --interval 1000       the sandbox's pause before each event of a turn, ms (11 events a turn)
  --warmup 20           streams run to the end before the idle measurement
  --rounds 1            repeats; with --baseline each round runs both builds, alternating
  --features on         on: JWT callers, RATE_LIMIT, metrics listener, LOG_LEVEL=info; off: bare
  --gateway-env K=V     extra gateway environment, repeatable
  --gateway FILE        the built gateway measured (default dist/main.js)
  --node-flag F         a node flag for the gateway, repeatable (e.g. --node-flag=--cpu-prof)
  --heap-snapshot       a heap snapshot of the gateway with the streams open (Heap.*.heapsnapshot
                        in the repository root; it pauses the gateway: latencies then mean little)
  --baseline FILE       a second built gateway (bench/build-baseline.ts), measured the same way`);
  process.exit(0);
}
const int = (name: 'streams' | 'interval' | 'warmup' | 'rounds', min: number, max: number) => {
  const value = Number(args[name]);
  return Number.isInteger(value) && value >= min && value <= max
    ? value
    : fail(`--${name} must be an integer from ${min} to ${max}`);
};
const N = int('streams', 1, 1000);
const INTERVAL_MS = int('interval', 0, 60_000);
const WARMUP = int('warmup', 0, 200);
const ROUNDS = int('rounds', 1, 20);
if (args.features !== 'on' && args.features !== 'off') fail('--features must be on or off');
const FEATURES = args.features === 'on';
const builds: Array<{ label: string; entry: string }> = [
  { label: 'current', entry: resolve(REPO_ROOT, args.gateway) },
  ...(args.baseline ? [{ label: 'baseline', entry: resolve(args.baseline) }] : []),
];
for (const { entry } of builds) {
  if (!existsSync(entry)) fail(`${entry} is missing: \`npm run build\` first`);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
/** Epoch ms with sub-ms precision; the sandbox stamps its writes on the same clock. */
const now = () => performance.timeOrigin + performance.now();

const CREATE = `mutation BenchCreate { createChatSession(input: {}) { chatSession { sessionId } } }`;
const TURN = `subscription BenchTurn($sessionId: ID!, $prompt: String!) {
  chatTurn(sessionId: $sessionId, prompt: $prompt, indexIds: []) {
    type
    ... on ThinkingDeltaChatEvent { content }
    ... on ThinkingChatEvent { content }
    ... on ToolCallChatEvent { callId name }
    ... on ToolResultChatEvent { callId name }
    ... on TextDeltaChatEvent { content }
    ... on TextChatEvent { content }
    ... on StopChatEvent { isError error usage { turns } }
  }
}`;
const LIST = `query BenchList { chatSessions(first: 5) { edges { node { sessionId } } } }`;
const PROMPT = 'Which documents mention the quarterly report?';
/** The event types every stream must receive, in order (the sandbox's script for a first turn). */
const expectedTypes = (sessionId: string) =>
  scriptTurn({
    sessionId,
    turn: 1,
    prompt: PROMPT,
    indexIds: [],
    skippedIndexIds: [],
    requireAllIndexes: false,
  }).map((e) => e.type);

interface StreamResult {
  sessionId: string;
  /** Event types received, in order, and when each was read (epoch ms). */
  types: string[];
  at: number[];
  completed: boolean;
  error: string | undefined;
}

/** Sends `body` as a JSON POST to the gateway; its response goes to `onResponse`. */
function post(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  agent: Agent,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  const text = JSON.stringify(body);
  const req = request(
    url,
    {
      method: 'POST',
      agent,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      },
    },
    onResponse,
  );
  req.end(text);
  return req;
}

/** A JSON POST to the gateway; resolves with the parsed body of a 200. */
function postJson(url: string, headers: Record<string, string>, body: unknown, agent: Agent) {
  return new Promise<unknown>((done, reject) => {
    const req = post(url, headers, body, agent, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const answer = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}: ${answer}`));
        else done(JSON.parse(answer));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** `count` new sessions, `concurrency` mutations at a time. */
async function createSessions(
  url: string,
  headers: Record<string, string>,
  count: number,
): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const ids: string[] = [];
  try {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        const answer = (await postJson(url, headers, { query: CREATE }, agent)) as {
          data?: { createChatSession?: { chatSession?: { sessionId?: string } } };
          errors?: unknown;
        };
        const id = answer.data?.createChatSession?.chatSession?.sessionId;
        if (!id || answer.errors) {
          throw new Error(`createChatSession failed: ${JSON.stringify(answer).slice(0, 300)}`);
        }
        ids.push(id);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    agent.destroy();
  }
  return ids;
}

/**
 * One subscription over SSE, read to its end: the `next` payloads' event types and read times,
 * `complete`, or the first error (a non-200, a payload with `errors`, a cut connection).
 * Hand-parsed (a `\n\n`-separated `event:`/`data:` message is all Yoga writes) to keep the
 * driver's cost per event small next to the gateway's.
 */
function subscribe(
  url: string,
  headers: Record<string, string>,
  sessionId: string,
  agent: Agent,
  onEvent: (result: StreamResult) => void,
): Promise<StreamResult> {
  const result: StreamResult = { sessionId, types: [], at: [], completed: false, error: undefined };
  const body = { query: TURN, variables: { sessionId, prompt: PROMPT } };
  return new Promise((done) => {
    const finish = (error?: string) => {
      if (error !== undefined && !result.completed) result.error ??= error;
      done(result);
    };
    const onMessage = (message: string, at: number) => {
      let event = 'message';
      let data = '';
      for (const line of message.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trimStart();
      }
      if (event === 'complete') result.completed = true;
      if (event !== 'next') return;
      const payload = JSON.parse(data) as { data?: { chatTurn?: { type: string } }; errors?: [] };
      if (payload.errors || !payload.data?.chatTurn) {
        result.error ??= `payload ${data.slice(0, 300)}`;
        return;
      }
      result.types.push(payload.data.chatTurn.type);
      result.at.push(at);
      onEvent(result);
    };
    const sse = { ...headers, accept: 'text/event-stream' };
    const req = post(url, sse, body, agent, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        finish(`status ${res.statusCode}`);
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const at = now();
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          onMessage(buffer.slice(0, end), at);
          buffer = buffer.slice(end + 2);
        }
      });
      res.on('end', () => finish(result.completed ? undefined : 'ended without `complete`'));
      res.on('error', (error) => finish(error.message));
    });
    req.on('error', (error) => finish(error.message));
  });
}

/** Every stream got its script's events in order and completed; the first problem otherwise. */
function check(result: StreamResult): string | undefined {
  if (result.error) return result.error;
  if (!result.completed) return 'no `complete`';
  const expected = expectedTypes(result.sessionId);
  if (result.types.join() !== expected.join()) {
    return `events ${result.types.join()} instead of ${expected.join()}`;
  }
  return undefined;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! : NaN;

interface Measurement {
  build: string;
  round: number;
  streams: number;
  errors: number;
  sampleError: string | undefined;
  events: number;
  /** Gateway memory, MB. */
  idle: { rss: number; live: number };
  open: { rss: number; live: number };
  after: { rss: number; live: number };
  peakRss: number;
  /** Per open stream, KB: (open - idle) / N. */
  rssPerStreamKB: number;
  livePerStreamKB: number;
  /** Seconds from the first subscription sent to every stream's first event. */
  openSeconds: number;
  /** Gateway CPU ms per stream from the first request to every stream's first event. */
  cpuPerStreamOpenMs: number;
  /** Gateway CPU µs per event delivered after every stream was open. */
  cpuPerEventUs: number;
  /** The same without the gateway's idle CPU over that time. */
  cpuPerEventNetUs: number;
  /** The gateway's CPU when idle, as a share of one core (/proc counts in 10 ms ticks). */
  idleCpuShare: number;
  /** Sandbox write → driver read, ms. */
  latency: { p50: number; p99: number; max: number; samples: number };
  /** The driver's own CPU over the streaming phase, as a share of one core. */
  driverCpuShare: number;
  /** A `chatSessions` query sent while the streams are open: its time, and its error if any. */
  queryMs: number;
  queryError: string | undefined;
}

async function measureOnce(
  build: { label: string; entry: string },
  round: number,
): Promise<Measurement> {
  const timesFile = join(RESULTS, `${STAMP}-event-times-${build.label}-${round}.json`);
  const started: GatewayProcess[] = [];
  let features: ProductionFeatures | undefined;
  try {
    features = FEATURES ? await productionFeatures() : undefined;
    const sandbox = await startLogged('sandbox', ['bench/lib/sandbox.mjs'], {
      SANDBOX_TURN_EVENT_DELAY_MS: String(INTERVAL_MS),
      BENCH_EVENT_TIMES: timesFile,
    });
    started.unshift(sandbox);
    const gateway = await startLogged(
      'gateway',
      [
        '--expose-gc',
        '--import',
        MEMORY_PROBE,
        ...(args['heap-snapshot'] ? ['--heapsnapshot-signal=SIGUSR1'] : []),
        ...args['node-flag'],
        build.entry,
      ],
      {
        NODE_ENV: 'production',
        LLAMA_CLOUD_BASE_URL: sandbox.url,
        LLAMA_CLOUD_API_KEY: 'llx-bench-key-not-a-real-credential',
        // The process-wide stream cap (default 1000) and connection cap (default 1000, and the
        // driver's session-creating sockets come on top); MAX_STREAMS_PER_CALLER is unset (no cap)
        // by default, as is RATE_LIMIT without --features on.
        MAX_CONCURRENT_STREAMS: String(Math.max(N, 1000)),
        MAX_CONNECTIONS: String(Math.max(N + 100, 1000)),
        ...features?.env,
        ...envPairs(args['gateway-env']),
      },
      features !== undefined,
    );
    started.unshift(gateway);
    const pid = gateway.child.pid!;
    const url = `${gateway.url}/graphql`;
    const headers = features?.headers ?? {};
    const memory = async () => {
      const live = await liveHeapMB(gateway);
      return { rss: rssMB(pid).rss, live };
    };

    // Warm-up: every code path compiled and every pool filled before the idle measurement.
    const streamAgent = new Agent({ keepAlive: false, maxSockets: Infinity });
    let errors = 0;
    let sampleError: string | undefined;
    const record = (results: StreamResult[]) => {
      for (const r of results) {
        const problem = check(r);
        if (problem === undefined) continue;
        errors++;
        sampleError ??= `${r.sessionId}: ${problem}`;
      }
    };
    if (WARMUP > 0) {
      const ids = await createSessions(url, headers, WARMUP);
      record(
        await Promise.all(ids.map((id) => subscribe(url, headers, id, streamAgent, () => {}))),
      );
    }
    const ids = await createSessions(url, headers, N);
    // The gateway's CPU with nothing to do (timers, metrics), subtracted from the CPU per event.
    await sleep(500);
    const idleCpu = cpuMs(pid);
    const idleStart = now();
    await sleep(2000);
    const idleCpuShare = (cpuMs(pid) - idleCpu) / (now() - idleStart);
    const idle = await memory();

    let firstSeen = 0;
    let allOpen: () => void;
    const opened = new Promise<void>((done) => (allOpen = done));
    const onEvent = (r: StreamResult) => {
      if (r.types.length === 1 && ++firstSeen === N) allOpen();
    };
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssMB(pid).rss), 250);
    const cpu0 = cpuMs(pid);
    const t0 = now();
    const running = Promise.all(ids.map((id) => subscribe(url, headers, id, streamAgent, onEvent)));
    // A stream that fails before its first event would leave `opened` pending.
    const outcome = await Promise.race([opened.then(() => 'open' as const), running]);
    const t1 = now();
    const cpu1 = cpuMs(pid);
    const driver1 = process.cpuUsage();
    const open = outcome === 'open' ? await memory() : { rss: NaN, live: NaN };
    if (args['heap-snapshot'] && outcome === 'open') process.kill(pid, 'SIGUSR1');
    // Whether the open streams leave room for other operations: one list query, timed.
    const queryStarted = now();
    const queryAgent = new Agent({ keepAlive: false });
    const query = await postJson(url, headers, { query: LIST }, queryAgent).then(
      (answer) => ((answer as { errors?: unknown }).errors ? JSON.stringify(answer) : undefined),
      (error: Error) => error.message,
    );
    const queryMs = now() - queryStarted;
    queryAgent.destroy();
    const results = await running;
    const t2 = now();
    const cpu2 = cpuMs(pid);
    const driverMs = (() => {
      const d = process.cpuUsage(driver1);
      return (d.user + d.system) / 1000;
    })();
    clearInterval(sampler);
    streamAgent.destroy();
    record(results);
    await sleep(1000);
    const after = await memory();
    const peakRss = Math.max(...rss, rssMB(pid).hwm);

    for (const proc of started.splice(0)) await stopProcess(proc);
    const sent = JSON.parse(readFileSync(timesFile, 'utf8')) as Record<string, number[]>;
    rmSync(timesFile);
    const latencies: number[] = [];
    let eventsAfterOpen = 0;
    let events = 0;
    for (const r of results) {
      const times = sent[r.sessionId] ?? [];
      events += r.at.length;
      r.at.forEach((at, i) => {
        if (at >= t1) eventsAfterOpen++;
        if (times[i] !== undefined) latencies.push(at - times[i]);
      });
    }
    latencies.sort((a, b) => a - b);
    return {
      build: build.label,
      round,
      streams: N,
      errors,
      sampleError,
      events,
      idle,
      open,
      after,
      peakRss,
      rssPerStreamKB: ((open.rss - idle.rss) * 1024) / N,
      livePerStreamKB: ((open.live - idle.live) * 1024) / N,
      openSeconds: (t1 - t0) / 1000,
      cpuPerStreamOpenMs: (cpu1 - cpu0) / N,
      cpuPerEventUs: ((cpu2 - cpu1) * 1000) / eventsAfterOpen,
      cpuPerEventNetUs: ((cpu2 - cpu1 - idleCpuShare * (t2 - t1)) * 1000) / eventsAfterOpen,
      idleCpuShare,
      latency: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? NaN,
        samples: latencies.length,
      },
      driverCpuShare: driverMs / (t2 - t1),
      queryMs,
      queryError: query,
    };
  } finally {
    for (const proc of started) await stopProcess(proc);
    features?.close();
  }
}

const runs: Measurement[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  // With a baseline, which build goes first alternates by round, so drift favours neither.
  const order = round % 2 === 0 ? [...builds].reverse() : builds;
  for (const build of order) {
    log(`round ${round}: ${build.label} (${build.entry}), ${N} streams`);
    const m = await measureOnce(build, round);
    runs.push(m);
    log(
      `${m.errors ? '!' : ' '} round ${round} ${build.label}: RSS idle ${fmt(m.idle.rss, 1)} open ${fmt(m.open.rss, 1)} after ${fmt(m.after.rss, 1)} MB, live heap ${fmt(m.idle.live, 1)} / ${fmt(m.open.live, 1)} / ${fmt(m.after.live, 1)} MB, ${fmt(m.rssPerStreamKB, 1)} KB RSS and ${fmt(m.livePerStreamKB, 1)} KB heap per stream, ${fmt(m.cpuPerEventUs, 0)} µs CPU/event, latency p50 ${fmt(m.latency.p50, 2)} p99 ${fmt(m.latency.p99, 2)} ms${m.errors ? `, ${m.errors} ERRORS, e.g. ${m.sampleError}` : ''}`,
    );
  }
}

const rows = [
  [
    'build',
    'round',
    'RSS idle',
    'open',
    'after',
    'peak',
    'heap idle',
    'open',
    'after',
    'KB RSS/stream',
    'KB heap/stream',
    'open s',
    'cpu ms/stream open',
    'cpu µs/event',
    'net of idle',
    'lat p50 ms',
    'p99',
    'max',
    'query ms',
    'errors',
  ],
];
const line = (m: Measurement) => [
  m.build,
  String(m.round),
  fmt(m.idle.rss, 1),
  fmt(m.open.rss, 1),
  fmt(m.after.rss, 1),
  fmt(m.peakRss, 1),
  fmt(m.idle.live, 1),
  fmt(m.open.live, 1),
  fmt(m.after.live, 1),
  fmt(m.rssPerStreamKB, 1),
  fmt(m.livePerStreamKB, 1),
  fmt(m.openSeconds, 2),
  fmt(m.cpuPerStreamOpenMs, 2),
  fmt(m.cpuPerEventUs, 0),
  fmt(m.cpuPerEventNetUs, 0),
  fmt(m.latency.p50, 2),
  fmt(m.latency.p99, 2),
  fmt(m.latency.max, 1),
  `${fmt(m.queryMs, 0)}${m.queryError ? ' ERR' : ''}`,
  String(m.errors),
];
for (const m of runs) rows.push(line(m));

const ratios: string[] = [];
if (args.baseline) {
  const paired = (f: (m: Measurement) => number) =>
    median(
      runs
        .filter((m) => m.build === 'current')
        .map((m) => {
          const b = runs.find((x) => x.build === 'baseline' && x.round === m.round)!;
          return f(m) / f(b);
        }),
    );
  ratios.push(
    `current / baseline, median over rounds: KB RSS/stream ${fmt(
      paired((m) => m.rssPerStreamKB),
      3,
    )}x, KB heap/stream ${fmt(
      paired((m) => m.livePerStreamKB),
      3,
    )}x, RSS open ${fmt(
      paired((m) => m.open.rss),
      3,
    )}x, cpu µs/event ${fmt(
      paired((m) => m.cpuPerEventNetUs),
      3,
    )}x, cpu ms/stream open ${fmt(
      paired((m) => m.cpuPerStreamOpenMs),
      3,
    )}x, latency p50 ${fmt(
      paired((m) => m.latency.p50),
      3,
    )}x`,
  );
}

const file = writeResults('streams', args, { runs });
const errors = runs.reduce((e, m) => e + m.errors + (m.queryError ? 1 : 0), 0);
const queryError = runs.find((m) => m.queryError)?.queryError;
if (queryError) console.log(`the query sent while the streams were open failed: ${queryError}`);
console.log(`
commit ${gitInfo()}; ${N} chatTurn streams over SSE, ${INTERVAL_MS} ms between upstream events (11 a turn); gateway features ${FEATURES ? 'on (JWT, RATE_LIMIT, metrics, LOG_LEVEL=info)' : 'off'}; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}
memory in MB (live heap = heap used after a full GC); per stream = (open - idle) / streams; latency = sandbox write -> driver read

${table(rows)}
${ratios.join('\n')}
gateway CPU idle: ${runs.map((m) => `${fmt(m.idleCpuShare * 100, 1)} %`).join(', ')}; driver CPU while streaming: ${runs.map((m) => `${fmt(m.driverCpuShare * 100, 0)} %`).join(', ')} of one core; written to ${file}`);
if (errors)
  console.log(`${errors} stream(s) failed, e.g. ${runs.find((m) => m.sampleError)?.sampleError}`);
process.exit(errors ? 1 : 0);
