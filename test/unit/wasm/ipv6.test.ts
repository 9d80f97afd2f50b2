// IPv6: header checks, the Hop-by-Hop walk, MLD and ICMPv6 MRD (checksum with pseudo-header), flooding until MLD
// snooping is switched on.

import { describe, expect, it } from 'vitest';
import {
  concat, ETHERTYPE_IPV6, ethernet, hex, icmpv6, icmpv6Frame, ipv6, ipv6MulticastData, LINK_LOCAL_H1, MLD, mldV1Body,
  mldV2ReportBody, MRD6, NH_HOP_BY_HOP, NH_ICMPV6,
} from '../../../src/testkit/frames.js';
import { decide, newCore, ports } from './harness.js';

/**
 * Complete frames from the Linux selftest tools/testing/selftests/net/forwarding/bridge_mld.sh:
 * 33:33:00:00:00:01 ← fe:54:00:04:5e:ba, IPv6 fe80::fc54:ff:fe04:5eba → ff02::1 hop limit 1, Hop-by-Hop Router
 * Alert (MLD), ICMPv6 143 MLDv2 report, one record for ff02::cc with sources in 2001:db8:1::/64.
 */
const SELFTEST_MLDV2 = {
  /** is_include 2001:db8:1::1, ::2, ::3 */
  IS_INC: hex(`33:33:00:00:00:01:fe:54:00:04:5e:ba:86:dd:60:0a:2d:ae:00:54:00:01:fe:80:00:
00:00:00:00:00:fc:54:00:ff:fe:04:5e:ba:ff:02:00:00:00:00:00:00:00:00:00:00:00:00:00:01:3a:
00:05:02:00:00:00:00:8f:00:8e:d9:00:00:00:01:01:00:00:03:ff:02:00:00:00:00:00:00:00:00:00:
00:00:00:00:cc:20:01:0d:b8:00:01:00:00:00:00:00:00:00:00:00:01:20:01:0d:b8:00:01:00:00:00:
00:00:00:00:00:00:02:20:01:0d:b8:00:01:00:00:00:00:00:00:00:00:00:03`),
  /** allow 2001:db8:1::20, ::30 */
  ALLOW2: hex(`33:33:00:00:00:01:fe:54:00:04:5e:ba:86:dd:60:0a:2d:ae:00:44:00:01:fe:80:00:00:00:
00:00:00:fc:54:00:ff:fe:04:5e:ba:ff:02:00:00:00:00:00:00:00:00:00:00:00:00:00:01:3a:00:05:02:00:
00:00:00:8f:00:b8:5a:00:00:00:01:05:00:00:02:ff:02:00:00:00:00:00:00:00:00:00:00:00:00:00:cc:20:
01:0d:b8:00:01:00:00:00:00:00:00:00:00:00:20:20:01:0d:b8:00:01:00:00:00:00:00:00:00:00:00:30`),
};

const ALL_BUT_0 = ports(1, 2, 3);

