// The public types of the snooping engine (engine.ts re-exports them): options, log events, the management views
// and the persistent snapshot.

import type { FrameSink, McastMode, TableSink, UnregisteredPolicy } from '../dataplane/commands.js';
import type { CompatMode } from './compat.js';
import type { PortSnoopingConfig, SnoopingConfig } from './config.js';
import type { AddressFamily } from './family.js';
import type { MdbBudget } from './forwarding.js';
import type { FilterMode } from './membership.js';
import type { PolicyDecision } from './policy.js';
import type { TxCounter } from './querier.js';
import type { RouterVia } from './routers.js';
import type { RejectReason, RxCounter } from './stats.js';
import type { EffectiveTimers } from './timers.js';


export interface SnoopingEngineOptions {
  config: SnoopingConfig;
  ports: readonly PortSnoopingConfig[];
  tables: TableSink;
  frames: FrameSink;
  /** Uniform in [0, 1); used only for the start-up MRD solicitation delay. */
  random: () => number;
  log?: (event: SnoopingEvent) => void;
  /**
   * Whether this join, leave or compat event is to be logged (default: yes); asked before the event is built. They
   * come one per report in a storm: the daemon logs up to a number per second and counts the others here.
   */
  logsMembership?: (type: MembershipEventType) => boolean;
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

/** The events that a report storm brings one per report. */
export type MembershipEventType = Extract<SnoopingEvent['type'], 'join' | 'leave' | 'compat'>;

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

export interface EngineQuerierView {
  /** IP version of the engine (4: IGMP, 6: MLD). */
  family: 4 | 6;
  vlan: number;
  role: 'querier' | 'non-querier' | 'off';
  own: { enabled: boolean; address: string; version: 2 | 3; nextQueryInMs: number | null; startupLeft: number };
  other: { address: string; port: number; portName: string; version: 1 | 2 | 3; expiresInMs: number; qrv: number; qqiSec: number } | null;
  proxyPresent: boolean;
  timers: EffectiveTimers;
}

export interface EngineStatsView {
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
/** One port-group of a snapshot. */
export interface SnapshotGroup {
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
}

export interface SnoopingSnapshot {
  version: 1;
  takenAt: number;
  vlans: number[];
  groups: SnapshotGroup[];
  routers: Array<{ port: number; portName: string; via: RouterVia; vlan: number; address: string; remainingMs: number }>;
  /** The elected querier per VLAN (absent in older files): what "a querier exists" and the adopted timers rest on. */
  queriers?: Array<{ vlan: number; address: string; port: number; portName: string; version: 1 | 2 | 3; qrv: number; qqiSec: number; maxRespMs: number; remainingMs: number }>;
}

/**
 * A snapshot whose port-groups are made while it is written (the state file, src/mgmt/state-file.ts, writes a
 * generator as an array): iterate `groups` once, at once.
 */
export type LazySnoopingSnapshot = Omit<SnoopingSnapshot, 'groups'> & { groups: Generator<SnapshotGroup> };

export interface RestoreOptions {
  /**
   * How long the switch was down before this restore (the daemon's state file says). A restored state
   * younger than the Group Membership Interval is fresh: the memberships it lists are still current, so
   * the engine forwards by them at once, without the start-up flood window (a warm restart). Absent, or
   * not shorter than the GMI: a cold start.
   */
  downtimeMs?: number;
}

