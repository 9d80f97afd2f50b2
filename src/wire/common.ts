// Shared pieces of the wire layer: the Result type, the error type, and address text conversions.
//
// Contract (smoltcp style): `parse` functions never throw, whatever the bytes; they return
// `{ ok: false, error }` with a named reason instead. `emit` functions may throw only on a
// programming error in the representation (an address that is not an address, a field out of range).
// Addresses are text, as in the table commands: IPv4 dotted quad, IPv6 RFC 5952 form, MAC aa:bb:cc:dd:ee:ff.

export type Result<T, E = WireError> = { ok: true; value: T } | { ok: false; error: E };

export type WireLayer = 'ethernet' | 'ipv4' | 'ipv6' | 'igmp' | 'mld' | 'pim' | 'mrd' | 'frame';

/** Why a parse failed. One name per reason, so that every reason can have a counter. */
export type WireErrorReason =
  | 'truncated'          // fewer bytes than the header or a length field says
  | 'bad-version'        // IP version / PIM version is not the one expected
  | 'bad-header-length'  // IPv4 IHL < 5, or an option runs past the header
  | 'bad-length'         // a message length no version matches (e.g. a 10-octet IGMP query, RFC 3376 §7.1)
  | 'unknown-type'       // a message type this layer does not know
  | 'not-control'        // an IP protocol / next header that is not IGMP, ICMPv6 or PIM
  | 'bad-checksum'       // only when the caller asked for verification
  | 'fragmented';        // a fragment: control messages are never fragmented

export interface WireError {
  layer: WireLayer;
  reason: WireErrorReason;
  detail?: string;
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(layer: WireLayer, reason: WireErrorReason, detail?: string): { ok: false; error: WireError } {
  return detail === undefined ? { ok: false, error: { layer, reason } } : { ok: false, error: { layer, reason, detail } };
}

// ---------------------------------------------------------------------------------------------
// IPv4 addresses

/** Read 4 bytes at `off` as dotted-quad text. The caller has checked the length. */
export function ipv4At(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Parse dotted-quad text into an unsigned 32-bit number, or null when it is not an IPv4 address. */
export function ipv4ToU32(s: string): number | null {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return null; // no leading zeros ("01" is ambiguous: octal in inet_aton)
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return null;
    } else {
      return null;
    }
  }
  if (digits === 0 || dots !== 3) return null;
  return value * 256 + part;
}

/** Write dotted-quad text at `off`. Throws on text that is not an IPv4 address (a programming error). */
export function writeIpv4(b: Uint8Array, off: number, s: string): void {
  const n = ipv4ToU32(s);
  if (n === null) throw new TypeError(`not an IPv4 address: ${JSON.stringify(s)}`);
  b[off] = n >>> 24;
  b[off + 1] = (n >>> 16) & 255;
  b[off + 2] = (n >>> 8) & 255;
  b[off + 3] = n & 255;
}

// ---------------------------------------------------------------------------------------------
// IPv6 addresses

/**
 * Read 16 bytes at `off` as RFC 5952 text (lower case, longest zero run of ≥ 2 groups as "::"). Built from the bytes
 * with two lookup tables and no array: every MLD report's addresses pass here.
 */
export function ipv6At(b: Uint8Array, off: number): string {
  // RFC 5952 §4.2.3: shorten the longest run of zero groups (the first one on a tie), only if ≥ 2 long.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if ((b[off + 2 * i]! | b[off + 2 * i + 1]!) !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && (b[off + 2 * j]! | b[off + 2 * j + 1]!) === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && i !== bestStart + bestLen) text += ':';
    const hi = b[off + 2 * i]!;
    const lo = b[off + 2 * i + 1]!;
    text += hi === 0 ? HEX_SHORT[lo]! : HEX_SHORT[hi]! + HEX[lo]!; // RFC 5952 §4.1: no leading zeros
  }
  return text;
}

/** Parse IPv6 text (with "::" and an optional embedded IPv4 tail) into 16 bytes, or null. */
export function parseIpv6(s: string): Uint8Array | null {
  const out = new Uint8Array(16);
  return parseIpv6Into(s, out) ? out : null;
}

/** The 16-bit groups of the address being parsed (parseIpv6Into runs to completion: one scratch suffices). */
const GROUPS = new Uint16Array(8);

/**
 * Parse IPv6 text into `out` (16 bytes); false when it is not an address (`out` is then unspecified). Hex groups are
 * scanned by character code without allocating: the MLD engine parses each report's source and group to police and
 * classify them, and a split-and-regex parser was the largest cost of absorbing an MLD report (issue 12, item 5).
 * An embedded IPv4 tail ("::ffff:192.0.2.1") is allowed as the last 32 bits only (RFC 4291 §2.2, form 3).
 */
