// Membership state: per (VLAN, group) per port, the IGMPv3 router state of RFC 3376 §6.
//
// A snooping switch treats each port as a router interface: the hosts behind one port form the
// "attached network" whose group record (§6.2.1) we keep. Per port-group:
//   - filter mode INCLUDE or EXCLUDE,
//   - the group timer (§6.2.2, only meaningful in EXCLUDE mode),
//   - source records, each with a source timer (§6.3). Notation of the §6.4 tables:
//       INCLUDE (A):    A = the sources, all with running timers (traffic from A is wanted);
//       EXCLUDE (X, Y): X = sources with running timers ("requested list": still wanted),
//                       Y = sources whose timer is stopped ("exclude list": not wanted).
//
// Forwarding meaning (§6.3 "source timer" table):
//   INCLUDE, timer > 0:  forward S.        INCLUDE, timer = 0: stop forwarding S, delete the record.
//   EXCLUDE, timer > 0:  forward S.        EXCLUDE, timer = 0: do not forward S (kept as Y).
//   EXCLUDE, sources not listed: forward.
//
// The functions here change state and call the context for the table actions "Send Q(G)" and
// "Send Q(G,X)"; what a query means on this port (own querier, another querier, fast leave) is
// the engine's business (querier.ts, hosts.ts).

import { RecordType } from '../wire/igmp.js';
import type { Installed } from './forwarding.js';
import { type HostState, HostTable, sharedHostName } from './hosts.js';
import { SmallMap } from './small-map.js';
import { type DeadlineQueue, type Timer, TimerBase, TimerKind } from './timers.js';

export type FilterMode = 'include' | 'exclude';

/** One source of one port-group (§6.2.1 "source records"). */
export class SourceRecord extends TimerBase<typeof TimerKind.Source> {
  /** §6.6.3.2 "number of retransmissions" of Q(G,S) still to send for this source. */
  queriesLeft = 0;
  constructor(readonly address: string, readonly pg: PortGroup) {
    super();
  }

  // Its own source timer (timers.ts, TimerBase): no Timer object per source.
  get kind(): typeof TimerKind.Source {
    return TimerKind.Source;
  }
  get owner(): SourceRecord {
    return this;
  }

  /** Source timer (this record itself): running = A (INCLUDE) or X (EXCLUDE); stopped = Y (EXCLUDE only). */
  get timer(): TimerBase<typeof TimerKind.Source> {
    return this;
  }
}

/**
 * What few port-groups need: the §7.3.2 Host Present timers, the §6.6.3 query retransmissions, the compatibility mode
 * last logged. Created on first use and kept (a port-group that needed it once is likely to again).
 */
class PortGroupExtra {
  v1Host: Timer<typeof TimerKind.V1Host> | null = null;
  v2Host: Timer<typeof TimerKind.V2Host> | null = null;
  groupQueriesLeft = 0;
  rexmit: Timer<typeof TimerKind.Rexmit> | null = null;
  loggedCompat: 1 | 2 | 3 = 3;
}

/** The source map of every port-group that has no source: never written (PortGroup.ownSources makes a map first). */
class NoSources extends SmallMap<string, SourceRecord> {
  override set(): this {
    throw new Error('NoSources is shared and never written: use PortGroup.ownSources()');
  }
}
const NO_SOURCES = new NoSources();

/**
 * The group record of one (VLAN, group) on one port.
 *
 * Memory (issue 12, item 5; bench/engine-memory.ts): a port-group is the one object every membership has, so it
 * carries only what every membership needs. It is its own §6.2.2 group timer (extends TimerBase: no Timer object), a
 * port-group without sources shares one empty source map, and the fields few port-groups use live in a
 * PortGroupExtra created on first use (the accessors below keep the names the RFC code uses).
 */
