// The snooping engine: the face of src/snooping. Written once for both address families: `family` (family.ts)
// supplies the IGMP or MLD codec, the address rules, the election order, the querier source and the names; the
// daemon runs one engine per family behind DualStackSnooping (dual-stack.ts). RFC 3810 §7.4 is RFC 3376 §6.4 with
// other names, so the sections quoted below hold for MLD as well.
//
// RFC rules implemented (details and section quotes in README.md and beside the code):
//   RFC 3376 §4.1.1/§4.1.7 float codes, §4.1.6/§4.1.7 QRV/QQI adoption, §4.2.12 unknown records ignored,
//   §6.2–§6.3 group/source timers, §6.4.1 and §6.4.2 every row, §6.5 EXCLUDE→INCLUDE on group timer
//   expiry, §6.6.1 lowering on S-clear queries, §6.6.2 election (lowest IP), §6.6.3.1 Q(G) and
//   §6.6.3.2 Q(G,S) with LMQC retransmissions and S-flag split, §7.1 version by length, §7.3.2 older
//   host compatibility, §8 timers; RFC 2236 §2/§3/§4; RFC 4541 §2.1.1/§2.1.2(1)(2)(3)(7); RFC 4286 MRD
//   §3/§4/§5; RFC 7761 §4.9.2 PIM Hello; RFC 2113 Router Alert.
// Deliberate deviations from Linux / OVS, with reasons, are numbered in README.md; the main ones:
//   0.0.0.0 never wins the election; per port-group §7.3.2 compat timers (Linux has none); sources
//   always honoured; MRD interval/Termination honoured and a Solicitation sent; limits refuse and
//   never disable snooping; one router-port set for all VLANs; startup flood window after first query;
//   adopted QRV/QQI clamped to configured bounds; sources in 0/8, 127/8, 224/4, 240/4 never elected.
// (Keep this header and README.md in step.) Organisation follows OVS lib/mcast-snooping.c:
//   timers.ts      timer values (RFC 3376 §8 names) and the deadline queue
//   membership.ts  per (VLAN, G, port) group records and the RFC 3376 §6.4 tables, expiry (§6.3, §6.5)
//   compat.ts      §7.3.2 Older Version Host Present timers and message translation
//   hosts.ts       explicit host tracking (every port; fast-leave ports act on it)
//   routers.ts     router ports (queries of the elected querier, PIM Hello, MRD, static, never)
//   querier.ts     own querier, election (RFC 2236 §3 / RFC 3376 §6.6.2), Q(G) / Q(G,S) (§6.6.3)
//   forwarding.ts  membership → exact MDB, emitted as a diff of TableCommands
//   policy.ts      unregistered / no-querier / startup flood, per-port flags
//   limits.ts      group and source limits, rate limit
//   stats.ts       counters by message type/version and by refusal reason
//
// Contract: the engine never reads a clock or Math.random; `now` (ms, monotonic) and `random` are
// given. Each entry point (receive, tick, reconfigure, restore) is one step: it first runs the timers
// that are due, then does its work, then hands all table changes of the step to `tables.apply` in one
// call, and returns the time (absolute ms) of the next deadline (Infinity if none). Call `tick` at
// that time. Queries and solicitations go to `frames.send` as complete Ethernet frames.
// Time never runs backwards inside the engine: a `now` below the last one is treated as the last one.

import type { FrameSink, McastMode, PortMask, TableCommand, TableSink, UnregisteredPolicy } from '../dataplane/commands.js';
import type { WireError } from '../wire/common.js';
import { buildMrdSolicitationFrame, type ControlFrame } from '../wire/control-frame.js';
import { type GroupRecord, isKnownRecordType } from '../wire/igmp.js';
import { compatMode, type CompatMode, noteOlderHost, translateLeave, translateOlderReport, translateRecord, type Translated } from './compat.js';
import type { PortSnoopingConfig, SnoopingConfig } from './config.js';
import { ChurnMap } from './churn-map.js';
import { type AddressFamily, IPV4, type SnoopQuery } from './family.js';
import { bit, desiredEntries, MdbBudget, MdbMirror, type StaticGroupPorts } from './forwarding.js';
import { HostTable } from './hosts.js';
import { GroupLimits, MAX_HOSTS_PER_PORT_GROUP, MAX_SOURCES_PER_PORT_GROUP, RateLimiter } from './limits.js';
import {
  applyRecord, createsState, groupExpired, GroupState, groupKey, lowerGroupTimer, lowerSourceTimers,
  type MembershipContext, PortGroup, SourceRecord, sourceExpired, stopAll, type FilterMode,
} from './membership.js';
import { decidePolicy, type PolicyDecision, policyCommand, portFlagsCommand } from './policy.js';
import { Querier, type TxCounter, VlanQuerier } from './querier.js';
import { RouterLearning, RouterPorts, type RouterVia } from './routers.js';
import { Counters, recordCounter, type RejectReason, type RxCounter } from './stats.js';
import { DeadlineQueue, type EffectiveTimers, Timer, TimerKind } from './timers.js';

// ---------------------------------------------------------------------------------------------
// Public types

export interface SnoopingEngineOptions {
  config: SnoopingConfig;
  ports: readonly PortSnoopingConfig[];
  tables: TableSink;
  frames: FrameSink;
  /** Uniform in [0, 1); used only for the start-up MRD solicitation delay. */
  random: () => number;
  log?: (event: SnoopingEvent) => void;
  /** Ethernet source of frames we originate. */
  querierMac: string;
  /** IGMP snooping (IPV4, the default) or MLD snooping (IPV6): see family.ts. */
  family?: AddressFamily;
  /** The data plane's MDB budget when another engine installs into the same table (dual-stack.ts); default: own. */
  mdbBudget?: MdbBudget;
}

export type LeaveReason = 'expired' | 'fast-leave' | 'port-removed' | 'disabled';

/** Structured state changes for the log. Never one per packet. */
export type SnoopingEvent =
  | { type: 'join'; vlan: number; group: string; port: number; portName: string }
  | { type: 'leave'; vlan: number; group: string; port: number; portName: string; reason: LeaveReason }
  | { type: 'compat'; vlan: number; group: string; port: number; portName: string; version: CompatMode }
  | { type: 'router-port'; port: number; portName: string; state: 'added' | 'removed' }
  | { type: 'querier-elected'; vlan: number; address: string; port: number; portName: string }
  | { type: 'querier-lost'; vlan: number; address: string }
  /** The elected querier's QRV/QQI (as sent) and what we adopted; `bounded`: clamped to the adoption bounds. */
  | { type: 'querier-timers'; vlan: number; address: string; qrv: number; qqiSec: number; robustness: number; queryIntervalMs: number; bounded: boolean }
  | { type: 'own-querier'; vlan: number; role: 'querier' | 'non-querier' | 'off'; address: string }
  | { type: 'policy'; mode: McastMode; unregistered: UnregisteredPolicy; reason: PolicyDecision['reason'] }
  | { type: 'limit'; scope: 'port' | 'global'; port: number; portName: string; limit: number }
  /** The MDB budget (`capacity` entries) refused entries ('full'), or every pending entry got installed ('recovered'). */
  | { type: 'mdb-full'; capacity: number; state: 'full' | 'recovered' };

