// Issue 13: what the operator reads must be true. Every check here runs against a real switch in a lab of kernel
// hosts: metrics after a known run, show ports FILTERED vs DROPS, show groups HOSTS, trace, show querier, capture of
// both directions, and reload with a restart-only key. Driven through the real CLI (and a real /metrics scrape).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configYaml, daemonStatus, deepMerge, sendMulticast } from '../../../src/lab/index.js';
import type { GroupRow, PortRow } from '../../../src/mgmt/api.js';
import { readCapture } from '../../../src/mgmt/pcap.js';
import { decodeControlFrame, l3OffsetOf } from '../../../src/wire/control-frame.js';
import { labSkipReason } from '../harness.js';
import { metricSamples as family, querier, scrapeMetrics, sw } from '../snooping/helpers.js';
import { cli, useMemberLab } from './helpers.js';

const skip = labSkipReason ?? daemonStatus().reason;
const G = '239.13.13.1';
/** A group nobody joins: unregistered multicast (policy `routers`, and there is no router port). */
const UNJOINED = '239.13.13.99';
const QUERIER = '192.0.2.254';
const METRICS_PORT = 9464; // in the switch's own namespace: no clash with anything outside it

describe.skipIf(skip !== null)(`operator surface (issue 13)${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const { lab, receiver } = useMemberLab({
    config: {
      snooping: {
        querier: { enabled: true, address: QUERIER },
        query_interval: '4s', query_response_interval: '1s', startup_flood: 0,
        group_membership_interval: '30s', other_querier_present_interval: '30s',
      },
      metrics: { enabled: true, listen: `127.0.0.1:${METRICS_PORT}` },
    },
    group: G,
    joinTimeoutMs: 10_000,
    // Known traffic: 40 frames to a group nobody joined (filtered by policy, not dropped as bad).
    then: async (l) => { await sendMulticast(l.host('h1'), { groups: [UNJOINED], count: 40, rate: 200 }); },
    setupTimeoutMs: 60_000,
  });

  it('13.1: every metric family shows the known run (own queries counted as tx)', async () => {
    const l = lab();
    const h1 = l.host('h1').port;
    const h2 = l.host('h2').port;
    const text = await scrapeMetrics(l, METRICS_PORT);
    const one = (name: string, labels = ''): number | undefined => family(text, name).get(labels);
    for (const p of l.ports) expect(one('igmpswitch_port_up', `{port="${p}"}`), p).toBe(1);
    expect(one('igmpswitch_port_rx_frames_total', `{port="${h1}"}`)).toBeGreaterThanOrEqual(40);
    expect(one('igmpswitch_port_rx_bytes_total', `{port="${h1}"}`)).toBeGreaterThan(40 * 60);
    expect(one('igmpswitch_port_tx_frames_total', `{port="${h2}"}`)).toBeGreaterThanOrEqual(0); // forwarded: none here
    expect(one('igmpswitch_port_tx_bytes_total', `{port="${h2}"}`)).toBeGreaterThanOrEqual(0);
    expect(one('igmpswitch_port_originated_frames_total', `{port="${h2}"}`)).toBeGreaterThan(0); // our queries
    expect(one('igmpswitch_port_filtered_total', `{port="${h1}",reason="no_egress"}`)).toBeGreaterThanOrEqual(40);
    expect([...family(text, 'igmpswitch_port_drops_total').keys()].filter((k) => k.includes('no_egress'))).toEqual([]);
    expect(one('igmpswitch_port_groups', `{port="${h2}"}`)).toBe(1);
    expect(one('igmpswitch_port_groups', `{port="${h1}"}`)).toBe(0);
    expect(one('igmpswitch_port_router', `{port="${h1}"}`)).toBe(0);
    expect(one('igmpswitch_router_ports')).toBe(0);
    expect(one('igmpswitch_igmp_messages_total', '{direction="rx",type="report",version="3"}')).toBeGreaterThan(0);
    expect(one('igmpswitch_igmp_messages_total', '{direction="tx",type="query",version="3"}')).toBeGreaterThan(0);
    expect(one('igmpswitch_querier_state', '{state="self"}')).toBe(1);
    expect(one('igmpswitch_querier_info', `{address="${QUERIER}",port="",version="3"}`)).toBe(1);
    expect(one('igmpswitch_engine_rejects_total', '{family="igmp",reason="rate-limit"}')).toBe(0);
    expect(one('igmpswitch_engine_rejects_total', '{family="mld",reason="rate-limit"}')).toBe(0);
    expect(one('igmpswitch_mdb_entries')).toBeGreaterThanOrEqual(1);
    expect(one('igmpswitch_uptime_seconds')).toBeGreaterThanOrEqual(0);
    expect([...family(text, 'igmpswitch_build_info').keys()][0]).toMatch(/^\{version="\d+\.\d+\.\d+.*"\}$/);
  });

  it('13.4: show ports counts policy filtering apart from drops', async () => {
    const l = lab();
    const h1 = l.host('h1').port;
    const r = await cli(l, ['show', 'ports', '--json']);
    const row = (JSON.parse(r.stdout) as PortRow[]).find((p) => p.name === h1)!;
    expect(Number(row.filtered)).toBeGreaterThanOrEqual(40);
    expect(Number(row.drops)).toBe(0);
    const text = (await cli(l, ['show', 'ports'])).stdout;
    expect(text.split('\n')[0]).toMatch(/FILTERED\s+DROPS$/);
    const stats = (await cli(l, ['show', 'stats'])).stdout;
    expect(stats).toMatch(/Filtered by policy:\n(?:.*\n)*? {2}no_egress: +\d+/);
  });

  it('13.5: show groups lists the host heard reporting on a port without fast-leave', async () => {
    const l = lab();
    const rows = JSON.parse((await cli(l, ['show', 'groups', '--json'])).stdout) as GroupRow[];
    const row = rows.find((g) => g.group === G && g.port === l.host('h2').port)!;
    expect(row.hosts).toEqual([l.host('h2').addr]);
    expect((await cli(l, ['show', 'groups'])).stdout).toContain(l.host('h2').addr);
  });

  it('13.6: trace without --src explains any source, refuses a unicast --dst, names the unregistered policy', async () => {
    const l = lab();
    const h1 = l.host('h1').port;
    const any = await cli(l, ['trace', '--in', h1, '--dst', G]);
    expect(any.code, any.stderr).toBe(0);
    expect(any.stdout).not.toContain('192.0.2.100');
    expect(any.stdout).toContain(`frame:    any source → ${G}`);
    expect(any.stdout).toMatch(new RegExp(`${l.host('h2').port} +yes +member in EXCLUDE mode`));

    const unicast = await cli(l, ['trace', '--in', h1, '--dst', '10.0.0.5']);
    expect(unicast.code).toBe(2);
    expect(unicast.stderr).toMatch(/--dst must be an IPv4 multicast group/);

    const unreg = await cli(l, ['trace', '--in', h1, '--dst', UNJOINED, '--src', l.host('h1').addr]);
    expect(unreg.code, unreg.stderr).toBe(0);
    expect(unreg.stdout).toMatch(/unregistered/);
    expect(unreg.stdout).toMatch(/snooping\.unregistered: routers/);
    expect(unreg.stdout).toMatch(/router ports: none/);
  });

  it('13.8: show querier names this switch without an expiry', async () => {
    const l = lab();
    const r = await cli(l, ['show', 'querier']);
    expect(r.stdout.split('\n').find((line) => line.startsWith('querier:'))).toMatch(/^querier: +this switch \(192\.0\.2\.254\)$/);
    expect(r.stdout).not.toMatch(/expires in 0ms/);
  });

  it('13.3: capture --control holds the switch\'s own queries as well as what it received, with direction and port', async () => {
    const l = lab();
    const file = join(sw(l).dir, 'control.pcapng');
    await receiver().join('239.13.13.2'); // a report during the capture, besides the answers to queries
    const r = await cli(l, ['capture', '--control', file, '--duration', '9'], 30_000);
    expect(r.code, r.stderr).toBe(0);
    const packets = readCapture(readFileSync(file)).packets;
    const decoded = packets.map((p) => ({ ...p, msg: decodeControlFrame(p.bytes, l3OffsetOf(p.bytes)) }));
    const ownQueries = decoded.filter((p) => p.direction === 'out' && p.msg.ok && p.msg.value.kind === 'igmp'
      && p.msg.value.message.type === 'query' && p.msg.value.src === QUERIER);
    expect(ownQueries.length).toBeGreaterThan(0);
    for (const q of ownQueries) {
      expect(l.ports).toContain(q.interfaceName);
      expect(q.comments).toEqual([`tx ${q.interfaceName}`]);
    }
    const reports = decoded.filter((p) => p.direction === 'in' && p.interfaceName === l.host('h2').port);
    expect(reports.length).toBeGreaterThan(0);
    expect(reports[0]!.comments).toEqual([`rx ${l.host('h2').port}`]);
  }, 40_000);

  it('13.2: reload applies the reloadable changes, reports the restart-only ones and shows the warnings', async () => {
    const l = lab();
    const s = sw(l);
    // max_groups above mdb_capacity is accepted with a warning; fdb_capacity needs a restart.
    writeFileSync(s.configPath, configYaml(deepMerge(s.config, {
      snooping: { robustness: 3, max_groups: 200_000 }, dataplane: { fdb_capacity: 32_768 },
    }), 'reload test'));
    const r = await cli(l, ['reload']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/snooping\.robustness 2 → 3/);
    expect(r.stdout).toMatch(/not applied, the old value stays until a restart:\n {2}dataplane\.fdb_capacity 16384 → 32768/);
    expect(r.stdout).toMatch(/warning: .*snooping\.max_groups: larger than dataplane\.mdb_capacity/);
    expect((await querier(l)).robustness).toBe(3);

    writeFileSync(s.configPath, `ports: [${l.ports.join(', ')}]\nsnooping:\n  query_interval: fast\n`);
    const bad = await cli(l, ['reload']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.match(/running configuration stays/g)).toHaveLength(1);
    expect(bad.stderr).toMatch(/snooping\.query_interval/);
    expect((await querier(l)).robustness).toBe(3);
  });
});
