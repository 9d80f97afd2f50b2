// Address rules for both families, in one place: "is this a multicast group", "is it link-local scope", "which
// groups are snooped, which are always flooded, which sources and querier addresses are valid". The configuration
// file's checks (src/config/schema.ts), the snooping engine (src/snooping/family.ts), management and the CLI's
// argument checks, and `igmpswitch decode` (src/decode) all ask here.
// IPv4 is dotted quad only (no shorthand like "10.1", no leading zeros, which some parsers read as octal).
// IPv6 text is any RFC 4291 §2.2 form; canonicalIPv6 gives the RFC 5952 form the engine keys state by.

import { ipv4ToU32, ipv6At, parseIpv6 } from './common.js';

// ---- IPv4 ------------------------------------------------------------------------------------------------------

/** 224.0.0.0/4, the IPv4 multicast range (RFC 5771 §2), on the address as a number. */
function inMulticastRange(n: number): boolean {
  return n >>> 28 === 0xe;
}

/** 224.0.0.0/24, the Local Network Control Block (RFC 5771 §4), on the address as a number. */
function inLocalControlBlock(n: number): boolean {
  return n >>> 8 === 0xe00000;
}

export function isIPv4(text: string): boolean {
  return ipv4ToU32(text) !== null;
}

/** 224.0.0.0/4 (RFC 5771). */
export function isMulticastIPv4(text: string): boolean {
  const n = ipv4ToU32(text);
  return n !== null && inMulticastRange(n);
}

/** 224.0.0.0/24: link-local control block, always flooded (RFC 4541 2.1.2(2)), never snooped. */
export function isLinkLocalMulticastIPv4(text: string): boolean {
  const n = ipv4ToU32(text);
  return n !== null && inLocalControlBlock(n);
}

/** A possible host (unicast) source address: not 0.0.0.0, not multicast, not reserved 240/4, not broadcast. */
export function isUnicastIPv4(text: string): boolean {
  const n = ipv4ToU32(text);
  return n !== null && n !== 0 && n >>> 28 < 0xe;
}

/**
 * An address a querier may use as its source in the election (RFC 2236 §3, RFC 3376 §6.6.2): not
 * 0.0.0.0/8 ("this host on this network", RFC 1122 §3.2.1.3: only ever a source while booting), not
 * 127.0.0.0/8 (loopback, never on a wire), not 224.0.0.0/4 (multicast is never a source), not 240.0.0.0/4
 * (reserved, RFC 1112 §4) which includes the limited broadcast 255.255.255.255.
 */
export function isIpv4QuerierAddress(text: string): boolean {
  const n = ipv4ToU32(text);
  if (n === null) return false;
  const first = n >>> 24;
  return first !== 0 && first !== 127 && first < 224;
}

// ---- IPv6 (RFC 4291) -----------------------------------------------------------------------------------------

/** RFC 5952 text of an IPv6 address, or null when `text` is not one (zone suffixes are refused). */
export function canonicalIPv6(text: string): string | null {
  const bytes = parseIpv6(text);
  return bytes === null ? null : ipv6At(bytes, 0);
}

/**
 * What snooping does with a group address, decided from one parse (the engine asks this per report record):
 *   'snooped'      state is kept for it;
 *   'local'        forwarded to every port, never snooped: IPv4 224.0.0.0/24 (RFC 4541 §2.1.2(2)), IPv6 ff02::1 (§3);
 *   'never-on-link' IPv6 ff00::/15, which "should never appear in packets on the link" (RFC 4541 §3);
 *   'invalid'      not a multicast address of the family.
 */
export type GroupClass = 'snooped' | 'local' | 'never-on-link' | 'invalid';

export function classifyGroupIPv4(text: string): GroupClass {
  const n = ipv4ToU32(text);
  if (n === null || !inMulticastRange(n)) return 'invalid';
  return inLocalControlBlock(n) ? 'local' : 'snooped';
}

export function classifyGroupIPv6(text: string): GroupClass {
  const b = parseIpv6(text);
  if (b === null || b[0] !== 0xff) return 'invalid';
  if ((b[1]! & 0xfe) === 0) return 'never-on-link';
  // ff02::1 (flags 0, link scope, group id 1): all nodes.
  if (b[1] === 0x02 && b[15] === 1 && b.subarray(2, 15).every((x) => x === 0)) return 'local';
  return 'snooped';
}

/**
 * A source the snooping engine keeps in an IPv4 source list: not 0.0.0.0 and not multicast (as Linux
 * br_multicast_new_group_src). Wider than isUnicastIPv4, which the configuration file uses.
 */
export function isGroupSourceIPv4(text: string): boolean {
  const n = ipv4ToU32(text);
  return n !== null && n !== 0 && !inMulticastRange(n);
}

/** ff00::/8 (RFC 4291 §2.7). */
export function isMulticastIPv6(text: string): boolean {
  const b = parseIpv6(text);
  return b !== null && b[0] === 0xff;
}

/**
 * A group MLD snooping keeps state for: multicast, outside ff00::/15, and not ff02::1. Unlike IPv4's 224.0.0.0/24,
 * link-scope groups (ff02::fb, solicited-node ff02::1:ffxx:xxxx) are snooped: MLD is mandatory for them (RFC 4541 §3).
 */
export function isSnoopedGroupIPv6(text: string): boolean {
  return classifyGroupIPv6(text) === 'snooped';
}

/** fe80::/10, link-local unicast (RFC 4291 §2.5.6): the only valid source of MLD queries (RFC 3810 §5.1.14). */
export function isLinkLocalUnicastIPv6(text: string): boolean {
  const b = parseIpv6(text);
  return b !== null && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** :: (RFC 4291 §2.5.2). */
export function isUnspecifiedIPv6(text: string): boolean {
  const b = parseIpv6(text);
  return b !== null && b.every((x) => x === 0);
}

/** A possible host source: not ::, not ::1, not multicast (Linux br_multicast_new_group_src refuses :: and multicast). */
export function isUnicastIPv6(text: string): boolean {
  const b = parseIpv6(text);
  if (b === null || b[0] === 0xff) return false;
  const zeroHead = b.subarray(0, 15).every((x) => x === 0);
  return !(zeroHead && (b[15] === 0 || b[15] === 1));
}

/** Order of two IPv6 addresses as 128-bit numbers: negative, 0 or positive (RFC 3810 §7.6.2 "lowest address"). */
export function compareIPv6(a: string, b: string): number {
  const x = parseIpv6(a);
  const y = parseIpv6(b);
  if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
  for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/**
 * The link-local address with the modified EUI-64 interface identifier of `mac` (RFC 4291 §2.5.1 and appendix A:
 * ff:fe in the middle, universal/local bit inverted), e.g. 02:00:00:00:00:01 → fe80::ff:fe00:1.
 */
export function linkLocalFromMac(mac: string): string {
  const m = mac.split(':').map((x) => parseInt(x, 16));
  if (m.length !== 6 || m.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new TypeError(`not a MAC address: ${mac}`);
  const bytes = new Uint8Array(16);
  bytes[0] = 0xfe;
  bytes[1] = 0x80;
  bytes.set([m[0]! ^ 0x02, m[1]!, m[2]!, 0xff, 0xfe, m[3]!, m[4]!, m[5]!], 8);
  return ipv6At(bytes, 0);
}
