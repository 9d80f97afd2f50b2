// Counters: traffic, one counter per drop reason, one per control-message type, and table events.
//
// The names are defined here and nowhere else. The loader reads them through the name table (names.ts) and derives
// every index from the order of a list, so TypeScript never repeats one. Keep each name list in the same order as
// its constants.
//
// Memory: ROWS rows of u64, one row per port (row MAX_PORTS collects frames whose descriptor names a port ≥ MAX_PORTS), one
// unreported row that absorbs what `trace` would count, then GLOBAL_COUNT u64 counters that belong to no port.
// A row is [traffic | drops | messages | events].

import { MAX_PORTS } from "./contract";

/** One row per port plus one for descriptors whose port index is out of range. */
export const ROWS: u32 = MAX_PORTS + 1;
export const INVALID_PORT_ROW: u32 = MAX_PORTS;
/** Where a traced (dry-run) frame's counts go: after the reported rows, never read. */
const TRACE_ROW: u32 = ROWS;

// ---- traffic (per port) ----
export const TRAFFIC_RX_FRAMES: u32 = 0;
export const TRAFFIC_RX_BYTES: u32 = 1;
/** Counted when a frame is queued on the port's TX list. */
export const TRAFFIC_TX_FRAMES: u32 = 2;
export const TRAFFIC_TX_BYTES: u32 = 3;
export const TRAFFIC_COUNT: u32 = 4;
export const TRAFFIC_NAMES = "rx_frames,rx_bytes,tx_frames,tx_bytes";

// ---- drop reasons (verdict byte 9, counted on the ingress port) ----
export const DROP_NONE: u8 = 0;
/** Descriptor flag TRUNCATED: the frame was longer than its slot. */
export const DROP_OVERSIZE: u8 = 1;
/** The descriptor points outside its own frame slot. */
export const DROP_BAD_DESCRIPTOR: u8 = 2;
/** Shorter than an Ethernet header. */
export const DROP_RUNT: u8 = 3;
/** Ingress port is not in the active set (or its index is ≥ 64). */
export const DROP_PORT_INACTIVE: u8 = 4;
/** Source MAC is multicast or all-zero. */
export const DROP_BAD_SRC_MAC: u8 = 5;
/** Destination 01:80:c2:00:00:0x, which a bridge must not forward. */
export const DROP_RESERVED_L2: u8 = 6;
/** A VLAN tag cut short by the end of the frame. */
export const DROP_VLAN_HEADER: u8 = 7;
/** Known unicast whose port is the ingress port. */
export const DROP_SAME_PORT: u8 = 8;
/** Forwarding decided, but no port is left after removing the ingress and inactive ports. */
export const DROP_NO_EGRESS: u8 = 9;
export const DROP_IPV4_HEADER: u8 = 10;
export const DROP_IPV4_CHECKSUM: u8 = 11;
/** Multicast IP destination carried in a MAC that is not its mapping (or the reverse). */
export const DROP_MAC_IP_MISMATCH: u8 = 12;
export const DROP_IGMP_FRAGMENT: u8 = 13;
export const DROP_IGMP_LENGTH: u8 = 14;
export const DROP_IGMP_CHECKSUM: u8 = 15;
export const DROP_REPORT_RATE_LIMIT: u8 = 16;
/** Unregistered group and policy `drop`. */
export const DROP_UNREGISTERED: u8 = 17;
export const DROP_IPV6_HEADER: u8 = 18;
/** MLD or ICMPv6 MRD message shorter than its type requires. */
export const DROP_ICMPV6_LENGTH: u8 = 19;
export const DROP_ICMPV6_CHECKSUM: u8 = 20;
export const DROP_PIM_LENGTH: u8 = 21;
export const DROP_PIM_CHECKSUM: u8 = 22;
export const DROP_COUNT: u32 = 23;
// One literal (no `+`): concatenation would allocate at run time, and nothing in this module may allocate.
export const DROP_NAMES = "none,oversize,bad_descriptor,runt,port_inactive,bad_src_mac,reserved_l2,vlan_header,same_port,no_egress,ipv4_header,ipv4_checksum,mac_ip_mismatch,igmp_fragment,igmp_length,igmp_checksum,report_rate_limit,unregistered_drop,ipv6_header,icmpv6_length,icmpv6_checksum,pim_length,pim_checksum";

