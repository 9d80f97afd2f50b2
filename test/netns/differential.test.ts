// The differential harness (docs/differential.md) on CI's fixed seeds: kernel hosts play a seeded random script of
// memberships through real socket calls against igmpswitch and the Linux bridge at the same time, and every cell of
// the delivery matrix is checked against the RFC 3376 / RFC 4541 model (test/model/). igmpswitch must agree with the
// model everywhere; the bridge may disagree only where its MDB shows one of its known deviations from the RFC.
// Both families at once: IGMP (IPv4) and MLD (IPv6, RFC 3810) run side by side in the same labs, each with its own
// script (test/differential/family.ts), so MLD costs no second set of labs.
// More seeds: `npm run diff -- --seeds 20`.

import { describe, expect, it } from 'vitest';
import { daemonStatus } from '../../src/lab/index.js';
import { failures, formatDisagreement, formatSummary, runDifferential } from '../differential/harness.js';
import { labSkipReason } from './harness.js';

const skip = labSkipReason ?? daemonStatus().reason;

/** CI's seeds and rounds per seed (about 80 s in all, both families, on an idle machine). */
const CI_SEEDS = [4, 6]; // between them: every class of bridge deviation the script provokes
const CI_ROUNDS = 4;

describe.skipIf(skip !== null)(`differential: igmpswitch and the Linux bridge against the RFC model${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it(`seeds ${CI_SEEDS.join(', ')}: igmpswitch agrees with the model in every cell; the bridge only where it deviates from the RFC`, async () => {
    const summary = await runDifferential({
      seeds: CI_SEEDS,
      rounds: CI_ROUNDS,
      echo: process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null,
    });
    console.log(formatSummary(summary));
    expect(summary.rounds).toBe(CI_SEEDS.length * CI_ROUNDS);
    expect(summary.cells['igmpswitch']).toBeGreaterThan(0);
    expect(summary.cells['linux-bridge']).toBe(summary.cells['igmpswitch']);
    for (const family of ['igmp', 'mld'] as const) {
      expect(summary.familyCells['igmpswitch']?.[family], family).toBeGreaterThan(0);
      expect(summary.familyCells['linux-bridge']?.[family], family).toBe(summary.familyCells['igmpswitch']?.[family]);
    }
    expect(failures(summary).map(formatDisagreement)).toEqual([]);
  }, 300_000); // both families; a loaded machine took 140 s for IGMP alone
});
