import { defineConfig } from 'vitest/config';

// The end-to-end suites: they need moto (AWS_ENDPOINT_URL) and built artifacts, so
// `scripts/test.ts` runs them after the smoke suite, not with the unit tests.
export default defineConfig({
  test: {
    include: ['scripts/e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
