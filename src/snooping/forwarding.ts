// From membership state to the data plane's MDB, and only the difference as table commands.
//
// Lookup contract with the data plane (Linux br_multicast_flood with IGMPv3, snooping-anchors §1.4):
// a frame from S to G in VLAN V uses the (V, G, S) entry if there is one, else the (V, G, *) entry;
// router ports and floodAll ports are added by the data plane; a group with neither entry is
// unregistered (policy).
//
// For each (VLAN, G) with any state:
//   (*,G) ports = ports in EXCLUDE mode (they want every source they do not exclude)
//                 ∪ static (*,G) ports.
//   (S,G) ports = ports in INCLUDE mode whose list has S (A)            — RFC 3376 §6.3
//                 ∪ ports in EXCLUDE mode for which S is not in Y        — (X, or not listed)
//                 ∪ static (*,G) ports ∪ static (S,G) ports.
// An (S,G) entry is only installed where it differs from the (*,G) entry (otherwise the (*,G)
// entry already gives the right answer), so INCLUDE-mode sources and blocked (Y) sources get
// entries and plain EXCLUDE{} groups stay one entry. A group registered only in INCLUDE mode keeps a
// (*,G) entry with no ports: the group is registered, so other sources go to router ports only
// instead of being treated as unregistered.

import type { TableCommand } from '../dataplane/commands.js';
import { ChurnMap } from './churn-map.js';
import type { GroupState } from './membership.js';

/** Static (configured) ports of one (VLAN, G). */
export interface StaticGroupPorts {
  star: bigint;
  bySource: Map<string, bigint>;
}

/** Entry key inside a group: '' for (*,G), else the source address. */
export const STAR = '';

export function bit(port: number): bigint {
  return 1n << BigInt(port);
}

/** The entries (V, G) should have. Empty map = no entry at all. */
export function desiredEntries(group: GroupState | undefined, statics: StaticGroupPorts | undefined): Map<string, bigint> {
  const out = new Map<string, bigint>();
  if ((group === undefined || group.ports.size === 0) && statics === undefined) return out;
  let star = statics?.star ?? 0n;
  const sources = new Set<string>(statics ? statics.bySource.keys() : []);
  if (group !== undefined) {
    for (const pg of group.ports.values()) {
      if (pg.mode === 'exclude') star |= bit(pg.port);
      for (const s of pg.sources.keys()) sources.add(s);
    }
  }
  out.set(STAR, star);
  const staticStar = statics?.star ?? 0n;
  for (const s of sources) {
    let mask = staticStar | (statics?.bySource.get(s) ?? 0n);
    if (group !== undefined) {
      for (const pg of group.ports.values()) {
        const rec = pg.sources.get(s);
        if (pg.mode === 'include') {
          if (rec !== undefined) mask |= bit(pg.port);                  // S ∈ A
        } else if (rec === undefined || rec.timer.running) {
          mask |= bit(pg.port);                                         // S ∈ X or S not listed; not in Y
        }
      }
    }
    if (mask !== star) out.set(s, mask);
  }
  return out;
}

interface Installed {
  vlan: number;
  group: string;
  entries: Map<string, bigint>;
}

/** What the data plane has (as far as the commands we sent say). */
export class MdbMirror {
  private readonly installed = new ChurnMap<string, Installed>();

  /** Bring (vlan, group) to `desired`, appending the commands needed to `out`. */
  sync(key: string, vlan: number, group: string, desired: Map<string, bigint>, out: TableCommand[]): void {
    const have = this.installed.get(key);
    if (have !== undefined) {
      for (const src of have.entries.keys()) {
        if (!desired.has(src)) out.push({ op: 'mdbDelete', vlan, group, source: src === STAR ? null : src });
      }
    }
    for (const [src, ports] of desired) {
      if (have?.entries.get(src) !== ports) out.push({ op: 'mdbSet', vlan, group, source: src === STAR ? null : src, ports });
    }
    if (desired.size === 0) this.installed.delete(key);
    else this.installed.set(key, { vlan, group, entries: desired });
  }

  clear(): void {
    this.installed.clear();
  }

  /** Number of (V, G) with entries and of all entries (for stats). */
  sizes(): { groups: number; entries: number } {
    let entries = 0;
    for (const i of this.installed.values()) entries += i.entries.size;
    return { groups: this.installed.size, entries };
  }

  keys(): IterableIterator<string> {
    return this.installed.keys();
  }

  get(key: string): Installed | undefined {
    return this.installed.get(key);
  }
}
