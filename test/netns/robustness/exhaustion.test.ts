// Exhaustion (issue 7, item 4): one port floods membership reports for EXHAUSTION_GROUPS distinct groups (default
// 1 000 000) as fast as an AF_PACKET socket sends them: IGMPv3 reports of 180 MODE_IS_EXCLUDE {} records each
// (5 556 reports of 1 486 bytes for the million), from blaster.c.
//
//   flood 192.0.2.1  the flooder; its port has max_groups: MAX_GROUPS    ── p1 ┐
//   h2    192.0.2.2  member of G                                        ── p2 ┤ igmpswitch (querier, filtering)
//   h3    192.0.2.3  sends G and G2 (200 pps each) all along            ── p3 ┤
//   h4    192.0.2.4  member of G2, not of G                             ── p4 ┘
//
// 1. Per-port limit: once the switch has processed every report it received, p1 holds exactly MAX_GROUPS memberships
//    (show ports, show groups) and every other record is refused and counted (engine counter reject_port-limit); the
//    other ports' memberships are intact, the stream reaches h2 (≥ 99 %) and never h4; the daemon's RSS stays within
//    RSS_BOUND_KIB of where it started.
// 2. Report rate limit: `snooping.report_rate_limit: RATE` applied by reload; a second flood (REPORTS_B reports) is
//    cut by the data plane to the token bucket (burst max(RATE, 16), then RATE/s): the excess is dropped and counted
//    (drop counter report_rate_limit), only the allowed ones reach the engine, and h2 on another port still joins a
//    new group during the flood.
//
// EXHAUSTION_GROUPS=N scales the first flood (e.g. 100000 on a slow machine).

import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configYaml, type ConfigObject, daemonStatus, type Receiver, type Sender, startReceiver, startSender } from '../../../src/lab/index.js';
import type { StatsView } from '../../../src/mgmt/api.js';
import { labSkipReason, useLab } from '../harness.js';
import {
  drops, errorLogs, groups, num, PacketCounter, ports, rssKiB, sleep, statsCli, sw, waitSnooping, waitUntil,
} from '../../../src/lab/observe.js';
import { blasterPath, hasGcc } from './helpers.js';

const GROUPS = Number(process.env['EXHAUSTION_GROUPS'] ?? 1_000_000);
const MAX_GROUPS = 1_000;
const RECORDS_PER_REPORT = 180;
const RATE = 50;
const REPORTS_B = 2_000;
/** RSS growth allowed over the whole flood (the switch keeps MAX_GROUPS memberships, not GROUPS). */
const RSS_BOUND_KIB = 64 * 1024;
const G = '239.8.8.8';
const G2 = '239.9.9.9';
const G3 = '239.10.0.3';

const skip = labSkipReason ?? daemonStatus().reason ?? (hasGcc() ? null : 'gcc is needed to build the blaster');

/**
 * The port counters of frames the kernel dropped on receive, on either back end (src/daemon/management.ts): the
 * AF_PACKET socket's drops, and an XSK's (XDP_STATISTICS) RX ring full and dropped — the kernel counts a frame lost
 * for want of a fill buffer in rx_dropped as well as in rx_fill_ring_empty_descs, so io_xskFillEmpty is not added.
 */
const KERNEL_DROPS = ['io_kernelDrops', 'io_xskRxRingFull', 'io_xskRxDropped'];

function portCounter(s: StatsView, port: string, name: string): number {
  return num(s.ports.find((p) => p.name === port)?.counters[name]);
}

