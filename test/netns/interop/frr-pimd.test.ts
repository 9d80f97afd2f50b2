// Interop with a real PIM router (issue 11 item 14): FRR's pimd (Debian frr, with its zebra) routes source-specific
// streams (SSM, 232/8) from a source on its upstream segment to the switch. The switch learns the router port from
// pimd's PIM hellos, hosts' IGMPv3 INCLUDE {S} reports reach pimd (it builds the (S,G) route only from them), and
// each routed stream reaches its members and only them.
//
//   src 10.9.0.2 ── up0 [ r: zebra + pimd ] eth0 ── igmpswitch ─┬─ m1 (joins S,G1)
//                                                               ├─ m2 (joins S,G2)
//                                                               └─ n  (joins nothing)

import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonStatus, startReceiver, startSender, type LabProcess, type Receiver, type Sender } from '../../../src/lab/index.js';
import { labSkipReason, useLab } from '../harness.js';
import { PktAgent, routers, waitSnooping, waitUntil } from '../snooping/helpers.js';
import { addUpstream, binarySkipReason, multicastRoutingSkipReason, received, type Upstream } from './helpers.js';

const FRR = '/usr/lib/frr';
const skip = labSkipReason ?? daemonStatus().reason ?? binarySkipReason(`${FRR}/pimd`, 'frr') ?? binarySkipReason(`${FRR}/zebra`, 'frr');
const echo = process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null;
const S = '10.9.0.2';
const G1 = '232.1.1.1';
const G2 = '232.1.1.2';

/** uid and gid of the frr user (FRR daemons drop to it; their files must be its). */
function frrUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'frr'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

describe.skipIf(skip !== null)(`interop: FRR pimd as the upstream router${skip ? ` (skipped: ${skip})` : ''}`, () => {
  // The switch is no querier: pimd's IGMP querier and its PIM hellos are the only router signals.
  const lab = useLab(() => ({
    hosts: [{ name: 'r' }, { name: 'm1' }, { name: 'm2' }, { name: 'n' }],
    igmpswitch: { config: { snooping: { querier: { enabled: false } }, state: { file: null } }, echo },
  }));
  let dir = '';
  let upstream: Upstream | null = null;
  const daemons: LabProcess[] = [];
  const agents: Record<string, PktAgent> = {};
  const receivers: Receiver[] = [];
  let sender: Sender | null = null;

  beforeAll(async () => {
    const l = lab();
    const r = l.host('r');
    dir = mkdtempSync(join(tmpdir(), 'igmpswitch-frr-'));
    upstream = await addUpstream(l, r);
    // A 2 s hello interval: the first hello can be lost while pimd sets up its socket, and the next one must not
    // take the default 30 s.
    writeFileSync(join(dir, 'zebra.conf'), 'hostname r\n');
    writeFileSync(join(dir, 'pimd.conf'), [
      'hostname r',
      `interface ${r.ifname}`, ' ip pim', ' ip pim hello 2', ' ip igmp', ' ip igmp version 3',
      `interface ${upstream.routerIf}`, ' ip pim',
      '',
    ].join('\n'));
    const { uid, gid } = frrUser();
    for (const f of ['', 'zebra.conf', 'pimd.conf']) chownSync(join(dir, f), uid, gid);
    const common = (d: string) => ['-N', l.id, '-f', join(dir, `${d}.conf`), '-i', join(dir, `${d}.pid`),
      '-z', join(dir, 'zserv.api'), '--vty_socket', dir, '--log', 'stdout'];
    daemons.push(r.spawn(`${FRR}/zebra`, common('zebra'), { label: 'zebra', echo }));
    await waitUntil('zebra\'s API socket', () => existsSync(join(dir, 'zserv.api')), 15_000);
    for (const h of ['r', 'm1', 'm2', 'n']) agents[h] = await PktAgent.start(l.host(h));
    daemons.push(r.spawn(`${FRR}/pimd`, common('pimd'), { label: 'pimd', echo }));
  });

  afterAll(async () => {
    await sender?.stop().catch(() => {});
    for (const rx of receivers) await rx.stop().catch(() => {});
    for (const a of Object.values(agents)) await a.stop().catch(() => {});
    for (const d of daemons.reverse()) await d.stop('SIGTERM', 3_000).catch(() => {});
    await upstream?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
    // -N (the path space that keeps this pair apart from any other FRR) made a run directory of that name.
    rmSync(`/var/run/frr/${lab().id}`, { recursive: true, force: true });
  });

  it('learns the router port from pimd\'s PIM hellos', async () => {
    const l = lab();
    const port = l.host('r').port;
    const rows = await waitUntil('the router port learned from a PIM hello', async () => {
      const rs = await routers(l);
      return rs.some((x) => x.port === port && x.source === 'pim') ? rs : undefined;
    }, 20_000);
    expect(rows.find((x) => x.port === port && x.source === 'pim')?.address).toBe(l.host('r').addr);
    expect((await waitSnooping(l, 20_000)).snoopingActive).toBe(true);
  });

  const noRouting = multicastRoutingSkipReason();
  it.skipIf(noRouting !== null)(`IGMPv3 (S,G) reports reach pimd; the routed SSM streams reach the members and only them${noRouting ? ` (skipped: ${noRouting})` : ''}`, async () => {
    const l = lab();
    const since = Object.fromEntries(await Promise.all(Object.entries(agents).map(async ([h, a]) => [h, await a.mark()] as const)));
    receivers.push(await startReceiver(l.host('m1'), { join: [{ group: G1, source: S }] }));
    receivers.push(await startReceiver(l.host('m2'), { join: [{ group: G2, source: S }] }));
    for (const h of ['m1', 'm2']) {
      await waitUntil(`${h}'s report at r`, async () =>
        (await agents['r']!.select({ since: since['r'], out: false, proto: 2, src: l.host(h).addr })).length > 0, 10_000);
    }
    sender = await startSender(upstream!.source, { groups: [G1, G2], rate: 100, ttl: 8 });
    await waitUntil('the routed G1 stream at m1', async () => (await received(agents['m1']!, since['m1']!, G1)) >= 50, 20_000);
    await waitUntil('the routed G2 stream at m2', async () => (await received(agents['m2']!, since['m2']!, G2)) >= 50, 20_000);
    const m = Object.fromEntries(await Promise.all(Object.entries(agents).map(async ([h, a]) => [h, await a.mark()] as const)));
    await new Promise((res) => setTimeout(res, 2_000));
    const got = (h: string, g: string) => received(agents[h]!, m[h]!, g);
    const table = { m1: [await got('m1', G1), await got('m1', G2)], m2: [await got('m2', G1), await got('m2', G2)], n: [await got('n', G1), await got('n', G2)] };
    console.info(`[interop] pimd SSM streams over 2 s (G1, G2): ${JSON.stringify(table)}`);
    expect(table.m1[0], 'm1 gets (S,G1)').toBeGreaterThan(100);
    expect(table.m2[1], 'm2 gets (S,G2)').toBeGreaterThan(100);
    expect([table.m1[1], table.m2[0], table.n[0], table.n[1]], 'nobody gets a group it did not join').toEqual([0, 0, 0, 0]);
  });
});
