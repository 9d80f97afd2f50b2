// IGMP wire format: fixtures (decode comments above each), emit → exact bytes, the RFC 3376 §4.1.1
// float encoding both ways, version distinction (§7.1), malformed inputs, round-trip properties.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyInternetChecksum } from '../../../src/wire/checksum.js';
import * as igmp from '../../../src/wire/igmp.js';
import { hex, toHex } from '../../../src/testkit/frames.js';

const ip = (n: number) => `192.0.2.${n}`;
const G = '239.10.10.10';

// IGMPv3 report, 1 group record, MODE_IS_INCLUDE 239.10.10.10 {192.0.2.1, .2, .3}
// (bridge_igmp.sh ALL_GROUP… "IS_INC", checksum 0x9dde)
const IS_INC = hex('22009dde 00000001 01000003 ef0a0a0a c0000201 c0000202 c0000203');

// IGMPv3 General Query, Max Resp Code 100 (10 s), S=0 QRV=2, QQIC 125 s, no sources (as Linux sends it)
const V3_GENERAL_QUERY = hex('1164ec1e 00000000 027d0000');

describe('IGMP fixtures', () => {
  it('deconstructs the selftest IS_INC report', () => {
    expect(verifyInternetChecksum(IS_INC)).toBe(true);
    const r = igmp.parse(IS_INC, { verifyChecksum: true });
    expect(r).toEqual({ ok: true, value: { type: 'v3-report', records: [{ recordType: 1, group: G, sources: [ip(1), ip(2), ip(3)] }] } });
  });

  it('constructs the selftest payloads byte for byte (checksums from bridge_igmp.sh)', () => {
    expect(toHex(igmp.emit({ type: 'v3-report', records: [{ recordType: 1, group: G, sources: [ip(1), ip(2), ip(3)] }] }))).toBe(toHex(IS_INC));
    const cases: Array<[number, number[], string]> = [
      [1, [10, 11, 12], '9dc3'], [1, [20, 30], '5fb4'], [5, [10, 11, 12], '99c3'], [5, [20, 30], '5bb4'],
      [2, [1, 2, 20, 21], 'dab6'], [2, [20, 30], '5eb4'], [4, [1, 20, 30], '9ab1'], [6, [1, 20, 30], '98b1'],
    ];
    for (const [t, s, sum] of cases) {
      const b = igmp.emit({ type: 'v3-report', records: [{ recordType: t, group: G, sources: s.map(ip) }] });
      expect(toHex(b.subarray(0, 4))).toBe(`2200${sum}`);
    }
  });

  it('v3 general query: exact bytes both ways', () => {
    const q: igmp.IgmpQuery = { type: 'query', version: 3, maxRespDs: 100, group: '0.0.0.0', suppress: false, qrv: 2, qqiSec: 125, sources: [] };
    expect(toHex(igmp.emit(q))).toBe(toHex(V3_GENERAL_QUERY));
    expect(igmp.parse(V3_GENERAL_QUERY)).toEqual({ ok: true, value: q });
  });

  it('v1/v2 messages and version distinction by length and code (RFC 3376 §7.1)', () => {
    const v2q = igmp.emit({ type: 'query', version: 2, maxRespDs: 100, group: '0.0.0.0', suppress: false, qrv: 0, qqiSec: 0, sources: [] });
    expect(toHex(v2q)).toBe('1164ee9b00000000');
    expect(igmp.parse(v2q)).toMatchObject({ ok: true, value: { version: 2, maxRespDs: 100 } });
    expect(igmp.parse(hex('1100eeff00000000'))).toMatchObject({ ok: true, value: { version: 1, maxRespDs: 0 } });
    // RFC 1112 App. I: the group field of a v1 query is "ignored when received" (Linux forces 0 too).
    expect(igmp.parse(hex('1100fefeef010101'))).toMatchObject({ ok: true, value: { version: 1, group: '0.0.0.0' } });
    expect(igmp.parse(hex('1164ee9b000000000000'))).toEqual({ ok: false, error: { layer: 'igmp', reason: 'bad-length', detail: 'query of 10 octets' } });
    expect(igmp.parse(igmp.emit({ type: 'report', version: 2, group: '239.1.1.1' }))).toEqual({ ok: true, value: { type: 'report', version: 2, group: '239.1.1.1' } });
    expect(toHex(igmp.emit({ type: 'report', version: 2, group: '239.1.1.1' }))).toBe('1600f9fcef010101');
    expect(igmp.parse(igmp.emit({ type: 'report', version: 1, group: '224.1.1.1' }))).toMatchObject({ ok: true, value: { version: 1 } });
    expect(igmp.parse(igmp.emit({ type: 'leave', group: '239.1.1.1' }))).toEqual({ ok: true, value: { type: 'leave', group: '239.1.1.1' } });
  });

  it('S flag, QRV > 7 sent as 0 (§4.1.6), reserved bits ignored on receipt (§4.1.4)', () => {
    const b = igmp.emit({ type: 'query', version: 3, maxRespDs: 10, group: G, suppress: true, qrv: 9, qqiSec: 125, sources: [ip(1)] });
    expect(b[8]).toBe(0x08);
    b[8] = 0xfa; // Resv bits set, S=1, QRV=2
    expect(igmp.parse(b)).toMatchObject({ ok: true, value: { suppress: true, qrv: 2, sources: [ip(1)] } });
  });

  it('malformed inputs give named reasons, never exceptions', () => {
    const table: Array<[string, Uint8Array, string]> = [
      ['short', hex('1164ee9b'), 'truncated'],
      ['unknown type', hex('9900000000000000'), 'unknown-type'],
      ['query sources past the end', hex('1164000000000000027d0002c0000201'), 'truncated'],
      ['record past the end', hex('2200000000000001010000ffef0a0a0a'), 'truncated'],
      ['second record header missing', hex('22000000 00000002 01000000 ef0a0a0a'), 'truncated'],
    ];
    for (const [name, bytes, reason] of table) {
      const r = igmp.parse(bytes);
      expect(r.ok, name).toBe(false);
      if (!r.ok) expect(r.error.reason, name).toBe(reason);
    }
    const bad = igmp.emit({ type: 'leave', group: '239.1.1.1' });
    bad[2] ^= 1;
    expect(igmp.parse(bad, { verifyChecksum: true })).toMatchObject({ ok: false, error: { reason: 'bad-checksum' } });
    expect(igmp.parse(bad)).toMatchObject({ ok: true });
  });

  it('aux data in records is skipped (§4.2.10)', () => {
    const b = hex('22000000 00000002 01010001 ef0a0a0a c0000201 deadbeef 02000000 ef0a0a0b');
    expect(igmp.parse(b)).toEqual({ ok: true, value: { type: 'v3-report', records: [
      { recordType: 1, group: G, sources: [ip(1)] }, { recordType: 2, group: '239.10.10.11', sources: [] },
    ] } });
  });
});

