// The IGMPv3 / MLDv2 cases of the Linux selftests bridge_igmp.sh and bridge_mld.sh (same logic, same expectations, in
// Linux tools/testing/selftests/net/forwarding/), written once: bridge-igmp.test.ts and bridge-mld.test.ts
// each set up their lab and call defineSelftestCases with their family's group, sources, report frames and names.

import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliJson, configYaml, deepMerge, type ConfigObject, type HostSpec, type Lab } from '../../../src/lab/index.js';
import type { GroupRow, TraceResult } from '../../../src/mgmt/api.js';
import { useLab } from '../harness.js';
import { type EventFilter, fmtCounts, groupRow, PktAgent, sgForwarding, sourceMap, sw, waitUntil } from './helpers.js';

/**
 * The selftests' timers, chosen so a file runs in well under a minute on a loaded VM (the family's querier settings
 * are added by each file): no start-up flood, GMI 21 s, LMQT 1 s.
 */
export const SELFTEST_TIMERS: ConfigObject = {
  query_interval: '10s',
  query_response_interval: '1s',
  last_member_query_interval: '500ms',
  startup_flood: 0,
};
/** Last Member / Listener Query Time of SELFTEST_TIMERS: last_member_query_count 2 (= robustness) × 500 ms. */
export const SELFTEST_LMQT_MS = 1_000;

export interface SelftestHosts { a1: PktAgent; a2: PktAgent; a3: PktAgent; p1: string; p3: string }

/**
 * The selftests' lab, for either family: igmpswitch with `snooping` between h1, h2, h3 (given as `hosts`), a capture
 * agent on each, and `ready` awaited (snooping filtering) before the cases run. The agents stop after the file.
 */
export function useSelftestLab(o: { hosts: HostSpec[]; snooping: ConfigObject; ready: (lab: Lab) => Promise<void> }): {
  lab: () => Lab;
  hosts: () => SelftestHosts;
} {
  const lab = useLab(() => ({
    hosts: o.hosts,
    igmpswitch: {
      config: { snooping: o.snooping, state: { file: null } },
      echo: process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null,
    },
  }));
  let hosts: SelftestHosts | null = null;
  beforeAll(async () => {
    const l = lab();
    const [a1, a2, a3] = await Promise.all([PktAgent.start(l.host('h1')), PktAgent.start(l.host('h2')), PktAgent.start(l.host('h3'))]);
    hosts = { a1, a2, a3, p1: l.host('h1').port, p3: l.host('h3').port };
    await o.ready(l);
  });
  afterAll(async () => {
    await Promise.allSettled(hosts ? [hosts.a1, hosts.a2, hosts.a3].map((a) => a.stop()) : []);
  });
  return {
    lab,
    hosts: () => {
      if (!hosts) throw new Error('selftest agents not started (beforeAll failed?)');
      return hosts;
    },
  };
}

/** The selftest's report packets (the same names in both scripts). */
export type SelftestReport = 'IS_INC' | 'IS_INC2' | 'IS_INC3' | 'ALLOW' | 'ALLOW2' | 'IS_EXC' | 'IS_EXC2' | 'TO_EXC' | 'BLOCK';

export interface SelftestFamily {
  /** The test file, for the reload comment. */
  file: string;
  lab: () => Lab;
  /** The capture agents of h1, h2, h3 and the ports of h1 and h3, once the file's beforeAll has run. */
  hosts: () => SelftestHosts;
  G: string;
  /** Source n of the selftest (192.0.2.n, 2001:db8:1::n). */
  S: (n: number) => string;
  /** Last Member / Listener Query Time of the lab's configuration. */
  LMQT_MS: number;
  /** Group compatibility version the views show after a v3 / MLDv2 report. */
  version: number;
  send: (agent: PktAgent, pkt: SelftestReport) => Promise<void>;
  /** TO_IN({}) for G, from the address the reports came from. */
  leaveFrame: (agent: PktAgent) => Uint8Array;
  /** How the switch's own group(-and-source)-specific queries show in a capture. */
  ownQuery: () => Pick<EventFilter, 'proto' | 'info' | 'src'>;
  /** The short group membership interval of the exc_timeout case. */
  shortGmi: string;
  /** The case title from the IGMP one (v3…, sources as .n). */
  title: (igmpTitle: string) => string;
  logTag: string;
}

