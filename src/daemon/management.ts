// The management API (src/mgmt/api.ts) over a running Switch: read-only views of the engine and the data plane,
// trace, reload. Everything here is on demand; nothing runs per packet.

import type { CounterSnapshot } from '../dataplane/core.js';
import type { FdbEntry, TraceDecision } from '../dataplane/core.js';
import type { PortStats } from '../io/packet-addon.js';
import { count, type ControlFrame, type FdbRow, type GroupRow, type ManagementApi, type PortRow, type QuerierView,
  type ReloadResult, type RouterRow, type StatsView, type TraceParams, type TraceResult } from '../mgmt/api.js';
import type { MetricsSnapshot } from '../mgmt/metrics.js';
import { buildIpv4Frame } from '../wire/control-frame.js';
import { ipv4ToU32 } from '../wire/common.js';
import { monotonicMs, type Switch } from './switch.js';

export interface DataplaneCounters {
  core: CounterSnapshot;
  io: Record<number, PortStats>;
}

export class SwitchManagement implements ManagementApi {
  constructor(private readonly sw: Switch, private readonly reloadConfig: () => Promise<ReloadResult>,
    private readonly version: string) {}

  /** Brings the engine's timers up to now, so views show current remaining times. */
  private engine() {
    this.sw.tick();
    return this.sw.engine;
  }

  private counters(): Promise<DataplaneCounters> {
    return this.sw.dataplane.counters<DataplaneCounters>();
  }

  async groups(): Promise<GroupRow[]> {
    const rows: GroupRow[] = [];
    for (const g of this.engine().groups()) {
      for (const p of g.ports) {
        rows.push({
          vlan: g.vlan, group: g.group, port: p.portName, mode: p.mode, version: p.compat,
          timerMs: p.mode === 'exclude' ? Math.round(p.groupTimerMs) : null,
          sources: p.sources.map((s) => ({ address: s.address, timerMs: s.forwarding ? Math.round(s.timerMs) : null, blocked: !s.forwarding })),
          hosts: p.hosts, static: false,
        });
      }
      for (const s of g.static) {
        rows.push({
          vlan: g.vlan, group: g.group, port: s.portName, mode: s.source ? 'include' : 'exclude', version: 3,
          timerMs: null, sources: s.source ? [{ address: s.source, timerMs: null, blocked: false }] : [], hosts: [], static: true,
        });
      }
    }
    return rows;
  }

  async ports(): Promise<PortRow[]> {
    const c = await this.counters();
    const routers = new Set(this.engine().routers().map((r) => r.port));
    const groupsPerPort = new Map<number, number>();
    for (const g of this.sw.engine.groups()) for (const p of g.ports) groupsPerPort.set(p.port, (groupsPerPort.get(p.port) ?? 0) + 1);
    return this.sw.config.ports.map((p) => {
      const index = this.sw.portIndex.get(p.name)!;
      const pc = c.core.ports[index]!;
      const drops = Object.values(pc.drops).reduce((a, b) => a + b, 0);
      return {
        index, name: p.name, up: this.sw.linkUp.get(index) ?? false, router: p.router, isRouter: routers.has(index),
        fastLeave: p.fast_leave, floodAll: p.flood_all, floodReports: p.flood_reports,
        groups: groupsPerPort.get(index) ?? 0,
        rxFrames: count(pc.rx_frames), rxBytes: count(pc.rx_bytes), txFrames: count(pc.tx_frames), txBytes: count(pc.tx_bytes),
        drops: count(drops),
      };
    });
  }

  async routers(): Promise<RouterRow[]> {
    const rows: RouterRow[] = [];
    for (const r of this.engine().routers()) {
      if (r.static) rows.push({ port: r.portName, vlan: 0, source: 'static', address: '', expiresInMs: null });
      for (const l of r.learned) {
        rows.push({ port: r.portName, vlan: l.vlan, source: l.via, address: l.address, expiresInMs: Math.round(l.expiresInMs) });
      }
    }
    return rows;
  }

  async querier(): Promise<QuerierView> {
    const e = this.engine();
    const q = e.querier().find((v) => v.vlan === 0) ?? e.querier()[0];
    const cfg = this.sw.config.snooping;
    const policy = e.stats().policy;
    const other = q?.other ?? null;
    return {
      enabled: cfg.querier.enabled, address: cfg.querier.address, version: cfg.querier.version,
      state: !cfg.querier.enabled ? 'disabled' : q?.role === 'querier' ? 'querier' : 'non-querier',
      elected: other ? { address: other.address, port: other.portName, expiresInMs: Math.round(other.expiresInMs) }
        : q?.role === 'querier' ? { address: cfg.querier.address, port: '(this switch)', expiresInMs: 0 } : null,
      robustness: cfg.robustness, queryIntervalMs: cfg.query_interval,
      snoopingActive: cfg.enabled && policy?.mode === 'snoop', mode: policy?.mode ?? 'flood', reason: policy?.reason ?? 'starting',
    };
  }

