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
  descBase, DESC_STRIDE, fdbBase, limiterBase, maxBatch, mdbBase, PUNT_LIST_INDICES, puntListBase, regionsEnd,
  scratchBase,
  SCRATCH_BYTES, slotsBase, umemBase, UMEM_CHUNKS, UMEM_CHUNK_SIZE, SLOT_HEADROOM, SLOT_SIZE, SLOT_STRIDE, txCountsBase, txListsBase, txListStride,
  verdictsBase, VERDICT_STRIDE,
  DESC_FLAG_CSUM_PARTIAL, DESC_FLAG_GSO, DESC_FLAG_TRUNCATED, DESC_FLAGS, DESC_FRAME, DESC_LENGTH, DESC_PORT, DESC_TIME, DESC_VNET,
  VERDICT_ACTION, VERDICT_L3_OFFSET, VERDICT_PORTS, VERDICT_PUNT, VERDICT_REASON, VERDICT_VLAN,
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
export function layoutSlots(): usize { return slotsBase; }
export function layoutSlotStride(): u32 { return SLOT_STRIDE; }
export function layoutSlotHeadroom(): u32 { return SLOT_HEADROOM; }
export function layoutSlotSize(): u32 { return SLOT_SIZE; }
export function layoutUmem(): usize { return umemBase; }
export function layoutUmemChunks(): u32 { return UMEM_CHUNKS; }
export function layoutUmemChunkSize(): u32 { return UMEM_CHUNK_SIZE; }
export function layoutDesc(): usize { return descBase; }
export function layoutDescStride(): u32 { return DESC_STRIDE; }
// Field offsets and flag bits, so that neither TypeScript nor C repeats them (the native addon takes them at attach).
export function layoutDescFrame(): u32 { return <u32>DESC_FRAME; }
export function layoutDescLength(): u32 { return <u32>DESC_LENGTH; }
export function layoutDescPort(): u32 { return <u32>DESC_PORT; }
export function layoutDescFlags(): u32 { return <u32>DESC_FLAGS; }
export function layoutDescTime(): u32 { return <u32>DESC_TIME; }
export function layoutDescVnet(): u32 { return <u32>DESC_VNET; }
export function layoutFlagTruncated(): u32 { return DESC_FLAG_TRUNCATED; }
export function layoutFlagCsumPartial(): u32 { return DESC_FLAG_CSUM_PARTIAL; }
export function layoutFlagGso(): u32 { return DESC_FLAG_GSO; }
export function layoutVerdictPorts(): u32 { return <u32>VERDICT_PORTS; }
export function layoutVerdictAction(): u32 { return <u32>VERDICT_ACTION; }
export function layoutVerdictReason(): u32 { return <u32>VERDICT_REASON; }
export function layoutVerdictPunt(): u32 { return <u32>VERDICT_PUNT; }
export function layoutVerdictL3Offset(): u32 { return <u32>VERDICT_L3_OFFSET; }
export function layoutVerdictVlan(): u32 { return <u32>VERDICT_VLAN; }
export function layoutVerdicts(): usize { return verdictsBase; }
export function layoutVerdictStride(): u32 { return VERDICT_STRIDE; }
export function layoutTxCounts(): usize { return txCountsBase; }
export function layoutTxLists(): usize { return txListsBase; }
export function layoutTxListStride(): u32 { return txListStride; }
export function layoutMaxBatch(): u32 { return maxBatch; }
/** The last batch's punted frames: a u32 count here … */
export function layoutPuntList(): usize { return puntListBase; }
/** … and that many u16 frame indices here, in frame order. */
export function layoutPuntListIndices(): usize { return puntListBase + PUNT_LIST_INDICES; }
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
export function layoutScratchSize(): u32 { return SCRATCH_BYTES; }
/** First byte after the last region. */
export function layoutEnd(): usize { return regionsEnd; }

// ---- the name table (names.ts): counter names and enumerations, defined once in AssemblyScript ----
export function nameTableSections(): i32 { return SECTION_COUNT; }
/** Address of a section's comma-separated names, UTF-16LE. */
export function nameTable(index: i32): usize { return changetype<usize>(section(index)); }
/** Length of that string in UTF-16 code units. */
export function nameTableLength(index: i32): i32 { return section(index).length; }

export function resetCounters(): void { countersClear(); }
