// The host side of IGMP, as RFC 3376 describes it, for the differential harness (test/differential/): what the kernel
// of a host does with its applications' socket calls.
//   - §3.1/§3.2: each socket holds a filter per group (INCLUDE or EXCLUDE a source list); the interface state is
//     their merge: EXCLUDE if any socket excludes (the intersection of the exclude lists minus every included
//     source), else INCLUDE the union. "No state" is INCLUDE {} (null here).
//   - §5.1: a change of interface state is announced with the State-Change Records of the table there.
//   - §5.2: a General Query is answered with one Current-State Record per group.
//   - §7.2.1 (IGMPv2 compatibility, Linux force_igmp_version=2): an IGMPv2 Report when the group appears, a Leave
//     when it disappears, nothing for a change of sources; a General Query is answered with a Report.
// The router side is test/model/rfc3376-router.ts.

import { RecordType as R } from '../../src/wire/igmp.js';

export type FilterMode = 'include' | 'exclude';

/** One socket's (or the interface's) filter for one group. */
export interface Filter {
  mode: FilterMode;
  sources: readonly string[];
}

/** A record a host sends (IGMPv3 record type of src/wire/igmp.ts), with its source list. */
export interface HostRecord {
  type: number;
  sources: string[];
}

const sorted = (s: Iterable<string>): string[] => [...s].sort();

/** §3.2: the interface state for a group from its sockets' filters; null = no reception state (INCLUDE {}). */
export function interfaceState(sockets: readonly Filter[]): Filter | null {
  const live = sockets.filter((s) => s.mode === 'exclude' || s.sources.length > 0);
  if (live.length === 0) return null;
  const excl = live.filter((s) => s.mode === 'exclude');
  const included = new Set(live.filter((s) => s.mode === 'include').flatMap((s) => s.sources));
  if (excl.length === 0) return { mode: 'include', sources: sorted(included) };
  let common = new Set(excl[0]!.sources);
  for (const s of excl.slice(1)) common = new Set(s.sources.filter((x) => common.has(x)));
  return { mode: 'exclude', sources: sorted([...common].filter((x) => !included.has(x))) };
}

export function sameFilter(a: Filter | null, b: Filter | null): boolean {
  if (a === null || b === null) return a === b;
  return a.mode === b.mode && a.sources.join() === b.sources.join();
}

/** §5.1: the State-Change Records announcing old → next (empty when nothing changed). */
export function stateChangeRecords(old: Filter | null, next: Filter | null): HostRecord[] {
  const o = old ?? { mode: 'include', sources: [] };
  const n = next ?? { mode: 'include', sources: [] };
  const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));
  const out: HostRecord[] = [];
  if (o.mode === n.mode) {
    // INCLUDE (A) → INCLUDE (B): ALLOW (B-A), BLOCK (A-B); EXCLUDE (A) → EXCLUDE (B): ALLOW (A-B), BLOCK (B-A)
    const allow = o.mode === 'include' ? minus(n.sources, o.sources) : minus(o.sources, n.sources);
    const block = o.mode === 'include' ? minus(o.sources, n.sources) : minus(n.sources, o.sources);
    if (allow.length) out.push({ type: R.ALLOW_NEW_SOURCES, sources: allow });
    if (block.length) out.push({ type: R.BLOCK_OLD_SOURCES, sources: block });
  } else {
    // INCLUDE (A) → EXCLUDE (B): TO_EX (B); EXCLUDE (A) → INCLUDE (B): TO_IN (B)
    out.push({ type: n.mode === 'exclude' ? R.CHANGE_TO_EXCLUDE_MODE : R.CHANGE_TO_INCLUDE_MODE, sources: [...n.sources] });
  }
  return out;
}

/** §5.2: the Current-State Record answering a General Query, or null (no state, nothing to report). */
export function currentStateRecord(state: Filter | null): HostRecord | null {
  if (state === null) return null;
  return { type: state.mode === 'include' ? R.MODE_IS_INCLUDE : R.MODE_IS_EXCLUDE, sources: [...state.sources] };
}

/** What an IGMPv2-mode host (§7.2.1) sends for old → next: a Report when the group appears, a Leave when it goes. */
export function v2Message(old: Filter | null, next: Filter | null): 'report' | 'leave' | null {
  if (old === null && next !== null) return 'report';
  if (old !== null && next === null) return 'leave';
  return null;
}

