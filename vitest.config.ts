import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql ships a CJS build ("main") and an ESM build ("module"). Node loads the CJS one for
    // every dependency (Yoga, Pothos, @apollo/*); Vite would pick the ESM one for our sources,
    // giving two GraphQLError classes, and Yoga would then mask our BAD_USER_INPUT errors.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The soak test measures the heap after a forced GC.
    execArgv: ['--expose-gc'],
  },
});
