// Frame generation for the fuzz tests: valid control and data frames of every protocol the core parses (built with
// src/testkit/frames.ts), then mutated by one family of attacks, or plain random bytes. Each case comes from a
// recipe { family, base, seed } that fast-check chooses; the Rng expands the seed into the details, so a recipe
// reproduces its frame exactly.

import fc from 'fast-check';
import {
  concat, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ethernet, hex, HOP_BY_HOP_ROUTER_ALERT, icmpv6, IGMP, igmpMessage, igmpV2,
  ipv4, ipv4Address, ipv4GroupMac, ipv6, ipv6Address, ipv6GroupMac, MLD, mldV1Body, MRD6, NH_HOP_BY_HOP, NH_ICMPV6, NH_UDP, PROTO_IGMP,
  PROTO_PIM, PROTO_UDP, ROUTER_ALERT, type VlanTag,
} from '../../../src/testkit/frames.js';
import { Rng } from './rng.js';
import { onesSum } from '../../../src/wire/checksum.js';
import { writeU16 as setU16 } from '../../../src/wire/common.js';
import { UMEM_CHUNK_SIZE } from '../../../src/contract/constants.js';

// ---------------------------------------------------------------------------------------------------------------
// Pools. The groups the fuzz cores have MDB entries for come first, so frames hit registered state often.

export const V4_GROUPS = ['239.1.1.1', '239.2.2.2', '232.1.1.1', '224.0.0.1', '224.0.0.22', '224.0.0.2', '224.0.0.13',
  '224.0.0.106', '224.0.0.251', '239.255.255.250', '225.128.1.1'] as const;
export const V4_SOURCES = ['192.0.2.1', '192.0.2.9', '10.0.0.1', '0.0.0.0', '198.51.100.7'] as const;
export const V6_GROUPS = ['ff0e::1234', 'ff02::1', 'ff02::16', 'ff02::6a', 'ff02::2', 'ff05::1:3', 'ff02::1:ff00:1'] as const;
export const V6_SOURCES = ['fe80::1', 'fe80::fc54:ff:fe04:5eba', '2001:db8::1', '::'] as const;
const UNICAST_MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03', '02:00:00:00:00:04',
  '52:54:00:12:34:56'] as const;

export type Family = 'valid' | 'flip' | 'ipfield' | 'count' | 'cut' | 'tail' | 'tags' | 'mac' | 'desc' | 'random';
export const FAMILIES: readonly Family[] = ['valid', 'flip', 'ipfield', 'count', 'cut', 'tail', 'tags', 'mac', 'desc', 'random'];

export interface Recipe {
  family: Family;
  base: number;
  seed: number;
}

/** One frame as the fuzz writes it into a slot. */
export interface FrameCase {
  recipe: Recipe;
  /** Bytes written at slot + headroom. */
  bytes: Uint8Array;
  /** Descriptor length (default bytes.length); may be shorter (cut) or absurd (desc). */
  length: number;
  port: number;
  flags: number;
  /** Descriptor frame address as an offset from the slot start (default: the headroom); may point anywhere. */
  pointer: { kind: 'headroom' } | { kind: 'slot-offset'; offset: number } | { kind: 'absolute'; address: number } |
    /** The frame copied to this offset of the AF_XDP UMEM region (chosen around chunk boundaries). */
    { kind: 'umem'; offset: number };
}

/** fast-check's side: the recipe. Weighted so that most frames are structured and reach the deep parsers. */
export function recipeArbitrary(families: readonly Family[] = FAMILIES): fc.Arbitrary<Recipe> {
  const weights: Record<Family, number> = {
    valid: 8, flip: 14, ipfield: 14, count: 12, cut: 10, tail: 5, tags: 8, mac: 6, desc: 5, random: 18,
  };
  const family = fc.oneof(...families.map((f) => ({ arbitrary: fc.constant(f), weight: weights[f] })));
  return fc.record({ family, base: fc.nat(BASES.length - 1), seed: fc.integer({ min: 0, max: 0xffffffff }) });
}

// ---------------------------------------------------------------------------------------------------------------
// Valid base frames

interface Envelope {
  srcMac: string;
  tags: VlanTag[];
  ttl: number;
  routerAlert: boolean;
}

