// The Wasm module's exports: the batch entry point, the layout getters the loader and the native addon read, and
// the table-programming and management calls the control plane uses between batches.
// Memory is imported (env.memory) and never grown; see layout.ts for the regions.

import {
  countersBase, countersClear, countGlobal, globalCountersBase, GLOBAL_COUNT, GLOBAL_FDB_AGED, GLOBAL_FDB_FLUSHED,
  GLOBAL_MDB_FULL, ROW_LENGTH, ROW_STRIDE, ROWS,
} from "./counters";
import { fdbAge as ageFdb, fdbAgeStep as ageFdbStep, fdbFlush as flushFdb } from "./fdb";
import { mdbSet as setMdb } from "./mdb";
import { section, SECTION_COUNT } from "./names";
import {
  descBase, fdbBase, limiterBase, maxBatch, mdbBase, puntListBase, regionsEnd, scratchBase, slotsBase, txCountsBase,
  txListsBase, txListStride, umemBase, verdictsBase,
} from "./layout";

export { init, requiredBytes } from "./layout";
export { process, trace } from "./pipeline";
export {
  setActivePorts, setMldSnooping, setPolicy, setPortFlags, setRouterPorts,
} from "./ports";
export { setReportRate } from "./ratelimit";
export {
  fdbCapacity, fdbCount, fdbLongestProbe, fdbNext, fdbSetAgingMs as setFdbAgingMs, fdbSlotLastSeen, fdbSlotMac,
  fdbSlotPort, fdbSlotVlan,
} from "./fdb";
export {
  mdbCapacity, mdbClear, mdbCount, mdbDelete, mdbLongestProbe, mdbNext, mdbSlotFlags, mdbSlotGroup, mdbSlotPorts,
  mdbSlotSource, mdbSlotSourceCount, mdbSlotVlan,
} from "./mdb";

// ---- table calls that also count ----

/** Remove FDB entries older than the aging time; returns how many. */
export function fdbAge(nowMs: u32): u32 {
  const n = ageFdb(nowMs);
  countGlobal(GLOBAL_FDB_AGED, n);
  return n;
}

/** Age 1/`parts` of the FDB (continuing where the last step stopped); returns how many entries were removed. */
export function fdbAgeStep(nowMs: u32, parts: u32): u32 {
  const n = ageFdbStep(nowMs, parts);
  countGlobal(GLOBAL_FDB_AGED, n);
  return n;
}

/** Forget the addresses learned on `port`, or every address when `port` is negative; returns how many. */
export function fdbFlush(port: i32): u32 {
  const n = flushFdb(port);
  countGlobal(GLOBAL_FDB_FLUSHED, n);
  return n;
}

/** Create or replace an MDB entry (keys at groupPtr/sourcePtr, sourcePtr 0 = (*,G)); false when the table is full. */
export function mdbSet(vlan: u32, groupPtr: usize, sourcePtr: usize, ports: u64): bool {
  const ok = setMdb(vlan, groupPtr, sourcePtr, ports);
  if (!ok) countGlobal(GLOBAL_MDB_FULL, 1);
  return ok;
}

// ---- layout getters (docs/architecture.md) ----
// Where each region starts (it depends on the batch size and table capacities given to init). Sizes, record fields,
// flags and limits are not exported: TypeScript and C take them from the memory contract (src/contract/memory.ts),
// generated for all three languages.
export function layoutSlots(): usize { return slotsBase; }
export function layoutUmem(): usize { return umemBase; }
export function layoutDesc(): usize { return descBase; }
export function layoutVerdicts(): usize { return verdictsBase; }
export function layoutTxCounts(): usize { return txCountsBase; }
export function layoutTxLists(): usize { return txListsBase; }
export function layoutTxListStride(): u32 { return txListStride; }
export function layoutMaxBatch(): u32 { return maxBatch; }
/** The last batch's punted frames: a u32 count here, then that many u16 frame indices at PUNT_LIST_INDICES. */
export function layoutPuntList(): usize { return puntListBase; }
export function layoutFdb(): usize { return fdbBase; }
export function layoutMdb(): usize { return mdbBase; }
/** Per-port state (report token buckets). */
export function layoutPortTable(): usize { return limiterBase; }
export function layoutCounters(): usize { return countersBase(); }
/** Bytes per counter row (one row per port, then the invalid-port row). */
export function layoutCounterRowStride(): u32 { return ROW_STRIDE; }
/** u64 counters per row. */
export function layoutCounterRowLength(): u32 { return ROW_LENGTH; }
export function layoutCounterRows(): u32 { return ROWS; }
export function layoutGlobalCounters(): usize { return globalCountersBase(); }
export function layoutGlobalCounterCount(): u32 { return GLOBAL_COUNT; }
/** Where the loader writes 16-byte group and source keys for mdbSet/mdbDelete. */
export function layoutScratch(): usize { return scratchBase; }
/** First byte after the last region. */
export function layoutEnd(): usize { return regionsEnd; }

// ---- the name table (names.ts): counter names and enumerations, defined once in AssemblyScript ----
export function nameTableSections(): i32 { return SECTION_COUNT; }
/** Address of a section's comma-separated names, UTF-16LE. */
export function nameTable(index: i32): usize { return changetype<usize>(section(index)); }
/** Length of that string in UTF-16 code units. */
export function nameTableLength(index: i32): i32 { return section(index).length; }

export function resetCounters(): void { countersClear(); }
