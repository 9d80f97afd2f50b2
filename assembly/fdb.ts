// The forwarding database: (VLAN, MAC) → port, learned from source addresses, aged by last-seen time.
//
// Open addressing with linear probing, backward-shift deletion (no tombstones), load ≤ 1/2 (capacity is half the
// slots), so a probe always ends at an empty slot. Entry, 16 bytes:
//
//   0  u64 key        VALID | vlan << 48 | MAC (little-endian 48 bits); 0 = empty slot
//   8  u32 lastSeen   ms, the caller's clock (wraps; ages compare by u32 difference)
//  12  u16 port
//  14  u16 reserved
//
// The VALID bit keeps the key of (VLAN 0, 00:00:00:00:00:00) distinct from an empty slot.

import { zeroRange } from "./zero";
import { hashKey, indexShift, slotsForCapacity } from "./hash";

const KEY: usize = 0;
const LAST_SEEN: usize = 8;
const PORT: usize = 12;
export const FDB_ENTRY_SIZE: u32 = 16;

const VALID: u64 = 1 << 63;
const MAC_MASK: u64 = 0xffffffffffff;

/** What learning a source address did. */
export const LEARN_REFRESHED: i32 = 0;
export const LEARN_NEW: i32 = 1;
export const LEARN_MOVED: i32 = 2;
export const LEARN_FULL: i32 = 3;

/** Default aging time: the 300 s IEEE 802.1D recommends (and Linux bridges use). */
const DEFAULT_AGING_MS: u32 = 300_000;

let base: usize = 0;
let mask: u32 = 0;
let shift: u32 = 32;
let capacity: u32 = 0;
let count: u32 = 0;
let agingMs: u32 = DEFAULT_AGING_MS;
/**
 * A known address on the same port is re-stamped only when its stamp is at least this old: learning then costs no
 * store for almost every frame (and leaves the entry's cache line clean). At most 1 s, and 1/16 of the aging time
 * so that a short aging time still ages by traffic seen within it.
 */
let refreshMs: u32 = refreshFor(DEFAULT_AGING_MS);

@inline function refreshFor(aging: u32): u32 {
  return min<u32>(1000, aging >>> 4);
}

export function fdbBytes(cap: u32): usize {
  return <usize>slotsForCapacity(cap) * FDB_ENTRY_SIZE;
}

export function fdbPlace(at: usize, cap: u32, fresh: bool): void {
  base = at;
  mask = slotsForCapacity(cap) - 1;
  shift = indexShift(mask + 1);
  capacity = cap;
  count = 0;
  ageCursor = 0;
  if (!fresh) zeroRange(at, fdbBytes(cap));
}

@inline export function fdbKey(vlan: u32, mac: u64): u64 {
  return VALID | (<u64>vlan << 48) | mac;
}

@inline function slotAt(i: u32): usize {
  return base + (<usize>i << 4);
}

@inline function home(key: u64): u32 {
  return hashKey(key) >>> shift;
}

/** An entry not seen for longer than the aging time; 0 disables aging. */
@inline function isStale(e: usize, now: u32): bool {
  return agingMs != 0 && now - load<u32>(e, LAST_SEEN) > agingMs;
}

/** The slot holding `key`, or 0. */
function find(key: u64): usize {
  let i = home(key);
  while (true) {
    const e = slotAt(i);
    const k = load<u64>(e, KEY);
    if (k == key) return e;
    if (k == 0) return 0;
    i = (i + 1) & mask;
  }
  return 0;
}

/** The port of `key`, or -1 when unknown or stale (a stale entry is kept until `fdbAge` removes it). */
export function fdbLookup(key: u64, now: u32): i32 {
  const e = find(key);
  if (e == 0 || isStale(e, now)) return -1;
  return <i32>load<u16>(e, PORT);
}

/** Learn (or refresh) `key` on `port`; returns one of the LEARN_* results. */
export function fdbLearn(key: u64, port: u32, now: u32): i32 {
  let i = home(key);
  while (true) {
    const e = slotAt(i);
    const k = load<u64>(e, KEY);
    if (k == key) {
      if (<u32>load<u16>(e, PORT) == port) {
        // Most frames come from a known address on the same port it was stamped on recently: no store then.
        if (now - load<u32>(e, LAST_SEEN) >= refreshMs) store<u32>(e, now, LAST_SEEN);
        return LEARN_REFRESHED;
      }
      store<u32>(e, now, LAST_SEEN);
      store<u16>(e, <u16>port, PORT);
      return LEARN_MOVED;
    }
    if (k == 0) {
      if (count >= capacity) return LEARN_FULL;
      store<u64>(e, key, KEY);
      store<u32>(e, now, LAST_SEEN);
      store<u16>(e, <u16>port, PORT);
      count++;
      return LEARN_NEW;
    }
    i = (i + 1) & mask;
  }
  return LEARN_FULL;
}

