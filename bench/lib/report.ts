/**
 * What the bench drivers (bench/run.ts, bench/streams.ts) print and write: a refused command
 * line, medians and numbers, aligned tables, and the JSON results under bench/results with the
 * commit, the options and the machine they were measured on.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { gitInfo, RESULTS } from './processes.js';

/** When this driver started: the prefix of every file it writes under bench/results. */
export const STAMP = new Date().toISOString().replace(/[:.]/g, '-');

/** A bad command line: its message on stderr, exit code 2. */
export function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** The median of the finite values; NaN when there is none. */
export const median = (values: number[]): number => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length === 0 ? NaN : (v[(v.length - 1) >> 1]! + v[v.length >> 1]!) / 2;
};

/** `v` with `digits` decimals and `suffix`; `-` for NaN or an infinity. */
export const fmt = (v: number, digits = 2, suffix = ''): string =>
  Number.isFinite(v) ? `${v.toFixed(digits)}${suffix}` : '-';

/** Rows of cells in aligned columns, the first row the header: the first column left, the rest right. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [rows[0]!, widths.map((w) => '-'.repeat(w)), ...rows.slice(1)].map(line).join('\n');
}

/**
 * Writes bench/results/<STAMP>-<mode>.json: the commit, the driver's options (`help` left out),
 * the machine, and `data`. Returns its path relative to the working directory.
 */
export function writeResults(mode: string, options: object, data: object): string {
  const file = join(RESULTS, `${STAMP}-${mode}.json`);
  const environment = { node: process.version, cpus: cpus().length, loadavg: loadavg() };
  const recorded = { git: gitInfo(), options: { ...options, help: undefined }, environment };
  writeFileSync(file, `${JSON.stringify({ ...recorded, ...data }, null, 2)}\n`);
  return relative(process.cwd(), file);
}