export interface PortGroupView {
  port: number;
  portName: string;
  mode: FilterMode;
  /** IGMP compatibility mode of this port-group (RFC 3376 §7.3.2). */
  compat: CompatMode;
  /** Group timer remaining (EXCLUDE mode), else 0. */
  groupTimerMs: number;
  /** Sources; `timerMs` 0 and `forwarding` false = excluded (Y). */
  sources: Array<{ address: string; timerMs: number; forwarding: boolean }>;
  /** Hosts heard reporting the group on this port (at most MAX_HOSTS_PER_PORT_GROUP), sorted. */
  hosts: string[];
}

export interface GroupView {
  vlan: number;
  group: string;
  ports: PortGroupView[];
  static: Array<{ port: number; portName: string; source: string | null }>;
}

export interface RouterView {
  port: number;
  portName: string;
  static: boolean;
  learned: Array<{ via: RouterVia; vlan: number; address: string; expiresInMs: number }>;
}

export interface QuerierView {
  /** IP version of the engine (4: IGMP, 6: MLD). */
  family: 4 | 6;
  vlan: number;
  role: 'querier' | 'non-querier' | 'off';
  own: { enabled: boolean; address: string; version: 2 | 3; nextQueryInMs: number | null; startupLeft: number };
  other: { address: string; port: number; portName: string; version: 1 | 2 | 3; expiresInMs: number; qrv: number; qqiSec: number } | null;
  proxyPresent: boolean;
  timers: EffectiveTimers;
}

export interface StatsView {
  rx: Record<RxCounter, number>;
  tx: Record<TxCounter, number>;
  rejects: Record<RejectReason, number>;
  decodeErrors: Record<string, number>;
  groups: number;
  memberships: number;
  mdbEntries: number;
  /** (VLAN, G) whose entries are not all installed because the MDB is full; retried as entries free up. */
  mdbPendingGroups: number;
  routerPorts: number;
  policy: { mode: McastMode; unregistered: UnregisteredPolicy; reason: PolicyDecision['reason'] } | null;
}

/** Persistent membership state (plain JSON). Times are remaining milliseconds at `takenAt`. */
export interface SnoopingSnapshot {
  version: 1;
  takenAt: number;
  vlans: number[];
  groups: Array<{
    vlan: number;
    group: string;
    port: number;
    portName: string;
    mode: FilterMode;
    groupTimerMs: number;
    v1HostMs: number;
    v2HostMs: number;
    /** [address, remaining ms]; 0 = stopped (excluded). */
    sources: Array<[string, number]>;
    /** [host, mode, sources, ms since last heard]. */
    hosts: Array<[string, FilterMode, string[], number]>;
    /** Remaining ms until the host table has heard every host (hosts.ts); absent or 0 = complete. */
    hostsIncompleteMs?: number;
  }>;
  routers: Array<{ port: number; portName: string; via: RouterVia; vlan: number; address: string; remainingMs: number }>;
  /** The elected querier per VLAN (absent in older files): what "a querier exists" and the adopted timers rest on. */
  queriers?: Array<{ vlan: number; address: string; port: number; portName: string; version: 1 | 2 | 3; qrv: number; qqiSec: number; maxRespMs: number; remainingMs: number }>;
}

export interface RestoreOptions {
  /**
   * How long the switch was down before this restore (the daemon's state file says). A restored state
   * younger than the Group Membership Interval is fresh: the memberships it lists are still current, so
   * the engine forwards by them at once, without the start-up flood window (a warm restart). Absent, or
   * not shorter than the GMI: a cold start.
   */
  downtimeMs?: number;
}

// ---------------------------------------------------------------------------------------------

export class SnoopingEngine {
  private config: SnoopingConfig;
  private readonly portCfg = new Map<number, PortSnoopingConfig>();
  private readonly tables: TableSink;
  private readonly frames: FrameSink;
  private readonly random: () => number;
  private readonly logFn: (event: SnoopingEvent) => void;
  private readonly querierMac: string;
  /** The address family this engine snoops (codec, address rules, querier source, names). */
  readonly family: AddressFamily;

  private readonly queue = new DeadlineQueue();
  private readonly groups_ = new ChurnMap<string, GroupState>();
  private readonly mdb: MdbMirror;
  /** An MDB-full condition was logged and has not recovered yet. */
  private mdbFullLogged = false;
  private statics = new Map<string, { vlan: number; group: string; ports: StaticGroupPorts }>();
  private readonly dirty = new Set<string>();
  private readonly routerPorts: RouterPorts;
  private readonly querier_: Querier;
  private readonly limits = new GroupLimits();
  private readonly rate = new RateLimiter();
  private readonly counters = new Counters();
  private pending: TableCommand[] = [];
  private deferred: Array<() => void> = [];

  private now = 0;
  private started = false;
  private startedAt = 0;
  /** End of the first General Query round on every queried VLAN (latched once known), or null. */
  private firstRoundsEnd: number | null = null;
  /** Restored from a fresh state: no start-up flood window (RestoreOptions.downtimeMs). */
  private warmStart = false;
  private policy: PolicyDecision | null = null;
  private routerMask: bigint | null = null;
  private routerVersion = -1;
  private routerEnabled = false;
  private portFlags: string | null = null;
  private portFlagsDirty = true;
  private readonly policyTimer: Timer;
  private readonly solicitTimer: Timer;
  private readonly mctx: MembershipContext & { now: number; gmiMs: number };

