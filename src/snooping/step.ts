// The step machinery. Each entry point is one step: `enter` runs the timers that are due, the entry point does its
// work, `leave` hands all table changes of the step to `tables.apply` in one call and returns the next deadline.

import { buildMrdSolicitationFrame } from '../wire/control-frame.js';
import { type EngineCore, splitKey } from './core.js';
import { desiredEntries } from './forwarding.js';
import { alive, deletePortGroup, logCompat } from './lifecycle.js';
import { groupExpired, sourceExpired } from './membership.js';
import { syncPolicy, syncPortFlags } from './policy-sync.js';
import { configureRouters, syncRouterPorts } from './router-sync.js';
import { loadStatics } from './statics.js';
import { type AnyTimer, TimerKind } from './timers.js';

export function enter(e: EngineCore, now: number): void {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite number, got ${now}`);
  if (!e.started) {
    e.started = true;
    e.now = now;
    e.startedAt = now;
    start(e);
  }
  runTimers(e, Math.max(now, e.now));
}

export function leave(e: EngineCore): number {
  runTimers(e, e.now); // timers armed at `now` during this step (a new VLAN's first query)
  const refusedBefore = e.mdb.refusals;
  for (const key of e.dirty) syncMdb(e, key);
  e.dirty.clear();
  // Entries refused for want of space are installed as soon as others are freed, oldest first.
  if (e.mdb.pendingCount > 0 && e.mdb.hasRoom()) {
    for (const key of e.mdb.pendingKeys()) {
      if (!e.mdb.hasRoom()) break;
      syncMdb(e, key);
    }
  }
  noteMdbBudget(e, e.mdb.refusals - refusedBefore);
  syncRouterPorts(e);
  syncPolicy(e);
  syncPortFlags(e);
  if (e.pending.length > 0) {
    const list = e.pending;
    e.pending = [];
    e.tables.apply(list);
  }
  return e.queue.next();
}

export function runTimers(e: EngineCore, now: number): void {
  for (;;) {
    const item = e.queue.popDue(now);
    if (item === null) break;
    e.now = item.at;
    fire(e, item.timer);
  }
  e.now = now;
}

function syncMdb(e: EngineCore, key: string): void {
  const g = e.groups.get(key);
  // The group's own fields when it has a GroupState (in VLAN 0, the usual case, its address is its key: no string is
  // cut per report).
  let vlan: number, group: string;
  if (g !== undefined) { vlan = g.vlan; group = g.address; } else [vlan, group] = splitKey(key);
  e.mdb.sync(key, vlan, group, desiredEntries(g, e.statics.get(key)?.ports), e.pending, g);
}

/** Count refused entries; log when the MDB first refuses one and when everything is installed again. */
function noteMdbBudget(e: EngineCore, refused: number): void {
  e.counters.rejects['mdb-full'] += refused;
  if (refused > 0 && !e.mdbFullLogged) {
    e.mdbFullLogged = true;
    e.log({ type: 'mdb-full', capacity: e.mdb.capacity, state: 'full' });
  } else if (e.mdbFullLogged && e.mdb.pendingCount === 0) {
    e.mdbFullLogged = false;
    e.log({ type: 'mdb-full', capacity: e.mdb.capacity, state: 'recovered' });
  }
}

function start(e: EngineCore): void {
  e.pending.push({ op: 'mdbClear' });
  configureRouters(e);
  loadStatics(e);
  if (e.config.enabled) {
    e.querier.vlan(0);
    // MRD (RFC 4286 §4): a solicitation lets routers announce themselves at once instead of after
    // their next advertisement. Sent once, after a random delay below 1 s so that switches started
    // together do not send in lockstep (our choice; RFC 4286 sets no snooper timing).
    e.queue.arm(e.solicitTimer, e.now + Math.floor(e.random() * 1000));
  }
}

function fire(e: EngineCore, t: AnyTimer): void {
  switch (t.kind) {
    case TimerKind.Source: {
      const rec = t.owner;
      if (!alive(e, rec.pg)) return;
      e.setCtx(rec.pg);
      if (sourceExpired(e.mctx, rec)) deletePortGroup(e, rec.pg, 'expired');
      return;
    }
    case TimerKind.Group: {
      const pg = t.owner;
      if (!alive(e, pg)) return;
      e.setCtx(pg);
      if (groupExpired(e.mctx, pg)) deletePortGroup(e, pg, 'expired');
      return;
    }
    case TimerKind.Rexmit:
      if (alive(e, t.owner)) e.querier.rexmitDue(t.owner);
      return;
    case TimerKind.V1Host:
    case TimerKind.V2Host:
      if (alive(e, t.owner)) logCompat(e, t.owner);
      return;
    case TimerKind.GeneralQuery:
      e.querier.generalQueryDue(t.owner);
      return;
    case TimerKind.OtherQuerier:
      e.querier.otherExpired(t.owner);
      return;
    case TimerKind.ProxyQuerier:
    case TimerKind.Policy:
      return; // the policy is recomputed at the end of the step
    case TimerKind.Router:
      e.routerPorts.forget(t.owner);
      return;
    case TimerKind.Solicit:
      if (e.config.enabled) {
        const ports = e.allPortsMask();
        if (ports !== 0n) {
          e.sendFrame(ports, buildMrdSolicitationFrame({
            srcMac: e.querierMac, src: e.config.querier.address, vlan: 0, family: e.family.ip,
          }), 'mrd_solicitation');
        }
      }
      return;
  }
}
