// The differential harness (docs/differential.md): real kernel hosts in network namespaces play a seeded random
// script of memberships (test/differential/script.ts) against igmpswitch and the Linux bridge at the same time, every
// round real senders send to every group, every port counts what it received per (source, group), and each cell of
// that delivery matrix is checked against the RFC 3376 / RFC 4541 answer of the project's reference model
// (test/model/rfc3376-router.ts, fed with what the hosts' kernels announce: test/model/igmp-host.ts).
//
// A disagreement is printed with the switch's state for that group (igmpswitch `show groups`, the bridge's
// `bridge -d mdb show`) and classified: any igmpswitch disagreement is a failure; a bridge disagreement is
// "bridge deviates from RFC" only when its MDB shows one of the known deviations (docs/differential.md), else
// "unexplained".

import {
  createLab, nsExec, sleep, type ConfigObject, type Lab,
} from '../../src/lab/index.js';
import type { GroupRow } from '../../src/mgmt/api.js';
import * as igmp from '../../src/wire/igmp.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import { applySocketCall, currentStateRecord, interfaceState, stateChangeRecords, v2Message, type Filter } from '../model/igmp-host.js';
import { Model } from '../model/rfc3376-router.js';
import { PktAgent, waitSnooping } from '../netns/snooping/helpers.js';
import { describeFilter, Script, type Step } from './script.js';

/** Python start-up on a loaded 2-CPU machine, 14 agents at once, can take tens of seconds. */
const AGENT_READY_MS = 90_000;

// ------------------------------------------------------------------------------------------------ set-up

/** Protocol timers of both switches (short, as in test/netns/snooping/kernel-hosts.test.ts), in ms. */
export const TIMERS = {
  queryInterval: 2_000,
  queryResponseInterval: 1_000,
  lastMemberQueryInterval: 500,
  lastMemberQueryCount: 2,
  robustness: 2,
} as const;
const GMI_MS = TIMERS.robustness * TIMERS.queryInterval + TIMERS.queryResponseInterval; // RFC 3376 §8.4
const LMQT_MS = TIMERS.lastMemberQueryCount * TIMERS.lastMemberQueryInterval;            // §8.14
const OHPI_MS = GMI_MS;                                                                   // §8.13
const OQPI_MS = TIMERS.robustness * TIMERS.queryInterval + TIMERS.queryResponseInterval / 2; // §8.5

export const SENDERS = ['s1', 's2', 's3'] as const;
export const RECEIVERS = ['r1', 'r2', 'r3', 'r4'] as const;
export const GROUPS = ['239.1.1.1', '239.1.1.2', '239.1.1.3'] as const;
const HOSTS = [...SENDERS, ...RECEIVERS];
const DATA_PORT = 5400;
const QUERIER = '192.0.2.254';

export type SwitchName = 'igmpswitch' | 'linux-bridge';


const IGMPSWITCH_CONFIG: ConfigObject = {
  snooping: {
    querier: { enabled: true, address: QUERIER, version: 3 },
    robustness: TIMERS.robustness,
    query_interval: `${TIMERS.queryInterval}ms`,
    query_response_interval: `${TIMERS.queryResponseInterval}ms`,
    last_member_query_interval: `${TIMERS.lastMemberQueryInterval}ms`,
    last_member_query_count: TIMERS.lastMemberQueryCount,
    // No start-up flood: nothing receives before the script starts, and the first round waits for the querier.
    startup_flood: 0,
  },
  state: { file: null },
};

/** The Linux bridge with the same timers (iproute2 takes centiseconds) and an IGMPv3 querier. */
const BRIDGE_OPTIONS = {
  mcast_snooping: 1,
  mcast_querier: 1,
  mcast_igmp_version: 3,
  mcast_query_interval: TIMERS.queryInterval / 10,
  mcast_query_response_interval: TIMERS.queryResponseInterval / 10,
  mcast_last_member_interval: TIMERS.lastMemberQueryInterval / 10,
  mcast_last_member_count: TIMERS.lastMemberQueryCount,
  mcast_membership_interval: GMI_MS / 10,
  mcast_querier_interval: OQPI_MS / 10,
  mcast_startup_query_interval: TIMERS.queryInterval / 40,
  mcast_startup_query_count: TIMERS.robustness,
};

/** One switch under test with its hosts' agents. */
interface Rig {
  name: SwitchName;
  lab: Lab;
  /** Per host: the packet agent (test/netns/snooping/pktagent.py) that captures, and makes the socket calls. */
  agent: Map<string, PktAgent>;
}

