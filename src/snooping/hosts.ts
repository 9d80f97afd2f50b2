// Explicit host tracking (the idea of Linux's EHT, br_multicast_eht.c), on every port.
//
// Every port keeps, per port-group, each reporting host (keyed by the report's IP source) with the filter state its
// last reports describe: `show groups` lists them as the hosts heard reporting (HOSTS). Fast-leave ports also act on
// it. A fast-leave port drops a group (or a source) at once when a host leaves, without querying. That is only right
// if no other host behind the port still wants it, which this table answers. A host's report is its whole interest
// (RFC 3376 §3.2 state per socket merged per interface, §5.1 records):
//   IS_IN(B), TO_IN(B):  host state := INCLUDE(B)      (INCLUDE({}) = the host left)
//   IS_EX(B), TO_EX(B):  host state := EXCLUDE(B)
//   ALLOW(B):            INCLUDE(A) → INCLUDE(A+B);  EXCLUDE(A) → EXCLUDE(A-B)
//   BLOCK(B):            INCLUDE(A) → INCLUDE(A-B);  EXCLUDE(A) → EXCLUDE(A+B)
//   IGMPv1/v2 report = EXCLUDE({}),  IGMPv2 leave = INCLUDE({}).
// The port wants source S if some host has INCLUDE containing S or EXCLUDE not containing S
// (the merge rule of RFC 3376 §3.2), and wants the group if some host is in EXCLUDE mode or has a
// non-empty INCLUDE list. A host not heard from for a Group Membership Interval is forgotten.
//
// When the table is full, further hosts are not tracked and the table answers "wanted" from then on:
// the port then leaves groups by the normal timers instead of leaving too early.
//
// A table created over a port-group that already had members (the port became fast-leave by reload,
// or was restored from a state without hosts) has not heard the hosts that joined before. Until it
// has heard every host, it is incomplete: it answers "wanted" and the engine handles leaves as on any
// other port (Send Q(G) / lower the timers). Every host still interested reports within a Group
// Membership Interval, so the table is complete one GMI after its creation.
//
// Memory: a host in EXCLUDE({}) (the usual join) is kept as its last-seen time alone; any other state as a HostState
// (issue 12, item 5). The common EXCLUDE({}) / INCLUDE({}) states share one empty source set (NO_SOURCES, never
// mutated: ALLOW/BLOCK copy before changing a set). A table complete from its creation keeps `completeAt` null.

import { RecordType } from '../wire/igmp.js';
import type { FilterMode } from './membership.js';
import { MAX_HOSTS_PER_PORT_GROUP } from './limits.js';
import { SmallMap } from './small-map.js';

/** The empty source list every EXCLUDE({}) / INCLUDE({}) host shares. */
const NO_SOURCES: ReadonlySet<string> = new Set<string>();

export interface HostState {
  mode: FilterMode;
  sources: ReadonlySet<string>;
  lastSeen: number;
}

/**
 * One string per host address for all tables: a host that reports many groups (a set-top box, a proxy, a router's
 * joins) would otherwise leave a copy of its address, decoded from each report, in every table (issue 12, item 5).
 * Bounded: emptied when it grows past HOST_NAMES_MAX (what it forgets is only shared less).
 */
const hostNames = new Map<string, string>();
const HOST_NAMES_MAX = 4096;

export function sharedHostName(host: string): string {
  const known = hostNames.get(host);
  if (known !== undefined) return known;
  if (hostNames.size >= HOST_NAMES_MAX) hostNames.clear();
  hostNames.set(host, host);
  return host;
}

/** What the table keeps per host: a HostState, or for EXCLUDE({}) only the time it was last seen. */
type HostEntry = HostState | number;

function lastSeenOf(h: HostEntry): number {
  return typeof h === 'number' ? h : h.lastSeen;
}

/** The hosts of one port-group by address. The table is itself the map (one object less per membership). */
export class HostTable extends SmallMap<string, HostEntry> {
  /** A host could not be tracked (table full): answers are "wanted" until the table empties. */
  overflow = false;
  /** When the table has heard every host, or null: from its creation (see `complete`). */
  private readonly completeFrom: number | null;

  /**
   * @param completeAt when the table has heard every host (−Infinity: from the start, for a table
   *   created with its port-group).
   */
  constructor(completeAt = -Infinity) {
    super();
    // null rather than −Infinity: a number field would hold a boxed double in every table.
    this.completeFrom = completeAt === -Infinity ? null : completeAt;
  }

  /** When the table has heard every host (−Infinity: from the start). */
  get completeAt(): number {
    return this.completeFrom ?? -Infinity;
  }

