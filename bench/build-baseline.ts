/**
 * Builds the gateway as it was at a git revision, for `npm run bench -- --baseline <entry>`:
 * `git archive` of its sources into /tmp/gateway-baseline/<commit> (outside the worktree, so the
 * type-checker and linter never see them), compiled with this worktree's node_modules.
 *
 *   npx tsx bench/build-baseline.ts HEAD~1    # prints /tmp/gateway-baseline/<commit>/dist/main.js
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/support/process.js';

const run = (command: string, argv: string[], cwd = REPO_ROOT, input?: Buffer) =>
  execFileSync(command, argv, { cwd, input, maxBuffer: 2 ** 26 });
if (!process.argv[2]) throw new Error('usage: tsx bench/build-baseline.ts <git revision>');
const commit = run('git', ['rev-parse', '--short=12', process.argv[2]]).toString().trim();
const dir = join('/tmp', 'gateway-baseline', commit);
if (!existsSync(join(dir, 'dist', 'main.js'))) {
  mkdirSync(dir, { recursive: true });
  const files = ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
  run('tar', ['-x', '-C', dir], REPO_ROOT, run('git', ['archive', commit, ...files]));
  if (!existsSync(join(dir, 'node_modules'))) {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
  const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
  execFileSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
}
console.log(join(dir, 'dist', 'main.js'));
