import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeIgmp, destinationOf, encodePacket, parsePacket, probeJoin, probeLeave, probeQuery, type IgmpRepr,
} from '../../../src/cli/probe.js';
import { maxRespFor } from '../../../src/cli/probe-cmd.js';
import { toHex as hex } from '../../../src/testkit/frames.js';

/** The IGMP message inside a packet from encodePacket (IP header 24 bytes with Router Alert). */
const igmpOf = (m: IgmpRepr): string => hex(encodePacket('10.0.0.1', m).subarray(24));

describe('what each probe sends (byte fixtures)', () => {
  it('IGMPv2 general query, max response 10 s: 11 64 ee9b 00000000', () => {
    expect(igmpOf(probeQuery({ version: 2, group: null, sources: [], maxRespMs: 10_000 }))).toBe('1164ee9b00000000');
  });

  it('IGMPv3 general query, 10 s, QRV 2, QQIC 125: 11 64 ec1e 00000000 02 7d 0000', () => {
    expect(igmpOf(probeQuery({ version: 3, group: null, sources: [], maxRespMs: 10_000 }))).toBe('1164ec1e00000000027d0000');
  });

  it('IGMPv3 group-and-source query carries its sources', () => {
    const b = igmpOf(probeQuery({ version: 3, group: '232.1.1.1', sources: ['10.0.0.1', '10.0.0.2'], maxRespMs: 2500 }));
    expect(b.slice(0, 4)).toBe('1119');
    expect(b.slice(8)).toBe('e8010101' + '027d0002' + '0a000001' + '0a000002');
  });

  it('IGMPv2 report and leave: 16|17 00 cksum group', () => {
    expect(igmpOf(probeJoin({ version: 2, group: '239.1.1.1', sources: [] }))).toBe('1600f9fcef010101');
    expect(igmpOf(probeLeave({ version: 2, group: '239.1.1.1', sources: [] }))).toBe('1700f8fcef010101');
  });

  it('IGMPv3 join/leave records: TO_EX {} / ALLOW {S} / TO_IN {} / BLOCK {S}', () => {
    expect(igmpOf(probeJoin({ version: 3, group: '239.1.1.1', sources: [] }))).toBe('2200e9fb00000001' + '04000000ef010101');
    const rec = (m: IgmpRepr): string => igmpOf(m).slice(16);
    expect(rec(probeJoin({ version: 3, group: '232.1.1.1', sources: ['10.0.0.9'] }))).toBe('05000001e80101010a000009');
    expect(rec(probeLeave({ version: 3, group: '239.1.1.1', sources: [] }))).toBe('03000000ef010101');
    expect(rec(probeLeave({ version: 3, group: '232.1.1.1', sources: ['10.0.0.9'] }))).toBe('06000001e80101010a000009');
  });

  it('wraps IGMP in IPv4 with TTL 1, TOS 0xc0, DF, protocol 2 and Router Alert, sent where the RFCs say', () => {
    const ip = encodePacket('10.0.0.1', probeQuery({ version: 2, group: null, sources: [], maxRespMs: 10_000 }));
    expect(hex(ip.subarray(0, 10))).toBe('46c00020000040000102');
    expect(hex(ip.subarray(12, 24))).toBe('0a000001' + 'e0000001' + '94040000');
    expect(ip.length).toBe(32);
    expect(destinationOf(probeQuery({ version: 3, group: '239.9.9.9', sources: [], maxRespMs: 1000 }))).toBe('239.9.9.9');
    expect(destinationOf(probeJoin({ version: 3, group: '239.1.1.1', sources: [] }))).toBe('224.0.0.22');
    expect(destinationOf(probeJoin({ version: 2, group: '239.1.1.1', sources: [] }))).toBe('239.1.1.1');
    expect(destinationOf(probeLeave({ version: 2, group: '239.1.1.1', sources: [] }))).toBe('224.0.0.2');
    expect(destinationOf(probeLeave({ version: 3, group: '239.1.1.1', sources: [] }))).toBe('224.0.0.22');
  });

  it('refuses sources in an IGMPv2 query', () => {
    expect(() => probeQuery({ version: 2, group: '239.1.1.1', sources: ['10.0.0.1'], maxRespMs: 1000 })).toThrow();
  });
});

describe('reading answers', () => {
  const group = fc.tuple(fc.integer({ min: 224, max: 239 }), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
  const host = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));
  const sent: fc.Arbitrary<IgmpRepr> = fc.oneof(
    fc.record({ version: fc.constantFrom(2 as const, 3 as const), group, sources: fc.constant<string[]>([]) }).map((o) => probeJoin(o)),
    fc.record({ version: fc.constant(3 as const), group, sources: fc.array(host, { minLength: 1, maxLength: 4 }) }).map((o) => probeLeave(o)),
    fc.record({ version: fc.constant(3 as const), group: fc.option(group), sources: fc.constant<string[]>([]), maxRespMs: fc.integer({ min: 100, max: 12_700 }) })
      .map((o) => probeQuery(o)),
  );

  it('reads back what the probe sends', () => {
    fc.assert(fc.property(sent, host, (m, src) => {
      const p = parsePacket(encodePacket(src, m));
      expect(p).toMatchObject({ ok: true, src, dst: destinationOf(m) });
      expect(p.ok && p.message.type).toBe(m.type);
    }));
  });

  it('never throws on arbitrary bytes; rejects a bad checksum and non-IGMP', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => { parsePacket(b); }));
    const b = encodePacket('10.0.0.1', probeJoin({ version: 2, group: '239.1.1.1', sources: [] }));
    b[31] ^= 1;
    expect(parsePacket(b)).toEqual({ ok: false, reason: 'igmp bad-checksum' });
    const udp = encodePacket('10.0.0.1', probeJoin({ version: 2, group: '239.1.1.1', sources: [] }));
    udp[9] = 17;
    expect(parsePacket(udp)).toEqual({ ok: false, reason: 'not IGMP' });
  });

  it('describes messages for people', () => {
    expect(describeIgmp(probeJoin({ version: 3, group: '232.1.1.1', sources: ['10.0.0.9'] }))).toBe('v3 report: allow 232.1.1.1 {10.0.0.9}');
    expect(describeIgmp(probeJoin({ version: 3, group: '239.1.1.1', sources: [] }))).toBe('v3 report: to_ex 239.1.1.1 {}');
    expect(describeIgmp(probeQuery({ version: 2, group: null, sources: [], maxRespMs: 2500 }))).toBe('v2 query: general, max response 2.5s');
    expect(describeIgmp(probeQuery({ version: 3, group: '239.1.1.1', sources: ['10.0.0.1'], maxRespMs: 1000 })))
      .toBe('v3 query: group-and-source 239.1.1.1 {10.0.0.1}, max response 1s');
    expect(describeIgmp(probeLeave({ version: 2, group: '239.1.1.1', sources: [] }))).toBe('v2 leave: 239.1.1.1');
  });
});

describe('maxRespFor', () => {
  it('leaves half a second of the wait for the answers to arrive', () => {
    expect(maxRespFor(3000, 3)).toBe(2500);
    expect(maxRespFor(1000, 3)).toBe(1000);
    expect(maxRespFor(60_000, 2)).toBe(25_500);
    expect(maxRespFor(60_000, 3)).toBe(59_500);
  });
});
