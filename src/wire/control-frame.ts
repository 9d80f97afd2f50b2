// Complete control frames: decoding the frames the data plane punts (IGMP, MLD, PIM, MRD) and
// building the frames the snooping engine sends (IGMP queries, MRD solicitations).
//
// Decoding trusts the Wasm core's validation (checksums, lengths were checked there) and does not
// police again (no TTL / Router Alert / destination checks: the engine decides what to accept).
// It never throws: garbage gives `{ ok: false, error }`.

import { fail, ipv4MulticastMac, ipv6MulticastMac, macAt, ok, type Result, type WireError } from './common.js';
import * as ethernet from './ethernet.js';
import * as igmp from './igmp.js';
import * as ipv4 from './ipv4.js';
import * as ipv6 from './ipv6.js';
import * as mld from './mld.js';
import * as mrd from './mrd.js';
import * as pim from './pim.js';
import * as udp from './udp.js';

interface Common {
  family: 4 | 6;
  /** IP source address (text). */
  src: string;
  /** IP destination address (text). */
  dst: string;
  /** IPv4 TTL or IPv6 Hop Limit. */
  ttl: number;
  /** IPv4 Router Alert option (RFC 2113) / IPv6 Hop-by-Hop Router Alert (RFC 2711) present. */
  routerAlert: boolean;
  /** Ethernet source address. */
  srcMac: string;
}

export type ControlFrame =
  | (Common & { kind: 'igmp'; message: igmp.IgmpRepr })
  | (Common & { kind: 'mld'; message: mld.MldRepr })
  | (Common & { kind: 'pim'; message: pim.PimRepr })
  | (Common & { kind: 'mrd'; message: mrd.MrdRepr });

export type ControlKind = ControlFrame['kind'];

/**
 * Decode a punted frame. `l3Offset` is where the IP header starts (after any VLAN tags), as the
 * data plane's verdict says; the Ethernet source is read at its fixed offset 6.
 */
export function decodeControlFrame(frame: Uint8Array, l3Offset: number): Result<ControlFrame> {
  if (!Number.isInteger(l3Offset) || l3Offset < ethernet.HEADER_LEN || l3Offset >= frame.length) {
    return fail('frame', 'truncated', 'L3 offset outside the frame');
  }
  const srcMac = macAt(frame, ethernet.Field.SRC);
  const version = frame[l3Offset]! >>> 4;
  if (version === 4) return decodeV4(frame, l3Offset, srcMac);
  if (version === 6) return decodeV6(frame, l3Offset, srcMac);
  return fail('frame', 'bad-version', `IP version ${version}`);
}

function decodeV4(frame: Uint8Array, off: number, srcMac: string): Result<ControlFrame> {
  const ip = ipv4.parse(frame, off);
  if (!ip.ok) return ip;
  const { repr, headerLen, fragment } = ip.value;
  if (fragment) return fail('ipv4', 'fragmented');
  const start = off + headerLen;
  const end = start + repr.payloadLen;
  if (repr.protocol === ipv4.Protocol.IGMP) {
    if (end > start && mrd.isMrdIgmpType(frame[start]!)) {
      const m = mrd.parse(frame.subarray(start, end), 4);
      return m.ok ? ok({ kind: 'mrd', family: 4, src: repr.src, dst: repr.dst, ttl: repr.ttl, routerAlert: repr.routerAlert, srcMac, message: m.value }) : m;
    }
    // The hot path (every membership report): no subarray, one object literal.
    const m = igmp.parseAt(frame, start, end);
    return m.ok ? ok({ kind: 'igmp', family: 4, src: repr.src, dst: repr.dst, ttl: repr.ttl, routerAlert: repr.routerAlert, srcMac, message: m.value }) : m;
  }
  if (repr.protocol === ipv4.Protocol.PIM) {
    const m = pim.parse(frame.subarray(start, end));
    return m.ok ? ok({ kind: 'pim', family: 4, src: repr.src, dst: repr.dst, ttl: repr.ttl, routerAlert: repr.routerAlert, srcMac, message: m.value }) : m;
  }
  return fail('ipv4', 'not-control', `protocol ${repr.protocol}`);
}

