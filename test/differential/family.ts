// The address family a differential run speaks (docs/differential.md): IGMP over IPv4 or MLD over IPv6. The script,
// the model, the measurement and the classification are written once; a family supplies only what differs on the
// wire and in the kernel's API: its groups and host addresses, the socket calls of its "own" API, the sysctl that
// forces a host's protocol version, the messages a host announces its memberships with, and how each switch is told
// to be its querier. RFC 3810 §7.4 and §8.3.2 are RFC 3376 §6.4 and §7.3.2 with other names, so the router model
// (test/model/rfc3376-router.ts) serves both: an MLDv1 host puts a port in the model's "IGMPv2" compatibility mode.

import type { ConfigObject, LabHost } from '../../src/lab/index.js';
import * as igmp from '../../src/wire/igmp.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import { ALL_MLDV2_ROUTERS, ALL_ROUTERS, ICMPV6, MessageType as MldType } from '../../src/wire/mld.js';
import type { SocketCall } from '../model/igmp-host.js';

export type FamilyName = 'igmp' | 'mld';
export const FAMILY_NAMES: readonly FamilyName[] = ['igmp', 'mld'];

/** The socket calls that take a socket's filter somewhere (test/differential/script.ts picks among them). */
export interface CallSet {
  join: SocketCall;
  leave: SocketCall;
  block: SocketCall;
  unblock: SocketCall;
  joinSource: SocketCall;
  leaveSource: SocketCall;
}

/** RFC 3678's protocol-independent calls: the same names for both families. */
const MCAST_CALLS: CallSet = {
  join: 'MCAST_JOIN_GROUP', leave: 'MCAST_LEAVE_GROUP', block: 'MCAST_BLOCK_SOURCE', unblock: 'MCAST_UNBLOCK_SOURCE',
  joinSource: 'MCAST_JOIN_SOURCE_GROUP', leaveSource: 'MCAST_LEAVE_SOURCE_GROUP',
};

export interface DiffFamily {
  name: FamilyName;
  /** For messages: "IGMP" / "MLD". */
  protocol: 'IGMP' | 'MLD';
  /** The socket family of the hosts' applications (PktAgent.app). */
  socketFamily: 'ipv4' | 'ipv6';
  /** The groups receivers join (a link-scope one for MLD: snooped like any other, RFC 4541 §3). */
  groups: readonly string[];
  /** A group nobody joins: the probe of "the switch filters" before the first round. */
  unregistered: string;
  /** The protocol version a host speaks by default, and the older one it can be forced to. */
  versions: { current: number; older: number };
  /** "v3" / "MLDv2" for messages. */
  versionName(v: number): string;
  /** The router model's compatibility mode (1, 2 = IGMPv2/MLDv1, 3 = IGMPv3/MLDv2) as this family's version. */
  modelVersion(compat: 1 | 2 | 3): number;
  /** The family's own API (RFC 3678 calls, or ip(7) / ipv6(7)'s), or the protocol-independent one. */
  calls(ownApi: boolean): CallSet;
  /** The host's address of this family: a sender's source address. */
  address(h: LabHost): string;
  /** Force a host's protocol version (force_igmp_version / force_mld_version). */
  setVersion(h: LabHost, v: number): Promise<void>;
  /**
   * Membership messages in a capture: IP protocol (ICMPv6 after the extension headers), message types, and how a
   * type is written in messages (IGMP's in hex, as its RFCs write them; ICMPv6 types in decimal).
   */
  reports: { proto: number; types: ReadonlySet<number>; label(type: number): string };
  /** The destinations of the membership messages that are not sent to the group: v3/MLDv2 reports, leaves/Dones. */
  reportDestinations: readonly string[];
  /** igmpswitch: the querier for this family (merged into `snooping`). */
  igmpswitchSnooping: ConfigObject;
  /** The Linux bridge: the options that make it this family's v3/MLDv2 querier. */
  bridgeOptions: Record<string, string | number>;
}

