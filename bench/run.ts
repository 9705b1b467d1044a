/**
 * `npm run bench`: the gateway against its ceiling (`direct` to the upstream) and its floor (a
 * minimal hand-written `proxy`), each in its own process, with this driver generating the load.
 * See bench/README.md for the options and how to read the output.
 *
 * Modes:
 *   (default)          every scenario at every concurrency: req/s, p50/p99, ratios, targets
 *   --sustained <s>    one scenario for <s> seconds, sampling the gateway's RSS and heap
 *   --profile          the gateway under `node --cpu-prof` with the `connection` load, summarised
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { runLoad } from './lib/load.js';
import type { LoadResult } from './lib/load.js';
import {
  askMemory,
  readCpuMs,
  readRss,
  RESULTS_DIR,
  ROOT,
  startGateway,
  startProxy,
  startSandbox,
} from './lib/processes.js';
import type { Service } from './lib/processes.js';
import {
  baselineTable,
  compareWithBaseline,
  errorCount,
  fmt,
  summarise,
  summaryTable,
  table,
  targets,
  targetsTable,
} from './lib/report.js';
import type { RunRecord } from './lib/report.js';
import { PreflightError, prepareScenarios, SCENARIOS } from './lib/scenarios.js';
import type { EntitiesVia, PreparedScenario, ScenarioName } from './lib/scenarios.js';
import { formatProfileSummary, summariseProfile } from './profile-summary.js';

const { values: args } = parseArgs({
  options: {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    connections: { type: 'string', default: '1,50' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '1' },
    latency: { type: 'string', default: process.env.SANDBOX_LATENCY_MS || '2' },
    'log-level': { type: 'string' },
    gateway: { type: 'string', default: 'dist/main.js' },
    baseline: { type: 'string' },
    'baseline-env': { type: 'string', multiple: true, default: [] },
    'gateway-env': { type: 'string', multiple: true, default: [] },
    'entities-via': { type: 'string', default: 'auto' },
    sustained: { type: 'string' },
    profile: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(`npm run bench -- [options]   (see bench/README.md)
  --scenarios a,b,...   ${SCENARIOS.join(',')} (default: all)
  --connections 1,50    concurrencies (default 1,50)
  --duration 10         seconds measured per run        --warmup 3   seconds of warm-up per run
  --rounds 1            repeat the whole matrix; medians and same-round ratios are reported
  --latency 2           sandbox latency in ms (default: SANDBOX_LATENCY_MS or 2)
  --log-level info      gateway LOG_LEVEL (default: the gateway's own default)
  --gateway dist/main.js  built gateway entry
  --baseline FILE       a second built gateway (bench/build-baseline.ts) run next to the first one:
                        every gateway scenario also runs as <name>@baseline, alternating order
  --baseline-env K=V    environment of the baseline gateway on top of --gateway-env (repeatable)
  --gateway-env K=V     extra gateway environment (repeatable)
  --entities-via auto   _entities | nodes | chatSession | auto
  --sustained 60        sustained mode: memory under load for 60 s (scenario: first of --scenarios
                        that runs on the gateway, default connection; concurrency: last of --connections)
  --profile             profile mode: --cpu-prof under the connection load for --duration seconds
  --top 25              functions listed by the profile summary
  --out FILE            JSON output (default bench/results/latest.json, sustained.json, profile.json)`);
  process.exit(0);
}

const num = (name: keyof typeof args, min: number): number => {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value < min) {
    console.error(`--${name} must be a number >= ${min}, got ${String(args[name])}`);
    process.exit(2);
  }
  return value;
};

const mode: 'matrix' | 'sustained' | 'profile' =
  args.sustained !== undefined ? 'sustained' : args.profile ? 'profile' : 'matrix';
const durationSeconds = num('duration', 1);
const warmupSeconds = num('warmup', 0);
const rounds = num('rounds', 1);
const latencyMs = num('latency', 0);
const concurrencies = args.connections.split(',').map(Number);
const selected = args.scenarios.split(',').map((s) => s.trim()) as ScenarioName[];
for (const s of selected) {
  if (!SCENARIOS.includes(s)) {
    console.error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
}
if (concurrencies.some((c) => !Number.isInteger(c) || c < 1)) {
  console.error(`--connections must be positive integers, got ${args.connections}`);
  process.exit(2);
}
const envPairs = (list: string[]): Record<string, string> =>
  Object.fromEntries(
    list.map((kv) => {
      const at = kv.indexOf('=');
      return [kv.slice(0, at), kv.slice(at + 1)];
    }),
  );
const gatewayEnv = envPairs(args['gateway-env']);
// 50 lookups are 50 distinct upstream calls: above the default per-operation budget (25).
gatewayEnv.MAX_UPSTREAM_CALLS_PER_OPERATION ??= '64';
const gatewayEntry = resolve(ROOT, args.gateway);
const baselineEntry = args.baseline === undefined ? undefined : resolve(ROOT, args.baseline);
for (const entry of [gatewayEntry, baselineEntry]) {
  if (entry !== undefined && !existsSync(entry)) {
    console.error(`${entry} does not exist: run \`npm run build\` first (npm run bench does)`);
    process.exit(2);
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (bytes: number | undefined) =>
  bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1);

function gitInfo() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench'], {
      cwd: ROOT,
    })
      .toString()
      .trim();
    return { commit, dirty: dirty.length > 0 };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

function environment() {
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryMB: Math.round(totalmem() / 2 ** 20),
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

function writeJson(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = args.out ?? join(RESULTS_DIR, name);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(join(RESULTS_DIR, 'history'), { recursive: true });
  writeFileSync(
    join(RESULTS_DIR, 'history', `${stamp}-${name}`),
    `${JSON.stringify(data, null, 2)}\n`,
  );
  return relative(process.cwd(), file);
}

interface Stack {
  sandbox: Service;
  gateway: Service;
  proxy: Service | undefined;
  baseline: Service | undefined;
  services: Service[];
}

async function startStack(options: {
  proxy: boolean;
  baseline?: string | undefined;
  nodeFlags?: string[];
  memoryProbe?: boolean;
}): Promise<Stack> {
  const services: Service[] = [];
  try {
    const sandbox = await startSandbox(latencyMs);
    services.push(sandbox);
    const gateway = await startGateway({
      upstreamUrl: sandbox.url,
      entry: gatewayEntry,
      logLevel: args['log-level'],
      env: gatewayEnv,
      ...(options.nodeFlags && { nodeFlags: options.nodeFlags }),
      ...(options.memoryProbe && { memoryProbe: true }),
    });
    services.push(gateway);
    const proxy = options.proxy ? await startProxy(sandbox.url) : undefined;
    if (proxy) services.push(proxy);
    const baseline = options.baseline
      ? await startGateway({
          name: 'gateway-baseline',
          upstreamUrl: sandbox.url,
          entry: options.baseline,
          logLevel: args['log-level'],
          env: { ...gatewayEnv, ...envPairs(args['baseline-env']) },
        })
      : undefined;
    if (baseline) services.push(baseline);
    log(
      `sandbox ${sandbox.url} (pid ${sandbox.pid}, ${latencyMs} ms latency), gateway ${gateway.url} (pid ${gateway.pid})${proxy ? `, proxy ${proxy.url} (pid ${proxy.pid})` : ''}${baseline ? `, baseline gateway ${baseline.url} (pid ${baseline.pid})` : ''}`,
    );
    return { sandbox, gateway, proxy, baseline, services };
  } catch (error) {
    await Promise.all(services.map((s) => s.stop()));
    throw error;
  }
}

async function stopStack(stack: Stack): Promise<void> {
  // Gateway first, so it never sees its upstream vanish mid-request.
  for (const s of [stack.gateway, stack.baseline, stack.proxy, stack.sandbox]) await s?.stop();
}

function serverOf(stack: Stack, scenario: PreparedScenario): Service {
  return scenario.server === 'sandbox'
    ? stack.sandbox
    : scenario.server === 'proxy'
      ? stack.proxy!
      : scenario.server === 'baseline'
        ? stack.baseline!
        : stack.gateway;
}

/** Warm-up (discarded), then the measured run with CPU accounting per process. */
async function measure(
  stack: Stack,
  scenario: PreparedScenario,
  connections: number,
  seconds: number,
  sampler?: { everyMs: number; onTick: (elapsed: number, completed: number) => void },
  warmup = warmupSeconds,
): Promise<{ result: LoadResult; cpuMsPerRequest: RunRecord['cpuMsPerRequest'] }> {
  if (warmup > 0) {
    await runLoad(scenario.request, { connections, durationSeconds: warmup });
  }
  const server = serverOf(stack, scenario);
  const before = {
    server: readCpuMs(server.pid),
    sandbox: readCpuMs(stack.sandbox.pid),
    self: process.cpuUsage(),
  };
  const result = await runLoad(scenario.request, {
    connections,
    durationSeconds: seconds,
    ...(sampler && { onTick: sampler.onTick, tickMs: sampler.everyMs }),
  });
  const perRequest = (after: number | undefined, start: number | undefined) =>
    after !== undefined && start !== undefined && result.ok > 0
      ? (after - start) / result.ok
      : null;
  const self = process.cpuUsage(before.self);
  return {
    result,
    cpuMsPerRequest: {
      server: perRequest(readCpuMs(server.pid), before.server),
      sandbox:
        scenario.server === 'sandbox'
          ? null
          : perRequest(readCpuMs(stack.sandbox.pid), before.sandbox),
      loadGenerator: (self.user + self.system) / 1000 / Math.max(result.ok, 1),
    },
  };
}

