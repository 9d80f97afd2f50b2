// The table actions "Send Q(G)" and "Send Q(G,X)" of RFC 3376 §6.4 (RFC 3810 §7.4): what they mean depends on who
// queries this port, and on a fast-leave port on its host table (hosts.ts).

import type { EngineCore } from './core.js';
import { alive, deletePortGroup } from './lifecycle.js';
import { groupExpired, lowerGroupTimer, lowerSourceTimers, type PortGroup, sourceExpired } from './membership.js';

/**
 * What "Send Q(G)" means depends on who queries this port:
 *   fast-leave port whose host table has heard every host: no query; if no tracked host still wants
 *     EXCLUDE mode, the group timer expires now (§6.5 transition), else nothing;
 *   (a fast-leave port whose host table is still incomplete is handled like any other port:)
 *   we are the querier: §6.6.3.1 (lower the group timer to LMQT, send LMQC queries LMQI apart);
 *   another querier is present: nothing — its Q(G) arrives and lowers our timer (§6.6.1);
 *   no querier at all: lower the group timer to LMQT as if the query had been sent (Linux does too).
 */
export function actionSendGroupQuery(e: EngineCore, pg: PortGroup): void {
  const pc = e.portCfg.get(pg.port);
  const vlan = pg.group.vlan;
  if (pc?.fastLeave && pg.hosts?.complete(e.now)) {
    e.deferred.push(() => {
      if (!alive(e, pg) || pg.mode !== 'exclude' || pg.hosts === null) return;
      if (hostsWantExclude(e, pg)) return;
      e.setCtx(pg);
      if (groupExpired(e.mctx, pg)) deletePortGroup(e, pg, 'fast-leave');
    });
    return;
  }
  if (e.querier.isQuerier(vlan)) e.querier.groupQuery(pg);
  else if (!e.querier.otherPresent(vlan)) lowerGroupTimer(e.mctx, pg, e.timers(vlan).lmqtMs);
}

/** "Send Q(G,X)", with the same four cases as above, per source. */
export function actionSendGroupSourceQuery(e: EngineCore, pg: PortGroup, sources: string[]): void {
  if (sources.length === 0) return;
  const pc = e.portCfg.get(pg.port);
  const vlan = pg.group.vlan;
  if (pc?.fastLeave && pg.hosts?.complete(e.now)) {
    e.deferred.push(() => {
      if (!alive(e, pg) || pg.hosts === null) return;
      const gmi = e.timers(vlan).gmiMs;
      for (const s of sources) {
        const rec = pg.sources.get(s);
        if (rec === undefined || !rec.timer.running || pg.hosts.wantsSource(s, e.now, gmi)) continue;
        e.queue.stop(rec.timer);
        e.setCtx(pg);
        if (sourceExpired(e.mctx, rec)) { deletePortGroup(e, pg, 'fast-leave'); return; }
      }
    });
    return;
  }
  if (e.querier.isQuerier(vlan)) e.querier.sourceQuery(pg, sources);
  else if (!e.querier.otherPresent(vlan)) lowerSourceTimers(e.mctx, pg, sources, e.timers(vlan).lmqtMs);
}

/** Run the fast-leave work queued while a record was applied. */
export function runDeferred(e: EngineCore): void {
  if (e.deferred.length === 0) return;
  const actions = e.deferred;
  e.deferred = [];
  for (const a of actions) a();
}

function hostsWantExclude(e: EngineCore, pg: PortGroup): boolean {
  const hosts = pg.hosts!;
  hosts.prune(e.now, e.timers(pg.group.vlan).gmiMs);
  if (hosts.overflow || !hosts.complete(e.now)) return true;
  return hosts.anyExclude();
}