export class PortGroup extends TimerBase<typeof TimerKind.Group> {
  mode: FilterMode = 'include';
  private ownedSources: SmallMap<string, SourceRecord> | null = null;
  /**
   * Explicit host tracking (hosts.ts): the hosts heard reporting; fast-leave ports also act on it. null before any
   * host was tracked; a HostTable; or, the usual case (one host in EXCLUDE({}) in a table complete from its creation,
   * not overflowed), that host's address alone with its last-seen time in `soleHostSeen`: no HostTable object per
   * membership (issue 12, item 5). `hosts` makes the table when code needs one (fast leave, restore).
   */
  private hostState: HostTable | string | null = null;
  private soleHostSeen = 0;
  private extra: PortGroupExtra | null = null;
  constructor(readonly group: GroupState, readonly port: number) {
    super();
  }

  // Its own group timer (timers.ts, TimerBase): no Timer object per membership.
  get kind(): typeof TimerKind.Group {
    return TimerKind.Group;
  }
  get owner(): PortGroup {
    return this;
  }

  /** §6.2.2 group timer (this record itself); running only in EXCLUDE mode. */
  get groupTimer(): TimerBase<typeof TimerKind.Group> {
    return this;
  }

  /** The source records, keyed by address (read only: add through `ownSources()`). */
  get sources(): SmallMap<string, SourceRecord> {
    return this.ownedSources ?? NO_SOURCES;
  }

  /** The source records, to add to. */
  ownSources(): SmallMap<string, SourceRecord> {
    return (this.ownedSources ??= new SmallMap<string, SourceRecord>());
  }

  private more(): PortGroupExtra {
    return (this.extra ??= new PortGroupExtra());
  }

  /** §7.3.2 IGMPv1 / IGMPv2 Host Present timers (compat.ts), created on first use. */
  get v1Host(): Timer<typeof TimerKind.V1Host> | null {
    return this.extra === null ? null : this.extra.v1Host;
  }
  set v1Host(t: Timer<typeof TimerKind.V1Host> | null) {
    if (t !== null || this.extra !== null) this.more().v1Host = t;
  }
  get v2Host(): Timer<typeof TimerKind.V2Host> | null {
    return this.extra === null ? null : this.extra.v2Host;
  }
  set v2Host(t: Timer<typeof TimerKind.V2Host> | null) {
    if (t !== null || this.extra !== null) this.more().v2Host = t;
  }

  /** §6.6.3.1 Q(G) transmissions still to send. */
  get groupQueriesLeft(): number {
    return this.extra === null ? 0 : this.extra.groupQueriesLeft;
  }
  set groupQueriesLeft(n: number) {
    if (n !== 0 || this.extra !== null) this.more().groupQueriesLeft = n;
  }

  /** Retransmission timer for Q(G) / Q(G,S), created on first use. */
  get rexmit(): Timer<typeof TimerKind.Rexmit> | null {
    return this.extra === null ? null : this.extra.rexmit;
  }
  set rexmit(t: Timer<typeof TimerKind.Rexmit> | null) {
    if (t !== null || this.extra !== null) this.more().rexmit = t;
  }

  /** Compatibility mode last reported to the log (compat.ts). */
  get loggedCompat(): 1 | 2 | 3 {
    return this.extra === null ? 3 : this.extra.loggedCompat;
  }
  set loggedCompat(mode: 1 | 2 | 3) {
    if (mode !== 3 || this.extra !== null) this.more().loggedCompat = mode;
  }

  /** The host table (made from the one-host form first), or null when no host was tracked yet. */
  get hosts(): HostTable | null {
    if (typeof this.hostState === 'string') {
      const table = new HostTable();
      table.restore(this.hostState, 'exclude', [], this.soleHostSeen);
      this.hostState = table;
    }
    return this.hostState;
  }
  set hosts(table: HostTable | null) {
    this.hostState = table;
  }

  /**
   * Record what `host` reported (HostTable.apply), creating the table with `completeAt` when there is none. A join
   * (IS_EX({}) / TO_EX({})) of the only host of a complete table keeps the one-host form. False when the host could
   * not be tracked (table full).
   */
  trackHost(host: string, recordType: number, sources: ReadonlySet<string>, now: number, completeAt: number): boolean {
    const join = sources.size === 0 && (recordType === RecordType.MODE_IS_EXCLUDE || recordType === RecordType.CHANGE_TO_EXCLUDE_MODE);
    if (join && (this.hostState === host || (this.hostState === null && completeAt === -Infinity))) {
      this.hostState ??= sharedHostName(host);
      this.soleHostSeen = now;
      return true;
    }
    const table = this.hosts ?? (this.hostState = new HostTable(completeAt));
    const tracked = table.apply(host, recordType, sources, now);
    this.compactHosts();
    return tracked;
  }

