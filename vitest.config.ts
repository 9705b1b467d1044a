import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Vite would give our sources graphql's ESM build while Yoga (loaded by Node) gets the CJS
    // one: two GraphQLError classes, and Yoga masks every error we throw. Resolve like Node.
    alias: [{ find: /^graphql$/, replacement: fileURLToPath(import.meta.resolve('graphql')) }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The soak test measures the heap after a forced GC.
    execArgv: ['--expose-gc'],
  },
});
