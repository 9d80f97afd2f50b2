// The engine's state, shared by the files that make up the engine (engine.ts is its face): each of them works on an
// EngineCore. Internal to src/snooping; nothing outside uses it.
//
//   core.ts          the state and the small helpers every part uses (validation, names, sending, refusals)
//   lifecycle.ts     port-group creation and deletion
//   step.ts          the step machinery: enter, timers due, leave (MDB, router ports, policy, flags to the tables)
//   dispatch.ts      received messages → querier, router ports, membership tables
//   fast-leave.ts    the table actions "Send Q(G)" / "Send Q(G,X)" (who queries this port; fast leave)
//   router-sync.ts   router-port learning, configuration and the router-port mask
//   policy-sync.ts   flood policy and per-port flags
//   statics.ts       static groups
//   counting.ts      received-message and decode-error counters
//   snapshot.ts      snapshot and restore (warm restart)
//   views.ts         management views (show groups|routers|querier|stats)

import type { FrameSink, PortMask, TableCommand, TableSink } from '../dataplane/commands.js';
import type { PortSnoopingConfig, SnoopingConfig } from './config.js';
import { ChurnMap } from './churn-map.js';
import type { AddressFamily } from './family.js';
import { bit, MdbMirror, type StaticGroupPorts } from './forwarding.js';
import { GroupLimits } from './limits.js';
import type { GroupState, MembershipContext, PortGroup } from './membership.js';
import type { PolicyDecision } from './policy.js';
import type { MembershipEventType, SnoopingEvent } from './public-types.js';
import type { Querier, TxCounter } from './querier.js';
import type { RouterPorts } from './routers.js';
import { Counters, type RejectReason } from './stats.js';
import { DeadlineQueue, type EffectiveTimers, Timer, TimerKind } from './timers.js';

export interface StaticGroup {
  vlan: number;
  group: string;
  ports: StaticGroupPorts;
}

export class EngineCore {
  config: SnoopingConfig;
  readonly portCfg = new Map<number, PortSnoopingConfig>();
  readonly queue = new DeadlineQueue();
  readonly groups = new ChurnMap<string, GroupState>();
  readonly mdb: MdbMirror;
  /** An MDB-full condition was logged and has not recovered yet. */
  mdbFullLogged = false;
  statics = new Map<string, StaticGroup>();
  /** (VLAN, G) keys whose MDB entries are recomputed at the end of the step. */
  readonly dirty = new Set<string>();
  readonly limits = new GroupLimits();
  readonly counters = new Counters();
  /** Table commands of this step, handed to `tables.apply` at its end. */
  pending: TableCommand[] = [];
  /** Fast-leave work run once the record that caused it is fully applied (fast-leave.ts). */
  deferred: Array<() => void> = [];
  // Set once by the engine's constructor (they need the core to exist).
  routerPorts!: RouterPorts;
  querier!: Querier;
  mctx!: MembershipContext & { now: number; gmiMs: number };

  now = 0;
  started = false;
  startedAt = 0;
  /** End of the first General Query round on every queried VLAN (latched once known), or null. */
  firstRoundsEnd: number | null = null;
  /** Restored from a fresh state: no start-up flood window (RestoreOptions.downtimeMs). */
  warmStart = false;
  policy: PolicyDecision | null = null;
  routerMask: bigint | null = null;
  routerVersion = -1;
  routerEnabled = false;
  portFlags: string | null = null;
  portFlagsDirty = true;
  /** End of the start-up flood window. */
  readonly policyTimer = new Timer(TimerKind.Policy, null);
  /** The MRD solicitation at start. */
  readonly solicitTimer = new Timer(TimerKind.Solicit, null);

  constructor(
    config: SnoopingConfig,
    ports: readonly PortSnoopingConfig[],
    readonly tables: TableSink,
    readonly frames: FrameSink,
    readonly random: () => number,
    readonly log: (event: SnoopingEvent) => void,
    /** Whether a join/leave/compat event is to be logged (SnoopingEngineOptions.logsMembership). */
    readonly logsMembership: (type: MembershipEventType) => boolean,
    /** Ethernet source of frames we originate. */
    readonly querierMac: string,
    /** The address family this engine snoops (codec, address rules, querier source, names). */
    readonly family: AddressFamily,
    mdb: MdbMirror,
  ) {
    this.config = config;
    for (const p of ports) this.portCfg.set(p.index, p);
    this.mdb = mdb;
  }

  timers(vlan: number): EffectiveTimers {
    return this.querier.timersFor(vlan);
  }

  /**
   * A group this engine keeps state for (src/wire/address.ts, the rules of both families): IPv4 224.0.0.0/24 is always
   * flooded, never snooped (RFC 4541 §2.1.2(2), Linux ipv4_is_local_multicast); IPv6 link-scope groups are snooped, but
   * not ff02::1 (flooded) nor ff00::/15 (never on the link) (RFC 4541 §3).
   */
  validGroup(group: string, count: boolean): boolean {
    const c = this.family.classifyGroup(group);
    if (c === 'snooped') return true;
    if (count) this.reject(c === 'invalid' ? 'invalid-group' : 'local-group');
    return false;
  }

  /** Sources must be unicast: 0.0.0.0 / :: and multicast sources are refused (Linux br_multicast_new_group_src). */
  validSource(s: string, count: boolean): boolean {
    if (this.family.validSource(s)) return true;
    if (count) this.reject('invalid-source');
    return false;
  }

  reject(reason: RejectReason): void {
    this.counters.rejects[reason]++;
  }

  /** Point the membership context at `pg`'s VLAN and the current time. */
  setCtx(pg: PortGroup): void {
    this.mctx.now = this.now;
    this.mctx.gmiMs = this.timers(pg.group.vlan).gmiMs;
  }

  sendFrame(ports: PortMask, frame: Uint8Array, counter: TxCounter): void {
    this.counters.tx[counter]++;
    this.frames.send(ports, frame);
  }

  allPortsMask(): bigint {
    let m = 0n;
    for (const p of this.portCfg.keys()) m |= bit(p);
    return m;
  }

  portName(port: number): string {
    return this.portCfg.get(port)?.name ?? `port${port}`;
  }
}

/** (VLAN, group) of a groupKey: a key without '/' is a VLAN 0 group. */
export function splitKey(key: string): [number, string] {
  const i = key.indexOf('/');
  return i < 0 ? [0, key] : [Number(key.slice(0, i)), key.slice(i + 1)];
}
