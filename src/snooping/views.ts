// Management views (show groups | routers | querier | stats).

import { compatMode } from './compat.js';
import { type EngineCore, splitKey } from './core.js';
import { groupKey } from './membership.js';
import type { GroupView, PortGroupView, EngineQuerierView, RouterView, EngineStatsView } from './public-types.js';

/**
 * show groups, one group's view at a time, sorted by VLAN then address. Lazy, so that a large table is not held as
 * views all at once (with 100 k groups per family the array of views and its rows were ~65 MB of garbage: issue 12,
 * item 5): only the sorted keys are built up front. A group that changes while the views are taken is shown as it is
 * when its turn comes.
 */
export function* groupViews(e: EngineCore): Generator<GroupView> {
  // Parallel arrays and an index sort: no object per group (in VLAN 0 the key is the address: no string either).
  const keys: string[] = [];
  for (const key of e.groups.keys()) keys.push(key);
  for (const key of e.statics.keys()) if (!e.groups.has(key)) keys.push(key);
  const vlans = new Uint16Array(keys.length);
  const addresses: string[] = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) [vlans[i], addresses[i]] = splitKey(keys[i]!);
  const order = Uint32Array.from(keys.keys()).sort((a, b) => vlans[a]! - vlans[b]! || e.family.compare(addresses[a]!, addresses[b]!));
  for (const i of order) yield groupView(e, vlans[i]!, addresses[i]!, keys[i]!);
}

export function groupsView(e: EngineCore): GroupView[] {
  return [...groupViews(e)];
}

function groupView(e: EngineCore, vlan: number, group: string, key: string): GroupView {
  const now = e.now;
  const g = e.groups.get(key);
  const st = e.statics.get(key);
  const ports: PortGroupView[] = g === undefined ? [] : [...g.ports.values()].sort((a, b) => a.port - b.port).map((pg) => ({
    port: pg.port,
    portName: e.portName(pg.port),
    mode: pg.mode,
    compat: compatMode(pg),
    groupTimerMs: pg.mode === 'exclude' ? pg.groupTimer.remaining(now) : 0,
    sources: [...pg.sources.values()].map((s) => ({ address: s.address, timerMs: s.timer.remaining(now), forwarding: s.timer.running }))
      .sort((a, b) => e.family.compare(a.address, b.address)),
    hosts: pg.heardHosts(now, e.timers(pg.group.vlan).gmiMs),
  }));
  const stat: GroupView['static'] = [];
  for (const s of e.config.staticGroups) {
    if (groupKey(s.vlan, s.group) === key && e.portCfg.has(s.port)) stat.push({ port: s.port, portName: e.portName(s.port), source: s.source });
  }
  return { vlan, group, ports, static: st ? stat : [] };
}

export function routersView(e: EngineCore): RouterView[] {
  const now = e.now;
  const byPort = new Map<number, RouterView>();
  const view = (port: number): RouterView => {
    let v = byPort.get(port);
    if (v === undefined) {
      v = { port, portName: e.portName(port), static: e.routerPorts.isStatic(port), learned: [] };
      byPort.set(port, v);
    }
    return v;
  };
  for (const p of e.portCfg.values()) if (p.router === 'static') view(p.index);
  for (const l of e.routerPorts.learnings()) {
    view(l.port).learned.push({ via: l.via, vlan: l.vlan, address: l.address, expiresInMs: l.timer.remaining(now) });
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

export function querierView(e: EngineCore): EngineQuerierView[] {
  const now = e.now;
  const c = e.config;
  return [...e.querier.vlans.values()].sort((a, b) => a.vlan - b.vlan).map((vq) => ({
    family: e.family.ip,
    vlan: vq.vlan,
    role: vq.role,
    own: {
      enabled: e.querier.ownEnabled(), address: c.querier.address, version: c.querier.version,
      nextQueryInMs: vq.generalTimer.running ? vq.generalTimer.remaining(now) : null, startupLeft: vq.startupLeft,
    },
    other: vq.other === null ? null : {
      address: vq.other.address, port: vq.other.port, portName: e.portName(vq.other.port), version: vq.other.version,
      expiresInMs: vq.otherTimer.remaining(now), qrv: vq.other.qrv, qqiSec: vq.other.qqiSec,
    },
    proxyPresent: vq.proxyTimer.running,
    timers: { ...vq.timers },
  }));
}

export function statsView(e: EngineCore): EngineStatsView {
  const c = e.counters;
  return {
    rx: { ...c.rx },
    tx: { ...c.tx },
    rejects: { ...c.rejects },
    decodeErrors: { ...c.decodeErrors },
    groups: e.groups.size,
    memberships: e.limits.overall,
    mdbEntries: e.mdb.sizes().entries,
    mdbPendingGroups: e.mdb.pendingCount,
    routerPorts: popcount(e.routerPorts.mask()),
    policy: e.policy === null ? null : { mode: e.policy.mode, unregistered: e.policy.unregistered, reason: e.policy.reason },
  };
}

function popcount(m: bigint): number {
  let n = 0;
  for (; m !== 0n; m &= m - 1n) n++;
  return n;
}
