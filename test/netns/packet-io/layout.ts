// The test's stand-in for the Wasm core's layout (the real one comes from the core's `layout*` getters).
// One helper so every fixture computes offsets the same way.

import type { PacketLayout } from '../../../src/io/packet-addon.js';
import { loadCore } from '../../../src/dataplane/core.js';

/** Descriptor field offsets and flag bits come from the Wasm module itself (one source of truth). */
function moduleFields(): Pick<PacketLayout, 'descFrame' | 'descLength' | 'descPort' | 'descFlags' | 'descTime' | 'descVnet' |
  'flagTruncated' | 'flagCsumPartial' | 'flagGso'> {
  const l = loadCore({ maxBatch: 1, fdbCapacity: 16, mdbCapacity: 16 }).layout;
  return {
    descFrame: l.descFrame, descLength: l.descLength, descPort: l.descPort, descFlags: l.descFlags, descTime: l.descTime,
    descVnet: l.descVnet, flagTruncated: l.flagTruncated, flagCsumPartial: l.flagCsumPartial, flagGso: l.flagGso,
  };
}

export interface TestLayoutOptions {
  maxBatch?: number;
  /** Bytes per slot; 69632 holds a 64 KiB GSO frame after the headroom (as the core's SLOT_STRIDE). */
  slotStride?: number;
  slotHeadroom?: number;
  /** AF_XDP UMEM chunks (2048 bytes each, page-aligned region); default 4096, 0 = none. */
  umemChunks?: number;
}

export interface TestLayout {
  layout: PacketLayout;
  /** 64 KiB Wasm pages needed: new WebAssembly.Memory({ initial: pages, maximum: pages }). */
  pages: number;
}

const align = (x: number, a: number) => Math.ceil(x / a) * a;

export function makeTestLayout(o: TestLayoutOptions = {}): TestLayout {
  const maxBatch = o.maxBatch ?? 64;
  const slotStride = o.slotStride ?? 69632;
  const slotHeadroom = o.slotHeadroom ?? 128;
  let at = 65536; // keep page 0 free, as a real module has data there
  const slots = at;
  at += maxBatch * slotStride;
  at = align(at, 4096);
  const umem = at;
  const umemChunks = o.umemChunks ?? 4096;
  const umemChunkSize = 2048;
  at += umemChunks * umemChunkSize;
  const desc = at;
  at = align(at + maxBatch * 32, 64);
  const txCounts = at;
  at = align(at + 64 * 4, 64);
  const txListStride = align(maxBatch * 2, 16);
  const txLists = at;
  at += 64 * txListStride;
  return {
    layout: {
      desc,
      descStride: 32,
      slots,
      slotStride,
      slotHeadroom,
      slotSize: slotStride - slotHeadroom,
      umem,
      umemChunks,
      umemChunkSize,
      txCounts,
      txLists,
      txListStride,
      maxBatch,
      ...moduleFields(),
    },
    pages: Math.ceil(at / 65536),
  };
}
