// Complete control frames: decoding punted frames and building the frames the engine sends.
// Reusable checker in the gVisor style: expectIgmpFrame(frame, { … }).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyInternetChecksum } from '../../../src/wire/checksum.js';
import {
  buildIgmpFrame, buildIpv4Frame, buildMrdSolicitationFrame, buildQueryFrame, decodeControlFrame, generalQuery,
  groupQuery, groupSourceQuery, l3OffsetOf,
} from '../../../src/wire/control-frame.js';
import * as ethernet from '../../../src/wire/ethernet.js';
import type { IgmpRepr } from '../../../src/wire/igmp.js';
import * as ipv6 from '../../../src/wire/ipv6.js';
import * as mld from '../../../src/wire/mld.js';
import * as pim from '../../../src/wire/pim.js';

const MAC = '02:00:00:00:00:fe';

/** Check a frame carrying IGMP: Ethernet, IPv4 header fields, checksums, and the message. */
function expectIgmpFrame(frame: Uint8Array, want: { dstMac: string; vlan?: number; src: string; dst: string; ttl?: number; routerAlert?: boolean; message: IgmpRepr }): void {
  const eth = ethernet.parse(frame);
  if (!eth.ok) throw new Error('bad Ethernet header');
  expect(eth.value.repr.dst, 'dst MAC').toBe(want.dstMac);
  expect(eth.value.repr.vlan ?? 0, 'VLAN').toBe(want.vlan ?? 0);
  const off = eth.value.payloadOffset;
  const ihl = (frame[off]! & 15) * 4;
  expect(verifyInternetChecksum(frame, off, off + ihl), 'IPv4 header checksum').toBe(true);
  const total = (frame[off + 2]! << 8) | frame[off + 3]!;
  expect(verifyInternetChecksum(frame, off + ihl, off + total), 'IGMP checksum').toBe(true);
  const d = decodeControlFrame(frame, off);
  expect(d).toEqual({ ok: true, value: { kind: 'igmp', family: 4, src: want.src, dst: want.dst, ttl: want.ttl ?? 1, routerAlert: want.routerAlert ?? true, srcMac: MAC, message: want.message } });
}

describe('query frames (RFC 2236 §2, RFC 3376 §4: TTL 1, Router Alert)', () => {
  const p3 = { version: 3 as const, maxRespDs: 100, qrv: 2, qqiSec: 125 };

  it('general query → 224.0.0.1, untagged and tagged', () => {
    const q = generalQuery(p3);
    expectIgmpFrame(buildQueryFrame({ srcMac: MAC, src: '192.0.2.254', vlan: 0, query: q }), { dstMac: '01:00:5e:00:00:01', src: '192.0.2.254', dst: '224.0.0.1', message: q });
    expectIgmpFrame(buildQueryFrame({ srcMac: MAC, src: '0.0.0.0', vlan: 42, query: q }), { dstMac: '01:00:5e:00:00:01', vlan: 42, src: '0.0.0.0', dst: '224.0.0.1', message: q });
    const f = buildQueryFrame({ srcMac: MAC, src: '192.0.2.254', vlan: 0, query: q });
    expect(f[15]).toBe(0xc0); // TOS: internetwork control
    expect(f.length).toBe(60);
  });

  it('group-specific and group-and-source-specific queries → the group address', () => {
    const q = groupQuery(p3, '239.1.2.3', true);
    expectIgmpFrame(buildQueryFrame({ srcMac: MAC, src: '192.0.2.254', vlan: 0, query: q }), { dstMac: '01:00:5e:01:02:03', src: '192.0.2.254', dst: '239.1.2.3', message: q });
    const qs = groupSourceQuery(p3, '239.1.2.3', ['192.0.2.1', '192.0.2.2'], false);
    expectIgmpFrame(buildQueryFrame({ srcMac: MAC, src: '192.0.2.254', vlan: 0, query: qs }), { dstMac: '01:00:5e:01:02:03', src: '192.0.2.254', dst: '239.1.2.3', message: qs });
    const v2 = groupQuery({ version: 2, maxRespDs: 10, qrv: 2, qqiSec: 125 }, '239.1.2.3', true);
    expect(v2).toMatchObject({ version: 2, suppress: false, qrv: 0, qqiSec: 0 });
    const f = buildQueryFrame({ srcMac: MAC, src: '192.0.2.254', vlan: 0, query: v2 });
    expect((f[16]! << 8 | f[17]!) - 24).toBe(8); // an 8-octet IGMPv2 message
    expectIgmpFrame(f, { dstMac: '01:00:5e:01:02:03', src: '192.0.2.254', dst: '239.1.2.3', message: v2 });
  });

  it('MRD solicitation → All-Routers, TTL 1, Router Alert (RFC 4286 §4), v4 and v6', () => {
    const f4 = buildMrdSolicitationFrame({ srcMac: MAC, src: '192.0.2.254', vlan: 0 });
    expect(decodeControlFrame(f4, 14)).toEqual({ ok: true, value: { kind: 'mrd', family: 4, src: '192.0.2.254', dst: '224.0.0.2', ttl: 1, routerAlert: true, srcMac: MAC, message: { type: 'solicitation', family: 4 } } });
    const f6 = buildMrdSolicitationFrame({ srcMac: MAC, src: 'fe80::1', vlan: 5, family: 6 });
    expect(decodeControlFrame(f6, l3OffsetOf(f6))).toEqual({ ok: true, value: { kind: 'mrd', family: 6, src: 'fe80::1', dst: 'ff02::2', ttl: 1, routerAlert: true, srcMac: MAC, message: { type: 'solicitation', family: 6 } } });
  });
});

