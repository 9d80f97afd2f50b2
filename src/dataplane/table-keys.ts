// Addresses as the Wasm tables key them: 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2),
// and back to text for management views. MAC addresses travel as little-endian 48-bit integers.

import { ipv4ToU32, parseIpv6Into } from '../wire/common.js';
import { KEY_BYTES } from '../contract/constants.js';

/** Parse an IPv4 dotted quad or IPv6 text into a 16-byte key; throws on anything else. */
export function addressKey(text: string): Uint8Array {
  const key = new Uint8Array(KEY_BYTES);
  writeAddressKey(text, key, 0);
  return key;
}

/** The 16 bytes of the IPv6 address being keyed (parseIpv6Into writes at offset 0). */
const IPV6_SCRATCH = new Uint8Array(KEY_BYTES);

/**
 * addressKey written into `out` at `at` (KEY_BYTES bytes) without allocating: the control plane keys every table
 * command's addresses this way (command-codec.ts). The text is parsed by src/wire's parsers.
 */
export function writeAddressKey(text: string, out: Uint8Array, at: number): void {
  const v4 = ipv4ToU32(text);
  if (v4 !== null) {
    out.fill(0, at, at + 10);
    out[at + 10] = 0xff;
    out[at + 11] = 0xff;
    out[at + 12] = v4 >>> 24;
    out[at + 13] = (v4 >>> 16) & 0xff;
    out[at + 14] = (v4 >>> 8) & 0xff;
    out[at + 15] = v4 & 0xff;
    return;
  }
  const zone = text.indexOf('%'); // a scope zone (fe80::1%eth0) is not part of the key
  if (!parseIpv6Into(zone < 0 ? text : text.slice(0, zone), IPV6_SCRATCH)) {
    throw new Error(`not an IP address: ${JSON.stringify(text)}`);
  }
  out.set(IPV6_SCRATCH, at);
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