async function startRig(name: SwitchName, echo: NodeJS.WritableStream | null): Promise<Rig> {
  const t0 = Date.now();
  const lab = await createLab({
    hosts: HOSTS.map((h) => ({ name: h, igmpVersion: 3 as const })),
    switch: name,
    // A loaded 2-CPU machine can take more than the default 30 s to start the daemon.
    igmpswitch: { config: IGMPSWITCH_CONFIG, echo, readyTimeoutMs: 120_000 },
    linuxBridge: { options: BRIDGE_OPTIONS },
  });
  try {
    const agent = new Map<string, PktAgent>();
    const t = Date.now();
    await Promise.all(HOSTS.map(async (h) => {
      agent.set(h, await PktAgent.start(lab.host(h), AGENT_READY_MS));
    }));
    if (process.env['DIFF_TIMING']) console.log(`${name}: lab ${t - t0} ms, agents ${Date.now() - t} ms`);
    if (name === 'igmpswitch') await waitSnooping(lab);
    return { name, lab, agent };
  } catch (e) {
    await lab.destroy();
    throw e;
  }
}

async function stopRig(r: Rig): Promise<void> {
  await Promise.allSettled([...r.agent.values()].map((a) => a.stop()));
  await r.lab.destroy();
}

async function applyStep(r: Rig, s: Step): Promise<void> {
  const a = r.agent.get(s.host)!;
  switch (s.kind) {
    case 'version': return r.lab.host(s.host).setIgmpVersion(s.version);
    case 'open': return a.app({ op: 'sock-open', sock: s.sock });
    case 'close': return a.app({ op: 'sock-close', sock: s.sock });
    case 'call': return a.app({ op: 'sock-call', sock: s.sock, opt: s.call, group: s.group, source: s.source ?? null });
  }
}

/** Steps of different hosts run concurrently, each host's in order. */
async function applySteps(r: Rig, steps: readonly Step[]): Promise<void> {
  const byHost = new Map<string, Step[]>();
  for (const s of steps) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s]);
  await Promise.all([...byHost.values()].map(async (list) => {
    for (const s of list) await applyStep(r, s);
  }));
}

// ------------------------------------------------------------------------------------------------ the model

/**
 * The answer: one RFC 3376 router model per group (ports = receivers), fed with what each receiver's kernel
 * announces (state-change records, IGMPv2 reports and leaves, and answers to the querier's General Queries every
 * Query Interval), on the harness's clock.
 */
class Answer {
  private readonly models = new Map<string, Model>();
  /** Sockets' filters per receiver and group, and each receiver's version (what its kernel knows). */
  readonly sockets = new Map<string, Map<number, { group: string; filter: Filter | null }>>();
  readonly version = new Map<string, 2 | 3>();
  private readonly t0 = Date.now();
  private lastQuery = 0;

  constructor() {
    for (const g of GROUPS) {
      this.models.set(g, new Model(true, { gmi: GMI_MS, lmqt: LMQT_MS, ohpi: OHPI_MS }));
    }
    for (const h of RECEIVERS) {
      this.sockets.set(h, new Map());
      this.version.set(h, 3);
    }
  }

  private now(): number {
    return Date.now() - this.t0 + 1;
  }

  port(host: string): number {
    return RECEIVERS.indexOf(host as (typeof RECEIVERS)[number]) + 1;
  }

  state(host: string, group: string): Filter | null {
    const socks = [...(this.sockets.get(host)?.values() ?? [])].filter((s) => s.group === group && s.filter);
    return interfaceState(socks.map((s) => s.filter!));
  }

  /** Bring every model to now, the receivers answering a General Query every Query Interval on the way. */
  catchUp(): void {
    const now = this.now();
    for (let q = this.lastQuery + TIMERS.queryInterval; q <= now; q += TIMERS.queryInterval) {
      for (const [g, m] of this.models) {
        m.advance(q);
        for (const h of RECEIVERS) {
          const st = this.state(h, g);
          if (this.version.get(h) === 2) {
            if (st) m.older(this.port(h), 2);
          } else {
            const rec = currentStateRecord(st);
            if (rec) m.record(this.port(h), rec.type, rec.sources);
          }
        }
      }
      this.lastQuery = q;
    }
    for (const m of this.models.values()) m.advance(now);
  }

