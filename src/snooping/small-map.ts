// A map for the few entries the engine keeps per membership: the ports of a group, the sources of a port-group, the
// hosts behind a port, the MDB entries of a group. Usually one entry, at most MAX_SOURCES_PER_PORT_GROUP /
// MAX_HOSTS_PER_PORT_GROUP / 64 ports.
//
// Why not Map: an empty Map costs about 200 bytes (its hash table is allocated for 4 entries up front), and a
// membership had four of them; with 100 k groups per family that alone was about 0.8 KB per membership (issue 12,
// item 5, measured with bench/engine-memory.ts). This keeps keys and values in one array (none while empty), in
// insertion order like a Map, and finds a key by a linear scan, which for these sizes is as fast as hashing.
//
// Iteration follows Map semantics where the engine relies on them: entries deleted during an iteration are not
// visited if not reached yet, and deleting the current entry is safe. (Entries added during an iteration are not
// visited; the engine never adds while iterating.)

/** Deletions from any SmallMap, so an iteration knows when its copy may hold deleted entries (a field per map would cost 8 bytes each). */
let deletions = 0;

export class SmallMap<K, V> implements Iterable<[K, V]> {
  /** k0, v0, k1, v1, … in insertion order; null while empty. */
  private items: Array<K | V> | null = null;

  get size(): number {
    return this.items === null ? 0 : this.items.length >> 1;
  }

  get(key: K): V | undefined {
    const i = this.indexOf(key);
    return i < 0 ? undefined : (this.items![i + 1] as V);
  }

  has(key: K): boolean {
    return this.indexOf(key) >= 0;
  }

  set(key: K, value: V): this {
    const i = this.indexOf(key);
    if (i >= 0) this.items![i + 1] = value;
    else if (this.items === null) this.items = [key, value];
    else this.items.push(key, value);
    return this;
  }

  delete(key: K): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    if (this.items!.length === 2) this.items = null;
    else this.items!.splice(i, 2);
    deletions++;
    return true;
  }

  clear(): void {
    if (this.items !== null) deletions++;
    this.items = null;
  }

  *entries(): IterableIterator<[K, V]> {
    const a = this.items;
    if (a === null) return;
    const copy = a.slice();
    const deletionsBefore = deletions;
    for (let i = 0; i < copy.length; i += 2) {
      const k = copy[i] as K;
      const v = copy[i + 1] as V;
      if (deletions !== deletionsBefore && this.get(k) !== v) continue; // deleted meanwhile
      yield [k, v];
    }
  }

  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  private indexOf(key: K): number {
    const a = this.items;
    if (a === null) return -1;
    for (let i = 0; i < a.length; i += 2) if (a[i] === key) return i;
    return -1;
  }
}