  constructor(opts: SnoopingEngineOptions) {
    this.config = opts.config;
    for (const p of opts.ports) this.portCfg.set(p.index, p);
    this.tables = opts.tables;
    this.frames = opts.frames;
    this.random = opts.random;
    this.logFn = opts.log ?? (() => {});
    this.querierMac = opts.querierMac;
    this.family = opts.family ?? IPV4;
    this.routerPorts = new RouterPorts(this.queue);
    this.mdb = new MdbMirror(opts.mdbBudget ?? new MdbBudget(opts.config.mdbCapacity));
    this.querier_ = new Querier({
      family: this.family,
      queue: this.queue,
      querierMac: this.querierMac,
      config: () => this.config,
      now: () => this.now,
      allPorts: () => this.allPortsMask(),
      send: (ports, frame, counter) => this.sendFrame(ports, frame, counter),
      roleChanged: (vlan, role) => this.logFn({ type: 'own-querier', vlan, role, address: this.config.querier.address }),
      otherElected: (vlan, address, port) => this.logFn({ type: 'querier-elected', vlan, address, port, portName: this.portName(port) }),
      otherLost: (vlan, address) => this.logFn({ type: 'querier-lost', vlan, address }),
      adopted: (vlan, address, qrv, qqiSec, robustness, queryIntervalMs, bounded) =>
        this.logFn({ type: 'querier-timers', vlan, address, qrv, qqiSec, robustness, queryIntervalMs, bounded }),
    });
    // Timers owned by the engine itself.
    this.policyTimer = new Timer(TimerKind.Policy, this);
    this.solicitTimer = new Timer(TimerKind.Solicit, this);
    this.mctx = {
      now: 0,
      gmiMs: 0,
      queue: this.queue,
      sendGroupQuery: (pg) => this.actionSendGroupQuery(pg),
      sendGroupSourceQuery: (pg, sources) => this.actionSendGroupSourceQuery(pg, sources),
      changed: (pg) => { this.dirty.add(pg.group.key); },
      admitSource: (pg) => {
        if (pg.sources.size < MAX_SOURCES_PER_PORT_GROUP) return true;
        this.reject('source-limit');
        return false;
      },
    };
  }

  // ---- entry points ----------------------------------------------------------------------

  /** Learn from one decoded control frame received on `port` in `vlan` (0 = untagged). */
  receive(msg: ControlFrame, port: number, vlan: number, now: number): number {
    this.enter(now);
    this.countRx(msg);
    const pc = this.portCfg.get(port);
    if (pc === undefined) this.reject('unknown-port');
    else if (!Number.isInteger(vlan) || vlan < 0 || vlan > 4095) this.reject('bad-vlan');
    else if (!this.config.enabled) this.reject('disabled');
    else this.dispatch(msg, pc, vlan);
    return this.leave();
  }

  /** Run what is due at `now`; returns the next deadline (absolute ms, Infinity if none). */
  tick(now: number): number {
    this.enter(now);
    return this.leave();
  }

  /** The next deadline without doing anything. */
  nextDeadline(): number {
    return this.queue.next();
  }

  /** Count a frame the daemon could not decode (decodeControlFrame error). */
  noteDecodeError(error: WireError): void {
    this.reject('decode-error');
    const key = `${error.layer}:${error.reason}`;
    this.counters.decodeErrors[key] = (this.counters.decodeErrors[key] ?? 0) + 1;
  }

  /**
   * Apply a new configuration. Learned state of ports that remain (same index) is kept; state of
   * removed ports is dropped. New timer values apply to timers set from now on.
   */
  reconfigure(config: SnoopingConfig, ports: readonly PortSnoopingConfig[], now: number): number {
    this.enter(now);
    const prev = this.config;
    const prevPorts = new Map(this.portCfg);
    this.config = config;
    this.mdb.capacity = config.mdbCapacity;
    this.portCfg.clear();
    for (const p of ports) this.portCfg.set(p.index, p);
    this.portFlagsDirty = true;
    for (const [index, old] of prevPorts) if (!this.portCfg.has(index)) this.dropPort(index, old.name);
    this.configureRouters();
    if (prev.enabled && !config.enabled) this.dropAllMembership('disabled');
    if (config.enabled) this.querier_.vlan(0);
    this.querier_.reconfigure(prev);
    this.loadStatics();
    this.limits.clearBelow((p) => this.portCfg.get(p)?.maxGroups ?? 0, config.maxGroups);
    return this.leave();
  }

  /** Replace the membership state by a snapshot; `now` is the time the snapshot's timers count from. */
  restore(snapshot: SnoopingSnapshot, now: number, opts: RestoreOptions = {}): number {
    this.enter(now);
    if (snapshot?.version !== 1) throw new TypeError('unsupported snapshot version');
    const gmi = this.timers(0).gmiMs;
    if (opts.downtimeMs !== undefined && opts.downtimeMs >= 0 && opts.downtimeMs < gmi) this.warmStart = true;
    for (const g of [...this.groups_.values()]) for (const pg of [...g.ports.values()]) this.deletePortGroup(pg, null);
    const byName = new Map([...this.portCfg.values()].map((p) => [p.name, p] as const));
    const resolve = (index: number, name: string): PortSnoopingConfig | undefined =>
      name ? byName.get(name) : this.portCfg.get(index);
    if (this.config.enabled) {
      for (const v of snapshot.vlans) if (Number.isInteger(v) && v >= 0 && v < 4096) this.querier_.vlan(v);
      for (const e of snapshot.groups) {
        const pc = resolve(e.port, e.portName);
        if (pc === undefined || !this.validGroup(e.group, false)) continue;
        if (!Number.isInteger(e.vlan) || e.vlan < 0 || e.vlan > 4095) continue;
        const pg = this.createPortGroup(e.vlan, e.group, pc, false);
        if (pg === null) continue;
        const at = (ms: number) => this.now + Math.max(0, ms);
        pg.mode = e.mode === 'exclude' ? 'exclude' : 'include';
        if (pg.mode === 'exclude') this.queue.arm(pg.groupTimer, at(e.groupTimerMs));
        if (e.v1HostMs > 0) noteOlderHost(this.queue, pg, 1, this.now, e.v1HostMs);
        if (e.v2HostMs > 0) noteOlderHost(this.queue, pg, 2, this.now, e.v2HostMs);
        pg.loggedCompat = compatMode(pg);
        for (const [address, ms] of e.sources.slice(0, MAX_SOURCES_PER_PORT_GROUP)) {
          if (!this.validSource(address, false)) continue;
          const rec = new SourceRecord(address, pg);
          pg.sources.set(address, rec);
          if (ms > 0 || pg.mode === 'include') this.queue.arm(rec.timer, at(ms));
        }
        if (e.hosts.length > 0) {
          const incompleteMs = e.hostsIncompleteMs ?? 0;
          pg.hosts = new HostTable(MAX_HOSTS_PER_PORT_GROUP, incompleteMs > 0 ? at(incompleteMs) : -Infinity);
          for (const [host, mode, sources, age] of e.hosts.slice(0, MAX_HOSTS_PER_PORT_GROUP)) {
            pg.hosts.hosts.set(host, { mode: mode === 'exclude' ? 'exclude' : 'include', sources: new Set(sources), lastSeen: this.now - Math.max(0, age) });
          }
        }
        if (pg.empty) this.deletePortGroup(pg, null);
      }
      for (const r of snapshot.routers) {
        const pc = resolve(r.port, r.portName);
        if (pc === undefined || pc.router !== 'auto') continue;
        if (this.config.querierGuard && !pc.trusted) continue;
        this.routerPorts.learn(pc.index, r.via, r.vlan, r.address, this.now + Math.max(0, r.remainingMs));
      }
      for (const q of snapshot.queriers ?? []) {
        const pc = resolve(q.port, q.portName);
        if (pc === undefined || !Number.isInteger(q.vlan) || q.vlan < 0 || q.vlan > 4095 || !(q.remainingMs > 0)) continue;
        if (this.config.querierGuard && !pc.trusted) continue;
        const vq = this.querier_.vlan(q.vlan);
        this.querier_.restoreOther(vq, q, pc.index, this.now + q.remainingMs);
      }
    }
    this.runTimers(this.now); // anything that was already due
    return this.leave();
  }