  /** A step as the host's kernel sees it: what changes in its interface state, and what it announces. */
  apply(s: Step): void {
    this.catchUp();
    const socks = this.sockets.get(s.host)!;
    if (s.kind === 'version') {
      this.version.set(s.host, s.version);
      return;
    }
    if (s.kind === 'open') {
      socks.set(s.sock, { group: '', filter: null });
      return;
    }
    const sock = socks.get(s.sock)!;
    const group = s.kind === 'call' ? s.group : sock.group;
    if (!group) {
      socks.delete(s.sock);
      return;
    }
    const before = this.state(s.host, group);
    if (s.kind === 'close') socks.delete(s.sock);
    else {
      // applySocketCall is what the script used to plan the call; the kernel agrees or the agent reports an error.
      sock.group = group;
      sock.filter = applySocketCall(sock.filter, s.call, s.source);
    }
    const after = this.state(s.host, group);
    const m = this.models.get(group)!;
    const port = this.port(s.host);
    if (this.version.get(s.host) === 2) {
      const msg = v2Message(before, after);
      if (msg === 'report') m.older(port, 2);
      else if (msg === 'leave') m.leave(port);
    } else {
      for (const r of stateChangeRecords(before, after)) m.record(port, r.type, r.sources);
    }
  }

  model(group: string): Model {
    return this.models.get(group)!;
  }

  /** RFC 4541: does the switch forward (source, group) to host's port? */
  forwards(host: string, source: string, group: string, senderOf: (src: string) => string): boolean {
    if (senderOf(source) === host) return false; // never back out of the ingress port
    const m = this.models.get(group)!;
    // RFC 4541 §2.1.2(3): unregistered multicast goes to router ports (none here). igmpswitch (snooping.unregistered
    // "routers", the default) and the bridge (while a querier exists it marks non-link-local data "mrouters_only";
    // mcast_flood applies only without a querier) both do so.
    if (m.ports.size === 0) return false;
    if (!RECEIVERS.includes(host as (typeof RECEIVERS)[number])) return false;
    return m.wants(this.port(host), source);
  }

  /** The model's record for host's port, for messages. */
  describe(host: string, group: string): string {
    const m = this.models.get(group)!;
    const p = m.ports.get(this.port(host));
    if (!p) return 'none';
    const src = [...p.src].map(([s, t]) => `${t === 0 ? '!' : ''}${s.split('.').pop()}`).join(',');
    return `${p.mode === 'include' ? 'IN' : 'EX'}{${src}} v${m.compat(p)}`;
  }
}

// ------------------------------------------------------------------------------------------------ one run

export type CellClass =
  | 'igmpswitch disagrees with the RFC'
  | 'bridge deviates from RFC: floods IGMPv3 reports and IGMPv2 leaves'
  | 'bridge deviates from RFC: EXCLUDE (*,G) port missing from an (S,G) entry'
  | 'bridge deviates from RFC: keeps S blocked after an IGMPv2 rejoin'
  | 'bridge deviates from RFC: no per-group IGMPv2 compatibility mode'
  | 'bridge: unexplained';

const REPORT_FLOOD: CellClass = 'bridge deviates from RFC: floods IGMPv3 reports and IGMPv2 leaves';

export interface Disagreement {
  seed: number;
  round: number;
  switch: SwitchName;
  host: string;
  /** "(S, G)" for data; "IGMP reports" for membership reports other hosts sent. */
  cell: string;
  expected: string;
  got: string;
  hostState: string;
  modelState: string;
  switchState: string;
  class: CellClass;
}

export interface DiffOptions {
  seeds: readonly number[];
  rounds: number;
  switches?: readonly SwitchName[];
  /** Wait after a round's socket calls before sending (ms); see docs/differential.md "Convergence". */
  settleMs?: number;
  /** Datagrams per (source, group) per round. */
  perFlow?: number;
  log?: (line: string) => void;
  echo?: NodeJS.WritableStream | null;
}

export interface DiffSummary {
  seeds: number[];
  rounds: number;
  /** Cells checked per switch. */
  cells: Record<string, number>;
  disagreements: Disagreement[];
  byClass: Record<string, number>;
}