describe('RFC 3376 §4.1.1 / §4.1.7 float encoding', () => {
  it('decodes every code: < 128 linear, ≥ 128 (mant|0x10) << (exp+3)', () => {
    expect(igmp.decodeFloat8(0)).toBe(0);
    expect(igmp.decodeFloat8(127)).toBe(127);
    expect(igmp.decodeFloat8(0x80)).toBe(128);
    expect(igmp.decodeFloat8(0x8f)).toBe(248);
    expect(igmp.decodeFloat8(0x90)).toBe(256);
    expect(igmp.decodeFloat8(0xff)).toBe(31_744);
    for (let code = 128; code < 256; code++) {
      const exp = (code >> 4) & 7;
      const mant = code & 15;
      expect(igmp.decodeFloat8(code)).toBe((mant | 0x10) << (exp + 3));
    }
  });

  it('encode ∘ decode is the identity on all 256 codes', () => {
    for (let code = 0; code < 256; code++) expect(igmp.encodeFloat8(igmp.decodeFloat8(code))).toBe(code);
  });

  it('encodes every value to the largest representable value not above it; saturates at 31744', () => {
    const representable = Array.from({ length: 256 }, (_, c) => igmp.decodeFloat8(c));
    for (let v = 0; v < 33_000; v += v < 300 ? 1 : 37) {
      const got = igmp.decodeFloat8(igmp.encodeFloat8(v));
      const best = Math.max(...representable.filter((r) => r <= v));
      expect(got, `value ${v}`).toBe(best);
    }
    expect(igmp.encodeFloat8(1e9)).toBe(0xff);
    expect(igmp.encodeFloat8(-5)).toBe(0);
  });
});

describe('IGMP properties', () => {
  const addr = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
  const code = fc.nat(255).map(igmp.decodeFloat8);
  const repr: fc.Arbitrary<igmp.IgmpRepr> = fc.oneof(
    fc.record({ type: fc.constant('query' as const), version: fc.constant(3 as const), maxRespDs: code, group: addr, suppress: fc.boolean(), qrv: fc.nat(7), qqiSec: code, sources: fc.array(addr, { maxLength: 20 }) }),
    fc.record({ type: fc.constant('query' as const), version: fc.constant(2 as const), maxRespDs: fc.integer({ min: 1, max: 255 }), group: addr, suppress: fc.constant(false), qrv: fc.constant(0), qqiSec: fc.constant(0), sources: fc.constant<string[]>([]) }),
    fc.record({ type: fc.constant('report' as const), version: fc.constantFrom(1 as const, 2 as const), group: addr }),
    fc.record({ type: fc.constant('leave' as const), group: addr }),
    fc.record({ type: fc.constant('v3-report' as const), records: fc.array(fc.record({ recordType: fc.integer({ min: 1, max: 6 }), group: addr, sources: fc.array(addr, { maxLength: 10 }) }), { maxLength: 8 }) }),
  );

  it('parse(emit(r)) = r, and the checksum verifies', () => {
    fc.assert(fc.property(repr, (r) => {
      const b = igmp.emit(r);
      expect(b.length).toBe(igmp.bufferLen(r));
      expect(verifyInternetChecksum(b)).toBe(true);
      expect(igmp.parse(b, { verifyChecksum: true })).toEqual({ ok: true, value: r });
    }), { numRuns: 500 });
  });

  it('parse never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(0x11, 0x12, 0x16, 0x17, 0x22), (b, t) => {
      if (b.length > 0) b[0] = t;
      igmp.parse(b);
    }), { numRuns: 2_000 });
  });
});