describe.skipIf(skip !== null)(`exhaustion: ${GROUPS} groups from one port${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let config: ConfigObject = {};
  const lab = useLab(() => ({
    hosts: [{ name: 'flood' }, { name: 'h2' }, { name: 'h3' }, { name: 'h4' }],
    igmpswitch: {
      config: (generated) => {
        const names = generated['ports'] as string[];
        config = {
          ...generated,
          ports: names.map((name, i) => (i === 0 ? { name, max_groups: MAX_GROUPS } : name)),
          snooping: {
            querier: { enabled: true, address: '192.0.2.254', version: 3 },
            // One start-up query, then none for two minutes: during the test the hosts send no IS_EX of their own,
            // so the engine's record counters count the flood alone.
            query_interval: '120s', query_response_interval: '2s', startup_query_count: 1, startup_flood: 0,
          },
          state: { file: null },
        };
        return config;
      },
      echo: process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null,
    },
  }));
  let blaster: string;
  const receivers: Receiver[] = [];
  let sender: Sender | null = null;

  beforeAll(async () => {
    blaster = blasterPath();
    const l = lab();
    await waitSnooping(l);
    receivers.push(await startReceiver(l.host('h2'), { join: [{ group: G }], intervalMs: 60_000 }));
    receivers.push(await startReceiver(l.host('h4'), { join: [{ group: G2 }], intervalMs: 60_000 }));
    await waitUntil('h2 in G and h4 in G2', async () => {
      const g = await groups(l);
      return g.some((r) => r.group === G && r.port === l.host('h2').port) && g.some((r) => r.group === G2 && r.port === l.host('h4').port);
    }, 10_000);
  });
  afterAll(async () => {
    await sender?.stop().catch(() => {});
    for (const r of receivers) await r.stop();
  });

  it(`the per-port limit holds against ${GROUPS} groups; other ports unaffected; memory bounded`, async () => {
    const l = lab();
    const flood = l.host('flood');
    const pid = sw(l).pid;
    const nonMember = await PacketCounter.start(l.host('h4'), `udp and dst host ${G}`);
    sender = await startSender(l.host('h3'), { groups: [G, G2], rate: 200, size: 100, intervalMs: 60_000 });
    await sleep(500);
    const before = await statsCli(l);
    const rss0 = rssKiB(pid)!;
    const rss: number[] = [rss0];
    const sampler = setInterval(() => { const k = rssKiB(pid); if (k !== null) rss.push(k); }, 250);
    const h2Before = receivers[0]!.total(G);
    const sentBefore = sender.latest()?.groups.find((g) => g.group === G)?.totalSent ?? 0;
    void sentBefore;

    const t0 = Date.now();
    const proc = flood.spawn(blaster, ['reports', flood.link, flood.mac, flood.addr, '225.0.0.0', String(GROUPS), String(RECORDS_PER_REPORT), '60'], { label: 'flood:reports' });
    const done = await proc.waitForJson<{ sent: number; groups: number; errors: number; seconds: number }>((o) => o['type'] === 'done', 90_000, 'the report flood');
    // The switch has handled the flood once the engine saw every report the data plane accepted.
    let after = await statsCli(l);
    await waitUntil('the engine to process every report the data plane took', async () => {
      after = await statsCli(l);
      const dp = portCounter(after, flood.port, 'msg_igmp_v3_report') - portCounter(before, flood.port, 'msg_igmp_v3_report');
      const engine = num(after.engine['rx_igmp_v3_report']) - num(before.engine['rx_igmp_v3_report']);
      return dp > 0 && engine >= dp;
    }, 60_000, 500, () => JSON.stringify(after.engine));
    const processedMs = Date.now() - t0;
    clearInterval(sampler);
    const rssEnd = rssKiB(pid)!;

    const reportsIn = portCounter(after, flood.port, 'msg_igmp_v3_report') - portCounter(before, flood.port, 'msg_igmp_v3_report');
    const records = num(after.engine['rx_igmp_v3_record_is_ex']) - num(before.engine['rx_igmp_v3_record_is_ex']);
    const refused = num(after.engine['reject_port-limit']) - num(before.engine['reject_port-limit']);
    const kernelDrops = KERNEL_DROPS.reduce((sum, k) => sum + portCounter(after, flood.port, k) - portCounter(before, flood.port, k), 0);
    const p = await ports(l);
    const rows = await groups(l, 30_000);
    const onFlood = rows.filter((r) => r.port === flood.port).length;
    await sleep(1_000);
    const h2Got = (await receivers[0]!.reportNow(10_000)).groups.find((g) => g.group === G)!;
    const sentNow = (sender.latest()?.groups ?? []).find((g) => g.group === G)?.totalSent;
    void sentNow;
    const leaked = await nonMember.stop();
    console.info(`[netns] exhaustion: ${done.groups} groups in ${done.sent} reports sent in ${done.seconds} s (${done.errors} retried); ` +
      `switch took ${reportsIn} reports (${kernelDrops} dropped by the kernel), ${records} records, processed in ${(processedMs / 1000).toFixed(1)} s; ` +
      `p1 holds ${onFlood} (show groups) / ${p.find((x) => x.name === flood.port)?.groups} (show ports), refused ${refused}; ` +
      `h2 stream +${h2Got.totalPackets - h2Before} (${h2Got.lost} lost), h4 got ${leaked.captured} of G; ` +
      `RSS ${rss0} → max ${Math.max(...rss)} → ${rssEnd} KiB`);

    expect(done.groups).toBe(GROUPS);
    expect(sw(l).process.running).toBe(true);
    expect(errorLogs(l)).toEqual([]);
    // Every report the socket delivered reached the engine. The receive queue is bounded (a few batches,
    // docs/packet-io.md), so a flood faster than the switch is partly dropped by the kernel, and counted.
    expect(reportsIn).toBeGreaterThan(0);
    expect(reportsIn + kernelDrops).toBeGreaterThanOrEqual(0.95 * done.sent);
    // The limit holds, exactly, and each refused record is counted.
    expect(onFlood).toBe(MAX_GROUPS);
    expect(p.find((x) => x.name === flood.port)?.groups).toBe(MAX_GROUPS);
    // Records counted beyond the flood's are the members' own answers to a query (refreshes, never refused).
    if (reportsIn === done.sent) {
      expect(records).toBeGreaterThanOrEqual(GROUPS);
      expect(refused).toBe(GROUPS - MAX_GROUPS);
    } else {
      expect(refused).toBeLessThanOrEqual(records - MAX_GROUPS);
      expect(refused).toBeGreaterThanOrEqual(records - MAX_GROUPS - 4);
    }
    // Other ports: memberships intact, forwarding unaffected.
    expect(rows.some((r) => r.group === G && r.port === l.host('h2').port)).toBe(true);
    expect(rows.some((r) => r.group === G2 && r.port === l.host('h4').port)).toBe(true);
    expect(h2Got.lost, 'stream packets lost at the member during the flood').toBeLessThanOrEqual(Math.ceil(0.01 * (h2Got.totalPackets - h2Before)));
    expect(leaked.captured, 'G at the non-member h4').toBe(0);
    // Memory bounded.
    expect(Math.max(...rss) - rss0, `RSS grew from ${rss0} to ${Math.max(...rss)} KiB`).toBeLessThanOrEqual(RSS_BOUND_KIB);
  }, 180_000);

  it(`report_rate_limit ${RATE}/s: the data plane drops the excess and counts it; other ports still join`, async () => {
    const l = lab();
    const flood = l.host('flood');
    // Reload with the rate limit (the daemon re-reads its file).
    config = { ...config, snooping: { ...(config['snooping'] as ConfigObject), report_rate_limit: RATE } };
    writeFileSync(sw(l).configPath, configYaml(config, '(exhaustion test: rate limit)'));
    const reload = (await sw(l).request('reload', {}, 30_000)) as { changes: string[] };
    expect(reload.changes.join(' ')).toMatch(/report_rate_limit|reportRateLimit|rate/i);
    await sleep(1_200); // the bucket refills to its burst
    const before = await statsCli(l);

    const t0 = Date.now();
    const proc = flood.spawn(blaster, ['reports', flood.link, flood.mac, flood.addr, '226.0.0.0', String(REPORTS_B * 10), '10', '30'], { label: 'flood:reports-b' });
    // Meanwhile, a host on another port joins a new group: its reports go through its own port's bucket.
    const joined = (async () => {
      await sleep(50);
      await receivers[0]!.join(G3);
      return waitUntil(`${G3} on h2's port during the flood`, async () => (await groups(l, 30_000)).some((r) => r.group === G3 && r.port === l.host('h2').port), 15_000, 200);
    })();
    const done = await proc.waitForJson<{ sent: number; seconds: number }>((o) => o['type'] === 'done', 60_000, 'the second flood');
    const floodMs = Date.now() - t0;
    await joined;
    let after = await statsCli(l);
    await waitUntil('the engine to process every punted report', async () => {
      after = await statsCli(l);
      const punted = portCounter(after, flood.port, 'event_punt') - portCounter(before, flood.port, 'event_punt');
      const engine = num(after.engine['rx_igmp_v3_report']) - num(before.engine['rx_igmp_v3_report']);
      return engine >= punted ? true : undefined;
    }, 30_000, 300);
    const received = portCounter(after, flood.port, 'msg_igmp_v3_report') - portCounter(before, flood.port, 'msg_igmp_v3_report');
    const limited = drops(after)['report_rate_limit']! - (drops(before)['report_rate_limit'] ?? 0);
    const limitedOnPort = portCounter(after, flood.port, 'drop_report_rate_limit') - portCounter(before, flood.port, 'drop_report_rate_limit');
    // What the data plane let through to the control plane from the flooding port.
    const accepted = portCounter(after, flood.port, 'event_punt') - portCounter(before, flood.port, 'event_punt');
    const engineRx = num(after.engine['rx_igmp_v3_report']) - num(before.engine['rx_igmp_v3_report']);
    const allowed = RATE + RATE * (floodMs / 1000 + 1); // burst + refill over the flood, with a second of slack
    console.info(`[netns] report rate limit ${RATE}/s: flood of ${done.sent} reports in ${done.seconds} s; switch got ${received}, ` +
      `dropped ${limited} (report_rate_limit), passed ${accepted} to the engine (allowed ≤ ${allowed.toFixed(0)}); engine rx ${engineRx} (all ports)`);

    // More than the bucket holds reached the data plane (the bounded receive queue takes a few batches of a burst).
    expect(received).toBeGreaterThan(2 * RATE);
    expect(limited).toBeGreaterThan(0);
    expect(limitedOnPort).toBe(limited);
    expect(accepted + limited).toBe(received);
    expect(accepted).toBeLessThanOrEqual(allowed);
    expect(accepted).toBeGreaterThanOrEqual(RATE); // the burst went through
    expect(engineRx).toBeGreaterThanOrEqual(accepted);
    // The per-port limit still holds.
    expect((await ports(l)).find((x) => x.name === flood.port)?.groups).toBe(MAX_GROUPS);
    expect(sw(l).process.running).toBe(true);
    expect(errorLogs(l)).toEqual([]);
  }, 120_000);
});

