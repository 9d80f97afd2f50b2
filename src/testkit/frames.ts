// The test kit's frame builder, for unit tests, fuzzers and benchmarks: Ethernet (with 802.1Q / 802.1ad tags), IPv4,
// IPv6 (with Hop-by-Hop), IGMP, MLD, PIM and MRD, with correct checksums unless a test asks for a bad one.
//
// Well-formed messages come from the product's own encoders (src/wire/*.ts `emit`), so a test never restates a
// layout. What stays here is only what the product never sends and tests need: several VLAN tags, unpadded frames,
// IPv4 options / fragments / inconsistent lengths, bad checksums, unknown message types. Those raw builders still
// take their offsets, address writers and checksum from src/wire. Nothing here knows the Wasm core.

import { internetChecksum as checksumOf, ipv6PseudoHeaderSum, onesSum } from '../wire/checksum.js';
import { ipv4MulticastMac, ipv6MulticastMac, parseIpv6, parseMac, writeIpv4, writeU16, writeU32 } from '../wire/common.js';
import * as eth from '../wire/ethernet.js';
import * as igmp from '../wire/igmp.js';
import * as ip4 from '../wire/ipv4.js';
import * as ip6 from '../wire/ipv6.js';
import * as mldWire from '../wire/mld.js';
import * as mrd from '../wire/mrd.js';
import * as pim from '../wire/pim.js';
import * as udp from '../wire/udp.js';

/** Bytes as lower-case hex without separators (the one hex dump of the test kit). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes from hex, ignoring spaces, colons and newlines ("22:00 9d de" → 22 00 9d de). */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${text}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** "01:00:5e:0a:0a:0a" → 6 bytes. */
export function mac(text: string): Uint8Array {
  const b = parseMac(text);
  if (b === null) throw new Error(`bad MAC: ${text}`);
  return b;
}

export function ipv4Address(text: string): Uint8Array {
  const out = new Uint8Array(4);
  writeIpv4(out, 0, text);
  return out;
}

/** IPv6 text (with :: compression) → 16 bytes. */
export function ipv6Address(text: string): Uint8Array {
  const b = parseIpv6(text);
  if (b === null) throw new Error(`bad IPv6: ${text}`);
  return b;
}

/** RFC 1071 Internet checksum of the parts laid end to end, as the value to store (src/wire/checksum.ts). */
export function internetChecksum(...parts: Uint8Array[]): number {
  return checksumOf(concat(...parts));
}

/** Store the checksum of `b` (plus `initial`, a pseudo-header sum) at `at`, the field zeroed first; `bad` flips it. */
function fillChecksum(b: Uint8Array, at: number, bad = false, initial = 0): Uint8Array {
  writeU16(b, at, 0);
  const sum = checksumOf(b, 0, b.length, initial);
  writeU16(b, at, bad ? sum ^ 0x5a5a : sum);
  return b;
}

/** A product-emitted message with its checksum spoiled (the field at `at` XOR 0x5a5a). */
function spoil(b: Uint8Array, at: number, bad: boolean): Uint8Array {
  if (bad) writeU16(b, at, ((b[at]! << 8) | b[at + 1]!) ^ 0x5a5a);
  return b;
}

// ---- Ethernet ----

export const ETHERTYPE_IPV4 = eth.EtherType.IPV4;
export const ETHERTYPE_IPV6 = eth.EtherType.IPV6;
export const ETHERTYPE_ARP = 0x0806;

export interface VlanTag {
  vid: number;
  /** 0x8100 (802.1Q, default) or 0x88a8 (802.1ad). */
  tpid?: number;
  pcp?: number;
}

export interface EthernetOptions {
  dst: string;
  src: string;
  type: number;
  /** Outermost first. */
  tags?: VlanTag[];
  payload: Uint8Array;
}

/**
 * An Ethernet frame with any number of tags and no padding (src/wire/ethernet.ts `emit` writes at most one 802.1Q
 * tag and pads to 60 octets; the data-plane tests need QinQ and exact lengths).
 */
export function ethernet(o: EthernetOptions): Uint8Array {
  const tags = o.tags ?? [];
  const header = new Uint8Array(eth.HEADER_LEN + eth.TAG_LEN * tags.length);
  header.set(mac(o.dst), eth.Field.DST);
  header.set(mac(o.src), eth.Field.SRC);
  let at: number = eth.Field.ETHERTYPE;
  for (const tag of tags) {
    writeU16(header, at, tag.tpid ?? eth.EtherType.VLAN);
    writeU16(header, at + 2, ((tag.pcp ?? 0) << 13) | (tag.vid & 0xfff));
    at += eth.TAG_LEN;
  }
  writeU16(header, at, o.type);
  return concat(header, o.payload);
}

