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
// Memory: one small record per host; the common EXCLUDE({}) join shares one empty source set (NO_SOURCES, never
// mutated: ALLOW/BLOCK copy before changing a set).

import { RecordType } from '../wire/igmp.js';
import type { FilterMode } from './membership.js';
import { SmallMap } from './small-map.js';

/** The empty source list every EXCLUDE({}) / INCLUDE({}) host shares. */
const NO_SOURCES: ReadonlySet<string> = new Set<string>();

export interface HostState {
  mode: FilterMode;
  sources: ReadonlySet<string>;
  lastSeen: number;
}

/** The hosts of one port-group by address. The table is itself the map (one object less per membership). */
export class HostTable extends SmallMap<string, HostState> {
  /** A host could not be tracked (table full): answers are "wanted" until the table empties. */
  overflow = false;

  /**
   * @param completeAt when the table has heard every host (−Infinity: from the start, for a table
   *   created with its port-group).
   */
  constructor(private readonly maxHosts: number, readonly completeAt = -Infinity) {
    super();
  }

  /** The hosts (this map). */
  get hosts(): SmallMap<string, HostState> {
    return this;
  }

  /** Has the table heard every host behind the port (so "nobody wants it" can be believed)? */
  complete(now: number): boolean {
    return now >= this.completeAt;
  }

  /** Record what `host` just reported. Returns false when the host could not be tracked. */
  apply(host: string, recordType: number, sources: ReadonlySet<string>, now: number): boolean {
    let h = this.hosts.get(host);
    if (h === undefined) {
      if (recordType === RecordType.BLOCK_OLD_SOURCES) return true;       // INCLUDE({}) - B = INCLUDE({})
      if (this.hosts.size >= this.maxHosts) {
        this.overflow = true;
        return false;
      }
      h = { mode: 'include', sources: NO_SOURCES, lastSeen: now };
      this.hosts.set(host, h);
    }
    h.lastSeen = now;
    const own = (s: ReadonlySet<string>): ReadonlySet<string> => (s.size === 0 ? NO_SOURCES : new Set(s));
    switch (recordType) {
      case RecordType.MODE_IS_INCLUDE:
      case RecordType.CHANGE_TO_INCLUDE_MODE:
        h.mode = 'include';
        h.sources = own(sources);
        break;
      case RecordType.MODE_IS_EXCLUDE:
      case RecordType.CHANGE_TO_EXCLUDE_MODE:
        h.mode = 'exclude';
        h.sources = own(sources);
        break;
      case RecordType.ALLOW_NEW_SOURCES:
      case RecordType.BLOCK_OLD_SOURCES: {
        // ALLOW adds to an INCLUDE list and removes from an EXCLUDE list; BLOCK the opposite.
        const add = (recordType === RecordType.ALLOW_NEW_SOURCES) === (h.mode === 'include');
        const next = new Set(h.sources);
        for (const s of sources) add ? next.add(s) : next.delete(s);
        h.sources = next.size === 0 ? NO_SOURCES : next;
        break;
      }
    }
    if (h.mode === 'include' && h.sources.size === 0) this.hosts.delete(host);
    if (this.hosts.size === 0) this.overflow = false;
    return true;
  }

  /** Forget hosts not heard from within `gmiMs`. */
  prune(now: number, gmiMs: number): void {
    for (const [ip, h] of this.hosts) if (now - h.lastSeen >= gmiMs) this.hosts.delete(ip);
    if (this.hosts.size === 0) this.overflow = false;
  }

  /** The hosts heard within `gmiMs`, sorted (for show groups). */
  heard(now: number, gmiMs: number): string[] {
    this.prune(now, gmiMs);
    return [...this.hosts.keys()].sort();
  }

  wantsGroup(now: number, gmiMs: number): boolean {
    this.prune(now, gmiMs);
    if (this.overflow || !this.complete(now)) return true;
    for (const h of this.hosts.values()) if (h.mode === 'exclude' || h.sources.size > 0) return true;
    return false;
  }

  wantsSource(s: string, now: number, gmiMs: number): boolean {
    this.prune(now, gmiMs);
    if (this.overflow || !this.complete(now)) return true;
    for (const h of this.hosts.values()) {
      if (h.mode === 'include' ? h.sources.has(s) : !h.sources.has(s)) return true;
    }
    return false;
  }
}
