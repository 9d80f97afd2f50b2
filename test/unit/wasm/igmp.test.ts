// IGMP, PIM and IPv4 MRD: classification, checksums, lengths, where each message goes, rate limiting.

import { describe, expect, it } from 'vitest';
import {
  concat, hex, IGMP, igmpFrame, igmpMessage, igmpV2, igmpV3Query, igmpV3Report, internetChecksum, pimHelloFrame,
  ROUTER_ALERT, SELFTEST_IGMPV3,
} from '../../../src/testkit/frames.js';
import { decide, newCore, ports, runBatch } from './harness.js';
import { DESC_FLAG_CSUM_PARTIAL } from '../../../src/contract/constants.js';

const ROUTER = 2;
const HOSTS_BUT_INGRESS = ports(1, 2, 3);

function coreWithRouter() {
  const core = newCore();
  core.setRouterPorts(ports(ROUTER));
  return core;
}

describe('IGMPv3 reports from the Linux selftests (bridge_igmp.sh), to 224.0.0.1 without Router Alert', () => {
  for (const [name, payload] of Object.entries(SELFTEST_IGMPV3)) {
    it(`${name}: valid checksum, punted and sent to router ports only`, () => {
      expect(internetChecksum(payload)).toBe(0);
      const core = coreWithRouter();
      // Ethernet 01:00:5e:00:00:01 ← 02:00:00:00:00:01, IPv4 192.0.2.1 → 224.0.0.1 ttl 1 proto 2, IGMPv3 report.
      const v = decide(core, igmpFrame(payload));
      expect(v).toMatchObject({ action: 'punt_and_forward', punt: 'igmp', ports: ports(ROUTER), l3Offset: 14 });
      expect(core.counters().ports[0]!.messages.igmp_v3_report).toBe(1);
    });
  }

  it('is punted only (no forwarding) when there is no router port', () => {
    const core = newCore();
    const v = decide(core, igmpFrame(SELFTEST_IGMPV3.IS_INC));
    expect(v).toMatchObject({ action: 'punt', punt: 'igmp', ports: 0n });
    expect(core.counters().ports[0]!.events.punt).toBe(1);
  });

  it('also goes to floodReports ports, never back to the ingress', () => {
    const core = coreWithRouter();
    core.setPortFlags(0n, ports(0, 3), 0n);
    expect(decide(core, igmpFrame(SELFTEST_IGMPV3.ALLOW))).toMatchObject({ ports: ports(ROUTER, 3) });
    expect(decide(core, igmpFrame(SELFTEST_IGMPV3.ALLOW), ROUTER)).toMatchObject({ action: 'punt_and_forward', ports: ports(0, 3) });
  });

  it('a v3 report with a Router Alert option (IHL 6) is handled the same', () => {
    const core = coreWithRouter();
    const v = decide(core, igmpFrame(SELFTEST_IGMPV3.BLOCK, { dst: '224.0.0.22', options: ROUTER_ALERT }));
    expect(v).toMatchObject({ action: 'punt_and_forward', ports: ports(ROUTER) });
  });
});

describe('IGMP queries (RFC 3376 §7.1 version by length and code)', () => {
  it('v1 (8 octets, code 0), v2 (8 octets, code ≠ 0) and v3 (≥ 12 octets) are punted and flooded', () => {
    const core = coreWithRouter();
    const v = runBatch(core, [
      // IGMPv1 query, group 0.0.0.0
      [igmpFrame(igmpV2(IGMP.query, '0.0.0.0', 0)), 0],
      // IGMPv2 general query, max resp 10 s
      [igmpFrame(igmpV2(IGMP.query, '0.0.0.0', 100)), 0],
      // IGMPv3 group-and-source-specific query
      [igmpFrame(igmpV3Query('239.10.10.10', ['192.0.2.1']), { dst: '239.10.10.10' }), 0],
    ]);
    for (const x of v) expect(x).toMatchObject({ action: 'punt_and_forward', punt: 'igmp', ports: HOSTS_BUT_INGRESS });
    expect(core.counters().ports[0]!.messages).toMatchObject({ igmp_v1_query: 1, igmp_v2_query: 1, igmp_v3_query: 1 });
  });

  it('a 10-octet query, or a v3 query whose sources overrun it, is ignored (igmp_length)', () => {
    const core = newCore();
    expect(decide(core, igmpFrame(igmpMessage(IGMP.query, 100, hex('000000000000'))))).toMatchObject({ reason: 'igmp_length' });
    const overrun = igmpMessage(IGMP.query, 100, hex('ef0a0a0a 02 7d 0002 c0000201')); // says 2 sources, has 1
    expect(decide(core, igmpFrame(overrun))).toMatchObject({ action: 'drop', reason: 'igmp_length' });
  });
});

