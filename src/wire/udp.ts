// UDP header (RFC 768), only as far as the switch builds datagrams itself: the synthetic frame of `trace`, and test
// traffic in the namespace tests.
//
//    0      7 8     15 16    23 24    31
//   +--------+--------+--------+--------+
//   |   Source Port   |    Dest Port    |
//   +--------+--------+--------+--------+
//   |     Length      |    Checksum     |
//   +--------+--------+--------+--------+

import { internetChecksum, ipv6PseudoHeaderSum } from './checksum.js';
import { writeU16 } from './common.js';

export const Field = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;
export const HEADER_LEN = 8;
/** IPv4 protocol / IPv6 next-header number. */
export const PROTOCOL = 17;

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
}

/**
 * Header + payload. With `ipv6` (the IPv6 source and destination) the checksum is computed, as RFC 8200 §8.1 requires;
 * over IPv4 it is left 0 ("no checksum", RFC 768).
 */
export function emit(repr: UdpRepr, payload: Uint8Array, ipv6?: { src: string; dst: string }): Uint8Array {
  const out = new Uint8Array(HEADER_LEN + payload.length);
  writeU16(out, Field.SRC_PORT, repr.srcPort);
  writeU16(out, Field.DST_PORT, repr.dstPort);
  writeU16(out, Field.LENGTH, out.length);
  out.set(payload, HEADER_LEN);
  if (ipv6) {
    // RFC 8200 §8.1: a computed checksum of 0 is sent as 0xffff.
    const sum = internetChecksum(out, 0, out.length, ipv6PseudoHeaderSum(ipv6.src, ipv6.dst, out.length, PROTOCOL));
    writeU16(out, Field.CHECKSUM, sum === 0 ? 0xffff : sum);
  }
  return out;
}
