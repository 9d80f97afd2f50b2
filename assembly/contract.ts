// Generated from src/contract/memory.ts by `npx tsx src/contract/generate.ts`; do not edit by hand.
// The memory contract (docs/architecture.md, "The memory contract").
//
// Regions, in the order assembly/layout.ts places them (their bases are the module's layout* getters):
//   slots        maxBatch × SLOT_STRIDE, page-aligned: frames; native receives at slot + SLOT_HEADROOM
//   umem         UMEM_CHUNKS × UMEM_CHUNK_SIZE, page-aligned: AF_XDP frames (the kernel writes them there)
//   descriptors  maxBatch × DESC_STRIDE: written by native
//   verdicts     maxBatch × VERDICT_STRIDE: written by process()
//   tx counts    MAX_PORTS × TX_COUNT_BYTES: per egress port, then MAX_PORTS u32 TX cursors (the core's own)
//   tx lists     MAX_PORTS × txListStride: u16 frame indices per egress port; stride = maxBatch × FRAME_INDEX_BYTES rounded up to TX_LIST_ALIGN
//   punt list    PUNT_LIST_INDICES + maxBatch × FRAME_INDEX_BYTES: frames punted by the last batch, in order
//   fdb, mdb     from their capacities (MDB_STRIDE per MDB slot): hash tables
//   limiter      MAX_PORTS × 16: report token buckets
//   counters     (MAX_PORTS + 1) rows + globals, u64 each: a row per port, then the invalid-port row
//   scratch      SCRATCH_BYTES: keys written by the loader for mdbSet/mdbDelete

// ---- Limits and sizes
/** Ports a switch can have: egress sets are u64 bitmaps, one bit per port index. */
export const MAX_PORTS: u32 = 64;
/** Bytes per frame slot: the largest GSO frame (IP payload up to 65535 octets plus the IP, Ethernet and two VLAN headers) after the headroom, with room to spare. */
export const SLOT_STRIDE: u32 = 69696;
/** Native receives at slot + headroom, so a stripped VLAN tag can be re-inserted in front (4 bytes per tag). */
export const SLOT_HEADROOM: u32 = 128;
/** AF_XDP UMEM chunk (docs/packet-io.md, "AF_XDP"): a 1792-byte frame after the kernel's 256-byte XDP headroom (an MTU-1500 frame with two VLAN tags); longer frames take the AF_PACKET path. A power of two. */
export const UMEM_CHUNK_SIZE: u32 = 2048;
/** AF_XDP UMEM chunks (8 MiB): keeps the fill rings of a few ports full while frames are held on TX rings. */
export const UMEM_CHUNKS: u32 = 4096;
/** Slots and the UMEM start on a page boundary (the kernel registers UMEM by page). */
export const PAGE_SIZE: usize = 4096;
/** Every other region starts on a cache line. */
export const REGION_ALIGN: usize = 64;
/** A batch no larger than this keeps frame indices in u16 and the slots within 4 GiB. */
export const MAX_BATCH_LIMIT: u32 = 4096;
/** A TX count (frames queued on one egress port this batch) is a u32. */
export const TX_COUNT_BYTES: u32 = 4;
/** A frame's index in the batch is a u16 (TX list and punt list entries). */
export const FRAME_INDEX_BYTES: u32 = 2;
/** Each port's TX list starts on a multiple of this many bytes. */
export const TX_LIST_ALIGN: u32 = 16;
/** The punt list is a u32 count, then the u16 frame indices of the punted frames from this offset. */
export const PUNT_LIST_INDICES: usize = 4;
/** An MDB group or source key: a 16-byte address, IPv4 as IPv4-mapped ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
export const KEY_BYTES: u32 = 16;
/** Where the loader writes a group key, then a source key, for mdbSet/mdbDelete. */
export const SCRATCH_BYTES: u32 = 64;
/** Offset of the group key in the scratch region. */
export const SCRATCH_GROUP: usize = 0;
/** Offset of the source key in the scratch region (after the group key). */
export const SCRATCH_SOURCE: usize = 16;
/** The 12-bit VLAN id (IEEE 802.1Q §9.6). */
export const VLAN_ID_MASK: u32 = 0x0fff;

// ---- DESC record
/** RX descriptor, one per frame, written by native (or the loader) before process(). */
export const DESC_STRIDE: u32 = 32;
/** u32: Address of the frame's first byte in linear memory. */
export const DESC_FRAME: usize = 0;
/** u32: Frame length in bytes. */
export const DESC_LENGTH: usize = 4;
/** u16: Ingress port index. */
export const DESC_PORT: usize = 8;
/** u16: DESC_FLAG bits. */
export const DESC_FLAGS: usize = 10;
/** u32: Receive time of the batch, ms (written by native). */
export const DESC_TIME: usize = 12;
/** 12 bytes: The kernel's virtio_net_hdr (PACKET_VNET_HDR), handed back unchanged on transmit (10 bytes used). */
export const DESC_VNET: usize = 16;
export const DESC_VNET_BYTES: u32 = 12;

