// Test harness for the snooping engine: a fake clock, a fake data plane that applies the
// TableCommands exactly as the contract in src/snooping/forwarding.ts says, frame capture, and
// message builders that go through the real wire layer (emit → frame → decodeControlFrame).

import type { McastMode, PortMask, TableCommand, UnregisteredPolicy } from '../../../src/dataplane/commands.js';
import type { PortSnoopingConfig, SnoopingConfig } from '../../../src/snooping/config.js';
import { defaultPortConfig, defaultSnoopingConfig, reportRateCommand } from '../../../src/config/translate.js';
import { type Core, loadCore } from '../../../src/dataplane/core.js';
import { type SnoopingEngineOptions, type SnoopingEvent, SnoopingEngine } from '../../../src/snooping/engine.js';
import { isLinkLocalMulticastIPv4 } from '../../../src/wire/address.js';
import { type AddressFamily, IPV4, IPV6 } from '../../../src/snooping/family.js';
import { buildIgmpFrame, buildIpv4Frame, buildMldFrame, type ControlFrame, decodeControlFrame, l3OffsetOf } from '../../../src/wire/control-frame.js';
import * as mld from '../../../src/wire/mld.js';
import { type GroupRecord, type IgmpQuery, type IgmpRepr } from '../../../src/wire/igmp.js';
import * as mrd from '../../../src/wire/mrd.js';
import * as pim from '../../../src/wire/pim.js';

export const QUERIER_MAC = '02:00:00:00:00:fe';

/** Applies table commands; answers "would a frame from S to G in VLAN V reach port P". */
export class FakeDataPlane {
  readonly mdb = new Map<string, bigint>();
  routerPorts = 0n;
  policy: { unregistered: UnregisteredPolicy; mode: McastMode } = { unregistered: 'routers', mode: 'flood' };
  floodAll = 0n;
  floodReports = 0n;
  floodUnregistered = 0n;
  readonly batches: TableCommand[][] = [];
  /** mdbSet commands refused because the table was full (as the Wasm MDB refuses them). */
  refused = 0;

  /** @param capacity MDB entries, as `dataplane.mdb_capacity` (0 = unbounded). */
  constructor(readonly capacity = 0) {}

  apply(commands: readonly TableCommand[]): void {
    this.batches.push([...commands]);
    for (const c of commands) {
      switch (c.op) {
        case 'mdbSet': {
          const k = key(c.vlan, c.group, c.source);
          if (this.capacity > 0 && !this.mdb.has(k) && this.mdb.size >= this.capacity) this.refused++;
          else this.mdb.set(k, c.ports);
          break;
        }
        case 'mdbDelete':
          if (!this.mdb.delete(key(c.vlan, c.group, c.source))) throw new Error(`mdbDelete of a missing entry ${key(c.vlan, c.group, c.source)}`);
          break;
        case 'mdbClear': this.mdb.clear(); break;
        case 'routerPorts': this.routerPorts = c.ports; break;
        case 'policy': this.policy = { unregistered: c.unregistered, mode: c.mode }; break;
        case 'portFlags': this.floodAll = c.floodAll; this.floodReports = c.floodReports; this.floodUnregistered = c.floodUnregistered; break;
        default: break;
      }
    }
  }

  /** The MDB decision alone: (S,G) entry, else (*,G) entry, else undefined (unregistered). */
  entry(vlan: number, group: string, source: string): PortMask | undefined {
    return this.mdb.get(key(vlan, group, source)) ?? this.mdb.get(key(vlan, group, null));
  }

  /** Does the MDB send S→G to `port` (ignoring router ports, flags and policy)? */
  mdbForwards(vlan: number, group: string, source: string, port: number): boolean {
    const e = this.entry(vlan, group, source);
    return e !== undefined && ((e >> BigInt(port)) & 1n) === 1n;
  }

  /** The full decision for a UDP frame S→G entering on `ingress`. */
  delivers(o: { vlan?: number; group: string; source: string; port: number; ingress: number }): boolean {
    if (o.port === o.ingress) return false;
    const has = (m: bigint) => ((m >> BigInt(o.port)) & 1n) === 1n;
    if (this.policy.mode === 'flood' || isLinkLocalMulticastIPv4(o.group)) return true;
    if (has(this.floodAll) || has(this.routerPorts)) return true;
    const e = this.entry(o.vlan ?? 0, o.group, o.source);
    if (e !== undefined) return has(e);
    if (this.policy.unregistered === 'flood') return has(this.floodUnregistered);
    return false;
  }
}

