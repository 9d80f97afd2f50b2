// Malformations whose drop reason is known by construction, independent of the reference model: each takes a valid
// frame (fast-check picks its group, VLAN tags, IP options, sources, …), breaks exactly one thing, fixes every
// checksum that the broken thing does not concern, and names the reason the core must count it under.

import fc from 'fast-check';
import {
  ETHERTYPE_IPV4, ethernet, icmpv6, IGMP, igmpMessage, igmpV2, igmpV3Report, ipv4, ipv4GroupMac, ipv6, ipv6GroupMac, MLD,
  mldV1Body, NH_ICMPV6, PROTO_IGMP, PROTO_PIM, ROUTER_ALERT, type VlanTag,
} from '../../../src/testkit/frames.js';
import { etherTypeOffset, fixChecksums } from './frame-gen.js';
import { writeU16 as setU16 } from '../../../src/wire/common.js';
import * as igmpWire from '../../../src/wire/igmp.js';

export interface Targeted {
  name: string;
  frame: Uint8Array;
  reason: string;
  /** Descriptor length, when shorter than the frame. */
  length?: number;
  flags?: number;
}

interface Shape {
  group: string;
  tags: VlanTag[];
  options: boolean;
  src: string;
  n: number;
  sources: number;
}

const shape: fc.Arbitrary<Shape> = fc.record({
  group: fc.constantFrom('239.1.1.1', '232.9.9.9', '239.255.0.1', '225.1.2.3'),
  tags: fc.array(fc.record({ vid: fc.integer({ min: 0, max: 4095 }), tpid: fc.constantFrom(0x8100, 0x88a8) }), { maxLength: 2 }),
  options: fc.boolean(),
  src: fc.constantFrom('192.0.2.1', '10.1.2.3', '198.51.100.200'),
  n: fc.integer({ min: 1, max: 0xffff }),
  sources: fc.integer({ min: 0, max: 5 }),
});

function igmpFrame(s: Shape, message: Uint8Array, o: { dst?: string; ttl?: number } = {}): Uint8Array {
  const dst = o.dst ?? s.group;
  return ethernet({
    dst: ipv4GroupMac(dst), src: '02:00:00:00:00:01', type: ETHERTYPE_IPV4, tags: s.tags,
    payload: ipv4({ src: s.src, dst, protocol: PROTO_IGMP, ttl: o.ttl ?? 1, options: s.options ? ROUTER_ALERT : undefined, payload: message }),
  });
}

function v2Report(s: Shape): Uint8Array {
  return igmpFrame(s, igmpV2(IGMP.v2Report, s.group));
}

function v3Report(s: Shape): Uint8Array {
  const sources = new Array<string>(s.sources).fill(s.src);
  return igmpFrame(s, igmpV3Report([{ type: igmpWire.RecordType.MODE_IS_INCLUDE, group: s.group, sources }]), { dst: '224.0.0.22' });
}

/** Offsets of the IPv4 header and the IGMP message in a frame built above. */
function at(f: Uint8Array): { ip: number; msg: number } {
  const ip = etherTypeOffset(f, f.length) + 2;
  return { ip, msg: ip + (f[ip]! & 0xf) * 4 };
}

function mld(s: Shape, type: number, body: Uint8Array, dst: string, bad = false): Uint8Array {
  const src = 'fe80::1';
  return ethernet({
    dst: ipv6GroupMac(dst), src: '02:00:00:00:00:01', type: 0x86dd, tags: s.tags,
    payload: ipv6({ src, dst, nextHeader: NH_ICMPV6, payload: icmpv6(src, dst, type, 0, body, bad) }),
  });
}

