// Ethernet II header (IEEE 802.3 clause 3, DIX framing).
//
//   0                   6                   12      14
//  +-------------------+-------------------+-------+
//  | destination (6)   | source (6)        | type  |
//  +-------------------+-------------------+-------+
//
// Accessors take the frame's first byte `p`; callers check `frameLen >= HEADER_LEN` first, after which no accessor
// here reads past the header. MAC addresses are read as raw little-endian words (u32 + u16): they are compared and
// hashed, never printed, so no byte swap.

export const DST: usize = 0;
export const SRC: usize = 6;
export const ETHERTYPE: usize = 12;
export const HEADER_LEN: u32 = 14;

export const ETHERTYPE_IPV4: u16 = 0x0800;
export const ETHERTYPE_IPV6: u16 = 0x86dd;

/** The EtherType/TPID field, host order. */
@inline export function etherType(p: usize): u16 {
  return bswap<u16>(load<u16>(p, ETHERTYPE));
}

/** The 48-bit address at `p + off` as a little-endian integer (byte 0 in the low bits). */
@inline export function macAt(p: usize, off: usize): u64 {
  return <u64>load<u32>(p + off) | (<u64>load<u16>(p + off, 4) << 32);
}

/** IEEE Std 802: the I/G bit (least significant bit of the first octet) marks a group address. */
@inline export function isGroupAddress(p: usize, off: usize): bool {
  return (load<u8>(p + off) & 1) != 0;
}

/**
 * A source address must be an individual address and not all zeros: group addresses never originate frames
 * (IEEE Std 802) and a zero source is not a station. Such frames are neither learned nor forwarded.
 */
@inline export function sourceIsInvalid(p: usize): bool {
  return isGroupAddress(p, SRC) | ((load<u32>(p, SRC) | <u32>load<u16>(p, SRC + 4)) == 0);
}

/**
 * IEEE 802.1D-2004 §7.12.6 (Table 7-10): frames to the reserved addresses 01-80-C2-00-00-00 to -0F
 * (STP, LACP, 802.1X, LLDP, …) are consumed by the bridge and "shall not be forwarded".
 */
@inline export function isReservedLinkLocal(p: usize): bool {
  // 01 80 c2 00 as a little-endian u32, then 00 and 00..0f (high nibble of the last byte zero).
  return (load<u32>(p, DST) == 0x00c28001) & ((load<u16>(p, DST + 4) & 0xf0ff) == 0);
}

/**
 * The IANA multicast block 01-00-5E-00-00-00..01-00-5E-FF-FF-FF (RFC 7042 §2.1.1): its lower half carries IPv4
 * groups (RFC 1112 §6.4), its upper half other IANA assignments, never an IPv4 group.
 */
@inline export function isIanaMulticastMac(p: usize): bool {
  return (load<u32>(p, DST) & 0x00ffffff) == 0x005e0001;
}

/** RFC 1112 §6.4: IPv4 group MACs are 01-00-5E followed by the low 23 bits of the group. */
@inline export function isIpv4MulticastMac(p: usize): bool {
  return (load<u32>(p, DST) & 0x80ffffff) == 0x005e0001;
}

/** RFC 2464 §7: IPv6 group MACs are 33-33 followed by the last four octets of the group. */
@inline export function isIpv6MulticastMac(p: usize): bool {
  return load<u16>(p, DST) == 0x3333;
}