function key(vlan: number, group: string, source: string | null): string {
  return `${vlan}|${group}|${source ?? '*'}`;
}

export interface SentFrame {
  at: number;
  ports: PortMask;
  frame: Uint8Array;
  decoded: ControlFrame;
}

export interface HarnessOptions {
  config?: Partial<SnoopingConfig>;
  querier?: Partial<SnoopingConfig['querier']>;
  ports?: Array<Partial<PortSnoopingConfig> & { index: number }>;
  start?: number;
  random?: () => number;
  /** IGMP (IPV4, default) or MLD (IPV6): the engine's family; record(), query() and queries() speak it. */
  family?: AddressFamily;
  /** MDB entries the fake data plane holds (and the engine's `mdbCapacity`); 0 = unbounded. */
  mdbCapacity?: number;
  /** SnoopingEngineOptions.logsMembership (default: the engine's, every event). */
  logsMembership?: SnoopingEngineOptions['logsMembership'];
}

export function makeConfig(o: HarnessOptions = {}): SnoopingConfig {
  const base = defaultSnoopingConfig();
  if (o.family?.ip === 6) base.querier.address = 'fe80::fe';
  return { ...base, ...o.config, querier: { ...base.querier, ...o.config?.querier, ...o.querier } };
}

export function makePorts(o: HarnessOptions = {}): PortSnoopingConfig[] {
  const specs = o.ports ?? [{ index: 1 }, { index: 2 }, { index: 3 }];
  return specs.map((p) => ({ ...defaultPortConfig(p.index, `swp${p.index}`), ...p }));
}

/** An engine wired to a fake data plane, a frame recorder and a fake clock. */
export class Harness {
  readonly dp: FakeDataPlane;
  readonly sent: SentFrame[] = [];
  readonly events: SnoopingEvent[] = [];
  readonly engine: SnoopingEngine;
  config: SnoopingConfig;
  ports: PortSnoopingConfig[];
  now: number;
  next = Infinity;
  readonly family: AddressFamily;

  constructor(o: HarnessOptions = {}) {
    this.family = o.family ?? IPV4;
    this.dp = new FakeDataPlane(o.mdbCapacity ?? 0);
    this.config = makeConfig({ ...o, config: { mdbCapacity: o.mdbCapacity ?? 0, ...o.config } });
    this.ports = makePorts(o);
    this.now = o.start ?? 0;
    this.engine = new SnoopingEngine({
      config: this.config,
      ports: this.ports,
      tables: this.dp,
      frames: {
        send: (ports, frame) => {
          const d = decodeControlFrame(frame, l3OffsetOf(frame));
          if (!d.ok) throw new Error(`engine sent an undecodable frame: ${JSON.stringify(d.error)}`);
          this.sent.push({ at: this.now, ports, frame, decoded: d.value });
        },
      },
      random: o.random ?? (() => 0),
      log: (e) => this.events.push(e),
      ...(o.logsMembership ? { logsMembership: o.logsMembership } : {}),
      querierMac: QUERIER_MAC,
      family: this.family,
    });
    this.next = this.engine.tick(this.now);
    this.setReportRate();
  }

  /**
   * The report rate limit is the data plane's (assembly/ratelimit.ts), not the engine's: with reportRateLimit set,
   * every frame first passes the real Wasm core, and what it drops for the rate never reaches the engine.
   */
  private rateStage: Core | null = null;
  /** Frames the data plane dropped for the report rate limit (its counter report_rate_limit). */
  rateLimited = 0;

  private setReportRate(): void {
    const rate = this.config.reportRateLimit;
    if (rate > 0 && this.rateStage === null) {
      this.rateStage = loadCore({ maxBatch: 1, fdbCapacity: 16, mdbCapacity: 16 });
      this.rateStage.setActivePorts((1n << 64n) - 1n);
      this.rateStage.setMldSnooping(true);
    }
    this.rateStage?.applyCommands([reportRateCommand(rate)]);
  }

  /** Move the fake clock forward by `ms`, calling tick at every deadline on the way. */
  advance(ms: number): void {
    const target = this.now + ms;
    while (this.next <= target) {
      this.now = Math.max(this.now, this.next);
      this.next = this.engine.tick(this.now);
    }
    this.now = target;
    this.next = this.engine.tick(this.now);
  }