/** RFC 1112 §6.4: 01:00:5e + the low 23 bits of the group (src/wire/common.ts). */
export const ipv4GroupMac = ipv4MulticastMac;

/** RFC 2464 §7: 33:33 + the last four octets of the group (src/wire/common.ts). */
export const ipv6GroupMac = ipv6MulticastMac;

// ---- IPv4 ----

export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  /** Type of Service (default 0). */
  tos?: number;
  /** Identification (default 0x1234). */
  ident?: number;
  /** Options bytes (a multiple of 4), e.g. Router Alert 94 04 00 00. */
  options?: Uint8Array;
  moreFragments?: boolean;
  /** In 8-octet units. */
  fragmentOffset?: number;
  badChecksum?: boolean;
  /** Override Total Length (to build inconsistent headers). */
  totalLength?: number;
}

export const PROTO_IGMP = ip4.Protocol.IGMP;
export const PROTO_UDP = udp.PROTOCOL;
export const PROTO_PIM = ip4.Protocol.PIM;
export const PROTO_TCP = 6;
export const ROUTER_ALERT = hex('94040000');

/**
 * An IPv4 packet from src/wire/ipv4.ts `emit` (no DF), then bent as asked: any options bytes,
 * fragment fields, a wrong Total Length, a bad header checksum.
 */
export function ipv4(o: Ipv4Options): Uint8Array {
  const options = o.options ?? new Uint8Array(0);
  const plain = ip4.emit({
    src: o.src, dst: o.dst, protocol: o.protocol, ttl: o.ttl ?? 1, tos: o.tos ?? 0, ident: o.ident ?? 0x1234, dontFragment: false,
    routerAlert: false,
  }, concat(options, o.payload));
  const hl = ip4.MIN_HEADER_LEN + options.length;
  plain[ip4.Field.VER_IHL] = 0x40 | (hl >> 2);
  if (o.totalLength !== undefined) writeU16(plain, ip4.Field.TOTAL_LEN, o.totalLength);
  writeU16(plain, ip4.Field.FLAGS_FRAG, (o.moreFragments ? ip4.FLAG_MF : 0) | (o.fragmentOffset ?? 0));
  fillChecksum(plain.subarray(0, hl), ip4.Field.CHECKSUM, o.badChecksum);
  return plain;
}

// ---- IGMP ----

export const IGMP = {
  query: igmp.MessageType.MEMBERSHIP_QUERY,
  v1Report: igmp.MessageType.V1_MEMBERSHIP_REPORT,
  v2Report: igmp.MessageType.V2_MEMBERSHIP_REPORT,
  v2Leave: igmp.MessageType.V2_LEAVE_GROUP,
  v3Report: igmp.MessageType.V3_MEMBERSHIP_REPORT,
  mrdAdvertisement: mrd.IgmpType.ADVERTISEMENT,
  mrdSolicitation: mrd.IgmpType.SOLICITATION,
  mrdTermination: mrd.IgmpType.TERMINATION,
} as const;

/**
 * An IGMP message of any type and length: type, code, checksum (filled), then `body`. For what src/wire/igmp.ts
 * cannot express (unknown types, odd lengths, MRD with a chosen code); well-formed messages use `igmp.emit`.
 */
export function igmpMessage(type: number, code: number, body: Uint8Array, badChecksum = false): Uint8Array {
  const b = concat(Uint8Array.of(type, code, 0, 0), body);
  return fillChecksum(b, igmp.Field.CHECKSUM, badChecksum);
}

/** The product's encoding of an IGMP message (src/wire/igmp.ts `emit`), its checksum spoiled when asked. */
export function igmpEmit(repr: igmp.IgmpRepr, badChecksum = false): Uint8Array {
  return spoil(igmp.emit(repr), igmp.Field.CHECKSUM, badChecksum);
}

