import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
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
