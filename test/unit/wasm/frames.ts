// Frame builders for data-plane tests: Ethernet (with 802.1Q / 802.1ad tags), IPv4, IPv6 (with Hop-by-Hop),
// IGMP, MLD, PIM and MRD, with correct checksums unless a test asks for a bad one. Reusable by any test that needs
// real frames; nothing here knows the Wasm core.

/** Bytes from hex, ignoring spaces, colons and newlines ("22:00 9d de" → 22 00 9d de). */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${text}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
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
  const b = hex(text);
  if (b.length !== 6) throw new Error(`bad MAC: ${text}`);
  return b;
}

export function ipv4Address(text: string): Uint8Array {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4: ${text}`);
  return Uint8Array.from(parts);
}

/** IPv6 text (with :: compression) → 16 bytes. */
export function ipv6Address(text: string): Uint8Array {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6: ${text}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** RFC 1071 Internet checksum of `bytes` (big-endian words, odd byte padded), as the value to store. */
export function internetChecksum(...parts: Uint8Array[]): number {
  const bytes = concat(...parts);
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function setU16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

/** Store the checksum of `b` at `at` (the field is zeroed first); `bad` flips it. */
function fillChecksum(b: Uint8Array, at: number, bad = false, ...pseudo: Uint8Array[]): Uint8Array {
  setU16(b, at, 0);
  const sum = internetChecksum(...pseudo, b);
  setU16(b, at, bad ? sum ^ 0x5a5a : sum);
  return b;
}

// ---- Ethernet ----

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
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

export function ethernet(o: EthernetOptions): Uint8Array {
  const header = new Uint8Array(12 + 4 * (o.tags?.length ?? 0) + 2);
  header.set(mac(o.dst), 0);
  header.set(mac(o.src), 6);
  let at = 12;
  for (const tag of o.tags ?? []) {
    setU16(header, at, tag.tpid ?? 0x8100);
    setU16(header, at + 2, ((tag.pcp ?? 0) << 13) | (tag.vid & 0xfff));
    at += 4;
  }
  setU16(header, at, o.type);
  return concat(header, o.payload);
}

/** RFC 1112 §6.4: 01:00:5e + the low 23 bits of the group. */
export function ipv4GroupMac(group: string): string {
  const g = ipv4Address(group);
  return ['01', '00', '5e', (g[1]! & 0x7f).toString(16), g[2]!.toString(16), g[3]!.toString(16)]
    .map((x) => x.padStart(2, '0')).join(':');
}

/** RFC 2464 §7: 33:33 + the last four octets of the group. */
export function ipv6GroupMac(group: string): string {
  const g = ipv6Address(group);
  return ['33', '33', ...Array.from(g.slice(12), (b) => b.toString(16).padStart(2, '0'))].join(':');
}

// ---- IPv4 ----

export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  /** Options bytes (a multiple of 4), e.g. Router Alert 94 04 00 00. */
  options?: Uint8Array;
  moreFragments?: boolean;
  /** In 8-octet units. */
  fragmentOffset?: number;
  badChecksum?: boolean;
  /** Override Total Length (to build inconsistent headers). */
  totalLength?: number;
}

export const PROTO_IGMP = 2;
export const PROTO_UDP = 17;
export const PROTO_PIM = 103;
export const ROUTER_ALERT = hex('94040000');

export function ipv4(o: Ipv4Options): Uint8Array {
  const options = o.options ?? new Uint8Array(0);
  const header = new Uint8Array(20 + options.length);
  header[0] = 0x40 | (header.length >> 2);
  setU16(header, 2, o.totalLength ?? header.length + o.payload.length);
  setU16(header, 4, 0x1234);
  setU16(header, 6, ((o.moreFragments ? 1 : 0) << 13) | (o.fragmentOffset ?? 0));
  header[8] = o.ttl ?? 1;
  header[9] = o.protocol;
  header.set(ipv4Address(o.src), 12);
  header.set(ipv4Address(o.dst), 16);
  header.set(options, 20);
  fillChecksum(header, 10, o.badChecksum);
  return concat(header, o.payload);
}

// ---- IGMP ----

export const IGMP = {
  query: 0x11,
  v1Report: 0x12,
  v2Report: 0x16,
  v2Leave: 0x17,
  v3Report: 0x22,
  mrdAdvertisement: 0x30,
  mrdSolicitation: 0x31,
  mrdTermination: 0x32,
} as const;

/** An IGMP message of any length: type, code, checksum (filled), then `body`. */
export function igmpMessage(type: number, code: number, body: Uint8Array, badChecksum = false): Uint8Array {
  const b = concat(Uint8Array.of(type, code, 0, 0), body);
  return fillChecksum(b, 2, badChecksum);
}

/** v1/v2 message: 8 octets with a group. */
export function igmpV2(type: number, group: string, code = 0, badChecksum = false): Uint8Array {
  return igmpMessage(type, code, ipv4Address(group), badChecksum);
}

/** IGMPv3 query (RFC 3376 §4.1) with the given sources. */
export function igmpV3Query(group: string, sources: string[] = [], code = 100): Uint8Array {
  const body = new Uint8Array(8 + 4 * sources.length);
  body.set(ipv4Address(group), 0);
  body[4] = 2; // QRV 2
  body[5] = 125; // QQIC
  setU16(body, 6, sources.length);
  sources.forEach((s, i) => body.set(ipv4Address(s), 8 + 4 * i));
  return igmpMessage(IGMP.query, code, body);
}

/** IGMPv3 report (RFC 3376 §4.2) with one record per entry. */
export function igmpV3Report(records: { type: number; group: string; sources?: string[] }[]): Uint8Array {
  const parts = records.map((r) => {
    const rec = new Uint8Array(8 + 4 * (r.sources?.length ?? 0));
    rec[0] = r.type;
    setU16(rec, 2, r.sources?.length ?? 0);
    rec.set(ipv4Address(r.group), 4);
    (r.sources ?? []).forEach((s, i) => rec.set(ipv4Address(s), 8 + 4 * i));
    return rec;
  });
  const head = new Uint8Array(4);
  setU16(head, 2, records.length);
  return igmpMessage(IGMP.v3Report, 0, concat(head, ...parts));
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

/** PIMv2 Hello to ALL-PIM-ROUTERS (RFC 7761 §4.9.2) with a Holdtime option. */
export function pimHelloFrame(o: { badChecksum?: boolean; srcMac?: string } = {}): Uint8Array {
  const pim = concat(Uint8Array.of(0x20, 0, 0, 0), hex('0001 0002 0069'));
  fillChecksum(pim, 2, o.badChecksum);
  return ethernet({
    dst: ipv4GroupMac('224.0.0.13'),
    src: o.srcMac ?? H1_MAC,
    type: ETHERTYPE_IPV4,
    payload: ipv4({ src: H1_IP, dst: '224.0.0.13', protocol: PROTO_PIM, payload: pim }),
  });
}

// ---- IPv6 / ICMPv6 ----

export const NH_HOP_BY_HOP = 0;
export const NH_ICMPV6 = 58;
export const NH_UDP = 17;
/** Hop-by-Hop header with the MLD Router Alert (RFC 2711), next header ICMPv6: 3a 00 05 02 00 00 01 00. */
export const HOP_BY_HOP_ROUTER_ALERT = hex('3a00050200000100');

export const MLD = { query: 130, v1Report: 131, done: 132, v2Report: 143 } as const;
export const MRD6 = { advertisement: 151, solicitation: 152, termination: 153 } as const;

export interface Ipv6Options {
  src: string;
  dst: string;
  nextHeader: number;
  payload: Uint8Array;
  hopLimit?: number;
  /** Override Payload Length. */
  payloadLength?: number;
}

export function ipv6(o: Ipv6Options): Uint8Array {
  const header = new Uint8Array(40);
  header[0] = 0x60;
  setU16(header, 4, o.payloadLength ?? o.payload.length);
  header[6] = o.nextHeader;
  header[7] = o.hopLimit ?? 1;
  header.set(ipv6Address(o.src), 8);
  header.set(ipv6Address(o.dst), 24);
  return concat(header, o.payload);
}

/** An ICMPv6 message with its checksum over the RFC 8200 §8.1 pseudo-header. */
export function icmpv6(src: string, dst: string, type: number, code: number, body: Uint8Array, badChecksum = false): Uint8Array {
  const msg = concat(Uint8Array.of(type, code, 0, 0), body);
  const pseudo = new Uint8Array(40);
  pseudo.set(ipv6Address(src), 0);
  pseudo.set(ipv6Address(dst), 16);
  pseudo[34] = msg.length >> 8;
  pseudo[35] = msg.length & 0xff;
  pseudo[39] = NH_ICMPV6;
  return fillChecksum(msg, 2, badChecksum, pseudo);
}

/** MLDv1 body (RFC 2710 §3): max response delay, reserved, multicast address. */
export function mldV1Body(group: string, maxDelay = 0): Uint8Array {
  const body = new Uint8Array(20);
  setU16(body, 0, maxDelay);
  body.set(ipv6Address(group), 4);
  return body;
}

/** MLDv2 report body (RFC 3810 §5.2) with one record per entry. */
export function mldV2ReportBody(records: { type: number; group: string; sources?: string[] }[]): Uint8Array {
  const head = new Uint8Array(4);
  setU16(head, 2, records.length);
  const parts = records.map((r) => {
    const rec = new Uint8Array(20 + 16 * (r.sources?.length ?? 0));
    rec[0] = r.type;
    setU16(rec, 2, r.sources?.length ?? 0);
    rec.set(ipv6Address(r.group), 4);
    (r.sources ?? []).forEach((s, i) => rec.set(ipv6Address(s), 20 + 16 * i));
    return rec;
  });
  return concat(head, ...parts);
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
    ['MRD advertisement', igmpFrame(igmpMessage(IGMP.mrdAdvertisement, 20, hex('007d0002')), { dst: '224.0.0.106' })],
    ['MRD solicitation', igmpFrame(igmpMessage(IGMP.mrdSolicitation, 0, new Uint8Array(0)), { dst: '224.0.0.2' })],
    ['PIM hello', pimHelloFrame()],
    ['IPv6 multicast data', ipv6MulticastData('ff0e::1234')],
    ['MLDv1 report', icmpv6Frame(MLD.v1Report, 0, mldV1Body('ff02::cc'), { dst: 'ff02::cc' })],
    ['MLDv1 done', icmpv6Frame(MLD.done, 0, mldV1Body('ff02::cc'), { dst: 'ff02::2' })],
    ['MLDv2 query', icmpv6Frame(MLD.query, 0, concat(mldV1Body('::', 10000), hex('027d0000')), { dst: 'ff02::1' })],
    ['MLDv2 report', icmpv6Frame(MLD.v2Report, 0, mldV2ReportBody([{ type: 1, group: 'ff02::cc', sources: ['2001:db8:1::1'] }]))],
    ['ICMPv6 MRD advertisement', icmpv6Frame(MRD6.advertisement, 20, hex('007d0002'), { dst: 'ff02::6a' })],
  ];
  return list.map(([name, frame]) => ({ name, frame }));
}
