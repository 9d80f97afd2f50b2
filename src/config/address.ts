// IPv4 address checks for the config file (dotted quad only: no shorthand like "10.1", no leading zeros,
// which some parsers read as octal).

import { isIPv6 } from 'node:net';

const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(text: string): boolean {
  return QUAD.test(text);
}

/** The address as an unsigned 32-bit number; the caller has checked isIPv4. */
export function ipv4ToNumber(text: string): number {
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** 224.0.0.0/4. */
export function isMulticastIPv4(text: string): boolean {
  return isIPv4(text) && ipv4ToNumber(text) >>> 28 === 0xe;
}

/** 224.0.0.0/24: link-local control block, always flooded (RFC 4541 2.1.2(2)), never snooped. */
export function isLinkLocalMulticastIPv4(text: string): boolean {
  return isIPv4(text) && ipv4ToNumber(text) >>> 8 === 0xe00000;
}

/** A possible host (unicast) source address: not 0.0.0.0, not multicast, not reserved 240/4, not broadcast. */
export function isUnicastIPv4(text: string): boolean {
  if (!isIPv4(text)) return false;
  const n = ipv4ToNumber(text);
  return n !== 0 && n >>> 28 < 0xe;
}

/** Linux interface names: 1..15 bytes (IFNAMSIZ - 1), not "." or "..", no "/", ":" or whitespace. */
export function isValidIfname(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  if (Buffer.byteLength(name, 'utf8') > 15) return false;
  return !/[\s/:]/.test(name) && !name.includes('\0');
}

/** A listen address "host:port": IPv4 literal or [IPv6 literal]; port 0 asks the kernel for a free port. */
export function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d+\.\d+\.\d+\.\d+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65_535) return null;
  if (m[2] !== undefined) return isIPv4(m[2]) ? { host: m[2], port } : null;
  const v6 = m[1]!;
  return isIPv6(v6) ? { host: v6, port } : null;
}