describe('decodeControlFrame', () => {
  it('a v2 query in a padded 60-byte frame is an IGMPv2 query, not a bad-length v3 one', () => {
    const q = groupQuery({ version: 2, maxRespDs: 10, qrv: 0, qqiSec: 0 }, '239.1.1.1', false);
    const f = buildIgmpFrame({ srcMac: MAC, src: '192.0.2.1', dst: '239.1.1.1', vlan: 0, routerAlert: false, message: q });
    expect(f.length).toBe(60);
    expect(decodeControlFrame(f, 14)).toMatchObject({ ok: true, value: { message: { type: 'query', version: 2 } } });
  });

  it('PIM and MLD frames', () => {
    const p = buildIpv4Frame({ srcMac: MAC, src: '192.0.2.9', dst: pim.ALL_PIM_ROUTERS_V4, vlan: 0, protocol: 103, routerAlert: false, payload: pim.emit({ type: 'hello', holdtimeSec: 105, drPriority: null, generationId: null }) });
    expect(decodeControlFrame(p, 14)).toMatchObject({ ok: true, value: { kind: 'pim', family: 4, routerAlert: false, message: { type: 'hello', holdtimeSec: 105 } } });
    const body = mld.emit({ type: 'v2-report', records: [{ recordType: 2, group: 'ff02::cc', sources: [] }] }, { src: 'fe80::1', dst: 'ff02::16' });
    const m = ethernet.emit({ dst: '33:33:00:00:00:16', src: MAC, vlan: null, pcp: 0, ethertype: 0x86dd }, ipv6.emit({ src: 'fe80::1', dst: 'ff02::16', hopLimit: 1, nextHeader: 58, routerAlert: true }, body));
    expect(decodeControlFrame(m, 14)).toMatchObject({ ok: true, value: { kind: 'mld', family: 6, ttl: 1, routerAlert: true, message: { type: 'v2-report' } } });
  });

  it('errors: bad offsets, non-control protocols, fragments', () => {
    const udp = buildIpv4Frame({ srcMac: MAC, src: '192.0.2.1', dst: '239.1.1.1', vlan: 0, protocol: 17, payload: new Uint8Array(8) });
    expect(decodeControlFrame(udp, 14)).toMatchObject({ ok: false, error: { layer: 'ipv4', reason: 'not-control' } });
    expect(decodeControlFrame(udp, 2)).toMatchObject({ ok: false, error: { reason: 'truncated' } });
    expect(decodeControlFrame(udp, 1e6)).toMatchObject({ ok: false });
    const frag = udp.slice();
    frag[14 + 6] = 0x20; // MF
    expect(decodeControlFrame(frag, 14)).toMatchObject({ ok: false, error: { reason: 'fragmented' } });
  });

  it('the frame path (parseAt, no slicing) gives the same message as igmp.parse for any IGMP message', () => {
    const addr = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
    const msg: fc.Arbitrary<IgmpRepr> = fc.oneof(
      fc.record({ type: fc.constant('v3-report' as const), records: fc.array(fc.record({ recordType: fc.integer({ min: 1, max: 6 }), group: addr, sources: fc.array(addr, { maxLength: 6 }) }), { maxLength: 5 }) }),
      fc.record({ type: fc.constant('report' as const), version: fc.constantFrom(1 as const, 2 as const), group: addr }),
      fc.record({ type: fc.constant('query' as const), version: fc.constant(3 as const), maxRespDs: fc.nat(127), group: addr, suppress: fc.boolean(), qrv: fc.nat(7), qqiSec: fc.nat(127), sources: fc.array(addr, { maxLength: 6 }) }),
    );
    fc.assert(fc.property(msg, fc.nat(4095), (m, vlan) => {
      const f = buildIgmpFrame({ srcMac: MAC, src: '192.0.2.1', dst: '224.0.0.22', vlan, message: m });
      const d = decodeControlFrame(f, l3OffsetOf(f));
      expect(d.ok && d.value.kind === 'igmp' ? d.value.message : null).toEqual(m);
    }), { numRuns: 300 });
  });

  it('never throws on garbage', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: -2, max: 220 }), fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x00), fc.constantFrom(2, 103, 58, 0, 17),
      (b, off, ver, proto) => {
        if (off >= 0 && off < b.length) b[off] = ver;
        if (off + 9 < b.length && ver >> 4 === 4) b[off + 9] = proto;
        if (off + 6 < b.length && ver >> 4 === 6) b[off + 6] = proto;
        decodeControlFrame(b, off);
      }), { numRuns: 5_000 });
  });
});
