// Message dispatch: a received control frame goes to the querier (queries), the router ports (queries, PIM Hello,
// MRD) and the membership tables (reports, leaves, records), translated for the port-group's compatibility mode.

import type { ControlFrame } from '../wire/control-frame.js';
import { type GroupRecord, isKnownRecordType } from '../wire/igmp.js';
import { NEIGHBOR_DEAD_INTERVAL_FACTOR } from '../wire/mrd.js';
import { compatMode, noteOlderHost, translateLeave, translateOlderReport, translateRecord, type Translated } from './compat.js';
import type { PortSnoopingConfig } from './config.js';
import type { EngineCore } from './core.js';
import type { SnoopQuery } from './family.js';
import { runDeferred } from './fast-leave.js';
import { alive, createPortGroup, deletePortGroup, findPortGroup, logCompat } from './lifecycle.js';
import { applyRecord, createsState, groupKey, lowerGroupTimer, lowerSourceTimers, type PortGroup } from './membership.js';
import { learnRouter, withdrawRouter } from './router-sync.js';
import { recordCounter } from './stats.js';

export function dispatch(e: EngineCore, msg: ControlFrame, pc: PortSnoopingConfig, vlan: number): void {
  // Messages of the other IP version belong to the other engine (DualStackSnooping routes them there).
  if (msg.family !== e.family.ip) return e.reject(e.family.ip === 4 ? 'ipv6-not-snooped' : 'ipv4-not-snooped');
  switch (msg.kind) {
    case 'igmp':
    case 'mld': {
      const m = e.family.decode(msg);
      if (m === null) return;
      if (typeof m === 'string') return e.reject(m); // RFC 3810 §5.1.14 / §6.2 policing (family.ts)
      e.querier.vlan(vlan);
      if (m.type === 'query') return onQuery(e, m.query, msg.src, pc, vlan);
      // The report rate limit (reportRateLimit) is the data plane's: excess never reaches the engine (assembly/ratelimit.ts).
      switch (m.type) {
        case 'older-report':
          return onOlderReport(e, m.generation, m.group, msg.src, pc, vlan);
        case 'leave':
          return onLeave(e, m.group, msg.src, pc, vlan);
        case 'records':
          for (const rec of m.records) onRecord(e, rec, msg.src, pc, vlan);
          return;
      }
      return;
    }
    case 'pim':
      if (msg.message.type !== 'hello') return;
      e.querier.vlan(vlan);
      // RFC 7761 §4.3.1: a Hello with Holdtime 0 means the neighbor is going away.
      if (msg.message.holdtimeSec === 0) return withdrawRouter(e, pc, 'pim', vlan, msg.src);
      return learnRouter(e, pc, 'pim', vlan, msg.src, e.timers(vlan).routerTimeoutMs);
    case 'mrd': {
      const m = msg.message;
      e.querier.vlan(vlan);
      if (m.type === 'advertisement') {
        // RFC 4286 §3.1.5: NeighborDeadInterval = 3 × AdvertisementInterval.
        const dead = m.advIntervalSec > 0 ? NEIGHBOR_DEAD_INTERVAL_FACTOR * m.advIntervalSec * 1000 : e.timers(vlan).routerTimeoutMs;
        return learnRouter(e, pc, 'mrd', vlan, msg.src, dead);
      }
      if (m.type === 'termination') return withdrawRouter(e, pc, 'mrd', vlan, msg.src);
      return; // solicitations are for routers
    }
  }
}

