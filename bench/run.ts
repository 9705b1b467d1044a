/**
 * `npm run bench`: the built gateway against its ceiling (`direct` to the sandbox upstream) and
 * its floor (the hand-written `proxy`), each in its own process, this driver generating the load.
 * Modes: the matrix (default), `--sustained <s>` (memory under load), `--profile` (a
 * .cpuprofile of the gateway). See bench/README.md.
 */
import { existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
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
import { runLoad } from './lib/load.js';
import type { LoadResult } from './lib/load.js';
import { fail, fmt, median, STAMP, table, writeResults } from './lib/report.js';
import {
  FANOUT_CALLS,
  FANOUT_ITEMS,
  itemsPerRequest,
  PreflightError,
  prepareScenario,
  SCENARIOS,
  setRequestHeaders,
} from './lib/scenarios.js';
import type { Scenario, ScenarioName } from './lib/scenarios.js';

const { values: args } = parseArgs({
  options: {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    connections: { type: 'string', default: '1,50' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '1' },
    latency: { type: 'string', default: '2' },
    'gateway-env': { type: 'string', multiple: true, default: [] },
    baseline: { type: 'string' },
    'baseline-env': { type: 'string', multiple: true, default: [] },
    sustained: { type: 'string' },
    profile: { type: 'boolean', default: false },
    features: { type: 'string', default: 'on' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run bench -- [options]   (see bench/README.md)
  --scenarios a,b       ${SCENARIOS.join(',')} (default: all)
  --connections 1,50    concurrencies           --rounds 1     repeats of the whole matrix
  --duration 10         seconds per run         --warmup 3     seconds of warm-up before each
  --latency 2           sandbox latency, ms     --gateway-env K=V   extra gateway environment
  --features on         on: JWT callers, RATE_LIMIT, metrics listener, LOG_LEVEL=info; off: bare
  --baseline FILE       a second built gateway (bench/build-baseline.ts), run in pairs with the first
  --baseline-env K=V    the baseline's environment on top of --gateway-env
  --sustained 60        memory under 60 s of load (first gateway scenario, last concurrency)
  --profile             the gateway under node --cpu-prof with the same load`);
  process.exit(0);
}

const num = (name: 'duration' | 'warmup' | 'rounds' | 'latency' | 'sustained', min: number) => {
  const value = Number(args[name]);
  return value >= min ? value : fail(`--${name} must be a number >= ${min}`);
};
const duration = num('duration', 1);
const warmup = num('warmup', 0);
const rounds = num('rounds', 1);
const latency = num('latency', 0);
const concurrencies = args.connections.split(',').map(Number);
if (!concurrencies.every((c) => Number.isInteger(c) && c > 0)) fail('bad --connections');
const selected = args.scenarios.split(',') as ScenarioName[];
for (const s of selected) if (!SCENARIOS.includes(s)) fail(`unknown scenario ${s}`);
if (args.features !== 'on' && args.features !== 'off') fail('--features must be on or off');
const features = args.features === 'on';
const baselineEntry = args.baseline && resolve(args.baseline);
for (const entry of [join(REPO_ROOT, 'dist/main.js'), baselineEntry]) {
  if (entry && !existsSync(entry)) fail(`${entry} is missing: \`npm run build\` first`);
}

const log = (line: string) => process.stderr.write(`${line}\n`);

type Server = Scenario['server'];
/** Scenarios answered by a process of their own name rather than by the gateway. */
const OTHER_SERVERS: ReadonlySet<string> = new Set(['proxy', 'yoga', 'apollo']);
type Stack = Record<Server, GatewayProcess | undefined> & { stop(): Promise<void> };

/** Each process through the test suite's helper; its log lines then go to bench/results/logs. */
async function startStack(options: {
  proxy?: boolean;
  yoga?: boolean;
  apollo?: boolean;
  baseline?: boolean;
  flags?: string[];
}) {
  const started: GatewayProcess[] = [];
  const featureSet = features ? await productionFeatures() : undefined;
  if (featureSet) setRequestHeaders(featureSet.headers);
  const start = async (name: string, argv: string[], env: Record<string, string>) => {
    const metrics = featureSet !== undefined && (name === 'gateway' || name === 'baseline');
    const proc = await startLogged(name, argv, env, metrics);
    started.unshift(proc);
    return proc;
  };
  try {
    const sandbox = await start('sandbox', ['bench/lib/sandbox.mjs'], {
      SANDBOX_LATENCY_MS: String(latency),
    });
    const env = {
      NODE_ENV: 'production',
      LLAMA_CLOUD_BASE_URL: sandbox.url,
      LLAMA_CLOUD_API_KEY: 'llx-bench-key-not-a-real-credential',
      // `entities` makes 50 upstream calls: above the default per-operation budget (25).
      MAX_UPSTREAM_CALLS_PER_OPERATION: '64',
      ...featureSet?.env,
      ...envPairs(args['gateway-env']),
    };
    const stack: Stack = {
      sandbox,
      gateway: await start('gateway', [...(options.flags ?? []), 'dist/main.js'], env),
      proxy: options.proxy
        ? await start('proxy', ['--import', 'tsx', 'bench/proxy.ts'], {
            NODE_ENV: 'production',
            UPSTREAM_URL: sandbox.url,
            LLAMA_CLOUD_API_KEY: env.LLAMA_CLOUD_API_KEY,
          })
        : undefined,
      yoga: options.yoga
        ? await start('yoga', ['--import', 'tsx', 'bench/yoga-floor.ts'], {
            NODE_ENV: 'production',
            UPSTREAM_URL: sandbox.url,
            LLAMA_CLOUD_API_KEY: env.LLAMA_CLOUD_API_KEY,
          })
        : undefined,
      apollo: options.apollo
        ? await start('apollo', ['--import', 'tsx', 'bench/apollo-peer.ts'], {
            NODE_ENV: 'production',
            UPSTREAM_URL: sandbox.url,
            LLAMA_CLOUD_API_KEY: env.LLAMA_CLOUD_API_KEY,
          })
        : undefined,
      baseline:
        options.baseline && baselineEntry
          ? await start('baseline', [baselineEntry], { ...env, ...envPairs(args['baseline-env']) })
          : undefined,
      // Sandbox last, so that no gateway sees its upstream vanish mid-request.
      stop: async () => {
        for (const proc of started) await stopProcess(proc);
        featureSet?.close();
      },
    };
    log(
      (['sandbox', 'gateway', 'proxy', 'yoga', 'apollo', 'baseline'] as const)
        .filter((k) => stack[k])
        .map((k) => `${k} ${stack[k]!.url} (pid ${stack[k]!.child.pid})`)
        .join(', '),
    );
    return stack;
  } catch (error) {
    for (const proc of started) proc.kill();
    featureSet?.close();
    throw error;
  }
}

async function prepare(stack: Stack, names: ScenarioName[]): Promise<Scenario[]> {
  const urls = {
    sandbox: stack.sandbox!.url,
    proxy: stack.proxy?.url ?? '',
    yoga: stack.yoga?.url ?? '',
    apollo: stack.apollo?.url ?? '',
  };
  const out: Scenario[] = [];
  for (const name of names) {
    const server =
      name === 'direct' ? 'sandbox' : OTHER_SERVERS.has(name) ? (name as Server) : 'gateway';
    const prepared = await prepareScenario(name, { ...urls, gateway: stack.gateway!.url });
    out.push({ label: name, server, ...prepared });
    if (server === 'gateway' && stack.baseline) {
      try {
        const base = await prepareScenario(name, { ...urls, gateway: stack.baseline.url });
        out.push({ label: `${name}@baseline`, server: 'baseline', ...base });
      } catch (error) {
        if (!(error instanceof PreflightError)) throw error;
        log(`skipping ${name}@baseline: ${error.message}`);
      }
    }
  }
  return out;
}

/** The first gateway scenario of --scenarios, else `connection` (sustained and profile modes). */
async function gatewayScenario(stack: Stack): Promise<Scenario> {
  const name = selected.find((s) => s !== 'direct' && !OTHER_SERVERS.has(s)) ?? 'connection';
  return (await prepare(stack, [name]))[0]!;
}

type Measured = LoadResult & { cpuMsPerRequest: number };

/** Warm-up, then the measured run with the serving process's CPU time per correct response. */
async function measure(
  stack: Stack,
  s: Scenario,
  connections: number,
  seconds: number,
  warm = warmup,
) {
  if (warm > 0) await runLoad(s.request, connections, warm);
  const pid = stack[s.server]!.child.pid!;
  const before = cpuMs(pid);
  const result = await runLoad(s.request, connections, seconds);
  return { ...result, cpuMsPerRequest: (cpuMs(pid) - before) / result.ok };
}

type Run = Measured & { scenario: string; connections: number; round: number };

async function matrix(): Promise<number> {
  const stack = await startStack({
    proxy: selected.includes('proxy'),
    yoga: selected.includes('yoga'),
    apollo: selected.includes('apollo'),
    baseline: true,
  });
  const runs: Run[] = [];
  let scenarios: Scenario[];
  let peakRss: number;
  try {
    scenarios = await prepare(stack, selected);
    const minutes = (scenarios.length * concurrencies.length * rounds * (duration + warmup)) / 60;
    log(
      `${scenarios.length} scenarios x ${concurrencies.length} concurrencies x ${rounds} round(s): about ${Math.ceil(minutes)} min`,
    );
    // Every process starts cold: each scenario is warmed once before round 1 too.
    for (const s of scenarios)
      if (warmup > 0) await runLoad(s.request, Math.max(...concurrencies), warmup);
    for (let round = 1; round <= rounds; round++) {
      // Which build goes first in a baseline pair alternates, so drift favours neither.
      const order = [...scenarios];
      for (let i = 0; round % 2 === 0 && i + 1 < order.length; i++) {
        if (order[i + 1]!.server !== 'baseline') continue;
        order.splice(i, 2, order[i + 1]!, order[i]!);
        i++;
      }
      for (const connections of concurrencies) {
        for (const s of order) {
          const r = await measure(stack, s, connections, duration);
          runs.push({ ...r, scenario: s.label, connections, round });
          log(
            `${r.errors ? '!' : ' '} round ${round} ${s.label.padEnd(20)} c=${String(connections).padEnd(3)} ${fmt(r.rps, 0).padStart(6)} req/s  p50 ${fmt(r.p50)} ms  cpu ${fmt(r.cpuMsPerRequest, 3)} ms/req${r.errors ? `  ${r.errors} ERRORS, e.g. ${r.sample}` : ''}`,
          );
        }
      }
    }
    peakRss = rssMB(stack.gateway!.child.pid!).hwm;
  } finally {
    await stack.stop();
  }

  const summary = [
    'scenario|conc|req/s|p50 ms|p99 ms|x proxy|x yoga|x apollo|x direct|p50-direct|cpu ms/req|upstream/req|errors',
  ];
  const vsBaseline = ['vs baseline|conc|req/s ratio|cpu ms/req base|new|cpu ratio|p50 diff ms'];
  const rpsRatio = (a: Run, b: Run) => a.rps / b.rps;
  const p50Diff = (a: Run, b: Run) => a.p50 - b.p50;
  for (const c of concurrencies) {
    for (const s of scenarios) {
      const mine = runs.filter((r) => r.scenario === s.label && r.connections === c);
      const med = (f: (r: Run) => number) => median(mine.map(f));
      /** Median over rounds of f(run, `other`'s run in the same round), both error-free. */
      const vs = (other: string, f: (a: Run, b: Run) => number) =>
        median(
          mine.flatMap((a) => {
            const b = runs.find(
              (r) => r.scenario === other && r.connections === c && r.round === a.round,
            );
            return b && !a.errors && !b.errors ? [f(a, b)] : [];
          }),
        );
      const errors = mine.reduce((e, r) => e + r.errors, 0);
      summary.push(
        [
          `${errors ? '! ' : ''}${s.label}`,
          c,
          fmt(
            med((r) => r.rps),
            0,
          ),
          fmt(med((r) => r.p50)),
          fmt(med((r) => r.p99)),
          fmt(vs('proxy', rpsRatio), 2, 'x'),
          fmt(vs('yoga', rpsRatio), 2, 'x'),
          fmt(vs('apollo', rpsRatio), 2, 'x'),
          fmt(vs('direct', rpsRatio), 2, 'x'),
          fmt(vs('direct', p50Diff)),
          fmt(
            med((r) => r.cpuMsPerRequest),
            3,
          ),
          s.upstreamCalls,
          errors,
        ].join('|'),
      );
      const base = `${s.label}@baseline`;
      if (!scenarios.some((x) => x.label === base)) continue;
      vsBaseline.push(
        [
          s.label,
          c,
          fmt(vs(base, rpsRatio), 3, 'x'),
          fmt(
            vs(base, (_, b) => b.cpuMsPerRequest),
            3,
          ),
          fmt(
            vs(base, (a) => a.cpuMsPerRequest),
            3,
          ),
          fmt(
            vs(base, (a, b) => a.cpuMsPerRequest / b.cpuMsPerRequest),
            3,
            'x',
          ),
          fmt(vs(base, p50Diff)),
        ].join('|'),
      );
    }
  }
  const file = writeResults('matrix', args, {
    summary,
    vsBaseline,
    gatewayPeakRssMB: peakRss,
    runs,
  });
  console.log(
    `\ncommit ${gitInfo()}; gateway features ${features ? 'on (JWT, RATE_LIMIT, metrics, LOG_LEVEL=info)' : 'off'}; sandbox latency ${latency} ms; ${duration} s per run after ${warmup} s warm-up; ${rounds} round(s), medians, ratios within a round; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}\n\n${table(summary.map((l) => l.split('|')))}`,
  );
  if (vsBaseline.length > 1) console.log(`\n${table(vsBaseline.map((l) => l.split('|')))}`);
  for (const line of perUnitCosts(runs)) console.log(line);
  console.log(`\ngateway peak RSS (VmHWM) ${fmt(peakRss, 1)} MB; written to ${file}`);
  const flagged = runs.filter((r) => r.errors).length;
  if (flagged) console.log(`${flagged} run(s) had wrong answers or errors (marked !)`);
  return flagged ? 1 : 0;
}

/**
 * CPU per session item and per extra upstream call, from differences between scenarios of the
 * same round (medians over rounds):
 * - per item: (`items-100` − `items-1`) / the difference in sessions per answer;
 * - per extra call: (`fanout` − `connection-same` − the CPU of fanout's extra items) / its extra
 *   calls, with the per-item cost of the same round (`connection-same`: 20 sessions in 1 call).
 */
function perUnitCosts(runs: Run[]): string[] {
  const lines: string[] = [];
  const cpu = (scenario: string, c: number, round: number) =>
    runs.find(
      (r) => r.scenario === scenario && r.connections === c && r.round === round && !r.errors,
    )?.cpuMsPerRequest;
  const itemSpan = itemsPerRequest('items-100') - itemsPerRequest('items-1');
  for (const c of concurrencies) {
    const perItem: number[] = [];
    const perCall: number[] = [];
    for (const round of new Set(runs.map((r) => r.round))) {
      const [one, hundred] = [cpu('items-1', c, round), cpu('items-100', c, round)];
      if (one === undefined || hundred === undefined) continue;
      const item = (hundred - one) / itemSpan;
      perItem.push(item);
      const [fanout, same] = [cpu('fanout', c, round), cpu('connection-same', c, round)];
      if (fanout !== undefined && same !== undefined) {
        perCall.push((fanout - same - (FANOUT_ITEMS - 20) * item) / (FANOUT_CALLS - 1));
      }
    }
    if (perItem.length) {
      lines.push(
        `c=${c}: CPU per session item ${fmt(median(perItem) * 1000, 1)} µs (items-100 − items-1)` +
          (perCall.length
            ? `; per extra upstream call ${fmt(median(perCall), 3)} ms (fanout − connection-same − its extra items, per extra call)`
            : ''),
      );
    }
  }
  return lines;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const mean = (i: 0 | 1) => points.reduce((s, p) => s + p[i], 0) / points.length;
  const [mx, my] = [mean(0), mean(1)];
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den ? num / den : 0;
}

async function sustained(seconds: number): Promise<number> {
  const stack = await startStack({ flags: ['--expose-gc', '--import', MEMORY_PROBE] });
  try {
    const gateway = stack.gateway!;
    const pid = gateway.child.pid!;
    /** Heap used right after a full GC (the live set), MB, from the probe. */
    const liveHeap = () => liveHeapMB(gateway);
    const s = await gatewayScenario(stack);
    const connections = concurrencies.at(-1)!;
    const idle = { rss: rssMB(pid).rss, live: await liveHeap() };
    log(`sustained: ${s.label} at c=${connections} for ${seconds} s after ${warmup} s warm-up`);
    if (warmup > 0) await runLoad(s.request, connections, warmup);

    // RSS four times a second; the live heap at the start, each third and the end only, so that
    // forced collections barely change the RSS the gateway reaches on its own.
    const t0 = performance.now();
    const now = () => (performance.now() - t0) / 1000;
    const rss: number[] = [];
    const live: Array<[number, number]> = [];
    const sampler = setInterval(() => rss.push(rssMB(pid).rss), 250);
    const load = measure(stack, s, connections, seconds, 0);
    for (let at = 0; at < seconds - 1; at += Math.max(5, seconds / 3)) {
      await sleep(at * 1000 - (performance.now() - t0));
      live.push([now(), await liveHeap()]);
    }
    const r = await load;
    clearInterval(sampler);
    live.push([now(), await liveHeap()]);

    const settled = live[Math.min(1, live.length - 1)]![1];
    const growth = live.at(-1)![1] - settled;
    const growing = growth > Math.max(2, settled * 0.03);
    const memory = {
      idleRss: idle.rss,
      peakRss: Math.max(...rss),
      endRss: rss.at(-1)!,
      vmHwm: rssMB(pid).hwm,
      idleLiveHeap: idle.live,
      liveHeap: live,
      liveHeapSlopePerMin: slope(live.map(([t, mb]) => [t / 60, mb])),
      liveHeapGrowth: growth,
    };
    const file = writeResults('sustained', args, {
      scenario: s.label,
      connections,
      load: r,
      memory,
    });
    console.log(`
sustained ${s.label}, c=${connections}, ${seconds} s: ${fmt(r.rps, 0)} req/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ${r.ok} correct, ${r.errors} errors, ${fmt(r.cpuMsPerRequest, 3)} ms CPU/req
gateway RSS (MB): idle ${fmt(idle.rss, 1)}, peak ${fmt(memory.peakRss, 1)}, end ${fmt(memory.endRss, 1)}, VmHWM ${fmt(memory.vmHwm, 1)}
live heap after a full GC (MB): idle ${fmt(idle.live, 1)}; ${live.map(([t, mb]) => `${t.toFixed(0)} s ${fmt(mb, 1)}`).join(', ')}
slope ${fmt(memory.liveHeapSlopePerMin)} MB/min, growth after the first third ${fmt(growth, 1)} MB: ${growing ? 'GROWING' : 'flat'} (growing = more than 2 MB or 3 %)
written to ${file}`);
    return r.errors || growing ? 1 : 0;
  } finally {
    await stack.stop();
  }
}

async function profile(): Promise<number> {
  const dir = join(RESULTS, 'profiles', STAMP);
  const stack = await startStack({ flags: ['--cpu-prof', '--cpu-prof-dir', dir] });
  let r: Measured;
  let s: Scenario;
  const connections = concurrencies.at(-1)!;
  try {
    s = await gatewayScenario(stack);
    r = await measure(stack, s, connections, duration);
  } finally {
    await stack.stop(); // the profile is written when the gateway exits
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  console.log(`
profiled ${s.label} at c=${connections}, ${warmup} s warm-up + ${duration} s: ${fmt(r.rps, 0)} req/s, p50 ${fmt(r.p50)} ms, ${r.errors} errors
${file ? relative(process.cwd(), join(dir, file)) : `no .cpuprofile in ${dir}`}  (open in Chrome DevTools' Performance panel or https://www.speedscope.app)`);
  return file && !r.errors ? 0 : 1;
}

let code: number;
try {
  code = await (args.sustained !== undefined
    ? sustained(num('sustained', 5))
    : args.profile
      ? profile()
      : matrix());
} catch (error) {
  if (!(error instanceof PreflightError)) throw error;
  console.error(`nothing measured: a scenario answered wrongly before the load.\n${error.message}`);
  code = 1;
}
process.exit(code);