describe('IGMPv1/v2 reports and leaves', () => {
  it('go to router ports only and are counted by type', () => {
    const core = coreWithRouter();
    const v = runBatch(core, [
      // IGMPv1 report for 239.1.1.1, sent to the group
      [igmpFrame(igmpV2(IGMP.v1Report, '239.1.1.1'), { dst: '239.1.1.1' }), 0],
      // IGMPv2 report for 239.1.1.1
      [igmpFrame(igmpV2(IGMP.v2Report, '239.1.1.1'), { dst: '239.1.1.1' }), 1],
      // IGMPv2 leave for 239.1.1.1, to all-routers 224.0.0.2
      [igmpFrame(igmpV2(IGMP.v2Leave, '239.1.1.1'), { dst: '224.0.0.2' }), 3],
    ]);
    for (const x of v) expect(x).toMatchObject({ action: 'punt_and_forward', punt: 'igmp', ports: ports(ROUTER) });
    const t = core.counters().messages;
    expect(t).toMatchObject({ igmp_v1_report: 1, igmp_v2_report: 1, igmp_v2_leave: 1 });
  });

  it('a report shorter than 8 octets is dropped (igmp_length)', () => {
    const core = coreWithRouter();
    expect(decide(core, igmpFrame(igmpMessage(IGMP.v2Report, 0, hex('ef01'))))).toMatchObject({ reason: 'igmp_length' });
    // Fewer than 4 octets: not even a checksum.
    expect(decide(core, igmpFrame(hex('1600ff')))).toMatchObject({ reason: 'igmp_length' });
  });
});

describe('IGMPv3 report record walk', () => {
  it('accepts several records with sources', () => {
    const core = coreWithRouter();
    const report = igmpV3Report([
      { type: 1, group: '239.1.1.1', sources: ['192.0.2.1', '192.0.2.2'] },
      { type: 4, group: '239.1.1.2' },
      { type: 6, group: '239.1.1.3', sources: ['192.0.2.9'] },
    ]);
    expect(decide(core, igmpFrame(report, { dst: '224.0.0.22' }))).toMatchObject({ action: 'punt_and_forward' });
  });

  it('a huge record count cannot walk past the message (igmp_length, no hang)', () => {
    const core = coreWithRouter();
    const report = igmpV3Report([{ type: 1, group: '239.1.1.1' }]);
    report[6] = 0xff;
    report[7] = 0xff;
    report.set([0, 0], 2);
    const sum = internetChecksum(report);
    report.set([sum >> 8, sum & 0xff], 2);
    expect(decide(core, igmpFrame(report))).toMatchObject({ action: 'drop', reason: 'igmp_length' });
  });

  it('a record whose sources overrun the message is dropped (igmp_length)', () => {
    const core = coreWithRouter();
    const report = igmpV3Report([{ type: 1, group: '239.1.1.1', sources: ['192.0.2.1'] }]);
    report[11] = 5; // record claims 5 sources
    report.set([0, 0], 2);
    const sum = internetChecksum(report);
    report.set([sum >> 8, sum & 0xff], 2);
    expect(decide(core, igmpFrame(report))).toMatchObject({ action: 'drop', reason: 'igmp_length' });
  });
});

