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
// (Keep this header and README.md in step.) Organisation follows OVS lib/mcast-snooping.c; the engine itself is
// spread over files of one concept each (core.ts lists them: state, lifecycle, step, dispatch, fast leave, router
// and policy handling, statics, counting, snapshot, views) around this face:
//   timers.ts      timer values (RFC 3376 §8 names) and the deadline queue
//   membership.ts  per (VLAN, G, port) group records and the RFC 3376 §6.4 tables, expiry (§6.3, §6.5)
//   compat.ts      §7.3.2 Older Version Host Present timers and message translation
//   hosts.ts       explicit host tracking (every port; fast-leave ports act on it)
//   routers.ts     router ports (queries of the elected querier, PIM Hello, MRD, static, never)
//   querier.ts     own querier, election (RFC 2236 §3 / RFC 3376 §6.6.2), Q(G) / Q(G,S) (§6.6.3)
//   forwarding.ts  membership → exact MDB, emitted as a diff of TableCommands
//   policy.ts      unregistered / no-querier / startup flood, per-port flags
//   limits.ts      group and source limits (the report rate limit is the data plane's, assembly/ratelimit.ts)
//   stats.ts       counters by message type/version and by refusal reason
//
// Contract: the engine never reads a clock or Math.random; `now` (ms, monotonic) and `random` are
// given. Each entry point (receive, tick, reconfigure, restore) is one step: it first runs the timers
// that are due, then does its work, then hands all table changes of the step to `tables.apply` in one
// call, and returns the time (absolute ms) of the next deadline (Infinity if none). Call `tick` at
// that time. Queries and solicitations go to `frames.send` as complete Ethernet frames.
// Time never runs backwards inside the engine: a `now` below the last one is treated as the last one.

import type { FrameSink, TableSink } from '../dataplane/commands.js';
import type { WireError } from '../wire/common.js';
import type { ControlFrame } from '../wire/control-frame.js';
import type { PortSnoopingConfig, SnoopingConfig } from './config.js';
import { EngineCore } from './core.js';
import { countDecodeError, countRx } from './counting.js';
import { dispatch } from './dispatch.js';
import { type AddressFamily, IPV4 } from './family.js';
import { actionSendGroupQuery, actionSendGroupSourceQuery } from './fast-leave.js';
import { MdbBudget, MdbMirror } from './forwarding.js';
import { dropAllMembership, dropPort } from './lifecycle.js';
import { MAX_SOURCES_PER_PORT_GROUP } from './limits.js';
import type {
  GroupView, EngineQuerierView, LazySnoopingSnapshot, RestoreOptions, RouterView, SnoopingEngineOptions, SnoopingSnapshot,
  EngineStatsView,
} from './public-types.js';
import { Querier } from './querier.js';
import { configureRouters } from './router-sync.js';
import { RouterPorts } from './routers.js';
import { restoreSnapshot, takeSnapshot, takeSnapshotLazily } from './snapshot.js';
import { loadStatics } from './statics.js';
import { enter, leave, runTimers } from './step.js';
import { groupsView, groupViews, querierView, routersView, statsView } from './views.js';

export type {
  GroupView, LeaveReason, PortGroupView, EngineQuerierView, RestoreOptions, RouterView, SnoopingEngineOptions, SnoopingEvent,
  SnoopingSnapshot, LazySnoopingSnapshot, SnapshotGroup, EngineStatsView, MembershipEventType,
} from './public-types.js';

export class SnoopingEngine {
  private readonly e: EngineCore;

  constructor(opts: SnoopingEngineOptions) {
    const e = new EngineCore(
      opts.config, opts.ports, opts.tables, opts.frames, opts.random, opts.log ?? (() => {}),
      opts.logsMembership ?? (() => true), opts.querierMac,
      opts.family ?? IPV4, new MdbMirror(opts.mdbBudget ?? new MdbBudget(opts.config.mdbCapacity)),
    );
    this.e = e;
    e.routerPorts = new RouterPorts(e.queue);
    e.querier = new Querier({
      family: e.family,
      queue: e.queue,
      querierMac: e.querierMac,
      config: () => e.config,
      now: () => e.now,
      allPorts: () => e.allPortsMask(),
      send: (ports, frame, counter) => e.sendFrame(ports, frame, counter),
      roleChanged: (vlan, role) => e.log({ type: 'own-querier', vlan, role, address: e.config.querier.address }),
      otherElected: (vlan, address, port) => e.log({ type: 'querier-elected', vlan, address, port, portName: e.portName(port) }),
      otherLost: (vlan, address) => e.log({ type: 'querier-lost', vlan, address }),
      adopted: (vlan, address, qrv, qqiSec, robustness, queryIntervalMs, bounded) =>
        e.log({ type: 'querier-timers', vlan, address, qrv, qqiSec, robustness, queryIntervalMs, bounded }),
    });
    e.mctx = {
      now: 0,
      gmiMs: 0,
      queue: e.queue,
      sendGroupQuery: (pg) => actionSendGroupQuery(e, pg),
      sendGroupSourceQuery: (pg, sources) => actionSendGroupSourceQuery(e, pg, sources),
      changed: (pg) => { e.dirty.add(pg.group.key); },
      admitSource: (pg) => {
        if (pg.sources.size < MAX_SOURCES_PER_PORT_GROUP) return true;
        e.reject('source-limit');
        return false;
      },
    };
  }

