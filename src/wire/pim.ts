// PIMv2 (RFC 7761 §4.9): only what router-port detection needs, the Hello message (§4.9.2).
// Linux marks the port of a PIMv2 Hello to 224.0.0.13 as a router port (br_multicast_pim).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |PIM Ver| Type  |   Reserved    |           Checksum            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   Hello options, repeated:
//   |        Option Type            |         Option Length         |
//   |                         Option Value …                        |

import { expectedChecksum, internetChecksum, ipv6PseudoHeaderSum, verifyInternetChecksum } from './checksum.js';
import { fail, ok, type Result, u16At, u32At, writeU16, writeU32 } from './common.js';

export const Field = { VER_TYPE: 0, RESERVED: 1, CHECKSUM: 2, OPTIONS: 4 } as const;
export const HEADER_LEN = 4;
export const VERSION = 2;

export const MessageType = { HELLO: 0 } as const;

/** RFC 7761 §4.9.2 Hello option types. */
export const HelloOption = {
  HOLDTIME: 1,        // 2 octets, seconds; 0xffff = never time out, 0 = neighbor is going away
  DR_PRIORITY: 19,    // 4 octets
  GENERATION_ID: 20,  // 4 octets
} as const;

/** ALL-PIM-ROUTERS (RFC 7761 §4.9.2: Hellos are sent to 224.0.0.13 / ff02::d). */
export const ALL_PIM_ROUTERS_V4 = '224.0.0.13';
export const ALL_PIM_ROUTERS_V6 = 'ff02::d';

export interface PimHello {
  type: 'hello';
  holdtimeSec: number | null;
  drPriority: number | null;
  generationId: number | null;
}
export interface PimOther { type: 'other'; pimType: number }
export type PimRepr = PimHello | PimOther;

/** One Hello option (RFC 7761 §4.9.2): type, value length and where the value starts. */
export interface HelloOptionView {
  type: number;
  length: number;
  valueOffset: number;
}

/** RFC 7761 §4.9.2 value lengths of the options read here: Holdtime 2 octets, DR Priority and Generation ID 4. */
const HELLO_OPTION_LENGTHS: Record<number, number> = {
  [HelloOption.HOLDTIME]: 2, [HelloOption.DR_PRIORITY]: 4, [HelloOption.GENERATION_ID]: 4,
};

/** The value of a Holdtime, DR Priority or Generation ID option; null for other options or a wrong length. */
export function helloOptionValue(b: Uint8Array, o: HelloOptionView): number | null {
  const len = HELLO_OPTION_LENGTHS[o.type];
  if (len === undefined || o.length !== len) return null;
  return len === 2 ? u16At(b, o.valueOffset) : u32At(b, o.valueOffset);
}

/** PIM protocol number, for the IPv6 pseudo-header (RFC 7761 §4.9). */
export const NEXT_HEADER_PIM = 103;

/** A PIM message in all of `buf`, one accessor per field (for igmpswitch decode); HEADER_LEN bytes checked by the caller. */
export class PimView {
  constructor(readonly buf: Uint8Array) {}
  get version(): number { return this.buf[Field.VER_TYPE]! >>> 4; }
  get type(): number { return this.buf[Field.VER_TYPE]! & 0x0f; }
  get reserved(): number { return this.buf[Field.RESERVED]!; }
  get checksum(): number { return u16At(this.buf, Field.CHECKSUM); }
  /** RFC 7761 §4.9: over the whole message; for IPv6 also over the pseudo-header. */
  private pseudo(ip: { family: 4 | 6; src: string; dst: string }): number {
    return ip.family === 6 ? ipv6PseudoHeaderSum(ip.src, ip.dst, this.buf.length, NEXT_HEADER_PIM) : 0;
  }
  expectedChecksum(ip: { family: 4 | 6; src: string; dst: string }): number {
    return expectedChecksum(this.buf, 0, this.buf.length, Field.CHECKSUM, this.pseudo(ip));
  }
  checksumOk(ip: { family: 4 | 6; src: string; dst: string }): boolean {
    return verifyInternetChecksum(this.buf, 0, this.buf.length, this.pseudo(ip));
  }
  /** The options of a Hello, in order; fails when one runs past the message. */
  helloOptions(): Result<HelloOptionView[]> {
    const out: HelloOptionView[] = [];
    for (let p: number = Field.OPTIONS; p + 4 <= this.buf.length;) {
      const type = u16At(this.buf, p);
      const length = u16At(this.buf, p + 2);
      if (p + 4 + length > this.buf.length) return fail('pim', 'truncated', `option ${type}`);
      out.push({ type, length, valueOffset: p + 4 });
      p += 4 + length;
    }
    return ok(out);
  }
}

export function parse(b: Uint8Array): Result<PimRepr> {
  if (b.length < HEADER_LEN) return fail('pim', 'truncated');
  const vt = b[Field.VER_TYPE]!;
  if (vt >>> 4 !== VERSION) return fail('pim', 'bad-version');
  const pimType = vt & 0x0f;
  if (pimType !== MessageType.HELLO) return ok({ type: 'other', pimType });
  const hello: PimHello = { type: 'hello', holdtimeSec: null, drPriority: null, generationId: null };
  const options = new PimView(b).helloOptions();
  if (!options.ok) return options;
  for (const o of options.value) {
    const value = helloOptionValue(b, o);
    if (value === null) continue;
    if (o.type === HelloOption.HOLDTIME) hello.holdtimeSec = value;
    else if (o.type === HelloOption.DR_PRIORITY) hello.drPriority = value;
    else if (o.type === HelloOption.GENERATION_ID) hello.generationId = value;
  }
  return ok(hello);
}

/** Emit a message; the checksum covers the PIM message only (IPv4, RFC 7761 §4.9). */
export function emit(repr: PimRepr): Uint8Array {
  if (repr.type === 'other') {
    const out = new Uint8Array(HEADER_LEN);
    out[Field.VER_TYPE] = (VERSION << 4) | (repr.pimType & 0x0f);
    writeU16(out, Field.CHECKSUM, internetChecksum(out));
    return out;
  }
  const opts: Array<[number, number, number]> = [];
  if (repr.holdtimeSec !== null) opts.push([HelloOption.HOLDTIME, 2, repr.holdtimeSec]);
  if (repr.drPriority !== null) opts.push([HelloOption.DR_PRIORITY, 4, repr.drPriority]);
  if (repr.generationId !== null) opts.push([HelloOption.GENERATION_ID, 4, repr.generationId]);
  const out = new Uint8Array(HEADER_LEN + opts.reduce((n, [, len]) => n + 4 + len, 0));
  out[Field.VER_TYPE] = (VERSION << 4) | MessageType.HELLO;
  let p: number = Field.OPTIONS;
  for (const [t, len, v] of opts) {
    writeU16(out, p, t);
    writeU16(out, p + 2, len);
    if (len === 2) writeU16(out, p + 4, v);
    else writeU32(out, p + 4, v);
    p += 4 + len;
  }
  writeU16(out, Field.CHECKSUM, internetChecksum(out));
  return out;
}
