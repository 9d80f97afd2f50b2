// A map for the few entries the engine keeps per membership: the ports of a group, the sources of a port-group, the
// hosts behind a port, the MDB entries of a group. Usually one entry, at most MAX_SOURCES_PER_PORT_GROUP /
// MAX_HOSTS_PER_PORT_GROUP / 64 ports.
//
// Why not Map: an empty Map costs about 200 bytes (its hash table is allocated for 4 entries up front), and a
// membership had four of them; with 100 k groups per family that alone was about 0.8 KB per membership (issue 12,
// item 5, measured with bench/engine-memory.ts). This keeps the first entry in two fields and the others in one
// array, in insertion order like a Map, and finds a key by a linear scan, which for these sizes is as fast as hashing.
//
// Iteration follows Map semantics where the engine relies on them: entries deleted during an iteration are not
// visited if not reached yet, and deleting the current entry is safe. (Entries added during an iteration are not
// visited; the engine never adds while iterating.)

/** Deletions from any SmallMap, so an iteration knows when its copy may hold deleted entries (a field per map would cost 8 bytes each). */
let deletions = 0;

/** What an empty map returns from keys(), values() and entries(): one iterator, already exhausted (it stays so). */
const EXHAUSTED: IterableIterator<never> = ([] as never[]).values();

export class SmallMap<K, V> implements Iterable<[K, V]> {
  // The first entry lives in two fields (most maps hold one: no array at all); the others in `more`, as
  // k1, v1, k2, v2, … in insertion order (null while there are none). Keys are never undefined.
  private k0: K | undefined = undefined;
  private v0: V | undefined = undefined;
  private more: Array<K | V> | null = null;

  get size(): number {
    return this.k0 === undefined ? 0 : 1 + (this.more === null ? 0 : this.more.length >> 1);
  }

  get(key: K): V | undefined {
    if (this.k0 === key) return this.v0;
    const i = this.indexInMore(key);
    return i < 0 ? undefined : (this.more![i + 1] as V);
  }

  has(key: K): boolean {
    return this.k0 !== undefined && (this.k0 === key || this.indexInMore(key) >= 0);
  }

  set(key: K, value: V): this {
    if (this.k0 === undefined || this.k0 === key) {
      this.k0 = key;
      this.v0 = value;
      return this;
    }
    const i = this.indexInMore(key);
    if (i >= 0) this.more![i + 1] = value;
    else if (this.more === null) this.more = [key, value];
    else this.more.push(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (this.k0 === undefined) return false;
    if (this.k0 === key) {
      // The next entry moves up: insertion order is kept.
      if (this.more === null) {
        this.k0 = undefined;
        this.v0 = undefined;
      } else {
        this.k0 = this.more[0] as K;
        this.v0 = this.more[1] as V;
        this.removeFromMore(0);
      }
    } else {
      const i = this.indexInMore(key);
      if (i < 0) return false;
      this.removeFromMore(i);
    }
    deletions++;
    return true;
  }

  clear(): void {
    if (this.k0 !== undefined) deletions++;
    this.k0 = undefined;
    this.v0 = undefined;
    this.more = null;
  }

  // Iterators: a map of one entry (nearly all of them) or none is iterated over a one-element array (or a shared
  // empty one): V8 runs for-of and spread over arrays without the generator object, the copy and the result objects
  // of the general path, and the engine iterates these maps several times per report (a profile of a report storm
  // had SmallMap iteration at a sixth of the main thread's allocations). With one entry the Map semantics hold as
  // well: the entry is visited first, so it cannot be deleted before it is reached.

  entries(): IterableIterator<[K, V]> {
    if (this.k0 === undefined) return EXHAUSTED;
    if (this.more === null) return [[this.k0, this.v0 as V] as [K, V]].values();
    return this.entriesOfMany();
  }

  keys(): IterableIterator<K> {
    if (this.k0 === undefined) return EXHAUSTED;
    if (this.more === null) return [this.k0].values();
    return this.keysOfMany();
  }

  values(): IterableIterator<V> {
    if (this.k0 === undefined) return EXHAUSTED;
    if (this.more === null) return [this.v0 as V].values();
    return this.valuesOfMany();
  }

  private *entriesOfMany(): IterableIterator<[K, V]> {
    const copy: Array<K | V> = [this.k0 as K, this.v0 as V];
    if (this.more !== null) copy.push(...this.more);
    const deletionsBefore = deletions;
    for (let i = 0; i < copy.length; i += 2) {
      const k = copy[i] as K;
      const v = copy[i + 1] as V;
      if (deletions !== deletionsBefore && this.get(k) !== v) continue; // deleted meanwhile
      yield [k, v];
    }
  }

  private *keysOfMany(): IterableIterator<K> {
    for (const [k] of this.entriesOfMany()) yield k;
  }

  private *valuesOfMany(): IterableIterator<V> {
    for (const [, v] of this.entriesOfMany()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  private indexInMore(key: K): number {
    const a = this.more;
    if (a === null) return -1;
    for (let i = 0; i < a.length; i += 2) if (a[i] === key) return i;
    return -1;
  }

  private removeFromMore(i: number): void {
    if (this.more!.length === 2) this.more = null;
    else this.more!.splice(i, 2);
  }
}