/**
 * Remove the entry in slot `i` and close the gap: later entries of the probe run move back into the hole when
 * the hole lies between their home slot and where they sit, so lookups never meet a false empty slot.
 */
function removeSlot(i: u32): void {
  let hole = i;
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    const e = slotAt(j);
    const k = load<u64>(e, KEY);
    if (k == 0) break;
    const h = home(k);
    // Move when the hole is cyclically within [home, j): distance(home → j) ≥ distance(hole → j).
    if (((j - h) & mask) >= ((j - hole) & mask)) {
      memory.copy(slotAt(hole), e, FDB_ENTRY_SIZE);
      hole = j;
    }
  }
  store<u64>(slotAt(hole), 0, KEY);
  count--;
}

/** Remove every entry that matches: stale ones (port = -2) or those on `port` (≥ 0) or all (-1). */
function sweep(port: i32, now: u32): u32 {
  let removed: u32 = 0;
  let i: u32 = 0;
  const slots = mask + 1;
  while (i < slots) {
    const e = slotAt(i);
    if (load<u64>(e, KEY) != 0) {
      const hit = port == -2 ? isStale(e, now) : (port == -1 || <i32>load<u16>(e, PORT) == port);
      if (hit) {
        removeSlot(i);
        removed++;
        // A later entry may have moved into slot i: look at it again.
        continue;
      }
    }
    i++;
  }
  return removed;
}

/** Remove entries older than the aging time; returns how many. */
export function fdbAge(now: u32): u32 {
  return sweep(-2, now);
}

/** Where the next fdbAgeStep starts. */
let ageCursor: u32 = 0;

/**
 * Age 1/`parts` of the table, continuing where the last call stopped, so that the data-plane loop spends a few
 * microseconds at a time instead of one pass over every slot. `parts` calls age the whole table once. An entry that
 * backward-shift deletion moves behind the cursor is aged one pass later (it can only become older, never lost).
 */
export function fdbAgeStep(now: u32, parts: u32): u32 {
  const slots = mask + 1;
  const step = parts <= 1 ? slots : (slots + parts - 1) / parts;
  let removed: u32 = 0;
  let i = ageCursor < slots ? ageCursor : 0;
  const end = min<u32>(slots, i + step);
  while (i < end) {
    const e = slotAt(i);
    if (load<u64>(e, KEY) != 0 && isStale(e, now)) {
      removeSlot(i);
      removed++;
      continue; // a later entry may have moved into slot i
    }
    i++;
  }
  ageCursor = end >= slots ? 0 : end;
  return removed;
}

/** Forget the addresses learned on `port`, or all of them when `port` < 0; returns how many. */
export function fdbFlush(port: i32): u32 {
  return sweep(port < 0 ? -1 : port, 0);
}

export function fdbSetAgingMs(ms: u32): void {
  agingMs = ms;
  refreshMs = refreshFor(ms);
}

export function fdbCount(): u32 {
  return count;
}

export function fdbCapacity(): u32 {
  return capacity;
}

/** The longest distance of any entry from its home slot: a health figure for the hash (small when it spreads well). */
export function fdbLongestProbe(): u32 {
  let longest: u32 = 0;
  for (let i: u32 = 0; i <= mask; i++) {
    const key = load<u64>(slotAt(i), KEY);
    if (key != 0) longest = max(longest, (i - home(key)) & mask);
  }
  return longest;
}

// ---- reading entries for management: iterate with fdbNext(0), fdbNext(slot + 1), … until -1 ----

/** The first occupied slot at or after `slot`, or -1. */
export function fdbNext(slot: i32): i32 {
  for (let i = <u32>max(slot, 0); i <= mask; i++) {
    if (load<u64>(slotAt(i), KEY) != 0) return <i32>i;
  }
  return -1;
}

export function fdbSlotVlan(slot: i32): u32 {
  return <u32>(load<u64>(slotAt(<u32>slot), KEY) >>> 48) & 0xfff;
}

/** The MAC address as a little-endian 48-bit integer (first octet in the low byte). */
export function fdbSlotMac(slot: i32): u64 {
  return load<u64>(slotAt(<u32>slot), KEY) & MAC_MASK;
}

export function fdbSlotPort(slot: i32): u32 {
  return <u32>load<u16>(slotAt(<u32>slot), PORT);
}

export function fdbSlotLastSeen(slot: i32): u32 {
  return load<u32>(slotAt(<u32>slot), LAST_SEEN);
}
