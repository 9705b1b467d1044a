/**
 * What the Docker image runs, without Docker (images cannot be built or pulled here):
 * `npm run build`, the compiled output with package.json and the lock file in a fresh folder,
 * `npm ci --omit=dev` there, then the Dockerfile's own CMD and HEALTHCHECK commands.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnGateway } from '../support/process.js';
import type { GatewayProcess } from '../support/process.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Dockerfile {
  text: string;
  /** Instructions of the last stage (the runtime image). */
  runtime: string[];
  cmd: string[];
  healthcheck: string[];
}

/** Just enough of a Dockerfile parser for this file: joined continuation lines, JSON-form CMDs. */
function parseDockerfile(text: string): Dockerfile {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const lastFrom = instructions.map((i) => i.startsWith('FROM ')).lastIndexOf(true);
  const runtime = instructions.slice(lastFrom);
  const jsonAfter = (instruction: string, marker: string) =>
    JSON.parse(instruction.slice(instruction.indexOf(marker) + marker.length).trim()) as string[];
  const cmd = runtime.filter((i) => i.startsWith('CMD ')).at(-1);
  const healthcheck = runtime.find((i) => i.startsWith('HEALTHCHECK '));
  if (!cmd || !healthcheck)
    throw new Error('Dockerfile needs CMD and HEALTHCHECK in its last stage');
  return {
    text,
    runtime,
    cmd: jsonAfter(cmd, 'CMD '),
    healthcheck: jsonAfter(healthcheck, ' CMD '),
  };
}

/** `node` in a Dockerfile command is this test's node binary. */
const withNode = ([first, ...rest]: string[]): [string, ...string[]] => [
  first === 'node' ? process.execPath : first!,
  ...rest,
];

let app: string;
let dockerfile: Dockerfile;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  dockerfile = parseDockerfile(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  app = await mkdtemp(join(tmpdir(), 'gateway-image-'));
  // The image's build and deps stages are independent (as in the Dockerfile): run them at once.
  await Promise.all([
    // The build stage: `npm run build` (here into the temp folder's dist/).
    run(NPM, ['run', 'build', '--', '--outDir', join(app, 'dist')], { cwd: REPO_ROOT }),
    (async () => {
      await cp(join(REPO_ROOT, 'package.json'), join(app, 'package.json'));
      await cp(join(REPO_ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
      // The deps stage. --prefer-offline: the packages are in npm's cache after `npm ci`.
      await run(NPM, ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: app,
        env: { ...process.env, NODE_ENV: 'production' },
        maxBuffer: 16 * 1024 * 1024,
      });
    })(),
  ]);
}, 300_000);

afterAll(async () => {
  gateway?.kill();
  if (app) await rm(app, { recursive: true, force: true });
});

describe('the production image, without Docker', () => {
  it('is a multi-stage Node 20 slim image that runs as a non-root user', async () => {
    const froms = dockerfile.text.match(/^FROM .*/gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile.text).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile.text).toMatch(/npm ci --omit=dev/);
    const runtime = dockerfile.runtime.join('\n');
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/HOST=0\.0\.0\.0/);
    expect(runtime).toMatch(/^EXPOSE 4000$/m);
    const ignored = (await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.env', '.env.*']) {
      expect(ignored).toContain(entry);
    }
  });

  it('installs production dependencies only', () => {
    expect(existsSync(join(app, 'node_modules', 'pino'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'graphql-yoga'))).toBe(true);
    for (const dev of ['typescript', 'vitest', 'tsx', 'playwright-core', 'eslint']) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('starts with the image CMD, passes /health and the HEALTHCHECK, serves a query, exits 0 on SIGTERM', async () => {
    gateway = await spawnGateway({
      command: withNode(dockerfile.cmd),
      cwd: app,
      // As in the image, except the loopback address (tests never listen on every interface).
      env: { NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1' },
      metrics: true,
    });
    const started = gateway.logs()[0]!;
    expect(started).toMatchObject({ level: 'info', mode: 'sandbox' });
    expect(String(started.msg)).toContain('SANDBOX upstream');

    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/readiness`)).status).toBe(200);
    // /metrics on its own listener only.
    expect((await fetch(gateway.metricsUrl!)).status).toBe(200);
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ chatSessions(first: 2) { edges { cursor } } }' }),
    });
    const body = (await res.json()) as { data?: { chatSessions: { edges: unknown[] } } };
    expect(body.data?.chatSessions.edges).toHaveLength(2);

    const port = new URL(gateway.url).port;
    const [healthcheck, ...args] = withNode(dockerfile.healthcheck);
    await expect(
      run(healthcheck, args, { env: { ...process.env, PORT: port } }),
    ).resolves.toBeDefined();

    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    // And the HEALTHCHECK fails once the server is gone.
    await expect(run(healthcheck, args, { env: { ...process.env, PORT: port } })).rejects.toThrow();
  });
});