function onQuery(e: EngineCore, q: SnoopQuery, src: string, pc: PortSnoopingConfig, vlan: number): void {
  // Querier guard: only trusted ports may take part in the election or become router ports.
  if (e.config.querierGuard && !pc.trusted) return e.reject('untrusted');
  const vq = e.querier.vlan(vlan);
  const verdict = e.querier.onQuery(vq, q, src, pc.index);
  if (verdict === 'proxy') return;
  if (verdict === 'invalid-source') return e.reject('invalid-querier');
  if (verdict === 'not-elected') return e.reject('not-elected');
  const t = vq.timers;
  if (pc.router === 'never') e.reject('router-never');
  else e.routerPorts.learn(pc.index, 'query', vlan, src, e.now + t.routerTimeoutMs);
  // RFC 3376 §6.6.1: queries with the S flag clear lower our timers; "When a router sends or receives
  // a query with the Suppress Router-Side Processing flag set, it will not update its timers."
  // LMQT here is LMQC × the query's Max Resp Time (RFC 2236 §3 non-querier rule; the querier's Max
  // Resp Time in a group-specific query is its LMQI, RFC 3376 §8.8).
  if (q.suppress || q.group === e.family.unspecified) return;
  const g = e.groups.get(groupKey(vlan, q.group));
  if (g === undefined) return;
  const lmqt = t.lmqc * (q.maxRespMs > 0 ? q.maxRespMs : t.lmqiMs);
  const ctx = { now: e.now, queue: e.queue };
  for (const pg of g.ports.values()) {
    if (q.sources.length === 0) lowerGroupTimer(ctx, pg, lmqt);           // Q(G): group timer → LMQT
    else lowerSourceTimers(ctx, pg, q.sources, lmqt);                      // Q(G,A): source timers → LMQT
  }
}

/** IGMPv1/v2 Membership Report ≡ IS_EX({}) (RFC 3376 §7.3.2), and (re)starts the Host Present timer. */
function onOlderReport(e: EngineCore, version: 1 | 2, group: string, host: string, pc: PortSnoopingConfig, vlan: number): void {
  if (!e.validGroup(group, true)) return;
  const t = translateOlderReport();
  const pg = findPortGroup(e, vlan, group, pc.index) ?? createPortGroup(e, vlan, group, pc);
  if (pg === null) return;
  noteOlderHost(e.queue, pg, version, e.now, e.timers(vlan).olderHostPresentMs);
  logCompat(e, pg);
  apply(e, pg, pc, host, t);
}

/** IGMPv2 Leave ≡ TO_IN({}), ignored in IGMPv1 compatibility mode (RFC 3376 §7.3.2). */
function onLeave(e: EngineCore, group: string, host: string, pc: PortSnoopingConfig, vlan: number): void {
  if (!e.validGroup(group, true)) return;
  const pg = findPortGroup(e, vlan, group, pc.index);
  if (pg === undefined) return; // INCLUDE({}) + TO_IN({}) = INCLUDE({}): nothing to do
  const t = translateLeave(compatMode(pg));
  if (t === null) return e.reject('compat-ignored');
  apply(e, pg, pc, host, t);
}

function onRecord(e: EngineCore, rec: GroupRecord, host: string, pc: PortSnoopingConfig, vlan: number): void {
  e.counters.rx[recordCounter(rec.recordType)]++;
  // RFC 3376 §4.2.12: records of unknown type are ignored.
  if (!isKnownRecordType(rec.recordType)) return e.reject('unknown-record');
  if (!e.validGroup(rec.group, true)) return;
  const sources = new Set<string>();
  for (const s of rec.sources) if (e.validSource(s, true)) sources.add(s);
  const existing = findPortGroup(e, vlan, rec.group, pc.index);
  const t = translateRecord(compatMode(existing), rec.recordType, sources);
  if (t === null) return e.reject('compat-ignored');
  let pg: PortGroup | null | undefined = existing;
  if (pg === undefined) {
    if (!createsState(t.recordType, t.sources)) return;
    pg = createPortGroup(e, vlan, rec.group, pc);
    if (pg === null) return;
  }
  apply(e, pg, pc, host, t);
}

/** Apply a translated record to `pg`, with host tracking. */
function apply(e: EngineCore, pg: PortGroup, pc: PortSnoopingConfig, host: string, t: Translated): void {
  // Every port tracks its reporting hosts (show groups HOSTS); only fast-leave ports act on them (leave early).
  // A table created over existing members has not heard them yet (hosts.ts): incomplete for a GMI.
  const completeAt = pg.tracksHosts || pg.empty ? -Infinity : e.now + e.timers(pg.group.vlan).gmiMs;
  if (!pg.trackHost(host, t.recordType, t.sources, e.now, completeAt) && pc.fastLeave) e.reject('host-limit');
  e.setCtx(pg);
  applyRecord(e.mctx, pg, t.recordType, t.sources);
  runDeferred(e);
  if (alive(e, pg) && pg.empty) deletePortGroup(e, pg, 'expired');
}
