// igmpswitch between real Linux IGMP stacks: hosts of every IGMP version joining with sockets, a source-specific
// receiver, link-local flooding, router ports, the unregistered policy, report forwarding to router ports only, leave
// latency with and without fast leave (and fast-leave host tracking), the §7.3.2 compatibility modes, membership
// expiry, reports with bad checksums, and the querier election (both directions).
//
//   snd .1 (source S1)   v1 .2 (force_igmp_version 1)   v2 .3 (2)   v3 .4 (3)   ssm .5 (INCLUDE {S1})
//   s2 .6 (source S2)    rtr .7 (PIM hello / queries)   fl .8 (port with fast_leave)       switch querier .254
//
// Every host runs a capture agent (pktagent.py) that counts what the switch really delivered to its port; the
// hosts' memberships come from their kernels (the lab's receiver agent: setsockopt IP_ADD_MEMBERSHIP /
// IP_ADD_SOURCE_MEMBERSHIP). Test traffic is sent as raw UDP frames (exact counts; 10 per flow).
//
// Timers: query_interval 2s, query_response_interval 1s (GMI 5 s, OQPI 4.5 s), last_member_query_interval 500ms
// (LMQT 1 s); startup_flood 0, because the kernels report as soon as their sockets join (unsolicited reports), so
// no host depends on a start-up flood, and the first checks need not wait for it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonStatus, startReceiver, startSender, type ConfigObject, type Receiver } from '../../../src/lab/index.js';
import { labSkipReason, useLab } from '../harness.js';
import {
  PktAgent, checkFlows, flowForwarding, groupRow, groups, igmpFrame, igmpv2Message, igmpv3Query, igmpv3Report,
  LEAVE_STOP_SLACK_MS, num, pimHelloFrame, ports, querier, RECORD, routers, sleep, stats, streamEnd, waitSnooping,
  waitUntil, type Flow,
} from './helpers.js';

const skip = labSkipReason ?? daemonStatus().reason;

const QI_MS = 2_000;
const QRI_MS = 1_000;
const LMQT_MS = 1_000; // 2 × 500 ms
const OQPI_MS = 2 * QI_MS + QRI_MS / 2;
const GMI_MS = 2 * QI_MS + QRI_MS;
const QUERIER = '192.0.2.254';

const G1 = '239.1.1.1'; // v1 host
const G2 = '239.2.2.2'; // v2 host
const G3 = '239.3.3.3'; // v3 host
const G4 = '239.4.4.4'; // fast-leave host
const SSM = '232.1.1.1';
const UNREG = '239.99.99.99';
const MDNS = '224.0.0.251';

const HOSTS = ['snd', 'v1', 'v2', 'v3', 'ssm', 's2', 'rtr', 'fl'] as const;
type HostName = (typeof HOSTS)[number];