describe('integrity: bad IP and IGMP headers are dropped, counted and never punted (RFC 4541 2.1.1, 2.1.2(6))', () => {
  it('bad IGMP checksum → igmp_checksum', () => {
    const core = coreWithRouter();
    core.writeFrame(0, igmpFrame(igmpV2(IGMP.v2Report, '239.1.1.1', 0, true), { dst: '239.1.1.1' }), 0);
    expect(core.process(1, 0)).toBe(0);
    expect(core.verdict(0)).toMatchObject({ action: 'drop', reason: 'igmp_checksum', punt: 'none' });
    const c = core.counters().ports[0]!;
    expect(c.drops.igmp_checksum).toBe(1);
    expect(c.events.punt).toBe(0);
    expect(c.messages.igmp_v2_report).toBe(0);
  });

  it('a bad checksum on a selftest payload (one bit flipped) → igmp_checksum', () => {
    const core = coreWithRouter();
    const bad = SELFTEST_IGMPV3.IS_EXC.slice();
    bad[15] = bad[15]! ^ 0x01;
    expect(decide(core, igmpFrame(bad))).toMatchObject({ action: 'drop', reason: 'igmp_checksum' });
  });

  it('bad IPv4 header checksum → ipv4_checksum', () => {
    const core = coreWithRouter();
    expect(decide(core, igmpFrame(SELFTEST_IGMPV3.IS_INC, { badChecksum: true }))).toMatchObject({ reason: 'ipv4_checksum' });
    expect(core.counters().ports[0]!.drops.ipv4_checksum).toBe(1);
  });

  it('IHL < 5, wrong version, or a total length beyond the frame → ipv4_header', () => {
    const core = coreWithRouter();
    const frame = igmpFrame(SELFTEST_IGMPV3.IS_INC);
    const ihl4 = frame.slice();
    ihl4[14] = 0x44;
    const v6 = frame.slice();
    v6[14] = 0x65;
    const long = igmpFrame(SELFTEST_IGMPV3.IS_INC, { totalLength: 20 + 28 + 1 });
    const short = igmpFrame(SELFTEST_IGMPV3.IS_INC, { totalLength: 19 });
    for (const f of [ihl4, v6, long, short]) expect(decide(core, f)).toMatchObject({ action: 'drop', reason: 'ipv4_header' });
  });

  it('fragmented IGMP (MF set, or an offset) → igmp_fragment', () => {
    const core = coreWithRouter();
    expect(decide(core, igmpFrame(SELFTEST_IGMPV3.IS_INC, { moreFragments: true }))).toMatchObject({ reason: 'igmp_fragment' });
    expect(decide(core, igmpFrame(SELFTEST_IGMPV3.IS_INC, { fragmentOffset: 3 }))).toMatchObject({ reason: 'igmp_fragment' });
  });

  it('IGMP whose MAC is not its group MAC → mac_ip_mismatch', () => {
    const core = coreWithRouter();
    const f = igmpFrame(SELFTEST_IGMPV3.IS_INC, { dstMac: '01:00:5e:00:00:02' });
    expect(decide(core, f)).toMatchObject({ action: 'drop', reason: 'mac_ip_mismatch' });
    // A unicast MAC is bridged by the FDB whatever it carries (Linux and OVS snoop group MACs only).
    const unicast = igmpFrame(igmpV2(IGMP.v2Report, '239.1.1.1'), { dst: '239.1.1.1', dstMac: '02:00:00:00:00:99' });
    expect(decide(core, unicast)).toMatchObject({ action: 'forward' });
  });

  it('with CSUM_PARTIAL the IGMP checksum is left to offload and not verified', () => {
    const core = coreWithRouter();
    const f = igmpFrame(igmpV2(IGMP.v2Report, '239.1.1.1', 0, true), { dst: '239.1.1.1' });
    expect(decide(core, f, 0, DESC_FLAG_CSUM_PARTIAL)).toMatchObject({ action: 'punt_and_forward' });
  });
});

