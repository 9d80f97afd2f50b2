// The linear-memory layout: where every region lives, decided once by `init` above __heap_base (static data, the
// name strings, sits below it; nothing here ever allocates). The regions, in the order placed here, with their sizes,
// are listed in the memory contract (src/contract/memory.ts; the head of contract.ts repeats the list).
//
// Sizes, record layouts and limits come from the memory contract (src/contract/memory.ts, generated into
// contract.ts); each region's offset is exported through a getter (index.ts), so neither TypeScript nor C hard-codes one.
// `planLayout` is the single definition: `requiredBytes` runs it without committing, `init` commits it.

import { zeroRange } from "./zero";
import { countersBytes, countersPlace } from "./counters";
import {
  DESC_STRIDE, MAX_BATCH_LIMIT, MAX_PORTS, PAGE_SIZE, PUNT_LIST_INDICES, REGION_ALIGN, SCRATCH_BYTES, SLOT_HEADROOM,
  SLOT_STRIDE, TX_COUNT_BYTES, FRAME_INDEX_BYTES, TX_LIST_ALIGN, UMEM_CHUNK_SIZE, UMEM_CHUNKS, VERDICT_STRIDE,
} from "./contract";
import { fdbBytes, fdbPlace } from "./fdb";
import { mdbBytes, mdbPlace } from "./mdb";
import { limiterBytes, limiterPlace } from "./ratelimit";

/** Bytes a frame may occupy from slot + headroom. */
export const SLOT_SIZE: u32 = SLOT_STRIDE - SLOT_HEADROOM;


export let maxBatch: u32 = 0;
export let slotsBase: usize = 0;
export let umemBase: usize = 0;
export let descBase: usize = 0;
export let verdictsBase: usize = 0;
export let txCountsBase: usize = 0;
/** Per port, where its TX list takes the next frame index during a batch (u32 addresses; the core's own). */
export let txCursorsBase: usize = 0;
export let txListsBase: usize = 0;
export let txListStride: u32 = 0;
export let puntListBase: usize = 0;
export let fdbBase: usize = 0;
export let mdbBase: usize = 0;
export let limiterBase: usize = 0;
export let countersRegion: usize = 0;
export let scratchBase: usize = 0;
export let regionsEnd: usize = 0;

@inline function alignUp(x: usize, a: usize): usize {
  return (x + a - 1) & ~(a - 1);
}

/** Lay the regions out; with `commit` place them (and reset the tables), otherwise only return the end. */
function planLayout(batch: u32, fdbCapacity: u32, mdbCapacity: u32, commit: bool): usize {
  const listStride = <u32>alignUp(<usize>batch * FRAME_INDEX_BYTES, TX_LIST_ALIGN);
  let at = alignUp(__heap_base, PAGE_SIZE);
  const slots = at;
  at += <usize>batch * SLOT_STRIDE;
  at = alignUp(at, PAGE_SIZE);
  const umem = at;
  at += <usize>UMEM_CHUNKS * UMEM_CHUNK_SIZE;
  const desc = at;
  at = alignUp(at + <usize>batch * DESC_STRIDE, REGION_ALIGN);
  const verdicts = at;
  at = alignUp(at + <usize>batch * VERDICT_STRIDE, REGION_ALIGN);
  const txCounts = at;
  // Followed by the core's own TX cursors (one u32 address per port; pipeline.ts), which native never reads.
  const txCursors = at + <usize>MAX_PORTS * TX_COUNT_BYTES;
  at = alignUp(txCursors + <usize>MAX_PORTS * TX_COUNT_BYTES, REGION_ALIGN);
  const txLists = at;
  at = alignUp(at + <usize>MAX_PORTS * listStride, REGION_ALIGN);
  const puntList = at;
  at = alignUp(at + PUNT_LIST_INDICES + <usize>batch * FRAME_INDEX_BYTES, REGION_ALIGN);
  const fdb = at;
  at = alignUp(at + fdbBytes(fdbCapacity), REGION_ALIGN);
  const mdb = at;
  at = alignUp(at + mdbBytes(mdbCapacity), REGION_ALIGN);
  const limiter = at;
  at = alignUp(at + limiterBytes(), REGION_ALIGN);
  const counters = at;
  at = alignUp(at + countersBytes(), REGION_ALIGN);
  const scratch = at;
  at += SCRATCH_BYTES;
  if (commit) {
    maxBatch = batch;
    slotsBase = slots;
    umemBase = umem;
    descBase = desc;
    verdictsBase = verdicts;
    txCountsBase = txCounts;
    txCursorsBase = txCursors;
    txListsBase = txLists;
    txListStride = listStride;
    puntListBase = puntList;
    fdbBase = fdb;
    mdbBase = mdb;
    limiterBase = limiter;
    countersRegion = counters;
    scratchBase = scratch;
    regionsEnd = at;
    zeroRange(slots, at - slots);
    // TX cursors start at their lists (the batch loop moves them and resets the ones it moved).
    for (let p: u32 = 0; p < MAX_PORTS; p++) {
      store<u32>(txCursors + (<usize>p << 2), <u32>(txLists + <usize>(p * listStride)));
    }
    fdbPlace(fdb, fdbCapacity);
    mdbPlace(mdb, mdbCapacity);
    limiterPlace(limiter);
    countersPlace(counters);
  }
  return at;
}

/** Bytes of linear memory (from address 0) the layout needs. Pure: nothing is placed. */
export function requiredBytes(batch: u32, fdbCapacity: u32, mdbCapacity: u32): usize {
  return planLayout(min(batch, MAX_BATCH_LIMIT), fdbCapacity, mdbCapacity, false);
}

/** Place every region. False when the memory is smaller than `requiredBytes` says it must be. */
export function init(batch: u32, fdbCapacity: u32, mdbCapacity: u32): bool {
  batch = min(batch, MAX_BATCH_LIMIT);
  if (planLayout(batch, fdbCapacity, mdbCapacity, false) > (<usize>memory.size() << 16)) return false;
  planLayout(batch, fdbCapacity, mdbCapacity, true);
  return true;
}

/** True when [frame, frame + len) lies inside one UMEM chunk (where an AF_XDP port's frames are). */
@inline export function frameInUmem(frame: u32, len: u32): bool {
  const offset = frame - <u32>umemBase;
  return offset < UMEM_CHUNKS * UMEM_CHUNK_SIZE && len <= UMEM_CHUNK_SIZE - (offset & (UMEM_CHUNK_SIZE - 1));
}

@inline export function slotAddress(i: u32): usize {
  return slotsBase + <usize>i * SLOT_STRIDE;
}
