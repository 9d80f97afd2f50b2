// The linear-memory layout: where every region lives, decided once by `init` above __heap_base.
//
//   __heap_base ─ static data (name strings) sits below it; nothing here ever allocates
//   slots        maxBatch × SLOT_STRIDE   frames; native receives at slot + SLOT_HEADROOM
//   umem         UMEM_CHUNKS × UMEM_CHUNK_SIZE, page-aligned: AF_XDP frames (the kernel writes them there)
//   descriptors  maxBatch × 32            written by native (docs/architecture.md, "RX descriptor")
//   verdicts     maxBatch × 16            written by process()
//   tx counts    64 × u32                 per egress port, then 64 × u32 TX cursors (the core's own)
//   tx lists     64 × txListStride        u16 frame indices per egress port
//   punt list    u32 count + maxBatch × u16  frames punted by the last batch, in order
//   fdb, mdb     hash tables sized from their capacities
//   limiter      64 × 16                  report token buckets
//   counters     65 rows + globals        u64 each
//   scratch      64                       keys written by the loader for mdbSet/mdbDelete
//
// Each region's offset is exported through a getter (index.ts), so neither TypeScript nor C hard-codes one.
// `planLayout` is the single definition: `requiredBytes` runs it without committing, `init` commits it.

import { zeroRange } from "./zero";
import { countersBytes, countersPlace, MAX_PORTS } from "./counters";
import { fdbBytes, fdbPlace } from "./fdb";
import { mdbBytes, mdbPlace } from "./mdb";
import { limiterBytes, limiterPlace } from "./ratelimit";

/**
 * 68 KiB per slot: the largest GSO frame (IPv4/IPv6 payload up to 65535 octets plus the IP header, Ethernet header
 * and two VLAN tags) after the headroom, with room to spare; a multiple of the 4 KiB page.
 */
export const SLOT_STRIDE: u32 = 69632 + 64;
/** Native receives at slot + headroom, so a stripped VLAN tag can be re-inserted in front (4 bytes per tag). */
export const SLOT_HEADROOM: u32 = 128;
/** Bytes a frame may occupy from slot + headroom. */
export const SLOT_SIZE: u32 = SLOT_STRIDE - SLOT_HEADROOM;

/**
 * AF_XDP UMEM (docs/packet-io.md, "AF_XDP"): the kernel receives into and sends from these chunks, so a frame of an
 * AF_XDP port is read by the core where it landed. 2 KiB chunks hold a 1792-byte frame after the kernel's 256-byte
 * XDP headroom (an MTU-1500 frame with two VLAN tags); longer frames take the AF_PACKET path. 4096 chunks (8 MiB)
 * keep the fill rings of a few ports full while frames are held on TX rings.
 */
export const UMEM_CHUNK_SIZE: u32 = 2048;
export const UMEM_CHUNKS: u32 = 4096;

// RX descriptor, one per frame (docs/architecture.md).
export const DESC_STRIDE: u32 = 32;
export const DESC_FRAME: usize = 0;
export const DESC_LENGTH: usize = 4;
export const DESC_PORT: usize = 8;
export const DESC_FLAGS: usize = 10;
/** Receive time of the batch, ms (written by native). */
export const DESC_TIME: usize = 12;
/** The kernel's virtio_net_hdr (PACKET_VNET_HDR), handed back unchanged on transmit. */
export const DESC_VNET: usize = 16;
export const DESC_FLAG_TRUNCATED: u32 = 1;
/** The L4 checksum was left for offload: it cannot be verified here. */
export const DESC_FLAG_CSUM_PARTIAL: u32 = 2;
export const DESC_FLAG_GSO: u32 = 4;

// Verdict, one per frame (docs/architecture.md).
export const VERDICT_STRIDE: u32 = 16;
export const VERDICT_PORTS: usize = 0;
export const VERDICT_ACTION: usize = 8;
export const VERDICT_REASON: usize = 9;
export const VERDICT_PUNT: usize = 10;
export const VERDICT_L3_OFFSET: usize = 12;
export const VERDICT_VLAN: usize = 14;

export const SCRATCH_BYTES: u32 = 64;

/** The punt list: u32 count, then the u16 frame indices from this offset. */
export const PUNT_LIST_INDICES: usize = 4;

/** A batch no larger than this keeps frame indices in u16 and the slots within 4 GiB. */
export const MAX_BATCH_LIMIT: u32 = 4096;

const REGION_ALIGN: usize = 64;
const PAGE: usize = 4096;

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
  const listStride = <u32>alignUp(<usize>batch * 2, 16);
  let at = alignUp(__heap_base, PAGE);
  const slots = at;
  at += <usize>batch * SLOT_STRIDE;
  at = alignUp(at, PAGE);
  const umem = at;
  at += <usize>UMEM_CHUNKS * UMEM_CHUNK_SIZE;
  const desc = at;
  at = alignUp(at + <usize>batch * DESC_STRIDE, REGION_ALIGN);
  const verdicts = at;
  at = alignUp(at + <usize>batch * VERDICT_STRIDE, REGION_ALIGN);
  const txCounts = at;
  // Followed by the core's own TX cursors (one u32 address per port; pipeline.ts), which native never reads.
  const txCursors = at + <usize>MAX_PORTS * 4;
  at = alignUp(txCursors + <usize>MAX_PORTS * 4, REGION_ALIGN);
  const txLists = at;
  at = alignUp(at + <usize>MAX_PORTS * listStride, REGION_ALIGN);
  const puntList = at;
  at = alignUp(at + PUNT_LIST_INDICES + <usize>batch * 2, REGION_ALIGN);
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