/** v1/v2 message: 8 octets with a group (a query's code is its Max Resp Time; code 0 makes it a v1 query). */
export function igmpV2(type: number, group: string, code = 0, badChecksum = false): Uint8Array {
  switch (type) {
    case IGMP.query:
      return igmpEmit({ type: 'query', version: code === 0 ? 1 : 2, maxRespDs: code, group, suppress: false, qrv: 0, qqiSec: 0, sources: [] }, badChecksum);
    case IGMP.v1Report:
    case IGMP.v2Report:
      if (code !== 0) break;
      return igmpEmit({ type: 'report', version: type === IGMP.v1Report ? 1 : 2, group }, badChecksum);
    case IGMP.v2Leave:
      if (code !== 0) break;
      return igmpEmit({ type: 'leave', group }, badChecksum);
  }
  return igmpMessage(type, code, ipv4Address(group), badChecksum);
}

/** IGMPv3 query (RFC 3376 §4.1) with the given sources: QRV 2, QQIC 125, Max Resp Code `code`. */
export function igmpV3Query(group: string, sources: string[] = [], code = 100): Uint8Array {
  return igmpEmit({
    type: 'query', version: 3, maxRespDs: igmp.decodeFloat8(code), group, suppress: false, qrv: 2, qqiSec: 125, sources,
  });
}

/** IGMPv3 report (RFC 3376 §4.2) with one record per entry. */
export function igmpV3Report(records: { type: number; group: string; sources?: string[] }[]): Uint8Array {
  return igmpEmit({
    type: 'v3-report', records: records.map((r) => ({ recordType: r.type, group: r.group, sources: r.sources ?? [] })),
  });
}

/**
 * IGMPv3 report payloads from the Linux selftest tools/testing/selftests/net/forwarding/bridge_igmp.sh
 * (group 239.10.10.10, sources in 192.0.2.0/24; checksums as in the script).
 */
export const SELFTEST_IGMPV3 = {
  /** is_include 192.0.2.1, .2, .3 */
  IS_INC: hex('22:00:9d:de:00:00:00:01:01:00:00:03:ef:0a:0a:0a:c0:00:02:01:c0:00:02:02:c0:00:02:03'),
  /** is_include 192.0.2.10, .11, .12 */
  IS_INC2: hex('22:00:9d:c3:00:00:00:01:01:00:00:03:ef:0a:0a:0a:c0:00:02:0a:c0:00:02:0b:c0:00:02:0c'),
  /** is_include 192.0.2.20, .30 */
  IS_INC3: hex('22:00:5f:b4:00:00:00:01:01:00:00:02:ef:0a:0a:0a:c0:00:02:14:c0:00:02:1e'),
  /** allow 192.0.2.10, .11, .12 */
  ALLOW: hex('22:00:99:c3:00:00:00:01:05:00:00:03:ef:0a:0a:0a:c0:00:02:0a:c0:00:02:0b:c0:00:02:0c'),
  /** allow 192.0.2.20, .30 */
  ALLOW2: hex('22:00:5b:b4:00:00:00:01:05:00:00:02:ef:0a:0a:0a:c0:00:02:14:c0:00:02:1e'),
  /** is_exclude 192.0.2.1, .2, .20, .21 */
  IS_EXC: hex('22:00:da:b6:00:00:00:01:02:00:00:04:ef:0a:0a:0a:c0:00:02:01:c0:00:02:02:c0:00:02:14:c0:00:02:15'),
  /** is_exclude 192.0.2.20, .30 */
  IS_EXC2: hex('22:00:5e:b4:00:00:00:01:02:00:00:02:ef:0a:0a:0a:c0:00:02:14:c0:00:02:1e'),
  /** to_exclude 192.0.2.1, .20, .30 */
  TO_EXC: hex('22:00:9a:b1:00:00:00:01:04:00:00:03:ef:0a:0a:0a:c0:00:02:01:c0:00:02:14:c0:00:02:1e'),
  /** block 192.0.2.1, .20, .30 */
  BLOCK: hex('22:00:98:b1:00:00:00:01:06:00:00:03:ef:0a:0a:0a:c0:00:02:01:c0:00:02:14:c0:00:02:1e'),
} as const;

export const H1_MAC = '02:00:00:00:00:01';
export const H2_MAC = '02:00:00:00:00:02';
export const H1_IP = '192.0.2.1';

/**
 * An IGMP message in IPv4 in Ethernet, the way the selftests send it: to 224.0.0.1 (01:00:5e:00:00:01), no Router
 * Alert, TTL 1, unless told otherwise.
 */