  /** Back to the one-host form when the table is one EXCLUDE({}) host, complete from its creation, not overflowed. */
  compactHosts(): void {
    const t = this.hostState;
    if (t === null || typeof t === 'string' || t.size !== 1 || t.overflow || t.completeAt !== -Infinity) return;
    const [[host, state]] = t.states();
    if (state.mode !== 'exclude' || state.sources.size !== 0) return;
    this.hostState = host;
    this.soleHostSeen = state.lastSeen;
  }

  /** Is a host table kept (HostTable or the one-host form)? */
  get tracksHosts(): boolean {
    return this.hostState !== null;
  }

  /** HostTable.heard without making a table of the one-host form. */
  heardHosts(now: number, gmiMs: number): string[] {
    if (typeof this.hostState !== 'string') return this.hostState === null ? [] : this.hostState.heard(now, gmiMs);
    if (now - this.soleHostSeen < gmiMs) return [this.hostState];
    this.hostState = new HostTable(); // forgotten: an empty table, complete from its creation
    return [];
  }

  /** HostTable.states without making a table of the one-host form. */
  hostStates(): Array<[string, HostState]> {
    if (typeof this.hostState !== 'string') return this.hostState === null ? [] : this.hostState.states();
    return [[this.hostState, { mode: 'exclude', sources: new Set<string>(), lastSeen: this.soleHostSeen }]];
  }

  /** HostTable.completeAt (−Infinity for the one-host form, and when no table is kept). */
  get hostsCompleteAt(): number {
    return this.hostState === null || typeof this.hostState === 'string' ? -Infinity : this.hostState.completeAt;
  }

  /** X (EXCLUDE) or A (INCLUDE): sources with a running timer. */
  runningSources(): string[] {
    const out: string[] = [];
    for (const s of this.sources.values()) if (s.timer.running) out.push(s.address);
    return out;
  }

  /** Y: sources with a stopped timer (EXCLUDE mode only). */
  stoppedSources(): string[] {
    const out: string[] = [];
    for (const s of this.sources.values()) if (!s.timer.running) out.push(s.address);
    return out;
  }

  /** No state left: INCLUDE({}) is "no record" (§6.2.1: "INCLUDE mode with an empty source list"). */
  get empty(): boolean {
    return this.mode === 'include' && this.sources.size === 0;
  }
}

/**
 * All port-groups of one (VLAN, group), keyed by port. The group is itself the map of its port records (not a
 * field holding one) and keeps only its key: two fewer objects per group (issue 12, item 5).
 */
export class GroupState extends SmallMap<number, PortGroup> {
  /** The MDB entries installed for this (VLAN, G) (forwarding.ts, MdbMirror: kept here, not in a table of its own). */
  installed: Installed | undefined = undefined;
  constructor(readonly vlan: number, readonly key: string) {
    super();
  }

  /** The port records (this map). */
  get ports(): SmallMap<number, PortGroup> {
    return this;
  }

  /** The group address (the part of the key after the VLAN; in VLAN 0 the key itself). */
  get address(): string {
    return this.vlan === 0 ? this.key : this.key.slice(this.key.indexOf('/') + 1);
  }
}

/**
 * The key of (VLAN, group) in the engine's tables: "VLAN/group", and in VLAN 0 (untagged, the usual case) the group
 * address alone, so that the key is the address string the group already has (no second string per group, and no
 * slice to read the address back: issue 12, item 5). Addresses never contain '/'.
 */
export function groupKey(vlan: number, group: string): string {
  return vlan === 0 ? group : `${vlan}/${group}`;
}

