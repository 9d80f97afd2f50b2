// The differential harness (docs/differential.md): real kernel hosts in network namespaces play a seeded random
// script of memberships (test/differential/script.ts) against igmpswitch and the Linux bridge at the same time, every
// round real senders send to every group, every port counts what it received per (source, group), and each cell of
// that delivery matrix is checked against the RFC 3376 / RFC 4541 answer of the project's reference model
// (test/model/rfc3376-router.ts, fed with what the hosts' kernels announce: test/model/igmp-host.ts).
// Both address families, from this one source (test/differential/family.ts): IGMP (IPv4) and MLD (IPv6, RFC 3810 §7.4
// and §8.3.2 being RFC 3376 §6.4 and §7.3.2 with other names) run side by side in the same labs, each with its own
// script, groups and model; the hosts are dual-stack and both switches snoop both families.
//
// A disagreement is printed with the switch's state for that group (igmpswitch `show groups`, the bridge's
// `bridge -d mdb show`) and classified: any igmpswitch disagreement is a failure; a bridge disagreement is
// "bridge deviates from RFC" only when its MDB shows one of the known deviations (docs/differential.md), else
// "unexplained".

import {
  createLab, nsExec, sleep, type ConfigObject, type Lab,
} from '../../src/lab/index.js';
import type { GroupRow } from '../../src/mgmt/api.js';
import { applySocketCall, currentStateRecord, interfaceState, stateChangeRecords, v2Message, type Filter } from '../model/igmp-host.js';
import { Model } from '../model/rfc3376-router.js';
import { PktAgent, querier, waitSnooping, waitUntil } from '../netns/snooping/helpers.js';
import { FAMILIES, FAMILY_NAMES, type DiffFamily, type FamilyName } from './family.js';
import { describeFilter, Script, shortAddress, type Step } from './script.js';

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

export const SENDERS = ['s1', 's2', 's3'] as const;
export const RECEIVERS = ['r1', 'r2', 'r3', 'r4'] as const;
const HOSTS = [...SENDERS, ...RECEIVERS];
const DATA_PORT = 5400;
/** The UDP port of waitFiltering's probes (not counted as data). */
const PROBE_PORT = 5401;
/** Host n's IPv6 address (n = position + 1, as its IPv4 address 192.0.2.n). */
const hostIpv6 = (n: number): string => `2001:db8:1::${n}/64`;

export type SwitchName = 'igmpswitch' | 'linux-bridge';

/** igmpswitch's timers (both families: RFC 3810 §9 has RFC 3376 §8's). */
const SNOOPING_TIMERS: ConfigObject = {
  robustness: TIMERS.robustness,
  query_interval: `${TIMERS.queryInterval}ms`,
  query_response_interval: `${TIMERS.queryResponseInterval}ms`,
  last_member_query_interval: `${TIMERS.lastMemberQueryInterval}ms`,
  last_member_query_count: TIMERS.lastMemberQueryCount,
  // No start-up flood: nothing receives before the script starts, and the first round waits for the querier.
  startup_flood: 0,
};

/** igmpswitch as the querier of each family run (IGMPv3, MLDv2), with the timers above. */
function igmpswitchConfig(families: readonly DiffFamily[]): ConfigObject {
  const snooping: ConfigObject = {};
  for (const f of families) Object.assign(snooping, f.igmpswitchSnooping);
  return { snooping: { ...snooping, ...SNOOPING_TIMERS }, state: { file: null } };
}