/** [a@baseline, a, b, c@baseline, c] -> [a, a@baseline, b, c, c@baseline] */
function swapPairs(list: PreparedScenario[]): PreparedScenario[] {
  const out = [...list];
  for (let i = 0; i + 1 < out.length; i++) {
    if (out[i]!.server === 'baseline' && out[i + 1]!.name === out[i]!.name) {
      [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      i++;
    }
  }
  return out;
}

function describeErrors(r: LoadResult): string {
  return `${r.non2xx} non-2xx, ${r.mismatches} bad bodies, ${r.errors} connection errors (${r.timeouts} timeouts)${r.sampleMismatch ? `; e.g. ${r.sampleMismatch.slice(0, 200)}` : ''}`;
}

async function matrix(): Promise<number> {
  const started = new Date();
  const env = environment();
  const stack = await startStack({ proxy: selected.includes('proxy'), baseline: baselineEntry });
  try {
    const { prepared: candidate, skipped } = await prepareScenarios(
      { sandbox: stack.sandbox.url, gateway: stack.gateway.url, proxy: stack.proxy?.url ?? '' },
      selected,
      { entitiesVia: args['entities-via'] as EntitiesVia },
    );
    // With a baseline build, each gateway scenario runs on both, next to each other.
    const prepared: PreparedScenario[] = [];
    for (const scenario of candidate) {
      if (stack.baseline && scenario.server === 'gateway') {
        const {
          prepared: [base],
        } = await prepareScenarios(
          { sandbox: stack.sandbox.url, gateway: stack.baseline.url, proxy: '' },
          [scenario.name],
          { entitiesVia: args['entities-via'] as EntitiesVia },
        );
        if (base) prepared.push({ ...base, label: `${base.name}@baseline`, server: 'baseline' });
      }
      prepared.push(scenario);
    }
    for (const s of skipped) log(`skipping ${s.name}: ${s.reason}`);
    for (const s of prepared) if (s.note) log(`note on ${s.name}: ${s.note}`);
    const total =
      prepared.length *
      (concurrencies.length * rounds * (durationSeconds + warmupSeconds) + warmupSeconds);
    log(
      `${prepared.length} scenarios x ${concurrencies.length} concurrencies x ${rounds} round(s), ${warmupSeconds} s warm-up + ${durationSeconds} s each: about ${Math.ceil(total / 60)} min`,
    );

    // Every server starts cold: one warm-up per scenario at the highest concurrency before the
    // first round, so round 1 is not the only one paying for lazy compilation and pool set-up.
    if (warmupSeconds > 0) {
      log('warming up every scenario');
      for (const scenario of prepared) {
        await runLoad(scenario.request, {
          connections: Math.max(...concurrencies),
          durationSeconds: warmupSeconds,
        });
      }
    }

    const runs: RunRecord[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const connections of concurrencies) {
        // Alternate which build goes first, so drift within a round favours neither.
        const order = round % 2 === 0 ? swapPairs(prepared) : prepared;
        for (const scenario of order) {
          const { result, cpuMsPerRequest } = await measure(
            stack,
            scenario,
            connections,
            durationSeconds,
          );
          const flagged = errorCount(result) > 0;
          runs.push({
            ...result,
            scenario: scenario.label,
            connections,
            round,
            cpuMsPerRequest,
            flagged,
          });
          log(
            `${flagged ? '! ' : '  '}round ${round} ${scenario.label.padEnd(10)} c=${String(connections).padEnd(3)} ${fmt(result.rps, 0).padStart(6)} req/s  p50 ${fmt(result.latency.p50)} ms  p99 ${fmt(result.latency.p99)} ms${flagged ? `  ERRORS: ${describeErrors(result)}` : ''}`,
          );
        }
      }
    }

    const peakRss = readRss(stack.gateway.pid)?.hwm;
    const calls = new Map(prepared.map((s) => [s.label, s.upstreamCallsPerRequest]));
    const rows = summarise(runs, calls);
    const goals = targets(rows, peakRss);
    const versus = compareWithBaseline(runs);
    const file = writeJson('latest.json', {
      mode: 'matrix',
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      git: gitInfo(),
      environment: { ...env, loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))) },
      options: {
        scenarios: selected,
        connections: concurrencies,
        durationSeconds,
        warmupSeconds,
        rounds,
        sandboxLatencyMs: latencyMs,
        gatewayEntry: relative(ROOT, gatewayEntry),
        ...(baselineEntry && {
          baselineEntry,
          baselineEnv: { ...gatewayEnv, ...envPairs(args['baseline-env']) },
        }),
        gatewayLogLevel: args['log-level'] ?? '(gateway default)',
        gatewayEnv,
      },
      scenarios: prepared.map(({ label, description, upstreamCallsPerRequest, server, note }) => ({
        name: label,
        description,
        upstreamCallsPerRequest,
        server,
        ...(note && { note }),
      })),
      skipped,
      summary: rows,
      ...(versus.length > 0 && { versusBaseline: versus }),
      targets: goals,
      gatewayPeakRssMB: peakRss === undefined ? null : Number(mb(peakRss)),
      runs: runs.map(({ sampleMismatch, ...r }) => ({
        ...r,
        ...(sampleMismatch && { sampleMismatch }),
      })),
    });

    const git = gitInfo();
    console.log(
      `\ncommit ${git.commit.slice(0, 12)}${git.dirty ? ' (with uncommitted changes)' : ''}; sandbox latency ${latencyMs} ms, ${durationSeconds} s per run after ${warmupSeconds} s warm-up, ${rounds} round(s); medians; ratios from the same round; ${env.cpus} CPUs, load average ${env.loadAverage.join(' ')} at start\n`,
    );
    console.log(summaryTable(rows));
    for (const s of skipped) console.log(`(${s.name} skipped: ${s.reason})`);
    if (versus.length > 0) console.log(`\n${baselineTable(versus)}`);
    console.log(`\n${targetsTable(goals)}\n\nwritten to ${file}`);
    const flagged = runs.filter((r) => r.flagged);
    if (flagged.length > 0) {
      console.log(`\n${flagged.length} run(s) had errors and are flagged with "!"`);
      return 1;
    }
    return 0;
  } finally {
    await stopStack(stack);
  }
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

