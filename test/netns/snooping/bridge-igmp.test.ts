// The Linux selftest tools/testing/selftests/net/forwarding/bridge_igmp.sh, ported to igmpswitch between real kernel
// hosts:
//
//      h1 192.0.2.1 ── p1 ┐                 ┌ p2 ── h2 192.0.2.2        (h3 192.0.2.203 on p3: the second reporter
//                         └── igmpswitch ──┘                              of the star-exclude case, and an observer)
//
// As in the selftest, the switch is the querier (bridge: mcast_querier 1) and h1 sends the IGMPv3 reports with the
// selftest's exact payload bytes to 224.0.0.1 without Router Alert (TTL 255, as mausezahn sends them); h2 then sends
// one-off UDP datagrams with spoofed sources 192.0.2.x to 239.10.10.10 (mausezahn -A) and we count per source what
// reached h1 (AF_PACKET capture: every frame the switch delivered, whatever h1's kernel does with it). MDB checks use
// `show groups`: filter mode, source list, blocked flag and source timers.
//
// Timers, chosen so the file runs in well under a minute on a loaded VM:
//   * startup_flood 0: the selftest waits 10 s for the bridge's querier delay; we need no start-up flood because
//     nothing was receiving before the switch started, and h1/h2 report only after we tell them to;
//   * query_interval 10s / query_response_interval 1s: GMI = 21 s, long enough for every case (the raw reports are
//     never refreshed: h1's kernel is not a member, so it does not answer queries);
//   * last_member_query_interval 500ms (LMQT = 1 s, the selftest's is 2 s); the cases where the selftest raises it to
//     5 s so that lowered timers survive the checks (to_exclude, exc_block) do the same here with a reload.
// Between cases the selftest deletes the MDB entry (`bridge mdb del`); igmpswitch has no such command, so h1 sends
// TO_IN({}) (a leave) and we wait until the record is gone (LMQT), which also tests the leave path.

import { describe, expect, it } from 'vitest';
import { daemonStatus, startSender, type ConfigObject } from '../../../src/lab/index.js';
import { labSkipReason } from '../harness.js';
import { defineSelftestCases, SELFTEST_LMQT_MS, SELFTEST_TIMERS, useSelftestLab } from './bridge-selftest.js';
import {
  LEAVE_STOP_SLACK_MS, RECORD, groupRow, igmpFrame, igmpv3Report, selftestFrame, streamEnd, waitSnooping, waitUntil,
} from './helpers.js';

const skip = labSkipReason ?? daemonStatus().reason;

const G = '239.10.10.10';
const S = (n: number): string => `192.0.2.${n}`;
const LMQT_MS = SELFTEST_LMQT_MS;

const SNOOPING: ConfigObject = { querier: { enabled: true, address: '192.0.2.254', version: 3 }, ...SELFTEST_TIMERS };

describe.skipIf(skip !== null)(`bridge_igmp.sh on igmpswitch${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const { lab, hosts } = useSelftestLab({
    hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3', ipv4: '192.0.2.203/24' }],
    snooping: SNOOPING,
    ready: async (l) => { await waitSnooping(l); },
  });

  // ------------------------------------------------------------------------------------------ 1. v2reportleave

  it('v2reportleave: an IGMPv2 join (ip addr autojoin) is forwarded to; after the leave the stream stops within LMQT', async () => {
    const l = lab();
    const h2 = l.host('h2');
    await h2.setIgmpVersion(2);
    const sender = await startSender(l.host('h1'), { groups: [G], rate: 200, port: 4096 });
    try {
      const { a2 } = hosts();
      const m0 = await a2.mark();
      await h2.exec('ip', ['addr', 'add', `${G}/32`, 'dev', h2.link, 'autojoin']);
      const row = await waitUntil(`${G} on ${h2.port}: IGMPv2 membership`, async () => {
        const r = await groupRow(l, G, h2.port);
        return r?.mode === 'exclude' ? r : undefined;
      }, 3_000, 50);
      expect(row.version).toBe(2);
      // h2 sent an IGMPv2 report (0x16) for G, and the stream from h1 reaches it.
      expect(await a2.count({ since: m0, out: true, proto: 2, info: 0x16, dst: G })).toBeGreaterThanOrEqual(1);
      const m1 = await a2.mark();
      const got = await waitUntil('the stream to reach h2', async () => {
        const n = await a2.count({ since: m1, out: false, dst: G, proto: 17 });
        return n >= 40 ? n : undefined;
      }, 5_000, 100);
      expect(got).toBeGreaterThanOrEqual(40);

      await h2.exec('ip', ['addr', 'del', `${G}/32`, 'dev', h2.link]);
      const leave = await waitUntil('h2 to send its IGMPv2 leave', async () =>
        (await a2.select({ since: m1, out: true, proto: 2, info: 0x17 }))[0], 3_000);
      await waitUntil(`${G} gone from ${h2.port}`, async () => !(await groupRow(l, G, h2.port)), LMQT_MS + 4_000, 50);
      const tail = await streamEnd(a2, G, leave.t, m1);
      const stopMs = (tail.last ?? leave.t) - leave.t;
      console.info(`[snooping] v2reportleave: stream stopped ${stopMs.toFixed(0)} ms after the IGMPv2 leave (LMQT ${LMQT_MS} ms)`);
      expect(stopMs).toBeLessThanOrEqual(LMQT_MS + LEAVE_STOP_SLACK_MS);
      // Unregistered now (no router port): nothing more reaches h2 while the stream goes on.
      const m2 = await a2.mark();
      await new Promise((r) => setTimeout(r, 500));
      const sentNow = sender.latest()?.total.totalSent ?? 0;
      expect(sentNow).toBeGreaterThan(0);
      expect(await a2.count({ since: m2, out: false, dst: G, proto: 17 }), 'datagrams to G at h2 after the leave').toBe(0);
    } finally {
      await sender.stop();
      await h2.setIgmpVersion(0);
    }
  });

  // ------------------------------------------------------------------------------------------ 2-14. IGMPv3

  defineSelftestCases({
    file: 'bridge-igmp.test.ts', lab, hosts, G, S, LMQT_MS, version: 3,
    send: async (agent, pkt) => { await agent.send([selftestFrame(agent.host, pkt)]); },
    leaveFrame: (agent) => igmpFrame(agent.host, '224.0.0.1', igmpv3Report([{ type: RECORD.TO_IN, group: G }]), { ttl: 255, routerAlert: false, tos: 0 }),
    ownQuery: () => ({ proto: 2, info: 0x11, src: '192.0.2.254' }),
    shortGmi: '3s',
    title: (t) => t,
    logTag: '[snooping]',
  });
});
