import { defineConfig } from 'vitest/config';

// Two projects: fast unit/property tests run in parallel; namespace tests (real veth pairs, real kernel
// hosts, root only) run one file at a time so they do not fight for the two CPUs.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'netns',
          include: ['test/netns/**/*.test.ts'],
          // Prints once why the namespace tests skip (not root, no iproute2, …) and removes leftovers of crashed runs.
          globalSetup: ['test/netns/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