export function igmpFrame(message: Uint8Array, o: Partial<Omit<Ipv4Options, 'payload' | 'protocol'>> & {
  srcMac?: string;
  dstMac?: string;
  tags?: VlanTag[];
} = {}): Uint8Array {
  const dst = o.dst ?? '224.0.0.1';
  return ethernet({
    dst: o.dstMac ?? ipv4GroupMac(dst),
    src: o.srcMac ?? H1_MAC,
    type: ETHERTYPE_IPV4,
    tags: o.tags,
    payload: ipv4({ ...o, src: o.src ?? H1_IP, dst, protocol: PROTO_IGMP, payload: message }),
  });
}

/** UDP-like multicast data (protocol 17, 18 payload bytes: a 64-byte frame). */
export function multicastData(group: string, o: {
  src?: string;
  srcMac?: string;
  dstMac?: string;
  tags?: VlanTag[];
  badChecksum?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number;
  ttl?: number;
} = {}): Uint8Array {
  return ethernet({
    dst: o.dstMac ?? ipv4GroupMac(group),
    src: o.srcMac ?? H1_MAC,
    type: ETHERTYPE_IPV4,
    tags: o.tags,
    payload: ipv4({
      src: o.src ?? H1_IP,
      dst: group,
      protocol: PROTO_UDP,
      ttl: o.ttl ?? 64,
      payload: hex('0800100000120000' + '00'.repeat(10)),
      badChecksum: o.badChecksum,
      moreFragments: o.moreFragments,
      fragmentOffset: o.fragmentOffset,
    }),
  });
}

/** A minimal unicast (or broadcast) frame of 60 bytes with the given EtherType. */
export function l2Frame(dst: string, src: string, type = ETHERTYPE_ARP, tags?: VlanTag[]): Uint8Array {
  return ethernet({ dst, src, type, tags, payload: new Uint8Array(46) });
}

/** PIMv2 Hello to ALL-PIM-ROUTERS (RFC 7761 §4.9.2) with a Holdtime option (105 s). */
export function pimHelloFrame(o: { badChecksum?: boolean; srcMac?: string } = {}): Uint8Array {
  const hello = spoil(pim.emit({ type: 'hello', holdtimeSec: 105, drPriority: null, generationId: null }), pim.Field.CHECKSUM, o.badChecksum ?? false);
  return ethernet({
    dst: ipv4GroupMac(pim.ALL_PIM_ROUTERS_V4),
    src: o.srcMac ?? H1_MAC,
    type: ETHERTYPE_IPV4,
    payload: ipv4({ src: H1_IP, dst: pim.ALL_PIM_ROUTERS_V4, protocol: PROTO_PIM, payload: hello }),
  });
}

// ---- IPv6 / ICMPv6 ----

export const NH_HOP_BY_HOP = ip6.NextHeader.HOP_BY_HOP;
export const NH_ICMPV6 = ip6.NextHeader.ICMPV6;
export const NH_UDP = udp.PROTOCOL;
/** Hop-by-Hop header with the MLD Router Alert (RFC 2711), next header ICMPv6, as src/wire/ipv6.ts writes it. */
export const HOP_BY_HOP_ROUTER_ALERT = ip6.emit(
  { src: '::', dst: '::', hopLimit: 1, nextHeader: ip6.NextHeader.ICMPV6, routerAlert: true }, new Uint8Array(0),
).slice(ip6.HEADER_LEN);

export const MLD = {
  query: mldWire.MessageType.QUERY, v1Report: mldWire.MessageType.V1_REPORT, done: mldWire.MessageType.V1_DONE,
  v2Report: mldWire.MessageType.V2_REPORT,
} as const;
export const MRD6 = {
  advertisement: mrd.Icmpv6Type.ADVERTISEMENT, solicitation: mrd.Icmpv6Type.SOLICITATION, termination: mrd.Icmpv6Type.TERMINATION,
} as const;

export interface Ipv6Options {
  src: string;
  dst: string;
  nextHeader: number;
  payload: Uint8Array;
  hopLimit?: number;
  /** Override Payload Length. */
  payloadLength?: number;
}

/** An IPv6 packet from src/wire/ipv6.ts `emit` (extension headers, if any, are the caller's payload). */
export function ipv6(o: Ipv6Options): Uint8Array {
  const packet = ip6.emit({ src: o.src, dst: o.dst, hopLimit: o.hopLimit ?? 1, nextHeader: o.nextHeader, routerAlert: false }, o.payload);
  if (o.payloadLength !== undefined) writeU16(packet, ip6.Field.PAYLOAD_LEN, o.payloadLength);
  return packet;
}

