// From membership state to the data plane's MDB, and only the difference as table commands.
//
// Lookup contract with the data plane (Linux br_multicast_flood with IGMPv3, net/bridge/br_forward.c):
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
import { SmallMap } from './small-map.js';
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

/**
 * The entries (V, G) should have: undefined = no entry at all; a port mask = the (*,G) entry alone (the common case:
 * every member in EXCLUDE({}) and no static source; no map is made for it, this runs for every report that changes a
 * membership); else the map source → ports with STAR, for (*,G), first.
 */
export type DesiredEntries = undefined | bigint | Map<string, bigint>;

export function desiredEntries(group: GroupState | undefined, statics: StaticGroupPorts | undefined): DesiredEntries {
  if ((group === undefined || group.ports.size === 0) && statics === undefined) return undefined;
  let star = statics?.star ?? 0n;
  let anySource = statics !== undefined && statics.bySource.size > 0;
  if (group !== undefined) {
    for (const pg of group.ports.values()) {
      if (pg.mode === 'exclude') star |= bit(pg.port);
      if (pg.sources.size > 0) anySource = true;
    }
  }
  if (!anySource) return star;
  const sources = new Set<string>(statics ? statics.bySource.keys() : []);
  if (group !== undefined) for (const pg of group.ports.values()) for (const s of pg.sources.keys()) sources.add(s);
  const out = new Map<string, bigint>([[STAR, star]]);
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

function desiredHas(d: DesiredEntries, source: string): boolean {
  if (d === undefined) return false;
  return typeof d === 'bigint' ? source === STAR : d.has(source);
}

/**
 * The entries installed for one (VLAN, G): the (*,G) port mask alone (the common case: every member in EXCLUDE({})),
 * or the map source → ports (STAR for (*,G)). A bare mask of ports below 31 is kept as a small integer, which V8
 * stores in the table itself (a bigint is a 24-byte object per group: issue 12, item 5); a wider one as a bigint.
 */
export type Installed = number | bigint | SmallMap<string, bigint>;

/** Largest mask kept as a number: a small integer (Smi) on every V8 build. */
const SMALL_MASK_MAX = 0x7fffffffn;

function bareMask(mask: bigint): number | bigint {
  return mask >= 0n && mask <= SMALL_MASK_MAX ? Number(mask) : mask;
}

/** The sources (STAR for (*,G)) of what is installed. */
function installedSources(i: Installed | undefined): Iterable<string> {
  if (i === undefined) return NO_SOURCES;
  return typeof i === 'number' || typeof i === 'bigint' ? STAR_ONLY : i.keys();
}
const NO_SOURCES: readonly string[] = [];
const NO_ENTRIES: ReadonlyArray<readonly [string, bigint]> = [];
const STAR_ONLY: readonly string[] = [STAR];

function installedGet(i: Installed | undefined, source: string): bigint | undefined {
  if (i === undefined) return undefined;
  if (typeof i === 'number') return source === STAR ? BigInt(i) : undefined;
  if (typeof i === 'bigint') return source === STAR ? i : undefined;
  return i.get(source);
}

/**
 * What the data plane has, exactly: the entries we sent and it could hold. The data plane holds
 * `capacity` entries ((*,G) and (S,G) alike; `dataplane.mdb_capacity`) and refuses an mdbSet past it, so
 * the mirror budgets in entries and never sends one that cannot fit: an entry that does not fit is not
 * recorded as installed, its (VLAN, G) stays pending, and it is installed when entries are freed
 * (`retryPending`). Within a group, (*,G) comes first (desiredEntries puts it first), so a partly
 * installed group always has its (*,G) entry and the data plane never needs a placeholder for it.
 */
/**
 * The data plane's MDB capacity in entries, shared by every mirror that installs into the same table (the IGMP and
 * the MLD engine each keep a mirror; the Wasm MDB is one table).
 */
export class MdbBudget {
  /** Entries installed by all mirrors together. */
  used = 0;
  /** @param capacity entries the data plane holds; 0 = no limit. */
  constructor(public capacity = 0) {}

  hasRoom(): boolean {
    return this.capacity <= 0 || this.used < this.capacity;
  }
}

export class MdbMirror {
  /**
   * What is installed for (VLAN, G) keys that have no GroupState; a group's own entries are kept on its GroupState
   * (`installed`), which spares a second hash table entry per group (issue 12, item 5). The engine moves them here
   * when the GroupState goes (`keepFor`) and back when one is made again (`takeFor`).
   */
  private readonly installed = new ChurnMap<string, Installed>();
  /** (VLAN, G) keys whose desired entries are not all installed, in the order they were refused. */
  private readonly pending = new Set<string>();
  /** Entries this mirror installed (the budget counts every mirror's). */
  private used = 0;
  /** Entry installs refused for want of space (each attempt counts). */
  refusals = 0;

  constructor(readonly budget: MdbBudget = new MdbBudget()) {}

  get capacity(): number {
    return this.budget.capacity;
  }

  set capacity(entries: number) {
    this.budget.capacity = entries;
  }

  /**
   * Bring (vlan, group) to `desired` as far as the budget allows, appending the commands needed to
   * `out`. Returns false when some entries did not fit (the key is then pending). `holder` is the key's GroupState
   * when it has one (its entries are kept there).
   */
  sync(key: string, vlan: number, group: string, desired: DesiredEntries, out: TableCommand[], holder: GroupState | undefined): boolean {
    const have = holder !== undefined ? holder.installed : this.installed.get(key);
    if (have !== undefined) {
      for (const src of installedSources(have)) {
        if (!desiredHas(desired, src)) {
          out.push({ op: 'mdbDelete', vlan, group, source: src === STAR ? null : src });
          this.used--;
          this.budget.used--;
        }
      }
    }
    let missing = 0;
    // What is installed afterwards: the (*,G) mask alone (the common case, no map made), or a map once an (S,G)
    // entry is installed.
    let starMask: bigint | undefined;
    let withSources: SmallMap<string, bigint> | undefined;
    for (const [src, ports] of typeof desired === 'bigint' ? [[STAR, desired] as const] : desired ?? NO_ENTRIES) {
      const had = installedGet(have, src);
      if (had === undefined) {
        if (!this.hasRoom()) { missing++; continue; }
        this.used++;
        this.budget.used++;
      }
      if (had !== ports) out.push({ op: 'mdbSet', vlan, group, source: src === STAR ? null : src, ports });
      if (src === STAR && withSources === undefined) starMask = ports;
      else {
        if (withSources === undefined) {
          withSources = new SmallMap<string, bigint>();
          if (starMask !== undefined) withSources.set(STAR, starMask);
        }
        withSources.set(src, ports);
      }
    }
    const next = withSources ?? (starMask === undefined ? undefined : bareMask(starMask));
    if (holder !== undefined) holder.installed = next;
    else if (next === undefined) this.installed.delete(key);
    else this.installed.set(key, next);
    this.refusals += missing;
    if (missing > 0) this.pending.add(key);
    else this.pending.delete(key);
    return missing === 0;
  }

  /** A GroupState was made for its key: it keeps what is installed for the key from now on. */
  takeFor(g: GroupState): void {
    const i = this.installed.get(g.key);
    if (i === undefined) return;
    g.installed = i;
    this.installed.delete(g.key);
  }

  /** `g` is no longer the GroupState of its key: what is installed for the key is kept here until the next sync. */
  keepFor(g: GroupState): void {
    if (g.installed === undefined) return;
    this.installed.set(g.key, g.installed);
    g.installed = undefined;
  }

  /** Is there room for one more entry? */
  hasRoom(): boolean {
    return this.budget.hasRoom();
  }

  /** Keys not fully installed, oldest refusal first. */
  pendingKeys(): string[] {
    return [...this.pending];
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Number of entries installed (for stats). */
  sizes(): { entries: number } {
    return { entries: this.used };
  }
}
