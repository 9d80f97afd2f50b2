// Explicit host tracking for fast-leave ports (the idea of Linux's EHT, br_multicast_eht.c).
//
// A fast-leave port drops a group (or a source) at once when a host leaves, without querying. That is
// only right if no other host behind the port still wants it. So on fast-leave ports we keep, per
// port-group, each reporting host (keyed by the report's IP source) with the filter state its last
// reports describe — a host's report is its whole interest (RFC 3376 §3.2 state per socket merged per
// interface, §5.1 records):
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

import { RecordType } from '../wire/igmp.js';
import type { FilterMode } from './membership.js';

export interface HostState {
  mode: FilterMode;
  sources: Set<string>;
  lastSeen: number;
}

export class HostTable {
  readonly hosts = new Map<string, HostState>();
  /** A host could not be tracked (table full): answers are "wanted" until the table empties. */
  overflow = false;

  /**
   * @param completeAt when the table has heard every host (−Infinity: from the start, for a table
   *   created with its port-group).
   */
  constructor(private readonly maxHosts: number, readonly completeAt = -Infinity) {}

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
      h = { mode: 'include', sources: new Set(), lastSeen: now };
      this.hosts.set(host, h);
    }
    h.lastSeen = now;
    switch (recordType) {
      case RecordType.MODE_IS_INCLUDE:
      case RecordType.CHANGE_TO_INCLUDE_MODE:
        h.mode = 'include';
        h.sources = new Set(sources);
        break;
      case RecordType.MODE_IS_EXCLUDE:
      case RecordType.CHANGE_TO_EXCLUDE_MODE:
        h.mode = 'exclude';
        h.sources = new Set(sources);
        break;
      case RecordType.ALLOW_NEW_SOURCES:
        for (const s of sources) h.mode === 'include' ? h.sources.add(s) : h.sources.delete(s);
        break;
      case RecordType.BLOCK_OLD_SOURCES:
        for (const s of sources) h.mode === 'include' ? h.sources.delete(s) : h.sources.add(s);
        break;
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
