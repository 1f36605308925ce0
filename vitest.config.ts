import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import `@secrets/core` from source; TEST_DIST=1 points them at the built package instead.
const coreEntry = process.env.TEST_DIST
  ? fileURLToPath(new URL('./packages/core/dist/index.js', import.meta.url))
  : fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url));

export default defineConfig({
  resolve: {
    alias: { '@secrets/core': coreEntry },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
