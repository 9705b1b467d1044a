/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): the top functions by self time, and self time
 * grouped by package (node_modules/<package>, the gateway's own dist/, node core, GC…).
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 25] [--from-ms 5000] [--to-ms 25000]
 *     [--inclusive encodeCursor,getJson]
 *
 * --inclusive lists, for each named function, the time of samples with that function anywhere
 * on the stack (its total, callees included), to tell what a whole step costs.
 * --from-ms/--to-ms keep only samples in that window (ms since the profile started), so start-up
 * and warm-up can be left out; `npm run bench -- --profile` passes the measured window.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { table } from './lib/report.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  name: string;
  pkg: string;
  location: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  windowMs: number;
  sampledMs: number;
  packages: Array<{ pkg: string; selfMs: number; share: number }>;
  functions: FunctionCost[];
  /** Total (self + callees) time of the functions asked for with `inclusive`. */
  inclusive: Array<{ name: string; totalMs: number; share: number }>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Which package a script belongs to. */
export function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) {
    return /^\(.*\)$/.test(frame.functionName) ? frame.functionName : '(native/builtin)';
  }
  if (url.startsWith('node:')) return 'node (core)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = relative(ROOT, path);
  if (rel.startsWith('dist/') || rel.startsWith('src/')) return 'gateway';
  if (rel.startsWith('bench/')) return 'bench';
  return 'other';
}

function locationOf(frame: CallFrame): string {
  if (!frame.url) return '';
  let path = frame.url;
  if (path.startsWith('file://')) path = relative(ROOT, fileURLToPath(path));
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) path = path.slice(nm + 'node_modules/'.length);
  return `${path}:${frame.lineNumber + 1}`;
}

export function summariseProfile(
  file: string,
  options: { top?: number; fromMs?: number; toMs?: number; inclusive?: string[] } = {},
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const wanted = new Set(options.inclusive ?? []);
  const inclusiveUs = new Map<string, number>([...wanted].map((name) => [name, 0]));
  const fromUs = (options.fromMs ?? 0) * 1000;
  const toUs = (options.toMs ?? Number.POSITIVE_INFINITY) * 1000;

  // Sample i lasts until sample i + 1 (the last one: the mean interval).
  const times: number[] = [];
  let t = 0;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  const meanInterval = times.length > 1 ? times.at(-1)! / (times.length - 1) : 1000;

  const selfUs = new Map<string, { frame: CallFrame; us: number }>();
  let sampledUs = 0;
  profile.samples.forEach((nodeId, i) => {
    const at = times[i]!;
    if (at < fromUs || at > toUs) return;
    const duration = i + 1 < times.length ? times[i + 1]! - at : meanInterval;
    const frame = byId.get(nodeId)!.callFrame;
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`;
    const entry = selfUs.get(key) ?? { frame, us: 0 };
    entry.us += duration;
    selfUs.set(key, entry);
    sampledUs += duration;
    if (wanted.size > 0) {
      const seen = new Set<string>();
      for (let id: number | undefined = nodeId; id !== undefined; id = parentOf.get(id)) {
        const name = byId.get(id)!.callFrame.functionName;
        if (wanted.has(name) && !seen.has(name)) {
          seen.add(name);
          inclusiveUs.set(name, inclusiveUs.get(name)! + duration);
        }
      }
    }
  });

  const packages = new Map<string, number>();
  for (const { frame, us } of selfUs.values()) {
    const pkg = packageOf(frame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const share = (us: number) => (sampledUs ? us / sampledUs : 0);
  return {
    file,
    windowMs: (Math.min(toUs, profile.endTime - profile.startTime) - fromUs) / 1000,
    sampledMs: sampledUs / 1000,
    packages: [...packages]
      .sort((a, b) => b[1] - a[1])
      .map(([pkg, us]) => ({ pkg, selfMs: us / 1000, share: share(us) })),
    functions: [...selfUs.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, options.top ?? 25)
      .map(({ frame, us }) => ({
        name: frame.functionName || '(anonymous)',
        pkg: packageOf(frame),
        location: locationOf(frame),
        selfMs: us / 1000,
        share: share(us),
      })),
    inclusive: [...inclusiveUs].map(([name, us]) => ({
      name,
      totalMs: us / 1000,
      share: share(us),
    })),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `${s.file}: ${s.sampledMs.toFixed(0)} ms of samples in a ${s.windowMs.toFixed(0)} ms window`,
    '',
    'Self time by package',
    table(
      ['package', 'self ms', 'share'],
      s.packages.map((p) => [p.pkg, p.selfMs.toFixed(0), pct(p.share)]),
    ),
    '',
    `Top ${s.functions.length} functions by self time`,
    table(
      ['function', 'package', 'self ms', 'share', 'location'],
      s.functions.map((f) => [
        f.name.slice(0, 48),
        f.pkg,
        f.selfMs.toFixed(0),
        pct(f.share),
        f.location.slice(-70),
      ]),
    ),
    ...(s.inclusive.length > 0
      ? [
          '',
          'Total time (callees included) of selected functions',
          table(
            ['function', 'total ms', 'share'],
            s.inclusive.map((f) => [f.name, f.totalMs.toFixed(0), pct(f.share)]),
          ),
        ]
      : []),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      'from-ms': { type: 'string' },
      'to-ms': { type: 'string' },
      inclusive: { type: 'string' },
    },
  });
  if (positionals.length !== 1) {
    console.error(
      'usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--from-ms A] [--to-ms B] [--inclusive f,g]',
    );
    process.exit(2);
  }
  const summary = summariseProfile(positionals[0]!, {
    top: Number(values.top),
    ...(values['from-ms'] !== undefined && { fromMs: Number(values['from-ms']) }),
    ...(values['to-ms'] !== undefined && { toMs: Number(values['to-ms']) }),
    ...(values.inclusive !== undefined && { inclusive: values.inclusive.split(',') }),
  });
  console.log(formatProfileSummary(summary));
}
