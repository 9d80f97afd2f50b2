// igmpswitch between real Linux MLD stacks (RFC 4541 §3 with RFC 2710 and RFC 3810):
//
//   snd ::1 (source S1)   s2 ::6 (source S2)   v1 ::2 (force_mld_version 1, any-source join)
//   ssm ::5 (MLDv2 INCLUDE {S1}: MCAST_JOIN_SOURCE_GROUP)   blk ::7 (MLDv2 EXCLUDE {S2}: MCAST_BLOCK_SOURCE)
//   non ::8 (IPv6 host that joins nothing)                 switch: own MLDv2 querier, link-local source from its MAC
//
// Memberships come from the hosts' kernels (mldhost.py makes the RFC 3678 socket calls; the kernel sends MLDv1 or
// MLDv2 reports and Done / TO_IN messages); every host runs the capture agent (pktagent.py) that counts what the
// switch really delivered to its port. Test traffic is raw IPv6 UDP frames (exact counts; 10 per flow).
//
// Timers: query_interval 2s, query_response_interval 1s, last_member_query_interval 500ms (Last Listener Query Time
// 1 s); startup_flood 0 (the kernels report as soon as their sockets join).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonStatus, startSender } from '../../../src/lab/index.js';
import type { GroupRow, RouterRow, TraceResult } from '../../../src/mgmt/api.js';
import { buildMldFrame, buildMldQueryFrame, mldGeneralQuery } from '../../../src/wire/control-frame.js';
import { ipv6At, parseIpv6 } from '../../../src/wire/common.js';
import { RecordType } from '../../../src/wire/igmp.js';
import { labSkipReason, useLab } from '../harness.js';
import { cli } from '../mgmt/helpers.js';
import {
  checkFlows, flowForwarding, groupRow, groups, logEvents, metricSamples, MldHost, PktAgent, querier, routers, scrapeMetrics, stats, streamEnd,
  trace, waitUntil, LEAVE_STOP_SLACK_MS, type Flow,
} from './helpers.js';

const skip = labSkipReason ?? daemonStatus().reason;

const LLQT_MS = 1_000; // Last Listener Query Time: 2 × 500 ms
const G_SSM = 'ff3e::1:1';   // source-specific (RFC 4607 ff3x::/32)
const G_ASM = 'ff0e::2:2';   // global scope, any source
const G_LINK = 'ff02::cc';   // link scope: snooped too (RFC 4541 §3), as in bridge_mld.sh
const G_V1 = 'ff0e::3:3';    // MLDv1 host's group
const UNREG = 'ff0e::99:99';
const METRICS_PORT = 9464; // in the switch's own namespace

/** ff02::1:ff00:0/104 plus the address's low 24 bits (RFC 4291 §2.7.1). */
function solicitedNode(addr: string): string {
  const b = parseIpv6(addr)!;
  return ipv6At(new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, b[13]!, b[14]!, b[15]!]), 0);
}

const HOSTS = ['snd', 's2', 'v1', 'ssm', 'blk', 'non'] as const;
type HostName = (typeof HOSTS)[number];
const ADDR: Record<HostName, string> = {
  snd: '2001:db8:1::1', s2: '2001:db8:1::6', v1: '2001:db8:1::2', ssm: '2001:db8:1::5', blk: '2001:db8:1::7', non: '2001:db8:1::8',
};

