// V8 heap settings for the daemon process (issue 12, item 5: the daemon's RSS with 100 k IPv4 + 100 k IPv6 groups).
//
// V8 sizes its heap for the machine, not for the program: on a host with gigabytes of memory it lets the old
// generation grow to up to 4 × its live size before the next full collection, and the young generation to two 16 MB
// semi-spaces. The daemon's state is long-lived and its garbage comes in bursts (a report blast: decoded frames, table
// commands, log lines), so with those defaults most of its RSS was heap headroom (measured with
// bench/control-plane-e2e.ts: ~300 MB of RSS over a ~150 MB live heap with 200 k groups). Two flags bound it:
//   --optimize-for-size          the old generation grows by at most 1.3 × its live size between full collections
//                                (V8's "conservative" heap growing mode), and compaction aims at less fragmentation;
//   --semi-space-growth-factor=1 the young generation keeps its initial size (1 MB semi-spaces) instead of doubling
//                                to 16 MB under allocation: more, shorter scavenges; the engine's state is long-lived
//                                and a report's garbage dies young either way.
// Both are read by V8 while it runs (at each limit computation and young-generation resize), so the daemon sets them
// itself at start, and once more when the data-plane worker is online: node applies its V8 options anew when a worker
// thread starts, which undoes flags set before (measured: the young generation grew to 2 × 16 MB again). Users get them
// without node flags (node's own flags, such as --max-semi-space-size, are read only
// at process start and would need a wrapper). Measured effect and cost: src/snooping/README.md, "Memory".

import { setFlagsFromString } from 'node:v8';

export const DAEMON_V8_FLAGS = ['--optimize-for-size', '--semi-space-growth-factor=1'] as const;

/** The flag's name without dashes, "no-" and value ("--no-optimize_for_size" → "optimize-for-size"). */
function flagName(arg: string): string {
  return arg.replace(/^--(no-)?/, '').split('=')[0]!.replaceAll('_', '-');
}

/** Set DAEMON_V8_FLAGS, except those the operator gave node (`node --no-optimize-for-size …` or NODE_OPTIONS): theirs win. */
export function tuneDaemonHeap(): void {
  const given = new Set([...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName));
  for (const flag of DAEMON_V8_FLAGS) if (!given.has(flagName(flag))) setFlagsFromString(flag);
}