/** What applying a record needs from the engine. */
export interface MembershipContext {
  /** Current time, ms. */
  readonly now: number;
  /** Group Membership Interval for this VLAN (§8.4). */
  readonly gmiMs: number;
  readonly queue: DeadlineQueue;
  /** The table action "Send Q(G)" (§6.6.3.1). */
  sendGroupQuery(pg: PortGroup): void;
  /** The table action "Send Q(G,X)" (§6.6.3.2); `sources` may be empty (then nothing is sent). */
  sendGroupSourceQuery(pg: PortGroup, sources: string[]): void;
  /** The forwarding-relevant state of `pg` changed (mode, a source added/removed/stopped/started). */
  changed(pg: PortGroup): void;
  /** May a new source record be added to `pg` (per-port-group source cap)? Counts the refusal. */
  admitSource(pg: PortGroup): boolean;
}

// ---------------------------------------------------------------------------------------------
// Small helpers that keep the table rows readable

/** Set the source timer of `s` to `due`, creating the record (subject to the cap). */
function setSource(ctx: MembershipContext, pg: PortGroup, s: string, due: number): void {
  let rec = pg.sources.get(s);
  if (rec === undefined) {
    if (!ctx.admitSource(pg)) return;
    rec = new SourceRecord(s, pg);
    pg.ownSources().set(s, rec);
    ctx.changed(pg);
  } else if (!rec.timer.running) {
    ctx.changed(pg); // Y → X: the source becomes wanted again
  }
  ctx.queue.arm(rec.timer, due);
}

/** Create `s` with a stopped timer (a new member of Y), subject to the cap. */
function addStopped(ctx: MembershipContext, pg: PortGroup, s: string): void {
  if (pg.sources.has(s) || !ctx.admitSource(pg)) return;
  pg.ownSources().set(s, new SourceRecord(s, pg));
  ctx.changed(pg);
}

export function deleteSource(ctx: Pick<MembershipContext, 'queue' | 'changed'>, pg: PortGroup, s: string): void {
  const rec = pg.sources.get(s);
  if (rec === undefined) return;
  ctx.queue.stop(rec.timer);
  rec.queriesLeft = 0;
  pg.sources.delete(s);
  ctx.changed(pg);
}

function setGroupTimer(ctx: MembershipContext, pg: PortGroup, due: number): void {
  ctx.queue.arm(pg.groupTimer, due);
}

function toExclude(ctx: MembershipContext, pg: PortGroup): void {
  if (pg.mode !== 'exclude') {
    pg.mode = 'exclude';
    ctx.changed(pg);
  }
}

