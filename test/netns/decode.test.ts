// igmpswitch decode on captures this test writes itself: tcpdump in each host namespace records what the kernel
// hosts send (IGMPv1, v2 and v3 reports and leaves, from sockets joining and leaving) and what they receive from the
// switch (its own queries); a fourth host sends malformed messages built with the product's emit code and spoiled
// (bad checksum, TTL 64 without Router Alert, a group record cut short). Two IPv6 hosts do the same for MLD: an
// MLDv1 host (force_mld_version 1) joins and leaves a group (Report, Done), an MLDv2 host joins with a source filter
// (MCAST_JOIN_SOURCE_GROUP: ALLOW / IS_IN {S}) and blocks a source of an any-source group (MCAST_BLOCK_SOURCE), and
// both hear the switch's own MLDv2 queries. Each capture is decoded and its field-by-field output asserted.
//
//   v1 .1 (force_igmp_version 1)   v2 .2 (2)   v3 .3 (3)   bad .4      switch querier 192.0.2.254
//   m1 2001:db8:1::11 (force_mld_version 1)   m2 2001:db8:1::12 (MLDv2)  switch MLDv2 querier (link-local from its MAC)

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { daemonStatus, hasCommand, startReceiver, type ConfigObject, type LabHost, type LabProcess, type Receiver } from '../../src/lab/index.js';
import { buildIgmpFrame } from '../../src/wire/control-frame.js';
import * as ethernet from '../../src/wire/ethernet.js';
import * as igmp from '../../src/wire/igmp.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import { labSkipReason, useLab } from './harness.js';
import { MldHost, PktAgent, sleep, waitSnooping } from './snooping/helpers.js';

const skip = labSkipReason ?? daemonStatus().reason ?? ((await hasCommand('tcpdump')) ? null : 'tcpdump is not installed (scripts/system-deps.sh)');

const QUERIER = '192.0.2.254';
const G1 = '239.1.1.1';
const G2 = '239.2.2.2';
const G3 = '239.3.3.3';
/** MLD: the MLDv1 host's group, the MLDv2 host's source-specific group and source, its any-source group and blocked source. */
const M1_GROUP = 'ff0e::d:1';
const M2_SSM = 'ff3e::d:2';
const M2_SOURCE = '2001:db8:1::99';
const M2_ASM = 'ff0e::d:3';
const M2_BLOCKED = '2001:db8:1::98';
const HOSTS = ['v1', 'v2', 'v3', 'bad', 'm1', 'm2'] as const;
type HostName = (typeof HOSTS)[number];

interface Field { name: string; rawText: string; meaning: string }
interface Layer { protocol: string; title: string; fields: Field[]; parts: Layer[] }
interface Message { summary: string; layers: Layer[]; findings: Array<{ level: string; field: string | null; rfc: string; text: string }>; discarded: boolean }

function fields(m: Message, protocol: string): Record<string, Field> {
  const l = m.layers.find((x) => x.protocol === protocol);
  return Object.fromEntries((l?.fields ?? []).map((f) => [f.name, f]));
}

