// The multicast database: (VLAN, group[, source]) → egress ports, programmed by the control plane.
//
// Keys are 16-byte addresses (IPv4 as IPv4-mapped ::ffff:a.b.c.d) plus a 12-bit VLAN id; a (*,G) entry has an
// all-zero source. Open addressing, linear probing, backward-shift deletion, load ≤ 1/2. The entry (MDB_STRIDE
// bytes, one cache line so a probe costs one line) and its flags are part of the memory contract
// (src/contract/memory.ts, generated into contract.ts), since the loader reads entries too; the home slot is
// hash >>> shift.
//
// An (S,G) always has a (*,G) companion. When the control plane set only (S,G) entries for G, the companion is a
// placeholder (not REGISTERED, no ports) that exists to say "look up (S,G) first"; deleting the last (S,G) of G
// removes it. Lookup (mdbResolve): (*,G) → if it counts (S,G) entries, (S,G) first → else the (*,G)'s own ports.

import { zeroRange } from "./zero";
import { hashKey, indexShift, slotsForCapacity } from "./hash";
import {
  MDB_FLAG_REGISTERED as FLAG_REGISTERED, MDB_FLAG_SOURCE_SPECIFIC as FLAG_SOURCE_SPECIFIC, MDB_FLAGS as FLAGS,
  MDB_GROUP as GROUP, MDB_HASH as HASH, MDB_OCCUPIED as OCCUPIED, MDB_PORTS as PORTS, MDB_SG_COUNT as SG_COUNT,
  MDB_SOURCE as SOURCE, MDB_STRIDE, MDB_VLAN_STATE as VLAN_STATE, VLAN_ID_MASK as VLAN_MASK,
} from "./contract";

const ENTRY_SHIFT: u32 = ctz(MDB_STRIDE);

let base: usize = 0;
let mask: u32 = 0;
let shift: u32 = 32;
let capacity: u32 = 0;
let count: u32 = 0;

/** A table larger than this (a typical per-core L2) misses the cache on lookups of random groups. */
const CACHE_RESIDENT_BYTES: usize = 512 * 1024;
/** Whether the table is too large to stay in cache, so lookups gain from touching slots ahead (pipeline.ts). */
export let mdbOutgrowsCache: bool = false;

export function mdbBytes(cap: u32): usize {
  return <usize>slotsForCapacity(cap) * MDB_STRIDE;
}

export function mdbPlace(at: usize, cap: u32): void {
  base = at;
  mask = slotsForCapacity(cap) - 1;
  shift = indexShift(mask + 1);
  capacity = cap;
  count = 0;
  mdbOutgrowsCache = mdbBytes(cap) > CACHE_RESIDENT_BYTES;
  zeroRange(at, mdbBytes(cap));
}

@inline function slotAt(i: u32): usize {
  return base + (<usize>i << ENTRY_SHIFT);
}

/** Hash of (VLAN, group, source) given as little-endian u64 words of the 16-byte addresses. */
@inline function keyHash(vlan: u32, g0: u64, g1: u64, s0: u64, s1: u64): u32 {
  // Fold the five words into one (rotations keep equal words in different places from cancelling), then hash.
  // For an IPv4 (*,G) only g1 (the group) and the VLAN are non-zero.
  return hashKey(g1 ^ rotl<u64>(g0, 17) ^ rotl<u64>(s1 * 0xc2b2ae3d27d4eb4f, 31) ^ rotl<u64>(s0, 47) ^ <u64>vlan);
}

/** The entry for the key, or 0. Inlined: each call site then folds its constant zero source into the hash. */
@inline function find(vlan: u32, g0: u64, g1: u64, s0: u64, s1: u64): usize {
  const h = keyHash(vlan, g0, g1, s0, s1);
  const state = <u16>vlan | OCCUPIED;
  let i = h >>> shift;
  while (true) {
    const e = slotAt(i);
    const st = load<u16>(e, VLAN_STATE);
    if (st == 0) return 0;
    // One test for the whole key: the engine compiles chains of && into a compare-and-branch per field.
    const diff = <u64>(load<u32>(e, HASH) ^ h) | <u64>(st ^ state) |
      (load<u64>(e, GROUP) ^ g0) | (load<u64>(e, GROUP + 8) ^ g1) |
      (load<u64>(e, SOURCE) ^ s0) | (load<u64>(e, SOURCE + 8) ^ s1);
    if (diff == 0) return e;
    i = (i + 1) & mask;
  }
  return 0;
}