/** An ICMPv6 message with its checksum over the RFC 8200 §8.1 pseudo-header. */
export function icmpv6(src: string, dst: string, type: number, code: number, body: Uint8Array, badChecksum = false): Uint8Array {
  const msg = concat(Uint8Array.of(type, code, 0, 0), body);
  return fillChecksum(msg, mldWire.Field.CHECKSUM, badChecksum, ipv6PseudoHeaderSum(src, dst, msg.length, NH_ICMPV6));
}

/** What follows type, code and checksum in a message src/wire/mld.ts `emit`s (for `icmpv6`/`icmpv6Frame`). */
export function mldBody(repr: mldWire.MldRepr): Uint8Array {
  return mldWire.emit(repr).subarray(mldWire.Field.MAX_RESP);
}

/** MLDv1 body (RFC 2710 §3): max response delay, reserved, multicast address. */
export function mldV1Body(group: string, maxDelay = 0): Uint8Array {
  return mldBody({ type: 'query', version: 1, maxRespMs: maxDelay, group, suppress: false, qrv: 0, qqiSec: 0, sources: [] });
}

/** MLDv2 report body (RFC 3810 §5.2) with one record per entry. */
export function mldV2ReportBody(records: { type: number; group: string; sources?: string[] }[]): Uint8Array {
  return mldBody({ type: 'v2-report', records: records.map((r) => ({ recordType: r.type, group: r.group, sources: r.sources ?? [] })) });
}

export const LINK_LOCAL_H1 = 'fe80::fc54:ff:fe04:5eba';

/** An ICMPv6 message in IPv6 (behind a Hop-by-Hop Router Alert unless `hopByHop` is false) in Ethernet. */
export function icmpv6Frame(type: number, code: number, body: Uint8Array, o: {
  src?: string;
  dst?: string;
  hopByHop?: boolean;
  badChecksum?: boolean;
  srcMac?: string;
  dstMac?: string;
} = {}): Uint8Array {
  const src = o.src ?? LINK_LOCAL_H1;
  const dst = o.dst ?? 'ff02::16';
  const msg = icmpv6(src, dst, type, code, body, o.badChecksum);
  const hbh = o.hopByHop ?? true;
  return ethernet({
    dst: o.dstMac ?? ipv6GroupMac(dst),
    src: o.srcMac ?? 'fe:54:00:04:5e:ba',
    type: ETHERTYPE_IPV6,
    payload: ipv6({
      src,
      dst,
      nextHeader: hbh ? NH_HOP_BY_HOP : NH_ICMPV6,
      payload: hbh ? concat(HOP_BY_HOP_ROUTER_ALERT, msg) : msg,
    }),
  });
}

/** IPv6 multicast data (UDP, 8 payload bytes). */
export function ipv6MulticastData(group: string, o: { src?: string; srcMac?: string; dstMac?: string } = {}): Uint8Array {
  return ethernet({
    dst: o.dstMac ?? ipv6GroupMac(group),
    src: o.srcMac ?? H1_MAC,
    type: ETHERTYPE_IPV6,
    payload: ipv6({ src: o.src ?? '2001:db8:1::1', dst: group, nextHeader: NH_UDP, hopLimit: 64, payload: new Uint8Array(16) }),
  });
}

// ---- a catalogue: one frame per protocol path, for truncation and fuzz tests ----

/** An MRD Advertisement (RFC 4286 §3): every 20 s, Query Interval 125 s, Robustness 2. */
const MRD_ADVERTISEMENT = { type: 'advertisement', advIntervalSec: 20, queryIntervalSec: 125, robustness: 2 } as const;

