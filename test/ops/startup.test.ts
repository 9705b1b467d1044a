/**
 * A bad operational variable stops start-up with one message naming it, and exit code 2. (The
 * cases run concurrently: each is a process start-up, mostly spent loading modules.)
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/process.js';

function start(env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts'],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', PORT: '0', ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

describe.concurrent('invalid operational configuration', () => {
  it.each([
    ['CORS_ORIGINS', 'app.example.com'],
    ['SHUTDOWN_TIMEOUT_MS', '-5'],
  ])('%s=%s: exit 2, one message naming the variable', async (name, value) => {
    const { code, stdout, stderr } = await start({ [name]: value });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^Invalid configuration: ${name} `));
  });
});
