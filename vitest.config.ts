import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    alias: [
      // graphql 16 ships CJS (main) and ESM (module) without an exports map: Node loads the CJS
      // build for Yoga while Vite would pick the ESM one for our sources, and two GraphQLError
      // classes break Yoga's error masking. Pin both to the one Node uses in production.
      { find: /^graphql$/, replacement: require.resolve('graphql') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
