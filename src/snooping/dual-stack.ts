// IGMP and MLD snooping side by side: one SnoopingEngine per address family (the same code, given IPV4 or IPV6 from
// family.ts), behind the one face the daemon uses. Each control frame goes to the engine of its IP version.
//
// The data plane has one MDB (keys are 16-byte addresses, so IPv4 and IPv6 entries never collide), one router-port
// set and per-family filtering switches; the engines' table commands are merged here:
//   * mdbSet / mdbDelete pass through;
//   * mdbClear: the IPv4 engine clears the table at its first step and the IPv6 engine starts in the same step right
//     after it, so the IPv6 engine's clear is dropped (it would erase the IPv4 entries);
//   * routerPorts: the union of both engines' router ports (Linux keeps separate IPv4 and IPv6 router lists; the data
//     plane has one set, so a port that is a router port for either family receives both families' snooped traffic
//     and reports; see src/snooping/README.md);
//   * policy: the IPv4 engine's is the `policy` command; the IPv6 engine's mode becomes `mldMode` (filter IPv6 by the
//     MDB or flood it), since its unregistered policy and port flags are the same configuration values;
//   * portFlags: from the IPv4 engine only (same port configuration).

import type { FrameSink, PortMask, TableCommand, TableSink } from '../dataplane/commands.js';
import type { WireError } from '../wire/common.js';
import type { ControlFrame } from '../wire/control-frame.js';
import type { PortSnoopingConfig, SnoopingConfig } from './config.js';
import { MdbBudget } from './forwarding.js';
import {
  type GroupView, type EngineQuerierView, type RestoreOptions, type RouterView, SnoopingEngine, type SnoopingEvent, type SnoopingSnapshot, type EngineStatsView,
  type LazySnoopingSnapshot, type MembershipEventType,
} from './engine.js';
import { type AddressFamily, familyOf, IPV4, IPV6 } from './family.js';

/** The configuration of both engines: `snooping.*` for IGMP, and the same with `snooping.mld.*` applied for MLD. */
export interface FamilyConfigs {
  igmp: SnoopingConfig;
  /** `querier.address` '' = derive a link-local address from the switch's MAC (family.defaultQuerierAddress). */
  mld: SnoopingConfig;
}

export type FamilyEvent = SnoopingEvent & { family: 4 | 6 };

export interface DualStackOptions {
  config: FamilyConfigs;
  ports: readonly PortSnoopingConfig[];
  tables: TableSink;
  frames: FrameSink;
  random: () => number;
  log?: (event: FamilyEvent) => void;
  /** SnoopingEngineOptions.logsMembership, for both engines. */
  logsMembership?: (type: MembershipEventType) => boolean;
  querierMac: string;
}

export class DualStackSnooping {
  readonly igmp: SnoopingEngine;
  readonly mld: SnoopingEngine;
  private readonly tables: TableSink;
  private readonly querierMac: string;
  private routers4: PortMask = 0n;
  private routers6: PortMask = 0n;
  private routersSent: PortMask | null = null;
  private started = false;

  constructor(opts: DualStackOptions) {
    this.tables = opts.tables;
    this.querierMac = opts.querierMac;
    const log = opts.log ?? (() => {});
    // One MDB in the data plane: both families' entries count against the same capacity.
    const mdbBudget = new MdbBudget(opts.config.igmp.mdbCapacity);
    const common = {
      ports: opts.ports, frames: opts.frames, random: opts.random, querierMac: opts.querierMac, mdbBudget,
      ...(opts.logsMembership ? { logsMembership: opts.logsMembership } : {}),
    };
    this.igmp = new SnoopingEngine({
      ...common, family: IPV4, config: opts.config.igmp, tables: { apply: (list) => this.fromIgmp(list) },
      log: (e) => log({ ...e, family: 4 }),
    });
    this.mld = new SnoopingEngine({
      ...common, family: IPV6, config: this.mldConfig(opts.config.mld), tables: { apply: (list) => this.fromMld(list) },
      log: (e) => log({ ...e, family: 6 }),
    });
  }

  // ---- entry points (as SnoopingEngine's; each returns the next deadline of both engines) ----------------------

  receive(msg: ControlFrame, port: number, vlan: number, now: number): number {
    this.start(now);
    (msg.family === 6 ? this.mld : this.igmp).receive(msg, port, vlan, now);
    return this.nextDeadline();
  }

  tick(now: number): number {
    this.igmp.tick(now);
    this.mld.tick(now);
    this.started = true;
    return this.nextDeadline();
  }

  nextDeadline(): number {
    return Math.min(this.igmp.nextDeadline(), this.mld.nextDeadline());
  }

  /** Count a frame that could not be decoded, with the engine of its family (by the layer that refused it). */
  noteDecodeError(error: WireError): void {
    (error.layer === 'ipv6' || error.layer === 'mld' ? this.mld : this.igmp).noteDecodeError(error);
  }

  reconfigure(config: FamilyConfigs, ports: readonly PortSnoopingConfig[], now: number): number {
    this.igmp.reconfigure(config.igmp, ports, now);
    this.mld.reconfigure(this.mldConfig(config.mld), ports, now);
    this.started = true;
    return this.nextDeadline();
  }

