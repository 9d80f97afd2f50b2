// Fault behaviour (issue 7 item 6): a port that goes down and up mid-stream, an interface that disappears, a daemon
// killed with SIGKILL and restarted on its state file, and state files that cannot be trusted.
//
//   h1 (sender) ── p1 ┐                  ┌ p2 ── h2 (member)
//                     └── igmpswitch ───┤
//                                        └ p3 ── h3 (member; its veth is deleted in the second case)
//
// Each host runs a capture agent (pktagent.py); h1's captures its own outgoing stream, so "what was sent in a window"
// and "what arrived" come from the same clock.

import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  daemonStatus, deepMerge, startReceiver, startSender, type ConfigObject, type IgmpswitchOptions, type Receiver, type Sender,
} from '../../../src/lab/index.js';
import { labSkipReason, useLab } from '../harness.js';
import {
  PktAgent, groupRow, groups, logEvents, ports, querier, sleep, sw, waitSnooping, waitUntil,
} from './helpers.js';

const skip = labSkipReason ?? daemonStatus().reason;
const G = '239.5.5.5';
const echo = process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null;

describe.skipIf(skip !== null)(`faults: link down/up and a vanishing interface${skip ? ` (skipped: ${skip})` : ''}`, () => {
  // A long query interval and a single start-up query: no query round happens during these cases (the file takes
  // well under 30 s), so forwarding after the link comes back can only come from memberships the switch kept.
  const lab = useLab(() => ({
    hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }],
    igmpswitch: {
      config: {
        snooping: {
          querier: { enabled: true, address: '192.0.2.254' },
          query_interval: '30s', query_response_interval: '1s', startup_query_count: 1,
          last_member_query_interval: '500ms', startup_flood: 0,
        },
        state: { file: null },
      },
      echo,
    },
  }));
  let a1: PktAgent;
  let a2: PktAgent;
  let a3: PktAgent;
  const receivers: Receiver[] = [];
  let sender: Sender | null = null;

  beforeAll(async () => {
    const l = lab();
    [a1, a2, a3] = await Promise.all([PktAgent.start(l.host('h1')), PktAgent.start(l.host('h2')), PktAgent.start(l.host('h3'))]);
    await waitSnooping(l);
    for (const h of ['h2', 'h3']) {
      receivers.push(await startReceiver(l.host(h), { join: [{ group: G }], intervalMs: 60_000 }));
      await waitUntil(`${G} on ${h}'s port`, () => groupRow(l, G, l.host(h).port), 5_000);
    }
    sender = await startSender(l.host('h1'), { groups: [G], rate: 500 });
    for (const a of [a2, a3]) {
      const m = await a.mark();
      await waitUntil(`the stream to reach ${a.host.name}`, async () => (await a.count({ since: m, out: false, dst: G, proto: 17 })) >= 50, 5_000);
    }
  });

  afterAll(async () => {
    await sender?.stop().catch(() => {});
    await Promise.allSettled(receivers.map((r) => r.stop()));
    await Promise.allSettled([a1, a2, a3].filter(Boolean).map((a) => a.stop()));
  });

  /** Datagrams to G h1 sent, and `a` received, in [from, to] (wall clock ms). */
  async function window(a: PktAgent, from: number, to: number): Promise<{ sent: number; got: number }> {
    const sent = await a1.count({ out: true, dst: G, proto: 17, after: from, before: to });
    const got = await a.count({ out: false, dst: G, proto: 17, after: from, before: to });
    return { sent, got };
  }

  it('a port taken down and up mid-stream resumes forwarding within 1 s, memberships intact; the others are unaffected', async () => {
    const l = lab();
    const p2 = l.host('h2').port;
    const m2 = await a2.mark();
    const tDown = Date.now();
    await l.execSwitch('ip', ['link', 'set', p2, 'down']);
    await waitUntil('the switch to see p2 down', async () => (await ports(l)).find((p) => p.name === p2)?.up === false, 3_000);
    // While down, the membership stays.
    expect(await groupRow(l, G, p2), `${G} on ${p2} while the link is down`).toBeDefined();
    await sleep(1_000); // the outage
    const tUp = Date.now();
    await l.execSwitch('ip', ['link', 'set', p2, 'up']);
    const first = await waitUntil('the stream to reach h2 again', async () =>
      (await a2.select({ since: m2, out: false, dst: G, proto: 17, after: tUp }))[0], 5_000, 20);
    const recoveryMs = first.t - tUp;
    console.info(`[snooping] link down/up: forwarding to h2 resumed ${recoveryMs.toFixed(0)} ms after \`ip link set up\``);
    expect(recoveryMs).toBeLessThan(1_000);
    expect(await groupRow(l, G, p2), `${G} on ${p2} after the link came back`).toBeDefined();
    // Not relearned: h2 sent no IGMP between the outage and the first datagram after it.
    const reports = await a2.select({ since: m2, out: true, proto: 2, before: first.t });
    expect(reports.map((e) => `${e.dst} type 0x${e.info.toString(16)}`), 'IGMP sent by h2 before forwarding resumed').toEqual([]);
    // The data plane forwards as soon as the worker sees the link up; the control plane's port view learns it from the
    // worker a message later (seen on AF_XDP: the stream back 8 ms after `ip link set up`, show ports not yet).
    await waitUntil('the switch to show p2 up', async () => (await ports(l)).find((p) => p.name === p2)?.up === true, 3_000);
    // h3 kept receiving throughout.
    const w = await window(a3, tDown + 100, tUp);
    expect(w.got, `h3 during the outage: ${w.got}/${w.sent}`).toBeGreaterThanOrEqual(Math.ceil(0.8 * w.sent));
    expect(w.sent).toBeGreaterThan(100);
  });

  it('an interface that disappears (veth deleted) is reported in the log and the other ports keep forwarding', async () => {
    const l = lab();
    const p3 = l.host('h3').port;
    const tDel = Date.now();
    await l.execSwitch('ip', ['link', 'del', p3]);
    const line = await waitUntil('a log line for the vanished port', () =>
      logEvents(l, 'port-down').find((e) => e['port'] === p3 && e['reason'] === 'gone'), 3_000, 50,
      () => sw(l).output().split('\n').slice(-10).join('\n'));
    console.info(`[snooping] vanished interface logged: ${JSON.stringify(line['msg'])}`);
    expect(String(line['msg'])).toContain(p3);
    // The daemon lives on, answers, and keeps forwarding to h2.
    await sleep(1_200);
    expect(sw(l).process.running).toBe(true);
    const w = await window(a2, tDel + 200, Date.now() - 100);
    console.info(`[snooping] h2 after the deletion: ${w.got}/${w.sent}`);
    expect(w.sent).toBeGreaterThan(100);
    expect(w.got).toBeGreaterThanOrEqual(Math.ceil(0.8 * w.sent));
    const view = (await ports(l)).find((p) => p.name === p3);
    expect(view?.up).toBe(false);
    expect(await groupRow(l, G, l.host('h2').port)).toBeDefined();
    expect((await querier(l)).state).toBe('querier');
    const fatal = sw(l).logs().filter((e) => e['level'] === 'error' || e['level'] === 'fatal');
    expect(fatal.map((e) => e['msg']), 'error/fatal log lines').toEqual([]);
  });

  it('the vanished interface, created again under the same name, is taken back: h3 joins again and receives', async () => {
    const l = lab();
    const h3 = l.host('h3');
    await l.execSwitch('ip', ['link', 'add', h3.port, 'type', 'veth', 'peer', 'name', h3.link, 'netns', h3.ns]);
    await h3.exec('ip', ['addr', 'add', h3.ipv4, 'dev', h3.link]);
    await h3.exec('ip', ['link', 'set', h3.link, 'up']);
    await h3.exec('ip', ['route', 'add', '224.0.0.0/4', 'dev', h3.link]);
    const tBack = Date.now();
    await l.execSwitch('ip', ['link', 'set', h3.port, 'up']);
    const line = await waitUntil('a log line for the port coming back', () =>
      logEvents(l, 'port-up').find((e) => e['port'] === h3.port && e['reason'] === 'back'), 5_000, 50,
      () => sw(l).output().split('\n').slice(-10).join('\n'));
    console.info(`[snooping] interface back: ${JSON.stringify(line['msg'])} after ${Date.now() - tBack} ms`);
    await waitUntil('the switch to see p3 up', async () => (await ports(l)).find((p) => p.name === h3.port)?.up === true, 3_000);
    // The old agents were bound to the deleted interface; new ones on the new one.
    await a3.stop();
    a3 = await PktAgent.start(h3);
    const m = await a3.mark();
    receivers.push(await startReceiver(h3, { join: [{ group: G }], intervalMs: 60_000 }));
    await waitUntil(`${G} on ${h3.port} again`, () => groupRow(l, G, h3.port), 5_000, 50,
      async () => JSON.stringify(await groups(l)));
    await waitUntil('the stream to reach h3 again', async () => (await a3.count({ since: m, out: false, dst: G, proto: 17 })) >= 50, 5_000);
  });
});

