/**
 * The bench's processes as the drivers (bench/run.ts, bench/streams.ts) start and watch them:
 * each started with the test suite's `spawnGateway` (its log lines to bench/results/logs), its CPU
 * time and memory read from /proc, its live heap through bench/lib/memory-probe.mjs, and the
 * production features (a JWT issuer on loopback) the gateway runs with under `--features on`.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { REPO_ROOT, spawnGateway } from '../../test/support/process.js';
import type { GatewayProcess } from '../../test/support/process.js';

export const RESULTS = join(REPO_ROOT, 'bench', 'results');
export const MEMORY_PROBE = join(REPO_ROOT, 'bench/lib/memory-probe.mjs');
const MB = 2 ** 20;

/** User + system CPU time of a process so far, ms (/proc/<pid>/stat, 100 clock ticks a second). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident set size and its peak (VmHWM), MB. */
export function rssMB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/**
 * Heap used right after a full GC (the live set), MB: asks the memory probe preloaded into the
 * gateway (`--expose-gc --import MEMORY_PROBE`) with SIGUSR2.
 */
export async function liveHeapMB(proc: GatewayProcess): Promise<number> {
  const seen = proc.stderr.length;
  process.kill(proc.child.pid!, 'SIGUSR2');
  for (let i = 0; i < 1000; i++, await sleep(10)) {
    const line = proc.stderr.slice(seen).find((l) => l.startsWith('{"liveHeap"'));
    if (line) return (JSON.parse(line) as { liveHeap: number }).liveHeap / MB;
  }
  throw new Error('the memory probe did not answer');
}

/** A process through the test suite's helper, its log lines to bench/results/logs/<name>.log. */
export async function startLogged(
  name: string,
  argv: string[],
  env: Record<string, string>,
  metrics = false,
): Promise<GatewayProcess> {
  mkdirSync(join(RESULTS, 'logs'), { recursive: true });
  const proc = await spawnGateway({ command: [process.execPath, ...argv], env, metrics });
  proc.child.stdout!.removeAllListeners('data');
  proc.child.stdout!.pipe(createWriteStream(join(RESULTS, 'logs', `${name}.log`)));
  return proc;
}

/** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
export async function stopProcess(proc: GatewayProcess): Promise<void> {
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill(), 10_000);
  await proc.exited;
  clearTimeout(timer);
}

export interface ProductionFeatures {
  /** The gateway's environment for them. */
  env: Record<string, string>;
  /** Headers of every GraphQL request (the caller's JWT). */
  headers: Record<string, string>;
  close(): void;
}

/**
 * A production deployment's features: the bench is the JWT issuer (its own JWKS on loopback, one
 * ES256 token sent with every GraphQL request), a rate limit too high to trigger, the metrics
 * listener on a port of its own, logs at `info` (to bench/results/logs/gateway.log). CSRF
 * prevention and the Host allow-list are always on (defaults); the bench sends JSON POSTs to
 * 127.0.0.1.
 */
export async function productionFeatures(): Promise<ProductionFeatures> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const jwks = JSON.stringify({ keys: [jwk] });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(jwks);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
    .setSubject('bench-caller')
    .setIssuer('https://issuer.bench.invalid/')
    .setAudience('llamacloud-chat-gateway')
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(privateKey);
  return {
    env: {
      AUTH_JWKS_URL: jwksUrl,
      AUTH_JWT_ISSUER: 'https://issuer.bench.invalid/',
      AUTH_JWT_AUDIENCE: 'llamacloud-chat-gateway',
      RATE_LIMIT: '1000000/60',
      LOG_LEVEL: 'info',
    },
    headers: { authorization: `Bearer ${token}` },
    close: () => server.close(),
  };
}

/** `K=V` strings as an object. */
export const envPairs = (list: string[]): Record<string, string> =>
  Object.fromEntries(
    list.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );

/** The commit measured, marked when src/ or bench/ has uncommitted changes. */
export function gitInfo(): string {
  const git = (...argv: string[]) => execFileSync('git', argv, { cwd: REPO_ROOT }).toString();
  const dirty = git('status', '--porcelain', '--', 'src', 'bench').trim() !== '';
  return `${git('rev-parse', '--short=12', 'HEAD').trim()}${dirty ? ' (with uncommitted changes)' : ''}`;
}
