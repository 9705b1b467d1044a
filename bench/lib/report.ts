/** Summaries, ratios, targets and the printed tables of a bench run. */
import type { LoadResult } from './load.js';

export interface RunRecord extends LoadResult {
  /** Scenario name, `<name>@baseline` for the baseline build. */
  scenario: string;
  connections: number;
  round: number;
  /** CPU time per successful request, in ms, of the serving process, the sandbox and the driver. */
  cpuMsPerRequest: { server: number | null; sandbox: number | null; loadGenerator: number };
  /** Any non-2xx, bad body, connection error or timeout. */
  flagged: boolean;
}

export interface SummaryRow {
  scenario: string;
  connections: number;
  rounds: number;
  /** Medians over rounds. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  /** rps / proxy rps and / direct rps at the same concurrency, same round (median over rounds). */
  rpsVsProxy: number | null;
  rpsVsDirect: number | null;
  /** p50 minus proxy/direct p50, ms, same round (median over rounds). */
  p50OverProxyMs: number | null;
  p50OverDirectMs: number | null;
  serverCpuMsPerRequest: number | null;
  upstreamCallsPerRequest: number;
  errors: number;
  flagged: boolean;
}

export interface Target {
  name: string;
  goal: string;
  actual: string;
  met: boolean | null;
}

const median = (values: number[]): number | null => {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
};

export const errorCount = (r: LoadResult) => r.non2xx + r.mismatches + r.errors + r.timeouts;

export function summarise(runs: RunRecord[], callsPerRequest: Map<string, number>): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const keys = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = `${r.scenario}@${r.connections}`;
    keys.set(key, [...(keys.get(key) ?? []), r]);
  }
  const find = (scenario: string, connections: number, round: number) =>
    runs.find((r) => r.scenario === scenario && r.connections === connections && r.round === round);

  for (const group of keys.values()) {
    const { scenario, connections } = group[0]!;
    const against = (base: string, f: (r: RunRecord, b: RunRecord) => number) =>
      median(
        group.flatMap((r) => {
          const b = find(base, connections, r.round);
          return b && !b.flagged && !r.flagged ? [f(r, b)] : [];
        }),
      );
    rows.push({
      scenario,
      connections,
      rounds: group.length,
      rps: median(group.map((r) => r.rps))!,
      p50: median(group.map((r) => r.latency.p50))!,
      p90: median(group.map((r) => r.latency.p90))!,
      p99: median(group.map((r) => r.latency.p99))!,
      rpsVsProxy: against('proxy', (r, b) => r.rps / b.rps),
      rpsVsDirect: against('direct', (r, b) => r.rps / b.rps),
      p50OverProxyMs: against('proxy', (r, b) => r.latency.p50 - b.latency.p50),
      p50OverDirectMs: against('direct', (r, b) => r.latency.p50 - b.latency.p50),
      serverCpuMsPerRequest: median(group.map((r) => r.cpuMsPerRequest.server ?? Number.NaN)),
      upstreamCallsPerRequest: callsPerRequest.get(scenario) ?? 1,
      errors: group.reduce((n, r) => n + errorCount(r), 0),
      flagged: group.some((r) => r.flagged),
    });
  }
  return rows;
}

export function targets(rows: SummaryRow[], peakRssBytes: number | undefined): Target[] {
  const row = (scenario: string, connections: number) =>
    rows.find((r) => r.scenario === scenario && r.connections === connections);
  const c50 = row('connection', 50);
  const c1 = row('connection', 1);
  const out: Target[] = [];
  out.push({
    name: 'connection throughput vs proxy, concurrency 50',
    goal: '>= 0.60x',
    actual: c50?.rpsVsProxy != null ? `${c50.rpsVsProxy.toFixed(2)}x` : 'not measured',
    met: c50?.rpsVsProxy != null ? c50.rpsVsProxy >= 0.6 : null,
  });
  out.push({
    name: 'connection added p50 over direct, concurrency 1',
    goal: '<= 1.00 ms',
    actual: c1?.p50OverDirectMs != null ? `${c1.p50OverDirectMs.toFixed(2)} ms` : 'not measured',
    met: c1?.p50OverDirectMs != null ? c1.p50OverDirectMs <= 1 : null,
  });
  if (peakRssBytes !== undefined) {
    out.push({
      name: 'gateway peak RSS (VmHWM) during the run',
      goal: '<= 150 MB',
      actual: `${(peakRssBytes / 2 ** 20).toFixed(1)} MB`,
      met: peakRssBytes <= 150 * 2 ** 20,
    });
  }
  return out;
}

