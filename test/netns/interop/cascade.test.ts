// Two switches in cascade (issue 11 item 14): igmpswitch A ── Linux bridge (IGMP snooping on) ── igmpswitch B, with
// receivers behind each. A is the querier of the whole segment; the bridge and B learn their router ports from A's
// queries. Streams from behind A reach members behind the bridge and behind B, a stream from behind B reaches a member
// behind A, and no host gets a group it did not join.
//
//   a1 (sends G1, G2) ─┐                              ┌─ b1 (joins G1)
//   a2 (joins G1, G3) ─┼─ igmpswitch A ─ x: br0 ─ igmpswitch B ─┼─ b2 (sends G3)
//   a3 (nothing)      ─┘                 │                      └─ b3 (nothing)
//                                        bh (joins G2)
//
// x is lab A's host on A's port; its eth0 and lab B's host y's eth0 (moved into x) are the bridge ports, and bh hangs
// off the bridge on a veth of its own.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonStatus, ip, startReceiver, startSender, type Lab, type LabHost, type Receiver, type Sender } from '../../../src/lab/index.js';
import { labSkipReason, useLab } from '../harness.js';
import { PktAgent, routers, waitSnooping, waitUntil } from '../snooping/helpers.js';
import { attachHost, received, type ExtraHost } from './helpers.js';

const skip = labSkipReason ?? daemonStatus().reason;
const echo = process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null;
const G1 = '239.8.8.1';
const G2 = '239.8.8.2';
const G3 = '239.8.8.3';
const GROUPS = [G1, G2, G3];

/** Who joins what; everything else must get nothing. */
const JOINS: Record<string, string[]> = { a2: [G1, G3], b1: [G1], bh: [G2], a3: [], b3: [] };

describe.skipIf(skip !== null)(`interop: igmpswitch ─ Linux bridge ─ igmpswitch${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const labA = useLab(() => ({
    hosts: [{ name: 'a1', ipv4: '192.0.2.11/24' }, { name: 'a2', ipv4: '192.0.2.12/24' }, { name: 'a3', ipv4: '192.0.2.13/24' }, { name: 'x', ipv4: '192.0.2.19/24' }],
    // A 20 s query interval puts A's start-up queries 5 s apart (RFC 3376 §8.6: QI / 4): B, started after A's first
    // query, hears the next one within the wait below instead of 31 s later.
    igmpswitch: { config: { snooping: { query_interval: '20s', querier: { enabled: true, address: '192.0.2.254' } }, state: { file: null } }, echo },
  }));
  const labB = useLab(() => ({
    hosts: [{ name: 'b1', ipv4: '192.0.2.21/24' }, { name: 'b2', ipv4: '192.0.2.22/24' }, { name: 'b3', ipv4: '192.0.2.23/24' }, { name: 'y', ipv4: '192.0.2.29/24' }],
    igmpswitch: { config: { snooping: { querier: { enabled: false } }, state: { file: null } }, echo },
  }));
  let bh: ExtraHost | null = null;
  const hosts: Record<string, LabHost> = {};
  const agents: Record<string, PktAgent> = {};
  const receivers: Receiver[] = [];
  const senders: Sender[] = [];

  beforeAll(async () => {
    const a = labA();
    const b = labB();
    const x = a.host('x');
    const y = b.host('y');
    // The bridge lives in x: x's eth0 (to A) and y's eth0 (to B, moved over and renamed) are its ports.
    await ip(x.ns, ['addr', 'flush', 'dev', x.link]);
    await ip(y.ns, ['link', 'set', y.link, 'down']);
    await ip(y.ns, ['link', 'set', y.link, 'name', 'toB']);
    await ip(y.ns, ['link', 'set', 'toB', 'netns', x.ns]);
    await ip(x.ns, ['link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '1', 'mcast_querier', '0']);
    bh = await attachHost(a, 'bh', x.ns, 'toH', '192.0.2.31/24');
    for (const port of [x.link, 'toB', 'toH']) {
      await ip(x.ns, ['link', 'set', port, 'master', 'br0']);
      await ip(x.ns, ['link', 'set', port, 'up']);
    }
    await ip(x.ns, ['link', 'set', 'br0', 'up']);
    for (const h of ['a1', 'a2', 'a3']) hosts[h] = a.host(h);
    for (const h of ['b1', 'b2', 'b3']) hosts[h] = b.host(h);
    hosts['bh'] = bh.host;
    for (const [h, host] of Object.entries(hosts)) agents[h] = await PktAgent.start(host);
  });

  afterAll(async () => {
    for (const s of senders) await s.stop().catch(() => {});
    for (const rx of receivers) await rx.stop().catch(() => {});
    for (const ag of Object.values(agents)) await ag.stop().catch(() => {});
    await bh?.destroy();
  });

  const routerPort = async (l: Lab, port: string) => waitUntil(`router port ${port}`, async () =>
    (await routers(l)).find((r) => r.port === port && r.source === 'query'), 20_000);

  it('B learns its router port (toward the bridge) from A\'s queries through the bridge', async () => {
    await waitSnooping(labA());
    const row = await routerPort(labB(), labB().host('y').port);
    expect(row.address).toBe('192.0.2.254');
    expect((await waitSnooping(labB(), 20_000)).snoopingActive).toBe(true);
  });

  it('streams cross the cascade both ways to the members, and only to them', async () => {
    const since = Object.fromEntries(await Promise.all(Object.entries(agents).map(async ([h, ag]) => [h, await ag.mark()] as const)));
    for (const [h, groups] of Object.entries(JOINS)) {
      if (groups.length) receivers.push(await startReceiver(hosts[h]!, { join: groups.map((group) => ({ group })) }));
    }
    senders.push(await startSender(hosts['a1']!, { groups: [G1, G2], rate: 100 }));
    senders.push(await startSender(hosts['b2']!, { groups: [G3], rate: 100 }));
    for (const [h, groups] of Object.entries(JOINS)) {
      for (const g of groups) await waitUntil(`${g} at ${h}`, async () => (await received(agents[h]!, since[h]!, g)) >= 20, 20_000);
    }
    // A 2 s window by capture time (the agents' clocks are this machine's), read after it has passed.
    const t0 = Date.now();
    await new Promise((res) => setTimeout(res, 2_500));
    const table: Record<string, number[]> = {};
    for (const h of Object.keys(agents)) {
      table[h] = [];
      for (const g of GROUPS) table[h].push(await agents[h]!.count({ since: since[h], out: false, dst: g, proto: 17, after: t0, before: t0 + 2_000 }));
    }
    console.info(`[interop] cascade, datagrams per host over 2 s (G1, G2, G3): ${JSON.stringify(table)}`);
    for (const [h, counts] of Object.entries(table)) {
      GROUPS.forEach((g, i) => {
        if (JOINS[h]?.includes(g)) {
          // 100 datagrams/s per group: about 200 in the window, each once (no copy through the second switch).
          expect(counts[i], `${h} is a member of ${g}`).toBeGreaterThan(100);
          expect(counts[i], `${h} gets each datagram of ${g} once`).toBeLessThanOrEqual(220);
        }
        else expect(counts[i], `${h} is no member of ${g}`).toBe(0);
      });
    }
  });
});