// ---- VERDICT record
/** Verdict, one per frame, written by process(). */
export const VERDICT_STRIDE: u32 = 16;
/** u64: Egress port bitmap. */
export const VERDICT_PORTS: usize = 0;
/** u8: ACTION code. */
export const VERDICT_ACTION: usize = 8;
/** u8: DROP reason when the action is drop (0 otherwise). */
export const VERDICT_REASON: usize = 9;
/** u8: PUNT class when the frame goes to the control plane. */
export const VERDICT_PUNT: usize = 10;
/** u16: Offset of the IP header from the frame start. */
export const VERDICT_L3_OFFSET: usize = 12;
/** u16: VLAN id the frame was classified into. */
export const VERDICT_VLAN: usize = 14;

// ---- MDB record
/** MDB entry (one cache line, so a probe costs one line). */
export const MDB_STRIDE: u32 = 64;
/** u64: Egress bitmap (0 for a placeholder). */
export const MDB_PORTS: usize = 0;
/** u32: Full 32-bit hash; compared before the key. */
export const MDB_HASH: usize = 8;
/** u16: MDB_OCCUPIED | VLAN id; 0 = empty slot. */
export const MDB_VLAN_STATE: usize = 12;
/** u16: MDB_FLAG bits. */
export const MDB_FLAGS: usize = 14;
/** u32: On a (*,G): how many (S,G) entries exist for the same (VLAN, G). */
export const MDB_SG_COUNT: usize = 16;
/** 16 bytes: Group key (KEY_BYTES). */
export const MDB_GROUP: usize = 32;
export const MDB_GROUP_BYTES: u32 = 16;
/** 16 bytes: Source key (KEY_BYTES); all zero on a (*,G). */
export const MDB_SOURCE: usize = 48;
export const MDB_SOURCE_BYTES: u32 = 16;

// ---- RX descriptor flags.
export const DESC_FLAG_TRUNCATED: u32 = 1;
export const DESC_FLAG_CSUM_PARTIAL: u32 = 2;
export const DESC_FLAG_GSO: u32 = 4;

// ---- MDB entry flags: REGISTERED = a (*,G) the control plane set; SOURCE_SPECIFIC = an (S,G).
export const MDB_FLAG_REGISTERED: u16 = 1;
export const MDB_FLAG_SOURCE_SPECIFIC: u16 = 2;

// ---- MDB slot state bit in VLAN_STATE.
export const MDB_OCCUPIED: u16 = 0x8000;

// ---- Verdict actions (the name table's "action" section lists them in this order).
export const ACTION_DROP: u8 = 0;
export const ACTION_FORWARD: u8 = 1;
export const ACTION_PUNT: u8 = 2;
export const ACTION_PUNT_AND_FORWARD: u8 = 3;
export const ACTION_COUNT: u32 = 4;
/** The names in code order. */
export const ACTION_NAMES = "drop,forward,punt,punt_and_forward";

// ---- Punt classes: which control-plane protocol a punted frame carries (name table "punt" section).
export const PUNT_NONE: u8 = 0;
export const PUNT_IGMP: u8 = 1;
export const PUNT_MLD: u8 = 2;
export const PUNT_PIM: u8 = 3;
export const PUNT_MRD: u8 = 4;
export const PUNT_COUNT: u32 = 5;
/** The names in code order. */
export const PUNT_NAMES = "none,igmp,mld,pim,mrd";

// ---- Punt metadata: the u32 words per punted frame the worker sends the main thread (src/dataplane/messages.ts); OFFSET is where the frame starts in the batch's frame buffer, FORWARDED is 1 for punt_and_forward.
export const PUNT_META_PORT: u32 = 0;
export const PUNT_META_VLAN: u32 = 1;
export const PUNT_META_L3_OFFSET: u32 = 2;
export const PUNT_META_LENGTH: u32 = 3;
export const PUNT_META_OFFSET: u32 = 4;
export const PUNT_META_CLASS: u32 = 5;
export const PUNT_META_FORWARDED: u32 = 6;
export const PUNT_META_COUNT: u32 = 7;
/** The names in code order. */
export const PUNT_META_NAMES = "port,vlan,l3_offset,length,offset,class,forwarded";

// ---- process() writes bytes 8..15 of a verdict with one u64 store; each field sits at this bit shift.
export const VERDICT_OUTCOME_ACTION_SHIFT: u32 = 0;
export const VERDICT_OUTCOME_REASON_SHIFT: u32 = 8;
export const VERDICT_OUTCOME_PUNT_SHIFT: u32 = 16;
export const VERDICT_OUTCOME_L3_OFFSET_SHIFT: u32 = 32;
export const VERDICT_OUTCOME_VLAN_SHIFT: u32 = 48;
