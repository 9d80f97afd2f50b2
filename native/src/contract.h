/* Generated from src/contract/memory.ts by `npx tsx src/contract/generate.ts`; do not edit by hand.
 * The memory contract (docs/architecture.md, "The memory contract").
 *
 * Regions, in the order assembly/layout.ts places them (their bases are the module's layout* getters):
 *   slots        maxBatch × SLOT_STRIDE, page-aligned: frames; native receives at slot + SLOT_HEADROOM
 *   umem         UMEM_CHUNKS × UMEM_CHUNK_SIZE, page-aligned: AF_XDP frames (the kernel writes them there)
 *   descriptors  maxBatch × DESC_STRIDE: written by native
 *   verdicts     maxBatch × VERDICT_STRIDE: written by process()
 *   tx counts    MAX_PORTS × TX_COUNT_BYTES: per egress port, then MAX_PORTS u32 TX cursors (the core's own)
 *   tx lists     MAX_PORTS × txListStride: u16 frame indices per egress port; stride = maxBatch × FRAME_INDEX_BYTES rounded up to TX_LIST_ALIGN
 *   punt list    PUNT_LIST_INDICES + maxBatch × FRAME_INDEX_BYTES: frames punted by the last batch, in order
 *   fdb, mdb     from their capacities (MDB_STRIDE per MDB slot): hash tables
 *   limiter      MAX_PORTS × 16: report token buckets
 *   counters     (MAX_PORTS + 1) rows + globals, u64 each: a row per port, then the invalid-port row
 *   scratch      SCRATCH_BYTES: keys written by the loader for mdbSet/mdbDelete
 */
#ifndef IGS_CONTRACT_H
#define IGS_CONTRACT_H

/* ---- Limits and sizes */
#define IGS_MAX_PORTS 64 /* Ports a switch can have: egress sets are u64 bitmaps, one bit per port index. */
#define IGS_SLOT_STRIDE 69696 /* Bytes per frame slot: the largest GSO frame (IP payload up to 65535 octets plus the IP, Ethernet and two VLAN headers) after the headroom, with room to spare. */
#define IGS_SLOT_HEADROOM 128 /* Native receives at slot + headroom, so a stripped VLAN tag can be re-inserted in front (4 bytes per tag). */
#define IGS_UMEM_CHUNK_SIZE 2048 /* AF_XDP UMEM chunk (docs/packet-io.md, "AF_XDP"): a 1792-byte frame after the kernel's 256-byte XDP headroom (an MTU-1500 frame with two VLAN tags); longer frames take the AF_PACKET path. A power of two. */
#define IGS_UMEM_CHUNKS 4096 /* AF_XDP UMEM chunks (8 MiB): keeps the fill rings of a few ports full while frames are held on TX rings. */
#define IGS_PAGE_SIZE 4096 /* Slots and the UMEM start on a page boundary (the kernel registers UMEM by page). */
#define IGS_REGION_ALIGN 64 /* Every other region starts on a cache line. */
#define IGS_MAX_BATCH_LIMIT 4096 /* A batch no larger than this keeps frame indices in u16 and the slots within 4 GiB. */
#define IGS_TX_COUNT_BYTES 4 /* A TX count (frames queued on one egress port this batch) is a u32. */
#define IGS_FRAME_INDEX_BYTES 2 /* A frame's index in the batch is a u16 (TX list and punt list entries). */
#define IGS_TX_LIST_ALIGN 16 /* Each port's TX list starts on a multiple of this many bytes. */
#define IGS_PUNT_LIST_INDICES 4 /* The punt list is a u32 count, then the u16 frame indices of the punted frames from this offset. */
#define IGS_KEY_BYTES 16 /* An MDB group or source key: a 16-byte address, IPv4 as IPv4-mapped ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
#define IGS_SCRATCH_BYTES 64 /* Where the loader writes a group key, then a source key, for mdbSet/mdbDelete. */
#define IGS_SCRATCH_GROUP 0 /* Offset of the group key in the scratch region. */
#define IGS_SCRATCH_SOURCE 16 /* Offset of the source key in the scratch region (after the group key). */
#define IGS_VLAN_ID_MASK 0x0fff /* The 12-bit VLAN id (IEEE 802.1Q §9.6). */

/* ---- DESC record */
#define IGS_DESC_STRIDE 32 /* RX descriptor, one per frame, written by native (or the loader) before process(). */
#define IGS_DESC_FRAME 0 /* u32: Address of the frame's first byte in linear memory. */
#define IGS_DESC_LENGTH 4 /* u32: Frame length in bytes. */
#define IGS_DESC_PORT 8 /* u16: Ingress port index. */
#define IGS_DESC_FLAGS 10 /* u16: DESC_FLAG bits. */
#define IGS_DESC_TIME 12 /* u32: Receive time of the batch, ms (written by native). */
#define IGS_DESC_VNET 16 /* 12 bytes: The kernel's virtio_net_hdr (PACKET_VNET_HDR), handed back unchanged on transmit (10 bytes used). */
#define IGS_DESC_VNET_BYTES 12