/** Named frames covering every parser: L2, VLAN, IPv4 data, IGMP (all types), PIM, MRD, IPv6, MLD, ICMPv6 MRD. */
export function sampleFrames(): { name: string; frame: Uint8Array }[] {
  const list: [string, Uint8Array][] = [
    ['broadcast ARP', l2Frame('ff:ff:ff:ff:ff:ff', H1_MAC, ETHERTYPE_ARP)],
    ['unicast', l2Frame(H2_MAC, H1_MAC, ETHERTYPE_ARP)],
    ['802.1Q multicast data', multicastData('239.1.1.1', { tags: [{ vid: 10 }] })],
    ['QinQ multicast data', multicastData('239.1.1.1', { tags: [{ vid: 100, tpid: 0x88a8 }, { vid: 10 }] })],
    ['IPv4 multicast data', multicastData('239.1.1.1')],
    ['224.0.0.251 data', multicastData('224.0.0.251')],
    ['IGMPv1 query', igmpFrame(igmpV2(IGMP.query, '0.0.0.0', 0))],
    ['IGMPv2 query', igmpFrame(igmpV2(IGMP.query, '0.0.0.0', 100))],
    ['IGMPv3 query', igmpFrame(igmpV3Query('239.10.10.10', ['192.0.2.1', '192.0.2.2']), { dst: '239.10.10.10' })],
    ['IGMPv1 report', igmpFrame(igmpV2(IGMP.v1Report, '239.1.1.1'), { dst: '239.1.1.1' })],
    ['IGMPv2 report', igmpFrame(igmpV2(IGMP.v2Report, '239.1.1.1'), { dst: '239.1.1.1' })],
    ['IGMPv2 leave', igmpFrame(igmpV2(IGMP.v2Leave, '239.1.1.1'), { dst: '224.0.0.2' })],
    ['IGMPv3 report IS_EXC (selftest)', igmpFrame(SELFTEST_IGMPV3.IS_EXC)],
    ['IGMPv3 report with Router Alert', igmpFrame(SELFTEST_IGMPV3.TO_EXC, { dst: '224.0.0.22', options: ROUTER_ALERT })],
    ['IGMP unknown type', igmpFrame(igmpV2(0x99, '0.0.0.0'))],
    ['MRD advertisement', igmpFrame(mrd.emit({ ...MRD_ADVERTISEMENT, family: 4 }), { dst: mrd.ALL_SNOOPERS_V4 })],
    ['MRD solicitation', igmpFrame(igmpMessage(IGMP.mrdSolicitation, 0, new Uint8Array(0)), { dst: '224.0.0.2' })],
    ['PIM hello', pimHelloFrame()],
    ['IPv6 multicast data', ipv6MulticastData('ff0e::1234')],
    ['MLDv1 report', icmpv6Frame(MLD.v1Report, 0, mldV1Body('ff02::cc'), { dst: 'ff02::cc' })],
    ['MLDv1 done', icmpv6Frame(MLD.done, 0, mldV1Body('ff02::cc'), { dst: 'ff02::2' })],
    ['MLDv2 query', icmpv6Frame(MLD.query, 0, mldBody({
      type: 'query', version: 2, maxRespMs: 10000, group: '::', suppress: false, qrv: 2, qqiSec: 125, sources: [],
    }), { dst: 'ff02::1' })],
    ['MLDv2 report', icmpv6Frame(MLD.v2Report, 0, mldV2ReportBody([{ type: 1, group: 'ff02::cc', sources: ['2001:db8:1::1'] }]))],
    ['ICMPv6 MRD advertisement', icmpv6Frame(MRD6.advertisement, MRD_ADVERTISEMENT.advIntervalSec,
      mrd.emit({ ...MRD_ADVERTISEMENT, family: 6 }).subarray(mrd.Field.QUERY_INTERVAL), { dst: mrd.ALL_SNOOPERS_V6 })],
  ];
  return list.map(([name, frame]) => ({ name, frame }));
}

// ---- TCP (only what the packet I/O tests need: a segment as a sender with checksum offload hands it over) ----

/** TCP flags ACK | PSH (RFC 9293 §3.1). */
export const TCP_ACK_PSH = 0x18;

/**
 * A TCP segment (20-octet header, no options) over IPv4 whose checksum field holds the folded, uncomplemented
 * pseudo-header sum, as a sender using checksum offload leaves it (Linux CHECKSUM_PARTIAL; the device completes it).
 */
export function tcpSegmentPartial(o: { src: string; dst: string; srcPort: number; dstPort: number; seq: number; payload: Uint8Array }): Uint8Array {
  const seg = new Uint8Array(20 + o.payload.length);
  writeU16(seg, 0, o.srcPort);
  writeU16(seg, 2, o.dstPort);
  writeU32(seg, 4, o.seq >>> 0);
  seg[12] = 5 << 4; // data offset: 5 words
  seg[13] = TCP_ACK_PSH;
  writeU16(seg, 14, 0xffff); // window
  const pseudo = concat(ipv4Address(o.src), ipv4Address(o.dst), Uint8Array.of(0, PROTO_TCP, seg.length >> 8, seg.length & 0xff));
  writeU16(seg, 16, onesSum(pseudo));
  seg.set(o.payload, 20);
  return seg;
}