// ---- control messages (per ingress port; counted once the message passed its checks) ----
export const MSG_IGMP_V1_QUERY: u32 = 0;
export const MSG_IGMP_V2_QUERY: u32 = 1;
export const MSG_IGMP_V3_QUERY: u32 = 2;
export const MSG_IGMP_V1_REPORT: u32 = 3;
export const MSG_IGMP_V2_REPORT: u32 = 4;
export const MSG_IGMP_V3_REPORT: u32 = 5;
export const MSG_IGMP_V2_LEAVE: u32 = 6;
/** Unrecognised IGMP type, flooded unchanged (RFC 4541 2.1.1(3)). */
export const MSG_IGMP_UNKNOWN: u32 = 7;
export const MSG_MLD_QUERY: u32 = 8;
export const MSG_MLD_V1_REPORT: u32 = 9;
export const MSG_MLD_V2_REPORT: u32 = 10;
export const MSG_MLD_DONE: u32 = 11;
export const MSG_PIM_HELLO: u32 = 12;
export const MSG_MRD_ADVERTISEMENT: u32 = 13;
export const MSG_MRD_SOLICITATION: u32 = 14;
export const MSG_MRD_TERMINATION: u32 = 15;
export const MSG_COUNT: u32 = 16;
export const MSG_NAMES = "igmp_v1_query,igmp_v2_query,igmp_v3_query,igmp_v1_report,igmp_v2_report,igmp_v3_report,igmp_v2_leave,igmp_unknown,mld_query,mld_v1_report,mld_v2_report,mld_done,pim_hello,mrd_advertisement,mrd_solicitation,mrd_termination";

// ---- events (per port; things worth knowing that are not drops) ----
/** IGMP with IP TTL ≠ 1: counted, still processed. */
export const EVENT_IGMP_TTL: u32 = 0;
export const EVENT_FDB_LEARN: u32 = 1;
/** A MAC address seen on this port that the FDB had on another port. */
export const EVENT_FDB_MOVE: u32 = 2;
/** A MAC address not learned because the FDB is full. */
export const EVENT_FDB_FULL: u32 = 3;
/** Frames handed to the control plane (PUNT or PUNT_AND_FORWARD). */
export const EVENT_PUNT: u32 = 4;
export const EVENT_COUNT: u32 = 5;
export const EVENT_NAMES = "igmp_ttl,fdb_learn,fdb_move,fdb_full,punt";

// ---- global counters (not tied to a port) ----
export const GLOBAL_BATCHES: u32 = 0;
export const GLOBAL_FDB_AGED: u32 = 1;
export const GLOBAL_FDB_FLUSHED: u32 = 2;
export const GLOBAL_MDB_FULL: u32 = 3;
export const GLOBAL_COUNT: u32 = 4;
export const GLOBAL_NAMES = "batches,fdb_aged,fdb_flushed,mdb_full";

// The enumerations that travel in the verdict (ACTION_*, PUNT_* and their names) are part of the memory contract
// (contract.ts).

// Row layout: sections in this order, each starting where the previous one ends.
export const DROP_BASE: u32 = TRAFFIC_COUNT;
export const MSG_BASE: u32 = DROP_BASE + DROP_COUNT;
export const EVENT_BASE: u32 = MSG_BASE + MSG_COUNT;
export const ROW_LENGTH: u32 = EVENT_BASE + EVENT_COUNT;
export const ROW_STRIDE: u32 = ROW_LENGTH * 8;

let rowsBase: usize = 0;
let globalsBase: usize = 0;

export function countersBytes(): usize {
  return <usize>((ROWS + 1) * ROW_STRIDE + GLOBAL_COUNT * 8);
}

export function countersPlace(base: usize): void {
  rowsBase = base;
  globalsBase = base + <usize>((ROWS + 1) * ROW_STRIDE);
}

export function countersBase(): usize {
  return rowsBase;
}

export function globalCountersBase(): usize {
  return globalsBase;
}

export function countersClear(): void {
  memory.fill(rowsBase, 0, countersBytes());
}

/** The counter row of a port; ports ≥ 64 share the invalid-port row. */
@inline export function counterRow(port: u32): usize {
  return rowsBase + <usize>(min(port, INVALID_PORT_ROW) * ROW_STRIDE);
}

@inline export function traceRow(): usize {
  return rowsBase + <usize>(TRACE_ROW * ROW_STRIDE);
}

@inline export function bumpBy(row: usize, index: u32, n: u64): void {
  const p = row + (<usize>index << 3);
  store<u64>(p, load<u64>(p) + n);
}

@inline export function bump(row: usize, index: u32): void {
  bumpBy(row, index, 1);
}

@inline export function countDrop(row: usize, reason: u8): void {
  bump(row, DROP_BASE + <u32>reason);
}

@inline export function countMessage(row: usize, message: u32): void {
  bump(row, MSG_BASE + message);
}

@inline export function countEvent(row: usize, event: u32): void {
  bump(row, EVENT_BASE + event);
}

@inline export function countGlobal(index: u32, n: u64): void {
  const p = globalsBase + (<usize>index << 3);
  store<u64>(p, load<u64>(p) + n);
}
