// Addresses as the Wasm tables key them: 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2),
// and back to text for management views. MAC addresses travel as little-endian 48-bit integers.

import { isIPv4, isIPv6 } from 'node:net';
import { KEY_BYTES } from '../contract/constants.js';

/** Parse an IPv4 dotted quad or IPv6 text into a 16-byte key; throws on anything else. */
export function addressKey(text: string): Uint8Array {
  const key = new Uint8Array(KEY_BYTES);
  writeAddressKey(text, key, 0);
  return key;
}

/**
 * addressKey written into `out` at `at` (KEY_BYTES bytes), without allocating for the common case, a dotted quad:
 * the control plane encodes every table command's addresses this way (command-codec.ts).
 */
export function writeAddressKey(text: string, out: Uint8Array, at: number): void {
  if (writeIpv4Key(text, out, at)) return;
  out.set(generalKey(text), at);
}

/** A canonical dotted quad (no leading zeros, each part ≤ 255) as ::ffff:a.b.c.d; false for anything else. */
function writeIpv4Key(text: string, out: Uint8Array, at: number): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) { // '.'
      if (digits === 0 || part > 3) return false;
      out[at + 12 + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // a leading zero: leave it to isIPv4's rules
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  if (part !== 4) return false;
  out.fill(0, at, at + 10);
  out[at + 10] = 0xff;
  out[at + 11] = 0xff;
  return true;
}

function generalKey(text: string): Uint8Array {
  const key = new Uint8Array(KEY_BYTES);
  if (isIPv4(text)) {
    key[10] = 0xff;
    key[11] = 0xff;
    key.set(text.split('.').map(Number), 12);
    return key;
  }
  if (!isIPv6(text)) throw new Error(`not an IP address: ${JSON.stringify(text)}`);
  let body = text.replace(/%.*$/, '');
  // A trailing dotted quad (::ffff:1.2.3.4) is two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (quad) {
    const b = quad[1]!.split('.').map(Number);
    body = body.slice(0, -quad[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = body.includes('::') ? body.split('::') : [body, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined
    ? headGroups
    : [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    key[i * 2] = v >> 8;
    key[i * 2 + 1] = v & 0xff;
  });
  return key;
}

/** True for a key of the form ::ffff:a.b.c.d. */
export function isIpv4Mapped(key: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (key[i] !== 0) return false;
  return key[10] === 0xff && key[11] === 0xff;
}

/** Text of a 16-byte key: dotted quad for IPv4-mapped keys, RFC 5952 form otherwise. */
export function keyToAddress(key: Uint8Array): string {
  if (isIpv4Mapped(key)) return `${key[12]}.${key[13]}.${key[14]}.${key[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < KEY_BYTES; i += 2) groups.push((key[i]! << 8) | key[i + 1]!);
  // RFC 5952 §4.2.3: shorten the longest run of two or more zero groups (the first one on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** True when all 16 bytes are zero (the (*,G) source). */
export function isZeroKey(key: Uint8Array): boolean {
  return key.every((b) => b === 0);
}

/** "aa:bb:cc:dd:ee:ff" from a little-endian 48-bit integer (first octet in the low byte). */
export function macToText(mac: bigint): string {
  const parts: string[] = [];
  for (let i = 0n; i < 6n; i++) parts.push(Number((mac >> (i * 8n)) & 0xffn).toString(16).padStart(2, '0'));
  return parts.join(':');
}