/** Claim an empty slot for the key (the caller checked it is absent and that there is room). */
function insert(vlan: u32, g0: u64, g1: u64, s0: u64, s1: u64, ports: u64, flags: u16, sgCount: u32): usize {
  const h = keyHash(vlan, g0, g1, s0, s1);
  let i = h >>> shift;
  while (load<u16>(slotAt(i), VLAN_STATE) != 0) i = (i + 1) & mask;
  const e = slotAt(i);
  store<u64>(e, ports, PORTS);
  store<u32>(e, h, HASH);
  store<u16>(e, <u16>vlan | OCCUPIED, VLAN_STATE);
  store<u16>(e, flags, FLAGS);
  store<u32>(e, sgCount, SG_COUNT);
  store<u64>(e, g0, GROUP);
  store<u64>(e, g1, GROUP + 8);
  store<u64>(e, s0, SOURCE);
  store<u64>(e, s1, SOURCE + 8);
  count++;
  return e;
}

/** Remove an entry and close the gap (backward shift, as in fdb.ts). */
function remove(e: usize): void {
  let hole = <u32>((e - base) >>> ENTRY_SHIFT);
  let j = hole;
  while (true) {
    j = (j + 1) & mask;
    const next = slotAt(j);
    if (load<u16>(next, VLAN_STATE) == 0) break;
    const h = load<u32>(next, HASH) >>> shift;
    if (((j - h) & mask) >= ((j - hole) & mask)) {
      memory.copy(slotAt(hole), next, MDB_STRIDE);
      hole = j;
    }
  }
  store<u16>(slotAt(hole), 0, VLAN_STATE);
  count--;
}

/**
 * The entry whose ports apply to traffic from source (s0, s1) to group (g0, g1) in `vlan`, or 0 when the group is
 * unregistered (RFC 4541 2.1.2(3): no reported group matches). A placeholder (*,G) is returned for a source that
 * has no (S,G) entry: the group is known, this source has no listeners, so its ports are empty.
 */
@inline export function mdbResolve(vlan: u32, g0: u64, g1: u64, s0: u64, s1: u64): usize {
  const star = find(vlan, g0, g1, 0, 0);
  if (star == 0 || load<u32>(star, SG_COUNT) == 0) return star;
  const sg = find(vlan, g0, g1, s0, s1);
  return sg != 0 ? sg : star;
}

/**
 * Load from the slot where a lookup of (vlan, group) with no source starts, so that it is in the cache when the
 * lookup comes (see pipeline.ts, warmGroupSlots). The value means nothing.
 */
@inline export function touchGroupHome(vlan: u32, g0: u64, g1: u64): u32 {
  return <u32>load<u16>(slotAt(keyHash(vlan, g0, g1, 0, 0) >>> shift), VLAN_STATE);
}

/** True for an (S,G) entry (false for a (*,G) or placeholder). */
@inline export function entryIsSourceSpecific(e: usize): bool {
  return (load<u16>(e, FLAGS) & FLAG_SOURCE_SPECIFIC) != 0;
}

/** Egress ports of an entry returned by mdbResolve. */
@inline export function entryPorts(e: usize): u64 {
  return load<u64>(e, PORTS);
}

/**
 * Create or replace the entry for (vlan, group[, source]) read from memory (16 bytes each; sourcePtr 0 or an
 * all-zero source = (*,G)). Returns false when the table is full.
 */
export function mdbSet(vlan: u32, groupPtr: usize, sourcePtr: usize, ports: u64): bool {
  vlan &= VLAN_MASK;
  const g0 = load<u64>(groupPtr);
  const g1 = load<u64>(groupPtr, 8);
  const s0 = sourcePtr != 0 ? load<u64>(sourcePtr) : 0;
  const s1 = sourcePtr != 0 ? load<u64>(sourcePtr, 8) : 0;
  const star = find(vlan, g0, g1, 0, 0);
  if ((s0 | s1) == 0) {
    if (star != 0) {
      store<u64>(star, ports, PORTS);
      store<u16>(star, load<u16>(star, FLAGS) | FLAG_REGISTERED, FLAGS);
      return true;
    }
    if (count >= capacity) return false;
    insert(vlan, g0, g1, 0, 0, ports, FLAG_REGISTERED, 0);
    return true;
  }
  const sg = find(vlan, g0, g1, s0, s1);
  if (sg != 0) {
    store<u64>(sg, ports, PORTS);
    return true;
  }
  // A new (S,G) needs its (*,G) companion; create a placeholder when there is none. Insertion never moves
  // entries, so `star` stays valid.
  if (count + (star != 0 ? 1 : 2) > capacity) return false;
  if (star != 0) store<u32>(star, load<u32>(star, SG_COUNT) + 1, SG_COUNT);
  else insert(vlan, g0, g1, 0, 0, 0, 0, 1);
  insert(vlan, g0, g1, s0, s1, ports, FLAG_SOURCE_SPECIFIC, 0);
  return true;
}