export const IGMP: DiffFamily = {
  name: 'igmp',
  protocol: 'IGMP',
  socketFamily: 'ipv4',
  groups: ['239.1.1.1', '239.1.1.2', '239.1.1.3'],
  unregistered: '239.1.1.99',
  versions: { current: 3, older: 2 },
  versionName: (v) => `v${v}`,
  modelVersion: (c) => c,
  calls: (ownApi) => ownApi
    ? {
        join: 'IP_ADD_MEMBERSHIP', leave: 'IP_DROP_MEMBERSHIP', block: 'IP_BLOCK_SOURCE', unblock: 'IP_UNBLOCK_SOURCE',
        joinSource: 'IP_ADD_SOURCE_MEMBERSHIP', leaveSource: 'IP_DROP_SOURCE_MEMBERSHIP',
      }
    : MCAST_CALLS,
  address: (h) => h.addr,
  setVersion: (h, v) => h.setIgmpVersion(v as 2 | 3),
  reports: {
    proto: ipv4.Protocol.IGMP,
    types: new Set<number>([
      igmp.MessageType.V1_MEMBERSHIP_REPORT, igmp.MessageType.V2_MEMBERSHIP_REPORT, igmp.MessageType.V2_LEAVE_GROUP,
      igmp.MessageType.V3_MEMBERSHIP_REPORT,
    ]),
    label: (t) => `0x${t.toString(16)}`,
  },
  // IGMPv3 reports to 224.0.0.22, IGMPv2 leaves to 224.0.0.2 (IGMPv2 reports go to the group).
  reportDestinations: ['224.0.0.22', '224.0.0.2'],
  igmpswitchSnooping: { querier: { enabled: true, address: '192.0.2.254', version: 3 } },
  bridgeOptions: { mcast_igmp_version: 3 },
};

export const MLD: DiffFamily = {
  name: 'mld',
  protocol: 'MLD',
  socketFamily: 'ipv6',
  // Global scope twice, and link scope: RFC 4541 §3 snoops ff02::cc like any other (the group of bridge_mld.sh).
  groups: ['ff0e::1:1', 'ff0e::1:2', 'ff02::cc'],
  unregistered: 'ff0e::1:99',
  versions: { current: 2, older: 1 },
  versionName: (v) => `MLDv${v}`,
  // RFC 3810 §8.3.2: an MLDv1 host is the model's IGMPv2 host (§7.3.2 of RFC 3376); MLD has no IGMPv1.
  modelVersion: (c) => (c === 3 ? 2 : 1),
  // ipv6(7) has its own calls only for any-source membership (RFC 3493); source filters are MCAST_* in both cases.
  calls: (ownApi) => (ownApi ? { ...MCAST_CALLS, join: 'IPV6_JOIN_GROUP', leave: 'IPV6_LEAVE_GROUP' } : MCAST_CALLS),
  address: (h) => {
    if (h.addr6 === null) throw new Error(`${h.name}: no IPv6 address`);
    return h.addr6;
  },
  setVersion: (h, v) => h.setMldVersion(v as 1 | 2),
  reports: {
    proto: ICMPV6,
    types: new Set<number>([MldType.V1_REPORT, MldType.V1_DONE, MldType.V2_REPORT]),
    label: (t) => `type ${t}`,
  },
  // MLDv2 reports to ff02::16, MLDv1 Done to ff02::2 (MLDv1 reports go to the group).
  reportDestinations: [ALL_MLDV2_ROUTERS, ALL_ROUTERS],
  igmpswitchSnooping: { mld: { querier: { enabled: true, version: 2 } } },
  // Its MLD querier needs an IPv6 address on the bridge (LinuxBridgeOptions.ipv6).
  bridgeOptions: { mcast_mld_version: 2 },
};

export const FAMILIES: Record<FamilyName, DiffFamily> = { igmp: IGMP, mld: MLD };
