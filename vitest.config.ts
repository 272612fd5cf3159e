import { defineConfig } from 'vitest/config';

// unit: pure, parallel. integration/e2e: real netns, sshd, nft; run one file at a time so labs
// don't compete for the 2 cores of CI and each test's leak check sees only its own run.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          fileParallelism: false,
          globalSetup: ['test/helpers/ci-guard.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
