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
          // The property tests (fast-check over the Wasm core) take ~15–30 s on an idle 2-vCPU VM and twice that on
          // a loaded one: a generous limit catches hangs without making the unit tests depend on the machine's load.
          testTimeout: 120_000,
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