describe.skipIf(skip !== null)(`igmpswitch with Linux IGMP hosts${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const lab = useLab(() => ({
    hosts: [
      { name: 'snd' }, { name: 'v1', igmpVersion: 1 }, { name: 'v2', igmpVersion: 2 }, { name: 'v3', igmpVersion: 3 },
      { name: 'ssm' }, { name: 's2' }, { name: 'rtr' }, { name: 'fl' },
    ],
    igmpswitch: {
      config: (generated: ConfigObject): ConfigObject => ({
        ...generated,
        // The last port (fl) has fast leave.
        ports: (generated['ports'] as string[]).map((p, i) => (i === HOSTS.indexOf('fl') ? { name: p, fast_leave: true } : p)),
        snooping: {
          querier: { enabled: true, address: QUERIER },
          query_interval: `${QI_MS}ms`,
          query_response_interval: `${QRI_MS}ms`,
          last_member_query_interval: '500ms',
          // The election case's other querier announces our 2 s QQI; the default least adopted QQI (10 s, issue
          // 11.7) would raise it and stretch OQPI to 20.5 s. The clamp has its own unit tests.
          adopt_query_interval_min: '1s',
          startup_flood: 0,
        },
        state: { file: null },
      }),
      echo: process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null,
    },
  }));
  const agents = new Map<HostName, PktAgent>();
  const rx = new Map<HostName, Receiver>();
  const A = (n: HostName): PktAgent => agents.get(n)!;
  const port = (n: HostName): string => lab().host(n).port;

  beforeAll(async () => {
    const l = lab();
    const started = await Promise.all(HOSTS.map((n) => PktAgent.start(l.host(n))));
    HOSTS.forEach((n, i) => agents.set(n, started[i]!));
    await waitSnooping(l);
  });

  afterAll(async () => {
    await Promise.allSettled([...rx.values()].map((r) => r.stop()));
    await Promise.allSettled([...agents.values()].map((a) => a.stop()));
  });

  async function member(n: HostName, group: string, source: string | null = null): Promise<Receiver> {
    let r = rx.get(n);
    if (!r) {
      r = await startReceiver(lab().host(n), { intervalMs: 60_000 });
      rx.set(n, r);
    }
    await r.join(group, source);
    return r;
  }

  async function rowFor(group: string, n: HostName, pred: (r: NonNullable<Awaited<ReturnType<typeof groupRow>>>) => boolean, what: string, timeoutMs = 5_000) {
    return waitUntil(`${group} on ${n}'s port: ${what}`, async () => {
      const r = await groupRow(lab(), group, port(n));
      return r && pred(r) ? r : undefined;
    }, timeoutMs, 50, async () => JSON.stringify(await groups(lab())));
  }

  async function forwarding(flows: Flow[], receivers: HostName[], gets: (r: HostName, f: Flow) => boolean): Promise<void> {
    const byAgent = new Map(receivers.map((n) => [A(n), n]));
    const fn = (a: PktAgent, f: Flow): boolean => gets(byAgent.get(a)!, f);
    const counts = await flowForwarding(flows, receivers.map(A), fn, 10);
    checkFlows(counts, flows, fn, 10, (v, m) => expect(v, m));
  }

  // (Checked right after the joins: the IGMPv1 host answers queries only within 10 s, see the compatibility case.)
  it('IGMPv1, v2 and v3 hosts each join with a socket and receive their own group only', async () => {
    await member('v1', G1);
    await member('v2', G2);
    await member('v3', G3);
    // The group compatibility mode follows the kernel's report version (RFC 3376 §7.3.2).
    expect((await rowFor(G1, 'v1', (r) => r.mode === 'exclude', 'v1 membership')).version).toBe(1);
    expect((await rowFor(G2, 'v2', (r) => r.mode === 'exclude', 'v2 membership')).version).toBe(2);
    expect((await rowFor(G3, 'v3', (r) => r.mode === 'exclude', 'v3 membership')).version).toBe(3);
    const mine: Record<string, HostName> = { [G1]: 'v1', [G2]: 'v2', [G3]: 'v3' };
    const flows = [G1, G2, G3].map((group) => ({ sender: A('snd'), group }));
    await forwarding(flows, ['v1', 'v2', 'v3', 'ssm', 's2', 'rtr', 'fl'], (r, f) => mine[f.group] === r);
  });

  it('a source-specific join (INCLUDE {S1}) receives G from S1 only, not from S2', async () => {
    const s1 = lab().host('snd').addr;
    await member('ssm', SSM, s1);
    const row = await rowFor(SSM, 'ssm', (r) => r.mode === 'include' && r.sources.some((s) => s.address === s1), 'INCLUDE {S1}');
    expect(row.sources.map((s) => s.address)).toEqual([s1]);
    const flows: Flow[] = [{ sender: A('snd'), group: SSM }, { sender: A('s2'), group: SSM }];
    await forwarding(flows, ['ssm', 'v3', 'rtr'], (r, f) => r === 'ssm' && f.sender === A('snd'));
  });

  it('224.0.0.251 is flooded to every port while snooping filters (unregistered 239.99.99.99 reaches nobody)', async () => {
    const q = await querier(lab());
    expect(q.snoopingActive).toBe(true);
    expect(await routers(lab())).toEqual([]);
    const flows: Flow[] = [{ sender: A('snd'), group: MDNS, dport: 5353 }, { sender: A('snd'), group: UNREG }];
    await forwarding(flows, ['v1', 'v2', 'v3', 'ssm', 's2', 'rtr', 'fl'], (_r, f) => f.group === MDNS);
  });

  it('a router port (PIM hello) receives all multicast; unregistered multicast goes to router ports only', async () => {
    const l = lab();
    await A('rtr').send([pimHelloFrame(l.host('rtr'))]);
    const r = await waitUntil('rtr\'s port to be a router port', async () =>
      (await routers(l)).find((x) => x.port === port('rtr') && x.source === 'pim'), 3_000);
    expect(r.address).toBe(l.host('rtr').addr);
    const flows: Flow[] = [
      { sender: A('snd'), group: G3 }, { sender: A('snd'), group: SSM }, { sender: A('s2'), group: SSM },
      { sender: A('snd'), group: UNREG },
    ];
    await forwarding(flows, ['rtr', 'v3', 'v2', 'ssm', 'fl', 's2'], (n, f) =>
      n === 'rtr' || (n === 'v3' && f.group === G3) || (n === 'ssm' && f.group === SSM && f.sender === A('snd')));
  });

  it('membership reports go to router ports only (RFC 4541 2.1.1(1)), so other IGMPv2 hosts do not suppress theirs', async () => {
    const G7 = '239.7.7.7';
    const watchers: HostName[] = ['rtr', 'v3', 'ssm', 'fl', 's2'];
    const marks = new Map(await Promise.all(watchers.map(async (n) => [n, await A(n).mark()] as const)));
    await member('v2', G7);
    await rowFor(G7, 'v2', () => true, 'membership');
    const heard = await waitUntil('rtr to hear v2\'s report', async () =>
      (await A('rtr').select({ since: marks.get('rtr'), out: false, proto: 2, info: 0x16, dst: G7 }))[0], 3_000);
    expect(heard.src).toBe(lab().host('v2').addr);
    await sleep(200);
    for (const n of watchers.filter((x) => x !== 'rtr')) {
      expect(await A(n).count({ since: marks.get(n), out: false, proto: 2, dst: G7 }), `IGMP for ${G7} at ${n}`).toBe(0);
    }
    await rx.get('v2')!.leave(G7);
  });

  it(`leave: the stream stops after last_member_query_count × last_member_query_interval (${LMQT_MS} ms), not much later`, async () => {
    const sender = await startSender(lab().host('snd'), { groups: [G2, G3], rate: 500 });
    try {
      // The leave as the host sends it: an IGMPv2 Leave Group, an IGMPv3 report whose record is TO_IN({}) (an
      // IGMPv3 answer to the switch's general queries, every QI, is a report too: MODE_IS_EXCLUDE).
      const leaves = [['v2', G2, { info: 0x17 }], ['v3', G3, { info: 0x22, record: RECORD.TO_IN }]] as const;
      for (const [n, group, leaveMessage] of leaves) {
        const a = A(n);
        const m = await a.mark();
        await waitUntil(`the stream to reach ${n}`, async () => (await a.count({ since: m, out: false, dst: group, proto: 17 })) >= 50, 5_000);
        await rx.get(n)!.leave(group);
        const leave = await waitUntil(`${n}'s leave (${JSON.stringify(leaveMessage)})`, async () =>
          (await a.select({ since: m, out: true, proto: 2, ...leaveMessage }))[0], 3_000);
        const end = await streamEnd(a, group, leave.t, m);
        expect(end.last, `${n} received nothing after its leave`).not.toBeNull();
        const stopMs = end.last! - leave.t;
        console.info(`[snooping] ${n} leave: stream stopped ${stopMs.toFixed(1)} ms after the leave (LMQT ${LMQT_MS} ms)`);
        // Not before the last member queries went unanswered (another host on the port may still want it) ...
        expect(stopMs).toBeGreaterThanOrEqual(LMQT_MS - 100);
        // ... and not much later.
        expect(stopMs).toBeLessThanOrEqual(LMQT_MS + LEAVE_STOP_SLACK_MS);
        expect(await groupRow(lab(), group, port(n))).toBeUndefined();
      }
    } finally {
      await sender.stop();
    }
  });

  it('fast leave: the stream stops at once on a fast_leave port', async () => {
    const fl = (await ports(lab())).find((p) => p.name === port('fl'))!;
    expect(fl.fastLeave).toBe(true);
    await member('fl', G4);
    await rowFor(G4, 'fl', () => true, 'membership');
    const sender = await startSender(lab().host('snd'), { groups: [G4], rate: 500 });
    try {
      const a = A('fl');
      const m = await a.mark();
      await waitUntil('the stream to reach fl', async () => (await a.count({ since: m, out: false, dst: G4, proto: 17 })) >= 50, 5_000);
      await rx.get('fl')!.leave(G4);
      const leave = await waitUntil('fl\'s TO_IN({}) report', async () =>
        (await a.select({ since: m, out: true, proto: 2, info: 0x22, record: RECORD.TO_IN }))[0], 3_000);
      const end = await streamEnd(a, G4, leave.t, m);
      const stopMs = end.last === null ? 0 : end.last - leave.t;
      console.info(`[snooping] fast leave: ${end.last === null ? 'no datagram arrived after the leave' : `last datagram ${stopMs.toFixed(1)} ms after the leave`} (${end.after} after it; 500 pps = one per 2 ms)`);
      // ~10 ms is the goal; the bound leaves room for a loaded VM (and is far below LMQT).
      expect(stopMs).toBeLessThanOrEqual(150);
      expect(await groupRow(lab(), G4, port('fl'))).toBeUndefined();
    } finally {
      await sender.stop();
    }
  });

  it('fast leave with two hosts behind the port: the first leave keeps the group, the last removes it at once', async () => {
    const l = lab();
    const fl = l.host('fl');
    const G6 = '239.6.6.6';
    const hostA = { mac: fl.mac, addr: '192.0.2.81' };
    const hostB = { mac: fl.mac, addr: '192.0.2.82' };
    const report = (h: { mac: string; addr: string }, type: number) =>
      igmpFrame(h, '224.0.0.22', igmpv3Report([{ type, group: G6 }]));
    await A('fl').send([report(hostA, RECORD.TO_EX), report(hostB, RECORD.TO_EX)]);
    const row = await rowFor(G6, 'fl', (r) => r.hosts.length === 2, 'two hosts tracked');
    expect(row.hosts).toEqual([hostA.addr, hostB.addr]);
    await A('fl').send([report(hostA, RECORD.TO_IN)]);
    await rowFor(G6, 'fl', (r) => r.hosts.length === 1, 'one host left');
    const flow: Flow[] = [{ sender: A('snd'), group: G6 }];
    await forwarding(flow, ['fl'], () => true);
    const t0 = Date.now();
    await A('fl').send([report(hostB, RECORD.TO_IN)]);
    await waitUntil(`${G6} gone from fl's port`, async () => !(await groupRow(l, G6, port('fl'))), 1_000, 10);
    console.info(`[snooping] fast leave, last of two hosts: record gone within ${Date.now() - t0} ms`);
    await forwarding(flow, ['fl'], () => false);
  });

  it('compatibility modes (RFC 3376 §7.3.2): v2 Leaves are ignored for an IGMPv1 group, BLOCK for an IGMPv2 group', async () => {
    const l = lab();
    // v1's kernel is a member of G1 in IGMPv1 mode. An IGMPv1 host answers any query within 10 s whatever its Max
    // Resp Code says (RFC 2236 §4; Linux IGMP_V1_SEEN), longer than this lab's GMI (5 s), so its membership may
    // lapse between answers: join again for a fresh unsolicited v1 report, then check within a second or two.
    const v1 = l.host('v1');
    await rx.get('v1')!.leave(G1);
    await member('v1', G1);
    await rowFor(G1, 'v1', (r) => r.version === 1 && (r.timerMs ?? 0) > GMI_MS - 1_000, 'a fresh IGMPv1 membership');
    // "Another host" on its port sends an IGMPv2 Leave for G1.
    const m1 = await A('v1').mark();
    await A('v1').send([igmpFrame({ mac: v1.mac, addr: '192.0.2.102' }, '224.0.0.2', igmpv2Message(0x17, G1))]);
    await sleep(LMQT_MS + 300);
    const row1 = await groupRow(l, G1, v1.port);
    expect(row1, `${G1} on v1's port after an IGMPv2 leave in v1 mode`).toBeDefined();
    expect(row1!.version).toBe(1);
    expect(row1!.timerMs!).toBeGreaterThan(LMQT_MS); // not lowered
    expect(await A('v1').count({ since: m1, out: false, proto: 2, info: 0x11, dst: G1 }), 'group-specific queries for G1').toBe(0);
    await forwarding([{ sender: A('snd'), group: G1 }], ['v1'], () => true);

    // v2's kernel joins G5 (IGMPv2 mode); BLOCK and TO_EX with sources from "another host" must not create source state.
    const v2 = l.host('v2');
    const G5 = '239.2.2.5';
    const s1 = l.host('snd').addr;
    await member('v2', G5);
    await rowFor(G5, 'v2', (r) => r.version === 2, 'IGMPv2 membership');
    const other = { mac: v2.mac, addr: '192.0.2.103' };
    await A('v2').send([
      igmpFrame(other, '224.0.0.22', igmpv3Report([{ type: RECORD.BLOCK, group: G5, sources: [s1] }])),
      igmpFrame(other, '224.0.0.22', igmpv3Report([{ type: RECORD.TO_EX, group: G5, sources: ['192.0.2.66'] }])),
    ]);
    await sleep(300);
    const row2 = await groupRow(l, G5, v2.port);
    expect(row2?.mode).toBe('exclude');
    expect(row2?.version).toBe(2);
    expect(row2?.sources, 'no source state in IGMPv2 mode').toEqual([]);
    await forwarding([{ sender: A('snd'), group: G5 }], ['v2'], () => true);
    await rx.get('v2')!.leave(G5);
  });

  it('a query from a higher address does not win the election: the switch stays querier', async () => {
    const l = lab();
    const rtr = l.host('rtr');
    const higher = { mac: rtr.mac, addr: '198.51.100.1' }; // 198.51.100.1 > 192.0.2.254
    await A('rtr').send([igmpFrame(higher, '224.0.0.1', igmpv3Query({ maxRespDs: 10, qrv: 2, qqiS: 2 }))]);
    await sleep(300);
    const q = await querier(l);
    expect(q.state).toBe('querier');
    expect(q.address).toBe(QUERIER);
    // `elected` names another querier only (src/mgmt/api.ts, issue 13.8): none won.
    expect(q.elected).toBeNull();
    // Like Linux, only the elected querier's port is learned as a router port from queries.
    expect((await routers(l)).filter((r) => r.source === 'query')).toEqual([]);
  });

  it('a report with a bad IGMP checksum changes nothing and is counted (igmp_checksum)', async () => {
    const l = lab();
    const h = l.host('s2');
    const bad = '239.77.77.77';
    const good = '239.77.77.78';
    const before = await stats(l);
    const drops0 = num(before.drops['igmp_checksum']);
    const port0 = num(before.ports.find((p) => p.name === h.port)?.counters['drop_igmp_checksum']);
    await A('s2').send([
      igmpFrame(h, bad, igmpv2Message(0x16, bad, { badChecksum: true })),
      igmpFrame(h, '224.0.0.22', igmpv3Report([{ type: RECORD.TO_EX, group: bad }], { badChecksum: true })),
    ]);
    const after = await waitUntil('igmp_checksum to count both reports', async () => {
      const s = await stats(l);
      return num(s.drops['igmp_checksum']) >= drops0 + 2 ? s : undefined;
    }, 3_000, 50, async () => JSON.stringify((await stats(l)).drops));
    expect(num(after.drops['igmp_checksum'])).toBe(drops0 + 2);
    expect(num(after.ports.find((p) => p.name === h.port)?.counters['drop_igmp_checksum'])).toBe(port0 + 2);
    // A good IGMP checksum in an IPv4 header with a bad one (RFC 4541 2.1.2(6)): dropped too, counted as ipv4_checksum.
    const ip0 = num(after.drops['ipv4_checksum']);
    await A('s2').send([igmpFrame(h, bad, igmpv2Message(0x16, bad), { badHeaderChecksum: true })]);
    await waitUntil('ipv4_checksum to count the report', async () => num((await stats(l)).drops['ipv4_checksum']) >= ip0 + 1, 3_000, 50,
      async () => JSON.stringify((await stats(l)).drops));
    // Control: the same report with correct checksums does create the group (so only the checksum was wrong).
    await A('s2').send([igmpFrame(h, good, igmpv2Message(0x16, good))]);
    await rowFor(good, 's2', () => true, 'membership from the good report', 3_000);
    expect((await groups(l)).filter((g) => g.group === bad)).toEqual([]);
  });

  it('a membership nobody refreshes expires after the group membership interval (GMI 5 s)', async () => {
    const l = lab();
    const h = l.host('s2');
    const G8 = '239.8.8.8';
    // A host that reports once and then goes silent (no leave): s2's kernel is not a member, so it does not answer the
    // switch's queries for it.
    const sent = await A('s2').send([igmpFrame({ mac: h.mac, addr: '192.0.2.106' }, '224.0.0.22', igmpv3Report([{ type: RECORD.IS_EX, group: G8 }]))]);
    await rowFor(G8, 's2', () => true, 'membership');
    await waitUntil(`${G8} to expire`, async () => !(await groupRow(l, G8, h.port)), GMI_MS + 3_000, 20);
    const expiredAfter = Date.now() - sent.t0;
    console.info(`[snooping] unrefreshed membership expired ${expiredAfter.toFixed(0)} ms after its only report (GMI ${GMI_MS} ms)`);
    expect(expiredAfter).toBeGreaterThanOrEqual(GMI_MS - 100);
    expect(expiredAfter).toBeLessThanOrEqual(GMI_MS + 500);
    await forwarding([{ sender: A('snd'), group: G8 }], ['s2'], () => false);
  });

  it(`querier election: a querier with a lower address silences the switch, which resumes after OQPI (${OQPI_MS} ms)`, async () => {
    const l = lab();
    const other = l.host('rtr');
    expect((await querier(l)).state).toBe('querier');
    const watch = A('v3');
    const m = await watch.mark();
    const mo = await A('rtr').mark();
    // The other querier (192.0.2.7 < 192.0.2.254) sends 4 general queries 1.5 s apart (QRV 2, QQIC 2 s, 1 s
    // max response), as a router would, then goes away.
    const query = igmpFrame(other, '224.0.0.1', igmpv3Query({ maxRespDs: QRI_MS / 100, qrv: 2, qqiS: QI_MS / 1000 }));
    for (let i = 0; i < 4; i++) {
      if (i) await sleep(1_500);
      await A('rtr').send([query]);
      if (i === 0) {
        const q = await waitUntil('the switch to become non-querier', async () => {
          const v = await querier(l);
          return v.state === 'non-querier' ? v : undefined;
        }, 1_000, 20);
        expect(q.elected?.address).toBe(other.addr);
        expect(q.elected?.port).toBe(other.port);
        expect((await routers(l)).some((r) => r.port === other.port && r.source === 'query' && r.address === other.addr)).toBe(true);
      }
    }
    const sent = await A('rtr').select({ since: mo, out: true, proto: 2, info: 0x11 });
    expect(sent.length).toBe(4);
    const tFirst = sent[0]!.t;
    const tLast = sent[3]!.t;
    // The hosts hear the other querier's queries (flooded). The last one was sent just now: wait for it to arrive.
    const heard = () => watch.count({ since: m, out: false, proto: 2, info: 0x11, src: other.addr });
    await waitUntil('v3 to hear all 4 queries of the other querier', async () => (await heard()) >= 4 || undefined, 1_000, 20,
      async () => `heard ${await heard()}`);
    expect(await heard()).toBe(4);
    const resumed = await waitUntil('the switch to query again', async () =>
      (await watch.select({ since: m, out: false, proto: 2, info: 0x11, src: QUERIER, after: tLast }))[0], OQPI_MS + 4_000, 50);
    const silentQueries = await watch.select({ since: m, out: false, proto: 2, info: 0x11, src: QUERIER, after: tFirst + 50, before: resumed.t });
    const resumeMs = resumed.t - tLast;
    console.info(`[snooping] querier election: silent for ${((resumed.t - tFirst) / 1000).toFixed(2)} s; resumed ${resumeMs.toFixed(0)} ms after the other querier's last query (OQPI ${OQPI_MS} ms)`);
    expect(silentQueries.map((e) => e.t - tFirst), 'queries from the switch while the other querier was elected').toEqual([]);
    expect(resumeMs).toBeGreaterThanOrEqual(OQPI_MS - 200);
    expect(resumeMs).toBeLessThanOrEqual(OQPI_MS + 1_000);
    expect(resumed.dst).toBe('224.0.0.1');
    const q = await querier(l);
    expect(q.state).toBe('querier');
  });
});
