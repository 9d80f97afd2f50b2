// Hashing for the open-addressing tables: Fibonacci (multiplicative) hashing. The high half of key × 2^64/φ
// depends on every key bit below it, so MAC addresses and group addresses that differ only in their last bytes
// still spread over the whole table, and one multiply keeps the per-frame path short. The low bits of the product
// do NOT mix: taking the index from them (hash & mask) once made 10 000 sequential groups collide into a few runs
// (microseconds per lookup). `fdbLongestProbe`/`mdbLongestProbe` and their test guard against that.

const GOLDEN: u64 = 0x9e3779b97f4a7c15;

/**
 * The high 32 bits of key × 2^64/φ. Only the *top* bits of the product mix the whole key, so tables take their
 * index from the top: `hash >>> indexShift(slots)`, never `hash & mask`.
 */
@inline export function hashKey(x: u64): u32 {
  return <u32>((x * GOLDEN) >>> 32);
}

/** Shift that turns a hashKey() value into an index of a power-of-two table of `slots` slots. */
export function indexShift(slots: u32): u32 {
  return 32 - ctz(slots);
}

/** Slots for a table holding `capacity` entries at a load factor of at most 1/2: a power of two, at least 16. */
export function slotsForCapacity(capacity: u32): u32 {
  const wanted = max<u64>(<u64>capacity * 2, 16);
  // Next power of two of `wanted` (≤ 2^33 for any u32 capacity; callers keep capacity far below that).
  return <u32>(<u64>1 << (64 - clz<u64>(wanted - 1)));
}