  /** The membership state as plain JSON (times relative to the last `now` seen). */
  snapshot(): SnoopingSnapshot {
    const now = this.now;
    const groups: SnoopingSnapshot['groups'] = [];
    for (const g of this.groups_.values()) {
      for (const pg of g.ports.values()) {
        groups.push({
          vlan: g.vlan, group: g.address, port: pg.port, portName: this.portName(pg.port), mode: pg.mode,
          groupTimerMs: pg.groupTimer.remaining(now),
          v1HostMs: pg.v1Host?.remaining(now) ?? 0,
          v2HostMs: pg.v2Host?.remaining(now) ?? 0,
          sources: [...pg.sources.values()].map((s) => [s.address, s.timer.remaining(now)] as [string, number]),
          hosts: pg.hosts ? [...pg.hosts.hosts].map(([ip, h]) => [ip, h.mode, [...h.sources], now - h.lastSeen] as [string, FilterMode, string[], number]) : [],
          ...(pg.hosts && !pg.hosts.complete(now) ? { hostsIncompleteMs: pg.hosts.completeAt - now } : {}),
        });
      }
    }
    const routers = this.routerPorts.learnings().map((l) => ({
      port: l.port, portName: this.portName(l.port), via: l.via, vlan: l.vlan, address: l.address, remainingMs: l.timer.remaining(now),
    }));
    const queriers: NonNullable<SnoopingSnapshot['queriers']> = [];
    for (const vq of this.querier_.vlans.values()) {
      const o = vq.other;
      if (o === null) continue;
      queriers.push({
        vlan: vq.vlan, address: o.address, port: o.port, portName: this.portName(o.port), version: o.version,
        qrv: o.qrv, qqiSec: o.qqiSec, maxRespMs: o.maxRespMs, remainingMs: vq.otherTimer.remaining(now),
      });
    }
    return { version: 1, takenAt: now, vlans: [...this.querier_.vlans.keys()].sort((a, b) => a - b), groups, routers, queriers };
  }

  // ---- views -------------------------------------------------------------------------------

  groups(): GroupView[] {
    const now = this.now;
    const keys = new Set<string>([...this.groups_.keys(), ...this.statics.keys()]);
    const out: GroupView[] = [];
    for (const key of keys) {
      const g = this.groups_.get(key);
      const st = this.statics.get(key);
      const [vlan, group] = splitKey(key);
      const ports: PortGroupView[] = g === undefined ? [] : [...g.ports.values()].sort((a, b) => a.port - b.port).map((pg) => ({
        port: pg.port,
        portName: this.portName(pg.port),
        mode: pg.mode,
        compat: compatMode(pg),
        groupTimerMs: pg.mode === 'exclude' ? pg.groupTimer.remaining(now) : 0,
        sources: [...pg.sources.values()].map((s) => ({ address: s.address, timerMs: s.timer.remaining(now), forwarding: s.timer.running }))
          .sort((a, b) => this.family.compare(a.address, b.address)),
        hosts: pg.hosts ? pg.hosts.heard(now, this.timers(pg.group.vlan).gmiMs) : [],
      }));
      const stat: GroupView['static'] = [];
      for (const e of this.config.staticGroups) {
        if (groupKey(e.vlan, e.group) === key && this.portCfg.has(e.port)) stat.push({ port: e.port, portName: this.portName(e.port), source: e.source });
      }
      out.push({ vlan, group, ports, static: st ? stat : [] });
    }
    return out.sort((a, b) => a.vlan - b.vlan || this.family.compare(a.group, b.group));
  }

  routers(): RouterView[] {
    const now = this.now;
    const byPort = new Map<number, RouterView>();
    const view = (port: number): RouterView => {
      let v = byPort.get(port);
      if (v === undefined) {
        v = { port, portName: this.portName(port), static: this.routerPorts.isStatic(port), learned: [] };
        byPort.set(port, v);
      }
      return v;
    };
    for (const p of this.portCfg.values()) if (p.router === 'static') view(p.index);
    for (const l of this.routerPorts.learnings()) {
      view(l.port).learned.push({ via: l.via, vlan: l.vlan, address: l.address, expiresInMs: l.timer.remaining(now) });
    }
    return [...byPort.values()].sort((a, b) => a.port - b.port);
  }

  querier(): QuerierView[] {
    const now = this.now;
    const c = this.config;
    return [...this.querier_.vlans.values()].sort((a, b) => a.vlan - b.vlan).map((vq) => ({
      family: this.family.ip,
      vlan: vq.vlan,
      role: vq.role,
      own: {
        enabled: this.querier_.ownEnabled(), address: c.querier.address, version: c.querier.version,
        nextQueryInMs: vq.generalTimer.running ? vq.generalTimer.remaining(now) : null, startupLeft: vq.startupLeft,
      },
      other: vq.other === null ? null : {
        address: vq.other.address, port: vq.other.port, portName: this.portName(vq.other.port), version: vq.other.version,
        expiresInMs: vq.otherTimer.remaining(now), qrv: vq.other.qrv, qqiSec: vq.other.qqiSec,
      },
      proxyPresent: vq.proxyTimer.running,
      timers: { ...vq.timers },
    }));
  }

  stats(): StatsView {
    const c = this.counters;
    return {
      rx: { ...c.rx },
      tx: { ...c.tx },
      rejects: { ...c.rejects },
      decodeErrors: { ...c.decodeErrors },
      groups: this.groups_.size,
      memberships: this.limits.overall,
      mdbEntries: this.mdb.sizes().entries,
      mdbPendingGroups: this.mdb.pendingCount,
      routerPorts: popcount(this.routerPorts.mask()),
      policy: this.policy === null ? null : { mode: this.policy.mode, unregistered: this.policy.unregistered, reason: this.policy.reason },
    };
  }