  /** Feed a complete frame through decodeControlFrame and into the engine. */
  receiveFrame(frame: Uint8Array, port: number, vlan = 0): void {
    if (this.rateStage) {
      this.rateStage.writeFrame(0, frame, port, 0);
      this.rateStage.process(1, this.now);
      if (this.rateStage.verdict(0).reason === 'report_rate_limit') {
        this.rateLimited++;
        return;
      }
    }
    const d = decodeControlFrame(frame, l3OffsetOf(frame));
    if (!d.ok) throw new Error(`test built an undecodable frame: ${JSON.stringify(d.error)}`);
    this.next = this.engine.receive(d.value, port, vlan, this.now);
  }

  igmp(message: IgmpRepr, port: number, o: { src?: string; dst?: string; vlan?: number; routerAlert?: boolean; ttl?: number } = {}): void {
    const dst = o.dst ?? (message.type === 'v3-report' ? '224.0.0.22' : message.type === 'leave' ? '224.0.0.2'
      : message.type === 'query' ? (message.group === '0.0.0.0' ? '224.0.0.1' : message.group) : message.group);
    const frame = buildIgmpFrame({
      srcMac: `02:00:00:00:00:${(port & 0xff).toString(16).padStart(2, '0')}`, src: o.src ?? `192.0.2.${port}`, dst,
      vlan: o.vlan ?? 0, ttl: o.ttl, routerAlert: o.routerAlert, message,
    });
    this.receiveFrame(frame, port, o.vlan ?? 0);
  }

  v2Report(group: string, port: number, src?: string, vlan = 0): void {
    this.igmp({ type: 'report', version: 2, group }, port, { src, vlan });
  }

  v1Report(group: string, port: number, src?: string): void {
    this.igmp({ type: 'report', version: 1, group }, port, { src });
  }

  leave(group: string, port: number, src?: string, vlan = 0): void {
    this.igmp({ type: 'leave', group }, port, { src, vlan });
  }

  v3(records: GroupRecord[], port: number, o: { src?: string; dst?: string; routerAlert?: boolean; vlan?: number } = {}): void {
    this.igmp({ type: 'v3-report', records }, port, o);
  }

  record(recordType: number, group: string, sources: string[], port: number, src?: string): void {
    if (this.family.ip === 6) this.mld({ type: 'v2-report', records: [{ recordType, group, sources }] }, port, { src });
    else this.v3([{ recordType, group, sources }], port, { src });
  }

  /** An MLD message from `src` (default fe80::<port>) on `port`, as a host sends it (Hop Limit 1, Router Alert). */
  mld(message: mld.MldRepr, port: number, o: { src?: string; dst?: string; vlan?: number; routerAlert?: boolean; hopLimit?: number } = {}): void {
    const dst = o.dst ?? (message.type === 'v2-report' ? mld.ALL_MLDV2_ROUTERS : message.type === 'done' ? mld.ALL_ROUTERS
      : message.type === 'query' ? (message.group === mld.UNSPECIFIED ? mld.ALL_NODES : message.group) : message.group);
    const frame = buildMldFrame({
      srcMac: `02:00:00:00:00:${(port & 0xff).toString(16).padStart(2, '0')}`, src: o.src ?? `fe80::${port.toString(16)}`, dst,
      vlan: o.vlan ?? 0, hopLimit: o.hopLimit, routerAlert: o.routerAlert, message,
    });
    this.receiveFrame(frame, port, o.vlan ?? 0);
  }

  /** A query in IGMP terms; for an MLD harness, version 3 is MLDv2 and 2 is MLDv1 (maxRespDs × 100 ms). */
  query(q: Partial<IgmpQuery> & { version: 1 | 2 | 3 }, port: number, src: string, vlan = 0): void {
    if (this.family.ip === 6) {
      const group = q.group === undefined || q.group === '0.0.0.0' ? mld.UNSPECIFIED : q.group;
      this.mld({
        type: 'query', version: q.version === 3 ? 2 : 1, maxRespMs: (q.maxRespDs ?? 100) * 100, group, suppress: q.suppress ?? false,
        qrv: q.qrv ?? (q.version === 3 ? 2 : 0), qqiSec: q.qqiSec ?? (q.version === 3 ? 125 : 0), sources: q.sources ?? [],
      }, port, { src, vlan });
      return;
    }
    const full: IgmpQuery = {
      type: 'query', group: '0.0.0.0', maxRespDs: q.version === 1 ? 0 : 100, suppress: false,
      qrv: q.version === 3 ? 2 : 0, qqiSec: q.version === 3 ? 125 : 0, sources: [], ...q,
    };
    this.igmp(full, port, { src, vlan });
  }