/* ---- VERDICT record */
#define IGS_VERDICT_STRIDE 16 /* Verdict, one per frame, written by process(). */
#define IGS_VERDICT_PORTS 0 /* u64: Egress port bitmap. */
#define IGS_VERDICT_ACTION 8 /* u8: ACTION code. */
#define IGS_VERDICT_REASON 9 /* u8: DROP reason when the action is drop (0 otherwise). */
#define IGS_VERDICT_PUNT 10 /* u8: PUNT class when the frame goes to the control plane. */
#define IGS_VERDICT_L3_OFFSET 12 /* u16: Offset of the IP header from the frame start. */
#define IGS_VERDICT_VLAN 14 /* u16: VLAN id the frame was classified into. */

/* ---- MDB record */
#define IGS_MDB_STRIDE 64 /* MDB entry (one cache line, so a probe costs one line). */
#define IGS_MDB_PORTS 0 /* u64: Egress bitmap (0 for a placeholder). */
#define IGS_MDB_HASH 8 /* u32: Full 32-bit hash; compared before the key. */
#define IGS_MDB_VLAN_STATE 12 /* u16: MDB_OCCUPIED | VLAN id; 0 = empty slot. */
#define IGS_MDB_FLAGS 14 /* u16: MDB_FLAG bits. */
#define IGS_MDB_SG_COUNT 16 /* u32: On a (*,G): how many (S,G) entries exist for the same (VLAN, G). */
#define IGS_MDB_GROUP 32 /* 16 bytes: Group key (KEY_BYTES). */
#define IGS_MDB_GROUP_BYTES 16
#define IGS_MDB_SOURCE 48 /* 16 bytes: Source key (KEY_BYTES); all zero on a (*,G). */
#define IGS_MDB_SOURCE_BYTES 16

/* ---- RX descriptor flags. */
#define IGS_DESC_FLAG_TRUNCATED 1
#define IGS_DESC_FLAG_CSUM_PARTIAL 2
#define IGS_DESC_FLAG_GSO 4

/* ---- MDB entry flags: REGISTERED = a (*,G) the control plane set; SOURCE_SPECIFIC = an (S,G). */
#define IGS_MDB_FLAG_REGISTERED 1
#define IGS_MDB_FLAG_SOURCE_SPECIFIC 2

/* ---- MDB slot state bit in VLAN_STATE. */
#define IGS_MDB_OCCUPIED 0x8000

/* ---- Verdict actions (the name table's "action" section lists them in this order). */
#define IGS_ACTION_DROP 0
#define IGS_ACTION_FORWARD 1
#define IGS_ACTION_PUNT 2
#define IGS_ACTION_PUNT_AND_FORWARD 3
#define IGS_ACTION_COUNT 4
#define IGS_ACTION_NAMES "drop,forward,punt,punt_and_forward" /* The names in code order. */

/* ---- Punt classes: which control-plane protocol a punted frame carries (name table "punt" section). */
#define IGS_PUNT_NONE 0
#define IGS_PUNT_IGMP 1
#define IGS_PUNT_MLD 2
#define IGS_PUNT_PIM 3
#define IGS_PUNT_MRD 4
#define IGS_PUNT_COUNT 5
#define IGS_PUNT_NAMES "none,igmp,mld,pim,mrd" /* The names in code order. */

/* ---- Punt metadata: the u32 words per punted frame the worker sends the main thread (src/dataplane/messages.ts); OFFSET is where the frame starts in the batch's frame buffer, FORWARDED is 1 for punt_and_forward. */
#define IGS_PUNT_META_PORT 0
#define IGS_PUNT_META_VLAN 1
#define IGS_PUNT_META_L3_OFFSET 2
#define IGS_PUNT_META_LENGTH 3
#define IGS_PUNT_META_OFFSET 4
#define IGS_PUNT_META_CLASS 5
#define IGS_PUNT_META_FORWARDED 6
#define IGS_PUNT_META_COUNT 7
#define IGS_PUNT_META_NAMES "port,vlan,l3_offset,length,offset,class,forwarded" /* The names in code order. */

/* ---- process() writes bytes 8..15 of a verdict with one u64 store; each field sits at this bit shift. */
#define IGS_VERDICT_OUTCOME_ACTION_SHIFT 0
#define IGS_VERDICT_OUTCOME_REASON_SHIFT 8
#define IGS_VERDICT_OUTCOME_PUNT_SHIFT 16
#define IGS_VERDICT_OUTCOME_L3_OFFSET_SHIFT 32
#define IGS_VERDICT_OUTCOME_VLAN_SHIFT 48

#endif
