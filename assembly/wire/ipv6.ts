// IPv6 fixed header (RFC 8200 §3) and the walk over extension headers to the upper-layer header (§4).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version| Traffic Class |           Flow Label                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Payload Length        |  Next Header  |   Hop Limit   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                   Source Address (16 octets)                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                Destination Address (16 octets)                |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Options-style extension header (Hop-by-Hop, Destination Options, Routing):
//  | Next Header | Hdr Ext Len | ... (Hdr Ext Len + 1) × 8 octets in all
//
// `p` is the first header byte. Fixed-field accessors are safe once `headerOk` passed.

const VERSION: usize = 0;
const PAYLOAD_LENGTH: usize = 4;
const NEXT_HEADER: usize = 6;
export const SRC: usize = 8;
export const DST: usize = 24;
export const HEADER_LEN: u32 = 40;

const EXT_NEXT_HEADER: usize = 0;
const EXT_LENGTH: usize = 1;

export const NH_HOP_BY_HOP: u8 = 0;
export const NH_ROUTING: u8 = 43;
export const NH_DESTINATION_OPTIONS: u8 = 60;
export const NH_ICMPV6: u8 = 58;

/** Extension headers walked at most before giving up on finding the upper layer. */
const MAX_EXTENSION_HEADERS: u32 = 8;

@inline export function version(p: usize): u32 {
  return <u32>load<u8>(p, VERSION) >> 4;
}

/** RFC 8200 §3: "Length of the IPv6 payload, i.e., the rest of the packet following this IPv6 header, in octets." */
@inline export function payloadLength(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p, PAYLOAD_LENGTH));
}

@inline export function nextHeader(p: usize): u8 {
  return load<u8>(p, NEXT_HEADER);
}

/** RFC 4291 §2.7: "binary 11111111 at the start of the address identifies the address as being a multicast address." */
@inline export function dstIsMulticast(p: usize): bool {
  return load<u8>(p, DST) == 0xff;
}

/** ff02::1, the link-scope all-nodes address (RFC 4291 §2.7.1); RFC 4541 §3: always forwarded on all ports. */
@inline export function dstIsAllNodes(p: usize): bool {
  // Bytes ff 02 00.. and ..00 01 as little-endian u64s.
  return ((load<u64>(p, DST) ^ 0x02ff) | (load<u64>(p, DST + 8) ^ 0x0100000000000000)) == 0;
}

/**
 * RFC 2464 §7: the destination MAC of a packet to multicast address DST is 33-33 followed by "the last four octets
 * of DST". `eth` is the frame's first byte.
 */
@inline export function macMatchesGroup(eth: usize, p: usize): bool {
  return (load<u16>(eth, 0) == 0x3333) & (load<u32>(eth, 2) == load<u32>(p, DST + 12));
}

/** Version 6, and the payload it announces is inside the `avail` bytes of the frame from `p`. */
export function headerOk(p: usize, avail: u32): bool {
  return avail >= HEADER_LEN && ((version(p) == 6) & (HEADER_LEN + payloadLength(p) <= avail));
}

/**
 * Walk the extension headers of a packet that passed `headerOk`. Returns `(upperProtocol << 24) | upperOffset`
 * (offset from `p`), or -1 when an extension header runs past the payload.
 * RFC 8200 §4.1: "The Hop-by-Hop Options header, when present, must immediately follow the IPv6 header", so it is
 * recognised only there; Destination Options and Routing headers are skipped by their length. Anything else
 * (including a Fragment header) is returned as the upper layer.
 */
export function upperLayer(p: usize): i32 {
  const end = HEADER_LEN + payloadLength(p);
  let nh = nextHeader(p);
  let off = HEADER_LEN;
  for (let i: u32 = 0; i < MAX_EXTENSION_HEADERS; i++) {
    const skip = nh == NH_DESTINATION_OPTIONS || nh == NH_ROUTING || (nh == NH_HOP_BY_HOP && i == 0);
    if (!skip) break;
    if (off + 2 > end) return -1;
    // RFC 8200 §4.3: Hdr Ext Len is "in 8-octet units, not including the first 8 octets".
    const len = (<u32>load<u8>(p + <usize>off, EXT_LENGTH) + 1) << 3;
    nh = load<u8>(p + <usize>off, EXT_NEXT_HEADER);
    off += len;
    if (off > end) return -1;
  }
  return <i32>((<u32>nh << 24) | off);
}
