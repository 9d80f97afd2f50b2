// IPv4 header (RFC 791 §3.1) with the Router Alert option (RFC 2113).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version|  IHL  |Type of Service|          Total Length         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Identification        |Flags|      Fragment Offset    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       Source Address                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Destination Address                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Options: Router Alert  10010100 | 00000100 |  Value = 0 (2 octets)
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

import { expectedChecksum, internetChecksum, verifyInternetChecksum } from './checksum.js';
import { fail, ipv4At, ok, type Result, u16At, writeIpv4, writeU16 } from './common.js';

export const Field = {
  VER_IHL: 0,
  TOS: 1,
  TOTAL_LEN: 2,
  IDENT: 4,
  FLAGS_FRAG: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
  OPTIONS: 20,
} as const;

export const MIN_HEADER_LEN = 20;

export const Protocol = {
  IGMP: 2,   // RFC 1112, 2236, 3376; also MRD (RFC 4286 §3: IGMP types 0x30–0x32)
  PIM: 103,  // RFC 7761 §4.9
} as const;

/** RFC 791 §3.1 option types used here. */
export const OptionType = {
  END: 0,
  NOP: 1,
  ROUTER_ALERT: 0x94, // RFC 2113 §2.1: copied=1, class=0, number=20; length 4; value 0 = "examine packet"
} as const;
export const ROUTER_ALERT_LEN = 4;

/** Flags field bit "Don't Fragment" (RFC 791 §3.1), in the 16-bit flags/fragment-offset word. */
export const FLAG_DF = 0x4000;
export const FLAG_MF = 0x2000;
export const FRAG_OFFSET_MASK = 0x1fff;

/** Type of Service used for IGMP messages sent by us: precedence 6 "internetwork control" (as Linux does). */
export const TOS_INTERNETWORK_CONTROL = 0xc0;

export interface Ipv4Repr {
  src: string;
  dst: string;
  protocol: number;
  ttl: number;
  tos: number;
  ident: number;
  dontFragment: boolean;
  /** A Router Alert option is present (parse) / is written (emit). */
  routerAlert: boolean;
  /** Length of the payload after the header. */
  payloadLen: number;
}

export interface ParsedIpv4 {
  repr: Ipv4Repr;
  headerLen: number;
  /** True when the stored header checksum is correct (reported, never enforced here). */
  checksumOk: boolean;
  /** True when this is a fragment (MF set or non-zero offset). */
  fragment: boolean;
}

/** One option of the header: its type octet, where it starts and its length (1 for END and NOP). */
export interface Ipv4Option {
  type: number;
  offset: number;
  length: number;
}

/** RFC 2113 §2.1: type 148, length 4 (the value, 0 = "examine packet", is not checked). */
export function isRouterAlert(o: Ipv4Option): boolean {
  return o.type === OptionType.ROUTER_ALERT && o.length === ROUTER_ALERT_LEN;
}

/** The value of a Router Alert option (RFC 2113 §2.1: 0 = "Router shall examine packet"). */
export function routerAlertValue(b: Uint8Array, o: Ipv4Option): number {
  return u16At(b, o.offset + 2);
}

/** The options of the header at `off` (RFC 791 §3.1: END and NOP are one octet; others are type, length, data). */
export function readOptions(b: Uint8Array, off: number, headerLen: number): Result<Ipv4Option[]> {
  const options: Ipv4Option[] = [];
  for (let i = off + MIN_HEADER_LEN; i < off + headerLen;) {
    const type = b[i]!;
    if (type === OptionType.END) {
      options.push({ type, offset: i, length: 1 });
      break;
    }
    if (type === OptionType.NOP) {
      options.push({ type, offset: i, length: 1 });
      i++;
      continue;
    }
    if (i + 1 >= off + headerLen) return fail('ipv4', 'bad-header-length', 'option runs past the header');
    const len = b[i + 1]!;
    if (len < 2 || i + len > off + headerLen) return fail('ipv4', 'bad-header-length', 'bad option length');
    options.push({ type, offset: i, length: len });
    i += len;
  }
  return ok(options);
}

/**
 * The header at `off`, one accessor per field (for igmpswitch decode). The caller checks that MIN_HEADER_LEN
 * bytes (and `headerLen` for the options) are there.
 */
