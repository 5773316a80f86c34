import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every temporary folder a test creates lives in one folder removed at the end of the run.
    globalSetup: ['scripts/testbed/temporary-folder.ts'],
    // The AWS SDK's notice that its 2027 releases need Node.js 22 (docs/local-cloud.md).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    include: [
      'toolchain/test/**/*.test.ts',
      'emulator/test/**/*.test.ts',
      'local-cloud/test/**/*.test.ts',
      'cli/test/**/*.test.ts',
      'infrastructure/test/**/*.test.ts',
      'scripts/test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
