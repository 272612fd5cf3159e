import { defineConfig } from 'vitest/config';

// unit: pure, parallel. integration/e2e: real netns, sshd, nft; run one file at a time so labs
// don't compete for the 2 cores of CI and each test's leak check sees only its own run.
// vm: the VM machines' end-to-end tests (qemu guests, minutes each in software emulation), one
// file at a time in a lane of their own beside the integration files: a guest booting uses the
// CPU the lab tests leave idle while they wait on the network (about half of 2 cores, measured).
// A lane of its own needs a pool of its own: vitest shares one pool's workers across projects.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: ['test/e2e/vm/**'],
          fileParallelism: false,
          globalSetup: ['test/helpers/ci-guard.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'vm',
          include: ['test/e2e/vm/**/*.test.ts'],
          pool: 'threads',
          fileParallelism: false,
          globalSetup: ['test/helpers/ci-guard.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