describe.skipIf(skip !== null)(`igmpswitch with Linux MLD hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const lab = useLab(() => ({
    hosts: HOSTS.map((name) => ({ name, ipv6: `${ADDR[name]}/64` })),
    igmpswitch: {
      config: {
        snooping: {
          mld: { querier: { enabled: true, version: 2 } },
          query_interval: '2s',
          query_response_interval: '1s',
          last_member_query_interval: '500ms',
          startup_flood: 0,
        },
        metrics: { enabled: true, listen: `127.0.0.1:${METRICS_PORT}` },
        state: { file: null },
      },
      echo: process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null,
    },
  }));
  const agents = new Map<HostName, PktAgent>();
  const listeners = new Map<HostName, MldHost>();
  const A = (n: HostName): PktAgent => agents.get(n)!;
  const L = (n: HostName): MldHost => listeners.get(n)!;
  const port = (n: HostName): string => lab().host(n).port;

  beforeAll(async () => {
    const l = lab();
    await l.host('v1').sysctl({ 'net.ipv6.conf.all.force_mld_version': 1, [`net.ipv6.conf.${l.host('v1').link}.force_mld_version`]: 1 });
    const started = await Promise.all(HOSTS.map((n) => PktAgent.start(l.host(n))));
    HOSTS.forEach((n, i) => agents.set(n, started[i]!));
    const mld = await Promise.all(HOSTS.map((n) => MldHost.start(l.host(n))));
    HOSTS.forEach((n, i) => listeners.set(n, mld[i]!));
    await waitUntil('MLD snooping to filter (show querier: mld.snoopingActive)', async () => (await querier(l)).mld?.snoopingActive, 10_000, 100,
      async () => JSON.stringify(await querier(l)));
  }, 180_000); // twelve Python agents start in parallel; slow on a loaded machine

  afterAll(async () => {
    await Promise.allSettled([...listeners.values(), ...agents.values()].map((a) => a.stop()));
  });

  async function rowFor(group: string, n: HostName, pred: (r: NonNullable<Awaited<ReturnType<typeof groupRow>>>) => boolean, what: string, timeoutMs = 5_000) {
    return waitUntil(`${group} on ${n}'s port: ${what}`, async () => {
      const r = await groupRow(lab(), group, port(n));
      return r && pred(r) ? r : undefined;
    }, timeoutMs, 50, async () => JSON.stringify((await groups(lab())).filter((g) => g.group.includes(':') && !g.group.startsWith('ff02::1:ff'))));
  }

  async function forwarding(flows: Flow[], receivers: HostName[], gets: (r: HostName, f: Flow) => boolean): Promise<void> {
    const byAgent = new Map(receivers.map((n) => [A(n), n]));
    const fn = (a: PktAgent, f: Flow): boolean => gets(byAgent.get(a)!, f);
    const counts = await flowForwarding(flows, receivers.map(A), fn, 10);
    checkFlows(counts, flows, fn, 10, (v, m) => expect(v, m));
  }

  it('MLDv2 INCLUDE {S1} (MCAST_JOIN_SOURCE_GROUP) receives the group from S1, not from S2; non-members receive nothing', async () => {
    await L('ssm').joinSource(G_SSM, ADDR.snd);
    const row = await rowFor(G_SSM, 'ssm', (r) => r.mode === 'include' && r.sources.some((s) => s.address === ADDR.snd), 'INCLUDE {S1}');
    expect(row.sources.map((s) => s.address)).toEqual([ADDR.snd]);
    expect(row.version).toBe(2); // MLDv2
    const flows: Flow[] = [{ sender: A('snd'), group: G_SSM }, { sender: A('s2'), group: G_SSM }];
    await forwarding(flows, ['ssm', 'v1', 'blk', 'non'], (r, f) => r === 'ssm' && f.sender === A('snd'));
  });

  it('MLDv2 EXCLUDE {S2} (MCAST_BLOCK_SOURCE) receives from S1 but not from S2', async () => {
    await L('blk').join(G_ASM);
    await L('blk').block(G_ASM, ADDR.s2);
    await rowFor(G_ASM, 'blk', (r) => r.mode === 'exclude' && r.sources.some((s) => s.address === ADDR.s2 && s.blocked), 'EXCLUDE {S2}');
    const flows: Flow[] = [{ sender: A('snd'), group: G_ASM }, { sender: A('s2'), group: G_ASM }];
    await forwarding(flows, ['blk', 'ssm', 'non'], (r, f) => r === 'blk' && f.sender === A('snd'));
  });

  it('link-scope groups are snooped (ff02::cc reaches members only); ff02::1 reaches every port; unregistered reaches nobody', async () => {
    await L('ssm').join(G_LINK);
    await rowFor(G_LINK, 'ssm', (r) => r.mode === 'exclude', 'any-source membership');
    const flows: Flow[] = [
      { sender: A('snd'), group: G_LINK }, { sender: A('snd'), group: 'ff02::1' }, { sender: A('snd'), group: UNREG },
    ];
    await forwarding(flows, ['ssm', 'v1', 'blk', 'non'], (r, f) => f.group === 'ff02::1' || (f.group === G_LINK && r === 'ssm'));
  });

  it('neighbour discovery works through the switch: ping between hosts (solicited-node groups are snooped)', async () => {
    const l = lab();
    // The hosts' solicited-node memberships were learned from their kernels' reports.
    const sn = (await groups(l)).filter((g) => g.group.startsWith('ff02::1:ff'));
    expect(sn.length).toBeGreaterThanOrEqual(HOSTS.length);
    for (const [from, to] of [['non', 'snd'], ['v1', 'blk'], ['s2', 'ssm']] as const) {
      // The Neighbor Solicitation goes to the target's solicited-node group (RFC 4291 §2.7.1): wait until the
      // target's kernel has reported it (its unsolicited report may predate the switch; it answers every query).
      await rowFor(solicitedNode(ADDR[to]), to, () => true, 'solicited-node membership', 8_000);
      const r = await l.host(from).exec('ping', ['-6', '-c', '3', '-i', '0.2', '-W', '3', ADDR[to]], { allowFail: true });
      const why = async () => JSON.stringify({
        trace: await trace(l, { in: port(from), dst: solicitedNode(ADDR[to]) }),
        neigh: (await l.host(from).exec('ip', ['-6', 'neigh'], { allowFail: true })).stdout,
        drops: (await stats(l)).drops,
      });
      expect(r.code, `ping ${from} → ${to}: ${r.stdout}${r.stderr} ${r.code === 0 ? '' : await why()}`).toBe(0);
    }
  });

  it('an MLDv1 host joins (MLDv1 compatibility mode) and its Done stops the stream within the Last Listener Query Time', async () => {
    await L('v1').join(G_V1);
    const row = await rowFor(G_V1, 'v1', (r) => r.mode === 'exclude', 'MLDv1 membership');
    expect(row.version).toBe(1); // RFC 3810 §8.3.2: MLDv1 compatibility mode
    const flows: Flow[] = [{ sender: A('snd'), group: G_V1 }];
    await forwarding(flows, ['v1', 'non'], (r) => r === 'v1');

    // A steady stream (200/s) while v1 leaves; it must stop at v1 within LLQT of the Done.
    const m = await A('v1').mark();
    const sender = await startSender(lab().host('snd'), { groups: [G_V1], rate: 200, port: 4096 });
    try {
      await waitUntil('the stream to reach v1', async () => (await A('v1').count({ since: m, out: false, dst: G_V1, proto: 17 })) >= 20, 5_000, 100);
      await L('v1').leave(G_V1);
      const done = await waitUntil('v1 to send its MLDv1 Done (ICMPv6 type 132)', async () =>
        (await A('v1').select({ since: m, out: true, proto: 58, info: 132 }))[0], 3_000);
      await waitUntil(`${G_V1} gone from v1's port`, async () => !(await groupRow(lab(), G_V1, port('v1'))), LLQT_MS + 4_000, 50);
      const tail = await streamEnd(A('v1'), G_V1, done.t, m);
      const stopMs = (tail.last ?? done.t) - done.t;
      console.info(`[mld] MLDv1 Done: stream stopped ${stopMs.toFixed(0)} ms after the Done (LLQT ${LLQT_MS} ms)`);
      expect(stopMs).toBeLessThanOrEqual(LLQT_MS + LEAVE_STOP_SLACK_MS);
      expect((sender.latest()?.total.totalSent ?? 0), 'the sender kept sending').toBeGreaterThan(0);
    } finally {
      await sender.stop();
    }
  });

  it('MLD messages that break RFC 3810 §5.1.14 / §6.2 are dropped and counted (global source, hop limit 2, no Router Alert)', async () => {
    const l = lab();
    const h = l.host('non');
    const before = (await stats(l)).engine;
    const G = 'ff0e::77:77';
    const report = { type: 'v2-report' as const, records: [{ recordType: RecordType.CHANGE_TO_EXCLUDE_MODE, group: G, sources: [] }] };
    const linkLocal = 'fe80::77';
    await A('non').send([
      buildMldFrame({ srcMac: h.mac, src: ADDR.non, dst: 'ff02::16', vlan: 0, message: report }),
      buildMldFrame({ srcMac: h.mac, src: linkLocal, dst: 'ff02::16', vlan: 0, hopLimit: 2, message: report }),
      buildMldFrame({ srcMac: h.mac, src: linkLocal, dst: 'ff02::16', vlan: 0, routerAlert: false, message: report }),
    ]);
    const after = await waitUntil('the three refusals to be counted', async () => {
      const e = (await stats(l)).engine;
      const d = (k: string) => Number(e[k] ?? 0) - Number(before[k] ?? 0);
      return d('reject_not-link-local-source') >= 1 && d('reject_hop-limit') >= 1 && d('reject_no-router-alert') >= 1 ? e : undefined;
    }, 3_000, 100, async () => JSON.stringify((await stats(l)).engine));
    expect(after).toBeTruthy();
    expect(await groupRow(l, G, port('non'))).toBeUndefined();
  });

  it('metrics per family: igmpswitch_mld_messages_total counts the kernels\' MLDv1/v2 reports and Done; the MLD querier gauges', async () => {
    const l = lab();
    // What the hosts' kernels sent so far (captured on their own links; the agents started after the switch, so the
    // switch may have heard more): MLDv2 reports (ICMPv6 143) from every host, MLDv1 reports (131) and Done (132) from v1.
    const sent = async (info: number): Promise<number> =>
      (await Promise.all(HOSTS.map((n) => A(n).count({ out: true, proto: 58, info })))).reduce((a, b) => a + b, 0);
    const v2Reports = await sent(143);
    const v1Reports = await sent(131);
    const dones = await sent(132);
    expect(v2Reports, 'MLDv2 reports sent by the kernels').toBeGreaterThan(0);
    expect(v1Reports, 'MLDv1 reports sent by v1 (force_mld_version=1)').toBeGreaterThan(0);
    const one = (text: string, name: string, labels = ''): number => metricSamples(text, name).get(labels) ?? NaN;
    const text = await waitUntil('the metrics to count every report the hosts sent', async () => {
      const t = await scrapeMetrics(l, METRICS_PORT);
      return one(t, 'igmpswitch_mld_messages_total', '{direction="rx",type="report",version="2"}') >= v2Reports
        && one(t, 'igmpswitch_mld_messages_total', '{direction="rx",type="report",version="1"}') >= v1Reports ? t : undefined;
    }, 5_000, 200, async () => (await scrapeMetrics(l, METRICS_PORT)).split('\n').filter((x) => x.includes('_mld_')).join('\n'));
    expect(one(text, 'igmpswitch_mld_messages_total', '{direction="rx",type="done",version="1"}')).toBeGreaterThanOrEqual(dones);
    expect(one(text, 'igmpswitch_mld_messages_total', '{direction="tx",type="query",version="2"}')).toBeGreaterThan(0);
    expect(one(text, 'igmpswitch_mld_messages_total', '{direction="tx",type="query",version="1"}')).toBe(0);
    const q = (await querier(l)).mld!;
    expect(one(text, 'igmpswitch_mld_querier_state', '{state="self"}')).toBe(1);
    expect(one(text, 'igmpswitch_mld_querier_info', `{address="${q.address}",port="",version="2"}`)).toBe(1);
    expect(q.address).toMatch(/^fe80::/);
    const mldGroups = new Set((await groups(l)).filter((g) => g.group.includes(':')).map((g) => g.group)).size;
    expect(one(text, 'igmpswitch_groups', '{family="mld"}')).toBeGreaterThanOrEqual(mldGroups > 0 ? 1 : 0);
    expect(one(text, 'igmpswitch_groups', '{family="igmp"}')).toBe(0);
    // The §5.1.14 / §6.2 refusals of the test before are the MLD engine's: engine rejects carry the family.
    for (const reason of ['not-link-local-source', 'hop-limit', 'no-router-alert']) {
      expect(one(text, 'igmpswitch_engine_rejects_total', `{family="mld",reason="${reason}"}`), reason).toBeGreaterThanOrEqual(1);
      expect(one(text, 'igmpswitch_engine_rejects_total', `{family="igmp",reason="${reason}"}`), reason).toBe(0);
    }
  });

  // Last: a lower-addressed querier takes over the election, which the tests before do not expect.
  it('operator surface with IPv6 (issue 12): show groups|routers|querier and trace name IPv6 groups, sources and MLD queriers', async () => {
    const l = lab();
    // show groups: the MLDv2 INCLUDE {S1} membership of the first test, as JSON and as the table.
    const rows = JSON.parse((await cli(l, ['show', 'groups', '--json'])).stdout) as GroupRow[];
    const ssm = rows.find((g) => g.group === G_SSM && g.port === port('ssm'));
    expect(ssm, JSON.stringify(rows.filter((g) => g.group === G_SSM))).toMatchObject({ mode: 'include', version: 2 });
    expect(ssm!.sources.map((x) => x.address)).toEqual([ADDR.snd]);
    const table = (await cli(l, ['show', 'groups'])).stdout;
    expect(table.split('\n').some((line) => line.includes(G_SSM) && line.includes(port('ssm')) && line.includes(ADDR.snd)), table).toBe(true);

    // trace: (S1, G) goes to ssm's port only, by the (S,G) entry; (S2, G) to no port.
    const traced = async (src: string): Promise<TraceResult> => {
      const r = await cli(l, ['trace', '--in', port('snd'), '--dst', G_SSM, '--src', src, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as TraceResult;
    };
    const s1 = await traced(ADDR.snd);
    expect(s1.ports.filter((x) => x.egress).map((x) => x.name)).toEqual([port('ssm')]);
    expect(s1.matched.key).toMatchObject({ group: G_SSM });
    expect((await traced(ADDR.s2)).ports.filter((x) => x.egress)).toEqual([]);
    const text = await cli(l, ['trace', '--in', port('snd'), '--dst', G_SSM, '--src', ADDR.snd]);
    expect(text.stdout).toContain(`frame:    ${ADDR.snd} → ${G_SSM} arriving on ${port('snd')}`);
    expect(text.stdout).toContain(`sent to 1 port: ${port('ssm')}`);
    const wrongFamily = await cli(l, ['trace', '--in', port('snd'), '--dst', G_SSM, '--src', '192.0.2.1']);
    expect(wrongFamily.code).toBe(2);
    expect(wrongFamily.stderr).toMatch(/--src must be an IPv6 unicast address/);

    // show querier: this switch is the MLD querier, from its link-local address.
    const own = (await querier(l)).mld!.address;
    expect((await cli(l, ['show', 'querier'])).stdout).toContain(`MLD querier:      this switch (${own})`);

    // show routers: an MLDv2 General Query from fe80::1, lower than our address, wins the election (RFC 3810
    // §7.6.2) and makes non's port a router port, listed with the querier's IPv6 address.
    const h = l.host('non');
    await A('non').send([buildMldQueryFrame({
      srcMac: h.mac, src: 'fe80::1', vlan: 0, query: mldGeneralQuery({ version: 2, maxRespMs: 1_000, qrv: 2, qqiSec: 2 }),
    })]);
    await waitUntil('non\'s port to be a router port learned from fe80::1', async () =>
      (await routers(l)).some((r) => r.port === port('non') && r.address === 'fe80::1'), 3_000, 50, async () => JSON.stringify(await routers(l)));
    const rj = JSON.parse((await cli(l, ['show', 'routers', '--json'])).stdout) as RouterRow[];
    expect(rj).toContainEqual(expect.objectContaining({ port: port('non'), source: 'query', address: 'fe80::1' }));
    const rt = (await cli(l, ['show', 'routers'])).stdout;
    expect(rt.split('\n').some((line) => line.includes(port('non')) && line.includes('fe80::1') && line.includes('query')), rt).toBe(true);
    const q = (await cli(l, ['show', 'querier'])).stdout;
    expect(q).toMatch(new RegExp(`MLD querier: +fe80::1 on ${port('non')} \\(expires in`));

    // Logs per family: the MLD engine's events carry family 6 (joins, MLDv1 compatibility, the querier election).
    const of = (event: string, pred: (e: Record<string, unknown>) => boolean) => logEvents(l, event).filter(pred);
    expect(of('join', (e) => e['group'] === G_SSM && e['portName'] === port('ssm')).map((e) => e['family'])).toEqual([6]);
    expect(of('compat', (e) => e['group'] === G_V1).map((e) => e['family'])).toContain(6);
    await waitUntil('the querier-elected event for fe80::1', () => of('querier-elected', (e) => e['address'] === 'fe80::1').length > 0, 2_000);
    expect(of('querier-elected', (e) => e['address'] === 'fe80::1').map((e) => e['family'])).toEqual([6]);
  });
});