function envelope(r: Rng): Envelope {
  const tags: VlanTag[] = [];
  const t = r.int(10);
  if (t >= 6) tags.push({ vid: r.pick([10, 1, 0, 4095, r.int(4096)]), tpid: r.chance(0.8) ? 0x8100 : 0x88a8, pcp: r.int(8) });
  if (t >= 9) tags.push({ vid: r.int(4096), tpid: 0x8100 });
  return {
    srcMac: r.pick(UNICAST_MACS),
    tags,
    ttl: r.chance(0.85) ? 1 : r.pick([0, 2, 64, 255]),
    routerAlert: r.chance(0.4),
  };
}

function v4Frame(e: Envelope, r: Rng, o: { src?: string; dst: string; protocol: number; payload: Uint8Array; dstMac?: string }): Uint8Array {
  return ethernet({
    dst: o.dstMac ?? ipv4GroupMac(o.dst),
    src: e.srcMac,
    type: ETHERTYPE_IPV4,
    tags: e.tags,
    payload: ipv4({
      src: o.src ?? r.pick(V4_SOURCES),
      dst: o.dst,
      protocol: o.protocol,
      ttl: e.ttl,
      options: e.routerAlert ? ROUTER_ALERT : undefined,
      payload: o.payload,
    }),
  });
}

function igmpFrameOf(r: Rng, message: Uint8Array, dst: string): Uint8Array {
  return v4Frame(envelope(r), r, { dst, protocol: PROTO_IGMP, payload: message });
}

function v4Group(r: Rng): string {
  return r.chance(0.85) ? r.pick(V4_GROUPS) : `${r.range(224, 239)}.${r.int(256)}.${r.int(256)}.${r.int(256)}`;
}

function v3Report(r: Rng): Uint8Array {
  const n = r.range(0, 6);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const sources = r.range(0, 4);
    const aux = r.chance(0.1) ? r.range(1, 2) : 0;
    const rec = new Uint8Array(8 + 4 * sources + 4 * aux);
    rec[0] = r.chance(0.9) ? r.range(1, 6) : r.int(256);
    rec[1] = aux;
    setU16(rec, 2, sources);
    rec.set(ipv4Address(v4Group(r)), 4);
    for (let s = 0; s < sources; s++) rec.set(ipv4Address(r.pick(V4_SOURCES)), 8 + 4 * s);
    r.fill(rec, 8 + 4 * sources);
    parts.push(rec);
  }
  const head = new Uint8Array(4);
  setU16(head, 2, n);
  return igmpMessage(IGMP.v3Report, 0, concat(head, ...parts));
}

function v3Query(r: Rng, group: string): Uint8Array {
  const sources = r.range(0, 5);
  const body = new Uint8Array(8 + 4 * sources);
  body.set(ipv4Address(group), 0);
  body[4] = r.int(16);
  body[5] = r.int(256);
  setU16(body, 6, sources);
  for (let s = 0; s < sources; s++) body.set(ipv4Address(r.pick(V4_SOURCES)), 8 + 4 * s);
  return igmpMessage(IGMP.query, r.range(1, 255), body);
}

function v6Frame(r: Rng, o: { dst: string; nextHeader: number; payload: Uint8Array; src?: string; hopByHop?: boolean; srcMac?: string }): Uint8Array {
  const hbh = o.hopByHop ?? r.chance(0.7);
  const e = envelope(r);
  const payload = hbh ? concat(Uint8Array.of(o.nextHeader, ...HOP_BY_HOP_ROUTER_ALERT.subarray(1)), o.payload) : o.payload;
  return ethernet({
    dst: ipv6GroupMac(o.dst),
    src: o.srcMac ?? e.srcMac,
    type: ETHERTYPE_IPV6,
    tags: e.tags,
    payload: ipv6({ src: o.src ?? r.pick(V6_SOURCES), dst: o.dst, nextHeader: hbh ? NH_HOP_BY_HOP : o.nextHeader, payload, hopLimit: r.chance(0.9) ? 1 : 64 }),
  });
}

function icmpv6FrameOf(r: Rng, type: number, code: number, body: Uint8Array, dst: string): Uint8Array {
  const src = r.pick(V6_SOURCES);
  return v6Frame(r, { dst, src, nextHeader: NH_ICMPV6, payload: icmpv6(src, dst, type, code, body) });
}