/**
 * The socket calls of ip(7) / ipv6(7) / RFC 3678 that change a socket's filter for a group. IPv6 has its own calls
 * only for any-source membership (RFC 3493: IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP); source filters go through the
 * protocol-independent MCAST_* calls. Linux applies them to an IPv6 socket as to an IPv4 one (net/ipv6/mcast.c
 * ipv6_sock_mc_join / ip6_mc_source / ipv6_sock_mc_drop mirror net/ipv4/igmp.c), so one function models both.
 */
export const SOCKET_CALLS = [
  'IP_ADD_MEMBERSHIP', 'IP_DROP_MEMBERSHIP', 'IP_BLOCK_SOURCE', 'IP_UNBLOCK_SOURCE', 'IP_ADD_SOURCE_MEMBERSHIP',
  'IP_DROP_SOURCE_MEMBERSHIP', 'MCAST_JOIN_GROUP', 'MCAST_LEAVE_GROUP', 'MCAST_BLOCK_SOURCE', 'MCAST_UNBLOCK_SOURCE',
  'MCAST_JOIN_SOURCE_GROUP', 'MCAST_LEAVE_SOURCE_GROUP', 'IPV6_JOIN_GROUP', 'IPV6_LEAVE_GROUP',
] as const;
export type SocketCall = (typeof SOCKET_CALLS)[number];

/**
 * A socket's filter for a group after one call (null: no membership), as Linux applies it (net/ipv4/igmp.c
 * ip_mc_join_group / ip_mc_source / ip_mc_leave_group). Throws where the kernel refuses the call.
 */
export function applySocketCall(f: Filter | null, call: SocketCall, source?: string): Filter | null {
  const need = (): string => {
    if (!source) throw new Error(`${call} needs a source`);
    return source;
  };
  switch (call) {
    case 'IP_ADD_MEMBERSHIP':
    case 'IPV6_JOIN_GROUP':
    case 'MCAST_JOIN_GROUP':
      if (f !== null) throw new Error(`${call}: already a member (EADDRINUSE)`);
      return { mode: 'exclude', sources: [] };
    case 'IP_DROP_MEMBERSHIP':
    case 'IPV6_LEAVE_GROUP':
    case 'MCAST_LEAVE_GROUP':
      if (f === null) throw new Error(`${call}: not a member (EADDRNOTAVAIL)`);
      return null;
    case 'IP_BLOCK_SOURCE':
    case 'MCAST_BLOCK_SOURCE': {
      const s = need();
      if (f === null || f.mode !== 'exclude') throw new Error(`${call}: needs an any-source membership (EINVAL)`);
      return f.sources.includes(s) ? f : { mode: 'exclude', sources: sorted([...f.sources, s]) };
    }
    case 'IP_UNBLOCK_SOURCE':
    case 'MCAST_UNBLOCK_SOURCE': {
      const s = need();
      if (f === null || f.mode !== 'exclude' || !f.sources.includes(s)) throw new Error(`${call}: ${s} is not blocked (EADDRNOTAVAIL)`);
      return { mode: 'exclude', sources: f.sources.filter((x) => x !== s) };
    }
    case 'IP_ADD_SOURCE_MEMBERSHIP':
    case 'MCAST_JOIN_SOURCE_GROUP': {
      const s = need();
      if (f !== null && f.mode !== 'include') throw new Error(`${call}: the socket is in EXCLUDE mode (EINVAL)`);
      if (f?.sources.includes(s)) throw new Error(`${call}: ${s} already joined (EADDRNOTAVAIL)`);
      return { mode: 'include', sources: sorted([...(f?.sources ?? []), s]) };
    }
    case 'IP_DROP_SOURCE_MEMBERSHIP':
    case 'MCAST_LEAVE_SOURCE_GROUP': {
      const s = need();
      if (f === null || f.mode !== 'include' || !f.sources.includes(s)) throw new Error(`${call}: ${s} not joined (EADDRNOTAVAIL)`);
      // Dropping the last source of an INCLUDE filter leaves the group (Linux: "(INCLUDE, empty) == LEAVE_GROUP").
      const rest = f.sources.filter((x) => x !== s);
      return rest.length ? { mode: 'include', sources: rest } : null;
    }
  }
}