describe.skipIf(skip !== null)(`decode: captures of Linux IGMP hosts and of the switch${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const lab = useLab(() => ({
    hosts: [{ name: 'v1', igmpVersion: 1 }, { name: 'v2', igmpVersion: 2 }, { name: 'v3', igmpVersion: 3 }, { name: 'bad' },
      { name: 'm1', ipv6: '2001:db8:1::11/64' }, { name: 'm2', ipv6: '2001:db8:1::12/64' }],
    igmpswitch: {
      config: (generated: ConfigObject): ConfigObject => ({
        ...generated,
        snooping: {
          querier: { enabled: true, address: QUERIER }, mld: { querier: { enabled: true, version: 2 } },
          query_interval: '2s', query_response_interval: '1s', startup_flood: 0,
        },
        state: { file: null },
      }),
      echo: process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null,
    },
  }));
  const dumps = new Map<HostName, { proc: LabProcess; file: string }>();
  const decoded = new Map<HostName, Message[]>();
  const rx: Receiver[] = [];
  const listeners: MldHost[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'igs-decode-'));

  async function decode(file: string): Promise<Message[]> {
    let out = '';
    let err = '';
    const code = await runCli(['decode', file, '--json'], { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } } });
    expect(err).toBe('');
    expect(code).toBe(0);
    return (JSON.parse(out) as { messages: Message[] }).messages;
  }

  beforeAll(async () => {
    const l = lab();
    const m1 = l.host('m1');
    await m1.sysctl({ 'net.ipv6.conf.all.force_mld_version': 1, [`net.ipv6.conf.${m1.link}.force_mld_version`]: 1 });
    for (const n of HOSTS) {
      const h: LabHost = l.host(n);
      const file = path.join(dir, `${n}.pcap`);
      // MLD messages carry a Hop-by-Hop header before ICMPv6, which `icmp6` does not look past: all IPv6 multicast.
      const filter = n.startsWith('m') ? 'ip6 multicast' : 'igmp';
      // -Z root: keep the privileges to write into this test's directory; -U: every packet on disk as it comes.
      const proc = h.spawn('tcpdump', ['-i', h.link, '-nn', '-p', '-U', '-Z', 'root', '-w', file, filter], { label: `${n}:tcpdump` });
      await proc.waitFor((line) => /listening on/.test(line) || undefined, 10_000, 'tcpdump to listen');
      dumps.set(n, { proc, file });
    }
    await waitSnooping(l);
    // Joins (unsolicited reports), then leaves (v2 Leave Group, v3 TO_IN {}; an IGMPv1 host sends nothing).
    for (const [n, g] of [['v1', G1], ['v2', G2], ['v3', G3]] as const) {
      const r = await startReceiver(l.host(n), { intervalMs: 60_000 });
      rx.push(r);
      await r.join(g);
    }
    // MLD: the kernels send MLDv1 reports (m1) and MLDv2 ALLOW {S} / TO_EX {} then BLOCK {S'} (m2).
    const [l1, l2] = await Promise.all([MldHost.start(m1), MldHost.start(l.host('m2'))]);
    listeners.push(l1!, l2!);
    await l1!.join(M1_GROUP);
    await l2!.joinSource(M2_SSM, M2_SOURCE);
    await l2!.join(M2_ASM);
    await l2!.block(M2_ASM, M2_BLOCKED);
    await sleep(2_500); // at least one general query of the switch (query interval 2 s) and the hosts' answers
    for (const r of rx.slice(1)) await r.leave(r === rx[1] ? G2 : G3);
    await l1!.leave(M1_GROUP); // MLDv1 Done
    // Malformed messages from "bad", built with the product's emit code and spoiled.
    const bad = l.host('bad');
    const agent = await PktAgent.start(bad);
    const wrongChecksum = buildIgmpFrame({ srcMac: bad.mac, src: bad.addr, dst: G2, vlan: 0, message: { type: 'report', version: 2, group: G2 } });
    wrongChecksum[ethernet.HEADER_LEN + ipv4.MIN_HEADER_LEN + ipv4.ROUTER_ALERT_LEN + igmp.Field.CHECKSUM] ^= 0x5a;
    const routed = buildIgmpFrame({ srcMac: bad.mac, src: bad.addr, dst: G2, vlan: 0, ttl: 64, routerAlert: false, message: { type: 'report', version: 2, group: G2 } });
    const cut = buildIgmpFrame({ srcMac: bad.mac, src: bad.addr, dst: '224.0.0.22', vlan: 0,
      message: { type: 'v3-report', records: [{ recordType: igmp.RecordType.CHANGE_TO_EXCLUDE_MODE, group: G3, sources: [] }] } });
    const at = ethernet.HEADER_LEN + ipv4.MIN_HEADER_LEN + ipv4.ROUTER_ALERT_LEN;
    cut[at + igmp.Field.NUM_RECORDS + 1] = 2; // two records announced, one present
    const sum = new igmp.IgmpView(cut, at, at + 16);
    cut[at + igmp.Field.CHECKSUM] = 0;
    cut[at + igmp.Field.CHECKSUM + 1] = 0;
    const fixed = sum.expectedChecksum;
    cut[at + igmp.Field.CHECKSUM] = fixed >>> 8;
    cut[at + igmp.Field.CHECKSUM + 1] = fixed & 0xff;
    await agent.send([wrongChecksum, routed, cut], 20_000);
    await agent.stop();
    await sleep(1_500);
    for (const [n, d] of dumps) {
      d.proc.signal('SIGINT');
      await d.proc.exited;
      decoded.set(n, await decode(d.file));
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled([...rx, ...listeners].map((r) => r.stop()));
    for (const d of dumps.values()) if (d.proc.running) d.proc.signal('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('an IGMPv1 host: Version 1 Membership Report to the group, TTL 1, no Router Alert needed', () => {
    const v1 = lab().host('v1');
    const m = decoded.get('v1')!.find((x) => x.summary === `IGMPv1 Membership Report ${G1} from ${v1.addr}`);
    expect(m, JSON.stringify(decoded.get('v1')!.map((x) => x.summary))).toBeDefined();
    const f = fields(m!, 'igmp');
    expect(f['Type']).toMatchObject({ rawText: '0x12', meaning: 'Version 1 Membership Report (RFC 1112 App. I)' });
    expect(f['Checksum']!.meaning).toBe('correct (over the 8-byte IGMP message)');
    expect(f['Group Address']!.meaning).toContain(`here ${G1} (as it must)`);
    expect(fields(m!, 'ipv4')['Time to Live']!.rawText).toBe('1');
    expect(m!.findings).toEqual([]);
  });

  it('an IGMPv2 host: a report to the group and a Leave Group to 224.0.0.2', () => {
    const v2 = lab().host('v2');
    const msgs = decoded.get('v2')!;
    const report = msgs.find((x) => x.summary === `IGMPv2 Membership Report ${G2} from ${v2.addr}`);
    const leave = msgs.find((x) => x.summary === `IGMPv2 Leave Group ${G2} from ${v2.addr}`);
    expect(report && leave, JSON.stringify(msgs.map((x) => x.summary))).toBeTruthy();
    expect(fields(report!, 'igmp')['Type']).toMatchObject({ rawText: '0x16', meaning: 'Version 2 Membership Report (RFC 2236 §2.1)' });
    expect(fields(leave!, 'igmp')['Type']).toMatchObject({ rawText: '0x17', meaning: 'Leave Group (RFC 2236 §2.1)' });
    expect(fields(leave!, 'igmp')['Group Address']!.meaning).toContain('a leave is sent to All-Routers 224.0.0.2, here 224.0.0.2 (as it must)');
    expect(fields(leave!, 'ipv4')['Option']!.meaning).toContain('Router Alert');
    expect([report!.findings, leave!.findings]).toEqual([[], []]);
  });

  it('an IGMPv3 host: TO_EX {} to join and TO_IN {} to leave, in reports to 224.0.0.22', () => {
    const v3 = lab().host('v3');
    const reports = decoded.get('v3')!.filter((x) => x.summary === `IGMPv3 Membership Report from ${v3.addr}`);
    const records = reports.flatMap((r) => r.layers.find((l) => l.protocol === 'igmp')!.parts.map((p) => p.title));
    expect(records).toContain(`Group Record 1 of 1: TO_EX ${G3}`);
    expect(records).toContain(`Group Record 1 of 1: TO_IN ${G3}`);
    const join = reports.find((r) => r.layers.find((l) => l.protocol === 'igmp')!.parts[0]!.title.includes(`TO_EX ${G3}`))!;
    const rec = Object.fromEntries(join.layers.find((l) => l.protocol === 'igmp')!.parts[0]!.fields.map((f) => [f.name, f]));
    expect(rec['Record Type']).toMatchObject({ rawText: '4' });
    expect(rec['Record Type']!.meaning).toContain('CHANGE_TO_EXCLUDE_MODE');
    expect(rec['Number of Sources']!.rawText).toBe('0');
    expect(fields(join, 'ipv4')['Destination Address']).toMatchObject({ rawText: '224.0.0.22', meaning: 'All IGMPv3 Routers (RFC 3376)' });
    expect(join.findings).toEqual([]);
  });

  it("the switch's own general query, as a host receives it: every IGMPv3 query field explained, nothing to reject", () => {
    const q = decoded.get('v3')!.find((x) => x.summary === `IGMPv3 Membership Query (General Query) from ${QUERIER}`);
    expect(q, JSON.stringify(decoded.get('v3')!.map((x) => x.summary))).toBeDefined();
    const f = fields(q!, 'igmp');
    expect(f['Max Resp Code']).toMatchObject({ rawText: '10', meaning: '10 tenths = 1.0 s: the longest a host may wait before reporting (RFC 3376 §4.1.1)' });
    expect(f['QQIC']!.meaning).toContain('2 s');
    expect(f['QRV']!.rawText).toBe('2');
    expect(f['Group Address']!.meaning).toContain('sent to 224.0.0.1, All-Systems, as it must be');
    expect(f['Checksum']!.meaning).toBe('correct (over the 12-byte IGMP message)');
    expect(fields(q!, 'ipv4')['Time to Live']!.rawText).toBe('1');
    expect(q!.findings).toEqual([]);
  });

  it('malformed messages: a wrong checksum and a cut record are discarded, TTL 64 without Router Alert is a violation', () => {
    const bad = lab().host('bad');
    const sent = decoded.get('bad')!.filter((x) => x.summary.endsWith(`from ${bad.addr}`));
    expect(sent).toHaveLength(3);
    const [wrong, routed, cut] = sent;
    expect(wrong!.discarded).toBe(true);
    expect(wrong!.findings).toEqual([expect.objectContaining({ level: 'discard', field: 'Checksum', rfc: 'RFC 2236 §2.3' })]);
    expect(fields(wrong!, 'igmp')['Checksum']!.meaning).toMatch(/^WRONG: should be 0x[0-9a-f]{4} \(over the 8-byte IGMP message\)$/);
    expect(routed!.findings.map((f) => [f.level, f.field])).toEqual([['violation', 'TTL'], ['violation', 'Router Alert']]);
    expect(routed!.discarded).toBe(false);
    expect(cut!.findings).toEqual([expect.objectContaining({ level: 'discard', rfc: 'RFC 3376 §4.2', text: 'group record 2 of 2 runs past the end of the message' })]);
  });

  /** The messages a host sent (from its link-local address: every MLD message, RFC 3810 §5). */
  const fromLinkLocal = (n: HostName): Message[] => decoded.get(n)!.filter((x) => / from fe80:/.test(x.summary) && x.layers.some((l) => l.protocol === 'mld'));
  const mldRecords = (m: Message): Array<{ title: string; f: Record<string, Field> }> =>
    m.layers.find((l) => l.protocol === 'mld')!.parts.map((p) => ({ title: p.title, f: Object.fromEntries(p.fields.map((x) => [x.name, x])) }));

  it('an MLDv1 host (force_mld_version 1): a Version 1 Report to the group and a Done to ff02::2, Hop Limit 1, Router Alert', () => {
    const msgs = fromLinkLocal('m1');
    const summaries = JSON.stringify(decoded.get('m1')!.map((x) => x.summary));
    const report = msgs.find((x) => x.summary.startsWith(`MLDv1 Multicast Listener Report ${M1_GROUP} from fe80:`));
    const done = msgs.find((x) => x.summary.startsWith(`MLDv1 Multicast Listener Done ${M1_GROUP} from fe80:`));
    expect(report && done, summaries).toBeTruthy();
    expect(fields(report!, 'mld')['Type']).toMatchObject({ rawText: '131', meaning: 'Version 1 Multicast Listener Report (RFC 2710 §3.1)' });
    expect(fields(report!, 'mld')['Multicast Address']!.meaning).toBe(`the address listened to; a report goes to it (RFC 2710 §3), here ${M1_GROUP}`);
    expect(fields(report!, 'mld')['Checksum']!.meaning).toBe('correct (ICMPv6, with the IPv6 pseudo-header)');
    expect(fields(done!, 'mld')['Type']).toMatchObject({ rawText: '132', meaning: 'Multicast Listener Done (RFC 2710 §3.1)' });
    expect(fields(done!, 'mld')['Multicast Address']!.meaning).toBe('the address left; a Done goes to ff02::2 (RFC 2710 §3), here ff02::2');
    expect([report!.findings, done!.findings]).toEqual([[], []]);
    expect([report!.discarded, done!.discarded]).toEqual([false, false]);
    // No MLDv2 report for the group: the kernel speaks MLDv1 only.
    expect(msgs.filter((x) => x.summary.startsWith('MLDv2 Multicast Listener Report')).flatMap(mldRecords)
      .filter((r) => r.f['Multicast Address']?.rawText === M1_GROUP)).toEqual([]);
  });

  it('an MLDv2 host: INCLUDE {S} from MCAST_JOIN_SOURCE_GROUP and EXCLUDE {S\'} from MCAST_BLOCK_SOURCE, in reports to ff02::16', () => {
    const reports = fromLinkLocal('m2').filter((x) => x.summary.startsWith('MLDv2 Multicast Listener Report from fe80:'));
    const records = reports.flatMap(mldRecords);
    const titles = JSON.stringify(records.map((r) => r.title));
    // The source join: ALLOW {S} as the state change, IS_IN {S} in answers to the switch's General Queries.
    const ssm = records.filter((r) => r.f['Multicast Address']?.rawText === M2_SSM);
    expect(ssm.map((r) => r.title.replace(/^Group Record \d+ of \d+: /, '')), titles).toContain(`ALLOW ${M2_SSM}`);
    expect(ssm.map((r) => r.title.replace(/^Group Record \d+ of \d+: /, ''))).toContain(`IS_IN ${M2_SSM}`);
    for (const r of ssm) {
      expect(r.f['Number of Sources']!.rawText).toBe('1');
      expect(r.f['Source Address [1]']!.rawText).toBe(M2_SOURCE);
    }
    const allow = ssm.find((r) => r.title.endsWith(`ALLOW ${M2_SSM}`))!;
    expect(allow.f['Record Type']).toMatchObject({ rawText: '5' });
    expect(allow.f['Record Type']!.meaning).toContain('ALLOW_NEW_SOURCES');
    expect(allow.f['Record Type']!.meaning).toContain('RFC 3810 §5.2.12');
    // The any-source join then the block: the kernel sends TO_EX, and BLOCK {S'} or (the change still pending, merged
    // into the retransmission, RFC 3810 §6.1) TO_EX {S'}; the General Query answer is IS_EX {S'}.
    const asm = records.filter((r) => r.f['Multicast Address']?.rawText === M2_ASM);
    const kinds = asm.map((r) => r.title.replace(/^Group Record \d+ of \d+: /, ''));
    expect(kinds, titles).toEqual(expect.arrayContaining([`TO_EX ${M2_ASM}`, `IS_EX ${M2_ASM}`]));
    const names = (r: (typeof asm)[number]): string[] => Object.entries(r.f).filter(([k]) => k.startsWith('Source Address')).map(([, f]) => f.rawText);
    for (const r of asm.filter((x) => x.title.endsWith(`IS_EX ${M2_ASM}`))) expect(names(r)).toEqual([M2_BLOCKED]);
    expect(asm.filter((x) => /(TO_EX|BLOCK) /.test(x.title)).some((r) => names(r).includes(M2_BLOCKED)), 'a state change naming the blocked source').toBe(true);
    const one = reports[0]!;
    expect(fields(one, 'ipv6')['Destination Address']!.rawText).toBe('ff02::16');
    expect(reports.every((r) => r.findings.length === 0 && !r.discarded), JSON.stringify(reports.map((r) => r.findings))).toBe(true);
  });

  it("the switch's own MLDv2 General Query, as a host receives it: from a link-local address, to ff02::1, nothing to reject", () => {
    const q = decoded.get('m2')!.find((x) => /^MLDv2 Multicast Listener Query :: from fe80:/.test(x.summary));
    expect(q, JSON.stringify(decoded.get('m2')!.map((x) => x.summary))).toBeDefined();
    const f = fields(q!, 'mld');
    expect(f['Type']).toMatchObject({ rawText: '130' });
    expect(f['Maximum Response Code']!.meaning).toBe('1000 ms = 1.0 s (RFC 3810 §5.1.3)');
    expect(f['QQIC']!.meaning).toContain('2 s');
    expect(f['QRV']!.rawText).toBe('2');
    expect(f['Multicast Address']!.meaning).toContain('a General Query, sent to ff02::1');
    expect(f['Checksum']!.meaning).toBe('correct (ICMPv6, with the IPv6 pseudo-header)');
    expect(q!.findings).toEqual([]);
  });

  it('the text form of a capture reads like the JSON (one check per kind of line)', async () => {
    let out = '';
    await runCli(['decode', dumps.get('v2')!.file], { stdout: { write: (s: string) => { out += s; } }, stderr: { write: () => {} } });
    expect(out).toMatch(/ {4}Type {24}0x17 {16}Leave Group \(RFC 2236 §2\.1\)/);
    expect(out).toContain('verdict: a receiver following the RFCs accepts it');
    expect(readFileSync(dumps.get('v2')!.file).length).toBeGreaterThan(24);
    let mldText = '';
    await runCli(['decode', dumps.get('m1')!.file], { stdout: { write: (s: string) => { mldText += s; } }, stderr: { write: () => {} } });
    expect(mldText).toMatch(/Type +132 +Multicast Listener Done \(RFC 2710 §3\.1\)/);
    expect(mldText).toContain(`MLDv1 Multicast Listener Report ${M1_GROUP} from fe80:`);
  });
});