function decodeV6(frame: Uint8Array, off: number, srcMac: string): Result<ControlFrame> {
  const ip = ipv6.parse(frame, off);
  if (!ip.ok) return ip;
  const { repr, upperOffset, upperLen } = ip.value;
  const body = frame.subarray(upperOffset, upperOffset + upperLen);
  const { src, dst, hopLimit: ttl, routerAlert } = repr;
  if (repr.nextHeader === ipv6.NextHeader.ICMPV6) {
    if (body.length >= 1 && mrd.isMrdIcmpv6Type(body[0]!)) {
      const m = mrd.parse(body, 6);
      return m.ok ? ok({ kind: 'mrd', family: 6, src, dst, ttl, routerAlert, srcMac, message: m.value }) : m;
    }
    const m = mld.parse(body);
    return m.ok ? ok({ kind: 'mld', family: 6, src, dst, ttl, routerAlert, srcMac, message: m.value }) : m;
  }
  if (repr.nextHeader === ipv6.NextHeader.PIM) {
    const m = pim.parse(body);
    return m.ok ? ok({ kind: 'pim', family: 6, src, dst, ttl, routerAlert, srcMac, message: m.value }) : m;
  }
  return fail('ipv6', 'not-control', `next header ${repr.nextHeader}`);
}

export type { WireError };

// ---------------------------------------------------------------------------------------------
// Building frames

/** All-Systems (RFC 1112 §4): General Queries go here (RFC 2236 §2, RFC 3376 §4.1.12). */
export const ALL_SYSTEMS = '224.0.0.1';
/** IGMPv3 reports go to All-IGMPv3-Routers (RFC 3376 §4.2.14). */
export const ALL_IGMPV3_ROUTERS = '224.0.0.22';

export interface Ipv4FrameOptions {
  srcMac: string;
  /** Defaults to the multicast MAC of `dst`. */
  dstMac?: string;
  /** 0 = untagged, else the 802.1Q VLAN ID. */
  vlan: number;
  src: string;
  dst: string;
  protocol: number;
  /** Defaults to 1 (RFC 2236 §2, RFC 3376 §4: "sent with an IP TTL of 1"). */
  ttl?: number;
  /** Defaults to true (RFC 2236 §2, RFC 3376 §4: "IP Router Alert option"). */
  routerAlert?: boolean;
  tos?: number;
  payload: Uint8Array;
}

/** An Ethernet (+802.1Q) + IPv4 frame around `payload`. */
export function buildIpv4Frame(o: Ipv4FrameOptions): Uint8Array {
  const ip = ipv4.emit({
    src: o.src, dst: o.dst, protocol: o.protocol, ttl: o.ttl ?? 1, tos: o.tos ?? ipv4.TOS_INTERNETWORK_CONTROL,
    ident: 0, dontFragment: true, routerAlert: o.routerAlert ?? true,
  }, o.payload);
  return ethernet.emit({
    dst: o.dstMac ?? ipv4MulticastMac(o.dst), src: o.srcMac, vlan: o.vlan === 0 ? null : o.vlan, pcp: 0,
    ethertype: ethernet.EtherType.IPV4,
  }, ip);
}

/** An IGMP message in a complete frame (used for our queries and by tests for reports). */
export function buildIgmpFrame(o: Omit<Ipv4FrameOptions, 'protocol' | 'payload'> & { message: igmp.IgmpRepr }): Uint8Array {
  return buildIpv4Frame({ ...o, protocol: ipv4.Protocol.IGMP, payload: igmp.emit(o.message) });
}

export interface QueryFrameOptions {
  srcMac: string;
  /** IPv4 source of the query; 0.0.0.0 for a proxy querier. */
  src: string;
  vlan: number;
  query: igmp.IgmpQuery;
}

/**
 * A complete IGMP query frame: IP TTL 1 and Router Alert (RFC 2236 §2, RFC 3376 §4), destination
 * 224.0.0.1 for a General Query and the group itself for a Group(-and-Source)-Specific Query
 * (RFC 2236 §2.1 / RFC 3376 §4.1.12).
 */
export function buildQueryFrame(o: QueryFrameOptions): Uint8Array {
  const dst = o.query.group === '0.0.0.0' ? ALL_SYSTEMS : o.query.group;
  return buildIgmpFrame({ srcMac: o.srcMac, src: o.src, dst, vlan: o.vlan, message: o.query });
}

