// Port-group lifecycle: creating a (VLAN, G, port) record under the limits, deleting it (timers stopped, limits and
// MDB updated, logged), and dropping a port's or all membership.

import { compatMode } from './compat.js';
import type { PortSnoopingConfig } from './config.js';
import type { EngineCore } from './core.js';
import { GroupState, groupKey, PortGroup, stopAll } from './membership.js';
import type { LeaveReason } from './public-types.js';

export function findPortGroup(e: EngineCore, vlan: number, group: string, port: number): PortGroup | undefined {
  return e.groups.get(groupKey(vlan, group))?.ports.get(port);
}

export function createPortGroup(e: EngineCore, vlan: number, group: string, pc: PortSnoopingConfig, log = true): PortGroup | null {
  const verdict = e.limits.check(pc.index, pc.maxGroups, e.config.maxGroups);
  if (verdict !== 'ok') {
    e.reject(verdict);
    const global = verdict === 'global-limit';
    if (e.limits.firstRefusal(global ? -1 : pc.index)) {
      e.log({ type: 'limit', scope: global ? 'global' : 'port', port: pc.index, portName: pc.name, limit: global ? e.config.maxGroups : pc.maxGroups });
    }
    return null;
  }
  const key = groupKey(vlan, group);
  let g = e.groups.get(key);
  if (g === undefined) {
    g = new GroupState(vlan, key);
    e.groups.set(key, g);
    e.mdb.takeFor(g);
  }
  const pg = new PortGroup(g, pc.index);
  g.ports.set(pc.index, pg);
  e.limits.add(pc.index);
  e.dirty.add(key);
  if (log && e.logsMembership('join')) e.log({ type: 'join', vlan, group, port: pc.index, portName: pc.name });
  return pg;
}

export function deletePortGroup(e: EngineCore, pg: PortGroup, reason: LeaveReason | null): void {
  const g = pg.group;
  if (g.ports.get(pg.port) !== pg) return;
  stopAll(e.queue, pg);
  for (const rec of pg.sources.values()) rec.queriesLeft = 0;
  g.ports.delete(pg.port);
  if (g.ports.size === 0) {
    e.groups.delete(g.key);
    e.mdb.keepFor(g); // its entries go at the end of the step (dirty)
  }
  e.limits.remove(pg.port);
  e.limits.clearBelow((p) => e.portCfg.get(p)?.maxGroups ?? 0, e.config.maxGroups);
  e.dirty.add(g.key);
  if (reason !== null && e.logsMembership('leave')) e.log({ type: 'leave', vlan: g.vlan, group: g.address, port: pg.port, portName: e.portName(pg.port), reason });
}

/** `pg` is still the record of its (VLAN, G, port) (a timer or deferred action may outlive it). */
export function alive(e: EngineCore, pg: PortGroup): boolean {
  return pg.group.ports.get(pg.port) === pg && e.groups.get(pg.group.key) === pg.group;
}

export function dropPort(e: EngineCore, index: number, name: string): void {
  for (const g of [...e.groups.values()]) {
    const pg = g.ports.get(index);
    if (pg !== undefined) {
      const vlan = g.vlan;
      const group = g.address;
      deletePortGroup(e, pg, null);
      if (e.logsMembership('leave')) e.log({ type: 'leave', vlan, group, port: index, portName: name, reason: 'port-removed' });
    }
  }
  e.routerPorts.forgetPort(index);
}

export function dropAllMembership(e: EngineCore, reason: LeaveReason): void {
  for (const g of [...e.groups.values()]) for (const pg of [...g.ports.values()]) deletePortGroup(e, pg, reason);
  for (const l of e.routerPorts.learnings()) e.routerPorts.forget(l);
}

/** Log the port-group's compatibility mode when it changed (RFC 3376 §7.3.2). */
export function logCompat(e: EngineCore, pg: PortGroup): void {
  const mode = compatMode(pg);
  if (mode !== pg.loggedCompat) {
    pg.loggedCompat = mode;
    if (e.logsMembership('compat')) e.log({ type: 'compat', vlan: pg.group.vlan, group: pg.group.address, port: pg.port, portName: e.portName(pg.port), version: mode });
  }
}