  /** Has the table heard every host behind the port (so "nobody wants it" can be believed)? */
  complete(now: number): boolean {
    return this.completeFrom === null || now >= this.completeFrom;
  }

  /** Record what `host` just reported. Returns false when the host could not be tracked. */
  apply(host: string, recordType: number, sources: ReadonlySet<string>, now: number): boolean {
    const h = this.get(host);
    if (h === undefined) {
      if (recordType === RecordType.BLOCK_OLD_SOURCES) return true;       // INCLUDE({}) - B = INCLUDE({})
      if (this.size >= MAX_HOSTS_PER_PORT_GROUP) {
        this.overflow = true;
        return false;
      }
    }
    let mode: FilterMode = h === undefined ? 'include' : typeof h === 'number' ? 'exclude' : h.mode;
    let own: ReadonlySet<string> = h === undefined || typeof h === 'number' ? NO_SOURCES : h.sources;
    switch (recordType) {
      case RecordType.MODE_IS_INCLUDE:
      case RecordType.CHANGE_TO_INCLUDE_MODE:
        mode = 'include';
        own = sources.size === 0 ? NO_SOURCES : new Set(sources);
        break;
      case RecordType.MODE_IS_EXCLUDE:
      case RecordType.CHANGE_TO_EXCLUDE_MODE:
        mode = 'exclude';
        own = sources.size === 0 ? NO_SOURCES : new Set(sources);
        break;
      case RecordType.ALLOW_NEW_SOURCES:
      case RecordType.BLOCK_OLD_SOURCES: {
        // ALLOW adds to an INCLUDE list and removes from an EXCLUDE list; BLOCK the opposite.
        const add = (recordType === RecordType.ALLOW_NEW_SOURCES) === (mode === 'include');
        const next = new Set(own);
        for (const s of sources) add ? next.add(s) : next.delete(s);
        own = next.size === 0 ? NO_SOURCES : next;
        break;
      }
    }
    this.store(host, h, mode, own, now);
    if (this.size === 0) this.overflow = false;
    return true;
  }

  /** A host's state from a snapshot (snapshot.ts). */
  restore(host: string, mode: FilterMode, sources: readonly string[], lastSeen: number): void {
    this.store(host, this.get(host), mode, sources.length === 0 ? NO_SOURCES : new Set(sources), lastSeen);
  }

  /** Every host's state (for the snapshot). */
  states(): Array<[string, HostState]> {
    return [...this].map(([ip, h]) => [ip, typeof h === 'number' ? { mode: 'exclude', sources: NO_SOURCES, lastSeen: h } : h]);
  }

  /** Is some host in EXCLUDE mode (fast-leave.ts)? */
  anyExclude(): boolean {
    for (const h of this.values()) if (typeof h === 'number' || h.mode === 'exclude') return true;
    return false;
  }

  /** Forget hosts not heard from within `gmiMs`. */
  prune(now: number, gmiMs: number): void {
    for (const [ip, h] of this) if (now - lastSeenOf(h) >= gmiMs) this.delete(ip);
    if (this.size === 0) this.overflow = false;
  }

  /** The hosts heard within `gmiMs`, sorted (for show groups). */
  heard(now: number, gmiMs: number): string[] {
    this.prune(now, gmiMs);
    return [...this.keys()].sort();
  }

  wantsGroup(now: number, gmiMs: number): boolean {
    this.prune(now, gmiMs);
    if (this.overflow || !this.complete(now)) return true;
    for (const h of this.values()) if (typeof h === 'number' || h.mode === 'exclude' || h.sources.size > 0) return true;
    return false;
  }

  wantsSource(s: string, now: number, gmiMs: number): boolean {
    this.prune(now, gmiMs);
    if (this.overflow || !this.complete(now)) return true;
    for (const h of this.values()) {
      if (typeof h === 'number') return true;                            // EXCLUDE({}) wants every source
      if (h.mode === 'include' ? h.sources.has(s) : !h.sources.has(s)) return true;
    }
    return false;
  }

  /** Keep `host` in `mode` with `sources`, seen at `lastSeen`: INCLUDE({}) is no entry, EXCLUDE({}) a bare time. */
  private store(host: string, h: HostEntry | undefined, mode: FilterMode, sources: ReadonlySet<string>, lastSeen: number): void {
    if (mode === 'include' && sources.size === 0) {
      this.delete(host);
      return;
    }
    if (h === undefined) host = sharedHostName(host);
    if (sources.size === 0) {
      this.set(host, lastSeen);
    } else if (h !== undefined && typeof h !== 'number') {
      h.mode = mode;
      h.sources = sources;
      h.lastSeen = lastSeen;
    } else {
      this.set(host, { mode, sources, lastSeen });
    }
  }
}