/** Remove the entry for (vlan, group[, source]); false when there was none. */
export function mdbDelete(vlan: u32, groupPtr: usize, sourcePtr: usize): bool {
  vlan &= VLAN_MASK;
  const g0 = load<u64>(groupPtr);
  const g1 = load<u64>(groupPtr, 8);
  const s0 = sourcePtr != 0 ? load<u64>(sourcePtr) : 0;
  const s1 = sourcePtr != 0 ? load<u64>(sourcePtr, 8) : 0;
  if ((s0 | s1) == 0) {
    const star = find(vlan, g0, g1, 0, 0);
    if (star == 0 || (load<u16>(star, FLAGS) & FLAG_REGISTERED) == 0) return false;
    if (load<u32>(star, SG_COUNT) == 0) {
      remove(star);
    } else {
      // Its (S,G) entries still need it: keep it as a placeholder.
      store<u64>(star, 0, PORTS);
      store<u16>(star, load<u16>(star, FLAGS) & ~FLAG_REGISTERED, FLAGS);
    }
    return true;
  }
  const sg = find(vlan, g0, g1, s0, s1);
  if (sg == 0) return false;
  remove(sg);
  // Removal shifts entries, so look the companion up afresh.
  const star = find(vlan, g0, g1, 0, 0);
  if (star != 0) {
    const left = load<u32>(star, SG_COUNT) - 1;
    store<u32>(star, left, SG_COUNT);
    if (left == 0 && (load<u16>(star, FLAGS) & FLAG_REGISTERED) == 0) remove(star);
  }
  return true;
}

export function mdbClear(): void {
  zeroRange(base, <usize>(mask + 1) << ENTRY_SHIFT); // untouched pages stay untouched (zero.ts)
  count = 0;
}

export function mdbCount(): u32 {
  return count;
}

export function mdbCapacity(): u32 {
  return capacity;
}

/** The longest distance of any entry from its home slot: a health figure for the hash (small when it spreads well). */
export function mdbLongestProbe(): u32 {
  let longest: u32 = 0;
  for (let i: u32 = 0; i <= mask; i++) {
    const e = slotAt(i);
    if (load<u16>(e, VLAN_STATE) != 0) longest = max(longest, (i - (load<u32>(e, HASH) >>> shift)) & mask);
  }
  return longest;
}

// ---- reading entries for management: iterate with mdbNext(0), mdbNext(slot + 1), … until -1 ----
// Placeholders are entries too (flags without REGISTERED and not SOURCE_SPECIFIC); readers may skip them.

export function mdbNext(slot: i32): i32 {
  for (let i = <u32>max(slot, 0); i <= mask; i++) {
    if (load<u16>(slotAt(i), VLAN_STATE) != 0) return <i32>i;
  }
  return -1;
}

export function mdbSlotVlan(slot: i32): u32 {
  return <u32>load<u16>(slotAt(<u32>slot), VLAN_STATE) & VLAN_MASK;
}

export function mdbSlotPorts(slot: i32): u64 {
  return load<u64>(slotAt(<u32>slot), PORTS);
}

export function mdbSlotFlags(slot: i32): u32 {
  return <u32>load<u16>(slotAt(<u32>slot), FLAGS);
}

export function mdbSlotSourceCount(slot: i32): u32 {
  return load<u32>(slotAt(<u32>slot), SG_COUNT);
}

/** Address of the slot's 16-byte group. */
export function mdbSlotGroup(slot: i32): usize {
  return slotAt(<u32>slot) + GROUP;
}

/** Address of the slot's 16-byte source (all zero for (*,G)). */
export function mdbSlotSource(slot: i32): usize {
  return slotAt(<u32>slot) + SOURCE;
}