const fmt = (v: number | null | undefined, digits = 2, suffix = '') =>
  v == null || !Number.isFinite(v) ? '-' : `${v.toFixed(digits)}${suffix}`;

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function summaryTable(rows: SummaryRow[]): string {
  return table(
    [
      'scenario',
      'conc',
      'req/s',
      'p50 ms',
      'p99 ms',
      'x proxy',
      'x direct',
      'p50-direct',
      'p50-proxy',
      'cpu ms/req',
      'upstream/req',
      'errors',
    ],
    rows.map((r) => [
      `${r.flagged ? '! ' : ''}${r.scenario}`,
      String(r.connections),
      fmt(r.rps, 0),
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      fmt(r.rpsVsProxy, 2, 'x'),
      fmt(r.rpsVsDirect, 2, 'x'),
      fmt(r.p50OverDirectMs, 2),
      fmt(r.p50OverProxyMs, 2),
      fmt(r.serverCpuMsPerRequest, 3),
      String(r.upstreamCallsPerRequest),
      String(r.errors),
    ]),
  );
}

export function targetsTable(list: Target[]): string {
  return table(
    ['target', 'goal', 'actual', 'met'],
    list.map((t) => [t.name, t.goal, t.actual, t.met === null ? '-' : t.met ? 'yes' : 'NO']),
  );
}

export { fmt };

export interface BaselineRow {
  scenario: string;
  connections: number;
  /** Candidate / baseline, same round, median over rounds. */
  rpsRatio: number | null;
  cpuRatio: number | null;
  p50DiffMs: number | null;
  baselineCpuMsPerRequest: number | null;
  candidateCpuMsPerRequest: number | null;
}

/** Each `<name>@baseline` run against the same scenario's run in the same round. */
export function compareWithBaseline(runs: RunRecord[]): BaselineRow[] {
  const rows: BaselineRow[] = [];
  const seen = new Set<string>();
  for (const base of runs) {
    if (!base.scenario.endsWith('@baseline')) continue;
    const scenario = base.scenario.slice(0, -'@baseline'.length);
    const key = `${scenario}@${base.connections}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pairs = runs
      .filter((r) => r.scenario === base.scenario && r.connections === base.connections)
      .flatMap((b) => {
        const c = runs.find(
          (r) => r.scenario === scenario && r.connections === b.connections && r.round === b.round,
        );
        return c && !c.flagged && !b.flagged ? [{ b, c }] : [];
      });
    const cpu = (r: RunRecord) => r.cpuMsPerRequest.server ?? Number.NaN;
    rows.push({
      scenario,
      connections: base.connections,
      rpsRatio: median(pairs.map(({ b, c }) => c.rps / b.rps)),
      cpuRatio: median(pairs.map(({ b, c }) => cpu(c) / cpu(b))),
      p50DiffMs: median(pairs.map(({ b, c }) => c.latency.p50 - b.latency.p50)),
      baselineCpuMsPerRequest: median(pairs.map(({ b }) => cpu(b))),
      candidateCpuMsPerRequest: median(pairs.map(({ c }) => cpu(c))),
    });
  }
  return rows;
}

export function baselineTable(rows: BaselineRow[]): string {
  return table(
    [
      'vs baseline',
      'conc',
      'req/s ratio',
      'cpu ms/req base',
      'cpu ms/req new',
      'cpu ratio',
      'p50 diff ms',
    ],
    rows.map((r) => [
      r.scenario,
      String(r.connections),
      fmt(r.rpsRatio, 3, 'x'),
      fmt(r.baselineCpuMsPerRequest, 3),
      fmt(r.candidateCpuMsPerRequest, 3),
      fmt(r.cpuRatio, 3, 'x'),
      fmt(r.p50DiffMs, 2),
    ]),
  );
}
