// Checksum, Ethernet, IPv4 (Router Alert, checksum), IPv6, MLD, PIM and MRD wire formats.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { internetChecksum, verifyInternetChecksum } from '../../../src/wire/checksum.js';
import { ipv4MulticastMac, ipv4ToU32, ipv6At, ipv6MulticastMac, parseIpv6 } from '../../../src/wire/common.js';
import * as ethernet from '../../../src/wire/ethernet.js';
import * as ipv4 from '../../../src/wire/ipv4.js';
import * as ipv6 from '../../../src/wire/ipv6.js';
import * as mld from '../../../src/wire/mld.js';
import * as mrd from '../../../src/wire/mrd.js';
import * as pim from '../../../src/wire/pim.js';
import { hex, toHex } from '../../../src/testkit/frames.js';


describe('RFC 1071 checksum', () => {
  it('matches the RFC 1071 §3 example and verifies', () => {
    const data = hex('0001 f203 f4f5 f6f7');
    expect(internetChecksum(data)).toBe(0x220d);
    const withSum = hex('0001 f203 f4f5 f6f7 220d');
    expect(verifyInternetChecksum(withSum)).toBe(true);
  });

  it('odd lengths pad with zero', () => {
    expect(internetChecksum(hex('01'))).toBe(0xfeff);
  });
});

