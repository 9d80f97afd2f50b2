// Address families: what differs between IGMP snooping (IPv4) and MLD snooping (IPv6). The engine is written once
// and takes one of these; everything else (membership tables, timers, querier election, router ports, limits,
// policies, host tracking, warm restart) is shared.
//
// A family supplies
//   * its codec: received IGMP / MLD messages in the engine's terms (`decode`), and its own queries as frames
//     (`buildQuery`);
//   * its address rules (src/wire/address.ts holds them for both families): which groups are snooped, which are
//     always flooded, which sources are valid, the order for the querier election and for views;
//   * its querier source when none is configured;
//   * its names: counters, protocol versions and timer names for views and logs.
//
// The engine works in "generations": 1 = IGMPv1, 2 = IGMPv2 / MLDv1, 3 = IGMPv3 / MLDv2. MLDv1 is IGMPv2 in
// IPv6 (RFC 2710; RFC 3810 §8.3.2 translates its messages exactly as RFC 3376 §7.3.2 does for IGMPv2) and MLDv2
// is IGMPv3 (RFC 3810 §7.4 is RFC 3376 §6.4 with other names). MLD has no generation 1.
//
// MLD policing (RFC 3810 §5.1.14, §5.2.13, §6.2), done here because IGMP has no such rules in force (see
// src/snooping/README.md, deviation 15):
//   * §5.1.14 "If a node (router or host) receives a Query message with the IPv6 Source Address set to the
//     unspecified address (::), or any other address that is not a valid IPv6 link-local address, it MUST
//     silently discard the message" → counted as 'not-link-local-source';
//   * §6.2 "Upon reception of an MLD message that contains a Report, the router checks if the source address of
//     the message is a valid link-local address, if the Hop Limit is set to 1, and if the Router Alert option is
//     present in the Hop-By-Hop Options header of the IPv6 packet. If any of these checks fails, the packet is
//     dropped." → 'not-link-local-source', 'hop-limit', 'no-router-alert'; the hop limit and Router Alert checks
//     apply to queries too (RFC 2710 §3 / RFC 3810 §5: all MLD messages are sent that way).
//   * Deviation: a report from the unspecified address :: is accepted. §5.2.13 allows hosts to send them during
//     Duplicate Address Detection, for the solicited-node groups; a router ignores them, but a snooping switch that
//     ignored them would not forward Neighbor Solicitations to that host until its next report (RFC 4541 §3 asks
//     that neighbour discovery keeps working). Counted as 'unspecified-source' (not a drop).

import {
  classifyGroupIPv4, classifyGroupIPv6, compareIPv6, type GroupClass, isGroupSourceIPv4, isIpv4QuerierAddress,
  isLinkLocalUnicastIPv6, isUnicastIPv6, isUnspecifiedIPv6, linkLocalFromMac,
} from '../wire/address.js';
import { ipv4ToU32, parseIpv6 } from '../wire/common.js';
import {
  buildMldQueryFrame, buildQueryFrame, type ControlFrame, generalQuery, groupQuery, groupSourceQuery, mldGeneralQuery,
  mldGroupQuery, mldGroupSourceQuery,
} from '../wire/control-frame.js';
import { type GroupRecord, V1_QUERY_MAX_RESP_DS } from '../wire/igmp.js';
import { UNSPECIFIED as MLD_UNSPECIFIED } from '../wire/mld.js';
import { DECISECOND_MS } from './timers.js';

/** 1 = IGMPv1; 2 = IGMPv2 / MLDv1; 3 = IGMPv3 / MLDv2. */
export type Generation = 1 | 2 | 3;

/** A query in the engine's terms. */
export interface SnoopQuery {
  generation: Generation;
  /** Max Resp Time / Maximum Response Delay, milliseconds (IGMPv1: 10 s, RFC 2236 §4). */
  maxRespMs: number;
  /** The family's unspecified address for a General Query. */
  group: string;
  suppress: boolean;
  qrv: number;
  qqiSec: number;
  sources: readonly string[];
}

/** A membership message in the engine's terms. */
export type SnoopMessage =
  | { type: 'query'; query: SnoopQuery }
  /** IGMPv1/v2 report, MLDv1 report: IS_EX({}) plus the Older Host Present timer. */
  | { type: 'older-report'; generation: 1 | 2; group: string }
  /** IGMPv2 Leave, MLDv1 Done: TO_IN({}). */
  | { type: 'leave'; group: string }
  /** IGMPv3 / MLDv2 report. */
  | { type: 'records'; records: readonly GroupRecord[] };

/** Why a membership message of the family is refused before the engine looks at it (all counted). */
export type PolicingReason = 'not-link-local-source' | 'hop-limit' | 'no-router-alert';

export type QueryKind = 'general' | 'group' | 'group-source';

