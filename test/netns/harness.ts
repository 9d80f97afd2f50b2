// Shared set-up for the namespace tests (vitest project "netns"): decides whether they can run at all
// (root, Linux, iproute2), which switches to test (the Linux bridge proves the harness; igmpswitch is the
// subject), and gives each describe block a lab that is torn down whatever happens.
//
//   IGMPSWITCH_LAB_SWITCHES=linux-bridge,igmpswitch   (default: both; igmpswitch skips until dist/daemon/run.js exists)
//   IGMPSWITCH_LAB_ECHO=1                              mirror the daemon's log to stderr

import { afterAll, beforeAll } from 'vitest';
import {
  createLab,
  daemonStatus,
  hasCommand,
  labUnavailableReason,
  type Lab,
  type LabOptions,
  type SwitchKind,
} from '../../src/lab/index.js';

/** Why namespace tests cannot run here, or null. Printed once when the harness loads. */
export const labSkipReason: string | null = await labUnavailableReason();

// (test/netns/global-setup.ts says it once for the whole project and sweeps leftovers of crashed runs.)
if (labSkipReason) console.warn(`[netns] skipping: ${labSkipReason}`);

export interface SwitchUnderTest {
  kind: Exclude<SwitchKind, 'none'>;
  /** Why this switch's tests are skipped, or null. */
  skip: string | null;
  /** describe() title, carrying the skip reason when there is one. */
  title: string;
}

const ALL: SwitchUnderTest['kind'][] = ['linux-bridge', 'igmpswitch'];

/** The switches to run the shared tests against, with skip reasons. */
export function switchesUnderTest(): SwitchUnderTest[] {
  const wanted = (process.env['IGMPSWITCH_LAB_SWITCHES'] ?? ALL.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const w of wanted) {
    if (!ALL.includes(w as SwitchUnderTest['kind'])) throw new Error(`IGMPSWITCH_LAB_SWITCHES: unknown switch "${w}" (${ALL.join(', ')})`);
  }
  return (wanted as SwitchUnderTest['kind'][]).map((kind) => {
    let skip = labSkipReason;
    if (!skip && kind === 'igmpswitch') skip = daemonStatus().reason;
    if (skip && kind === 'igmpswitch' && !labSkipReason) console.warn(`[netns] skipping igmpswitch cases: ${skip}`);
    return { kind, skip, title: skip ? `${kind} (skipped: ${skip})` : kind };
  });
}

/** Options per switch kind so that both behave as a plain learning switch (issue 3's baseline). */
export function learningSwitchOptions(kind: SwitchUnderTest['kind']): Partial<LabOptions> {
  if (kind === 'linux-bridge') return { linuxBridge: { options: { mcast_snooping: 0 } } };
  return { igmpswitch: { echo: process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null } };
}

/**
 * Register beforeAll/afterAll hooks that build a lab for the enclosing describe block and destroy it.
 * Returns a getter (the lab exists only once beforeAll has run).
 */
export function useLab(options: () => LabOptions): () => Lab {
  let lab: Lab | null = null;
  beforeAll(async () => {
    lab = await createLab(options());
  });
  afterAll(async () => {
    await lab?.destroy();
  });
  return () => {
    if (!lab) throw new Error('lab not created (beforeAll failed?)');
    return lab;
  };
}

export { hasCommand };