  /** Restore both engines from one snapshot (groups and routers are split by address family). */
  restore(snapshot: SnoopingSnapshot, now: number, opts: RestoreOptions = {}): number {
    const part = (f: AddressFamily): SnoopingSnapshot => ({
      ...snapshot,
      groups: (snapshot.groups ?? []).filter((g) => familyOf(String(g.group)) === f),
      routers: (snapshot.routers ?? []).filter((r) => familyOf(String(r.address || '0.0.0.0')) === f),
      queriers: (snapshot.queriers ?? []).filter((q) => familyOf(String(q.address)) === f),
    });
    this.igmp.restore(part(IPV4), now, opts);
    this.mld.restore(part(IPV6), now, opts);
    this.started = true;
    return this.nextDeadline();
  }

  /** One snapshot of both engines (the state file format does not change: addresses say the family). */
  snapshot(): SnoopingSnapshot {
    const s = this.snapshotLazily();
    return { ...s, groups: [...s.groups] };
  }

  /** Both families' snapshot, the port-groups made as they are written (the daemon's state file). */
  snapshotLazily(): LazySnoopingSnapshot {
    const a = this.igmp.snapshotLazily();
    const b = this.mld.snapshotLazily();
    return {
      version: a.version, takenAt: a.takenAt, vlans: [...new Set([...a.vlans, ...b.vlans])].sort((x, y) => x - y),
      groups: (function* () { yield* a.groups; yield* b.groups; })(), routers: [...a.routers, ...b.routers],
      queriers: [...a.queriers ?? [], ...b.queriers ?? []],
    };
  }

  // ---- views ----------------------------------------------------------------------------------------------------

  groups(): GroupView[] {
    return [...this.groupViews()];
  }

  /** The views of both families one at a time, IPv4 first (for a large table: see views.ts). */
  *groupViews(): Generator<GroupView> {
    yield* this.igmp.groupViews();
    yield* this.mld.groupViews();
  }

  /** Router ports of both families, one view per port. */
  routers(): RouterView[] {
    const byPort = new Map<number, RouterView>();
    for (const r of [...this.igmp.routers(), ...this.mld.routers()]) {
      const v = byPort.get(r.port);
      if (v === undefined) byPort.set(r.port, { ...r, learned: [...r.learned] });
      else v.learned.push(...r.learned);
    }
    return [...byPort.values()].sort((a, b) => a.port - b.port);
  }

  /** The IGMP querier views, then the MLD ones (each says its family). */
  querier(): EngineQuerierView[] {
    return [...this.igmp.querier(), ...this.mld.querier()];
  }

  /** Counters of both engines added up (each counter is counted by one family only), plus each family's own. */
  stats(): EngineStatsView & { families: { igmp: EngineStatsView; mld: EngineStatsView } } {
    const a = this.igmp.stats();
    const b = this.mld.stats();
    const sum = <K extends string>(x: Record<K, number>, y: Record<K, number>): Record<K, number> => {
      const out = { ...x };
      for (const k of Object.keys(y) as K[]) out[k] = (out[k] ?? 0) + y[k];
      return out;
    };
    return {
      rx: sum(a.rx, b.rx), tx: sum(a.tx, b.tx), rejects: sum(a.rejects, b.rejects), decodeErrors: sum(a.decodeErrors, b.decodeErrors),
      groups: a.groups + b.groups, memberships: a.memberships + b.memberships, mdbEntries: a.mdbEntries + b.mdbEntries,
      mdbPendingGroups: a.mdbPendingGroups + b.mdbPendingGroups,
      routerPorts: popcount(this.routers4 | this.routers6), policy: a.policy, families: { igmp: a, mld: b },
    };
  }

  // ---- merging the table commands ------------------------------------------------------------------------------

  private start(now: number): void {
    if (this.started) return;
    this.started = true;
    this.igmp.tick(now);
    this.mld.tick(now);
  }

  private fromIgmp(list: readonly TableCommand[]): void {
    const out: TableCommand[] = [];
    for (const c of list) {
      if (c.op === 'routerPorts') this.routers4 = c.ports;
      else out.push(c);
    }
    this.flush(out);
  }

  private fromMld(list: readonly TableCommand[]): void {
    const out: TableCommand[] = [];
    for (const c of list) {
      switch (c.op) {
        case 'mdbClear': case 'portFlags': break;
        case 'routerPorts': this.routers6 = c.ports; break;
        case 'policy': out.push({ op: 'mldMode', mode: c.mode }); break;
        default: out.push(c);
      }
    }
    this.flush(out);
  }

  private flush(out: TableCommand[]): void {
    const routers = this.routers4 | this.routers6;
    if (routers !== this.routersSent) {
      this.routersSent = routers;
      out.push({ op: 'routerPorts', ports: routers });
    }
    if (out.length > 0) this.tables.apply(out);
  }

  private mldConfig(c: SnoopingConfig): SnoopingConfig {
    if (c.querier.address !== '') return c;
    return { ...c, querier: { ...c.querier, address: IPV6.defaultQuerierAddress(this.querierMac) } };
  }
}

function popcount(m: bigint): number {
  let n = 0;
  for (; m !== 0n; m &= m - 1n) n++;
  return n;
}
