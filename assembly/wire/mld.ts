// MLD messages, carried in ICMPv6 (RFC 2710 §3 for MLDv1, RFC 3810 §5 for MLDv2).
//
// MLDv1 (Query 130, Report 131, Done 132), 24 octets:
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Maximum Response Delay    |          Reserved             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                 Multicast Address (16 octets)                 |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// MLDv2 Query (RFC 3810 §5.1) continues: | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     | N × 16
// MLDv2 Report (RFC 3810 §5.2), type 143:
//  |  Type = 143   |    Reserved   |           Checksum            |
//  |           Reserved            |Nr of Mcast Address Records (M)|  then M records:
//  |  Record Type  |  Aux Data Len |     Number of Sources (N)     |
//  |                 Multicast Address (16 octets)                 |  then N × 16 octets, Aux Data Len × 4 octets
//
// `p` is the first ICMPv6 byte and `len` the ICMPv6 message length (the upper-layer length of the packet).

const TYPE: usize = 0;
const V2_QUERY_NUM_SOURCES: usize = 26;
const V2_REPORT_NUM_RECORDS: usize = 6;
const RECORD_AUX_LEN: usize = 1;
const RECORD_NUM_SOURCES: usize = 2;

/** ICMPv6 type, code and checksum (RFC 4443 §2.1). */
export const ICMPV6_MIN_LEN: u32 = 4;
/** RFC 2710 §3: MLDv1 messages. */
export const V1_LEN: u32 = 24;
/** RFC 3810 §5.1: the fixed part of an MLDv2 query. */
const V2_QUERY_MIN_LEN: u32 = 28;
/** RFC 3810 §5.2: the fixed part of an MLDv2 report. */
const V2_REPORT_HEADER_LEN: u32 = 8;
/** RFC 3810 §5.2.4–5.2.6: type, aux data len, number of sources, multicast address. */
const RECORD_HEADER_LEN: u32 = 20;

export const TYPE_QUERY: u8 = 130;
export const TYPE_V1_REPORT: u8 = 131;
export const TYPE_DONE: u8 = 132;
export const TYPE_V2_REPORT: u8 = 143;

@inline export function messageType(p: usize): u8 {
  return load<u8>(p, TYPE);
}

@inline export function isMld(t: u8): bool {
  return t == TYPE_QUERY || t == TYPE_V1_REPORT || t == TYPE_DONE || t == TYPE_V2_REPORT;
}

/**
 * The version of a Multicast Listener Query, or 0 when it must be ignored. RFC 3810 §8.1:
 *   "MLDv1 Query: length = 24 octets. MLDv2 Query: length >= 28 octets. Query messages that do not match any of
 *    the above conditions (e.g., a Query of length 26 octets) MUST be silently ignored."
 * An MLDv2 query whose Number of Sources does not fit in the message is malformed and also 0.
 */
export function queryVersion(p: usize, len: u32): u32 {
  if (len == V1_LEN) return 1;
  if (len < V2_QUERY_MIN_LEN) return 0;
  const sources = <u32>bswap<u16>(load<u16>(p, V2_QUERY_NUM_SOURCES));
  return V2_QUERY_MIN_LEN + (sources << 4) <= len ? 2 : 0;
}

/**
 * True when every Multicast Address Record of an MLDv2 report lies inside the message (RFC 3810 §5.2.3: "Nr of
 * Mcast Address Records (M) … specifies how many Multicast Address Records are present in this Report"). Each
 * record advances the cursor by at least 20 octets and the walk stops once it passes `len`.
 */
export function v2ReportFits(p: usize, len: u32): bool {
  if (len < V2_REPORT_HEADER_LEN) return false;
  let records = <u32>bswap<u16>(load<u16>(p, V2_REPORT_NUM_RECORDS));
  let off = V2_REPORT_HEADER_LEN;
  while (records > 0) {
    if (off + RECORD_HEADER_LEN > len) return false;
    const rec = p + <usize>off;
    const sources = <u32>bswap<u16>(load<u16>(rec, RECORD_NUM_SOURCES));
    const aux = <u32>load<u8>(rec, RECORD_AUX_LEN);
    off += RECORD_HEADER_LEN + (sources << 4) + (aux << 2);
    records--;
  }
  return off <= len;
}
