// igmpswitch decode, offline: frames built with the product's own emit code (src/wire), decoded field by field.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.js';
import { decodeFrame, type DecodedFrame } from '../../../src/decode/frame.js';
import type { DecodedField } from '../../../src/decode/model.js';
import { pcapGlobalHeader, pcapngHeader, pcapngPacket, pcapRecord, readCapture } from '../../../src/mgmt/pcap.js';
import { ipv6MulticastMac } from '../../../src/wire/common.js';
import { buildIgmpFrame, buildIpv4Frame, buildMrdSolicitationFrame, buildQueryFrame, generalQuery, groupQuery } from '../../../src/wire/control-frame.js';
import * as ethernet from '../../../src/wire/ethernet.js';
import * as igmp from '../../../src/wire/igmp.js';
import * as ipv4 from '../../../src/wire/ipv4.js';
import * as ipv6 from '../../../src/wire/ipv6.js';
import * as mld from '../../../src/wire/mld.js';
import * as mrd from '../../../src/wire/mrd.js';
import * as pim from '../../../src/wire/pim.js';

const HOST_MAC = '02:00:00:00:00:03';

function report(group: string, o: { ttl?: number; routerAlert?: boolean; dst?: string; version?: 1 | 2 } = {}): Uint8Array {
  return buildIgmpFrame({ srcMac: HOST_MAC, src: '192.0.2.3', dst: o.dst ?? group, vlan: 0, ttl: o.ttl, routerAlert: o.routerAlert,
    message: { type: 'report', version: o.version ?? 2, group } });
}