describe('MLD (punted and flooded while MLD snooping is off)', () => {
  for (const [name, frame] of Object.entries(SELFTEST_MLDV2)) {
    it(`selftest MLDv2 ${name}: checksum verified, punted, flooded`, () => {
      const core = newCore();
      core.setRouterPorts(ports(2));
      expect(decide(core, frame)).toMatchObject({ action: 'punt_and_forward', punt: 'mld', ports: ALL_BUT_0, l3Offset: 14 });
      expect(core.counters().ports[0]!.messages.mld_v2_report).toBe(1);
    });
  }

  it('MLDv1 report, done and queries (v1: 24 octets, v2: ≥ 28) are recognised and counted', () => {
    const core = newCore();
    const frames = [
      // MLDv1 report for ff02::cc, to the group
      icmpv6Frame(MLD.v1Report, 0, mldV1Body('ff02::cc'), { dst: 'ff02::cc' }),
      // MLDv1 done for ff02::cc, to all-routers
      icmpv6Frame(MLD.done, 0, mldV1Body('ff02::cc'), { dst: 'ff02::2' }),
      // MLDv1 general query, to all-nodes
      icmpv6Frame(MLD.query, 0, mldV1Body('::', 10000), { dst: 'ff02::1' }),
      // MLDv2 general query (QRV 2, QQIC 125, no sources)
      icmpv6Frame(MLD.query, 0, concat(mldV1Body('::', 10000), hex('027d0000')), { dst: 'ff02::1' }),
    ];
    for (const f of frames) expect(decide(core, f)).toMatchObject({ action: 'punt_and_forward', punt: 'mld', ports: ALL_BUT_0 });
    expect(core.counters().ports[0]!.messages).toMatchObject({ mld_v1_report: 1, mld_done: 1, mld_query: 2 });
  });

  it('is found without a Hop-by-Hop header too', () => {
    const core = newCore();
    const f = icmpv6Frame(MLD.v2Report, 0, mldV2ReportBody([{ type: 1, group: 'ff05::1' }]), { hopByHop: false });
    expect(decide(core, f)).toMatchObject({ action: 'punt_and_forward', punt: 'mld', l3Offset: 14 });
  });

  it('a bad ICMPv6 checksum is dropped, counted and never punted', () => {
    const core = newCore();
    const bad = SELFTEST_MLDV2.IS_INC.slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x01;
    core.writeFrame(0, bad, 0);
    expect(core.process(1, 0)).toBe(0);
    expect(core.verdict(0)).toMatchObject({ action: 'drop', reason: 'icmpv6_checksum', punt: 'none' });
    const f = icmpv6Frame(MLD.v1Report, 0, mldV1Body('ff02::cc'), { dst: 'ff02::cc', badChecksum: true });
    expect(decide(core, f)).toMatchObject({ reason: 'icmpv6_checksum' });
    expect(core.counters().ports[0]!.drops.icmpv6_checksum).toBe(2);
  });

  it('a 26-octet query, a short report and an overrunning record are dropped (icmpv6_length)', () => {
    const core = newCore();
    const q26 = icmpv6Frame(MLD.query, 0, concat(mldV1Body('::'), hex('0000')), { dst: 'ff02::1' });
    const shortReport = icmpv6Frame(MLD.v1Report, 0, mldV1Body('ff02::cc').slice(0, 12), { dst: 'ff02::cc' });
    const body = mldV2ReportBody([{ type: 1, group: 'ff05::1' }]);
    body[3] = 200; // 200 records, one present
    const overrun = icmpv6Frame(MLD.v2Report, 0, body);
    for (const f of [q26, shortReport, overrun]) expect(decide(core, f)).toMatchObject({ action: 'drop', reason: 'icmpv6_length' });
  });

  it('ICMPv6 MRD advertisement, solicitation and termination are punted and flooded', () => {
    const core = newCore();
    const v = [
      // MRD advertisement (interval 20, QI 125, RV 2) to ff02::6a
      icmpv6Frame(MRD6.advertisement, 20, hex('007d0002'), { dst: 'ff02::6a' }),
      // MRD solicitation to ff02::2
      icmpv6Frame(MRD6.solicitation, 0, new Uint8Array(0), { dst: 'ff02::2' }),
      // MRD termination to ff02::6a
      icmpv6Frame(MRD6.termination, 0, new Uint8Array(0), { dst: 'ff02::6a' }),
    ].map((f) => decide(core, f));
    for (const x of v) expect(x).toMatchObject({ action: 'punt_and_forward', punt: 'mrd', ports: ALL_BUT_0 });
    expect(core.counters().ports[0]!.messages).toMatchObject({ mrd_advertisement: 1, mrd_solicitation: 1, mrd_termination: 1 });
    const short = icmpv6Frame(MRD6.advertisement, 20, new Uint8Array(0), { dst: 'ff02::6a' });
    expect(decide(core, short)).toMatchObject({ reason: 'icmpv6_length' });
  });

  it('other ICMPv6 (neighbour solicitation) is flooded without being checked or punted', () => {
    const core = newCore();
    const ns = icmpv6Frame(135, 0, new Uint8Array(20), { dst: 'ff02::1:ff00:1', hopByHop: false, badChecksum: true });
    expect(decide(core, ns)).toMatchObject({ action: 'forward', punt: 'none', ports: ALL_BUT_0 });
  });
});