  // ---- step machinery ------------------------------------------------------------------------

  private enter(now: number): void {
    if (!Number.isFinite(now)) throw new RangeError(`now must be a finite number, got ${now}`);
    if (!this.started) {
      this.started = true;
      this.now = now;
      this.startedAt = now;
      this.start();
    }
    this.runTimers(Math.max(now, this.now));
  }

  private leave(): number {
    this.runTimers(this.now); // timers armed at `now` during this step (a new VLAN's first query)
    const refusedBefore = this.mdb.refusals;
    for (const key of this.dirty) this.syncMdb(key);
    this.dirty.clear();
    // Entries refused for want of space are installed as soon as others are freed, oldest first.
    if (this.mdb.pendingCount > 0 && this.mdb.hasRoom()) {
      for (const key of this.mdb.pendingKeys()) {
        if (!this.mdb.hasRoom()) break;
        this.syncMdb(key);
      }
    }
    this.noteMdbBudget(this.mdb.refusals - refusedBefore);
    this.syncRouterPorts();
    this.syncPolicy();
    this.syncPortFlags();
    if (this.pending.length > 0) {
      const list = this.pending;
      this.pending = [];
      this.tables.apply(list);
    }
    return this.queue.next();
  }

  private syncMdb(key: string): void {
    const [vlan, group] = splitKey(key);
    this.mdb.sync(key, vlan, group, desiredEntries(this.groups_.get(key), this.statics.get(key)?.ports), this.pending);
  }

  /** Count refused entries; log when the MDB first refuses one and when everything is installed again. */
  private noteMdbBudget(refused: number): void {
    this.counters.rejects['mdb-full'] += refused;
    if (refused > 0 && !this.mdbFullLogged) {
      this.mdbFullLogged = true;
      this.logFn({ type: 'mdb-full', capacity: this.mdb.capacity, state: 'full' });
    } else if (this.mdbFullLogged && this.mdb.pendingCount === 0) {
      this.mdbFullLogged = false;
      this.logFn({ type: 'mdb-full', capacity: this.mdb.capacity, state: 'recovered' });
    }
  }

  private start(): void {
    this.pending.push({ op: 'mdbClear' });
    this.configureRouters();
    this.loadStatics();
    if (this.config.enabled) {
      this.querier_.vlan(0);
      // MRD (RFC 4286 §4): a solicitation lets routers announce themselves at once instead of after
      // their next advertisement. Sent once, after a random delay below 1 s so that switches started
      // together do not send in lockstep (our choice; RFC 4286 sets no snooper timing).
      this.queue.arm(this.solicitTimer, this.now + Math.floor(this.random() * 1000));
    }
  }

  private runTimers(now: number): void {
    for (;;) {
      const item = this.queue.popDue(now);
      if (item === null) break;
      this.now = item.at;
      this.fire(item.timer);
    }
    this.now = now;
  }

  private fire(t: Timer): void {
    switch (t.kind) {
      case TimerKind.Source: {
        const rec = t.owner as SourceRecord;
        if (!this.alive(rec.pg)) return;
        this.setCtx(rec.pg);
        if (sourceExpired(this.mctx, rec)) this.deletePortGroup(rec.pg, 'expired');
        return;
      }
      case TimerKind.Group: {
        const pg = t.owner as PortGroup;
        if (!this.alive(pg)) return;
        this.setCtx(pg);
        if (groupExpired(this.mctx, pg)) this.deletePortGroup(pg, 'expired');
        return;
      }
      case TimerKind.Rexmit: {
        const pg = t.owner as PortGroup;
        if (this.alive(pg)) this.querier_.rexmitDue(pg);
        return;
      }
      case TimerKind.V1Host:
      case TimerKind.V2Host: {
        const pg = t.owner as PortGroup;
        if (this.alive(pg)) this.logCompat(pg);
        return;
      }
      case TimerKind.GeneralQuery:
        this.querier_.generalQueryDue(t.owner as VlanQuerier);
        return;
      case TimerKind.OtherQuerier:
        this.querier_.otherExpired(t.owner as VlanQuerier);
        return;
      case TimerKind.ProxyQuerier:
      case TimerKind.Policy:
        return; // the policy is recomputed at the end of the step
      case TimerKind.Router:
        this.routerPorts.forget(t.owner as RouterLearning);
        return;
      case TimerKind.Solicit:
        if (this.config.enabled) {
          const ports = this.allPortsMask();
          if (ports !== 0n) {
            this.sendFrame(ports, buildMrdSolicitationFrame({
              srcMac: this.querierMac, src: this.config.querier.address, vlan: 0, family: this.family.ip,
            }), 'mrd_solicitation');
          }
        }
        return;
    }
  }

  // ---- message dispatch ----------------------------------------------------------------------

  private dispatch(msg: ControlFrame, pc: PortSnoopingConfig, vlan: number): void {
    // Messages of the other IP version belong to the other engine (DualStackSnooping routes them there).
    if (msg.family !== this.family.ip) return this.reject(this.family.ip === 4 ? 'ipv6-not-snooped' : 'ipv4-not-snooped');
    switch (msg.kind) {
      case 'igmp':
      case 'mld': {
        const m = this.family.decode(msg);
        if (m === null) return;
        if (typeof m === 'string') return this.reject(m); // RFC 3810 §5.1.14 / §6.2 policing (family.ts)
        this.querier_.vlan(vlan);
        if (m.type === 'query') return this.onQuery(m.query, msg.src, pc, vlan);
        if (!this.rate.allow(pc.index, this.now, this.config.reportRateLimit)) return this.reject('rate-limit');
        switch (m.type) {
          case 'older-report':
            return this.onOlderReport(m.generation, m.group, msg.src, pc, vlan);
          case 'leave':
            return this.onLeave(m.group, msg.src, pc, vlan);
          case 'records':
            for (const rec of m.records) this.onRecord(rec, msg.src, pc, vlan);
            return;
        }
        return;
      }
      case 'pim':
        if (msg.message.type !== 'hello') return;
        this.querier_.vlan(vlan);
        // RFC 7761 §4.3.1: a Hello with Holdtime 0 means the neighbor is going away.
        if (msg.message.holdtimeSec === 0) return this.withdrawRouter(pc, 'pim', vlan, msg.src);
        return this.learnRouter(pc, 'pim', vlan, msg.src, this.timers(vlan).routerTimeoutMs);
      case 'mrd': {
        const m = msg.message;
        this.querier_.vlan(vlan);
        if (m.type === 'advertisement') {
          // RFC 4286 §3.1.5: NeighborDeadInterval = 3 × AdvertisementInterval.
          const dead = m.advIntervalSec > 0 ? 3 * m.advIntervalSec * 1000 : this.timers(vlan).routerTimeoutMs;
          return this.learnRouter(pc, 'mrd', vlan, msg.src, dead);
        }
        if (m.type === 'termination') return this.withdrawRouter(pc, 'mrd', vlan, msg.src);
        return; // solicitations are for routers
      }
    }
  }

