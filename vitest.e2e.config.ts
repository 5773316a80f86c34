import { defineConfig } from 'vitest/config';

// The suites that need built artifacts (and moto): `scripts/test.ts` runs them after the
// smoke suite has built dist/lambda, not beside the unit tests, which run while it builds.
export default defineConfig({
  test: {
    // Every temporary folder a test creates lives in one folder removed at the end of the run.
    globalSetup: ['scripts/testbed/temporary-folder.ts'],
    // The AWS SDK's notice that its 2027 releases need Node.js 22 (docs/local-cloud.md).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    include: ['scripts/e2e/**/*.e2e.ts', 'cli/test/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
