// IPv4 header (RFC 791 §3.1).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version|  IHL  |Type of Service|          Total Length         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Identification        |Flags|      Fragment Offset    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Time to Live |    Protocol   |         Header Checksum       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Source Address                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination Address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Options                    |    Padding    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// `p` is the first header byte. The fixed-field accessors are safe once `avail >= MIN_HEADER_LEN`; `headerOk`
// is the full check (version, IHL, total length) after which header length and total length may be trusted.
// Addresses are read raw (little-endian loads of network-order bytes): they are compared and hashed, not printed.

import { checksumOk, fold } from "../checksum";
import { DST as ETH_DST } from "./ethernet";

const VERSION_IHL: usize = 0;
const TOTAL_LENGTH: usize = 2;
const FLAGS_FRAGMENT: usize = 6;
const TTL: usize = 8;
const PROTOCOL: usize = 9;
export const SRC: usize = 12;
export const DST: usize = 16;
export const MIN_HEADER_LEN: u32 = 20;

export const PROTO_IGMP: u8 = 2;
export const PROTO_PIM: u8 = 103;

/** RFC 791 §3.1 Flags: bit 2 "MF"; Fragment Offset: the low 13 bits. */
const MORE_FRAGMENTS_AND_OFFSET: u16 = 0x3fff;

@inline export function version(p: usize): u32 {
  return <u32>load<u8>(p, VERSION_IHL) >> 4;
}

/** RFC 791 §3.1: "Internet Header Length is the length of the internet header in 32 bit words". */
@inline export function headerLen(p: usize): u32 {
  return (<u32>load<u8>(p, VERSION_IHL) & 0xf) << 2;
}

/** RFC 791 §3.1: "Total Length is the length of the datagram, measured in octets, including internet header and data." */
@inline export function totalLength(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p, TOTAL_LENGTH));
}

/** True for every fragment but a whole datagram: MF set or a non-zero offset (RFC 791 §3.2, Fragmentation). */
@inline export function isFragment(p: usize): bool {
  return (bswap<u16>(load<u16>(p, FLAGS_FRAGMENT)) & MORE_FRAGMENTS_AND_OFFSET) != 0;
}

@inline export function ttl(p: usize): u8 {
  return load<u8>(p, TTL);
}

@inline export function protocol(p: usize): u8 {
  return load<u8>(p, PROTOCOL);
}

/** RFC 5771 §2: multicast addresses are 224.0.0.0/4 ("1110" in the high-order bits). */
@inline export function dstIsMulticast(p: usize): bool {
  return (load<u8>(p, DST) & 0xf0) == 0xe0;
}

/**
 * RFC 5771 §4: 224.0.0.0/24, the Local Network Control Block, "for protocol control traffic that is not forwarded
 * off link". RFC 4541 2.1.2(2): non-IGMP packets to 224.0.0.X must be forwarded on all ports.
 */
@inline export function dstIsLocalNetworkControl(p: usize): bool {
  // 224.0.0.x: the first three bytes, as the low 24 bits of a little-endian u32.
  return (load<u32>(p, DST) & 0x00ffffff) == 0x0000e0;
}

/**
 * RFC 1112 §6.4: "An IP host group address is mapped to an Ethernet multicast address by placing the low-order
 * 23-bits of the IP address into the low-order 23 bits of the Ethernet multicast address 01-00-5E-00-00-00".
 * `eth` is the frame's first byte.
 */
@inline export function macMatchesGroup(eth: usize, p: usize): bool {
  // MAC bytes 0-1 are 01 00; bytes 2-5 are 5e and the group's bytes 1-3 with the top bit of byte 1 cleared
  // (little-endian words of both).
  return (load<u16>(eth, ETH_DST) == 0x0001) &
    (load<u32>(eth, ETH_DST + 2) == ((load<u32>(p, DST) & 0xffff7f00) | 0x5e));
}

/**
 * The structural check, with `avail` bytes from `p` to the end of the frame:
 * - RFC 791 §3.1 Version "indicates the format of the internet header" → must be 4;
 * - IHL: "the minimum value for a correct header is 5", and the header (with options) must be inside the frame;
 * - Total Length covers the header and must fit in the frame (Ethernet padding may follow it).
 */
export function headerOk(p: usize, avail: u32): bool {
  if (avail < MIN_HEADER_LEN) return false;
  const ihl = headerLen(p);
  const total = totalLength(p);
  return (version(p) == 4) & (ihl >= MIN_HEADER_LEN) & (total >= ihl) & (total <= avail);
}

/**
 * RFC 791 §3.1: "The checksum field is the 16 bit one's complement of the one's complement sum of all 16 bit
 * words in the header." Call after `headerOk`.
 */
@inline export function headerChecksumOk(p: usize): bool {
  const ihl = headerLen(p);
  // Nearly every header is 20 bytes: five word loads, no loop.
  if (ihl == MIN_HEADER_LEN) {
    const sum = <u64>load<u32>(p) + <u64>load<u32>(p, 4) + <u64>load<u32>(p, 8) + <u64>load<u32>(p, 12) +
      <u64>load<u32>(p, 16);
    return fold(sum) == 0xffff;
  }
  return checksumOk(p, ihl);
}