// Default limits (max_groups 0 everywhere). docs/config.md says snooping.max_groups 0 means "no limit other than
// dataplane.mdb_capacity"; the engine does not apply that limit: every reported group becomes a membership (≈1.3 KB
// of heap each), `show groups`/`show ports` list memberships the data plane has no room for, and their traffic goes
// unregistered. This case asserts the documented behaviour; it FAILS on the current daemon, so it runs only with
// EXHAUSTION_DEFAULTS=1 (see the robustness report for the figures at 1 000 000 groups: 2.3 GB RSS, ~40 s of an
// unresponsive control socket).
const DEFAULTS_GROUPS = 50_000;
const DEFAULTS_MDB = 4_096;
describe.skipIf(skip !== null || !process.env['EXHAUSTION_DEFAULTS'])(`exhaustion with default limits (dataplane.mdb_capacity ${DEFAULTS_MDB})`, () => {
  const lab = useLab(() => ({
    hosts: [{ name: 'flood' }, { name: 'h2' }],
    igmpswitch: {
      config: {
        snooping: { querier: { enabled: true, address: '192.0.2.254', version: 3 }, query_interval: '120s', startup_query_count: 1, startup_flood: 0 },
        dataplane: { mdb_capacity: DEFAULTS_MDB },
        state: { file: null },
      },
    },
  }));

  it(`${DEFAULTS_GROUPS} groups from one port: memberships stay within the MDB, every listed group forwards`, async () => {
    const l = lab();
    await waitSnooping(l);
    const flood = l.host('flood');
    const before = await statsCli(l);
    const proc = flood.spawn(blasterPath(), ['reports', flood.link, flood.mac, flood.addr, '225.0.0.0', String(DEFAULTS_GROUPS), String(RECORDS_PER_REPORT), '60'], { label: 'flood:reports' });
    await proc.waitForJson((o) => o['type'] === 'done', 60_000, 'the report flood');
    let after = before;
    await waitUntil('the engine to process the flood', async () => {
      after = await statsCli(l);
      const dp = portCounter(after, flood.port, 'msg_igmp_v3_report') - portCounter(before, flood.port, 'msg_igmp_v3_report');
      return dp > 0 && num(after.engine['rx_igmp_v3_report']) - num(before.engine['rx_igmp_v3_report']) >= dp;
    }, 60_000, 500);
    const memberships = (await ports(l)).find((p) => p.name === flood.port)?.groups ?? 0;
    const last = `225.0.${(DEFAULTS_GROUPS - 1) >> 8}.${(DEFAULTS_GROUPS - 1) & 255}`;
    const t = (await sw(l).request('trace', { in: l.host('h2').port, dst: last }, 30_000)) as { matched: { table: string } };
    console.info(`[netns] default limits: ${memberships} memberships on ${flood.port} with mdb_capacity ${DEFAULTS_MDB}; trace ${last}: ${t.matched.table}`);
    expect(memberships).toBeLessThanOrEqual(DEFAULTS_MDB);
    if (memberships >= DEFAULTS_GROUPS) expect(t.matched.table).toBe('mdb-g');
  }, 120_000);
});