/** The Linux bridge with the same timers (iproute2 takes centiseconds); the families add their querier versions. */
const BRIDGE_OPTIONS = {
  mcast_snooping: 1,
  mcast_querier: 1,
  mcast_query_interval: TIMERS.queryInterval / 10,
  mcast_query_response_interval: TIMERS.queryResponseInterval / 10,
  mcast_last_member_interval: TIMERS.lastMemberQueryInterval / 10,
  mcast_last_member_count: TIMERS.lastMemberQueryCount,
  mcast_membership_interval: GMI_MS / 10,
  mcast_querier_interval: (TIMERS.robustness * TIMERS.queryInterval + TIMERS.queryResponseInterval / 2) / 10,
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

async function startRig(name: SwitchName, families: readonly DiffFamily[], echo: NodeJS.WritableStream | null): Promise<Rig> {
  const t0 = Date.now();
  const mld = families.some((f) => f.name === 'mld');
  const lab = await createLab({
    // IPv6 only where MLD runs (a lab without it stays as the IGMP runs always had it).
    hosts: HOSTS.map((h, i) => ({ name: h, igmpVersion: 3 as const, ...(mld ? { ipv6: hostIpv6(i + 1) } : {}) })),
    switch: name,
    // A loaded 2-CPU machine can take more than the default 30 s to start the daemon.
    igmpswitch: { config: igmpswitchConfig(families), echo, readyTimeoutMs: 120_000 },
    linuxBridge: { options: Object.assign({}, BRIDGE_OPTIONS, ...families.map((f) => f.bridgeOptions)), ipv6: mld },
  });
  try {
    const agent = new Map<string, PktAgent>();
    const t = Date.now();
    await Promise.all(HOSTS.map(async (h) => {
      agent.set(h, await PktAgent.start(lab.host(h), AGENT_READY_MS));
    }));
    if (process.env['DIFF_TIMING']) console.log(`${name}: lab ${t - t0} ms, agents ${Date.now() - t} ms`);
    if (name === 'igmpswitch') {
      if (families.some((f) => f.name === 'igmp')) await waitSnooping(lab);
      if (mld) {
        await waitUntil('MLD snooping to filter (show querier: mld.snoopingActive)', async () => (await querier(lab)).mld?.snoopingActive,
          30_000, 100);
      }
    }
    const rig = { name, lab, agent };
    await waitFiltering(rig, families);
    return rig;
  } catch (e) {
    await lab.destroy();
    throw e;
  }
}

/**
 * Until unregistered multicast of every family no longer reaches a host. The bridge floods everything while no
 * querier "exists" (br_multicast_querier_exists): after `ip link add … mcast_querier 1` that is the default Query
 * Response Interval, 10 s, whatever mcast_query_response_interval the same command sets (seen on 6.18: both IPv4
 * and IPv6 flooded for 10 s), which a first round measured on a fast machine fell into.
 */
async function waitFiltering(r: Rig, families: readonly DiffFamily[]): Promise<void> {
  const [from, to] = [r.agent.get(SENDERS[0])!, r.agent.get(RECEIVERS[0])!];
  for (const f of families) {
    await waitUntil(`${r.name} to filter unregistered ${f.protocol} multicast (${f.unregistered})`, async () => {
      const mark = await to.mark();
      await from.app({ op: 'udp-send', groups: [f.unregistered], count: 1, port: PROBE_PORT }, f.socketFamily);
      await sleep(200);
      return (await to.count({ since: mark, out: false, proto: 17, info: PROBE_PORT })) === 0;
    }, 30_000, 0);
  }
}

async function stopRig(r: Rig): Promise<void> {
  await Promise.allSettled([...r.agent.values()].map((a) => a.stop()));
  await r.lab.destroy();
}

/** A script step of one family. */
interface FamilyStep {
  family: DiffFamily;
  step: Step;
}

async function applyStep(r: Rig, { family: f, step: s }: FamilyStep): Promise<void> {
  const a = r.agent.get(s.host)!;
  // Each family's script numbers its own sockets; one agent holds both families' sockets.
  const sock = s.kind === 'version' ? '' : `${f.name}-${s.sock}`;
  switch (s.kind) {
    case 'version': return f.setVersion(r.lab.host(s.host), s.version);
    case 'open': return a.app({ op: 'sock-open', sock }, f.socketFamily);
    case 'close': return a.app({ op: 'sock-close', sock }, f.socketFamily);
    case 'call': return a.app({ op: 'sock-call', sock, opt: s.call, group: s.group, source: s.source ?? null }, f.socketFamily);
  }
}

/** Steps of different hosts run concurrently, each host's in order. */
async function applySteps(r: Rig, steps: readonly FamilyStep[]): Promise<void> {
  const byHost = new Map<string, FamilyStep[]>();
  for (const s of steps) byHost.set(s.step.host, [...(byHost.get(s.step.host) ?? []), s]);
  await Promise.all([...byHost.values()].map(async (list) => {
    for (const s of list) await applyStep(r, s);
  }));
}

// ------------------------------------------------------------------------------------------------ the model

/**
 * The answer for one family: one RFC 3376 router model per group (ports = receivers), fed with what each receiver's
 * kernel announces (state-change records, IGMPv2 reports and leaves or MLDv1 reports and Dones, and answers to the
 * querier's General Queries every Query Interval), on the harness's clock.
 */
class Answer {
  private readonly models = new Map<string, Model>();
  /** Sockets' filters per receiver and group, and each receiver's version (what its kernel knows). */
  readonly sockets = new Map<string, Map<number, { group: string; filter: Filter | null }>>();
  readonly version = new Map<string, number>();
  private readonly t0 = Date.now();
  private lastQuery = 0;

  constructor(readonly family: DiffFamily) {
    for (const g of family.groups) {
      this.models.set(g, new Model(true, { gmi: GMI_MS, lmqt: LMQT_MS, ohpi: OHPI_MS }));
    }
    for (const h of RECEIVERS) {
      this.sockets.set(h, new Map());
      this.version.set(h, family.versions.current);
    }
  }

  /** Does host run the older version (IGMPv2, MLDv1)? */
  older(host: string): boolean {
    return this.version.get(host) === this.family.versions.older;
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
          if (this.older(h)) {
            // RFC 3810 §8.3.2 / RFC 3376 §7.3.2: the model's IGMPv2 compatibility mode for MLDv1 as well.
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
    if (this.older(s.host)) {
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
    const src = [...p.src].map(([s, t]) => `${t === 0 ? '!' : ''}${shortAddress(s)}`).join(',');
    return `${p.mode === 'include' ? 'IN' : 'EX'}{${src}} ${this.family.versionName(this.family.modelVersion(m.compat(p)))}`;
  }
}

// ------------------------------------------------------------------------------------------------ one run

export type CellClass =
  | 'igmpswitch disagrees with the RFC'
  | 'bridge deviates from RFC: floods IGMPv3/MLDv2 reports and IGMPv2 leaves/MLDv1 Dones'
  | 'bridge deviates from RFC: EXCLUDE (*,G) port missing from an (S,G) entry'
  | 'bridge deviates from RFC: keeps S blocked after an IGMPv2/MLDv1 rejoin'
  | 'bridge deviates from RFC: no per-group IGMPv2/MLDv1 compatibility mode'
  | 'bridge: unexplained';

const REPORT_FLOOD: CellClass = 'bridge deviates from RFC: floods IGMPv3/MLDv2 reports and IGMPv2 leaves/MLDv1 Dones';

export interface Disagreement {
  family: FamilyName;
  seed: number;
  round: number;
  switch: SwitchName;
  host: string;
  /** "(S, G)" for data; "IGMP reports …" / "MLD reports …" for membership messages other hosts sent. */
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
  /** The families that run side by side (default both). */
  families?: readonly FamilyName[];
  /** Wait after a round's socket calls before sending (ms); see docs/differential.md "Convergence". */
  settleMs?: number;
  /** Datagrams per (source, group) per round. */
  perFlow?: number;
  log?: (line: string) => void;
  echo?: NodeJS.WritableStream | null;
}

export interface DiffSummary {
  seeds: number[];
  families: FamilyName[];
  rounds: number;
  /** Cells checked per switch (all families). */
  cells: Record<string, number>;
  /** Cells checked per switch and family: familyCells[switch][family]. */
  familyCells: Record<string, Partial<Record<FamilyName, number>>>;
  disagreements: Disagreement[];
  /** Disagreements per "family class" ("mld bridge deviates from RFC: …"). */
  byClass: Record<string, number>;
}

export async function runDifferential(o: DiffOptions): Promise<DiffSummary> {
  const switches = o.switches ?? ['igmpswitch', 'linux-bridge'];
  const families = (o.families ?? FAMILY_NAMES).map((f) => FAMILIES[f]);
  const settleMs = o.settleMs ?? 4_000;
  const perFlow = o.perFlow ?? 4;
  const t0 = Date.now();
  const log0 = o.log ?? (() => undefined);
  const timing = !!process.env['DIFF_TIMING'];
  const log = (l: string) => log0(timing ? `${((Date.now() - t0) / 1000).toFixed(1)}s ${l}` : l);
  /** Progress lines, with DIFF_TIMING only. */
  const progress = (l: string) => timing && log(l);
  const rigs: Rig[] = [];
  const summary: DiffSummary = {
    seeds: [...o.seeds], families: families.map((f) => f.name), rounds: 0, cells: {}, familyCells: {}, disagreements: [], byClass: {},
  };
  try {
    const started = await Promise.allSettled(switches.map((s) => startRig(s, families, o.echo ?? null)));
    for (const s of started) if (s.status === 'fulfilled') rigs.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    progress('labs ready');
    const any = rigs[0]!.lab;
    // Per family: every host's address (the same in both labs), the senders' sources, the answer.
    const runs = families.map((family) => {
      const addr = new Map(HOSTS.map((h) => [h, family.address(any.host(h))]));
      return {
        family, addr,
        senderOf: (src: string) => HOSTS.find((h) => addr.get(h) === src) ?? '',
        sources: SENDERS.map((s) => addr.get(s)!),
        answer: new Answer(family),
      };
    });
    for (const r of rigs) {
      summary.cells[r.name] = 0;
      summary.familyCells[r.name] = Object.fromEntries(families.map((f) => [f.name, 0]));
    }
    // The queriers' first queries, and the bridge's querier delay (Max Resp Time after its first query).
    await sleep(TIMERS.queryResponseInterval + 1_000);

    for (const seed of o.seeds) {
      const scripts = runs.map((run) => new Script(seed, {
        receivers: RECEIVERS, groups: run.family.groups, sources: [run.sources[0]!, run.sources[1]!], family: run.family,
      }));
      for (let round = 1; round <= o.rounds; round++) {
        const stepsOf = scripts.map((sc) => sc.round());
        const steps: FamilyStep[] = stepsOf.flatMap((list, i) => list.map((step) => ({ family: runs[i]!.family, step })));
        const marks = await Promise.all(rigs.map(async (r) => new Map(await Promise.all(HOSTS.map(async (h) => [h, await r.agent.get(h)!.mark()] as const)))));
        for (const [i, run] of runs.entries()) for (const s of stepsOf[i]!) run.answer.apply(s);
        await Promise.all(rigs.map((r) => applySteps(r, steps)));
        for (const { family: f, answer } of runs) {
          log(`seed ${seed} round ${round} ${f.protocol}: ${RECEIVERS.map((h) =>
            `${h} ${f.versionName(answer.version.get(h)!)} ${f.groups.map((g) => describeFilter(answer.state(h, g))).join(' ')}`).join(' | ')}`);
        }
        // A host that went to the older version (IGMPv2, MLDv1) holding memberships reports them so only when the
        // next General Query comes (within a Query Interval, answered within the Query Response Interval): wait two
        // Query Intervals more, as a loaded machine delays the answer further.
        const versionWait = steps.some((s) => s.step.kind === 'version' && s.step.holding) ? 2 * TIMERS.queryInterval : 0;
        await sleep(settleMs + versionWait);
        for (const run of runs) run.answer.catchUp();
        progress('measuring');
        const results = await Promise.all(rigs.map((r, i) => measure(r, families, perFlow, marks[i]!)));
        for (const run of runs) run.answer.catchUp();
        progress('checking');
        for (const [i, r] of rigs.entries()) {
          for (const run of runs) {
            const found = await check(r, results[i]!, run.answer, { seed, round, perFlow, ...run });
            summary.cells[r.name]! += found.cells;
            summary.familyCells[r.name]![run.family.name]! += found.cells;
            for (const d of found.disagreements) {
              summary.disagreements.push(d);
              const key = `${d.family} ${d.class}`;
              summary.byClass[key] = (summary.byClass[key] ?? 0) + 1;
              if (d.class !== REPORT_FLOOD) log(formatDisagreement(d));
            }
            // The bridge floods every v3/MLDv2 report to every port: one line per round, not one per port.
            const flooded = found.disagreements.filter((d) => d.class === REPORT_FLOOD);
            if (flooded.length) {
              log(`  [${r.name}] seed ${seed} round ${round}: ${run.family.protocol} reports/leaves of other hosts reached ${flooded.length} ports  → ${REPORT_FLOOD}`);
            }
          }
        }
        summary.rounds++;
      }
      // Between seeds: every receiver lets go of everything and goes back to the current version (not measured).
      const reset = runs.flatMap((run) => resetSteps(run.answer).map((step) => ({ family: run.family, step })));
      for (const s of reset) runs.find((run) => run.family === s.family)!.answer.apply(s.step);
      await Promise.all(rigs.map((r) => applySteps(r, reset)));
      await sleep(settleMs);
    }
  } finally {
    await Promise.allSettled(rigs.map(stopRig));
  }
  return summary;
}

/** Close every receiver's sockets, then set the current version (IGMPv3, MLDv2) where another is in force. */
function resetSteps(answer: Answer): Step[] {
  const steps: Step[] = [];
  const { current } = answer.family.versions;
  for (const [h, socks] of answer.sockets) {
    for (const id of socks.keys()) steps.push({ host: h, kind: 'close', sock: id });
    if (answer.version.get(h) !== current) steps.push({ host: h, kind: 'version', version: current, holding: false });
  }
  return steps;
}

// ------------------------------------------------------------------------------------------------ measuring

interface Measured {
  /** host → "src group" → datagrams received (both families). */
  data: Map<string, Map<string, number>>;
  /** family → host → membership messages sent by other hosts that reached it this round, by "type destination". */
  reports: Map<FamilyName, Map<string, Map<string, number>>>;
}

async function measure(r: Rig, families: readonly DiffFamily[], perFlow: number, roundMarks: Map<string, number>): Promise<Measured> {
  const marks = new Map(await Promise.all(HOSTS.map(async (h) => [h, await r.agent.get(h)!.mark()] as const)));
  await Promise.all(SENDERS.map(async (s) => {
    for (const f of families) {
      await r.agent.get(s)!.app({ op: 'udp-send', groups: f.groups, count: perFlow, port: DATA_PORT, gapMs: 1 }, f.socketFamily);
    }
  }));
  await sleep(500);
  const out: Measured = { data: new Map(), reports: new Map(families.map((f) => [f.name, new Map()])) };
  for (const h of HOSTS) {
    const a = r.agent.get(h)!;
    const ev = await a.select({ since: marks.get(h)!, out: false, proto: 17, info: DATA_PORT });
    const m = new Map<string, number>();
    for (const e of ev) m.set(`${e.src} ${e.dst}`, (m.get(`${e.src} ${e.dst}`) ?? 0) + 1);
    out.data.set(h, m);
    for (const f of families) {
      const own = f.address(r.lab.host(h));
      const msgs = await a.select({ since: roundMarks.get(h)!, out: false, proto: f.reports.proto });
      const rep = new Map<string, number>();
      for (const e of msgs) {
        if (e.src === own || !f.reports.types.has(e.info)) continue;
        const k = `${f.reports.label(e.info)} to ${e.dst}`;
        rep.set(k, (rep.get(k) ?? 0) + 1);
      }
      out.reports.get(f.name)!.set(h, rep);
    }
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
  family: DiffFamily;
  senderOf: (src: string) => string;
  sources: string[];
}

async function check(r: Rig, m: Measured, answer: Answer, c: CheckContext): Promise<{ cells: number; disagreements: Disagreement[] }> {
  const f = c.family;
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
    for (const g of f.groups) {
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
          family: f.name, seed: c.seed, round: c.round, switch: r.name, host: h, cell: `(${s}, ${g})`,
          expected: want ? 'forwarded' : 'not forwarded', got: `${n}/${c.perFlow}`,
          hostState: isReceiver ? `${f.versionName(answer.version.get(h)!)} ${describeFilter(answer.state(h, g))}` : 'sender',
          modelState: isReceiver ? answer.describe(h, g) : 'none',
          switchState: await stateOf(g, port), class: cls,
        });
      }
    }
    // RFC 4541 §2.1.1(1) (§3 for MLD): membership reports go to router ports only; no host here is a router.
    cells++;
    const rep = m.reports.get(f.name)!.get(h)!;
    if (rep.size > 0) {
      // v3/MLDv2 reports and leaves/Dones are not addressed to the group: the bridge floods them (see CellClass).
      const notToGroup = [...rep.keys()].every((k) => f.reportDestinations.some((d) => k.endsWith(` to ${d}`)));
      out.push({
        family: f.name, seed: c.seed, round: c.round, switch: r.name, host: h, cell: `${f.protocol} reports of other hosts`,
        expected: 'none', got: [...rep].map(([k, n]) => `${n} × ${k}`).join(', '),
        hostState: '', modelState: 'not a router port', switchState: '',
        class: r.name === 'igmpswitch' ? 'igmpswitch disagrees with the RFC' : notToGroup ? REPORT_FLOOD : 'bridge: unexplained',
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
  // The model's compatibility mode 2 is IGMPv2 or MLDv1 (family.ts).
  if (x.want && p && model.compat(p) === 2 && x.answer.older(x.host) && mine && blocked(mine)) {
    return 'bridge deviates from RFC: keeps S blocked after an IGMPv2/MLDv1 rejoin';
  }
  if (x.want && star?.filter_mode === 'exclude' && !mine && sg.length > 0) {
    return 'bridge deviates from RFC: EXCLUDE (*,G) port missing from an (S,G) entry';
  }
  if (p && model.compat(p) === 2 && (star?.filter_mode === 'include' || blocked(mine))) {
    return 'bridge deviates from RFC: no per-group IGMPv2/MLDv1 compatibility mode';
  }
  return 'bridge: unexplained';
}

export function formatDisagreement(d: Disagreement): string {
  return `  [${d.switch} ${d.family}] seed ${d.seed} round ${d.round} ${d.host} ${d.cell}: expected ${d.expected}, got ${d.got}` +
    (d.hostState ? `; host ${d.hostState}, model ${d.modelState}` : '') +
    (d.switchState ? `; switch: ${d.switchState}` : '') + `  → ${d.class}`;
}

export function formatSummary(s: DiffSummary): string {
  const lines = [
    `seeds ${s.seeds.join(',')}, families ${s.families.join(', ')}: ${s.rounds} rounds; cells checked: ` +
      Object.entries(s.cells).map(([k, v]) =>
        `${k} ${v} (${Object.entries(s.familyCells[k] ?? {}).map(([f, n]) => `${f} ${n}`).join(', ')})`).join(', '),
    `disagreements: ${s.disagreements.length}${s.disagreements.length ? '' : ' (none)'}`,
    ...Object.entries(s.byClass).sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(5)}  ${k}`),
  ];
  return lines.join('\n');
}

/** Disagreements that fail the run: every igmpswitch one, and the bridge's unexplained ones. */
export function failures(s: DiffSummary): Disagreement[] {
  return s.disagreements.filter((d) => d.class === 'igmpswitch disagrees with the RFC' || d.class === 'bridge: unexplained');
}