function field(d: DecodedFrame, protocol: string, name: string): DecodedField {
  const l = d.layers.find((x) => x.protocol === protocol);
  const f = l?.fields.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${protocol}/${name} in ${JSON.stringify(d.layers.map((x) => [x.protocol, x.fields.map((y) => y.name)]))}`);
  return f;
}

/** The IGMP message starts after Ethernet (14) and IPv4 with Router Alert (24). */
const IGMP_AT = ethernet.HEADER_LEN + ipv4.MIN_HEADER_LEN + ipv4.ROUTER_ALERT_LEN;

describe('decode: IGMP field by field', () => {
  it('explains an IGMPv2 report: type, checksum, group and its destination', () => {
    const d = decodeFrame(report('239.2.2.2'));
    expect(d.kind).toBe('igmp');
    expect(d.summary).toBe('IGMPv2 Membership Report 239.2.2.2 from 192.0.2.3');
    const type = field(d, 'igmp', 'Type');
    expect([type.rawText, type.meaning, type.offset]).toEqual(['0x16', 'Version 2 Membership Report (RFC 2236 §2.1)', IGMP_AT]);
    expect(field(d, 'igmp', 'Checksum').meaning).toBe('correct (over the 8-byte IGMP message)');
    const group = field(d, 'igmp', 'Group Address');
    expect(group.rawText).toBe('239.2.2.2');
    expect(group.meaning).toContain('a report is sent to the group itself, here 239.2.2.2 (as it must)');
    expect(field(d, 'ipv4', 'Time to Live').raw).toBe(1);
    expect(field(d, 'ipv4', 'Option').meaning).toContain('Router Alert');
    expect(d.findings).toEqual([]);
    expect(d.discarded).toBe(false);
  });

  it('works out an IGMPv2 Max Resp Time and an IGMPv3 floating-point Max Resp Code and QQIC', () => {
    const v2 = decodeFrame(buildQueryFrame({ srcMac: HOST_MAC, src: '192.0.2.254', vlan: 0, query: generalQuery({ version: 2, maxRespDs: 100, qrv: 2, qqiSec: 125 }) }));
    expect(v2.summary).toBe('IGMPv2 Membership Query (General Query) from 192.0.2.254');
    expect(field(v2, 'igmp', 'Max Resp Time').rawText).toBe('100');
    expect(field(v2, 'igmp', 'Max Resp Time').meaning).toContain('100 = 10.0 s (units of 1/10 s)');
    expect(field(v2, 'igmp', 'Group Address').meaning).toContain('General Query, about every group; sent to 224.0.0.1, All-Systems');

    const v3 = decodeFrame(buildQueryFrame({ srcMac: HOST_MAC, src: '192.0.2.254', vlan: 0, query: generalQuery({ version: 3, maxRespDs: 200, qrv: 2, qqiSec: 300 }) }));
    const mrc = field(v3, 'igmp', 'Max Resp Code');
    expect(mrc.raw).toBe(igmp.encodeFloat8(200));
    expect(mrc.meaning).toContain('floating point 1|exp 0|mant 9: (9 + 16) << (0 + 3) = 200 tenths = 20.0 s');
    expect(field(v3, 'igmp', 'QQIC').meaning).toContain('(2 + 16) << (1 + 3) = 288 s'); // 300 s rounds down to 288
    expect(field(v3, 'igmp', 'QRV').raw).toBe(2);
    expect(field(v3, 'igmp', 'S Flag').raw).toBe(0);
    expect(v3.findings).toEqual([]);
  });

  it('names a group-and-source-specific query and lists its sources', () => {
    const q = { ...groupQuery({ version: 3, maxRespDs: 10, qrv: 2, qqiSec: 125 }, '239.1.1.1', true), sources: ['192.0.2.1', '192.0.2.9'] };
    const d = decodeFrame(buildQueryFrame({ srcMac: HOST_MAC, src: '192.0.2.254', vlan: 0, query: q }));
    expect(d.summary).toBe('IGMPv3 Membership Query (Group-and-Source-Specific Query) 239.1.1.1 from 192.0.2.254');
    expect(field(d, 'igmp', 'S Flag').raw).toBe(1);
    expect(field(d, 'igmp', 'Source Address [2]').rawText).toBe('192.0.2.9');
  });

  it('a wrong checksum: DISCARD with the value it should have', () => {
    const f = report('239.2.2.2');
    const good = field(decodeFrame(f), 'igmp', 'Checksum').raw as number;
    f[IGMP_AT + igmp.Field.CHECKSUM + 1] ^= 0xff;
    const d = decodeFrame(f);
    const c = field(d, 'igmp', 'Checksum');
    expect(c.meaning).toBe(`WRONG: should be 0x${good.toString(16).padStart(4, '0')} (over the 8-byte IGMP message)`);
    expect(d.findings).toEqual([expect.objectContaining({ level: 'discard', field: 'Checksum', rfc: 'RFC 2236 §2.3' })]);
    expect(d.discarded).toBe(true);
  });

  it('TTL above 1 and a missing Router Alert are violations (RFC 2236 §2 / RFC 3376 §4); IGMPv1 needs no Router Alert', () => {
    const d = decodeFrame(report('239.2.2.2', { ttl: 64, routerAlert: false }));
    expect(d.findings.map((f) => [f.level, f.field, f.rfc])).toEqual([['violation', 'TTL', 'RFC 2236 §2'], ['violation', 'Router Alert', 'RFC 2236 §2']]);
    expect(d.discarded).toBe(false);
    const v1 = decodeFrame(report('239.1.1.1', { routerAlert: false, version: 1 }));
    expect(v1.findings).toEqual([]);
    expect(field(v1, 'igmp', 'Type').meaning).toBe('Version 1 Membership Report (RFC 1112 App. I)');
  });

  it('a leave goes to 224.0.0.2, a report to its group, an IGMPv3 report to 224.0.0.22', () => {
    const leave = (dst: string) => decodeFrame(buildIgmpFrame({ srcMac: HOST_MAC, src: '192.0.2.3', dst, vlan: 0, message: { type: 'leave', group: '239.2.2.2' } }));
    expect(leave('224.0.0.2').findings).toEqual([]);
    expect(field(leave('224.0.0.2'), 'igmp', 'Group Address').meaning).toContain('a leave is sent to All-Routers 224.0.0.2, here 224.0.0.2 (as it must)');
    expect(leave('239.2.2.2').findings).toEqual([expect.objectContaining({ level: 'violation', rfc: 'RFC 2236 §9' })]);
    expect(decodeFrame(report('239.2.2.2', { dst: '224.0.0.1' })).findings).toEqual([expect.objectContaining({ level: 'violation', rfc: 'RFC 2236 §9' })]);
    const v3 = buildIgmpFrame({ srcMac: HOST_MAC, src: '192.0.2.3', dst: '239.9.9.9', vlan: 0, message: { type: 'v3-report', records: [{ recordType: 4, group: '239.9.9.9', sources: [] }] } });
    expect(decodeFrame(v3).findings).toEqual([expect.objectContaining({ level: 'violation', rfc: 'RFC 3376 §4.2.14' })]);
  });

  it('IGMPv3 records: type names, sources, auxiliary data; an unknown record type is a note', () => {
    const body = igmp.emit({ type: 'v3-report', records: [{ recordType: 1, group: '239.1.1.1', sources: ['192.0.2.1', '192.0.2.2'] }, { recordType: 9, group: '239.2.2.2', sources: [] }] });
    // Give the first record one word of auxiliary data (RFC 3376 §4.2.6), then fix the checksum.
    const withAux = new Uint8Array(body.length + 4);
    const firstEnd = igmp.Field.RECORDS + igmp.RECORD_HEADER_LEN + 8;
    withAux.set(body.subarray(0, firstEnd));
    withAux.set([0xde, 0xad, 0xbe, 0xef], firstEnd);
    withAux.set(body.subarray(firstEnd), firstEnd + 4);
    withAux[igmp.Field.RECORDS + igmp.RecordField.AUX_DATA_LEN] = 1;
    withAux[2] = 0; withAux[3] = 0;
    const sum = new igmp.IgmpView(withAux).expectedChecksum;
    withAux[2] = sum >>> 8; withAux[3] = sum & 0xff;
    const d = decodeFrame(buildIpv4Frame({ srcMac: HOST_MAC, src: '192.0.2.3', dst: '224.0.0.22', vlan: 0, protocol: ipv4.Protocol.IGMP, payload: withAux }));
    const records = d.layers.find((l) => l.protocol === 'igmp')!.parts;
    expect(records.map((r) => r.title)).toEqual(['Group Record 1 of 2: IS_IN 239.1.1.1', 'Group Record 2 of 2: type 9 239.2.2.2']);
    const r1 = Object.fromEntries(records[0]!.fields.map((f) => [f.name, [f.rawText, f.meaning]]));
    expect(r1['Record Type']![1]).toContain('MODE_IS_INCLUDE');
    expect(r1['Aux Data Len']).toEqual(['1', '1 32-bit words = 4 bytes of auxiliary data (RFC 3376 §4.2.6)']);
    expect(r1['Source Address [2]']![0]).toBe('192.0.2.2');
    expect(r1['Auxiliary Data']).toEqual(['deadbeef', 'ignored by receivers (RFC 3376 §4.2.10)']);
    expect(d.findings).toEqual([expect.objectContaining({ level: 'note', field: 'Record Type', rfc: 'RFC 3376 §4.2.12' })]);
  });

  it('cut short: a record past the end, a 10-byte query (RFC 3376 §7.1), an IP total length past the frame', () => {
    const body = igmp.emit({ type: 'v3-report', records: [{ recordType: 4, group: '239.1.1.1', sources: [] }] });
    body[igmp.Field.NUM_RECORDS + 1] = 2;
    const d = decodeFrame(buildIpv4Frame({ srcMac: HOST_MAC, src: '192.0.2.3', dst: '224.0.0.22', vlan: 0, protocol: ipv4.Protocol.IGMP, payload: body }));
    expect(d.findings.map((f) => [f.level, f.rfc])).toContainEqual(['discard', 'RFC 3376 §4.2']);

    const q10 = new Uint8Array(10);
    q10[0] = igmp.MessageType.MEMBERSHIP_QUERY;
    q10[1] = 100;
    const d10 = decodeFrame(buildIpv4Frame({ srcMac: HOST_MAC, src: '192.0.2.254', dst: '224.0.0.1', vlan: 0, protocol: ipv4.Protocol.IGMP, payload: q10 }));
    expect(d10.findings[0]).toEqual(expect.objectContaining({ level: 'discard', rfc: 'RFC 3376 §7.1' }));

    const cut = report('239.2.2.2').slice(0, IGMP_AT + 4);
    const dc = decodeFrame(cut);
    expect(dc.findings.map((f) => [f.level, f.field])).toContainEqual(['discard', 'Total Length']);
    expect(dc.discarded).toBe(true);
  });

  it('a wrong IPv4 header checksum is a DISCARD (RFC 1122 §3.2.1.2)', () => {
    const f = report('239.2.2.2');
    f[ethernet.HEADER_LEN + ipv4.Field.CHECKSUM] ^= 0x10;
    expect(decodeFrame(f).findings).toEqual([expect.objectContaining({ level: 'discard', field: 'Header Checksum', rfc: 'RFC 1122 §3.2.1.2' })]);
  });
});

describe('decode: MLD, PIM, MRD', () => {
  function mldFrame(message: mld.MldRepr, o: { hopLimit?: number; routerAlert?: boolean; dst: string; src?: string }): Uint8Array {
    const src = o.src ?? 'fe80::3';
    const body = mld.emit(message, { src, dst: o.dst });
    const ip = ipv6.emit({ src, dst: o.dst, hopLimit: o.hopLimit ?? 1, nextHeader: ipv6.NextHeader.ICMPV6, routerAlert: o.routerAlert ?? true }, body);
    return ethernet.emit({ dst: ipv6MulticastMac(o.dst), src: HOST_MAC, vlan: null, pcp: 0, ethertype: ethernet.EtherType.IPV6 }, ip);
  }

  it('an MLDv2 report from a link-local source with Hop Limit 1 and Router Alert is accepted; Hop Limit 255 is a DISCARD', () => {
    const msg: mld.MldRepr = { type: 'v2-report', records: [{ recordType: 4, group: 'ff05::1:3', sources: [] }] };
    const ok = decodeFrame(mldFrame(msg, { dst: 'ff02::16' }));
    expect(ok.kind).toBe('mld');
    expect(ok.findings).toEqual([]);
    expect(field(ok, 'mld', 'Checksum').meaning).toBe('correct (ICMPv6, with the IPv6 pseudo-header)');
    expect(ok.layers.find((l) => l.protocol === 'mld')!.parts[0]!.title).toBe('Group Record 1 of 1: TO_EX ff05::1:3');
    const bad = decodeFrame(mldFrame(msg, { dst: 'ff02::16', hopLimit: 255, routerAlert: false }));
    expect(bad.findings.map((f) => [f.level, f.field, f.rfc])).toEqual([
      ['discard', 'Hop Limit', 'RFC 3810 §5, §7.4'], ['discard', 'Router Alert', 'RFC 3810 §5, §7.4']]);
  });

  it('an MLDv2 query: the 16-bit Maximum Response Code worked out', () => {
    const q: mld.MldRepr = { type: 'query', version: 2, maxRespMs: 40_000, group: '::', suppress: false, qrv: 2, qqiSec: 125, sources: [] };
    const d = decodeFrame(mldFrame(q, { dst: 'ff02::1' }));
    expect(d.summary).toBe('MLDv2 Multicast Listener Query :: from fe80::3');
    expect(field(d, 'mld', 'Maximum Response Code').meaning).toContain('floating point');
    expect(d.findings).toEqual([]);
  });

  it('a PIM Hello: options named; an MRD solicitation from the switch', () => {
    const hello = buildIpv4Frame({ srcMac: HOST_MAC, src: '192.0.2.7', dst: pim.ALL_PIM_ROUTERS_V4, vlan: 0, protocol: ipv4.Protocol.PIM, routerAlert: false,
      payload: pim.emit({ type: 'hello', holdtimeSec: 105, drPriority: 1, generationId: 0x1234 }) });
    const d = decodeFrame(hello);
    expect(d.summary).toBe('PIMv2 Hello from 192.0.2.7');
    const options = d.layers.find((l) => l.protocol === 'pim')!.fields.filter((f) => f.name === 'Hello Option').map((f) => f.meaning);
    expect(options).toEqual([
      'Holdtime 105 s (RFC 7761 §4.9.2)', 'DR Priority 1: the highest becomes Designated Router (RFC 7761 §4.9.2)',
      'Generation ID 0x00001234: changes when the router restarts (RFC 7761 §4.9.2)']);
    expect(d.findings).toEqual([]);
    const sol = decodeFrame(buildMrdSolicitationFrame({ srcMac: HOST_MAC, src: '192.0.2.254', vlan: 0 }));
    expect(sol.summary).toBe('MRD Multicast Router Solicitation from 192.0.2.254');
    expect(sol.findings).toEqual([]);
    const adv = buildIpv4Frame({ srcMac: HOST_MAC, src: '192.0.2.7', dst: '224.0.0.2', vlan: 0, protocol: ipv4.Protocol.IGMP,
      payload: mrd.emit({ type: 'advertisement', family: 4, advIntervalSec: 20, queryIntervalSec: 125, robustness: 2 }) });
    const da = decodeFrame(adv);
    expect(field(da, 'mrd', 'Query Interval').raw).toBe(125);
    expect(da.findings).toEqual([expect.objectContaining({ level: 'violation', rfc: 'RFC 4286 §3' })]);
  });
});

describe('capture files: pcap and pcapng reader', () => {
  const f1 = report('239.2.2.2');
  const f2 = report('239.3.3.3');

  it('reads back what the pcap writer wrote, microseconds kept', () => {
    const c = readCapture(Buffer.concat([pcapGlobalHeader(), pcapRecord(1_700_000_000_123.456, f1), pcapRecord(1_700_000_001_000, f2)]));
    expect(c.format).toBe('pcap');
    expect(c.error).toBeNull();
    expect(c.packets.map((p) => [p.timeMs, p.bytes.length, p.linktype])).toEqual([[1_700_000_000_123.456, f1.length, 1], [1_700_000_001_000, f2.length, 1]]);
    expect(Buffer.from(c.packets[1]!.bytes).equals(Buffer.from(f2))).toBe(true);
  });

  it('reads pcapng: interface names, comments, direction flags', () => {
    const c = readCapture(Buffer.concat([pcapngHeader(['eth1', 'eth2']), pcapngPacket(1, 5000.5, f1, { comment: 'port eth2 rx', direction: 'rx' }), pcapngPacket(0, 6000, f2)]));
    expect(c.format).toBe('pcapng');
    expect(c.packets.map((p) => [p.interfaceName, p.direction, p.comments, p.timeMs])).toEqual([
      ['eth2', 'in', ['port eth2 rx'], 5000.5], ['eth1', null, [], 6000]]);
  });

  it('a file cut in the middle of a packet keeps the packets before it and says where', () => {
    const whole = Buffer.concat([pcapGlobalHeader(), pcapRecord(1, f1), pcapRecord(2, f2)]);
    const c = readCapture(whole.subarray(0, whole.length - 5));
    expect(c.packets).toHaveLength(1);
    expect(c.error).toMatch(/^packet 2: \d+ bytes announced, \d+ present$/);
    expect(() => readCapture(Buffer.from('hello world'))).toThrow(/not a pcap or pcapng file/);
  });

  it('a pcapng block too short for its fixed fields is a reason, not an exception', () => {
    const emptyIdb = Buffer.from('01000000' + '0c000000' + '0c000000', 'hex'); // Interface Description Block of 12 bytes
    const c = readCapture(Buffer.concat([pcapngHeader([]), emptyIdb]));
    expect(c).toMatchObject({ format: 'pcapng', packets: [], error: expect.stringContaining('block type 1 of 12 bytes is too short') });
  });
});

describe('igmpswitch decode (CLI)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'decode-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(args: string[], stdin?: Uint8Array): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(args, { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } }, stdin: stdin ? () => stdin : undefined });
    return { code, out, err };
  }

  it('prints every field of every control message, skips other frames, and gives the same as JSON', async () => {
    const udp = buildIpv4Frame({ srcMac: HOST_MAC, src: '192.0.2.1', dst: '239.1.1.1', vlan: 0, protocol: 17, ttl: 64, routerAlert: false, payload: new Uint8Array(8) });
    const file = path.join(dir, 'a.pcap');
    writeFileSync(file, Buffer.concat([pcapGlobalHeader(), pcapRecord(1000, report('239.2.2.2')), pcapRecord(1200, udp)]));
    const r = await cli(['decode', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('#1  00:00:01.000000  +0.000 s  IGMPv2 Membership Report 239.2.2.2 from 192.0.2.3');
    expect(r.out).toMatch(/ {4}Type {24}0x16 {16}Version 2 Membership Report \(RFC 2236 §2\.1\)/);
    expect(r.out).toContain('verdict: a receiver following the RFCs accepts it');
    expect(r.out).toContain('2 frame(s): 1 control message(s), 1 other frame(s) not shown (--all shows them)');
    const j = await cli(['decode', file, '--json']);
    const doc = JSON.parse(j.out);
    expect(doc).toMatchObject({ format: 'pcap', frames: 2, controlMessages: 1, otherFrames: 1, error: null });
    expect(doc.messages[0].layers[2].fields[0]).toMatchObject({ name: 'Type', raw: 0x16, rawText: '0x16', meaning: 'Version 2 Membership Report (RFC 2236 §2.1)' });
  });

  it('reads standard input with "-"; a non-capture or missing file is a one-line error (exit 1)', async () => {
    const data = Buffer.concat([pcapGlobalHeader(), pcapRecord(1000, report('239.2.2.2'))]);
    const r = await cli(['decode', '-'], data);
    expect(r.code).toBe(0);
    expect(r.out).toContain('IGMPv2 Membership Report 239.2.2.2');
    writeFileSync(path.join(dir, 'x'), 'not a capture');
    expect(await cli(['decode', path.join(dir, 'x')])).toMatchObject({ code: 1, err: expect.stringMatching(/^igmpswitch: .*x: not a pcap or pcapng file/) });
    expect(await cli(['decode', path.join(dir, 'missing')])).toMatchObject({ code: 1, err: expect.stringContaining('no such file') });
    expect((await cli(['decode'])).code).toBe(2);
  });
});
