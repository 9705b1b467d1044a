import { defineConfig } from 'vitest/config';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/** The load soak: CPU-bound and timing-sensitive, so it runs alone, after everything else. */
const SOAK = ['test/integration/resilience-soak.test.ts'];
/** Slow tiers left out of `npm run test:fast`: the production-image build and the browser. */
const SLOW = ['test/ops/production-image.test.ts', 'test/browser/**/*.test.ts'];

/**
 * The 'slow' files first: the production-image build is the longest file, and mostly waits on
 * tsc and npm, so it should overlap with everything else rather than start last.
 */
class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => (file.project.name === 'slow' ? 0 : 1);
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  resolve: {
    // graphql ships a CJS build ("main") and an ESM build ("module"). Node loads the CJS one for
    // every dependency (Yoga, Pothos, @apollo/*); Vite would pick the ESM one for our sources,
    // giving two GraphQLError classes, and Yoga would then mask our BAD_USER_INPUT errors.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The soak test measures the heap after a forced GC.
    execArgv: ['--expose-gc'],
    sequence: { sequencer: SlowFirst },
    // Most files wait on sockets, timers and child processes rather than the CPU: more workers
    // than cores (Vitest's default is cores - 1, one worker on a 2-core machine).
    maxWorkers: 3,
    // Test files share a worker's module cache instead of importing Yoga, Pothos, graphql and
    // undici afresh each (about half the CPU time of a run). Files hold no global state: every
    // stack, server and registry is created by the test that uses it.
    isolate: false,
    // Project settings extend these (`extends: true`); `include` is per project, since arrays
    // set here would be merged into every project's.
    projects: [
      {
        extends: true,
        test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: [...SOAK, ...SLOW] },
      },
      { extends: true, test: { name: 'slow', include: SLOW } },
      {
        extends: true,
        test: {
          name: 'soak',
          include: SOAK,
          // After the other projects (group 0), on a machine no other test file is loading.
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
        },
      },
    ],
  },
});
