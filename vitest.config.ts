import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (`main`) and ESM (`module`) builds. Node loads the CJS one for Yoga and
    // Pothos; without this alias Vite would give the sources the ESM one, and errors thrown by
    // resolvers would no longer be `instanceof GraphQLError` for Yoga (masked as "Unexpected error").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