describe('addresses', () => {
  it('IPv4 text', () => {
    expect(ipv4ToU32('224.0.0.1')).toBe(0xe0000001);
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.1.1.1', 'a.b.c.d', '']) expect(ipv4ToU32(bad), bad).toBeNull();
  });

  it('multicast MACs (RFC 1112 §6.4, RFC 2464 §7)', () => {
    expect(ipv4MulticastMac('239.138.10.10')).toBe('01:00:5e:0a:0a:0a');
    expect(ipv6MulticastMac('ff02::6a')).toBe('33:33:00:00:00:6a');
  });

  it('IPv6 text follows RFC 5952', () => {
    const cases: Array<[string, string]> = [
      ['ff02::1', 'ff02::1'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['::', '::'],
      ['fe80::fc54:ff:fe04:5eba', 'fe80::fc54:ff:fe04:5eba'], ['2001:db8::ffff:192.0.2.1', '2001:db8::ffff:c000:201'],
      ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
    ];
    for (const [input, text] of cases) expect(ipv6At(parseIpv6(input)!, 0)).toBe(text);
    // Addresses with every pattern of zero groups (and zero bytes inside groups), against the WHATWG URL
    // serializer, which compresses as RFC 5952 §4.2 does (longest run of ≥ 2 zero groups, the first on a tie).
    for (let mask = 0; mask < 256; mask++) {
      const bytes = new Uint8Array(16);
      for (let g = 0; g < 8; g++) {
        if ((mask >> g) & 1) continue;
        bytes[2 * g] = (g * 37 + mask) % 3 === 0 ? 0 : (g * 53 + mask) & 255;
        bytes[2 * g + 1] = (g * 11 + mask) & 255 || 1;
      }
      const text = ipv6At(bytes, 0);
      expect(text).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
      expect(parseIpv6(text)).toEqual(bytes);
    }
    expect(parseIpv6('1::2::3')).toBeNull();
    // The character scanner (parseIpv6Into) refuses what the general parser refuses.
    for (const bad of ['', ':', ':::', ':1', '1:', '1:::2', '12345::', 'g::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9',
      '1:2:3:4::5:6:7:8', 'fe80::1%eth0', '::1.2.3', ' ::1']) expect(parseIpv6(bad), bad).toBeNull();
    expect([...parseIpv6('FE80::A:b')!]).toEqual([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0x0b]);
    expect([...parseIpv6('1:2:3:4:5:6:7::')!].slice(12)).toEqual([0, 7, 0, 0]);
  });
});

describe('Ethernet', () => {
  it('untagged and 802.1Q frames round-trip; short frames are padded to 60 octets', () => {
    const payload = Uint8Array.from([1, 2, 3]);
    const untagged = ethernet.emit({ dst: '01:00:5e:00:00:01', src: '02:00:00:00:00:01', vlan: null, pcp: 0, ethertype: 0x0800 }, payload);
    expect(untagged.length).toBe(60);
    expect(ethernet.parse(untagged)).toEqual({ ok: true, value: { repr: { dst: '01:00:5e:00:00:01', src: '02:00:00:00:00:01', vlan: null, pcp: 0, ethertype: 0x0800 }, payloadOffset: 14 } });
    const tagged = ethernet.emit({ dst: '01:00:5e:00:00:01', src: '02:00:00:00:00:01', vlan: 100, pcp: 6, ethertype: 0x0800 }, payload);
    expect(toHex(tagged.subarray(12, 18))).toBe('8100c0640800');
    expect(ethernet.parse(tagged)).toMatchObject({ ok: true, value: { repr: { vlan: 100, pcp: 6, ethertype: 0x0800 }, payloadOffset: 18 } });
    expect(ethernet.parse(tagged.subarray(0, 16))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
  });
});

describe('IPv4', () => {
  // Classic example header: 192.168.0.1 → 192.168.0.199, UDP, checksum 0xb861
  const EXAMPLE = hex('45000073 00004000 4011b861 c0a80001 c0a800c7');

  it('parses a header and verifies its checksum', () => {
    const padded = new Uint8Array(0x73);
    padded.set(EXAMPLE);
    const r = ipv4.parse(padded);
    expect(r).toMatchObject({ ok: true, value: { headerLen: 20, checksumOk: true, fragment: false, repr: { src: '192.168.0.1', dst: '192.168.0.199', protocol: 17, ttl: 64, dontFragment: true, routerAlert: false, payloadLen: 0x73 - 20 } } });
  });

  it('emits Router Alert (RFC 2113: 94 04 00 00), IHL 6, and a correct header checksum', () => {
    const b = ipv4.emit({ src: '192.0.2.1', dst: '224.0.0.1', protocol: 2, ttl: 1, tos: 0xc0, ident: 0, dontFragment: true, routerAlert: true }, new Uint8Array(8));
    expect(b[0]).toBe(0x46);
    expect(toHex(b.subarray(20, 24))).toBe('94040000');
    expect(verifyInternetChecksum(b, 0, 24)).toBe(true);
    expect(ipv4.parse(b)).toMatchObject({ ok: true, value: { headerLen: 24, checksumOk: true, repr: { routerAlert: true, ttl: 1, tos: 0xc0, payloadLen: 8 } } });
  });

  it('uses Total Length, not the buffer length (Ethernet padding)', () => {
    const b = ipv4.emit({ src: '192.0.2.1', dst: '224.0.0.1', protocol: 2, ttl: 1, tos: 0, ident: 0, dontFragment: false, routerAlert: false }, new Uint8Array(8));
    const padded = new Uint8Array(46);
    padded.set(b);
    expect(ipv4.parse(padded)).toMatchObject({ ok: true, value: { repr: { payloadLen: 8 } } });
  });

  it('malformed headers', () => {
    expect(ipv4.parse(hex('45000073'))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
    expect(ipv4.parse(hex('65000014 00000000 01020000 c0000201 e0000001'))).toMatchObject({ ok: false, error: { reason: 'bad-version' } });
    expect(ipv4.parse(hex('44000014 00000000 01020000 c0000201 e0000001'))).toMatchObject({ ok: false, error: { reason: 'bad-header-length' } });
    expect(ipv4.parse(hex('46000018 00000000 01020000 c0000201 e0000001 94080000'))).toMatchObject({ ok: false, error: { reason: 'bad-header-length' } });
    expect(ipv4.parse(hex('45000040 00000000 01020000 c0000201 e0000001'))).toMatchObject({ ok: false, error: { reason: 'truncated' } });
  });

  it('never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => { if (b.length) b[0] = 0x40 | (b[0]! & 15); ipv4.parse(b); }), { numRuns: 2_000 });
  });
});

describe('IPv6', () => {
  it('emits and parses the Hop-by-Hop Router Alert (RFC 2711)', () => {
    const b = ipv6.emit({ src: 'fe80::1', dst: 'ff02::16', hopLimit: 1, nextHeader: 58, routerAlert: true }, new Uint8Array(8));
    expect(toHex(b.subarray(40, 48))).toBe('3a00050200000100');
    expect(ipv6.parse(b)).toEqual({ ok: true, value: { repr: { src: 'fe80::1', dst: 'ff02::16', hopLimit: 1, nextHeader: 58, routerAlert: true }, upperOffset: 48, upperLen: 8 } });
  });

  it('fragments are refused; never throws', () => {
    const b = ipv6.emit({ src: 'fe80::1', dst: 'ff02::16', hopLimit: 1, nextHeader: 44, routerAlert: false }, new Uint8Array(8));
    expect(ipv6.parse(b)).toMatchObject({ ok: false, error: { reason: 'fragmented' } });
    fc.assert(fc.property(fc.uint8Array({ minLength: 40, maxLength: 96 }), fc.constantFrom(0, 43, 60, 58), (b, nh) => {
      b[0] = 0x60; b[6] = nh; b[4] = 0; b[5] = b.length - 40;
      ipv6.parse(b);
    }), { numRuns: 2_000 });
  });
});

describe('MLD (RFC 2710, RFC 3810)', () => {
  it('float16 Maximum Response Code (RFC 3810 §5.1.3) both ways', () => {
    expect(mld.decodeFloat16(0x8000)).toBe(0x1000 << 3);
    for (let code = 0; code < 0x10000; code += 7) expect(mld.encodeFloat16(mld.decodeFloat16(code))).toBe(code);
    expect(mld.encodeFloat16(1e12)).toBe(0xffff);
  });

  it('round-trips queries, reports and done, and distinguishes v1/v2 queries by length (§8.1)', () => {
    const msgs: mld.MldRepr[] = [
      { type: 'query', version: 1, maxRespMs: 10_000, group: '::', suppress: false, qrv: 0, qqiSec: 0, sources: [] },
      { type: 'query', version: 2, maxRespMs: 10_000, group: 'ff02::cc', suppress: true, qrv: 2, qqiSec: 125, sources: ['2001:db8:1::1'] },
      { type: 'report', version: 1, group: 'ff05::1' },
      { type: 'done', group: 'ff05::1' },
      { type: 'v2-report', records: [{ recordType: 1, group: 'ff02::cc', sources: ['2001:db8:1::1', '2001:db8:1::2'] }, { recordType: 6, group: 'ff02::cd', sources: [] }] },
    ];
    for (const m of msgs) expect(mld.parse(mld.emit(m, { src: 'fe80::1', dst: 'ff02::1' }))).toEqual({ ok: true, value: m });
    expect(mld.parse(new Uint8Array(26).fill(0).map((_, i) => (i === 0 ? 130 : 0)))).toMatchObject({ ok: false, error: { reason: 'bad-length' } });
  });

  it('checksum covers the pseudo-header', () => {
    const body = mld.emit({ type: 'report', version: 1, group: 'ff05::1' }, { src: 'fe80::1', dst: 'ff05::1' });
    const pkt = ipv6.emit({ src: 'fe80::1', dst: 'ff05::1', hopLimit: 1, nextHeader: 58, routerAlert: false }, body);
    // recompute over pseudo-header + body
    const pseudo = new Uint8Array(40 + body.length);
    pseudo.set(pkt.subarray(8, 40), 0);
    pseudo.set([0, 0, 0, body.length, 0, 0, 0, 58], 32);
    pseudo.set(body, 40);
    expect(verifyInternetChecksum(pseudo)).toBe(true);
  });
});

describe('PIM Hello (RFC 7761 §4.9.2) and MRD (RFC 4286)', () => {
  it('PIM Hello round-trips; non-Hello types are recognised; version checked', () => {
    const hello: pim.PimRepr = { type: 'hello', holdtimeSec: 105, drPriority: 1, generationId: 0xdeadbeef };
    const b = pim.emit(hello);
    expect(toHex(b.subarray(0, 2))).toBe('2000');
    expect(verifyInternetChecksum(b)).toBe(true);
    expect(pim.parse(b)).toEqual({ ok: true, value: hello });
    expect(pim.parse(pim.emit({ type: 'other', pimType: 3 }))).toEqual({ ok: true, value: { type: 'other', pimType: 3 } });
    expect(pim.parse(hex('10000000'))).toMatchObject({ ok: false, error: { reason: 'bad-version' } });
  });

  it('MRD messages round-trip in both families', () => {
    const adv: mrd.MrdRepr = { type: 'advertisement', family: 4, advIntervalSec: 20, queryIntervalSec: 125, robustness: 2 };
    const b = mrd.emit(adv);
    expect([...b.subarray(0, 2), ...b.subarray(4)]).toEqual([0x30, 20, 0, 125, 0, 2]); // type, interval, QI, RV
    expect(verifyInternetChecksum(b)).toBe(true);
    expect(mrd.parse(b, 4)).toEqual({ ok: true, value: adv });
    for (const family of [4, 6] as const) {
      for (const type of ['solicitation', 'termination'] as const) {
        expect(mrd.parse(mrd.emit({ type, family }, { src: 'fe80::1', dst: 'ff02::6a' }), family)).toEqual({ ok: true, value: { type, family } });
      }
    }
    expect(mrd.parse(Uint8Array.from([151, 20, 0, 0, 0, 125, 0, 2]), 6)).toMatchObject({ ok: true, value: { type: 'advertisement', family: 6 } });
  });
});
