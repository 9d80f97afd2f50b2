// Timer values (RFC 3376 §8 / RFC 2236 §8 names, milliseconds) and a small deadline queue.
//
// The engine never reads a clock: every entry point receives `now` (ms, monotonic) and the queue
// says when the next thing is due. All values below are in milliseconds unless the name says otherwise.

import type { SnoopingConfig } from './config.js';
import type { PortGroup, SourceRecord } from './membership.js';
import type { VlanQuerier } from './querier.js';
import type { RouterLearning } from './routers.js';

export const SECOND_MS = 1000;
/** Max Resp Times travel in tenths of a second (RFC 2236 §2.2, RFC 3376 §4.1.1). */
export const DECISECOND_MS = 100;

/**
 * The timer values in force for one VLAN. They are the configured values, except that a
 * non-querier adopts the elected querier's QRV and QQI (RFC 3376 §4.1.6, §4.1.7) and then derives the
 * dependent intervals with the §8 formulas.
 */
export interface EffectiveTimers {
  /** Robustness Variable (§8.1). */
  robustness: number;
  /** Query Interval (§8.2). */
  queryIntervalMs: number;
  /** Query Response Interval (§8.3): Max Resp Time of General Queries. */
  queryResponseIntervalMs: number;
  /** Group Membership Interval (§8.4) = RV × QI + QRI. */
  gmiMs: number;
  /** Other Querier Present Interval (§8.5) = RV × QI + QRI / 2. */
  oqpiMs: number;
  /** Startup Query Interval (§8.6) = QI / 4. */
  startupQueryIntervalMs: number;
  /** Startup Query Count (§8.7) = RV. */
  startupQueryCount: number;
  /** Last Member Query Interval (§8.8): Max Resp Time of group(-and-source)-specific queries. */
  lmqiMs: number;
  /** Last Member Query Count (§8.9) = RV. */
  lmqc: number;
  /** Last Member Query Time (§8.11) = LMQI × LMQC. */
  lmqtMs: number;
  /** Older Host Present Interval (§8.13) = RV × QI + QRI. */
  olderHostPresentMs: number;
  /** How long a learned router port lives without refresh (Linux: the querier interval); at least the adopted OQPI. */
  routerTimeoutMs: number;
}

export function configuredTimers(c: SnoopingConfig): EffectiveTimers {
  return {
    robustness: c.robustness,
    queryIntervalMs: c.queryIntervalMs,
    queryResponseIntervalMs: c.queryResponseIntervalMs,
    gmiMs: c.groupMembershipIntervalMs,
    oqpiMs: c.otherQuerierPresentIntervalMs,
    startupQueryIntervalMs: c.startupQueryIntervalMs,
    startupQueryCount: c.startupQueryCount,
    lmqiMs: c.lastMemberQueryIntervalMs,
    lmqc: c.lastMemberQueryCount,
    lmqtMs: c.lastMemberQueryIntervalMs * c.lastMemberQueryCount,
    olderHostPresentMs: c.olderHostPresentIntervalMs,
    routerTimeoutMs: c.routerTimeoutMs,
  };
}

/** The Robustness Variable and Query Interval a non-querier takes over from a query. */
export interface Adoption {
  robustness: number;
  queryIntervalMs: number;
  /** A value was outside the configured adoption bounds and was clamped to them. */
  bounded: boolean;
}

/**
 * What a non-querier adopts from the elected querier's QRV and QQI.
 * RFC 3376 §4.1.6: "Routers adopt the QRV value from the most recently received Query as their own
 * [Robustness Variable] value, unless that most recently received QRV was zero, in which case the
 * receivers use the default [Robustness Variable] value".
 * RFC 3376 §4.1.7: "Multicast routers that are not the current querier adopt the QQI value from the most
 * recently received Query as their own [Query Interval] value, unless that most recently received QQI
 * was zero, in which case the receiving routers use the default [Query Interval] value."
 * Our addition (README, deviation 18): the adopted values are clamped to the configured adoption bounds.
 */
export function adoption(c: SnoopingConfig, qrv: number, qqiSec: number): Adoption {
  const wantRv = qrv > 0 ? qrv : c.robustness;
  const wantQi = qqiSec > 0 ? qqiSec * SECOND_MS : c.queryIntervalMs;
  const robustness = qrv > 0 ? clamp(wantRv, c.adoptRobustnessMin, c.adoptRobustnessMax) : wantRv;
  const queryIntervalMs = qqiSec > 0 ? clamp(wantQi, c.adoptQueryIntervalMinMs, c.adoptQueryIntervalMaxMs) : wantQi;
  return { robustness, queryIntervalMs, bounded: robustness !== wantRv || queryIntervalMs !== wantQi };
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(Math.max(v, min), Math.max(min, max));
}

/**
 * Timers of a non-querier that adopted the querier's Robustness Variable and Query Interval
 * (see `adoption`). The dependent intervals are then recomputed with the §8 formulas (the QRI and
 * LMQI stay configured), and the router-port timeout follows the adopted OQPI.
 */