/** Would this record create state on a port that has none (INCLUDE({}))? */
export function createsState(recordType: number, sources: ReadonlySet<string>): boolean {
  switch (recordType) {
    case RecordType.MODE_IS_EXCLUDE:
    case RecordType.CHANGE_TO_EXCLUDE_MODE:
      return true;
    case RecordType.MODE_IS_INCLUDE:
    case RecordType.ALLOW_NEW_SOURCES:
    case RecordType.CHANGE_TO_INCLUDE_MODE:
      return sources.size > 0;
    default: // BLOCK: INCLUDE({}) + BLOCK(B) = INCLUDE({}), Send Q(G, {}) sends nothing
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// RFC 3376 §6.4: the router state tables. One function per row; the row is quoted above it.
// `B` / `A` is the record's source list, de-duplicated.

/**
 * Apply one group record (after the §7.3.2 compatibility translation) to `pg`.
 * Unknown record types must not reach here (the engine ignores and counts them).
 */
export function applyRecord(ctx: MembershipContext, pg: PortGroup, recordType: number, sources: ReadonlySet<string>): void {
  if (pg.mode === 'include') {
    switch (recordType) {
      case RecordType.MODE_IS_INCLUDE: return includeIsIn(ctx, pg, sources);
      case RecordType.MODE_IS_EXCLUDE: return includeIsEx(ctx, pg, sources);
      case RecordType.ALLOW_NEW_SOURCES: return includeAllow(ctx, pg, sources);
      case RecordType.BLOCK_OLD_SOURCES: return includeBlock(ctx, pg, sources);
      case RecordType.CHANGE_TO_EXCLUDE_MODE: return includeToEx(ctx, pg, sources);
      case RecordType.CHANGE_TO_INCLUDE_MODE: return includeToIn(ctx, pg, sources);
    }
  } else {
    switch (recordType) {
      case RecordType.MODE_IS_INCLUDE: return excludeIsIn(ctx, pg, sources);
      case RecordType.MODE_IS_EXCLUDE: return excludeIsEx(ctx, pg, sources);
      case RecordType.ALLOW_NEW_SOURCES: return excludeAllow(ctx, pg, sources);
      case RecordType.BLOCK_OLD_SOURCES: return excludeBlock(ctx, pg, sources);
      case RecordType.CHANGE_TO_EXCLUDE_MODE: return excludeToEx(ctx, pg, sources);
      case RecordType.CHANGE_TO_INCLUDE_MODE: return excludeToIn(ctx, pg, sources);
    }
  }
}

// §6.4.1 Reception of Current-State Records

/**
 *   Router State   Report Rec'd  New Router State   Actions
 *   INCLUDE (A)    IS_IN (B)     INCLUDE (A+B)      (B)=GMI
 */
function includeIsIn(ctx: MembershipContext, pg: PortGroup, B: ReadonlySet<string>): void {
  for (const b of B) setSource(ctx, pg, b, ctx.now + ctx.gmiMs);       // (B)=GMI
}

/**
 *   INCLUDE (A)    IS_EX (B)     EXCLUDE (A*B,B-A)  (B-A)=0
 *                                                   Delete (A-B)
 *                                                   Group Timer=GMI
 */
function includeIsEx(ctx: MembershipContext, pg: PortGroup, B: ReadonlySet<string>): void {
  for (const a of [...pg.sources.keys()]) if (!B.has(a)) deleteSource(ctx, pg, a); // Delete (A-B)
  for (const b of B) if (!pg.sources.has(b)) addStopped(ctx, pg, b);               // (B-A)=0
  toExclude(ctx, pg);                                                              // A*B keeps its timers
  setGroupTimer(ctx, pg, ctx.now + ctx.gmiMs);                                     // Group Timer=GMI
}

/**
 *   EXCLUDE (X,Y)  IS_IN (A)     EXCLUDE (X+A,Y-A)  (A)=GMI
 */
function excludeIsIn(ctx: MembershipContext, pg: PortGroup, A: ReadonlySet<string>): void {
  for (const a of A) setSource(ctx, pg, a, ctx.now + ctx.gmiMs);       // (A)=GMI moves A∩Y into X
}

/**
 *   EXCLUDE (X,Y)  IS_EX (A)     EXCLUDE (A-Y,Y*A)  (A-X-Y)=GMI
 *                                                   Delete (X-A)
 *                                                   Delete (Y-A)
 *                                                   Group Timer=GMI
 */
function excludeIsEx(ctx: MembershipContext, pg: PortGroup, A: ReadonlySet<string>): void {
  for (const s of [...pg.sources.keys()]) if (!A.has(s)) deleteSource(ctx, pg, s); // Delete (X-A), Delete (Y-A)
  for (const a of A) if (!pg.sources.has(a)) setSource(ctx, pg, a, ctx.now + ctx.gmiMs); // (A-X-Y)=GMI
  setGroupTimer(ctx, pg, ctx.now + ctx.gmiMs);                                     // Group Timer=GMI
}

// §6.4.2 Reception of Filter-Mode-Change and Source-List-Change Records

/**
 *   INCLUDE (A)    ALLOW (B)     INCLUDE (A+B)      (B)=GMI
 */
function includeAllow(ctx: MembershipContext, pg: PortGroup, B: ReadonlySet<string>): void {
  for (const b of B) setSource(ctx, pg, b, ctx.now + ctx.gmiMs);       // (B)=GMI
}

/**
 *   INCLUDE (A)    BLOCK (B)     INCLUDE (A)        Send Q(G,A*B)
 */
function includeBlock(ctx: MembershipContext, pg: PortGroup, B: ReadonlySet<string>): void {
  ctx.sendGroupSourceQuery(pg, [...B].filter((b) => pg.sources.has(b)));        // Send Q(G,A*B)
}

/**
 *   INCLUDE (A)    TO_EX (B)     EXCLUDE (A*B,B-A)  (B-A)=0
 *                                                   Delete (A-B)
 *                                                   Send Q(G,A*B)
 *                                                   Group Timer=GMI
 */
function includeToEx(ctx: MembershipContext, pg: PortGroup, B: ReadonlySet<string>): void {
  for (const a of [...pg.sources.keys()]) if (!B.has(a)) deleteSource(ctx, pg, a); // Delete (A-B)
  const aAndB = [...pg.sources.keys()];                                            // what is left is A*B
  for (const b of B) if (!pg.sources.has(b)) addStopped(ctx, pg, b);               // (B-A)=0
  toExclude(ctx, pg);
  setGroupTimer(ctx, pg, ctx.now + ctx.gmiMs);                                     // Group Timer=GMI
  ctx.sendGroupSourceQuery(pg, aAndB);                                             // Send Q(G,A*B)
}

/**
 *   INCLUDE (A)    TO_IN (B)     INCLUDE (A+B)      (B)=GMI
 *                                                   Send Q(G,A-B)
 */
function includeToIn(ctx: MembershipContext, pg: PortGroup, B: ReadonlySet<string>): void {
  const aMinusB = [...pg.sources.keys()].filter((a) => !B.has(a));
  for (const b of B) setSource(ctx, pg, b, ctx.now + ctx.gmiMs);       // (B)=GMI
  ctx.sendGroupSourceQuery(pg, aMinusB);                               // Send Q(G,A-B)
}

/**
 *   EXCLUDE (X,Y)  ALLOW (A)     EXCLUDE (X+A,Y-A)  (A)=GMI
 */
function excludeAllow(ctx: MembershipContext, pg: PortGroup, A: ReadonlySet<string>): void {
  for (const a of A) setSource(ctx, pg, a, ctx.now + ctx.gmiMs);       // (A)=GMI
}

/**
 *   EXCLUDE (X,Y)  BLOCK (A)     EXCLUDE (X+(A-Y),Y) (A-X-Y)=Group Timer
 *                                                    Send Q(G,A-Y)
 */
function excludeBlock(ctx: MembershipContext, pg: PortGroup, A: ReadonlySet<string>): void {
  const gt = pg.groupTimer.due;
  for (const a of A) if (!pg.sources.has(a)) setSource(ctx, pg, a, gt);          // (A-X-Y)=Group Timer
  ctx.sendGroupSourceQuery(pg, [...A].filter((a) => pg.sources.get(a)?.timer.running === true)); // Send Q(G,A-Y)
}

/**
 *   EXCLUDE (X,Y)  TO_EX (A)     EXCLUDE (A-Y,Y*A)  (A-X-Y)=Group Timer
 *                                                   Delete (X-A)
 *                                                   Delete (Y-A)
 *                                                   Send Q(G,A-Y)
 *                                                   Group Timer=GMI
 */
function excludeToEx(ctx: MembershipContext, pg: PortGroup, A: ReadonlySet<string>): void {
  const gt = pg.groupTimer.due;                                                    // the value before "Group Timer=GMI"
  for (const s of [...pg.sources.keys()]) if (!A.has(s)) deleteSource(ctx, pg, s); // Delete (X-A), Delete (Y-A)
  for (const a of A) if (!pg.sources.has(a)) setSource(ctx, pg, a, gt);          // (A-X-Y)=Group Timer
  const aMinusY = [...A].filter((a) => pg.sources.get(a)?.timer.running === true);
  setGroupTimer(ctx, pg, ctx.now + ctx.gmiMs);                                     // Group Timer=GMI
  ctx.sendGroupSourceQuery(pg, aMinusY);                                           // Send Q(G,A-Y)
}

/**
 *   EXCLUDE (X,Y)  TO_IN (A)     EXCLUDE (X+A,Y-A)  (A)=GMI
 *                                                   Send Q(G,X-A)
 *                                                   Send Q(G)
 */
function excludeToIn(ctx: MembershipContext, pg: PortGroup, A: ReadonlySet<string>): void {
  const xMinusA = pg.runningSources().filter((x) => !A.has(x));
  for (const a of A) setSource(ctx, pg, a, ctx.now + ctx.gmiMs);       // (A)=GMI
  ctx.sendGroupSourceQuery(pg, xMinusA);                               // Send Q(G,X-A)
  ctx.sendGroupQuery(pg);                                              // Send Q(G)
}

// ---------------------------------------------------------------------------------------------
// Timer expiry

/**
 * A source timer expired (§6.3):
 *   "If the group is in INCLUDE mode … the router concludes that traffic from this source is no longer
 *    desired on the attached network, and deletes the associated source record."
 *   In EXCLUDE mode the source stays as a member of Y: "the router informs the routing protocol that
 *    there is no longer a receiver on the network interested in traffic from this source."
 * Returns true when the port-group is now empty (INCLUDE({})) and should be deleted.
 */
export function sourceExpired(ctx: Pick<MembershipContext, 'queue' | 'changed'>, rec: SourceRecord): boolean {
  const pg = rec.pg;
  rec.queriesLeft = 0;
  if (pg.mode === 'include') {
    deleteSource(ctx, pg, rec.address);
    return pg.sources.size === 0;
  }
  ctx.changed(pg); // X → Y
  return false;
}

/**
 * The group timer expired in EXCLUDE mode (§6.5, table in §6.2.2):
 *   "If any source timers are running, the router switches to INCLUDE filter-mode using those sources
 *    with running timers as the INCLUDE source record state; sources with stopped timers are deleted.
 *    If no source timers are running, the group record is deleted."
 * Returns true when the port-group should be deleted.
 */
export function groupExpired(ctx: Pick<MembershipContext, 'queue' | 'changed'>, pg: PortGroup): boolean {
  if (pg.mode !== 'exclude') return pg.sources.size === 0;
  ctx.queue.stop(pg.groupTimer);
  pg.groupQueriesLeft = 0;
  for (const rec of [...pg.sources.values()]) if (!rec.timer.running) deleteSource(ctx, pg, rec.address);
  pg.mode = 'include';
  ctx.changed(pg);
  return pg.sources.size === 0;
}

// ---------------------------------------------------------------------------------------------
// §6.6.1 Timer updates on queries with the S flag clear

/**
 *   Query      Action
 *   Q(G,A)     Source Timer for sources in A are lowered to LMQT
 *   Q(G)       Group Timer is lowered to LMQT
 * ("lowered": a timer already below LMQT is left alone.)
 */
export function lowerGroupTimer(ctx: Pick<MembershipContext, 'now' | 'queue'>, pg: PortGroup, lmqtMs: number): void {
  if (pg.mode === 'exclude' && pg.groupTimer.due > ctx.now + lmqtMs) ctx.queue.arm(pg.groupTimer, ctx.now + lmqtMs);
}

export function lowerSourceTimers(ctx: Pick<MembershipContext, 'now' | 'queue'>, pg: PortGroup, sources: Iterable<string>, lmqtMs: number): void {
  for (const s of sources) {
    const rec = pg.sources.get(s);
    if (rec !== undefined && rec.timer.due > ctx.now + lmqtMs) ctx.queue.arm(rec.timer, ctx.now + lmqtMs);
  }
}

/** Stop every timer of `pg` (before deleting it). */
export function stopAll(queue: DeadlineQueue, pg: PortGroup): void {
  queue.stop(pg.groupTimer);
  for (const rec of pg.sources.values()) queue.stop(rec.timer);
  if (pg.v1Host) queue.stop(pg.v1Host);
  if (pg.v2Host) queue.stop(pg.v2Host);
  if (pg.rexmit) queue.stop(pg.rexmit);
  pg.groupQueriesLeft = 0;
}