  private onQuery(q: SnoopQuery, src: string, pc: PortSnoopingConfig, vlan: number): void {
    // Querier guard: only trusted ports may take part in the election or become router ports.
    if (this.config.querierGuard && !pc.trusted) return this.reject('untrusted');
    const vq = this.querier_.vlan(vlan);
    const verdict = this.querier_.onQuery(vq, q, src, pc.index);
    if (verdict === 'proxy') return;
    if (verdict === 'invalid-source') return this.reject('invalid-querier');
    if (verdict === 'not-elected') return this.reject('not-elected');
    const t = vq.timers;
    if (pc.router === 'never') this.reject('router-never');
    else this.routerPorts.learn(pc.index, 'query', vlan, src, this.now + t.routerTimeoutMs);
    // RFC 3376 §6.6.1: queries with the S flag clear lower our timers; "When a router sends or receives
    // a query with the Suppress Router-Side Processing flag set, it will not update its timers."
    // LMQT here is LMQC × the query's Max Resp Time (RFC 2236 §3 non-querier rule; the querier's Max
    // Resp Time in a group-specific query is its LMQI, RFC 3376 §8.8).
    if (q.suppress || q.group === this.family.unspecified) return;
    const g = this.groups_.get(groupKey(vlan, q.group));
    if (g === undefined) return;
    const lmqt = t.lmqc * (q.maxRespMs > 0 ? q.maxRespMs : t.lmqiMs);
    const ctx = { now: this.now, queue: this.queue };
    for (const pg of g.ports.values()) {
      if (q.sources.length === 0) lowerGroupTimer(ctx, pg, lmqt);           // Q(G): group timer → LMQT
      else lowerSourceTimers(ctx, pg, q.sources, lmqt);                      // Q(G,A): source timers → LMQT
    }
  }

  /** IGMPv1/v2 Membership Report ≡ IS_EX({}) (RFC 3376 §7.3.2), and (re)starts the Host Present timer. */
  private onOlderReport(version: 1 | 2, group: string, host: string, pc: PortSnoopingConfig, vlan: number): void {
    if (!this.validGroup(group, true)) return;
    const t = translateOlderReport();
    const pg = this.findPortGroup(vlan, group, pc.index) ?? this.createPortGroup(vlan, group, pc);
    if (pg === null) return;
    noteOlderHost(this.queue, pg, version, this.now, this.timers(vlan).olderHostPresentMs);
    this.logCompat(pg);
    this.apply(pg, pc, host, t);
  }

  /** IGMPv2 Leave ≡ TO_IN({}), ignored in IGMPv1 compatibility mode (RFC 3376 §7.3.2). */
  private onLeave(group: string, host: string, pc: PortSnoopingConfig, vlan: number): void {
    if (!this.validGroup(group, true)) return;
    const pg = this.findPortGroup(vlan, group, pc.index);
    if (pg === undefined) return; // INCLUDE({}) + TO_IN({}) = INCLUDE({}): nothing to do
    const t = translateLeave(compatMode(pg));
    if (t === null) return this.reject('compat-ignored');
    this.apply(pg, pc, host, t);
  }

  private onRecord(rec: GroupRecord, host: string, pc: PortSnoopingConfig, vlan: number): void {
    this.counters.rx[recordCounter(rec.recordType)]++;
    // RFC 3376 §4.2.12: records of unknown type are ignored.
    if (!isKnownRecordType(rec.recordType)) return this.reject('unknown-record');
    if (!this.validGroup(rec.group, true)) return;
    const sources = new Set<string>();
    for (const s of rec.sources) if (this.validSource(s, true)) sources.add(s);
    const existing = this.findPortGroup(vlan, rec.group, pc.index);
    const t = translateRecord(compatMode(existing), rec.recordType, sources);
    if (t === null) return this.reject('compat-ignored');
    let pg: PortGroup | null | undefined = existing;
    if (pg === undefined) {
      if (!createsState(t.recordType, t.sources)) return;
      pg = this.createPortGroup(vlan, rec.group, pc);
      if (pg === null) return;
    }
    this.apply(pg, pc, host, t);
  }

  /** Apply a translated record to `pg`, with host tracking. */
  private apply(pg: PortGroup, pc: PortSnoopingConfig, host: string, t: Translated): void {
    // Every port tracks its reporting hosts (show groups HOSTS); only fast-leave ports act on them (leave early).
    // A table created over existing members has not heard them yet (hosts.ts): incomplete for a GMI.
    pg.hosts ??= new HostTable(MAX_HOSTS_PER_PORT_GROUP, pg.empty ? -Infinity : this.now + this.timers(pg.group.vlan).gmiMs);
    if (!pg.hosts.apply(host, t.recordType, t.sources, this.now) && pc.fastLeave) this.reject('host-limit');
    this.setCtx(pg);
    applyRecord(this.mctx, pg, t.recordType, t.sources);
    if (this.deferred.length > 0) {
      const actions = this.deferred;
      this.deferred = [];
      for (const a of actions) a();
    }
    if (this.alive(pg) && pg.empty) this.deletePortGroup(pg, 'expired');
  }

  // ---- table actions "Send Q(G)" / "Send Q(G,X)" ----------------------------------------------

  /**
   * What "Send Q(G)" means depends on who queries this port:
   *   fast-leave port whose host table has heard every host: no query; if no tracked host still wants
   *     EXCLUDE mode, the group timer expires now (§6.5 transition), else nothing;
   *   (a fast-leave port whose host table is still incomplete is handled like any other port:)
   *   we are the querier: §6.6.3.1 (lower the group timer to LMQT, send LMQC queries LMQI apart);
   *   another querier is present: nothing — its Q(G) arrives and lowers our timer (§6.6.1);
   *   no querier at all: lower the group timer to LMQT as if the query had been sent (Linux does too).
   */
  private actionSendGroupQuery(pg: PortGroup): void {
    const pc = this.portCfg.get(pg.port);
    const vlan = pg.group.vlan;
    if (pc?.fastLeave && pg.hosts?.complete(this.now)) {
      this.deferred.push(() => {
        if (!this.alive(pg) || pg.mode !== 'exclude' || pg.hosts === null) return;
        if (this.hostsWantExclude(pg)) return;
        this.setCtx(pg);
        if (groupExpired(this.mctx, pg)) this.deletePortGroup(pg, 'fast-leave');
      });
      return;
    }
    if (this.querier_.isQuerier(vlan)) this.querier_.groupQuery(pg);
    else if (!this.querier_.otherPresent(vlan)) lowerGroupTimer(this.mctx, pg, this.timers(vlan).lmqtMs);
  }