describe.skipIf(skip !== null)(`faults: kill -9 and the state file${skip ? ` (skipped: ${skip})` : ''}`, () => {
  // Created in beforeAll (registered before useLab's, so it runs first), never at collection time: a skipped or
  // filtered-out suite leaves nothing behind.
  const dir = join(tmpdir(), `igmpswitch-snoop-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const stateFile = join(dir, 'state.json');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  });
  // No querier anywhere and no_querier: filter, so nothing but the state file can restore a membership: the switch
  // sends no query at start (a query round would make h2 report again), and it filters at once (startup_flood 0)
  // instead of flooding, so a stream reaching h2 after the restart proves the membership was restored. The long
  // query interval makes the group membership interval (2 × 60 s + 1 s) outlast the test.
  const opts: IgmpswitchOptions = {
    config: {
      snooping: {
        querier: { enabled: false }, no_querier: 'filter', startup_flood: 0,
        query_interval: '60s', query_response_interval: '1s',
      },
      state: { file: stateFile },
      // A fixed control socket, as in production: after kill -9 the restarted daemon finds the old one left behind.
      management: { socket: join(dir, 'ctl.sock') },
    },
    echo,
  };
  const lab = useLab(() => ({ hosts: [{ name: 'h1' }, { name: 'h2' }], igmpswitch: opts }));
  let a2: PktAgent;
  let rx: Receiver | null = null;
  let sender: Sender | null = null;
  let validState = '';

  beforeAll(async () => {
    a2 = await PktAgent.start(lab().host('h2'));
  });

  afterAll(async () => {
    await sender?.stop().catch(() => {});
    await rx?.stop().catch(() => {});
    await a2?.stop();
    try {
      await lab().destroy(); // before removing the state file's directory
    } catch {
      /* the lab was never built */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9, restart on the same state file: memberships are back at once and the stream resumes without a query', async () => {
    const l = lab();
    const p2 = l.host('h2').port;
    const q = await waitSnooping(l);
    expect(q.state).toBe('disabled');
    const m0 = await a2.mark();
    rx = await startReceiver(l.host('h2'), { join: [{ group: G }], intervalMs: 60_000 });
    await waitUntil(`${G} on ${p2}`, () => groupRow(l, G, p2), 5_000);
    sender = await startSender(l.host('h1'), { groups: [G], rate: 200 });
    await waitUntil('the stream to reach h2', async () => (await a2.count({ since: m0, out: false, dst: G, proto: 17 })) >= 20, 5_000);
    // The membership is on disk (saved within ~0.5 s of the change).
    await waitUntil('the state file to hold the membership', () => {
      try {
        return readFileSync(stateFile, 'utf8').includes(G);
      } catch {
        return false;
      }
    }, 5_000);
    validState = readFileSync(stateFile, 'utf8');
    copyFileSync(stateFile, `${stateFile}.valid`);
    // h2's kernel sends its unsolicited reports (initial + robustness retransmissions) right after the join; let
    // them finish so that any report after the kill would be a reaction to something.
    await waitUntil('h2\'s unsolicited reports to be over', async () => {
      const last = (await a2.select({ since: m0, out: true, proto: 2 })).at(-1);
      return last && Date.now() - last.t > 1_500;
    }, 6_000, 100);

    const killed = sw(l);
    killed.process.signal('SIGKILL');
    const st = await killed.process.exited;
    expect(st.signal).toBe('SIGKILL');
    const tKill = Date.now();
    const mk = await a2.mark();
    await sleep(300);
    expect(await a2.count({ since: mk, out: false, dst: G, proto: 17, after: tKill + 50 }), 'datagrams reaching h2 with the daemon dead').toBe(0);

    const tStart = Date.now();
    await l.setSwitch('igmpswitch', { igmpswitch: opts });
    const tFwd = Date.now();
    // Listed straight after "forwarding".
    const restored = await groupRow(l, G, p2);
    expect(restored, `${G} on ${p2} right after the restart: ${JSON.stringify(await groups(l))}`).toBeDefined();
    expect(sw(l).logs().some((e) => e['msg'] === 'removed stale control socket'), 'the stale control socket was replaced').toBe(true);
    const log = logEvents(l, 'state-restored')[0];
    expect(log, 'state-restored log line').toBeDefined();
    expect(Number(log!['memberships'])).toBeGreaterThanOrEqual(1);
    const first = await waitUntil('the stream to reach h2 after the restart', async () =>
      (await a2.select({ since: mk, out: false, dst: G, proto: 17 }))[0], 5_000, 20);
    console.info(`[snooping] kill -9 restart: daemon up in ${tFwd - tStart} ms; stream at h2 ${(first.t - tFwd).toFixed(0)} ms after "forwarding" (${(first.t - tKill).toFixed(0)} ms after the kill)`);
    expect(first.t - tFwd).toBeLessThan(1_000);
    // Nothing relearned it: no query reached h2, and h2 sent no IGMP between the kill and the first datagram.
    const igmp = await a2.select({ since: mk, proto: 2, before: first.t });
    expect(igmp.map((e) => `${e.out ? 'sent' : 'received'} ${e.src}→${e.dst} type 0x${e.info.toString(16)}`)).toEqual([]);
  });

  it('a restart with the ports listed in another order maps memberships by interface name', async () => {
    const l = lab();
    const p2 = l.host('h2').port;
    await l.setSwitch('none'); // SIGTERM: saves the state (G on h2's port, which was port index 1)
    const reversed: IgmpswitchOptions = {
      ...opts,
      config: (generated: ConfigObject) => deepMerge({ ...generated, ports: [...(generated['ports'] as string[])].reverse() }, opts.config as ConfigObject),
    };
    const mk = await a2.mark();
    await l.setSwitch('igmpswitch', { igmpswitch: reversed });
    const view = await ports(l);
    expect(view.find((p) => p.name === p2)?.index, `${p2} is now port 0`).toBe(0);
    expect(await groupRow(l, G, p2), `${G} restored on ${p2}: ${JSON.stringify(await groups(l))}`).toBeDefined();
    expect((await groups(l)).filter((g) => g.group === G).map((g) => g.port)).toEqual([p2]);
    await waitUntil('the stream to reach h2', async () => (await a2.count({ since: mk, out: false, dst: G, proto: 17 })) >= 20, 5_000);
    await l.setSwitch('none');
    await l.setSwitch('igmpswitch', { igmpswitch: opts });
  });

  for (const [name, corrupt, reason] of [
    ['garbage', () => 'this is not JSON {', /not valid JSON/],
    ['truncated', (v: string) => v.slice(0, Math.floor(v.length / 2)), /not valid JSON/],
    ['edited (digest mismatch)', (v: string) => v.split(G).join('239.5.5.6'), /integrity|digest/],
  ] as const) {
    it(`a corrupt state file (${name}) is reported in the log and ignored`, async () => {
      const l = lab();
      expect(validState, 'the kill -9 case saved a valid state file first').toContain(G);
      await l.setSwitch('none'); // SIGTERM: the daemon saves its state; then we spoil it
      writeFileSync(stateFile, corrupt(validState));
      await l.setSwitch('igmpswitch', { igmpswitch: opts });
      const ignored = logEvents(l, 'state-ignored');
      expect(ignored.length, sw(l).output()).toBe(1);
      expect(String(ignored[0]!['msg'])).toMatch(reason);
      expect(ignored[0]!['level']).toBe('warn');
      expect(logEvents(l, 'state-restored')).toEqual([]);
      expect(await groups(l)).toEqual([]);
      // And it is ignored for forwarding too: no membership, no querier to ask h2 again → h2 gets nothing.
      const m = await a2.mark();
      await sleep(400);
      expect(await a2.count({ since: m, out: false, dst: G, proto: 17 })).toBe(0);
    });
  }
});
