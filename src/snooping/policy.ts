// Global forwarding policy for multicast that the MDB does not decide: unregistered groups, the
// no-querier case, the startup window, and per-port flood flags.
//
// mode 'flood' (all IPv4 multicast flooded as if snooping were off) when:
//   1. snooping is disabled; or
//   2. no querier exists anywhere (neither our own querier nor another one, including a 0.0.0.0
//      proxy querier, was active) and `noQuerier` is 'flood' — Linux floods in that case
//      (__br_multicast_querier_exists): without queries, hosts that joined before we started are
//      never heard, and their groups would be black-holed; or
//   3. the startup window is open. Hosts that joined before we started only report again when a
//      General Query asks them, and they answer within its Max Resp Time; until then our table is
//      incomplete and filtering would black-hole them. So the window closes when the first General
//      Query round has ended on every VLAN that has a querier: a General Query we sent, or one from the
//      querier we follow, plus its Max Resp Time (Linux's delay_timer: started only by a General Query
//      of the selected querier, for its max_delay). Group-specific queries, queries of a querier that
//      lost the election, and another VLAN's queries do not close it: they make no host of this VLAN
//      report every group. With `noQuerier: 'filter'` the administrator asked to filter without a
//      querier, so the window then closes `startupFloodMs` after start even if no General Query is ever
//      seen (and still not before the first round ends). `startupFloodMs: 0` disables the window;
//      so does a fresh restored state (the engine then starts with the window closed).
// Otherwise mode 'snoop'. The unregistered policy is the configured one (RFC 4541 §2.1.2(3)).

import type { McastMode, TableCommand, UnregisteredPolicy } from '../dataplane/commands.js';
import type { PortSnoopingConfig, SnoopingConfig } from './config.js';
import { bit } from './forwarding.js';

export interface PolicyInputs {
  config: SnoopingConfig;
  now: number;
  startedAt: number;
  /** Restored from a fresh state (a warm restart): the table is complete, no window. */
  warmStart: boolean;
  /** When the first General Query round has ended on every queried VLAN, or null (querier.ts). */
  firstRoundsEnd: number | null;
  /** Some querier is active (own, elected other, or 0.0.0.0). */
  querierPresent: boolean;
}

export interface PolicyDecision {
  mode: McastMode;
  unregistered: UnregisteredPolicy;
  reason: 'disabled' | 'no-querier' | 'startup' | 'snooping';
  /** When the decision may change by time alone (end of the startup window), or Infinity. */
  until: number;
}

/** End of the startup flood window, or Infinity while it waits for the first General Query round. */
export function startupWindowEnd(i: PolicyInputs): number {
  const ms = i.config.startupFloodMs;
  if (ms <= 0 || i.warmStart) return -Infinity;
  if (i.config.noQuerier === 'filter') return Math.max(i.startedAt + ms, i.firstRoundsEnd ?? -Infinity);
  return i.firstRoundsEnd ?? Infinity;
}

export function decidePolicy(i: PolicyInputs): PolicyDecision {
  const unregistered = i.config.unregistered;
  if (!i.config.enabled) return { mode: 'flood', unregistered, reason: 'disabled', until: Infinity };
  const windowEnd = startupWindowEnd(i);
  if (i.now < windowEnd) return { mode: 'flood', unregistered, reason: 'startup', until: windowEnd };
  if (!i.querierPresent && i.config.noQuerier === 'flood') return { mode: 'flood', unregistered, reason: 'no-querier', until: Infinity };
  return { mode: 'snoop', unregistered, reason: 'snooping', until: Infinity };
}

export function policyCommand(d: PolicyDecision): TableCommand {
  return { op: 'policy', unregistered: d.unregistered, mode: d.mode };
}

/** Per-port flags (OVS mcast-snooping-flood / -flood-reports, Linux mcast_flood). */
export function portFlagsCommand(ports: Iterable<PortSnoopingConfig>): TableCommand & { op: 'portFlags' } {
  let floodAll = 0n;
  let floodReports = 0n;
  let floodUnregistered = 0n;
  for (const p of ports) {
    if (p.floodAll) floodAll |= bit(p.index);
    if (p.floodReports) floodReports |= bit(p.index);
    if (p.floodUnregistered) floodUnregistered |= bit(p.index);
  }
  return { op: 'portFlags', floodAll, floodReports, floodUnregistered };
}