export function adoptedTimers(c: SnoopingConfig, qrv: number, qqiSec: number): EffectiveTimers {
  const base = configuredTimers(c);
  const { robustness: rv, queryIntervalMs: qi } = adoption(c, qrv, qqiSec);
  if (rv === base.robustness && qi === base.queryIntervalMs) return base;
  const qri = base.queryResponseIntervalMs;
  return {
    ...base,
    robustness: rv,
    queryIntervalMs: qi,
    gmiMs: rv * qi + qri,
    oqpiMs: rv * qi + qri / 2,
    startupQueryIntervalMs: qi / 4,
    startupQueryCount: rv,
    lmqc: rv,
    lmqtMs: base.lmqiMs * rv,
    olderHostPresentMs: rv * qi + qri,
    // A router port learned from the querier must outlive its query cycle: never shorter than the
    // adopted Other Querier Present Interval (else, with a QQI above ~255 s, the port expires for part
    // of every cycle), never shorter than configured (it also times PIM and MRD learnings).
    routerTimeoutMs: Math.max(base.routerTimeoutMs, rv * qi + qri / 2),
  };
}

// ---------------------------------------------------------------------------------------------
// Deadline queue

/** What a timer belongs to; the engine dispatches on it. */
export const TimerKind = {
  Source: 0,        // owner: SourceRecord — RFC 3376 §6.3 source timer
  Group: 1,         // owner: PortGroup — §6.2.2 group timer
  Rexmit: 2,        // owner: PortGroup — §6.6.3 group(-and-source)-specific query retransmissions
  V1Host: 3,        // owner: PortGroup — §7.3.2 IGMPv1 Host Present timer
  V2Host: 4,        // owner: PortGroup — §7.3.2 IGMPv2 Host Present timer
  GeneralQuery: 5,  // owner: VlanQuerier — own General Query (§6.1 / RFC 2236 §3)
  OtherQuerier: 6,  // owner: VlanQuerier — Other Querier Present timer (§6.6.2)
  ProxyQuerier: 7,  // owner: VlanQuerier — a 0.0.0.0 querier was heard recently
  Router: 8,        // owner: RouterLearning — learned router port
  Policy: 9,        // owner: engine — end of the startup flood window
  Solicit: 10,      // owner: engine — MRD solicitation at start
} as const;
export type TimerKind = (typeof TimerKind)[keyof typeof TimerKind];

/**
 * "Not running" / "not queued". Times are finite (the engine refuses a non-finite `now`), and may be
 * negative (the daemon restores at now − downtime), so the sentinel is one no time can equal.
 */
export const STOPPED = -Infinity;

/** The owner of each kind of timer: what the engine acts on when it fires. */
export interface TimerOwners {
  [TimerKind.Source]: SourceRecord;
  [TimerKind.Group]: PortGroup;
  [TimerKind.Rexmit]: PortGroup;
  [TimerKind.V1Host]: PortGroup;
  [TimerKind.V2Host]: PortGroup;
  [TimerKind.GeneralQuery]: VlanQuerier;
  [TimerKind.OtherQuerier]: VlanQuerier;
  [TimerKind.ProxyQuerier]: VlanQuerier;
  [TimerKind.Router]: RouterLearning;
  /** Engine timers: the engine itself acts, no owner. */
  [TimerKind.Policy]: null;
  [TimerKind.Solicit]: null;
}

/**
 * A restartable timer: its due time, and what it belongs to (kind and owner). `due` is the absolute expiry (ms) or
 * STOPPED. Created once per owner and re-armed; never shared.
 *
 * An owner that every membership has is its own timer instead of holding one (PortGroup is its §6.2.2 group timer,
 * SourceRecord its §6.3 source timer): it extends TimerBase and answers `kind` and `owner` from its prototype, so
 * the timer costs two fields rather than an object of four (issue 12, item 5).
 */
export abstract class TimerBase<K extends TimerKind = TimerKind> {
  /** Absolute expiry time in ms, or STOPPED. */
  due = STOPPED;
  /** Time of this timer's live entry in the heap, or STOPPED (internal to DeadlineQueue). */
  queued = STOPPED;
  abstract readonly kind: K;
  abstract readonly owner: TimerOwners[K];

  get running(): boolean {
    return this.due !== STOPPED;
  }

  /** Milliseconds left at `now` (0 when stopped or past due). */
  remaining(now: number): number {
    return this.due === STOPPED ? 0 : Math.max(0, this.due - now);
  }
}

/** A timer held by its owner. */
export class Timer<K extends TimerKind = TimerKind> extends TimerBase<K> {
  constructor(readonly kind: K, readonly owner: TimerOwners[K]) {
    super();
  }
}

/** Any timer, as a union over its kind: a `switch (t.kind)` narrows `t.owner` to that kind's owner. */
export type AnyTimer = { [K in TimerKind]: TimerBase<K> }[TimerKind];