  async fdb(): Promise<FdbRow[]> {
    const entries = await this.sw.dataplane.fdb<FdbEntry[]>();
    return entries.map((e) => ({ vlan: e.vlan, mac: e.mac, port: this.sw.portName(e.port), ageMs: e.ageMs }));
  }

  async stats(): Promise<StatsView> {
    const c = await this.counters();
    const ports = this.sw.config.ports.map((p) => {
      const index = this.sw.portIndex.get(p.name)!;
      const pc = c.core.ports[index]!;
      const io = c.io[index];
      const counters: Record<string, ReturnType<typeof count>> = {
        rx_frames: count(pc.rx_frames), rx_bytes: count(pc.rx_bytes), tx_frames: count(pc.tx_frames), tx_bytes: count(pc.tx_bytes),
      };
      for (const [k, v] of Object.entries(pc.drops)) if (v) counters[`drop_${k}`] = count(v);
      for (const [k, v] of Object.entries(pc.messages)) if (v) counters[`msg_${k}`] = count(v);
      for (const [k, v] of Object.entries(pc.events)) if (v) counters[`event_${k}`] = count(v);
      if (io) {
        for (const k of ['rxTruncated', 'rxErrors', 'rxDown', 'txDrops', 'txErrors', 'txDown', 'kernelDrops'] as const) {
          if (io[k]) counters[`io_${k}`] = count(io[k]);
        }
      }
      return { name: p.name, counters };
    });
    const engine: Record<string, ReturnType<typeof count>> = {};
    const s = this.engine().stats();
    for (const [k, v] of Object.entries(s.rx)) engine[`rx_${k}`] = v;
    for (const [k, v] of Object.entries(s.tx)) engine[`tx_${k}`] = v;
    for (const [k, v] of Object.entries(s.rejects)) if (v) engine[`reject_${k}`] = v;
    engine.groups = s.groups;
    engine.memberships = s.memberships;
    engine.mdb_entries = s.mdbEntries;
    engine.mdb_pending_groups = s.mdbPendingGroups;
    engine.router_ports = s.routerPorts;
    const drops: Record<string, ReturnType<typeof count>> = {};
    for (const [k, v] of Object.entries(c.core.totals.drops)) drops[k] = count(v);
    const messages: Record<string, ReturnType<typeof count>> = {};
    for (const [k, v] of Object.entries(c.core.messages)) messages[k] = count(v);
    return { ports, drops, messages, engine };
  }

  async trace(params: TraceParams): Promise<TraceResult> {
    const inIndex = this.sw.portIndex.get(params.in);
    if (inIndex === undefined) throw new Error(`no port named ${params.in} (ports: ${[...this.sw.portIndex.keys()].join(', ')})`);
    const g = ipv4ToU32(params.dst);
    if (g === null) throw new Error(`--dst ${params.dst} is not an IPv4 address`);
    const src = params.src ?? '192.0.2.100';
    if (ipv4ToU32(src) === null) throw new Error(`--src ${src} is not an IPv4 address`);
    const vlan = params.vlan ?? 0;
    if (!Number.isInteger(vlan) || vlan < 0 || vlan > 4094) throw new Error(`--vlan ${vlan} is not a VLAN id (0-4094)`);
    const frame = syntheticUdpFrame(src, params.dst, vlan);
    const d = await this.sw.dataplane.trace<TraceDecision>(inIndex, frame);
    const e = this.engine();
    const group = e.groups().find((x) => x.vlan === vlan && x.group === params.dst);
    const routers = new Set(e.routers().map((r) => r.port));
    const egress = BigInt(d.ports);
    const ports = this.sw.config.ports.map((p) => {
      const index = this.sw.portIndex.get(p.name)!;
      const out = ((egress >> BigInt(index)) & 1n) === 1n;
      return { name: p.name, egress: out, why: portWhy(index, out, inIndex, d, group, routers, p, this.sw.linkUp.get(index) ?? false, src) };
    });
    const verdict: TraceResult['verdict'] = d.action === 'drop' ? 'drop' : d.action === 'punt' ? 'punt' : 'forward';
    const key = d.table === 'mdb-sg' ? { vlan, group: params.dst, source: src }
      : d.table === 'mdb-g' ? { vlan, group: params.dst, source: null } : null;
    return { verdict, ...(d.action === 'drop' ? { reason: d.reason } : {}), matched: { table: d.table, key }, ports };
  }

  reload(): Promise<ReloadResult> {
    return this.reloadConfig();
  }

  subscribeControl(onFrame: (frame: ControlFrame) => void): () => void {
    return this.sw.tap(onFrame);
  }