const cases: readonly ((s: Shape) => Targeted)[] = [
  (s) => { const f = v2Report(s); const { ip } = at(f); f[ip] = (f[ip]! & 0xf0) | (s.n % 5); fixChecksums(f); return { name: 'IHL < 5', frame: f, reason: 'ipv4_header' }; },
  (s) => { const f = v2Report(s); const { ip } = at(f); const total = (f[ip + 2]! << 8) | f[ip + 3]!; f[ip] = 0x40 | Math.min(15, Math.floor(total / 4) + 1 + (s.n % 3)); fixChecksums(f); return { name: 'IHL beyond total length', frame: f, reason: 'ipv4_header' }; },
  (s) => { const f = v2Report(s); const { ip } = at(f); f[ip] = ((s.n % 15) + (s.n % 15 >= 4 ? 1 : 0)) << 4 | (f[ip]! & 0xf); fixChecksums(f); return { name: 'IP version not 4', frame: f, reason: 'ipv4_header' }; },
  (s) => { const f = v2Report(s); const { ip } = at(f); setU16(f, ip + 2, f.length - ip + 1 + (s.n % 1000)); fixChecksums(f); return { name: 'total length beyond the frame', frame: f, reason: 'ipv4_header' }; },
  (s) => { const f = v2Report(s); const { ip } = at(f); setU16(f, ip + 2, (f[ip]! & 0xf) * 4 - 1 - (s.n % 20)); fixChecksums(f); return { name: 'total length below the header', frame: f, reason: 'ipv4_header' }; },
  (s) => { const f = v2Report(s); const { ip } = at(f); f[ip + 10] = f[ip + 10]! ^ (1 + (s.n % 255)); return { name: 'IPv4 header checksum', frame: f, reason: 'ipv4_checksum' }; },
  (s) => { const f = v2Report(s); const { ip } = at(f); setU16(f, ip + 6, s.n % 2 ? 0x2000 : 1 + (s.n % 0x1fff)); fixChecksums(f); return { name: 'IGMP in a fragment', frame: f, reason: 'igmp_fragment' }; },
  (s) => { const f = v2Report(s); const { ip } = at(f); setU16(f, ip + 2, (f[ip]! & 0xf) * 4 + (s.n % 4)); fixChecksums(f); return { name: 'IGMP shorter than 4 octets', frame: f, reason: 'igmp_length' }; },
  (s) => { const f = v2Report(s); const { msg } = at(f); f[msg + 2] = f[msg + 2]! ^ (1 + (s.n % 255)); return { name: 'IGMP checksum', frame: f, reason: 'igmp_checksum' }; },
  (s) => { const f = v2Report(s); const { ip } = at(f); setU16(f, ip + 2, (f[ip]! & 0xf) * 4 + 4 + (s.n % 4)); fixChecksums(f); return { name: 'IGMPv2 report of 4..7 octets', frame: f, reason: 'igmp_length' }; },
  (s) => { const f = v3Report(s); const { msg } = at(f); setU16(f, msg + 6, 2 + (s.n % 0xfffe)); fixChecksums(f); return { name: 'IGMPv3 report: more records than it holds', frame: f, reason: 'igmp_length' }; },
  (s) => { const f = v3Report(s); const { msg } = at(f); setU16(f, msg + 10, s.sources + 1 + (s.n % (0xffff - s.sources))); fixChecksums(f); return { name: 'IGMPv3 record: more sources than it holds', frame: f, reason: 'igmp_length' }; },
  (s) => { const f = v3Report(s); const { msg } = at(f); f[msg + 9] = 1 + (s.n % 255); fixChecksums(f); return { name: 'IGMPv3 record: aux data past the end', frame: f, reason: 'igmp_length' }; },
  (s) => {
    const body = new Uint8Array(8 + 4 * s.sources);
    setU16(body, 6, s.sources + 1 + (s.n % (0xffff - s.sources)));
    return { name: 'IGMPv3 query: more sources than it holds', frame: igmpFrame(s, igmpMessage(IGMP.query, 100, body), { dst: '224.0.0.1' }), reason: 'igmp_length' };
  },
  (s) => ({ name: 'IGMP query of 9..11 octets', frame: igmpFrame(s, igmpMessage(IGMP.query, 100, new Uint8Array(5 + (s.n % 3))), { dst: '224.0.0.1' }), reason: 'igmp_length' }),
  (s) => ({ name: 'MRD advertisement shorter than 8', frame: igmpFrame(s, igmpMessage(IGMP.mrdAdvertisement, 20, new Uint8Array(s.n % 4)), { dst: '224.0.0.106' }), reason: 'igmp_length' }),
  (s) => { const f = mld(s, MLD.v1Report, mldV1Body('ff0e::1'), 'ff0e::1', true); return { name: 'MLD checksum', frame: f, reason: 'icmpv6_checksum' }; },
  (s) => {
    const body = new Uint8Array(4 + 20);
    setU16(body, 2, 2 + (s.n % 0xfffe));
    body[4] = 1;
    return { name: 'MLDv2 report: more records than it holds', frame: mld(s, MLD.v2Report, body, 'ff02::16'), reason: 'icmpv6_length' };
  },
  (s) => ({ name: 'MLDv1 report shorter than 24', frame: mld(s, MLD.v1Report, new Uint8Array(s.n % 20), 'ff0e::1'), reason: 'icmpv6_length' }),
  (s) => { const f = mld(s, MLD.v1Report, mldV1Body('ff0e::1'), 'ff0e::1'); const ip = etherTypeOffset(f, f.length) + 2; setU16(f, ip + 4, f.length - ip - 40 + 1 + (s.n % 100)); return { name: 'IPv6 payload length beyond the frame', frame: f, reason: 'ipv6_header' }; },
  (s) => {
    const pim = Uint8Array.of(0x20, 0, 0x12, 0x34, 0, 1, 0, 2, 0, 0x69);
    const f = ethernet({ dst: ipv4GroupMac('224.0.0.13'), src: '02:00:00:00:00:01', type: ETHERTYPE_IPV4, tags: s.tags,
      payload: ipv4({ src: s.src, dst: '224.0.0.13', protocol: PROTO_PIM, payload: pim }) });
    return { name: 'PIM hello checksum', frame: f, reason: 'pim_checksum' };
  },
  (s) => { const f = v2Report(s); f[6] = f[6]! | 1; return { name: 'group source MAC', frame: f, reason: 'bad_src_mac' }; },
  (s) => { const f = v2Report(s); f.set([1, 0x80, 0xc2, 0, 0, s.n % 16], 0); return { name: 'reserved 01:80:c2:00:00:0x', frame: f, reason: 'reserved_l2' }; },
  (s) => { const f = v2Report(s); f[5] = f[5]! ^ 1; return { name: 'group MAC of another group', frame: f, reason: 'mac_ip_mismatch' }; },
  (s) => { const f = v2Report(s); return { name: 'runt', frame: f, length: s.n % 14, reason: 'runt' }; },
  (s) => {
    const f = v2Report({ ...s, tags: [{ vid: 5 }, { vid: 6 }] });
    return { name: 'cut inside the tag stack', frame: f, length: 15 + (s.n % 6), reason: 'vlan_header' };
  },
  (s) => { const f = v2Report(s); return { name: 'TRUNCATED descriptor flag', frame: f, flags: 1 | ((s.n << 1) & 0xfffe), reason: 'oversize' }; },
];

export const targetedArbitrary: fc.Arbitrary<Targeted> = fc.tuple(fc.nat(cases.length - 1), shape).map(([i, s]) => cases[i]!(s));