export async function runDifferential(o: DiffOptions): Promise<DiffSummary> {
  const switches = o.switches ?? ['igmpswitch', 'linux-bridge'];
  const settleMs = o.settleMs ?? 4_000;
  const perFlow = o.perFlow ?? 4;
  const t0 = Date.now();
  const log0 = o.log ?? (() => undefined);
  const timing = !!process.env['DIFF_TIMING'];
  const log = (l: string) => log0(timing ? `${((Date.now() - t0) / 1000).toFixed(1)}s ${l}` : l);
  /** Progress lines, with DIFF_TIMING only. */
  const progress = (l: string) => timing && log(l);
  const rigs: Rig[] = [];
  const summary: DiffSummary = { seeds: [...o.seeds], rounds: 0, cells: {}, disagreements: [], byClass: {} };
  try {
    const started = await Promise.allSettled(switches.map((s) => startRig(s, o.echo ?? null)));
    for (const s of started) if (s.status === 'fulfilled') rigs.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    progress('labs ready');
    const any = rigs[0]!.lab;
    const addr = new Map(HOSTS.map((h) => [h, any.host(h).addr]));
    const senderOf = (src: string) => HOSTS.find((h) => addr.get(h) === src) ?? '';
    const sources = SENDERS.map((s) => addr.get(s)!);
    const answer = new Answer();
    for (const r of rigs) summary.cells[r.name] = 0;
    // The queriers' first queries, and the bridge's delay before it filters: a Linux bridge floods all multicast
    // until it counts a querier as present. Max Resp Time after its first query (the wait here until 2026-12-03) is
    // not enough on Linux 6.18 (seen: every cell of the first round flooded, in every run); the Other Querier
    // Present Interval is.
    await sleep(OQPI_MS + 1_000);

    for (const seed of o.seeds) {
      const script = new Script(seed, { receivers: RECEIVERS, groups: GROUPS, sources: [sources[0]!, sources[1]!] });
      for (let round = 1; round <= o.rounds; round++) {
        const steps = script.round();
        const marks = await Promise.all(rigs.map(async (r) => new Map(await Promise.all(HOSTS.map(async (h) => [h, await r.agent.get(h)!.mark()] as const)))));
        for (const s of steps) answer.apply(s);
        await Promise.all(rigs.map((r) => applySteps(r, steps)));
        log(`seed ${seed} round ${round}: ${RECEIVERS.map((h) => `${h} v${answer.version.get(h)} ${GROUPS.map((g) => describeFilter(answer.state(h, g))).join(' ')}`).join(' | ')}`);
        // A host that went to IGMPv2 holding memberships reports them as IGMPv2 only when the next General Query
        // comes (within a Query Interval, answered within the Query Response Interval): wait two Query Intervals
        // more, as a loaded machine delays the answer further.
        const versionWait = steps.some((s) => s.kind === 'version' && s.holding) ? 2 * TIMERS.queryInterval : 0;
        await sleep(settleMs + versionWait);
        answer.catchUp();
        progress('measuring');
        const results = await Promise.all(rigs.map((r, i) => measure(r, perFlow, marks[i]!)));
        answer.catchUp();
        progress('checking');
        for (const [i, r] of rigs.entries()) {
          const found = await check(r, results[i]!, answer, { seed, round, perFlow, addr, senderOf, sources });
          summary.cells[r.name]! += found.cells;
          for (const d of found.disagreements) {
            summary.disagreements.push(d);
            summary.byClass[d.class] = (summary.byClass[d.class] ?? 0) + 1;
            if (d.class !== REPORT_FLOOD) log(formatDisagreement(d));
          }
          // The bridge floods every IGMPv3 report to every port: one line per round, not one per port.
          const flooded = found.disagreements.filter((d) => d.class === REPORT_FLOOD);
          if (flooded.length) log(`  [${r.name}] seed ${seed} round ${round}: IGMP reports/leaves of other hosts reached ${flooded.length} ports  → ${REPORT_FLOOD}`);
        }
        summary.rounds++;
      }
      // Between seeds: every receiver lets go of everything and goes back to IGMPv3 (not measured).
      const reset = resetSteps(answer);
      for (const s of reset) answer.apply(s);
      await Promise.all(rigs.map((r) => applySteps(r, reset)));
      await sleep(settleMs);
    }
  } finally {
    await Promise.allSettled(rigs.map(stopRig));
  }
  return summary;
}

/** Close every receiver's sockets, then set IGMPv3 where another version is in force. */
function resetSteps(answer: Answer): Step[] {
  const steps: Step[] = [];
  for (const [h, socks] of answer.sockets) {
    for (const id of socks.keys()) steps.push({ host: h, kind: 'close', sock: id });
    if (answer.version.get(h) !== 3) steps.push({ host: h, kind: 'version', version: 3, holding: false });
  }
  return steps;
}

// ------------------------------------------------------------------------------------------------ measuring