export class Ipv4View {
  constructor(readonly buf: Uint8Array, readonly off = 0) {}
  get version(): number { return this.buf[this.off + Field.VER_IHL]! >>> 4; }
  /** Internet Header Length in 32-bit words. */
  get ihl(): number { return this.buf[this.off + Field.VER_IHL]! & 0x0f; }
  get headerLen(): number { return this.ihl * 4; }
  get tos(): number { return this.buf[this.off + Field.TOS]!; }
  get totalLength(): number { return u16At(this.buf, this.off + Field.TOTAL_LEN); }
  get ident(): number { return u16At(this.buf, this.off + Field.IDENT); }
  /** The three flag bits (reserved, DF, MF). */
  get flags(): number { return u16At(this.buf, this.off + Field.FLAGS_FRAG) >>> 13; }
  get fragmentOffset(): number { return u16At(this.buf, this.off + Field.FLAGS_FRAG) & FRAG_OFFSET_MASK; }
  get ttl(): number { return this.buf[this.off + Field.TTL]!; }
  get protocol(): number { return this.buf[this.off + Field.PROTOCOL]!; }
  get checksum(): number { return u16At(this.buf, this.off + Field.CHECKSUM); }
  get expectedChecksum(): number { return expectedChecksum(this.buf, this.off, this.off + this.headerLen, this.off + Field.CHECKSUM); }
  get checksumOk(): boolean { return verifyInternetChecksum(this.buf, this.off, this.off + this.headerLen); }
  get src(): string { return ipv4At(this.buf, this.off + Field.SRC); }
  get dst(): string { return ipv4At(this.buf, this.off + Field.DST); }
  options(): Result<Ipv4Option[]> { return readOptions(this.buf, this.off, this.headerLen); }
}

/**
 * Parse the header at `off`. The payload length comes from Total Length, so Ethernet padding
 * after a short datagram is not mistaken for payload (an 8-octet IGMPv2 query in a 60-byte frame).
 */
export function parse(b: Uint8Array, off = 0): Result<ParsedIpv4> {
  if (b.length < off + MIN_HEADER_LEN) return fail('ipv4', 'truncated');
  const verIhl = b[off + Field.VER_IHL]!;
  if (verIhl >>> 4 !== 4) return fail('ipv4', 'bad-version');
  const headerLen = (verIhl & 0x0f) * 4;
  if (headerLen < MIN_HEADER_LEN) return fail('ipv4', 'bad-header-length');
  const totalLen = u16At(b, off + Field.TOTAL_LEN);
  if (totalLen < headerLen) return fail('ipv4', 'bad-header-length', 'total length below header length');
  if (b.length < off + totalLen) return fail('ipv4', 'truncated');
  const options = readOptions(b, off, headerLen);
  if (!options.ok) return options;
  const routerAlert = options.value.some(isRouterAlert);
  const flagsFrag = u16At(b, off + Field.FLAGS_FRAG);
  return ok({
    repr: {
      src: ipv4At(b, off + Field.SRC),
      dst: ipv4At(b, off + Field.DST),
      protocol: b[off + Field.PROTOCOL]!,
      ttl: b[off + Field.TTL]!,
      tos: b[off + Field.TOS]!,
      ident: u16At(b, off + Field.IDENT),
      dontFragment: (flagsFrag & FLAG_DF) !== 0,
      routerAlert,
      payloadLen: totalLen - headerLen,
    },
    headerLen,
    checksumOk: verifyInternetChecksum(b, off, off + headerLen),
    fragment: (flagsFrag & (FLAG_MF | FRAG_OFFSET_MASK)) !== 0,
  });
}

/** Header length `emit` writes: 20, or 24 with Router Alert. */
export function headerLen(repr: Pick<Ipv4Repr, 'routerAlert'>): number {
  return repr.routerAlert ? MIN_HEADER_LEN + ROUTER_ALERT_LEN : MIN_HEADER_LEN;
}

/** Write the header into a new buffer followed by `payload`, with the header checksum filled in. */
export function emit(repr: Omit<Ipv4Repr, 'payloadLen'>, payload: Uint8Array): Uint8Array {
  const hl = headerLen(repr);
  const out = new Uint8Array(hl + payload.length);
  out[Field.VER_IHL] = 0x40 | (hl / 4);
  out[Field.TOS] = repr.tos & 255;
  writeU16(out, Field.TOTAL_LEN, hl + payload.length);
  writeU16(out, Field.IDENT, repr.ident & 0xffff);
  writeU16(out, Field.FLAGS_FRAG, repr.dontFragment ? FLAG_DF : 0);
  out[Field.TTL] = repr.ttl & 255;
  out[Field.PROTOCOL] = repr.protocol & 255;
  writeIpv4(out, Field.SRC, repr.src);
  writeIpv4(out, Field.DST, repr.dst);
  if (repr.routerAlert) {
    // RFC 2113 §2.1: type 148, length 4, value 0 "Router shall examine packet".
    out[Field.OPTIONS] = OptionType.ROUTER_ALERT;
    out[Field.OPTIONS + 1] = ROUTER_ALERT_LEN;
    writeU16(out, Field.OPTIONS + 2, 0);
  }
  writeU16(out, Field.CHECKSUM, internetChecksum(out, 0, hl));
  out.set(payload, hl);
  return out;
}
