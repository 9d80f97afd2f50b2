// PIM version 2 common header (RFC 7761 §4.9), IP protocol 103.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |PIM Ver| Type  |   Reserved    |           Checksum            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The switch only needs Hellos (type 0), which routers send to ALL-PIM-ROUTERS (224.0.0.13, RFC 7761 §4.3.1):
// their ingress port is a multicast router port. `p` is the first PIM byte.

const VERSION_TYPE: usize = 0;
export const HEADER_LEN: u32 = 4;

/** Version 2 in the high nibble, type 0 (Hello) in the low nibble. */
const V2_HELLO: u8 = 0x20;

/** 224.0.0.13 as a little-endian load of the network-order address. */
export const ALL_PIM_ROUTERS_RAW: u32 = 0x0d0000e0;

@inline export function isV2Hello(p: usize): bool {
  return load<u8>(p, VERSION_TYPE) == V2_HELLO;
}