interface MemorySample {
  t: number;
  rss: number;
  heapUsed: number | null;
  heapTotal: number | null;
  external: number | null;
  arrayBuffers: number | null;
  completed: number;
  /** Taken right after a forced full GC (a checkpoint). */
  afterGc: boolean;
}

function gatewayScenario(prepared: PreparedScenario[]): PreparedScenario {
  const scenario = prepared.find((s) => s.server === 'gateway');
  if (!scenario) {
    console.error('this mode needs a gateway scenario (connection, fanout or entities)');
    process.exit(2);
  }
  return scenario;
}

async function sustained(seconds: number): Promise<number> {
  const started = new Date();
  const env = environment();
  const stack = await startStack({ proxy: false, memoryProbe: true });
  try {
    const gatewaySelected = selected.filter((s) => s !== 'direct' && s !== 'proxy');
    const { prepared } = await prepareScenarios(
      { sandbox: stack.sandbox.url, gateway: stack.gateway.url, proxy: '' },
      gatewaySelected.length > 0 ? gatewaySelected.slice(0, 1) : ['connection'],
      { entitiesVia: args['entities-via'] as EntitiesVia },
    );
    const scenario = gatewayScenario(prepared);
    const connections = concurrencies.at(-1)!;
    const idle = {
      rss: readRss(stack.gateway.pid)?.rss,
      memory: await askMemory(stack.gateway, true),
    };
    log(
      `sustained: ${scenario.name} at concurrency ${connections} for ${seconds} s after ${warmupSeconds} s warm-up; idle RSS ${mb(idle.rss)} MB, live heap ${mb(idle.memory?.heapUsed)} MB`,
    );
    if (warmupSeconds > 0) {
      await runLoad(scenario.request, { connections, durationSeconds: warmupSeconds });
    }

    // Four samples a second (RSS, heap), and four checkpoints (start, thirds, end): a full GC,
    // then the heap used, i.e. the live set. A leak raises the checkpoints; garbage does not. Only
    // a few forced GCs, so the RSS peak stays close to what the gateway reaches on its own.
    const every = Math.max(5, seconds / 3);
    const samples: MemorySample[] = [];
    const checkpoints: Array<{ t: number; heapUsed: number; rss: number }> = [];
    let nextCheckpoint = 0;
    let sampling = Promise.resolve();
    const sample = (t: number, completed: number, final = false) => {
      sampling = sampling.then(async () => {
        // The last checkpoint is the final sample's, after the load stopped.
        const checkpoint = final || (t >= nextCheckpoint && t < seconds - 1);
        if (checkpoint) nextCheckpoint += every;
        const m = await askMemory(stack.gateway, checkpoint);
        const rss = readRss(stack.gateway.pid)?.rss;
        if (rss === undefined) return;
        samples.push({
          t,
          rss,
          heapUsed: m?.heapUsed ?? null,
          heapTotal: m?.heapTotal ?? null,
          external: m?.external ?? null,
          arrayBuffers: m?.arrayBuffers ?? null,
          completed,
          afterGc: checkpoint,
        });
        if (checkpoint && m) {
          checkpoints.push({ t, heapUsed: m.heapUsed, rss });
          log(
            `  t=${t.toFixed(0)} s  RSS ${mb(rss)} MB  live heap (after a full GC) ${mb(m.heapUsed)} MB`,
          );
        }
      });
    };
    sample(0, 0);
    const { result, cpuMsPerRequest } = await measure(
      stack,
      scenario,
      connections,
      seconds,
      { everyMs: 250, onTick: sample },
      0,
    );
    await sampling;
    sample(result.durationSeconds, result.ok, true);
    await sampling;

    const minutes = (t: number) => t / 60;
    const rssValues = samples.map((s) => s.rss);
    const live = checkpoints.map((c) => [minutes(c.t), c.heapUsed / 2 ** 20] as [number, number]);
    const secondHalf = samples
      .filter((s) => s.t >= seconds / 2)
      .map((s) => [minutes(s.t), s.rss / 2 ** 20] as [number, number]);
    const memory = {
      idleRssMB: idle.rss === undefined ? null : Number(mb(idle.rss)),
      idleLiveHeapMB: idle.memory ? Number(mb(idle.memory.heapUsed)) : null,
      startRssMB: Number(mb(rssValues[0])),
      peakRssMB: Number(mb(Math.max(...rssValues))),
      endRssMB: Number(mb(rssValues.at(-1))),
      vmHwmMB: Number(mb(readRss(stack.gateway.pid)?.hwm)),
      peakHeapUsedMB: Number(mb(Math.max(...samples.map((s) => s.heapUsed ?? 0)))),
      liveHeapMB: live.map(([, y]) => Number(y.toFixed(1))),
      liveHeapSlopeMBPerMin: Number(slope(live).toFixed(2)),
      /** From the first checkpoint after the start (caches and JIT have settled) to the end. */
      liveHeapGrowthMB: Number(
        ((live.at(-1)?.[1] ?? 0) - (live[Math.min(1, live.length - 1)]?.[1] ?? 0)).toFixed(1),
      ),
      rssSlopeSecondHalfMBPerMin: Number(slope(secondHalf).toFixed(2)),
    };
    const settled = live[Math.min(1, live.length - 1)]?.[1] ?? 0;
    const growing = memory.liveHeapGrowthMB > Math.max(2, settled * 0.03);
    const file = writeJson('sustained.json', {
      mode: 'sustained',
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      git: gitInfo(),
      environment: { ...env, loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))) },
      options: {
        scenario: scenario.name,
        connections,
        seconds,
        warmupSeconds,
        checkpointEverySeconds: every,
        sandboxLatencyMs: latencyMs,
        gatewayEntry: relative(ROOT, gatewayEntry),
        gatewayEnv,
      },
      load: {
        rps: result.rps,
        latency: result.latency,
        requests: result.ok,
        errors: errorCount(result),
        cpuMsPerRequest,
      },
      memory,
      trend: growing ? 'growing' : 'flat',
      checkpoints,
      samples,
    });

    console.log(
      `\nsustained ${scenario.name}, concurrency ${connections}, ${seconds} s: ${fmt(result.rps, 0)} req/s, p50 ${fmt(result.latency.p50)} ms, p99 ${fmt(result.latency.p99)} ms, ${result.ok} requests, ${errorCount(result)} errors\n`,
    );
    console.log(
      table(
        ['gateway memory', 'MB'],
        [
          ['RSS idle (after the checks, before warm-up)', fmt(memory.idleRssMB, 1)],
          ['live heap idle (after a full GC)', fmt(memory.idleLiveHeapMB, 1)],
          ['RSS at start of the run', fmt(memory.startRssMB, 1)],
          ['RSS peak (samples)', fmt(memory.peakRssMB, 1)],
          ['RSS at end', fmt(memory.endRssMB, 1)],
          ['VmHWM (peak RSS since start)', fmt(memory.vmHwmMB, 1)],
          ['heap used peak (samples)', fmt(memory.peakHeapUsedMB, 1)],
          ['live heap slope, MB/min (all checkpoints)', fmt(memory.liveHeapSlopeMBPerMin, 2)],
          ['live heap growth after the first third', fmt(memory.liveHeapGrowthMB, 1)],
          ['RSS slope in the second half, MB/min', fmt(memory.rssSlopeSecondHalfMBPerMin, 2)],
        ],
      ),
    );
    console.log(
      `live heap after a full GC at ${checkpoints.map((c) => `${c.t.toFixed(0)} s`).join(', ')} (MB): ${memory.liveHeapMB.join(' ')}`,
    );
    console.log(
      `trend: ${growing ? 'GROWING' : 'flat'} (growing = live heap up by more than 2 MB or 3% after the first third); RSS target <= 150 MB: ${memory.vmHwmMB <= 150 ? 'met' : 'NOT met'} (VmHWM ${fmt(memory.vmHwmMB, 1)} MB)\n\nwritten to ${file}`,
    );
    return errorCount(result) > 0 || growing ? 1 : 0;
  } finally {
    await stopStack(stack);
  }
}