  /** What a Prometheus scrape shows. */
  async metrics(): Promise<MetricsSnapshot> {
    const c = await this.counters();
    const e = this.engine();
    const routers = new Set(e.routers().map((r) => r.port));
    const groupsPerPort = new Map<number, number>();
    for (const g of e.groups()) for (const p of g.ports) groupsPerPort.set(p.port, (groupsPerPort.get(p.port) ?? 0) + 1);
    const s = e.stats();
    const q = await this.querier();
    const igmp: { direction: 'rx' | 'tx'; type: 'query' | 'report' | 'leave'; version: 1 | 2 | 3; count: number }[] = [];
    const m = c.core.messages;
    const add = (direction: 'rx' | 'tx', type: 'query' | 'report' | 'leave', version: 1 | 2 | 3, v: number | undefined) => {
      igmp.push({ direction, type, version, count: v ?? 0 });
    };
    add('rx', 'query', 1, m.igmp_v1_query); add('rx', 'query', 2, m.igmp_v2_query); add('rx', 'query', 3, m.igmp_v3_query);
    add('rx', 'report', 1, m.igmp_v1_report); add('rx', 'report', 2, m.igmp_v2_report); add('rx', 'report', 3, m.igmp_v3_report);
    add('rx', 'leave', 2, m.igmp_v2_leave);
    const tx = s.tx as Record<string, number>;
    add('tx', 'query', 2, tx.v2_query ?? tx.query_v2); add('tx', 'query', 3, tx.v3_query ?? tx.query_v3);
    return {
      ports: this.sw.config.ports.map((p) => {
        const index = this.sw.portIndex.get(p.name)!;
        const pc = c.core.ports[index]!;
        return {
          name: p.name, up: this.sw.linkUp.get(index) ?? false, rxFrames: pc.rx_frames, rxBytes: pc.rx_bytes,
          txFrames: pc.tx_frames, txBytes: pc.tx_bytes, drops: pc.drops, groups: groupsPerPort.get(index) ?? 0,
          router: routers.has(index),
        };
      }),
      igmp,
      querier: {
        state: q.state === 'querier' ? 'self' : q.elected ? 'other' : 'none',
        address: q.state === 'querier' ? q.address : q.elected?.address ?? null,
        port: q.state === 'querier' ? null : q.elected?.port ?? null,
        version: q.state === 'querier' ? q.version : (e.querier()[0]?.other?.version ?? null),
      },
      engineRejects: s.rejects,
      mdbEntries: s.mdbEntries,
      uptimeSeconds: Math.round((monotonicMs() - this.sw.startedAt) / 1000),
      version: this.version,
    };
  }
}

/** A UDP datagram from `src` to `dst`, as a host on the ingress port would send it (for trace only). */
function syntheticUdpFrame(src: string, dst: string, vlan: number): Uint8Array {
  const udp = new Uint8Array(8 + 18);
  udp[0] = 0x13; udp[1] = 0x88; udp[2] = 0x13; udp[3] = 0x88; udp[5] = udp.length;
  return buildIpv4Frame({ srcMac: '02:00:00:00:00:fe', src, dst, vlan, ttl: 16, routerAlert: false, protocol: 17, payload: udp });
}

type GroupLike = { ports: { port: number; mode: 'include' | 'exclude'; sources: { address: string; forwarding: boolean }[] }[];
  static: { port: number; source: string | null }[] } | undefined;

function portWhy(index: number, out: boolean, inIndex: number, d: TraceDecision, group: GroupLike, routers: Set<number>,
  p: { flood_all: boolean; flood_unregistered: boolean }, up: boolean, src: string): string {
  if (index === inIndex) return 'ingress port (never sent back)';
  if (!up) return 'port is down';
  const member = group?.ports.find((x) => x.port === index);
  const stat = group?.static.find((x) => x.port === index);
  if (out) {
    if (d.table === 'link-local') return 'link-local group 224.0.0.x: flooded to all ports (RFC 4541 2.1.2(2))';
    if (d.table === 'flood-mode') return 'snooping is not filtering now (no querier / start-up grace): flooded';
    if (member?.mode === 'exclude') return `member in EXCLUDE mode${member.sources.length ? ' (source not excluded)' : ''}`;
    if (member?.mode === 'include') return `member in INCLUDE mode with source ${src}`;
    if (stat) return 'static group';
    if (routers.has(index)) return 'router port (receives all snooped multicast, RFC 4541 2.1.2(1))';
    if (p.flood_all) return 'flood_all port';
    if (d.table === 'unregistered') return 'unregistered group flooded (policy flood)';
    return 'forwarded';
  }
  if (d.action === 'drop') return `frame dropped: ${d.reason}`;
  if (member?.mode === 'include') return `member in INCLUDE mode, but not for source ${src}`;
  if (member?.mode === 'exclude') return `member in EXCLUDE mode that excludes source ${src}`;
  if (d.table === 'unregistered') return `unregistered group: ${p.flood_unregistered ? 'policy sends it to router ports only' : 'flood_unregistered is off on this port'}`;
  return 'not a member of this group';
}