  /** The address family this engine snoops (codec, address rules, querier source, names). */
  get family(): AddressFamily {
    return this.e.family;
  }

  // ---- entry points ----------------------------------------------------------------------

  /** Learn from one decoded control frame received on `port` in `vlan` (0 = untagged). */
  receive(msg: ControlFrame, port: number, vlan: number, now: number): number {
    const e = this.e;
    enter(e, now);
    countRx(e.counters, msg);
    const pc = e.portCfg.get(port);
    if (pc === undefined) e.reject('unknown-port');
    else if (!Number.isInteger(vlan) || vlan < 0 || vlan > 4095) e.reject('bad-vlan');
    else if (!e.config.enabled) e.reject('disabled');
    else dispatch(e, msg, pc, vlan);
    return leave(e);
  }

  /** Run what is due at `now`; returns the next deadline (absolute ms, Infinity if none). */
  tick(now: number): number {
    enter(this.e, now);
    return leave(this.e);
  }

  /** The next deadline without doing anything. */
  nextDeadline(): number {
    return this.e.queue.next();
  }

  /** Count a frame the daemon could not decode (decodeControlFrame error). */
  noteDecodeError(error: WireError): void {
    countDecodeError(this.e.counters, error);
  }

  /**
   * Apply a new configuration. Learned state of ports that remain (same index) is kept; state of
   * removed ports is dropped. New timer values apply to timers set from now on.
   */
  reconfigure(config: SnoopingConfig, ports: readonly PortSnoopingConfig[], now: number): number {
    const e = this.e;
    enter(e, now);
    const prev = e.config;
    const prevPorts = new Map(e.portCfg);
    e.config = config;
    e.mdb.capacity = config.mdbCapacity;
    e.portCfg.clear();
    for (const p of ports) e.portCfg.set(p.index, p);
    e.portFlagsDirty = true;
    for (const [index, old] of prevPorts) if (!e.portCfg.has(index)) dropPort(e, index, old.name);
    configureRouters(e);
    if (prev.enabled && !config.enabled) dropAllMembership(e, 'disabled');
    if (config.enabled) e.querier.vlan(0);
    e.querier.reconfigure(prev);
    loadStatics(e);
    e.limits.clearBelow((p) => e.portCfg.get(p)?.maxGroups ?? 0, config.maxGroups);
    return leave(e);
  }

  /** Replace the membership state by a snapshot; `now` is the time the snapshot's timers count from. */
  restore(snapshot: SnoopingSnapshot, now: number, opts: RestoreOptions = {}): number {
    const e = this.e;
    enter(e, now);
    restoreSnapshot(e, snapshot, opts);
    runTimers(e, e.now); // anything that was already due
    return leave(e);
  }

  /** The membership state as plain JSON (times relative to the last `now` seen). */
  snapshot(): SnoopingSnapshot {
    return takeSnapshot(this.e);
  }

  /** The same with the port-groups made as they are written (the daemon's state file). */
  snapshotLazily(): LazySnoopingSnapshot {
    return takeSnapshotLazily(this.e);
  }

  // ---- views -------------------------------------------------------------------------------

  groups(): GroupView[] {
    return groupsView(this.e);
  }

  /** The same views one at a time, in the same order (for a large table: see views.ts). */
  groupViews(): Generator<GroupView> {
    return groupViews(this.e);
  }

  routers(): RouterView[] {
    return routersView(this.e);
  }

  querier(): EngineQuerierView[] {
    return querierView(this.e);
  }

  stats(): EngineStatsView {
    return statsView(this.e);
  }
}