function mldV2Report(r: Rng): Uint8Array {
  const n = r.range(0, 4);
  const head = new Uint8Array(4);
  setU16(head, 2, n);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const sources = r.range(0, 3);
    const aux = r.chance(0.1) ? 1 : 0;
    const rec = new Uint8Array(20 + 16 * sources + 4 * aux);
    rec[0] = r.range(1, 6);
    rec[1] = aux;
    setU16(rec, 2, sources);
    rec.set(ipv6GroupKey(r.pick(V6_GROUPS)), 4);
    for (let s = 0; s < sources; s++) rec.set(ipv6GroupKey(r.pick(V6_SOURCES)), 20 + 16 * s);
    parts.push(rec);
  }
  return concat(head, ...parts);
}

const v6Cache = new Map<string, Uint8Array>();
function ipv6GroupKey(a: string): Uint8Array {
  let k = v6Cache.get(a);
  if (!k) {
    k = ipv6Address(a);
    v6Cache.set(a, k);
  }
  return k;
}

/** Every base frame kind: the parsers and paths of the pipeline, each reachable with valid input. */
export const BASES: readonly { name: string; build: (r: Rng) => Uint8Array }[] = [
  { name: 'igmp v1 report', build: (r) => { const g = v4Group(r); return igmpFrameOf(r, igmpV2(IGMP.v1Report, g), g); } },
  { name: 'igmp v2 report', build: (r) => { const g = v4Group(r); return igmpFrameOf(r, igmpV2(IGMP.v2Report, g), g); } },
  { name: 'igmp v2 leave', build: (r) => igmpFrameOf(r, igmpV2(IGMP.v2Leave, v4Group(r)), '224.0.0.2') },
  { name: 'igmp v1 query', build: (r) => igmpFrameOf(r, igmpV2(IGMP.query, '0.0.0.0'), '224.0.0.1') },
  { name: 'igmp v2 query', build: (r) => { const g = r.chance(0.5) ? '0.0.0.0' : v4Group(r); return igmpFrameOf(r, igmpV2(IGMP.query, g, r.range(1, 255)), g === '0.0.0.0' ? '224.0.0.1' : g); } },
  { name: 'igmp v3 query', build: (r) => { const g = r.chance(0.5) ? '0.0.0.0' : v4Group(r); return igmpFrameOf(r, v3Query(r, g), g === '0.0.0.0' ? '224.0.0.1' : g); } },
  { name: 'igmp v3 report', build: (r) => igmpFrameOf(r, v3Report(r), r.chance(0.9) ? '224.0.0.22' : v4Group(r)) },
  { name: 'igmp unknown type', build: (r) => igmpFrameOf(r, igmpMessage(r.pick([0x13, 0x14, 0x1e, 0x1f, 0x99, 0x00, 0xff]), r.int(256), r.bytes(r.range(0, 12))), r.pick(V4_GROUPS)) },
  { name: 'igmp mrd', build: (r) => {
    const type = r.pick([IGMP.mrdAdvertisement, IGMP.mrdSolicitation, IGMP.mrdTermination]);
    const body = type === IGMP.mrdAdvertisement ? hex('007d0002') : new Uint8Array(0);
    return igmpFrameOf(r, igmpMessage(type, type === IGMP.mrdAdvertisement ? 20 : 0, body), r.pick(['224.0.0.106', '224.0.0.2']));
  } },
  { name: 'pim', build: (r) => {
    const msg = concat(Uint8Array.of(r.chance(0.7) ? 0x20 : r.pick([0x21, 0x23, 0x10, 0x00]), 0, 0, 0), hex('000100020069'), r.bytes(r.range(0, 8)));
    const sum = onesSum(msg, 0, msg.length);
    setU16(msg, 2, ~sum & 0xffff);
    return v4Frame(envelope(r), r, { dst: r.chance(0.85) ? '224.0.0.13' : v4Group(r), protocol: PROTO_PIM, payload: msg });
  } },
  { name: 'pim, message cut by the IP total length', build: (r) => {
    const f = BASES[9]!.build(r);
    const ip = etherTypeOffset(f, f.length) + 2;
    setU16(f, ip + 2, (f[ip]! & 0xf) * 4 + r.int(6));
    fixChecksums(f);
    return f;
  } },
  { name: 'ipv4 multicast udp', build: (r) => v4Frame({ ...envelope(r), ttl: 64, routerAlert: false }, r, { dst: v4Group(r), protocol: PROTO_UDP, payload: r.bytes(r.range(8, 200)) }) },
  { name: 'ipv4 multicast other proto', build: (r) => v4Frame({ ...envelope(r), ttl: r.int(256) }, r, { dst: v4Group(r), protocol: r.pick([6, 1, 89, 112, 255]), payload: r.bytes(r.range(0, 100)) }) },
  { name: 'mld v1 report/done', build: (r) => {
    const g = r.pick(V6_GROUPS);
    const done = r.chance(0.3);
    return icmpv6FrameOf(r, done ? MLD.done : MLD.v1Report, 0, mldV1Body(g), done ? 'ff02::2' : g);
  } },
  { name: 'mld query', build: (r) => {
    const v2 = r.chance(0.6);
    const g = r.chance(0.5) ? '::' : r.pick(V6_GROUPS);
    const body = mldV1Body(g, r.int(65536));
    let full = body;
    if (v2) {
      const n = r.range(0, 3);
      const tail = new Uint8Array(4 + 16 * n);
      tail[0] = r.int(16);
      tail[1] = r.int(256);
      setU16(tail, 2, n);
      for (let i = 0; i < n; i++) tail.set(ipv6GroupKey(r.pick(V6_SOURCES)), 4 + 16 * i);
      full = concat(body, tail);
    }
    return icmpv6FrameOf(r, MLD.query, 0, full, g === '::' ? 'ff02::1' : g);
  } },
  { name: 'mld v2 report', build: (r) => icmpv6FrameOf(r, MLD.v2Report, 0, mldV2Report(r), 'ff02::16') },
  { name: 'icmpv6 mrd', build: (r) => {
    const type = r.pick([MRD6.advertisement, MRD6.solicitation, MRD6.termination]);
    return icmpv6FrameOf(r, type, type === MRD6.advertisement ? 20 : 0, type === MRD6.advertisement ? hex('007d0002') : new Uint8Array(0), r.pick(['ff02::6a', 'ff02::2']));
  } },
  { name: 'icmpv6 other to group', build: (r) => icmpv6FrameOf(r, r.pick([128, 129, 135, 136, 1, 200]), 0, r.bytes(r.range(0, 40)), r.pick(V6_GROUPS)) },
  { name: 'ipv6 multicast udp', build: (r) => v6Frame(r, { dst: r.pick(V6_GROUPS), nextHeader: NH_UDP, payload: r.bytes(r.range(8, 120)), hopByHop: r.chance(0.2) }) },
  { name: 'ipv6 extension chain', build: (r) => {
    // Destination Options / Routing headers before the upper layer (skipped by length).
    const inner = r.chance(0.5) ? icmpv6('fe80::1', 'ff02::16', MLD.v2Report, 0, mldV2Report(r)) : r.bytes(16);
    const chain: Uint8Array[] = [];
    const n = r.range(1, 9);
    let next = inner.length === 16 ? NH_UDP : NH_ICMPV6;
    for (let i = 0; i < n; i++) {
      const len = r.range(0, 2);
      const ext = new Uint8Array((len + 1) * 8);
      ext[0] = next;
      ext[1] = len;
      chain.unshift(ext);
      next = r.pick([60, 43]);
    }
    return ethernet({ dst: ipv6GroupMac('ff02::16'), src: r.pick(UNICAST_MACS), type: ETHERTYPE_IPV6,
      payload: ipv6({ src: 'fe80::1', dst: 'ff02::16', nextHeader: next, payload: concat(...chain, inner) }) });
  } },
  { name: 'unicast', build: (r) => ethernet({ dst: r.pick(UNICAST_MACS), src: r.pick(UNICAST_MACS), type: r.pick([ETHERTYPE_ARP, ETHERTYPE_IPV4, 0x88cc]), tags: envelope(r).tags, payload: r.bytes(r.range(46, 300)) }) },
  { name: 'unicast mac, ipv4 group', build: (r) => v4Frame(envelope(r), r, { dst: v4Group(r), protocol: PROTO_UDP, payload: r.bytes(20), dstMac: r.pick(UNICAST_MACS) }) },
  { name: 'broadcast', build: (r) => (r.chance(0.5)
    ? ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: r.pick(UNICAST_MACS), type: ETHERTYPE_ARP, tags: envelope(r).tags, payload: r.bytes(46) })
    : v4Frame({ ...envelope(r), ttl: 64, routerAlert: false }, r, { dst: r.pick(['255.255.255.255', '192.0.2.255']), protocol: PROTO_UDP, payload: r.bytes(r.range(8, 300)), dstMac: 'ff:ff:ff:ff:ff:ff' })) },
  { name: 'non-ip multicast', build: (r) => ethernet({ dst: r.pick(['01:00:0c:cc:cc:cc', '01:1b:19:00:00:00', '33:33:00:00:00:01', '01:00:5e:00:00:fb']), src: r.pick(UNICAST_MACS), type: r.pick([0x88f7, 0x2000, ETHERTYPE_ARP]), payload: r.bytes(46) }) },
];