export function parseIpv6Into(s: string, out: Uint8Array): boolean {
  const n = s.length;
  const hasDot = s.indexOf('.') >= 0;
  let pos = 0;
  let count = 0;
  /** Index in GROUPS where "::" stands, or −1. */
  let gap = -1;
  if (n >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    pos = 2;
  }
  while (pos < n) {
    if (hasDot && s.indexOf(':', pos) < 0) {                       // the last token: a dotted IPv4 tail
      const v4 = ipv4ToU32(s.slice(pos));
      if (v4 === null || count > 6) return false;
      GROUPS[count++] = v4 >>> 16;
      GROUPS[count++] = v4 & 0xffff;
      break;
    }
    let v = 0;
    let digits = 0;
    for (; pos < n && digits < 5; pos++, digits++) {
      const h = hexValue(s.charCodeAt(pos));
      if (h < 0) break;
      v = (v << 4) | h;
    }
    if (digits === 0 || digits > 4 || count === 8) return false;
    GROUPS[count++] = v;
    if (pos === n) break;
    if (s.charCodeAt(pos) !== 58) return false;                   // ':'
    pos++;
    if (pos < n && s.charCodeAt(pos) === 58) {                     // '::'
      if (gap >= 0) return false;
      gap = count;
      pos++;
    } else if (pos === n) {
      return false;                                                // a trailing single ':'
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const fill = 8 - count;
  for (let i = 0, o = 0; i < 8; i++) {
    const g = gap >= 0 && i >= gap && i < gap + fill ? 0 : GROUPS[o++]!;
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 255;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;   // 0-9
  if (c >= 97 && c <= 102) return c - 87;  // a-f
  if (c >= 65 && c <= 70) return c - 55;   // A-F
  return -1;
}

export function writeIpv6(b: Uint8Array, off: number, s: string): void {
  const a = parseIpv6(s);
  if (a === null) throw new TypeError(`not an IPv6 address: ${JSON.stringify(s)}`);
  b.set(a, off);
}

// ---------------------------------------------------------------------------------------------
// MAC addresses

/** A byte as two hex digits, and as hex without leading zeros (RFC 5952 §4.1 groups). */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_SHORT = Array.from({ length: 256 }, (_, i) => i.toString(16));

export function macAt(b: Uint8Array, off: number): string {
  return `${HEX[b[off]!]}:${HEX[b[off + 1]!]}:${HEX[b[off + 2]!]}:${HEX[b[off + 3]!]}:${HEX[b[off + 4]!]}:${HEX[b[off + 5]!]}`;
}

export function parseMac(s: string): Uint8Array | null {
  const m = /^([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})$/.exec(s);
  if (m === null) return null;
  return Uint8Array.from(m.slice(1, 7).map((x) => parseInt(x, 16)));
}

export function writeMac(b: Uint8Array, off: number, s: string): void {
  const a = parseMac(s);
  if (a === null) throw new TypeError(`not a MAC address: ${JSON.stringify(s)}`);
  b.set(a, off);
}

/** RFC 1112 §6.4: 01:00:5e followed by the low-order 23 bits of the IPv4 group. */
export function ipv4MulticastMac(group: string): string {
  const n = ipv4ToU32(group);
  if (n === null) throw new TypeError(`not an IPv4 address: ${JSON.stringify(group)}`);
  return `01:00:5e:${HEX[(n >>> 16) & 0x7f]}:${HEX[(n >>> 8) & 255]}:${HEX[n & 255]}`;
}

/** RFC 2464 §7: 33:33 followed by the low-order 32 bits of the IPv6 group. */
export function ipv6MulticastMac(group: string): string {
  const a = parseIpv6(group);
  if (a === null) throw new TypeError(`not an IPv6 address: ${JSON.stringify(group)}`);
  return `33:33:${HEX[a[12]!]}:${HEX[a[13]!]}:${HEX[a[14]!]}:${HEX[a[15]!]}`;
}

// ---------------------------------------------------------------------------------------------
// Big-endian field access (bounds are the caller's business: check lengths first)

export function u16At(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

export function writeU16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 255;
  b[off + 1] = v & 255;
}

export function u32At(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 255;
  b[off + 1] = (v >>> 16) & 255;
  b[off + 2] = (v >>> 8) & 255;
  b[off + 3] = v & 255;
}