describe('other IGMP types', () => {
  it('unknown types are flooded unchanged, counted, not punted (RFC 4541 2.1.1(3))', () => {
    const core = coreWithRouter();
    // IGMP type 0x99 (unassigned), 8 octets
    const v = decide(core, igmpFrame(igmpV2(0x99, '0.0.0.0')));
    expect(v).toMatchObject({ action: 'forward', punt: 'none', ports: HOSTS_BUT_INGRESS });
    expect(core.counters().ports[0]!.messages.igmp_unknown).toBe(1);
  });

  it('counts TTL ≠ 1 and still processes the message', () => {
    const core = coreWithRouter();
    const v = decide(core, igmpFrame(SELFTEST_IGMPV3.IS_INC, { ttl: 64 }));
    expect(v).toMatchObject({ action: 'punt_and_forward' });
    expect(core.counters().ports[0]!.events.igmp_ttl).toBe(1);
  });

  it('MRD advertisement, solicitation and termination (RFC 4286) are punted and flooded', () => {
    const core = coreWithRouter();
    const v = runBatch(core, [
      // MRD advertisement, interval 20 s, query interval 125, robustness 2, to All-Snoopers 224.0.0.106
      [igmpFrame(igmpMessage(IGMP.mrdAdvertisement, 20, hex('007d0002')), { dst: '224.0.0.106' }), 1],
      // MRD solicitation to all-routers
      [igmpFrame(igmpMessage(IGMP.mrdSolicitation, 0, new Uint8Array(0)), { dst: '224.0.0.2' }), 1],
      // MRD termination to All-Snoopers
      [igmpFrame(igmpMessage(IGMP.mrdTermination, 0, new Uint8Array(0)), { dst: '224.0.0.106' }), 1],
    ]);
    for (const x of v) expect(x).toMatchObject({ action: 'punt_and_forward', punt: 'mrd', ports: ports(0, 2, 3) });
    expect(core.counters().ports[1]!.messages).toMatchObject({ mrd_advertisement: 1, mrd_solicitation: 1, mrd_termination: 1 });
  });

  it('a 4-octet MRD advertisement is too short (igmp_length)', () => {
    const core = coreWithRouter();
    const f = igmpFrame(igmpMessage(IGMP.mrdAdvertisement, 20, new Uint8Array(0)), { dst: '224.0.0.106' });
    expect(decide(core, f)).toMatchObject({ action: 'drop', reason: 'igmp_length' });
  });
});

describe('report rate limit (per port token bucket)', () => {
  it('drops reports beyond the burst, refills at the rate, leaves queries alone', () => {
    const core = coreWithRouter();
    core.setReportRate(1, 2);
    const report = igmpFrame(SELFTEST_IGMPV3.IS_INC);
    const query = igmpFrame(igmpV2(IGMP.query, '0.0.0.0', 100));
    const first = runBatch(core, [[report, 0], [report, 0], [report, 0], [query, 0], [report, 1]], 5000);
    expect(first.map((v) => v.reason)).toEqual(['none', 'none', 'report_rate_limit', 'none', 'none']);
    expect(first[2]).toMatchObject({ action: 'drop', punt: 'none' });
    expect(decide(core, report, 0, 0, 5999)).toMatchObject({ reason: 'report_rate_limit' });
    expect(decide(core, report, 0, 0, 7000)).toMatchObject({ action: 'punt_and_forward' });
    expect(core.counters().ports[0]!.drops.report_rate_limit).toBe(2);
    core.setReportRate(0, 0);
    expect(runBatch(core, Array.from({ length: 10 }, () => [report, 0] as [Uint8Array, number]), 7000)
      .every((v) => v.action === 'punt_and_forward')).toBe(true);
  });
});

describe('PIM (IP protocol 103) to 224.0.0.13', () => {
  it('a PIMv2 Hello is punted and flooded', () => {
    const core = coreWithRouter();
    // PIMv2 Hello, Holdtime 105 s, 192.0.2.1 → 224.0.0.13
    expect(decide(core, pimHelloFrame(), 1)).toMatchObject({ action: 'punt_and_forward', punt: 'pim', ports: ports(0, 2, 3) });
    expect(core.counters().ports[1]!.messages.pim_hello).toBe(1);
  });

  it('a Hello with a bad checksum is dropped (pim_checksum)', () => {
    const core = coreWithRouter();
    expect(decide(core, pimHelloFrame({ badChecksum: true }))).toMatchObject({ action: 'drop', reason: 'pim_checksum' });
  });

  it('other PIM messages are flooded as 224.0.0.X traffic; a truncated header is dropped (pim_length)', () => {
    const core = coreWithRouter();
    const assert = pimHelloFrame();
    assert[14 + 20] = 0x25; // PIMv2 Assert
    expect(decide(core, assert)).toMatchObject({ action: 'forward', punt: 'none' });
    const f = pimHelloFrame();
    const short = concat(f.slice(0, 14 + 20), hex('2000'));
    short[14 + 3] = 22; // total length 22
    short[14 + 10] = 0;
    short[14 + 11] = 0;
    const sum = internetChecksum(short.slice(14, 34));
    short[14 + 10] = sum >> 8;
    short[14 + 11] = sum & 0xff;
    expect(decide(core, short)).toMatchObject({ action: 'drop', reason: 'pim_length' });
  });
});