async function profile(): Promise<number> {
  const dir = join(RESULTS_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const name = `gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
  const spawnedAt = performance.now();
  const stack = await startStack({
    proxy: false,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`],
  });
  let window: { fromMs: number; toMs: number };
  let result: LoadResult;
  const connections = concurrencies.at(-1)!;
  let scenarioName: string;
  try {
    const { prepared } = await prepareScenarios(
      { sandbox: stack.sandbox.url, gateway: stack.gateway.url, proxy: '' },
      ['connection'],
      { entitiesVia: 'auto' },
    );
    const scenario = gatewayScenario(prepared);
    scenarioName = scenario.name;
    if (warmupSeconds > 0) {
      await runLoad(scenario.request, { connections, durationSeconds: warmupSeconds });
    }
    const from = performance.now() - spawnedAt;
    result = await runLoad(scenario.request, { connections, durationSeconds });
    window = { fromMs: from, toMs: performance.now() - spawnedAt };
  } finally {
    await stopStack(stack);
  }
  const file = join(dir, name);
  for (let i = 0; i < 50 && !existsSync(file); i++) await sleep(100);
  if (!existsSync(file)) {
    const found = readdirSync(dir).sort(
      (a, b) => statSync(join(dir, b)).mtimeMs - statSync(join(dir, a)).mtimeMs,
    );
    console.error(`no profile written at ${file} (found: ${found.slice(0, 3).join(', ')})`);
    return 1;
  }
  const summary = summariseProfile(file, { top: num('top', 1), ...window });
  const out = writeJson('profile.json', {
    mode: 'profile',
    git: gitInfo(),
    environment: environment(),
    options: { scenario: scenarioName, connections, durationSeconds, warmupSeconds, latencyMs },
    load: { rps: result.rps, latency: result.latency, errors: errorCount(result) },
    profile: { ...summary, file: relative(ROOT, file) },
  });
  console.log(
    `\nprofiled ${scenarioName} at concurrency ${connections} for ${durationSeconds} s: ${fmt(result.rps, 0)} req/s, p50 ${fmt(result.latency.p50)} ms, ${errorCount(result)} errors\n`,
  );
  console.log(formatProfileSummary({ ...summary, file: relative(ROOT, file) }));
  console.log(`\nwritten to ${out}`);
  return errorCount(result) > 0 ? 1 : 0;
}

let exitCode: number;
try {
  exitCode =
    mode === 'sustained'
      ? await sustained(num('sustained', 5))
      : mode === 'profile'
        ? await profile()
        : await matrix();
} catch (error) {
  if (!(error instanceof PreflightError)) throw error;
  console.error(
    `\nnothing measured: a scenario answered wrongly before the load.\n${error.message}`,
  );
  exitCode = 1;
}
process.exit(exitCode);
