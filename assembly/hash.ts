// Hashing for the open-addressing tables. The finaliser of MurmurHash3 (fmix64): every input bit affects every
// output bit, which linear probing needs because MAC addresses and group addresses differ mostly in a few bytes.

@inline export function mix64(x: u64): u64 {
  x ^= x >>> 33;
  x *= 0xff51afd7ed558ccd;
  x ^= x >>> 33;
  x *= 0xc4ceb9fe1a85ec53;
  x ^= x >>> 33;
  return x;
}

/** Slots for a table holding `capacity` entries at a load factor of at most 1/2: a power of two, at least 16. */
export function slotsForCapacity(capacity: u32): u32 {
  const wanted = max<u64>(<u64>capacity * 2, 16);
  // Next power of two of `wanted` (≤ 2^33 for any u32 capacity; callers keep capacity far below that).
  return <u32>(<u64>1 << (64 - clz<u64>(wanted - 1)));
}