interface Measured {
  /** host → "src group" → datagrams received. */
  data: Map<string, Map<string, number>>;
  /** host → IGMP reports/leaves sent by other hosts that reached it this round, by "type destination". */
  reports: Map<string, Map<string, number>>;
}

const IGMP_REPORT_TYPES = new Set<number>([
  igmp.MessageType.V1_MEMBERSHIP_REPORT, igmp.MessageType.V2_MEMBERSHIP_REPORT, igmp.MessageType.V2_LEAVE_GROUP,
  igmp.MessageType.V3_MEMBERSHIP_REPORT,
]);

async function measure(r: Rig, perFlow: number, roundMarks: Map<string, number>): Promise<Measured> {
  const marks = new Map(await Promise.all(HOSTS.map(async (h) => [h, await r.agent.get(h)!.mark()] as const)));
  await Promise.all(SENDERS.map((s) => r.agent.get(s)!.app({ op: 'udp-send', groups: GROUPS, count: perFlow, port: DATA_PORT, gapMs: 1 })));
  await sleep(500);
  const out: Measured = { data: new Map(), reports: new Map() };
  for (const h of HOSTS) {
    const a = r.agent.get(h)!;
    const ev = await a.select({ since: marks.get(h)!, out: false, proto: 17, info: DATA_PORT });
    const m = new Map<string, number>();
    for (const e of ev) m.set(`${e.src} ${e.dst}`, (m.get(`${e.src} ${e.dst}`) ?? 0) + 1);
    out.data.set(h, m);
    const own = r.lab.host(h).addr;
    const igmp = await a.select({ since: roundMarks.get(h)!, out: false, proto: ipv4.Protocol.IGMP });
    const rep = new Map<string, number>();
    for (const e of igmp) {
      if (e.src === own || !IGMP_REPORT_TYPES.has(e.info)) continue;
      const k = `0x${e.info.toString(16)} to ${e.dst}`;
      rep.set(k, (rep.get(k) ?? 0) + 1);
    }
    out.reports.set(h, rep);
  }
  return out;
}

interface BridgeMdbRow {
  port: string;
  grp: string;
  src?: string;
  state?: string;
  filter_mode?: string;
  flags?: string[];
}

async function bridgeMdb(lab: Lab): Promise<{ rows: BridgeMdbRow[]; text: string }> {
  const j = await nsExec(lab.switchNs, 'bridge', ['-j', '-d', 'mdb', 'show', 'dev', lab.bridge!]);
  const text = (await nsExec(lab.switchNs, 'bridge', ['-d', 'mdb', 'show', 'dev', lab.bridge!])).stdout;
  const parsed = JSON.parse(j.stdout || '[]') as { mdb?: BridgeMdbRow[] }[];
  return { rows: parsed.flatMap((b) => b.mdb ?? []), text };
}

interface CheckContext {
  seed: number;
  round: number;
  perFlow: number;
  addr: Map<string, string>;
  senderOf: (src: string) => string;
  sources: string[];
}

