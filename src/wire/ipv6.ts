// IPv6 header (RFC 8200 §3) and the Hop-by-Hop Router Alert option (RFC 2711), enough to find the
// ICMPv6 (MLD, MRD) or PIM message of a control frame and to emit an MRD solicitation.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Traffic Class |           Flow Label                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Payload Length        |  Next Header  |   Hop Limit   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 Source Address (16 octets)                    |
//   |                 Destination Address (16 octets)               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   Hop-by-Hop: | Next Header | Hdr Ext Len | options (RA: 05 02 vv vv) …

import { fail, ipv6At, ok, type Result, u16At, writeIpv6, writeU16 } from './common.js';

export const Field = {
  VER_TC_FLOW: 0,
  PAYLOAD_LEN: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SRC: 8,
  DST: 24,
} as const;

export const HEADER_LEN = 40;

export const NextHeader = {
  HOP_BY_HOP: 0,
  ROUTING: 43,
  FRAGMENT: 44,
  ICMPV6: 58,
  NONE: 59,
  DEST_OPTS: 60,
  PIM: 103,
} as const;

/** RFC 2711 §2.1: option type 5, length 2; value 0 = "Multicast Listener Discovery message". */
export const ROUTER_ALERT_OPTION = 5;
export const ROUTER_ALERT_MLD = 0;

export interface Ipv6Repr {
  src: string;
  dst: string;
  hopLimit: number;
  /** The upper-layer protocol after the extension headers. */
  nextHeader: number;
  /** A Hop-by-Hop Router Alert option is present (parse) / is written (emit). */
  routerAlert: boolean;
}

export interface ParsedIpv6 {
  repr: Ipv6Repr;
  /** Offset of the upper-layer message, from the start of the buffer. */
  upperOffset: number;
  /** Length of the upper-layer message. */
  upperLen: number;
}

/** The fixed header at `off`, one accessor per field (for igmpswitch decode); the caller checks HEADER_LEN bytes. */
export class Ipv6View {
  constructor(readonly buf: Uint8Array, readonly off = 0) {}
  get version(): number { return this.buf[this.off]! >>> 4; }
  get trafficClass(): number { return (u16At(this.buf, this.off) >>> 4) & 0xff; }
  get flowLabel(): number { return ((this.buf[this.off + 1]! & 0x0f) << 16) | u16At(this.buf, this.off + 2); }
  get payloadLength(): number { return u16At(this.buf, this.off + Field.PAYLOAD_LEN); }
  /** The Next Header of the fixed header (0 = Hop-by-Hop, where MLD's Router Alert lives). */
  get nextHeader(): number { return this.buf[this.off + Field.NEXT_HEADER]!; }
  get hopLimit(): number { return this.buf[this.off + Field.HOP_LIMIT]!; }
  get src(): string { return ipv6At(this.buf, this.off + Field.SRC); }
  get dst(): string { return ipv6At(this.buf, this.off + Field.DST); }
}

/** Parse the fixed header at `off` and walk Hop-by-Hop, Routing and Destination Options headers. */
export function parse(b: Uint8Array, off = 0): Result<ParsedIpv6> {
  if (b.length < off + HEADER_LEN) return fail('ipv6', 'truncated');
  if (b[off]! >>> 4 !== 6) return fail('ipv6', 'bad-version');
  const payloadLen = u16At(b, off + Field.PAYLOAD_LEN);
  const end = off + HEADER_LEN + payloadLen;
  if (b.length < end) return fail('ipv6', 'truncated');
  let next = b[off + Field.NEXT_HEADER]!;
  let p = off + HEADER_LEN;
  let routerAlert = false;
  for (let hops = 0; hops < 8; hops++) {
    if (next === NextHeader.FRAGMENT) return fail('ipv6', 'fragmented');
    if (next !== NextHeader.HOP_BY_HOP && next !== NextHeader.ROUTING && next !== NextHeader.DEST_OPTS) break;
    if (p + 2 > end) return fail('ipv6', 'truncated');
    const len = (b[p + 1]! + 1) * 8; // RFC 8200 §4.3: Hdr Ext Len in 8-octet units, not counting the first 8
    if (p + len > end) return fail('ipv6', 'truncated');
    if (next === NextHeader.HOP_BY_HOP) {
      // RFC 8200 §4.2 TLV options: Pad1 (0) is one octet, the others are type, length, data.
      for (let i = p + 2; i < p + len;) {
        const type = b[i]!;
        if (type === 0) { i++; continue; }
        if (i + 2 > p + len) break;
        const optLen = b[i + 1]!;
        if (type === ROUTER_ALERT_OPTION && optLen === 2) routerAlert = true;
        i += 2 + optLen;
      }
    }
    next = b[p]!;
    p += len;
  }
  return ok({
    repr: {
      src: ipv6At(b, off + Field.SRC),
      dst: ipv6At(b, off + Field.DST),
      hopLimit: b[off + Field.HOP_LIMIT]!,
      nextHeader: next,
      routerAlert,
    },
    upperOffset: p,
    upperLen: end - p,
  });
}

/** Header length `emit` writes: 40, or 48 with the Hop-by-Hop Router Alert header. */
export function headerLen(repr: Pick<Ipv6Repr, 'routerAlert'>): number {
  return repr.routerAlert ? HEADER_LEN + 8 : HEADER_LEN;
}

/** Write the header (and a Hop-by-Hop header with Router Alert when asked), then `payload`. */
export function emit(repr: Ipv6Repr, payload: Uint8Array): Uint8Array {
  const hl = headerLen(repr);
  const out = new Uint8Array(hl + payload.length);
  out[0] = 0x60;
  writeU16(out, Field.PAYLOAD_LEN, hl - HEADER_LEN + payload.length);
  out[Field.HOP_LIMIT] = repr.hopLimit & 255;
  writeIpv6(out, Field.SRC, repr.src);
  writeIpv6(out, Field.DST, repr.dst);
  if (repr.routerAlert) {
    out[Field.NEXT_HEADER] = NextHeader.HOP_BY_HOP;
    // Hop-by-Hop: next header, length 0 (= 8 octets), RA option (05 02 00 00), PadN (01 00).
    out[HEADER_LEN] = repr.nextHeader;
    out[HEADER_LEN + 1] = 0;
    out[HEADER_LEN + 2] = ROUTER_ALERT_OPTION;
    out[HEADER_LEN + 3] = 2;
    writeU16(out, HEADER_LEN + 4, ROUTER_ALERT_MLD);
    out[HEADER_LEN + 6] = 1;
    out[HEADER_LEN + 7] = 0;
  } else {
    out[Field.NEXT_HEADER] = repr.nextHeader;
  }
  out.set(payload, hl);
  return out;
}