/**
 * Min-heap of deadlines with lazy re-arming: pushing later deadlines does not add heap entries;
 * a timer that was postponed is re-queued when its old entry surfaces. So a membership timer
 * refreshed by every report costs O(1), and the heap holds about one entry per running timer.
 * Ties are broken by insertion order, so runs are deterministic.
 *
 * The heap is three parallel arrays (due time, sequence number, timer) rather than an entry object each: one
 * object less per running timer (issue 12, item 5).
 */
export class DeadlineQueue {
  /** Heap entry i: due time ats[i], tie-break seqs[i], timer timers[i]. */
  private ats: number[] = [];
  private seqs: number[] = [];
  private timers: AnyTimer[] = [];
  private seq = 0;
  /** Running timers that have a heap entry; the rest of the heap is stale. */
  private useful = 0;

  /** Start or restart `t` to expire at `due`. */
  arm(t: AnyTimer, due: number): void {
    if (!Number.isFinite(due)) throw new RangeError(`timer due time must be finite, got ${due}`);
    if (!(t.queued !== STOPPED && t.due !== STOPPED)) this.useful++;
    t.due = due;
    if (t.queued === STOPPED || due < t.queued) {
      t.queued = due;
      this.push(due, t);
    }
  }

  /** Stop `t`; its heap entry is dropped when it surfaces or at the next compaction. */
  stop(t: AnyTimer): void {
    if (t.queued !== STOPPED && t.due !== STOPPED) this.useful--;
    t.due = STOPPED;
    // Stopped timers of deleted memberships would otherwise stay in the heap until their old due
    // time (up to a GMI away): with join/leave churn the heap would grow by the churn rate × GMI.
    if (this.ats.length > 1024 && this.ats.length > 4 * this.useful) this.compact();
  }

  /** Earliest due time of a running timer, or Infinity. */
  next(): number {
    for (;;) {
      if (this.ats.length === 0) return Infinity;
      const at = this.ats[0]!;
      const t = this.timers[0]!;
      if (at !== t.queued) { this.pop(); continue; }
      if (t.due === STOPPED) { this.pop(); t.queued = STOPPED; continue; }
      if (t.due > at) { this.pop(); t.queued = t.due; this.push(t.due, t); continue; }
      return at;
    }
  }

  /**
   * The next timer whose due time is ≤ now, stopped (due = STOPPED) before it is returned so the handler
   * may re-arm it; null when nothing is due. Timers come out in due-time order.
   */
  popDue(now: number): { timer: AnyTimer; at: number } | null {
    for (;;) {
      if (this.ats.length === 0 || this.ats[0]! > now) return null;
      const entryAt = this.ats[0]!;
      const t = this.timers[0]!;
      this.pop();
      if (entryAt !== t.queued) continue;    // superseded by an earlier entry
      t.queued = STOPPED;
      if (t.due === STOPPED) continue;       // stopped
      if (t.due > entryAt) {                 // postponed while queued: re-queue at the real time
        t.queued = t.due;                    // (if that is ≤ now it surfaces again, in time order)
        this.push(t.due, t);
        continue;
      }
      const at = t.due;
      t.due = STOPPED;
      this.useful--;
      return { timer: t, at };
    }
  }

  /** Heap entries, live or stale (for tests and the benchmark). */
  get size(): number {
    return this.ats.length;
  }

  /** Drop stale entries and rebuild the heap: O(n), after at least 3n/4 stops, so O(1) amortised. */
  private compact(): void {
    const kept: number[] = [];
    for (let i = 0; i < this.ats.length; i++) {
      const t = this.timers[i]!;
      if (this.ats[i] !== t.queued) continue;
      if (t.due === STOPPED) { t.queued = STOPPED; continue; }
      kept.push(i);
    }
    kept.sort((a, b) => this.ats[a]! - this.ats[b]! || this.seqs[a]! - this.seqs[b]!);
    // A sorted array is a heap.
    this.ats = kept.map((i) => this.ats[i]!);
    this.seqs = kept.map((i) => this.seqs[i]!);
    this.timers = kept.map((i) => this.timers[i]!);
  }

  private less(i: number, j: number): boolean {
    const a = this.ats[i]!;
    const b = this.ats[j]!;
    return a < b || (a === b && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    const at = this.ats[i]!;
    this.ats[i] = this.ats[j]!;
    this.ats[j] = at;
    const seq = this.seqs[i]!;
    this.seqs[i] = this.seqs[j]!;
    this.seqs[j] = seq;
    const t = this.timers[i]!;
    this.timers[i] = this.timers[j]!;
    this.timers[j] = t;
  }

  private push(at: number, t: AnyTimer): void {
    this.ats.push(at);
    this.seqs.push(this.seq++);
    this.timers.push(t);
    let i = this.ats.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private pop(): void {
    const at = this.ats.pop()!;
    const seq = this.seqs.pop()!;
    const t = this.timers.pop()!;
    const n = this.ats.length;
    if (n === 0) return;
    this.ats[0] = at;
    this.seqs[0] = seq;
    this.timers[0] = t;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}