export interface QueryParams {
  version: 2 | 3;
  /** Max Resp Time, tenths of a second. */
  maxRespDs: number;
  /** v3: Robustness Variable advertised in QRV (§4.1.6; > 7 is sent as 0). */
  qrv: number;
  /** v3: Query Interval advertised in QQIC (§4.1.7), seconds. */
  qqiSec: number;
}

/** General Query (RFC 3376 §4.1.9: group 0, no sources). */
export function generalQuery(p: QueryParams): igmp.IgmpQuery {
  return { type: 'query', version: p.version, maxRespDs: p.maxRespDs, group: '0.0.0.0', suppress: false,
    qrv: p.version === 3 ? p.qrv : 0, qqiSec: p.version === 3 ? p.qqiSec : 0, sources: [] };
}

/** Group-Specific Query, Q(G) (RFC 3376 §6.6.3.1; RFC 2236 §3 for v2). */
export function groupQuery(p: QueryParams, group: string, suppress: boolean): igmp.IgmpQuery {
  return { ...generalQuery(p), group, suppress: p.version === 3 ? suppress : false };
}

/** Group-and-Source-Specific Query, Q(G,S) (RFC 3376 §6.6.3.2). v3 only. */
export function groupSourceQuery(p: QueryParams & { version: 3 }, group: string, sources: string[], suppress: boolean): igmp.IgmpQuery {
  return { ...generalQuery(p), group, suppress, sources };
}

// ---- MLD (RFC 2710, RFC 3810) ----

export interface Ipv6FrameOptions {
  srcMac: string;
  /** Defaults to the multicast MAC of `dst` (RFC 2464 §7). */
  dstMac?: string;
  /** 0 = untagged, else the 802.1Q VLAN ID. */
  vlan: number;
  src: string;
  dst: string;
  /** Defaults to 1 (RFC 2710 §3, RFC 3810 §5: "sent with … a Hop Limit of 1"). */
  hopLimit?: number;
  /** Defaults to true (RFC 2710 §3, RFC 3810 §5: "an IPv6 Router Alert option in a Hop-by-Hop Options header"). */
  routerAlert?: boolean;
}

/** An MLD message in a complete Ethernet (+802.1Q) + IPv6 frame, its ICMPv6 checksum filled in. */
export function buildMldFrame(o: Ipv6FrameOptions & { message: mld.MldRepr }): Uint8Array {
  const body = mld.emit(o.message, { src: o.src, dst: o.dst });
  const ip = ipv6.emit({
    src: o.src, dst: o.dst, hopLimit: o.hopLimit ?? 1, nextHeader: ipv6.NextHeader.ICMPV6, routerAlert: o.routerAlert ?? true,
  }, body);
  return ethernet.emit({
    dst: o.dstMac ?? ipv6MulticastMac(o.dst), src: o.srcMac, vlan: o.vlan === 0 ? null : o.vlan, pcp: 0,
    ethertype: ethernet.EtherType.IPV6,
  }, ip);
}

export interface MldQueryFrameOptions {
  srcMac: string;
  /** Link-local IPv6 source of the query (RFC 3810 §5.1.14). */
  src: string;
  vlan: number;
  query: mld.MldQuery;
}

/**
 * A complete MLD query frame: Hop Limit 1 and Router Alert, destination ff02::1 for a General Query and the group
 * itself for a Multicast Address (and Source) Specific Query (RFC 2710 §3.6, RFC 3810 §5.1.15).
 */
export function buildMldQueryFrame(o: MldQueryFrameOptions): Uint8Array {
  const dst = o.query.group === mld.UNSPECIFIED ? mld.ALL_NODES : o.query.group;
  return buildMldFrame({ srcMac: o.srcMac, src: o.src, dst, vlan: o.vlan, message: o.query });
}

export interface MldQueryParams {
  version: 1 | 2;
  /** Maximum Response Delay, milliseconds (RFC 2710 §3.4; RFC 3810 §5.1.3 encodes it as a 16-bit float). */
  maxRespMs: number;
  /** v2: Querier's Robustness Variable (RFC 3810 §5.1.8; > 7 is sent as 0). */
  qrv: number;
  /** v2: Querier's Query Interval, seconds (RFC 3810 §5.1.9). */
  qqiSec: number;
}