async function check(r: Rig, m: Measured, answer: Answer, c: CheckContext): Promise<{ cells: number; disagreements: Disagreement[] }> {
  const out: Disagreement[] = [];
  let cells = 0;
  let igsGroups: GroupRow[] | null = null;
  let mdb: { rows: BridgeMdbRow[]; text: string } | null = null;
  const stateOf = async (group: string, port: string): Promise<string> => {
    if (r.name === 'igmpswitch') {
      igsGroups ??= (await r.lab.switch!.request('groups')) as GroupRow[];
      const rows = igsGroups.filter((g) => g.group === group);
      return rows.map((g) => `${g.port === port ? '*' : ''}${g.port} ${g.mode} v${g.version} {${g.sources.map((s) => `${s.blocked ? '!' : ''}${s.address}`).join(',')}}`).join('; ') || 'no record';
    }
    mdb ??= await bridgeMdb(r.lab);
    return mdb.text.split('\n').filter((l) => l.includes(` grp ${group} `)).map((l) => (l.includes(` port ${port} `) ? `*${l.trim()}` : l.trim())).join('; ') || 'no entry';
  };
  const mdbRows = async () => (mdb ??= await bridgeMdb(r.lab)).rows;

  for (const h of HOSTS) {
    const port = r.lab.host(h).port;
    const isReceiver = RECEIVERS.includes(h as (typeof RECEIVERS)[number]);
    for (const g of GROUPS) {
      for (const s of c.sources) {
        if (c.senderOf(s) === h) continue;
        cells++;
        const want = answer.forwards(h, s, g, c.senderOf);
        const n = m.data.get(h)!.get(`${s} ${g}`) ?? 0;
        const got = n >= Math.ceil(c.perFlow / 2);
        if (want === got && (got || n === 0)) continue;
        let cls: CellClass = 'igmpswitch disagrees with the RFC';
        if (r.name === 'linux-bridge') cls = await classifyBridge(await mdbRows(), { group: g, source: s, port, want, host: h, answer, isReceiver });
        out.push({
          seed: c.seed, round: c.round, switch: r.name, host: h, cell: `(${s}, ${g})`,
          expected: want ? 'forwarded' : 'not forwarded', got: `${n}/${c.perFlow}`,
          hostState: isReceiver ? `v${answer.version.get(h)} ${describeFilter(answer.state(h, g))}` : 'sender',
          modelState: isReceiver ? answer.describe(h, g) : 'none',
          switchState: await stateOf(g, port), class: cls,
        });
      }
    }
    // RFC 4541 §2.1.1(1): membership reports go to router ports only; no host here is a router.
    cells++;
    const rep = m.reports.get(h)!;
    if (rep.size > 0) {
      // IGMPv3 reports go to 224.0.0.22 and IGMPv2 leaves to 224.0.0.2: the bridge floods both as link-local.
      const linkLocal = [...rep.keys()].every((k) => k.endsWith(' to 224.0.0.22') || k.endsWith(' to 224.0.0.2'));
      out.push({
        seed: c.seed, round: c.round, switch: r.name, host: h, cell: 'IGMP reports of other hosts',
        expected: 'none', got: [...rep].map(([k, n]) => `${n} × ${k}`).join(', '),
        hostState: '', modelState: 'not a router port', switchState: '',
        class: r.name === 'igmpswitch' ? 'igmpswitch disagrees with the RFC' : linkLocal ? REPORT_FLOOD : 'bridge: unexplained',
      });
    }
  }
  return { cells, disagreements: out };
}

/**
 * A bridge cell that disagrees with the model is put down to a known deviation only when the MDB shows it
 * (docs/differential.md, "The Linux bridge's deviations").
 */
async function classifyBridge(
  rows: BridgeMdbRow[],
  x: { group: string; source: string; port: string; want: boolean; host: string; answer: Answer; isReceiver: boolean },
): Promise<CellClass> {
  const star = rows.find((e) => e.grp === x.group && !e.src && e.port === x.port);
  const sg = rows.filter((e) => e.grp === x.group && e.src === x.source);
  const mine = sg.find((e) => e.port === x.port);
  const blocked = (e: BridgeMdbRow | undefined) => !!e?.flags?.includes('blocked');
  const model = x.answer.model(x.group);
  const p = x.isReceiver ? model.ports.get(x.answer.port(x.host)) : undefined;
  if (x.want && p && model.compat(p) === 2 && x.answer.version.get(x.host) === 2 && mine && blocked(mine)) {
    return 'bridge deviates from RFC: keeps S blocked after an IGMPv2 rejoin';
  }
  if (x.want && star?.filter_mode === 'exclude' && !mine && sg.length > 0) {
    return 'bridge deviates from RFC: EXCLUDE (*,G) port missing from an (S,G) entry';
  }
  if (p && model.compat(p) === 2 && (star?.filter_mode === 'include' || blocked(mine))) {
    return 'bridge deviates from RFC: no per-group IGMPv2 compatibility mode';
  }
  return 'bridge: unexplained';
}

export function formatDisagreement(d: Disagreement): string {
  return `  [${d.switch}] seed ${d.seed} round ${d.round} ${d.host} ${d.cell}: expected ${d.expected}, got ${d.got}` +
    (d.hostState ? `; host ${d.hostState}, model ${d.modelState}` : '') +
    (d.switchState ? `; switch: ${d.switchState}` : '') + `  → ${d.class}`;
}

export function formatSummary(s: DiffSummary): string {
  const lines = [
    `seeds ${s.seeds.join(',')}: ${s.rounds} rounds; cells checked: ${Object.entries(s.cells).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `disagreements: ${s.disagreements.length}${s.disagreements.length ? '' : ' (none)'}`,
    ...Object.entries(s.byClass).sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(5)}  ${k}`),
  ];
  return lines.join('\n');
}

/** Disagreements that fail the run: every igmpswitch one, and the bridge's unexplained ones. */
export function failures(s: DiffSummary): Disagreement[] {
  return s.disagreements.filter((d) => d.class === 'igmpswitch disagrees with the RFC' || d.class === 'bridge: unexplained');
}