  pimHello(port: number, src: string, holdtimeSec: number | null = 105): void {
    this.receiveFrame(buildIpv4Frame({
      srcMac: '02:00:00:00:01:00', src, dst: pim.ALL_PIM_ROUTERS_V4, vlan: 0, protocol: 103, routerAlert: false,
      payload: pim.emit({ type: 'hello', holdtimeSec, drPriority: 1, generationId: 7 }),
    }), port);
  }

  mrd(message: mrd.MrdRepr, port: number, src: string): void {
    this.receiveFrame(buildIpv4Frame({
      srcMac: '02:00:00:00:01:01', src, dst: message.type === 'solicitation' ? mrd.ALL_ROUTERS_V4 : mrd.ALL_SNOOPERS_V4,
      vlan: 0, protocol: 2, payload: mrd.emit(message),
    }), port);
  }

  reconfigure(o: { config?: Partial<SnoopingConfig>; ports?: PortSnoopingConfig[] }): void {
    this.config = { ...this.config, ...o.config, querier: { ...this.config.querier, ...o.config?.querier } };
    if (o.ports) this.ports = o.ports;
    this.next = this.engine.reconfigure(this.config, this.ports, this.now);
    this.setReportRate();
  }

  /** The port-group view of (vlan, group) on `port`. */
  pg(group: string, port: number, vlan = 0) {
    return this.engine.groups().find((g) => g.vlan === vlan && g.group === group)?.ports.find((p) => p.port === port);
  }

  /** X (or A in INCLUDE mode): forwarded sources; Y: excluded sources. Sorted. */
  xy(group: string, port: number, vlan = 0): { mode: string | undefined; X: string[]; Y: string[] } {
    const p = this.pg(group, port, vlan);
    return {
      mode: p?.mode,
      X: (p?.sources ?? []).filter((s) => s.forwarding).map((s) => s.address).sort(),
      Y: (p?.sources ?? []).filter((s) => !s.forwarding).map((s) => s.address).sort(),
    };
  }

  /** Queries sent, decoded (MLD queries in IGMP terms: version 3 = MLDv2, maxRespDs = Maximum Response Delay / 100 ms). */
  queries(): Array<{ at: number; ports: PortMask; q: IgmpQuery; dst: string; ttl: number; routerAlert: boolean }> {
    const out = [];
    for (const s of this.sent) {
      const d = s.decoded;
      if (d.kind === 'igmp' && d.message.type === 'query') {
        out.push({ at: s.at, ports: s.ports, q: d.message, dst: d.dst, ttl: d.ttl, routerAlert: d.routerAlert });
      } else if (d.kind === 'mld' && d.message.type === 'query') {
        const m = d.message;
        const q: IgmpQuery = {
          type: 'query', version: m.version === 2 ? 3 : 2, maxRespDs: Math.round(m.maxRespMs / 100), group: m.group, suppress: m.suppress,
          qrv: m.qrv, qqiSec: m.qqiSec, sources: m.sources,
        };
        out.push({ at: s.at, ports: s.ports, q, dst: d.dst, ttl: d.ttl, routerAlert: d.routerAlert });
      }
    }
    return out;
  }

  clearSent(): void {
    this.sent.length = 0;
  }
}

export function mask(...ports: number[]): bigint {
  return ports.reduce((m, p) => m | (1n << BigInt(p)), 0n);
}

/** 192.0.2.<n> */
export const ip = (n: number): string => `192.0.2.${n}`;

/** What a test needs to run for both families: the engine's family, a group, host addresses, querier addresses. */
export interface FamilyCase {
  name: string;
  family: AddressFamily;
  /** The §6.4 / §7.4 tables' RFC. */
  rfc: string;
  group: string;
  /** A host (source) address. */
  ip: (n: number) => string;
  /** Another querier's address, and our own querier's. */
  otherQuerier: string;
  ownQuerier: string;
}

export const FAMILY_CASES: readonly FamilyCase[] = [
  { name: 'IGMP', family: IPV4, rfc: 'RFC 3376 §6.4', group: '239.1.2.3', ip, otherQuerier: '192.0.2.100', ownQuerier: '192.0.2.254' },
  {
    name: 'MLD', family: IPV6, rfc: 'RFC 3810 §7.4', group: 'ff0e::1:2:3', ip: (n) => `2001:db8::${n.toString(16)}`,
    otherQuerier: 'fe80::100', ownQuerier: 'fe80::254',
  },
];
