// Ethernet II header (IEEE 802.3 §3.2) with an optional IEEE 802.1Q tag (§9.6).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Destination MAC (6 octets)                 |
//   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                               |                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+     Source MAC (6 octets)     +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  EtherType or TPID 0x8100     | (802.1Q) PCP|D|  VLAN ID      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  (802.1Q) EtherType           |  payload …
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import { fail, macAt, ok, type Result, u16At, writeMac, writeU16 } from './common.js';

export const Field = {
  DST: 0,
  SRC: 6,
  ETHERTYPE: 12,
  TAG_TCI: 14,        // when ETHERTYPE is a TPID
  TAG_ETHERTYPE: 16,  // the inner EtherType after one tag
} as const;

export const HEADER_LEN = 14;
export const TAG_LEN = 4;
/** Smallest frame without the FCS (IEEE 802.3 §4.4.2: minFrameSize 64 octets including the 4-octet FCS). */
export const MIN_FRAME_LEN = 60;

export const EtherType = {
  IPV4: 0x0800,
  IPV6: 0x86dd,
  VLAN: 0x8100,     // 802.1Q C-tag
  QINQ: 0x88a8,     // 802.1ad S-tag
} as const;

export interface EthernetRepr {
  dst: string;
  src: string;
  /** VLAN ID of the outermost tag, or null when untagged. */
  vlan: number | null;
  /** Priority Code Point of the outermost tag (0 when untagged). */
  pcp: number;
  /** EtherType of the payload (after at most two tags). */
  ethertype: number;
}

export interface ParsedEthernet {
  repr: EthernetRepr;
  /** Offset of the payload (the L3 header). */
  payloadOffset: number;
}

/** Parse the header; accepts up to two tags (802.1ad + 802.1Q), reporting the outer VLAN. */
export function parse(b: Uint8Array): Result<ParsedEthernet> {
  if (b.length < HEADER_LEN) return fail('ethernet', 'truncated');
  let type = u16At(b, Field.ETHERTYPE);
  let off = HEADER_LEN;
  let vlan: number | null = null;
  let pcp = 0;
  for (let tags = 0; (type === EtherType.VLAN || type === EtherType.QINQ) && tags < 2; tags++) {
    if (b.length < off + TAG_LEN) return fail('ethernet', 'truncated');
    const tci = u16At(b, off);
    if (vlan === null) {
      vlan = tci & 0x0fff;
      pcp = tci >>> 13;
    }
    type = u16At(b, off + 2);
    off += TAG_LEN;
  }
  return ok({ repr: { dst: macAt(b, Field.DST), src: macAt(b, Field.SRC), vlan, pcp, ethertype: type }, payloadOffset: off });
}

/** Header length `emit` writes for this representation. */
export function headerLen(repr: Pick<EthernetRepr, 'vlan'>): number {
  return repr.vlan === null ? HEADER_LEN : HEADER_LEN + TAG_LEN;
}

/**
 * Write the header (with one 802.1Q tag when `vlan` is not null) followed by `payload`,
 * padded with zeros to MIN_FRAME_LEN.
 */
export function emit(repr: EthernetRepr, payload: Uint8Array): Uint8Array {
  const hl = headerLen(repr);
  const out = new Uint8Array(Math.max(hl + payload.length, MIN_FRAME_LEN));
  writeMac(out, Field.DST, repr.dst);
  writeMac(out, Field.SRC, repr.src);
  if (repr.vlan === null) {
    writeU16(out, Field.ETHERTYPE, repr.ethertype);
  } else {
    if (repr.vlan < 0 || repr.vlan > 4095) throw new RangeError(`VLAN ${repr.vlan}`);
    writeU16(out, Field.ETHERTYPE, EtherType.VLAN);
    writeU16(out, Field.TAG_TCI, ((repr.pcp & 7) << 13) | repr.vlan);
    writeU16(out, Field.TAG_ETHERTYPE, repr.ethertype);
  }
  out.set(payload, hl);
  return out;
}
