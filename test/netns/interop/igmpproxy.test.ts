// Interop with a real multicast router (issue 11 item 14): igmpproxy (Debian igmpproxy) routes a stream from a source
// on its upstream segment to the switch. The switch learns the router port from igmpproxy's queries, hosts' reports
// reach igmpproxy (it routes a group only once it has heard a report for it), and each routed stream reaches its
// members and only them.
//
//   src 10.9.0.2 ── up0 [ r: igmpproxy ] eth0 ── igmpswitch ─┬─ m1 (joins G1)
//                                                            ├─ m2 (joins G2)
//                                                            └─ n  (joins nothing)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonStatus, startReceiver, startSender, type LabProcess, type Receiver, type Sender } from '../../../src/lab/index.js';
import { labSkipReason, useLab } from '../harness.js';
import { PktAgent, routers, waitSnooping, waitUntil } from '../snooping/helpers.js';
import { addUpstream, binarySkipReason, multicastRoutingSkipReason, received, type Upstream } from './helpers.js';

const IGMPPROXY = '/usr/sbin/igmpproxy';
const skip = labSkipReason ?? daemonStatus().reason ?? binarySkipReason(IGMPPROXY, 'igmpproxy') ?? multicastRoutingSkipReason();
const echo = process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null;
const G1 = '239.7.7.1';
const G2 = '239.7.7.2';

describe.skipIf(skip !== null)(`interop: igmpproxy as the upstream router${skip ? ` (skipped: ${skip})` : ''}`, () => {
  // The switch is no querier: igmpproxy is the only one, so snooping can only start from its queries.
  const lab = useLab(() => ({
    hosts: [{ name: 'r' }, { name: 'm1' }, { name: 'm2' }, { name: 'n' }],
    igmpswitch: { config: { snooping: { querier: { enabled: false } }, state: { file: null } }, echo },
  }));
  let dir = '';
  let upstream: Upstream | null = null;
  let proxy: LabProcess | null = null;
  const agents: Record<string, PktAgent> = {};
  const receivers: Receiver[] = [];
  let sender: Sender | null = null;

  beforeAll(async () => {
    const l = lab();
    dir = mkdtempSync(join(tmpdir(), 'igmpswitch-igmpproxy-'));
    upstream = await addUpstream(l, l.host('r'));
    // quickleave: leaves are answered with group-specific queries; threshold 1: streams with TTL > 1 are routed.
    const conf = join(dir, 'igmpproxy.conf');
    writeFileSync(conf, [
      'quickleave',
      `phyint ${upstream.routerIf} upstream ratelimit 0 threshold 1`,
      '  altnet 10.9.0.0/24',
      `phyint ${l.host('r').ifname} downstream ratelimit 0 threshold 1`,
      '',
    ].join('\n'));
    for (const h of ['r', 'm1', 'm2', 'n']) agents[h] = await PktAgent.start(l.host(h));
    proxy = l.host('r').spawn(IGMPPROXY, ['-d', '-v', '-v', conf], { label: 'igmpproxy', echo });
  });

  afterAll(async () => {
    await sender?.stop().catch(() => {});
    for (const rx of receivers) await rx.stop().catch(() => {});
    for (const a of Object.values(agents)) await a.stop().catch(() => {});
    await proxy?.stop('SIGTERM', 3_000).catch(() => {});
    await upstream?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('learns the router port from igmpproxy\'s queries', async () => {
    const l = lab();
    const rows = await waitUntil('the router port learned from igmpproxy', async () => {
      const rs = await routers(l);
      return rs.some((r) => r.port === l.host('r').port && r.source === 'query') ? rs : undefined;
    }, 15_000);
    expect(rows.find((r) => r.port === l.host('r').port)?.address).toBe(l.host('r').addr);
    expect((await waitSnooping(l)).snoopingActive).toBe(true);
  });

  it('reports reach igmpproxy; its streams reach the members and only them', async () => {
    const l = lab();
    const since = Object.fromEntries(await Promise.all(Object.entries(agents).map(async ([h, a]) => [h, await a.mark()] as const)));
    receivers.push(await startReceiver(l.host('m1'), { join: [{ group: G1 }] }));
    receivers.push(await startReceiver(l.host('m2'), { join: [{ group: G2 }] }));
    // The reports of m1 and m2 cross the switch to the router port.
    for (const [h, g] of [['m1', G1], ['m2', G2]] as const) {
      await waitUntil(`${h}'s report for ${g} at r`, async () =>
        (await agents['r']!.select({ since: since['r'], out: false, proto: 2, src: l.host(h).addr })).length > 0, 10_000);
    }
    sender = await startSender(upstream!.source, { groups: [G1, G2], rate: 100, ttl: 8 });
    // igmpproxy routes a group once it has a member for it (and the kernel has asked it for the route).
    await waitUntil('the routed G1 stream at m1', async () => (await received(agents['m1']!, since['m1']!, G1)) >= 50, 15_000);
    await waitUntil('the routed G2 stream at m2', async () => (await received(agents['m2']!, since['m2']!, G2)) >= 50, 15_000);
    const m = Object.fromEntries(await Promise.all(Object.entries(agents).map(async ([h, a]) => [h, await a.mark()] as const)));
    await new Promise((r) => setTimeout(r, 2_000));
    const got = async (h: string, g: string) => received(agents[h]!, m[h]!, g);
    const table = { m1: [await got('m1', G1), await got('m1', G2)], m2: [await got('m2', G1), await got('m2', G2)], n: [await got('n', G1), await got('n', G2)] };
    console.info(`[interop] igmpproxy streams over 2 s (G1, G2): ${JSON.stringify(table)}`);
    expect(table.m1[0], 'm1 gets G1').toBeGreaterThan(100);
    expect(table.m2[1], 'm2 gets G2').toBeGreaterThan(100);
    expect([table.m1[1], table.m2[0], table.n[0], table.n[1]], 'nobody gets a group it did not join').toEqual([0, 0, 0, 0]);
  });
});
