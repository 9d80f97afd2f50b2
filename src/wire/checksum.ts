// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum.
//
// Used by IPv4 headers (RFC 791 §3.1), IGMP (RFC 2236 §2.3, RFC 3376 §4.1.2), PIM (RFC 7761 §4.9),
// MRD (RFC 4286 §3, §4, §5) and, with the IPv6 pseudo-header (RFC 8200 §8.1), ICMPv6/MLD.
// Performance is not a concern here: the control plane checksums a few frames per second.

import { parseIpv6 } from './common.js';

/** One's complement sum of bytes [start, end), folded to 16 bits, added to `initial` (not complemented). */
export function onesSum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8; // odd length: pad with a zero byte (RFC 1071 §4.1)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum to store in a header whose checksum field is zero: ~sum. */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  return ~onesSum(b, start, end, initial) & 0xffff;
}

/** True when the data, checksum field included, sums to 0xffff (RFC 1071 §1 "verify"). */
export function verifyInternetChecksum(b: Uint8Array, start = 0, end = b.length, initial = 0): boolean {
  return onesSum(b, start, end, initial) === 0xffff;
}

/** Sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, destination, upper-layer length, next header. */
export function ipv6PseudoHeaderSum(src: string, dst: string, upperLength: number, nextHeader: number): number {
  const s = parseIpv6(src);
  const d = parseIpv6(dst);
  if (s === null || d === null) throw new TypeError('pseudo-header needs IPv6 addresses');
  let sum = onesSum(s) + onesSum(d);
  sum += (upperLength >>> 16) + (upperLength & 0xffff) + nextHeader;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * The checksum a correct sender would have stored in the 16-bit field at `fieldOff` of bytes [start, end): the
 * checksum computed with that field as zero (RFC 1071). For explaining a received message ("wrong, should be …").
 */
export function expectedChecksum(b: Uint8Array, start: number, end: number, fieldOff: number, initial = 0): number {
  const copy = b.slice(start, end);
  copy[fieldOff - start] = 0;
  copy[fieldOff - start + 1] = 0;
  return internetChecksum(copy, 0, copy.length, initial);
}