describe('IPv6 header and addresses', () => {
  it('floods IPv6 multicast data (RFC 4541 2.1.2(4)), including ff02::1', () => {
    const core = newCore();
    core.mdbSet(0, 'ff0e::1234', null, ports(1));
    expect(decide(core, ipv6MulticastData('ff0e::1234'))).toMatchObject({ action: 'forward', ports: ALL_BUT_0 });
    expect(decide(core, ipv6MulticastData('ff02::1'))).toMatchObject({ action: 'forward', ports: ALL_BUT_0 });
  });

  it('drops a payload length beyond the frame, a wrong version, and a Hop-by-Hop header past the payload (ipv6_header)', () => {
    const core = newCore();
    const long = ethernet({
      dst: '33:33:00:00:00:01', src: '02:00:00:00:00:01', type: ETHERTYPE_IPV6,
      payload: ipv6({ src: LINK_LOCAL_H1, dst: 'ff02::1', nextHeader: 17, payload: new Uint8Array(8), payloadLength: 9 }),
    });
    const v4 = long.slice();
    v4[14] = 0x40;
    const hbh = ethernet({
      dst: '33:33:00:00:00:01', src: '02:00:00:00:00:01', type: ETHERTYPE_IPV6,
      payload: ipv6({ src: LINK_LOCAL_H1, dst: 'ff02::1', nextHeader: NH_HOP_BY_HOP, payload: hex('3a01050200000000') }),
    });
    for (const f of [long, v4, hbh]) expect(decide(core, f)).toMatchObject({ action: 'drop', reason: 'ipv6_header' });
  });

  it('drops a 33:33 MAC that does not carry its group (mac_ip_mismatch)', () => {
    const core = newCore();
    const wrongGroup = icmpv6Frame(MLD.v1Report, 0, mldV1Body('ff02::cc'), { dst: 'ff02::cc', dstMac: '33:33:00:00:00:cd' });
    const unicastDst = ethernet({
      dst: '33:33:00:00:00:01', src: '02:00:00:00:00:01', type: ETHERTYPE_IPV6,
      payload: ipv6({ src: LINK_LOCAL_H1, dst: 'fe80::1', nextHeader: NH_ICMPV6, payload: icmpv6(LINK_LOCAL_H1, 'fe80::1', 128, 0, new Uint8Array(4)) }),
    });
    for (const f of [wrongGroup, unicastDst]) expect(decide(core, f)).toMatchObject({ action: 'drop', reason: 'mac_ip_mismatch' });
  });
});

describe('MLD snooping switched on', () => {
  it('forwards IPv6 multicast by the MDB, keeps ff02::1 flooded, and sends reports to router ports', () => {
    const core = newCore();
    core.setMldSnooping(true);
    core.setRouterPorts(ports(2));
    core.mdbSet(0, 'ff0e::1234', null, ports(1));
    expect(decide(core, ipv6MulticastData('ff0e::1234'))).toMatchObject({ ports: ports(1, 2) });
    expect(decide(core, ipv6MulticastData('ff0e::9999'))).toMatchObject({ ports: ports(2) });
    expect(decide(core, ipv6MulticastData('ff02::1'))).toMatchObject({ ports: ALL_BUT_0 });
    expect(decide(core, SELFTEST_MLDV2.IS_INC)).toMatchObject({ action: 'punt_and_forward', punt: 'mld', ports: ports(2) });
  });
});