// ---------------------------------------------------------------------------------------------------------------
// Checksums (RFC 1071) for fix-ups after mutations

function addFold(a: number, b: number): number {
  let s = a + b;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Where the EtherType sits after at most two 802.1Q/802.1ad tags, as the core walks them; -1 if cut. */
export function etherTypeOffset(b: Uint8Array, len: number): number {
  let off = 12;
  for (let t = 0; t < 2; t++) {
    if (off + 2 > len) return -1;
    const tpid = (b[off]! << 8) | b[off + 1]!;
    if (tpid !== 0x8100 && tpid !== 0x88a8) break;
    if (off + 6 > len) return -1;
    off += 4;
  }
  return off + 2 <= len ? off : -1;
}

/**
 * Recompute whatever checksums the structure allows (IPv4 header; IGMP / PIM; ICMPv6 with its pseudo-header), so
 * that a mutation is judged by the parser it targets instead of dying at a checksum.
 */
export function fixChecksums(b: Uint8Array): void {
  const len = b.length;
  const t = etherTypeOffset(b, len);
  if (t < 0) return;
  const type = (b[t]! << 8) | b[t + 1]!;
  const ip = t + 2;
  if (type === ETHERTYPE_IPV4 && ip + 20 <= len) {
    const ihl = (b[ip]! & 0xf) * 4;
    if (ihl >= 20 && ip + ihl <= len) {
      b[ip + 10] = 0;
      b[ip + 11] = 0;
      setU16(b, ip + 10, ~onesSum(b, ip, ip + ihl) & 0xffff);
    }
    const total = (b[ip + 2]! << 8) | b[ip + 3]!;
    const proto = b[ip + 9];
    if ((proto === PROTO_IGMP || proto === PROTO_PIM) && ihl >= 20 && total >= ihl + 4 && ip + total <= len) {
      const msg = ip + ihl;
      b[msg + 2] = 0;
      b[msg + 3] = 0;
      setU16(b, msg + 2, ~onesSum(b, msg, ip + total) & 0xffff);
    }
  } else if (type === ETHERTYPE_IPV6 && ip + 40 <= len) {
    const end = ip + 40 + ((b[ip + 4]! << 8) | b[ip + 5]!);
    if (end > len) return;
    let nh = b[ip + 6]!;
    let off = ip + 40;
    for (let i = 0; i < 8; i++) {
      if (!(nh === 60 || nh === 43 || (nh === 0 && i === 0))) break;
      if (off + 2 > end) return;
      const l = (b[off + 1]! + 1) * 8;
      nh = b[off]!;
      off += l;
      if (off > end) return;
    }
    if (nh !== NH_ICMPV6 || off + 4 > end) return;
    const mlen = end - off;
    b[off + 2] = 0;
    b[off + 3] = 0;
    let sum = onesSum(b, ip + 8, ip + 40);
    sum = addFold(sum, (mlen >>> 16) & 0xffff);
    sum = addFold(sum, mlen & 0xffff);
    sum = addFold(sum, NH_ICMPV6);
    sum = addFold(sum, onesSum(b, off, end));
    setU16(b, off + 2, ~sum & 0xffff);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Mutation families

/** IPv4/IGMP layout of a (valid) frame: offsets the targeted mutations need. */
function layout(b: Uint8Array): { l3: number; type: number; l4: number; total: number } | null {
  const t = etherTypeOffset(b, b.length);
  if (t < 0) return null;
  const l3 = t + 2;
  const type = (b[t]! << 8) | b[t + 1]!;
  if (type === ETHERTYPE_IPV4 && l3 + 20 <= b.length) {
    return { l3, type, l4: l3 + (b[l3]! & 0xf) * 4, total: (b[l3 + 2]! << 8) | b[l3 + 3]! };
  }
  if (type === ETHERTYPE_IPV6 && l3 + 40 <= b.length) {
    let nh = b[l3 + 6]!;
    let off = l3 + 40;
    for (let i = 0; i < 8 && (nh === 60 || nh === 43 || (nh === 0 && i === 0)) && off + 2 <= b.length; i++) {
      const l = (b[off + 1]! + 1) * 8;
      nh = b[off]!;
      off += l;
    }
    return { l3, type, l4: off, total: 40 + ((b[l3 + 4]! << 8) | b[l3 + 5]!) };
  }
  return { l3, type, l4: -1, total: 0 };
}

function ipField(b: Uint8Array, r: Rng): Uint8Array {
  const L = layout(b);
  if (!L || L.type !== ETHERTYPE_IPV4) {
    if (L && L.type === ETHERTYPE_IPV6) {
      // IPv6: version, payload length, next header.
      const which = r.int(3);
      if (which === 0) b[L.l3] = (r.int(16) << 4) | (b[L.l3]! & 0xf);
      else if (which === 1) setU16(b, L.l3 + 4, r.chance(0.5) ? r.int(65536) : Math.max(0, L.total - 40 + r.range(-8, 8)));
      else b[L.l3 + 6] = r.pick([0, 43, 60, 44, 58, 17, 59, r.int(256)]);
      if (r.chance(0.8)) fixChecksums(b);
    }
    return b;
  }
  const ip = L.l3;
  switch (r.int(8)) {
    case 0: b[ip] = (b[ip]! & 0xf0) | r.int(16); break; // bad IHL
    case 1: b[ip] = (r.int(16) << 4) | (b[ip]! & 0xf); break; // version
    case 2: { // total length: anything, a little off, or just past the header (payload of 0..9 octets)
      const ihl = (b[ip]! & 0xf) * 4;
      const x = r.int(10);
      setU16(b, ip + 2, x < 3 ? r.int(65536) : x < 6 ? ihl + r.int(10) : Math.max(0, L.total + r.range(-12, 12)));
      break;
    }
    case 3: setU16(b, ip + 6, r.pick([0x2000, 0x0001, 0x2001, 0x1fff, 0x4000, 0x3fff, r.int(65536)])); break; // fragments
    case 4: b[ip + 8] = r.int(256); break; // TTL
    case 5: { // options: rebuild with 4..40 option bytes of random content (or NOPs, or a bad option length)
      const words = r.range(1, 10);
      const opt = r.chance(0.5) ? r.bytes(words * 4) : new Uint8Array(words * 4).fill(r.pick([0x01, 0x00, 0x94, 0x07]));
      const ihl = (b[ip]! & 0xf) * 4;
      const out = concat(b.subarray(0, ip + ihl), opt, b.subarray(ip + ihl));
      out[ip] = (out[ip]! & 0xf0) | Math.min(15, ihl / 4 + words);
      setU16(out, ip + 2, L.total + words * 4);
      if (r.chance(0.9)) fixChecksums(out);
      return out;
    }
    case 6: b[ip + 9] = r.pick([2, 103, 17, 6, r.int(256)]); break; // protocol
    default: b.set(r.bytes(4), ip + r.pick([12, 16])); // addresses
  }
  if (r.chance(0.85)) fixChecksums(b);
  return b;
}

/** Counts that say more than the message holds: v3 records and sources, aux data, query sources, MLDv2 too. */
function counts(b: Uint8Array, r: Rng): Uint8Array {
  const L = layout(b);
  if (!L || L.l4 < 0 || L.l4 + 8 > b.length) return ipField(b, r);
  const m = L.l4;
  const huge = (): number => r.pick([0xffff, 0x8000, 0x4000, 0x0100, r.int(65536), r.range(1, 40)]);
  const type = b[m]!;
  if (L.type === ETHERTYPE_IPV4) {
    if (type === IGMP.v3Report) {
      const which = r.int(3);
      if (which === 0) setU16(b, m + 6, huge());
      else if (m + 16 <= b.length) {
        // First record: number of sources or aux data length.
        if (which === 1) setU16(b, m + 10, huge());
        else b[m + 9] = r.int(256);
      }
    } else if (type === IGMP.query && m + 12 <= b.length) setU16(b, m + 10, huge());
    else setU16(b, m + 6, huge());
  } else {
    if (type === MLD.v2Report) {
      if (r.chance(0.5) || m + 28 > b.length) setU16(b, m + 6, huge());
      else if (r.chance(0.5)) setU16(b, m + 10, huge());
      else b[m + 9] = r.int(256);
    } else if (type === MLD.query && m + 28 <= b.length) setU16(b, m + 26, huge());
    else setU16(b, m + 6, huge());
  }
  if (r.chance(0.9)) fixChecksums(b);
  return b;
}

function flips(b: Uint8Array, r: Rng): Uint8Array {
  if (b.length === 0) return b;
  const n = r.range(1, 8);
  // Bias towards the headers, where a flip changes a decision.
  for (let i = 0; i < n; i++) {
    const at = r.chance(0.7) ? r.int(Math.min(b.length, 80)) : r.int(b.length);
    b[at] = b[at]! ^ (1 << r.int(8));
  }
  if (r.chance(0.5)) fixChecksums(b);
  return b;
}

function tags(b: Uint8Array, r: Rng): { bytes: Uint8Array; length?: number } {
  const n = r.range(0, 4);
  const tagBytes = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    setU16(tagBytes, 4 * i, r.pick([0x8100, 0x88a8, 0x8100, 0x9100, r.int(65536)]));
    setU16(tagBytes, 4 * i + 2, r.int(65536));
  }
  const out = concat(b.subarray(0, 12), tagBytes, b.subarray(12));
  // Sometimes cut inside the tag stack.
  if (r.chance(0.3)) return { bytes: out, length: r.range(12, Math.min(out.length, 12 + 4 * n + 4)) };
  return { bytes: out };
}

function macs(b: Uint8Array, r: Rng): Uint8Array {
  if (b.length < 12) return b;
  switch (r.int(6)) {
    case 0: b[6] = b[6]! | 1; break; // group source
    case 1: b.fill(0, 6, 12); break; // zero source
    case 2: b.set([0x01, 0x80, 0xc2, 0x00, 0x00, r.int(0x20)], 0); break; // reserved 01:80:c2:00:00:0x (and beyond)
    case 3: b.set([0x02, 0x00, 0x00, 0x00, 0x00, r.range(1, 4)], 0); break; // unicast
    case 4: b[3] = b[3]! ^ (1 << r.int(8)); break; // the wrong group MAC
    default: b.fill(0xff, 0, 6); // broadcast
  }
  return b;
}

function randomFrame(r: Rng): Uint8Array {
  const sizeClass = r.int(100);
  const len = sizeClass < 55 ? r.int(100) : sizeClass < 90 ? r.range(100, 1600) : sizeClass < 99 ? r.range(1600, 9200) : r.range(9200, 69_000);
  const b = r.bytes(len);
  // Half of them look like Ethernet to a multicast MAC with an IP EtherType, so they get past L2.
  if (r.chance(0.5) && len >= 14) {
    const v6 = r.chance(0.35);
    b.set(v6 ? [0x33, 0x33] : [0x01, 0x00, 0x5e], 0);
    b[6] = b[6]! & 0xfe;
    const t = r.chance(0.15) && len >= 18 ? 16 : 12;
    if (t === 16) b.set([0x81, 0x00], 12);
    b.set(v6 ? [0x86, 0xdd] : [0x08, 0x00], t);
    const ip = t + 2;
    if (len >= ip + 20 && r.chance(0.6)) {
      if (v6) {
        b[ip] = 0x60;
        b[ip + 24] = 0xff;
        if (len >= ip + 40) b.set(b.subarray(ip + 36, ip + 40), 2);
        setU16(b, ip + 4, Math.max(0, Math.min(len - ip - 40, r.int(2000))));
        b[ip + 6] = r.pick([0, 58, 17, 60, 43]);
      } else {
        b[ip] = 0x45;
        setU16(b, ip + 2, r.chance(0.7) ? len - ip : r.int(65536));
        b[ip + 6] = 0;
        b[ip + 7] = 0;
        b[ip + 9] = r.pick([2, 2, 103, 17]);
        b[ip + 16] = 0xe0 | (b[ip + 16]! & 0x0f);
        b[3] = b[ip + 17]! & 0x7f;
        b[4] = b[ip + 18]!;
        b[5] = b[ip + 19]!;
      }
      if (r.chance(0.7)) fixChecksums(b);
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------------------------------

/** Ingress port: mostly the active ports of the fuzz cores, sometimes inactive or out of range. */
function ingress(r: Rng): number {
  const x = r.int(100);
  if (x < 85) return r.pick([0, 1, 3, 5]);
  if (x < 92) return r.pick([2, 4, 63]);
  return r.pick([64, 65, 100, 0xffff, r.int(0x10000)]);
}

/** Descriptor flags: CSUM_PARTIAL sometimes (skips the L4 checksum), anything rarely. */
function flagsFor(r: Rng): number {
  const x = r.int(100);
  if (x < 90) return 0;
  if (x < 96) return 2;
  return r.int(0x10000);
}

/** Expand a recipe into a frame case. */
/** The UMEM region's shape, for frames placed at chunk boundaries. */
export interface UmemShape {
  chunkSize: number;
  chunks: number;
}

export function buildCase(recipe: Recipe, slotStride: number, slotHeadroom: number, umem: UmemShape = { chunkSize: UMEM_CHUNK_SIZE, chunks: 4 }): FrameCase {
  const r = new Rng(recipe.seed);
  const base = BASES[recipe.base % BASES.length]!;
  const c: FrameCase = { recipe, bytes: new Uint8Array(0), length: 0, port: ingress(r), flags: flagsFor(r), pointer: { kind: 'headroom' } };
  let bytes: Uint8Array;
  let length: number | undefined;
  switch (recipe.family) {
    case 'random': bytes = randomFrame(r); break;
    case 'valid': bytes = base.build(r); break;
    case 'flip': bytes = flips(base.build(r), r); break;
    case 'ipfield': bytes = ipField(base.build(r), r); break;
    case 'count': bytes = counts(base.build(r), r); break;
    case 'cut': bytes = base.build(r); length = r.int(bytes.length); break;
    case 'tail': {
      const f = base.build(r);
      const extra = r.bytes(r.range(1, r.chance(0.9) ? 64 : 4000));
      bytes = concat(f, extra);
      if (r.chance(0.5)) {
        // Make the IP packet claim the tail too.
        const L = layout(bytes);
        if (L && L.type === ETHERTYPE_IPV4) setU16(bytes, L.l3 + 2, Math.min(0xffff, L.total + extra.length));
        else if (L && L.type === ETHERTYPE_IPV6) setU16(bytes, L.l3 + 4, Math.min(0xffff, L.total - 40 + extra.length));
        fixChecksums(bytes);
      }
      break;
    }
    case 'tags': ({ bytes, length } = tags(base.build(r), r)); break;
    case 'mac': bytes = macs(base.build(r), r); break;
    case 'desc': {
      bytes = r.chance(0.5) ? base.build(r) : randomFrame(r);
      const which = r.int(8);
      if (which === 0) c.pointer = { kind: 'slot-offset', offset: r.int(slotStride) };
      else if (which === 1) c.pointer = { kind: 'absolute', address: r.pick([0, 1, 0xffffffff, 0x7fffffff, r.u32()]) };
      else if (which === 2) c.pointer = { kind: 'slot-offset', offset: r.pick([slotStride, slotStride + slotHeadroom, -1, -slotStride]) };
      else if (which === 3) length = r.pick([0xffffffff, slotStride, slotStride - slotHeadroom + 1, 0x80000000, r.u32()]);
      else if (which === 4) c.port = r.range(64, 0xffff);
      else if (which === 5) c.flags = r.int(0x10000) | 1;
      else {
        // An AF_XDP frame: in a UMEM chunk, at its start, at the kernel's 256-byte headroom, ending exactly at the
        // chunk's end or one byte past it, anywhere; in the first, a middle or the last chunk, or just past the region.
        if (bytes.length > umem.chunkSize && r.chance(0.7)) bytes = bytes.subarray(0, r.range(14, umem.chunkSize));
        const cs = umem.chunkSize;
        const chunk = r.pick([0, 1, umem.chunks >> 1, umem.chunks - 1, umem.chunks]);
        const within = r.pick([0, 256, cs - bytes.length, cs - bytes.length + 1, cs - 1, r.int(cs)]);
        c.pointer = { kind: 'umem', offset: Math.max(0, chunk * cs + within) };
      }
      break;
    }
  }
  if (bytes.length > slotStride - slotHeadroom) bytes = bytes.subarray(0, slotStride - slotHeadroom);
  c.bytes = bytes;
  c.length = length ?? bytes.length;
  return c;
}

export function describeCase(c: FrameCase): string {
  const base = BASES[c.recipe.base % BASES.length]!.name;
  const head = Array.from(c.bytes.subarray(0, 160), (x) => x.toString(16).padStart(2, '0')).join('');
  return `recipe ${JSON.stringify(c.recipe)} (${c.recipe.family} of "${base}"), port ${c.port}, flags ${c.flags}, ` +
    `length ${c.length} of ${c.bytes.length} bytes, pointer ${JSON.stringify(c.pointer)}\n  bytes[0..160] ${head}`;
}
