// The memory contract between the Wasm core (assembly/), the native addon (native/src/) and TypeScript (src/): every
// fixed fact about the linear memory they share — region sizes, record layouts with their field widths, flag bits,
// enumerations, limits — described once, here. `src/contract/generate.ts` turns it into
//
//   assembly/contract.ts          AssemblyScript constants (the core's layout.ts, pipeline.ts, mdb.ts import them)
//   native/src/contract.h         C #defines, IGS_-prefixed (igs.h includes it)
//   src/contract/constants.ts     TypeScript constants (the loader, the addon wrapper, tests)
//
// and `npm run build` regenerates them; test/unit/contract.test.ts fails when a committed file differs. Where each
// region starts depends on the batch size and table capacities, so assembly/layout.ts still places the regions at
// init (in the order listed under `regions`) and exports their bases through getters; only sizes live here.
// docs/architecture.md ("The memory contract") describes the records field by field.

/** A value type as the three languages spell it. */
export type Width = 'u8' | 'u16' | 'u32' | 'u64';

export const WIDTH_BYTES: Record<Width, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** A named number; `as` is the AssemblyScript type of the constant (default u32). */
export interface Constant {
  value: number;
  doc: string;
  as?: 'u8' | 'u16' | 'u32' | 'usize' | 'u64';
  /** Written in hexadecimal (a mask). */
  hex?: boolean;
}

/** A record in memory: fields at byte offsets, each of a width; `stride` bytes per record. */
export interface RecordLayout {
  doc: string;
  stride: number;
  fields: Record<string, { offset: number; width: Width | { bytes: number }; doc: string }>;
}

/** A set of bit flags (values are bit masks) or an enumeration (values are codes), with their AS type. */
export interface ValueSet {
  doc: string;
  as: 'u8' | 'u16' | 'u32';
  values: Record<string, number>;
}

/** A region of linear memory, placed by assembly/layout.ts in this order. */
export interface Region {
  name: string;
  size: string;
  doc: string;
}

export interface MemoryContract {
  constants: Record<string, Constant>;
  records: Record<string, RecordLayout>;
  flags: Record<string, ValueSet>;
  enums: Record<string, ValueSet>;
  /** u64 stores that pack several fields of one record: the shift of each field is derived from its offset. */
  packed: Record<string, { record: string; at: string; fields: string[]; doc: string }>;
  regions: Region[];
}