  /** "Send Q(G,X)", with the same four cases as above, per source. */
  private actionSendGroupSourceQuery(pg: PortGroup, sources: string[]): void {
    if (sources.length === 0) return;
    const pc = this.portCfg.get(pg.port);
    const vlan = pg.group.vlan;
    if (pc?.fastLeave && pg.hosts?.complete(this.now)) {
      this.deferred.push(() => {
        if (!this.alive(pg) || pg.hosts === null) return;
        const gmi = this.timers(vlan).gmiMs;
        for (const s of sources) {
          const rec = pg.sources.get(s);
          if (rec === undefined || !rec.timer.running || pg.hosts.wantsSource(s, this.now, gmi)) continue;
          this.queue.stop(rec.timer);
          this.setCtx(pg);
          if (sourceExpired(this.mctx, rec)) { this.deletePortGroup(pg, 'fast-leave'); return; }
        }
      });
      return;
    }
    if (this.querier_.isQuerier(vlan)) this.querier_.sourceQuery(pg, sources);
    else if (!this.querier_.otherPresent(vlan)) lowerSourceTimers(this.mctx, pg, sources, this.timers(vlan).lmqtMs);
  }

  private hostsWantExclude(pg: PortGroup): boolean {
    const hosts = pg.hosts!;
    hosts.prune(this.now, this.timers(pg.group.vlan).gmiMs);
    if (hosts.overflow || !hosts.complete(this.now)) return true;
    for (const h of hosts.hosts.values()) if (h.mode === 'exclude') return true;
    return false;
  }

  // ---- port-group lifecycle ----------------------------------------------------------------

  private findPortGroup(vlan: number, group: string, port: number): PortGroup | undefined {
    return this.groups_.get(groupKey(vlan, group))?.ports.get(port);
  }

  private createPortGroup(vlan: number, group: string, pc: PortSnoopingConfig, log = true): PortGroup | null {
    const verdict = this.limits.check(pc.index, pc.maxGroups, this.config.maxGroups);
    if (verdict !== 'ok') {
      this.reject(verdict);
      const global = verdict === 'global-limit';
      if (this.limits.firstRefusal(global ? -1 : pc.index)) {
        this.logFn({ type: 'limit', scope: global ? 'global' : 'port', port: pc.index, portName: pc.name, limit: global ? this.config.maxGroups : pc.maxGroups });
      }
      return null;
    }
    const key = groupKey(vlan, group);
    let g = this.groups_.get(key);
    if (g === undefined) {
      g = new GroupState(vlan, group, key);
      this.groups_.set(key, g);
    }
    const pg = new PortGroup(g, pc.index);
    g.ports.set(pc.index, pg);
    this.limits.add(pc.index);
    this.dirty.add(key);
    if (log) this.logFn({ type: 'join', vlan, group, port: pc.index, portName: pc.name });
    return pg;
  }

  private deletePortGroup(pg: PortGroup, reason: LeaveReason | null): void {
    const g = pg.group;
    if (g.ports.get(pg.port) !== pg) return;
    stopAll(this.queue, pg);
    for (const rec of pg.sources.values()) rec.queriesLeft = 0;
    g.ports.delete(pg.port);
    if (g.ports.size === 0) this.groups_.delete(g.key);
    this.limits.remove(pg.port);
    this.limits.clearBelow((p) => this.portCfg.get(p)?.maxGroups ?? 0, this.config.maxGroups);
    this.dirty.add(g.key);
    if (reason !== null) this.logFn({ type: 'leave', vlan: g.vlan, group: g.address, port: pg.port, portName: this.portName(pg.port), reason });
  }

  private alive(pg: PortGroup): boolean {
    return pg.group.ports.get(pg.port) === pg && this.groups_.get(pg.group.key) === pg.group;
  }

  private dropPort(index: number, name: string): void {
    for (const g of [...this.groups_.values()]) {
      const pg = g.ports.get(index);
      if (pg !== undefined) {
        const vlan = g.vlan;
        const group = g.address;
        this.deletePortGroup(pg, null);
        this.logFn({ type: 'leave', vlan, group, port: index, portName: name, reason: 'port-removed' });
      }
    }
    this.routerPorts.forgetPort(index);
    this.rate.forget(index);
  }

  private dropAllMembership(reason: LeaveReason): void {
    for (const g of [...this.groups_.values()]) for (const pg of [...g.ports.values()]) this.deletePortGroup(pg, reason);
    for (const l of this.routerPorts.learnings()) this.routerPorts.forget(l);
  }

  private setCtx(pg: PortGroup): void {
    this.mctx.now = this.now;
    this.mctx.gmiMs = this.timers(pg.group.vlan).gmiMs;
  }

  private logCompat(pg: PortGroup): void {
    const mode = compatMode(pg);
    if (mode !== pg.loggedCompat) {
      pg.loggedCompat = mode;
      this.logFn({ type: 'compat', vlan: pg.group.vlan, group: pg.group.address, port: pg.port, portName: this.portName(pg.port), version: mode });
    }
  }

  // ---- routers -------------------------------------------------------------------------------

  private learnRouter(pc: PortSnoopingConfig, via: RouterVia, vlan: number, address: string, lifetimeMs: number): void {
    if (this.config.querierGuard && !pc.trusted) return this.reject('untrusted');
    if (pc.router === 'never') return this.reject('router-never');
    this.routerPorts.learn(pc.index, via, vlan, address, this.now + lifetimeMs);
  }

  private withdrawRouter(pc: PortSnoopingConfig, via: RouterVia, vlan: number, address: string): void {
    if (this.config.querierGuard && !pc.trusted) return this.reject('untrusted');
    this.routerPorts.withdraw(pc.index, via, vlan, address);
  }

  private configureRouters(): void {
    const ports = [...this.portCfg.values()];
    this.routerPorts.configure(ports.filter((p) => p.router === 'static').map((p) => p.index), ports.filter((p) => p.router === 'never').map((p) => p.index));
    if (this.config.querierGuard) {
      // Learnings (and an elected querier) from ports that are no longer trusted do not count.
      for (const l of this.routerPorts.learnings()) if (!this.portCfg.get(l.port)?.trusted) this.routerPorts.forget(l);
      for (const vq of this.querier_.vlans.values()) {
        if (vq.other !== null && !this.portCfg.get(vq.other.port)?.trusted) {
          this.queue.stop(vq.otherTimer);
          this.querier_.otherExpired(vq);
        }
      }
    }
  }