export type FamilyTxCounter =
  | 'igmp_v2_general_query' | 'igmp_v3_general_query'
  | 'igmp_v2_group_query' | 'igmp_v3_group_query' | 'igmp_v3_group_source_query'
  | 'mld_v1_general_query' | 'mld_v2_general_query'
  | 'mld_v1_group_query' | 'mld_v2_group_query' | 'mld_v2_group_source_query';

export interface QueryToSend {
  srcMac: string;
  src: string;
  vlan: number;
  /** 2 or 3: the generation of own queries. */
  generation: 2 | 3;
  maxRespMs: number;
  qrv: number;
  qqiSec: number;
  /** null = General Query. */
  group: string | null;
  sources: readonly string[];
  suppress: boolean;
}

/** Names of the timers (EffectiveTimers keys) in the family's RFC, for views and logs. */
export interface TimerNames {
  gmiMs: string;
  oqpiMs: string;
  lmqiMs: string;
  lmqc: string;
  lmqtMs: string;
  olderHostPresentMs: string;
}

export interface AddressFamily {
  /** IP version. */
  readonly ip: 4 | 6;
  /** The membership protocol, as in counters and messages. */
  readonly protocol: 'igmp' | 'mld';
  /** The group of a General Query. */
  readonly unspecified: string;
  readonly timerNames: TimerNames;
  /** The membership message in `msg` (an 'igmp' or 'mld' frame of this family), a refusal, or null (not ours). */
  decode(msg: ControlFrame): SnoopMessage | PolicingReason | null;
  classifyGroup(group: string): GroupClass;
  /** A source address that may appear in a source list (unicast). */
  validSource(source: string): boolean;
  /** View and sort order (numeric). */
  compare(a: string, b: string): number;
  /**
   * A querier address that never wins the election (IPv4 0.0.0.0, a proxy querier; see querier.ts). For MLD the
   * unspecified source is refused by policing before the election (RFC 3810 §5.1.14).
   */
  isProxyQuerier(address: string): boolean;
  /** A source that may take part in the querier election (proxy queriers included; see querier.ts). */
  isQuerierSource(address: string): boolean;
  /** Election order (RFC 3376 §6.6.2, RFC 3810 §7.6.2: the lowest address wins); a proxy querier ranks Infinity. */
  electionRank(address: string): number | bigint;
  /** Our querier source when none is configured. */
  defaultQuerierAddress(mac: string): string;
  buildQuery(q: QueryToSend): Uint8Array;
  txCounter(kind: QueryKind, generation: 2 | 3): FamilyTxCounter;
  /** Protocol version of a generation, for views: IGMP 1..3, MLD 1..2. */
  protocolVersion(generation: Generation): number;
  /** "IGMPv3", "MLDv1", … */
  versionName(generation: Generation): string;
}

// ---------------------------------------------------------------------------------------------------------------
// IPv4: IGMP

function decodeIgmp(msg: ControlFrame): SnoopMessage | null {
  if (msg.kind !== 'igmp') return null;
  const m = msg.message;
  switch (m.type) {
    case 'query':
      return {
        type: 'query',
        query: {
          // RFC 2236 §4 / RFC 3376 §7.1: a v1 query's Max Resp Time is 10 s.
          generation: m.version, maxRespMs: (m.version === 1 ? V1_QUERY_MAX_RESP_DS : m.maxRespDs) * DECISECOND_MS, group: m.group,
          suppress: m.suppress, qrv: m.qrv, qqiSec: m.qqiSec, sources: m.sources,
        },
      };
    case 'report':
      return { type: 'older-report', generation: m.version, group: m.group };
    case 'leave':
      return { type: 'leave', group: m.group };
    case 'v3-report':
      return { type: 'records', records: m.records };
  }
}

export const IPV4: AddressFamily = {
  ip: 4,
  protocol: 'igmp',
  unspecified: '0.0.0.0',
  timerNames: {
    gmiMs: 'Group Membership Interval', oqpiMs: 'Other Querier Present Interval', lmqiMs: 'Last Member Query Interval',
    lmqc: 'Last Member Query Count', lmqtMs: 'Last Member Query Time', olderHostPresentMs: 'Older Host Present Interval',
  },
  decode: decodeIgmp,
  classifyGroup: classifyGroupIPv4,
  validSource: isGroupSourceIPv4,
  compare: (a, b) => (ipv4ToU32(a) ?? 0) - (ipv4ToU32(b) ?? 0),
  isProxyQuerier: (address) => ipv4ToU32(address) === 0,
  // 0/8 but 0.0.0.0, 127/8, 224/4, 240/4 and 255.255.255.255 take no part: they are spoofed or broken, and the lowest
  // address would otherwise win.
  isQuerierSource: (address) => address === '0.0.0.0' || isIpv4QuerierAddress(address),
  electionRank(address) {
    const n = ipv4ToU32(address);
    return n === null || n === 0 ? Infinity : n;
  },
  defaultQuerierAddress: () => '0.0.0.0',
  buildQuery(q) {
    const params = { version: q.generation, maxRespDs: Math.round(q.maxRespMs / DECISECOND_MS), qrv: q.qrv, qqiSec: q.qqiSec };
    const query = q.group === null
      ? generalQuery(params)
      : q.sources.length > 0 && q.generation === 3
        ? groupSourceQuery({ ...params, version: 3 }, q.group, [...q.sources], q.suppress)
        : groupQuery(params, q.group, q.suppress);
    return buildQueryFrame({ srcMac: q.srcMac, src: q.src, vlan: q.vlan, query });
  },
  txCounter(kind, generation) {
    if (kind === 'general') return generation === 3 ? 'igmp_v3_general_query' : 'igmp_v2_general_query';
    if (kind === 'group') return generation === 3 ? 'igmp_v3_group_query' : 'igmp_v2_group_query';
    return 'igmp_v3_group_source_query';
  },
  protocolVersion: (generation) => generation,
  versionName: (generation) => `IGMPv${generation}`,
};

