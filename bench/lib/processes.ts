/**
 * The processes of a bench run, each separate: the sandbox upstream, the gateway (built output)
 * and the hand-written proxy. The driver (bench/run.ts) is the third process: it generates load.
 * Everything listens on 127.0.0.1 only.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_DIR = join(ROOT, 'bench', 'results');
export const BENCH_API_KEY = 'llx-bench-key-not-a-real-credential';
const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

export interface Service {
  name: string;
  url: string;
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Variables that would change which upstream or mode a child uses: never inherited. */
const SCRUBBED = /^(PORT|HOST|LLAMA_CLOUD_|UPSTREAM_|MAX_|DEFAULT_PAGE_SIZE|LOG_LEVEL|SANDBOX_)/;

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SCRUBBED.test(k)) env[k] = v;
  return { ...env, ...extra };
}

interface StartOptions {
  name: string;
  nodeArgs: string[];
  env: Record<string, string>;
  url: string;
  /** GET this path until it answers 2xx. */
  readyPath: string;
  ipc?: boolean;
}

async function start(options: StartOptions): Promise<Service> {
  const logDir = join(RESULTS_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  // Logs go to a file, like a production log shipper would take them: the cost of writing them
  // stays in the measurement, and the driver spends no CPU reading them.
  const log = createWriteStream(join(logDir, `${options.name}.log`));
  await new Promise((resolve) => log.once('open', resolve));
  const child = spawn(process.execPath, options.nodeArgs, {
    cwd: ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', log, log, ...(options.ipc ? (['ipc'] as const) : [])],
  });
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      resolve();
    }),
  );

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) {
      throw new Error(`${options.name} ${exited} before it was ready; see ${log.path}`);
    }
    try {
      const res = await fetch(`${options.url}${options.readyPath}`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} not ready after 20 s; see ${log.path}`);
    }
    await sleep(100);
  }

  return {
    name: options.name,
    url: options.url,
    child,
    pid: child.pid!,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(killer);
      }
      log.end();
    },
  };
}

export async function startSandbox(latencyMs: number): Promise<Service> {
  const port = await freePort();
  return start({
    name: 'sandbox',
    nodeArgs: ['bench/lib/sandbox.mjs'],
    env: { PORT: String(port), HOST: '127.0.0.1', SANDBOX_LATENCY_MS: String(latencyMs) },
    url: `http://127.0.0.1:${port}`,
    readyPath: '/api/v1/chat?page_size=1',
  });
}

export interface GatewayStartOptions {
  /** Process name in logs (default gateway). */
  name?: string;
  upstreamUrl: string;
  /** Built entry point (default dist/main.js). */
  entry: string;
  logLevel: string | undefined;
  env: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** Preload bench/lib/memory-probe.mjs (with --expose-gc) and open an IPC channel to it. */
  memoryProbe?: boolean;
}

export async function startGateway(options: GatewayStartOptions): Promise<Service> {
  const port = await freePort();
  const probe = options.memoryProbe
    ? ['--expose-gc', '--import', join(ROOT, 'bench', 'lib', 'memory-probe.mjs')]
    : [];
  return start({
    name: options.name ?? 'gateway',
    nodeArgs: [...(options.nodeFlags ?? []), ...probe, options.entry],
    env: {
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      LLAMA_CLOUD_BASE_URL: options.upstreamUrl,
      LLAMA_CLOUD_API_KEY: BENCH_API_KEY,
      ...(options.logLevel ? { LOG_LEVEL: options.logLevel } : {}),
      ...options.env,
    },
    url: `http://127.0.0.1:${port}`,
    readyPath: '/health',
    ipc: options.memoryProbe ?? false,
  });
}

export async function startProxy(upstreamUrl: string): Promise<Service> {
  const port = await freePort();
  return start({
    name: 'proxy',
    nodeArgs: ['--import', 'tsx', 'bench/proxy.ts'],
    env: {
      NODE_ENV: 'production',
      PORT: String(port),
      UPSTREAM_URL: upstreamUrl,
      LLAMA_CLOUD_API_KEY: BENCH_API_KEY,
    },
    url: `http://127.0.0.1:${port}`,
    readyPath: '/',
  });
}

/** Resident set size and its peak, from /proc/<pid>/status (Linux), in bytes. */
export function readRss(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process so far, in ms, from /proc/<pid>/stat (Linux). */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * process.memoryUsage() of a gateway started with `memoryProbe`, over IPC; with `afterGc`, right
 * after a full garbage collection.
 */
export function askMemory(
  service: Service,
  afterGc = false,
): Promise<NodeJS.MemoryUsage | undefined> {
  const child = service.child;
  if (!child.connected) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      resolve(undefined);
    }, 2_000);
    function onMessage(message: unknown) {
      const m = message as { memoryUsage?: NodeJS.MemoryUsage };
      if (!m?.memoryUsage) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m.memoryUsage);
    }
    child.on('message', onMessage);
    child.send(afterGc ? 'gc' : 'memoryUsage');
  });
}
