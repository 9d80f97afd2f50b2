// IGMP messages (RFC 2236 §2 for v1/v2, RFC 3376 §4 for v3). The IGMP message is the whole IP payload:
// total_length − IHL bytes (RFC 3376 §4: "IGMP messages are encapsulated in IPv4 datagrams").
//
// Common header (every IGMP type):
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |      Type     | Max Resp Code |           Checksum            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                         Group Address                         |   v1/v2 messages and queries
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// IGMPv3 query continues (RFC 3376 §4.1):
//  | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |  then N × 4-octet Source Address
// IGMPv3 report (RFC 3376 §4.2):
//  |  Type = 0x22  |    Reserved   |           Checksum            |
//  |           Reserved            |  Number of Group Records (M)  |  then M Group Records:
//  | Record Type   | Aux Data Len  |     Number of Sources (N)     |
//  |                       Multicast Address                       |  then N sources, Aux Data Len × 4 octets
//
// `p` is the first IGMP byte and `len` the IGMP message length. Accessors of the common header are safe once
// `len >= MIN_LEN`; `GROUP` once `len >= V2_LEN`.

const TYPE: usize = 0;
const MAX_RESP_CODE: usize = 1;
const V3_QUERY_NUM_SOURCES: usize = 10;
const V3_REPORT_NUM_RECORDS: usize = 6;
const RECORD_AUX_LEN: usize = 1;
const RECORD_NUM_SOURCES: usize = 2;

/** Type, code and checksum: the least any IGMP message carries. */
export const MIN_LEN: u32 = 4;
/** RFC 2236 §2: v1/v2 messages are 8 octets. */
export const V2_LEN: u32 = 8;
/** RFC 3376 §4.1: the fixed part of a v3 query. */
const V3_QUERY_MIN_LEN: u32 = 12;
/** RFC 3376 §4.2: the fixed part of a v3 report. */
const V3_REPORT_HEADER_LEN: u32 = 8;
/** RFC 3376 §4.2.4: record type, aux data len, number of sources, multicast address. */
const RECORD_HEADER_LEN: u32 = 8;

export const TYPE_QUERY: u8 = 0x11;
export const TYPE_V1_REPORT: u8 = 0x12;
export const TYPE_V2_REPORT: u8 = 0x16;
export const TYPE_V2_LEAVE: u8 = 0x17;
export const TYPE_V3_REPORT: u8 = 0x22;

@inline export function messageType(p: usize): u8 {
  return load<u8>(p, TYPE);
}

@inline export function maxRespCode(p: usize): u8 {
  return load<u8>(p, MAX_RESP_CODE);
}

/**
 * The version of a Membership Query, or 0 when it must be ignored. RFC 3376 §7.1:
 *   "IGMPv1 Query: length = 8 octets AND Max Resp Code field is zero.
 *    IGMPv2 Query: length = 8 octets AND Max Resp Code field is non-zero.
 *    IGMPv3 Query: length >= 12 octets.
 *    Query messages that do not match any of the above conditions (e.g., a Query of length 10 octets) MUST be
 *    silently ignored."
 * A v3 query whose Number of Sources does not fit in the message is malformed (RFC 3376 §4.1.8) and also 0.
 */
export function queryVersion(p: usize, len: u32): u32 {
  if (len == V2_LEN) return maxRespCode(p) == 0 ? 1 : 2;
  if (len < V3_QUERY_MIN_LEN) return 0;
  const sources = <u32>bswap<u16>(load<u16>(p, V3_QUERY_NUM_SOURCES));
  return V3_QUERY_MIN_LEN + (sources << 2) <= len ? 3 : 0;
}

/**
 * True when every Group Record of a v3 report lies inside the message. RFC 3376 §4.2: "Number of Group Records (M)
 * … specifies how many Group Records are present in this Report"; each record is 8 + 4·N + 4·AuxDataLen octets
 * (§4.2.4–4.2.6). The walk stops at the end of the message, so a huge M cannot loop past it: every record
 * advances at least 8 octets and the loop ends as soon as the cursor passes `len`.
 */
export function v3ReportFits(p: usize, len: u32): bool {
  if (len < V3_REPORT_HEADER_LEN) return false;
  let records = <u32>bswap<u16>(load<u16>(p, V3_REPORT_NUM_RECORDS));
  let off = V3_REPORT_HEADER_LEN;
  while (records > 0) {
    if (off + RECORD_HEADER_LEN > len) return false;
    const rec = p + <usize>off;
    const sources = <u32>bswap<u16>(load<u16>(rec, RECORD_NUM_SOURCES));
    const aux = <u32>load<u8>(rec, RECORD_AUX_LEN);
    off += RECORD_HEADER_LEN + (sources << 2) + (aux << 2);
    records--;
  }
  return off <= len;
}
