import { defineConfig } from 'vitest/config';

// Test files that replace a module with `vi.mock`: they run isolated (a fresh module graph per
// file), so the replacement never reaches another file.
const mocksModules = ['toolchain/test/build.test.ts'];

export default defineConfig({
  test: {
    // Every temporary folder a test creates lives in one folder removed at the end of the run.
    globalSetup: ['scripts/testbed/temporary-folder.ts'],
    // The AWS SDK's notice that its 2027 releases need Node.js 22 (docs/local-cloud.md).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'toolchain/test/**/*.test.ts',
            'emulator/test/**/*.test.ts',
            'local-cloud/test/**/*.test.ts',
            'cli/test/**/*.test.ts',
            'infrastructure/test/**/*.test.ts',
            'scripts/test/**/*.test.ts',
          ],
          exclude: mocksModules,
          // Files of a worker share loaded modules: aws-cdk-lib and the AWS SDK load once per
          // worker instead of once per file (measured on 2 idle cores: 216 s instead of 327 s).
          isolate: false,
        },
      },
      { extends: true, test: { name: 'isolated', include: mocksModules } },
    ],
  },
});