// ---------------------------------------------------------------------------------------------------------------
// IPv6: MLD

function policeMld(msg: ControlFrame, isQuery: boolean): PolicingReason | null {
  if (!isLinkLocalUnicastIPv6(msg.src) && (isQuery || !isUnspecifiedIPv6(msg.src))) return 'not-link-local-source';
  if (msg.ttl !== 1) return 'hop-limit';
  if (!msg.routerAlert) return 'no-router-alert';
  return null;
}

function decodeMld(msg: ControlFrame): SnoopMessage | PolicingReason | null {
  if (msg.kind !== 'mld') return null;
  const m = msg.message;
  const refused = policeMld(msg, m.type === 'query');
  if (refused !== null) return refused;
  switch (m.type) {
    case 'query':
      return {
        type: 'query',
        query: {
          generation: m.version === 2 ? 3 : 2, maxRespMs: m.maxRespMs, group: m.group, suppress: m.suppress,
          qrv: m.qrv, qqiSec: m.qqiSec, sources: m.sources,
        },
      };
    case 'report':
      return { type: 'older-report', generation: 2, group: m.group };
    case 'done':
      return { type: 'leave', group: m.group };
    case 'v2-report':
      return { type: 'records', records: m.records };
  }
}

export const IPV6: AddressFamily = {
  ip: 6,
  protocol: 'mld',
  unspecified: MLD_UNSPECIFIED,
  // RFC 3810 §9 names.
  timerNames: {
    gmiMs: 'Multicast Address Listening Interval', oqpiMs: 'Other Querier Present Timeout',
    lmqiMs: 'Last Listener Query Interval', lmqc: 'Last Listener Query Count', lmqtMs: 'Last Listener Query Time',
    olderHostPresentMs: 'Older Version Host Present Timeout',
  },
  decode: decodeMld,
  classifyGroup: classifyGroupIPv6,
  validSource: isUnicastIPv6,
  compare: compareIPv6,
  isProxyQuerier: isUnspecifiedIPv6,
  // Policing already refused queries that do not come from a link-local address (RFC 3810 §5.1.14).
  isQuerierSource: isLinkLocalUnicastIPv6,
  electionRank(address) {
    const b = parseIpv6(address);
    if (b === null || b.every((x) => x === 0)) return Infinity;
    let n = 0n;
    for (const x of b) n = (n << 8n) | BigInt(x);
    return n;
  },
  defaultQuerierAddress: linkLocalFromMac,
  buildQuery(q) {
    const params = { version: q.generation === 3 ? 2 as const : 1 as const, maxRespMs: q.maxRespMs, qrv: q.qrv, qqiSec: q.qqiSec };
    const query = q.group === null
      ? mldGeneralQuery(params)
      : q.sources.length > 0 && params.version === 2
        ? mldGroupSourceQuery({ ...params, version: 2 }, q.group, [...q.sources], q.suppress)
        : mldGroupQuery(params, q.group, q.suppress);
    return buildMldQueryFrame({ srcMac: q.srcMac, src: q.src, vlan: q.vlan, query });
  },
  txCounter(kind, generation) {
    if (kind === 'general') return generation === 3 ? 'mld_v2_general_query' : 'mld_v1_general_query';
    if (kind === 'group') return generation === 3 ? 'mld_v2_group_query' : 'mld_v1_group_query';
    return 'mld_v2_group_source_query';
  },
  protocolVersion: (generation) => Math.max(1, generation - 1),
  versionName: (generation) => `MLDv${Math.max(1, generation - 1)}`,
};

/** The family of an address text (IPv4 dotted quad or IPv6). */
export function familyOf(address: string): AddressFamily {
  return address.includes(':') ? IPV6 : IPV4;
}
