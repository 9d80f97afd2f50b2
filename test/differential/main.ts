// `npm run diff -- [--seeds N | --seed S ...] [--rounds R] [--first S] [--switch igmpswitch|linux-bridge] [--family igmp|mld] [--settle MS]`
// Runs the differential harness (docs/differential.md) on more seeds than CI does, for IGMP and MLD side by side
// (both by default), and prints every disagreement and a summary. Exit status 1 when igmpswitch disagrees with the RFC model or the bridge disagrees in an unexplained way.
// Needs root (network namespaces) and a build (`npm run build`).

import { parseArgs } from 'node:util';
import { daemonStatus, labUnavailableReason } from '../../src/lab/index.js';
import { FAMILY_NAMES, type FamilyName } from './family.js';
import { failures, formatSummary, runDifferential, type SwitchName } from './harness.js';

const USAGE = `usage: npm run diff -- [--seeds N] [--first S] [--seed S]... [--rounds R] [--switch NAME]... [--family F]... [--settle MS] [--echo]
  --seeds N     run N seeds, --first (default 1) and the following ones (default 5)
  --seed S      run this seed (repeatable; replaces --seeds)
  --rounds R    rounds per seed (default 6)
  --switch X    igmpswitch and/or linux-bridge (default both)
  --family F    igmp and/or mld (default both, side by side in the same labs)
  --settle MS   wait after each round's socket calls before sending (default 4000)
  --echo        mirror the igmpswitch daemon's log`;

function nonNegativeInt(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a non-negative integer, got "${v}"`);
  return n;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        seeds: { type: 'string' },
        first: { type: 'string' },
        seed: { type: 'string', multiple: true },
        rounds: { type: 'string' },
        switch: { type: 'string', multiple: true },
        family: { type: 'string', multiple: true },
        settle: { type: 'string' },
        echo: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`igmpswitch diff: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const switches = (values.switch ?? ['igmpswitch', 'linux-bridge']) as SwitchName[];
  for (const s of switches) {
    if (s !== 'igmpswitch' && s !== 'linux-bridge') {
      console.error(`igmpswitch diff: --switch: expected igmpswitch or linux-bridge, got "${s}"`);
      return 2;
    }
  }
  const families = (values.family ?? FAMILY_NAMES) as FamilyName[];
  for (const f of families) {
    if (!FAMILY_NAMES.includes(f)) {
      console.error(`igmpswitch diff: --family: expected igmp or mld, got "${f}"`);
      return 2;
    }
  }
  let seeds: number[];
  let rounds: number;
  let settleMs: number;
  try {
    const first = nonNegativeInt(values.first, '--first', 1);
    seeds = values.seed?.length
      ? values.seed.map((s) => nonNegativeInt(s, '--seed', 0))
      : Array.from({ length: nonNegativeInt(values.seeds, '--seeds', 5) }, (_, i) => first + i);
    rounds = nonNegativeInt(values.rounds, '--rounds', 6);
    settleMs = nonNegativeInt(values.settle, '--settle', 4_000);
  } catch (e) {
    console.error(`igmpswitch diff: ${(e as Error).message}`);
    return 2;
  }
  const why = (await labUnavailableReason()) ?? (switches.includes('igmpswitch') ? daemonStatus().reason : null);
  if (why) {
    console.error(`igmpswitch diff: cannot run: ${why}`);
    return 2;
  }
  const summary = await runDifferential({
    seeds, rounds, switches, families: [...new Set(families)], settleMs,
    log: (l) => console.log(l),
    echo: values.echo ? process.stderr : null,
  });
  console.log(formatSummary(summary));
  return failures(summary).length ? 1 : 0;
}

process.exitCode = await main();