export function defineSelftestCases(c: SelftestFamily): void {
  const { lab, G, S, LMQT_MS } = c;
  const UNLISTED = S(100);
  let a1: PktAgent;
  let a2: PktAgent;
  let a3: PktAgent;
  let p1: string;
  let p3: string;
  beforeAll(() => {
    ({ a1, a2, a3, p1, p3 } = c.hosts());
  });

  /** Reload the daemon with its start configuration plus `patch` (an empty patch restores it). */
  async function reloadWith(l: Lab, patch: ConfigObject): Promise<void> {
    const s = sw(l);
    writeFileSync(s.configPath, configYaml(deepMerge(s.config, patch), `reloaded by ${c.file}`));
    await s.request('reload');
  }

  const send = c.send;

  /** The record of G on a port once pred holds for it (polling; the report needs a moment to be processed). */
  async function rowWhen(port: string, what: string, pred: (r: NonNullable<Awaited<ReturnType<typeof groupRow>>>) => boolean, timeoutMs = 3_000) {
    return waitUntil(`${G} on ${port}: ${what}`, async () => {
      const r = await groupRow(lab(), G, port);
      return r && pred(r) ? r : undefined;
    }, timeoutMs, 50, async () => JSON.stringify(await groupRow(lab(), G, port)));
  }

  const hasSources = (r: { sources: { address: string }[] }, want: string[]): boolean =>
    want.every((s) => r.sources.some((x) => x.address === s));

  /** brmcast_check_sg_state 0 (X: running timer, not blocked) and 1 (Y: blocked, no timer) on p1. */
  async function expectSgState(x: string[], y: string[], absent: string[] = [], port = p1): Promise<void> {
    const row = await groupRow(lab(), G, port);
    const m = sourceMap(row);
    const show = JSON.stringify(row?.sources);
    for (const s of x) {
      expect(m.has(s), `${s} listed on ${port}: ${show}`).toBe(true);
      expect(m.get(s)!.blocked, `${s} not blocked: ${show}`).toBe(false);
      expect(m.get(s)!.timerMs ?? 0, `${s} has a running source timer: ${show}`).toBeGreaterThan(0);
    }
    for (const s of y) {
      expect(m.has(s), `${s} listed on ${port}: ${show}`).toBe(true);
      expect(m.get(s)!.blocked, `${s} blocked: ${show}`).toBe(true);
    }
    for (const s of absent) expect(m.has(s), `${s} must not be listed on ${port}: ${show}`).toBe(false);
  }

  /** brmcast_check_sg_fwding: traffic from h2 with these sources does (not) reach h1 (or other receivers). */
  async function expectFwd(forwarded: string[], blocked: string[], receivers: PktAgent[] = [a1],
    perReceiver?: (r: PktAgent, s: string) => boolean): Promise<void> {
    const sources = [...forwarded, ...blocked];
    const expectFn = perReceiver ?? ((_r: PktAgent, s: string) => forwarded.includes(s));
    const res = await sgForwarding(a2, receivers, G, sources, expectFn);
    for (const r of receivers) {
      const { sent, received } = res.get(r)!;
      const msg = `at ${r.host.name}: ${fmtCounts(received, sent)}`;
      for (const s of sources) {
        const n = received.get(s)!;
        if (expectFn(r, s)) expect(n, `(${s}, ${G}) must be forwarded ${msg}`).toBeGreaterThanOrEqual(Math.ceil(0.8 * sent));
        else expect(n, `(${s}, ${G}) must not be forwarded ${msg}`).toBeLessThanOrEqual(Math.floor(0.02 * sent));
      }
    }
  }

  /** v3include_prepare: IS_INC(.1 .2 .3) → INCLUDE {.1 .2 .3} on p1. */
  async function includePrepare(): Promise<void> {
    await send(a1, 'IS_INC');
    const r = await rowWhen(p1, 'include {.1 .2 .3}', (x) => x.mode === 'include' && hasSources(x, [S(1), S(2), S(3)]));
    expect(r.mode).toBe('include');
    expect(r.version).toBe(c.version);
    expect(r.sources.map((s) => s.address).sort()).toEqual([S(1), S(2), S(3)]);
  }

  /** v3exclude_prepare: include_prepare + IS_EXC(.1 .2 .20 .21) → EXCLUDE(X {.1 .2}, Y {.20 .21}), .3 deleted. */
  async function excludePrepare(): Promise<void> {
    await includePrepare();
    await send(a1, 'IS_EXC');
    await rowWhen(p1, 'exclude mode', (x) => x.mode === 'exclude');
    await expectSgState([S(1), S(2)], [S(20), S(21)], [S(3)]);
  }

  /** Instead of `bridge mdb del`: the reporter leaves (TO_IN {}) and the record goes within LMQT. */
  async function cleanup(agent: PktAgent = a1, port = p1): Promise<void> {
    await agent.send([c.leaveFrame(agent)]);
    await waitUntil(`${G} gone from ${port} after TO_IN({})`, async () => !(await groupRow(lab(), G, port)), 3 * LMQT_MS + 3_000, 100,
      async () => JSON.stringify(await groupRow(lab(), G, port)));
  }


  it(c.title('v3include: IS_INC(.1 .2 .3) → INCLUDE; .1 .2 .3 forwarded, .100 not'), async () => {
    await includePrepare();
    await expectSgState([S(1), S(2), S(3)], []);
    // The same state through the command line (`igmpswitch show groups --json`), as an operator reads it.
    const s = sw(lab());
    const cli = (await cliJson(s.ns, ['show', 'groups', '--json', '--socket', s.socketPath])) as GroupRow[];
    const row = cli.find((g) => g.group === G && g.port === p1);
    expect(row?.mode).toBe('include');
    expect(row?.sources.map((x) => [x.address, x.blocked])).toEqual([[S(1), false], [S(2), false], [S(3), false]]);
    await expectFwd([S(1), S(2), S(3)], [UNLISTED]);
    await cleanup();
  });

  it(c.title('v3inc_allow: INCLUDE + ALLOW(.10 .11 .12) → INCLUDE(A+B); .10-.12 forwarded, .100 not'), async () => {
    await includePrepare();
    await send(a1, 'ALLOW');
    await rowWhen(p1, 'sources .10 .11 .12 added', (x) => hasSources(x, [S(10), S(11), S(12)]));
    await expectSgState([S(1), S(2), S(3), S(10), S(11), S(12)], []);
    expect((await groupRow(lab(), G, p1))!.mode).toBe('include');
    await expectFwd([S(10), S(11), S(12)], [UNLISTED]);
    await cleanup();
  });

  it(c.title('v3inc_is_include: INCLUDE + IS_INC(.10 .11 .12) → INCLUDE(A+B); .10-.12 forwarded, .100 not'), async () => {
    await includePrepare();
    await send(a1, 'IS_INC2');
    await rowWhen(p1, 'sources .10 .11 .12 added', (x) => hasSources(x, [S(10), S(11), S(12)]));
    await expectSgState([S(1), S(2), S(3), S(10), S(11), S(12)], []);
    expect((await groupRow(lab(), G, p1))!.mode).toBe('include');
    await expectFwd([S(10), S(11), S(12)], [UNLISTED]);
    await cleanup();
  });

  it(c.title('v3inc_is_exclude: INCLUDE + IS_EX(.1 .2 .20 .21) → EXCLUDE(X {.1 .2}, Y {.20 .21}); X and .100 forwarded, Y not'), async () => {
    await excludePrepare();
    // The selftest means "X and .100 forwarded, Y not" (its X/Y are local to the prepare function, a script quirk).
    // .3 was deleted from the list and is therefore forwarded in EXCLUDE mode (RFC 3376 §6.2.1, RFC 3810 §7.2).
    await expectFwd([S(1), S(2), S(3), UNLISTED], [S(20), S(21)]);
    await cleanup();
  });

  it(c.title('v3inc_to_exclude: INCLUDE + TO_EX(.1 .20 .30) → EXCLUDE(X {.1}, Y {.20 .30}); .1 and .100 forwarded, .20 .30 not'), async () => {
    await includePrepare();
    // As the selftest (mcast_last_member_interval 500): LMQT long enough that .1, lowered by Q(G,A*B), stays in X.
    await reloadWith(lab(), { snooping: { last_member_query_interval: '5s' } });
    try {
      const m = await a1.mark();
      await send(a1, 'TO_EXC');
      await rowWhen(p1, 'exclude mode', (x) => x.mode === 'exclude');
      await expectSgState([S(1)], [S(20), S(30)], [S(2), S(21), S(3)]);
      await expectFwd([S(1), UNLISTED], [S(20), S(30)]);
      // Send Q(G, A*B): a group-and-source-specific query for G from the switch (it reaches h1's port).
      expect(await a1.count({ since: m, out: false, ...c.ownQuery(), dst: G })).toBeGreaterThanOrEqual(1);
    } finally {
      await reloadWith(lab(), {});
    }
    await cleanup();
  });

  it(c.title('v3exc_allow: EXCLUDE + ALLOW(.20 .30) → EXCLUDE(X+A {.1 .2 .20 .30}, Y-A {.21}); X and .100 forwarded, .21 not'), async () => {
    await excludePrepare();
    await send(a1, 'ALLOW2');
    await rowWhen(p1, '.20 .30 unblocked', (x) => x.sources.some((s) => s.address === S(30) && !s.blocked)
      && x.sources.some((s) => s.address === S(20) && !s.blocked));
    await expectSgState([S(1), S(2), S(20), S(30)], [S(21)]);
    await expectFwd([S(1), S(2), S(20), S(30), UNLISTED], [S(21)]);
    await cleanup();
  });

  it(c.title('v3exc_is_include: EXCLUDE + IS_IN(.20 .30) → EXCLUDE(X+A, Y-A) as exc_allow'), async () => {
    await excludePrepare();
    await send(a1, 'IS_INC3');
    await rowWhen(p1, '.20 .30 unblocked', (x) => x.sources.some((s) => s.address === S(30) && !s.blocked)
      && x.sources.some((s) => s.address === S(20) && !s.blocked));
    await expectSgState([S(1), S(2), S(20), S(30)], [S(21)]);
    expect((await groupRow(lab(), G, p1))!.mode).toBe('exclude');
    await expectFwd([S(1), S(2), S(20), S(30), UNLISTED], [S(21)]);
    await cleanup();
  });

  it(c.title('v3exc_is_exclude: EXCLUDE + IS_EX(.20 .30) → EXCLUDE(A-Y {.30}, Y*A {.20}); .1 .2 .21 deleted; .30 and .100 forwarded, .20 not'), async () => {
    await excludePrepare();
    await send(a1, 'IS_EXC2');
    await rowWhen(p1, '.30 listed', (x) => hasSources(x, [S(30)]));
    await expectSgState([S(30)], [S(20)], [S(1), S(2), S(21)]);
    // Deleted sources are unlisted, so EXCLUDE mode forwards them (.1, .21) like .100.
    await expectFwd([S(30), UNLISTED, S(1), S(21)], [S(20)]);
    await cleanup();
  });

  it(c.title('v3exc_to_exclude: EXCLUDE + TO_EX(.1 .20 .30) → EXCLUDE(A-Y {.1 .30}, Y*A {.20}); X and .100 forwarded, .20 not'), async () => {
    await excludePrepare();
    await reloadWith(lab(), { snooping: { last_member_query_interval: '5s' } });
    try {
      await send(a1, 'TO_EXC');
      await rowWhen(p1, '.30 listed', (x) => hasSources(x, [S(30)]));
      await expectSgState([S(1), S(30)], [S(20)], [S(2), S(21)]);
      await expectFwd([S(1), S(30), UNLISTED], [S(20)]);
    } finally {
      await reloadWith(lab(), {});
    }
    await cleanup();
  });

  it(c.title('v3inc_block: INCLUDE + BLOCK(.1 .20 .30) → Q(G,{.1}), .1 expires after LMQT; .2 .3 forwarded, .1 and .100 not'), async () => {
    await includePrepare();
    const m = await a1.mark();
    const t0 = Date.now();
    await send(a1, 'BLOCK');
    await rowWhen(p1, '.1 expired (lowered to LMQT by the switch\'s own Q(G,S))', (x) => !hasSources(x, [S(1)]), LMQT_MS + 4_000);
    console.info(`${c.logTag} ${c.title('v3inc_block')}: .1 removed ${Date.now() - t0} ms after BLOCK (LMQT ${LMQT_MS} ms)`);
    await expectSgState([S(2), S(3)], [], [S(1), S(20), S(30)]);
    expect((await groupRow(lab(), G, p1))!.mode).toBe('include');
    expect(await a1.count({ since: m, out: false, ...c.ownQuery(), dst: G }),
      'group-and-source-specific queries for G sent by the switch').toBeGreaterThanOrEqual(1);
    await expectFwd([S(2), S(3)], [S(1), UNLISTED]);
    await cleanup();
  });

  it(c.title('v3exc_block: EXCLUDE + BLOCK(.1 .20 .30) → EXCLUDE(X+(A-Y) {.1 .2 .30}, Y {.20 .21}); X and .100 forwarded, Y not'), async () => {
    await excludePrepare();
    await reloadWith(lab(), { snooping: { last_member_query_interval: '5s' } });
    try {
      await send(a1, 'BLOCK');
      await rowWhen(p1, '.30 listed', (x) => hasSources(x, [S(30)]));
      await expectSgState([S(1), S(2), S(30)], [S(20), S(21)]);
      await expectFwd([S(1), S(2), S(30), UNLISTED], [S(20), S(21)]);
    } finally {
      await reloadWith(lab(), {});
    }
    await cleanup();
  });

  it(c.title('v3exc_timeout: the group timer expires → INCLUDE with the ALLOWed sources only; .20 .30 forwarded, .100 not'), async () => {
    const l = lab();
    // As the selftest: a short GMI while the EXCLUDE state is built ("GMI should be 3 seconds"), then a long one
    // for the ALLOW that follows, so that the group timer runs out first.
    await reloadWith(l, { snooping: { group_membership_interval: c.shortGmi } });
    try {
      await excludePrepare();
    } finally {
      await reloadWith(l, {});
    }
    await send(a1, 'ALLOW2');
    const t0 = Date.now();
    const row = await rowWhen(p1, 'include mode after the group timer expired', (x) => x.mode === 'include', 8_000);
    console.info(`${c.logTag} ${c.title('v3exc_timeout')}: INCLUDE ${Date.now() - t0} ms after ALLOW (group timer ${c.shortGmi} from IS_EX)`);
    expect(row.mode).toBe('include');
    await expectSgState([S(20), S(30)], [], [S(1), S(2), S(21)]);
    await expectFwd([S(20), S(30)], [UNLISTED]);
    await cleanup();
  });

  it(c.title('v3star_ex_auto_add: EXCLUDE on p1, INCLUDE {.1 .2 .3} on p3 → (.3, G) goes to both (the (S,G) entry carries the EXCLUDE port)'), async () => {
    const l = lab();
    await excludePrepare();
    await send(a3, 'IS_INC');
    await rowWhen(p3, 'include {.1 .2 .3} on p3', (x) => x.mode === 'include' && hasSources(x, [S(1), S(2), S(3)]));
    // The selftest's (S(3), G) entry on swp1 with flag added_by_star_ex: here, the (S,G) lookup for .3 must send to
    // the EXCLUDE-mode port p1 as well as to the INCLUDE port p3.
    const s = sw(l);
    const t = (await cliJson(s.ns, ['trace', '--in', l.host('h2').port, '--dst', G, '--src', S(3), '--json', '--socket', s.socketPath])) as TraceResult;
    expect(t.verdict).toBe('forward');
    expect(t.matched.table).toBe('mdb-sg');
    const egress = t.ports.filter((p) => p.egress).map((p) => p.name).sort();
    expect(egress).toEqual([p1, p3].sort());
    // Traffic: .3 reaches h1 (EXCLUDE, unlisted) and h3 (INCLUDE); .100 only h1; .20 (blocked on p1) neither.
    const toH1 = [S(3), S(1), UNLISTED];
    const toH3 = [S(3), S(1)];
    await expectFwd([S(3), S(1), UNLISTED], [S(20)], [a1, a3], (r, s) => (r === a1 ? toH1 : toH3).includes(s));
    await cleanup(a3, p3);
    await cleanup();
  });
}