/** General Query (RFC 3810 §5.1.10.1: address ::, no sources). */
export function mldGeneralQuery(p: MldQueryParams): mld.MldQuery {
  return { type: 'query', version: p.version, maxRespMs: p.maxRespMs, group: mld.UNSPECIFIED, suppress: false,
    qrv: p.version === 2 ? p.qrv : 0, qqiSec: p.version === 2 ? p.qqiSec : 0, sources: [] };
}

/** Multicast Address Specific Query (RFC 3810 §5.1.10.2; RFC 2710 §3.6 for v1). */
export function mldGroupQuery(p: MldQueryParams, group: string, suppress: boolean): mld.MldQuery {
  return { ...mldGeneralQuery(p), group, suppress: p.version === 2 ? suppress : false };
}

/** Multicast Address and Source Specific Query (RFC 3810 §5.1.10.3). v2 only. */
export function mldGroupSourceQuery(p: MldQueryParams & { version: 2 }, group: string, sources: string[], suppress: boolean): mld.MldQuery {
  return { ...mldGeneralQuery(p), group, suppress, sources };
}

export interface SolicitationFrameOptions {
  srcMac: string;
  /** IPv4 source, or an IPv6 link-local source for family 6. */
  src: string;
  vlan: number;
  family?: 4 | 6;
}

/** MRD Solicitation (RFC 4286 §4): to All-Routers, TTL/Hop Limit 1, with Router Alert. */
export function buildMrdSolicitationFrame(o: SolicitationFrameOptions): Uint8Array {
  if ((o.family ?? 4) === 4) {
    return buildIpv4Frame({
      srcMac: o.srcMac, src: o.src, dst: mrd.ALL_ROUTERS_V4, vlan: o.vlan, protocol: ipv4.Protocol.IGMP,
      payload: mrd.emit({ type: 'solicitation', family: 4 }),
    });
  }
  const body = mrd.emit({ type: 'solicitation', family: 6 }, { src: o.src, dst: mrd.ALL_ROUTERS_V6 });
  const ip = ipv6.emit({ src: o.src, dst: mrd.ALL_ROUTERS_V6, hopLimit: 1, nextHeader: ipv6.NextHeader.ICMPV6, routerAlert: true }, body);
  return ethernet.emit({
    dst: ipv6MulticastMac(mrd.ALL_ROUTERS_V6), src: o.srcMac, vlan: o.vlan === 0 ? null : o.vlan, pcp: 0,
    ethertype: ethernet.EtherType.IPV6,
  }, ip);
}

export interface UdpFrameOptions {
  srcMac: string;
  /** 0 = untagged, else the 802.1Q VLAN ID. */
  vlan: number;
  /** IPv4 or IPv6 source and (multicast) destination; the family follows the destination. */
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** IPv4 TTL / IPv6 Hop Limit. */
  ttl: number;
  payload: Uint8Array;
}

/** A UDP datagram to a multicast group, as a host sends it (no Router Alert), over IPv4 or IPv6. */
export function buildUdpFrame(o: UdpFrameOptions): Uint8Array {
  const ports = { srcPort: o.srcPort, dstPort: o.dstPort };
  if (!o.dst.includes(':')) {
    return buildIpv4Frame({ srcMac: o.srcMac, src: o.src, dst: o.dst, vlan: o.vlan, ttl: o.ttl, routerAlert: false,
      protocol: udp.PROTOCOL, payload: udp.emit(ports, o.payload) });
  }
  const ip = ipv6.emit({ src: o.src, dst: o.dst, hopLimit: o.ttl, nextHeader: udp.PROTOCOL, routerAlert: false },
    udp.emit(ports, o.payload, { src: o.src, dst: o.dst }));
  return ethernet.emit({
    dst: ipv6MulticastMac(o.dst), src: o.srcMac, vlan: o.vlan === 0 ? null : o.vlan, pcp: 0, ethertype: ethernet.EtherType.IPV6,
  }, ip);
}

/** L3 offset of a frame built here (after the Ethernet header and an optional tag). */
export function l3OffsetOf(frame: Uint8Array): number {
  const e = ethernet.parse(frame);
  return e.ok ? e.value.payloadOffset : ethernet.HEADER_LEN;
}
