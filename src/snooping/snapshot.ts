// Snapshot and restore: the membership state, learned router ports and elected queriers as plain JSON (the daemon's
// state file), for a warm restart.

import { compatMode, noteOlderHost } from './compat.js';
import type { PortSnoopingConfig } from './config.js';
import type { EngineCore } from './core.js';
import { HostTable } from './hosts.js';
import { createPortGroup, deletePortGroup } from './lifecycle.js';
import { MAX_HOSTS_PER_PORT_GROUP, MAX_SOURCES_PER_PORT_GROUP } from './limits.js';
import { type FilterMode, SourceRecord } from './membership.js';
import type { LazySnoopingSnapshot, RestoreOptions, SnapshotGroup, SnoopingSnapshot } from './public-types.js';

/** Replace the membership state by `snapshot`; its timers count from `e.now` (the caller has entered the step). */
export function restoreSnapshot(e: EngineCore, snapshot: SnoopingSnapshot, opts: RestoreOptions): void {
  if (snapshot?.version !== 1) throw new TypeError('unsupported snapshot version');
  const gmi = e.timers(0).gmiMs;
  if (opts.downtimeMs !== undefined && opts.downtimeMs >= 0 && opts.downtimeMs < gmi) e.warmStart = true;
  for (const g of [...e.groups.values()]) for (const pg of [...g.ports.values()]) deletePortGroup(e, pg, null);
  const byName = new Map([...e.portCfg.values()].map((p) => [p.name, p] as const));
  const resolve = (index: number, name: string): PortSnoopingConfig | undefined =>
    name ? byName.get(name) : e.portCfg.get(index);
  if (!e.config.enabled) return;
  for (const v of snapshot.vlans) if (Number.isInteger(v) && v >= 0 && v < 4096) e.querier.vlan(v);
  for (const s of snapshot.groups) {
    const pc = resolve(s.port, s.portName);
    if (pc === undefined || !e.validGroup(s.group, false)) continue;
    if (!Number.isInteger(s.vlan) || s.vlan < 0 || s.vlan > 4095) continue;
    const pg = createPortGroup(e, s.vlan, s.group, pc, false);
    if (pg === null) continue;
    const at = (ms: number) => e.now + Math.max(0, ms);
    pg.mode = s.mode === 'exclude' ? 'exclude' : 'include';
    if (pg.mode === 'exclude') e.queue.arm(pg.groupTimer, at(s.groupTimerMs));
    if (s.v1HostMs > 0) noteOlderHost(e.queue, pg, 1, e.now, s.v1HostMs);
    if (s.v2HostMs > 0) noteOlderHost(e.queue, pg, 2, e.now, s.v2HostMs);
    pg.loggedCompat = compatMode(pg);
    for (const [address, ms] of s.sources.slice(0, MAX_SOURCES_PER_PORT_GROUP)) {
      if (!e.validSource(address, false)) continue;
      const rec = new SourceRecord(address, pg);
      pg.ownSources().set(address, rec);
      if (ms > 0 || pg.mode === 'include') e.queue.arm(rec.timer, at(ms));
    }
    if (s.hosts.length > 0) {
      const incompleteMs = s.hostsIncompleteMs ?? 0;
      pg.hosts = new HostTable(incompleteMs > 0 ? at(incompleteMs) : -Infinity);
      for (const [host, mode, sources, age] of s.hosts.slice(0, MAX_HOSTS_PER_PORT_GROUP)) {
        pg.hosts.restore(host, mode === 'exclude' ? 'exclude' : 'include', sources, e.now - Math.max(0, age));
      }
      pg.compactHosts();
    }
    if (pg.empty) deletePortGroup(e, pg, null);
  }
  for (const r of snapshot.routers) {
    const pc = resolve(r.port, r.portName);
    if (pc === undefined || pc.router !== 'auto') continue;
    if (e.config.querierGuard && !pc.trusted) continue;
    e.routerPorts.learn(pc.index, r.via, r.vlan, r.address, e.now + Math.max(0, r.remainingMs));
  }
  for (const q of snapshot.queriers ?? []) {
    const pc = resolve(q.port, q.portName);
    if (pc === undefined || !Number.isInteger(q.vlan) || q.vlan < 0 || q.vlan > 4095 || !(q.remainingMs > 0)) continue;
    if (e.config.querierGuard && !pc.trusted) continue;
    const vq = e.querier.vlan(q.vlan);
    e.querier.restoreOther(vq, q, pc.index, e.now + q.remainingMs);
  }
}

/** The membership state as plain JSON (times relative to the last `now` seen). */
export function takeSnapshot(e: EngineCore): SnoopingSnapshot {
  const s = takeSnapshotLazily(e);
  return { ...s, groups: [...s.groups] };
}

/** A snapshot's port-group entries, made one at a time (for the state file: see takeSnapshotLazily). */
function* snapshotGroups(e: EngineCore, now: number): Generator<SnapshotGroup> {
  for (const g of e.groups.values()) {
    for (const pg of g.ports.values()) {
      yield {
        vlan: g.vlan, group: g.address, port: pg.port, portName: e.portName(pg.port), mode: pg.mode,
        groupTimerMs: pg.groupTimer.remaining(now),
        v1HostMs: pg.v1Host?.remaining(now) ?? 0,
        v2HostMs: pg.v2Host?.remaining(now) ?? 0,
        sources: [...pg.sources.values()].map((s) => [s.address, s.timer.remaining(now)] as [string, number]),
        hosts: pg.hostStates().map(([ip, h]) => [ip, h.mode, [...h.sources], now - h.lastSeen] as [string, FilterMode, string[], number]),
        ...(now < pg.hostsCompleteAt ? { hostsIncompleteMs: pg.hostsCompleteAt - now } : {}),
      };
    }
  }
}

/**
 * takeSnapshot with the port-group entries as a generator: the state file writes them one at a time as it makes
 * them (src/mgmt/state-file.ts), so a save with 200 k memberships no longer builds them all first (~40 MB of
 * short-lived objects every few seconds while reports arrive: issue 12, item 5). Taken and written in one go: the
 * entries are as of the call.
 */
export function takeSnapshotLazily(e: EngineCore): LazySnoopingSnapshot {
  const now = e.now;
  const groups = snapshotGroups(e, now);
  const routers = e.routerPorts.learnings().map((l) => ({
    port: l.port, portName: e.portName(l.port), via: l.via, vlan: l.vlan, address: l.address, remainingMs: l.timer.remaining(now),
  }));
  const queriers: NonNullable<SnoopingSnapshot['queriers']> = [];
  for (const vq of e.querier.vlans.values()) {
    const o = vq.other;
    if (o === null) continue;
    queriers.push({
      vlan: vq.vlan, address: o.address, port: o.port, portName: e.portName(o.port), version: o.version,
      qrv: o.qrv, qqiSec: o.qqiSec, maxRespMs: o.maxRespMs, remainingMs: vq.otherTimer.remaining(now),
    });
  }
  return { version: 1, takenAt: now, vlans: [...e.querier.vlans.keys()].sort((a, b) => a - b), groups, routers, queriers };
}
