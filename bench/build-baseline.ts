/**
 * Builds the gateway as it was at a git revision, for before/after comparisons:
 *
 *   npx tsx bench/build-baseline.ts HEAD~1
 *   npm run bench -- --gateway /tmp/gateway-baseline/<commit>/dist/main.js
 *
 * The sources of <rev> are exported with `git archive` into /tmp/gateway-baseline/<commit>
 * (outside the worktree, so the type-checker and linter never see them), with a symlink to this
 * worktree's node_modules, and compiled with this worktree's TypeScript. Prints the entry path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/processes.js';

const rev = process.argv[2];
if (!rev) {
  console.error('usage: tsx bench/build-baseline.ts <git revision>');
  process.exit(2);
}
const commit = execFileSync('git', ['rev-parse', '--short=12', rev], { cwd: ROOT })
  .toString()
  .trim();
const dir = join('/tmp', 'gateway-baseline', commit);
const entry = join(dir, 'dist', 'main.js');
if (!existsSync(entry)) {
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync(
    'git',
    ['archive', commit, 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'],
    { cwd: ROOT, maxBuffer: 64 * 2 ** 20 },
  );
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  if (!existsSync(join(dir, 'node_modules'))) {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: dir,
    stdio: 'inherit',
  });
}
console.log(entry);