export const memoryContract: MemoryContract = {
  constants: {
    MAX_PORTS: { value: 64, doc: 'Ports a switch can have: egress sets are u64 bitmaps, one bit per port index.' },
    SLOT_STRIDE: {
      value: 69632 + 64,
      doc: 'Bytes per frame slot: the largest GSO frame (IP payload up to 65535 octets plus the IP, Ethernet and two ' +
        'VLAN headers) after the headroom, with room to spare.',
    },
    SLOT_HEADROOM: {
      value: 128,
      doc: 'Native receives at slot + headroom, so a stripped VLAN tag can be re-inserted in front (4 bytes per tag).',
    },
    UMEM_CHUNK_SIZE: {
      value: 2048,
      doc: 'AF_XDP UMEM chunk (docs/packet-io.md, "AF_XDP"): a 1792-byte frame after the kernel\'s 256-byte XDP ' +
        'headroom (an MTU-1500 frame with two VLAN tags); longer frames take the AF_PACKET path. A power of two.',
    },
    UMEM_CHUNKS: {
      value: 4096,
      doc: 'AF_XDP UMEM chunks (8 MiB): keeps the fill rings of a few ports full while frames are held on TX rings.',
    },
    PAGE_SIZE: { value: 4096, doc: 'Slots and the UMEM start on a page boundary (the kernel registers UMEM by page).', as: 'usize' },
    REGION_ALIGN: { value: 64, doc: 'Every other region starts on a cache line.', as: 'usize' },
    MAX_BATCH_LIMIT: { value: 4096, doc: 'A batch no larger than this keeps frame indices in u16 and the slots within 4 GiB.' },
    TX_COUNT_BYTES: { value: 4, doc: 'A TX count (frames queued on one egress port this batch) is a u32.' },
    FRAME_INDEX_BYTES: { value: 2, doc: 'A frame\'s index in the batch is a u16 (TX list and punt list entries).' },
    TX_LIST_ALIGN: { value: 16, doc: 'Each port\'s TX list starts on a multiple of this many bytes.' },
    PUNT_LIST_INDICES: {
      value: 4,
      doc: 'The punt list is a u32 count, then the u16 frame indices of the punted frames from this offset.',
      as: 'usize',
    },
    KEY_BYTES: {
      value: 16,
      doc: 'An MDB group or source key: a 16-byte address, IPv4 as IPv4-mapped ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).',
    },
    SCRATCH_BYTES: { value: 64, doc: 'Where the loader writes a group key, then a source key, for mdbSet/mdbDelete.' },
    SCRATCH_GROUP: { value: 0, doc: 'Offset of the group key in the scratch region.', as: 'usize' },
    SCRATCH_SOURCE: { value: 16, doc: 'Offset of the source key in the scratch region (after the group key).', as: 'usize' },
    VLAN_ID_MASK: { value: 0x0fff, doc: 'The 12-bit VLAN id (IEEE 802.1Q §9.6).', hex: true },
  },

  records: {
    DESC: {
      doc: 'RX descriptor, one per frame, written by native (or the loader) before process().',
      stride: 32,
      fields: {
        FRAME: { offset: 0, width: 'u32', doc: 'Address of the frame\'s first byte in linear memory.' },
        LENGTH: { offset: 4, width: 'u32', doc: 'Frame length in bytes.' },
        PORT: { offset: 8, width: 'u16', doc: 'Ingress port index.' },
        FLAGS: { offset: 10, width: 'u16', doc: 'DESC_FLAG bits.' },
        TIME: { offset: 12, width: 'u32', doc: 'Receive time of the batch, ms (written by native).' },
        VNET: {
          offset: 16, width: { bytes: 12 },
          doc: 'The kernel\'s virtio_net_hdr (PACKET_VNET_HDR), handed back unchanged on transmit (10 bytes used).',
        },
      },
    },
    VERDICT: {
      doc: 'Verdict, one per frame, written by process().',
      stride: 16,
      fields: {
        PORTS: { offset: 0, width: 'u64', doc: 'Egress port bitmap.' },
        ACTION: { offset: 8, width: 'u8', doc: 'ACTION code.' },
        REASON: { offset: 9, width: 'u8', doc: 'DROP reason when the action is drop (0 otherwise).' },
        PUNT: { offset: 10, width: 'u8', doc: 'PUNT class when the frame goes to the control plane.' },
        L3_OFFSET: { offset: 12, width: 'u16', doc: 'Offset of the IP header from the frame start.' },
        VLAN: { offset: 14, width: 'u16', doc: 'VLAN id the frame was classified into.' },
      },
    },
    MDB: {
      doc: 'MDB entry (one cache line, so a probe costs one line).',
      stride: 64,
      fields: {
        PORTS: { offset: 0, width: 'u64', doc: 'Egress bitmap (0 for a placeholder).' },
        HASH: { offset: 8, width: 'u32', doc: 'Full 32-bit hash; compared before the key.' },
        VLAN_STATE: { offset: 12, width: 'u16', doc: 'MDB_OCCUPIED | VLAN id; 0 = empty slot.' },
        FLAGS: { offset: 14, width: 'u16', doc: 'MDB_FLAG bits.' },
        SG_COUNT: { offset: 16, width: 'u32', doc: 'On a (*,G): how many (S,G) entries exist for the same (VLAN, G).' },
        GROUP: { offset: 32, width: { bytes: 16 }, doc: 'Group key (KEY_BYTES).' },
        SOURCE: { offset: 48, width: { bytes: 16 }, doc: 'Source key (KEY_BYTES); all zero on a (*,G).' },
      },
    },
  },

  flags: {
    DESC_FLAG: {
      doc: 'RX descriptor flags.',
      as: 'u32',
      values: {
        TRUNCATED: 1,
        CSUM_PARTIAL: 2, // the L4 checksum was left for offload: it cannot be verified here
        GSO: 4,
      },
    },
    MDB_FLAG: {
      doc: 'MDB entry flags: REGISTERED = a (*,G) the control plane set; SOURCE_SPECIFIC = an (S,G).',
      as: 'u16',
      values: { REGISTERED: 1, SOURCE_SPECIFIC: 2 },
    },
    MDB: {
      doc: 'MDB slot state bit in VLAN_STATE.',
      as: 'u16',
      values: { OCCUPIED: 0x8000 },
    },
  },

  enums: {
    ACTION: {
      doc: 'Verdict actions (the name table\'s "action" section lists them in this order).',
      as: 'u8',
      values: { DROP: 0, FORWARD: 1, PUNT: 2, PUNT_AND_FORWARD: 3 },
    },
    PUNT: {
      doc: 'Punt classes: which control-plane protocol a punted frame carries (name table "punt" section).',
      as: 'u8',
      values: { NONE: 0, IGMP: 1, MLD: 2, PIM: 3, MRD: 4 },
    },
    PUNT_META: {
      doc: 'Punt metadata: the u32 words per punted frame the worker sends the main thread (src/dataplane/messages.ts); ' +
        'OFFSET is where the frame starts in the batch\'s frame buffer, FORWARDED is 1 for punt_and_forward.',
      as: 'u32',
      values: { PORT: 0, VLAN: 1, L3_OFFSET: 2, LENGTH: 3, OFFSET: 4, CLASS: 5, FORWARDED: 6 },
    },
  },

  packed: {
    VERDICT_OUTCOME: {
      record: 'VERDICT',
      at: 'ACTION',
      fields: ['ACTION', 'REASON', 'PUNT', 'L3_OFFSET', 'VLAN'],
      doc: 'process() writes bytes 8..15 of a verdict with one u64 store; each field sits at this bit shift.',
    },
  },

  regions: [
    { name: 'slots', size: 'maxBatch × SLOT_STRIDE, page-aligned', doc: 'frames; native receives at slot + SLOT_HEADROOM' },
    { name: 'umem', size: 'UMEM_CHUNKS × UMEM_CHUNK_SIZE, page-aligned', doc: 'AF_XDP frames (the kernel writes them there)' },
    { name: 'descriptors', size: 'maxBatch × DESC_STRIDE', doc: 'written by native' },
    { name: 'verdicts', size: 'maxBatch × VERDICT_STRIDE', doc: 'written by process()' },
    { name: 'tx counts', size: 'MAX_PORTS × TX_COUNT_BYTES', doc: 'per egress port, then MAX_PORTS u32 TX cursors (the core\'s own)' },
    { name: 'tx lists', size: 'MAX_PORTS × txListStride', doc: 'u16 frame indices per egress port; stride = maxBatch × FRAME_INDEX_BYTES rounded up to TX_LIST_ALIGN' },
    { name: 'punt list', size: 'PUNT_LIST_INDICES + maxBatch × FRAME_INDEX_BYTES', doc: 'frames punted by the last batch, in order' },
    { name: 'fdb, mdb', size: 'from their capacities (MDB_STRIDE per MDB slot)', doc: 'hash tables' },
    { name: 'limiter', size: 'MAX_PORTS × 16', doc: 'report token buckets' },
    { name: 'counters', size: '(MAX_PORTS + 1) rows + globals, u64 each', doc: 'a row per port, then the invalid-port row' },
    { name: 'scratch', size: 'SCRATCH_BYTES', doc: 'keys written by the loader for mdbSet/mdbDelete' },
  ],
};
