// Network-namespace labs: used by the demo (src/lab/demo.ts), the namespace tests (test/netns/) and the
// end-to-end benchmarks (bench/e2e.ts). See docs/lab.md.

export * from './netns.js';
export * from './proc.js';
export * from './paths.js';
export * from './daemon-process.js';
export * from './topology.js';
export * from './traffic.js';