  private syncRouterPorts(): void {
    if (this.routerPorts.version === this.routerVersion && this.config.enabled === this.routerEnabled) return;
    this.routerVersion = this.routerPorts.version;
    this.routerEnabled = this.config.enabled;
    const mask = this.config.enabled ? this.routerPorts.mask() : 0n;
    if (mask === this.routerMask) return;
    const before = this.routerMask ?? 0n;
    this.routerMask = mask;
    this.pending.push({ op: 'routerPorts', ports: mask });
    for (let p = 0; p < 64; p++) {
      const was = (before >> BigInt(p)) & 1n;
      const is = (mask >> BigInt(p)) & 1n;
      if (was !== is) this.logFn({ type: 'router-port', port: p, portName: this.portName(p), state: is ? 'added' : 'removed' });
    }
  }

  // ---- policy and flags ----------------------------------------------------------------------

  private syncPolicy(): void {
    // Latched: a VLAN that gets a querier after the window closed does not reopen it.
    this.firstRoundsEnd ??= this.querier_.firstRoundsEnd();
    const d = decidePolicy({
      config: this.config, now: this.now, startedAt: this.startedAt, firstRoundsEnd: this.firstRoundsEnd, warmStart: this.warmStart,
      querierPresent: this.querier_.anyPresent(),
    });
    const prev = this.policy;
    this.policy = d;
    if (Number.isFinite(d.until) && d.until > this.now) this.queue.arm(this.policyTimer, d.until);
    else this.queue.stop(this.policyTimer);
    if (prev !== null && prev.mode === d.mode && prev.unregistered === d.unregistered) return;
    this.pending.push(policyCommand(d));
    this.logFn({ type: 'policy', mode: d.mode, unregistered: d.unregistered, reason: d.reason });
  }

  private syncPortFlags(): void {
    if (!this.portFlagsDirty) return;
    this.portFlagsDirty = false;
    const cmd = portFlagsCommand(this.portCfg.values());
    const key = `${cmd.floodAll}/${cmd.floodReports}/${cmd.floodUnregistered}`;
    if (key === this.portFlags) return;
    this.portFlags = key;
    this.pending.push(cmd);
  }

  // ---- static groups -------------------------------------------------------------------------

  private loadStatics(): void {
    const next = new Map<string, { vlan: number; group: string; ports: StaticGroupPorts }>();
    if (this.config.enabled) {
      for (const e of this.config.staticGroups) {
        if (!this.portCfg.has(e.port) || !this.validGroup(e.group, false)) continue;
        if (e.source !== null && !this.validSource(e.source, false)) continue;
        const key = groupKey(e.vlan, e.group);
        let s = next.get(key);
        if (s === undefined) {
          s = { vlan: e.vlan, group: e.group, ports: { star: 0n, bySource: new Map() } };
          next.set(key, s);
        }
        if (e.source === null) s.ports.star |= bit(e.port);
        else s.ports.bySource.set(e.source, (s.ports.bySource.get(e.source) ?? 0n) | bit(e.port));
      }
    }
    for (const key of this.statics.keys()) this.dirty.add(key);
    for (const key of next.keys()) this.dirty.add(key);
    this.statics = next;
  }

  // ---- small helpers -------------------------------------------------------------------------

  private timers(vlan: number): EffectiveTimers {
    return this.querier_.timersFor(vlan);
  }

  /**
   * A group this engine keeps state for (src/config/address.ts, the rules of both families): IPv4 224.0.0.0/24 is always
   * flooded, never snooped (RFC 4541 §2.1.2(2), Linux ipv4_is_local_multicast); IPv6 link-scope groups are snooped, but
   * not ff02::1 (flooded) nor ff00::/15 (never on the link) (RFC 4541 §3).
   */
  private validGroup(group: string, count: boolean): boolean {
    const c = this.family.classifyGroup(group);
    if (c === 'snooped') return true;
    if (count) this.reject(c === 'invalid' ? 'invalid-group' : 'local-group');
    return false;
  }

  /** Sources must be unicast: 0.0.0.0 / :: and multicast sources are refused (Linux br_multicast_new_group_src). */
  private validSource(s: string, count: boolean): boolean {
    if (this.family.validSource(s)) return true;
    if (count) this.reject('invalid-source');
    return false;
  }

  private reject(reason: RejectReason): void {
    this.counters.rejects[reason]++;
  }

  private countRx(msg: ControlFrame): void {
    const rx = this.counters.rx;
    switch (msg.kind) {
      case 'igmp': {
        const m = msg.message;
        if (m.type === 'report') {
          if (m.version === 2) rx.igmp_v2_report++;
          else rx.igmp_v1_report++;
        } else if (m.type === 'v3-report') rx.igmp_v3_report++;
        else if (m.type === 'leave') rx.igmp_v2_leave++;
        else if (m.version === 3) rx.igmp_v3_query++;
        else if (m.version === 2) rx.igmp_v2_query++;
        else rx.igmp_v1_query++;
        return;
      }
      case 'mld': {
        const m = msg.message;
        if (m.type === 'query') {
          if (m.version === 2) rx.mld_v2_query++;
          else rx.mld_v1_query++;
        } else if (m.type === 'report') rx.mld_v1_report++;
        else if (m.type === 'done') rx.mld_done++;
        else rx.mld_v2_report++;
        return;
      }
      case 'pim':
        if (msg.message.type === 'hello') rx.pim_hello++;
        else rx.pim_other++;
        return;
      case 'mrd':
        if (msg.message.type === 'advertisement') rx.mrd_advertisement++;
        else if (msg.message.type === 'solicitation') rx.mrd_solicitation++;
        else rx.mrd_termination++;
        return;
    }
  }

  private sendFrame(ports: PortMask, frame: Uint8Array, counter: TxCounter): void {
    this.counters.tx[counter]++;
    this.frames.send(ports, frame);
  }

  private allPortsMask(): bigint {
    let m = 0n;
    for (const p of this.portCfg.keys()) m |= bit(p);
    return m;
  }

  private portName(port: number): string {
    return this.portCfg.get(port)?.name ?? `port${port}`;
  }
}

function splitKey(key: string): [number, string] {
  const i = key.indexOf('/');
  return [Number(key.slice(0, i)), key.slice(i + 1)];
}

function popcount(m: bigint): number {
  let n = 0;
  for (; m !== 0n; m &= m - 1n) n++;
  return n;
}
