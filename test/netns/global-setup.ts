// Global setup of the vitest project "netns": says once, up front, whether the namespace tests can run here
// (each file also skips on its own), and removes namespaces left behind by earlier runs that crashed.

import { labUnavailableReason, sweepStale } from '../../src/lab/index.js';

export default async function setup(): Promise<void> {
  const reason = await labUnavailableReason();
  if (reason) {
    console.warn(`[netns] the namespace tests will be skipped: ${reason}`);
    return;
  }
  for (const prefix of ['igs', 'igd', 'igb', 'igt']) {
    const swept = await sweepStale(prefix);
    const all = [...swept.namespaces, ...swept.links];
    if (all.length) console.warn(`[netns] removed leftovers of crashed runs: ${all.join(' ')}`);
  }
}
