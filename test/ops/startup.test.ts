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

describe('refusing to start exposed', () => {
  // TEST-NET-1 (RFC 5737): no interface here has it, so nothing ever listens on it.
  const exposed = {
    LLAMA_CLOUD_API_KEY: 'llx-server-key-of-this-test',
    LLAMA_CLOUD_BASE_URL: 'http://127.0.0.1:9',
    HOST: '192.0.2.1',
  };

  it('a server key on a non-loopback HOST without caller authentication: exit 2, one message with the two ways out', async () => {
    const { code, stdout, stderr } = await start(exposed);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^Invalid configuration: refusing to start exposed: /);
    expect(stderr).toContain('HOST=192.0.2.1 is not a loopback address');
    expect(stderr).toContain('set AUTH_JWKS_URL');
    expect(stderr).toContain('ALLOW_UNAUTHENTICATED_CALLERS=true');
    expect(stderr).not.toContain('llx-server-key-of-this-test');
  });

  it('ALLOW_UNAUTHENTICATED_CALLERS=true: past the check (it then fails to bind the unassigned address)', async () => {
    const { code, stderr } = await start({ ...exposed, ALLOW_UNAUTHENTICATED_CALLERS: 'true' });
    expect(code).not.toBe(2);
    expect(code).not.toBe(0);
    expect(stderr).not.toContain('refusing to start');
    expect(stderr).toMatch(/EADDRNOTAVAIL/);
  });
});
