/**
 * The gateway as a real child process, started the way an operator starts it: environment
 * variables in, JSON log lines out on stdout, signals to stop it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Variables the gateway reads: never inherited from the test runner's environment. */
const GATEWAY_VARIABLES = [
  'PORT',
  'HOST',
  'LLAMA_CLOUD_BASE_URL',
  'LLAMA_CLOUD_API_KEY',
  'UPSTREAM_TIMEOUT_MS',
  'UPSTREAM_MAX_RETRIES',
  'UPSTREAM_STREAM_IDLE_TIMEOUT_MS',
  'MAX_PAGE_SIZE',
  'DEFAULT_PAGE_SIZE',
  'MAX_UPSTREAM_CALLS_PER_OPERATION',
  'BATCHING_LIMIT',
  'LOG_LEVEL',
  'SHUTDOWN_TIMEOUT_MS',
  'CORS_ORIGINS',
  'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_REQUEST_TIMEOUT_MS',
  'HTTP_IDLE_TIMEOUT_MS',
  'MAX_CONNECTIONS',
  'METRICS_PORT',
  'METRICS_HOST',
  'METRICS_OPERATION_NAMES',
  'PERSISTED_OPERATIONS_FILE',
  'ALLOW_ARBITRARY_OPERATIONS',
  'RATE_LIMIT',
  'TRUST_PROXY',
  'MAX_STREAMS_PER_CALLER',
  'REDIS_URL',
  'AUTH_JWKS_URL',
  'AUTH_JWT_ISSUER',
  'AUTH_JWT_AUDIENCE',
  'AUTH_PROJECTS_CLAIM',
  'ALLOW_UNAUTHENTICATED_CALLERS',
];

export interface GatewayProcess {
  child: ChildProcess;
  /** Base URL, e.g. http://127.0.0.1:43210 (from the start-up log line). */
  url: string;
  /** The metrics listener's URL, e.g. http://127.0.0.1:43211/metrics, when it has one. */
  metricsUrl: string | undefined;
  /** Every stdout line so far. */
  stdout: string[];
  /** Every stderr line so far. */
  stderr: string[];
  /** stdout lines parsed as JSON (all of them must be JSON). */
  logs(): Array<Record<string, unknown>>;
  /** Resolves with the first log line (already seen or future) that matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (test cleanup). */
  kill(): void;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Command and arguments; default: the TypeScript sources through tsx. */
  command?: [string, ...string[]];
  cwd?: string;
  /**
   * Serve /metrics on a free port. Off by default (METRICS_PORT=0), so test files running in
   * parallel never compete for the default 9464.
   */
  metrics?: boolean;
}

export async function spawnGateway(options: SpawnOptions = {}): Promise<GatewayProcess> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !GATEWAY_VARIABLES.includes(name)) env[name] = value;
  }
  Object.assign(
    env,
    {
      PORT: '0',
      HOST: '127.0.0.1',
      METRICS_PORT: options.metrics ? String(await freePort()) : '0',
    },
    options.env,
  );
  const [command, ...args] = options.command ?? [
    process.execPath,
    '--import',
    'tsx',
    'src/main.ts',
  ];
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: Array<{
    match: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }> = [];
  const parse = (line: string): Record<string, unknown> => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`not a JSON log line: ${line}`);
    }
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  lines(child.stdout!, (line) => {
    stdout.push(line);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    for (const w of [...waiters]) {
      if (w.match(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  });
  lines(child.stderr!, (line) => stderr.push(line));

  function waitForLog(match: (line: Record<string, unknown>) => boolean) {
    for (const line of stdout) {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (match(parsed)) return Promise.resolve(parsed);
      } catch {
        // not JSON: logs() reports it
      }
    }
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ match, resolve });
      void exited.then(({ code, signal }) =>
        reject(
          new Error(
            `gateway exited (code ${code}, signal ${signal}) before the expected log line.\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`,
          ),
        ),
      );
    });
  }

  const started = await waitForLog((line) => typeof line.url === 'string');
  const url = String(started.url).replace(/\/graphql$/, '');
  return {
    child,
    url,
    metricsUrl: typeof started.metricsUrl === 'string' ? started.metricsUrl : undefined,
    stdout,
    stderr,
    logs: () => stdout.map(parse),
    waitForLog,
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** A loopback port free right now (the gateway binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let index: number;
    while ((index = buffer.indexOf('\n')) >= 0) {
      onLine(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
    }
  });
  stream.on('end', () => {
    if (buffer) onLine(buffer);
  });
}
