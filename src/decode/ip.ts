// Ethernet, IPv4 and IPv6 field by field (IEEE 802.3/802.1Q, RFC 791, RFC 8200), through src/wire views.

import { ipv4MulticastMac, ipv6MulticastMac } from '../wire/common.js';
import { isMulticastIPv4, isMulticastIPv6 } from '../wire/address.js';
import * as ethernet from '../wire/ethernet.js';
import * as ipv4 from '../wire/ipv4.js';
import * as ipv6 from '../wire/ipv6.js';
import { applyTable, checksumMeaning, type DecodedField, type DecodedLayer, type FieldSpec, type Finding, layer } from './model.js';

const ETHERTYPE_NAMES: Record<number, string> = {
  [ethernet.EtherType.IPV4]: 'IPv4', [ethernet.EtherType.IPV6]: 'IPv6', [ethernet.EtherType.VLAN]: '802.1Q VLAN tag',
  [ethernet.EtherType.QINQ]: '802.1ad service tag',
};

/** The MAC an IP multicast destination maps to (RFC 1112 §6.4, RFC 2464 §7), or null for other addresses. */
function multicastMacOf(dst: string): string | null {
  if (dst.includes(':')) return isMulticastIPv6(dst) ? ipv6MulticastMac(dst) : null;
  return isMulticastIPv4(dst) ? ipv4MulticastMac(dst) : null;
}

interface EthCtx {
  frame: Uint8Array;
  e: ethernet.ParsedEthernet;
  ipDst: string | null;
}

const ETHERNET_FIELDS: readonly FieldSpec<EthCtx>[] = [
  {
    name: 'Destination', offset: ethernet.Field.DST, format: 'text', raw: (c) => c.e.repr.dst,
    meaning: (c) => {
      const want = c.ipDst === null ? null : multicastMacOf(c.ipDst);
      if (want === null) return (c.frame[0]! & 1) !== 0 ? 'a multicast MAC' : 'a unicast MAC';
      return want === c.e.repr.dst ? `the MAC of ${c.ipDst} (${c.ipDst!.includes(':') ? 'RFC 2464 §7' : 'RFC 1112 §6.4'})` : `expected ${want} for ${c.ipDst}`;
    },
    check: (c) => {
      const want = c.ipDst === null ? null : multicastMacOf(c.ipDst);
      return want !== null && want !== c.e.repr.dst
        ? { level: 'violation', rfc: c.ipDst!.includes(':') ? 'RFC 2464 §7' : 'RFC 1112 §6.4',
          text: `the frame goes to ${c.e.repr.dst}, not to ${want}, the MAC of ${c.ipDst}: switches forward it by that MAC` }
        : null;
    },
  },
  { name: 'Source', offset: ethernet.Field.SRC, format: 'text', raw: (c) => c.e.repr.src, meaning: () => 'the sender\'s MAC' },
  {
    name: '802.1Q Tag', offset: ethernet.Field.TAG_TCI, format: 'hex16', when: (c) => c.e.repr.vlan !== null,
    raw: (c) => (c.e.repr.pcp << 13) | c.e.repr.vlan!, meaning: (c) => `VLAN ${c.e.repr.vlan}, priority ${c.e.repr.pcp}`,
  },
  {
    name: 'EtherType', offset: (c) => c.e.payloadOffset - 2, format: 'hex16', raw: (c) => c.e.repr.ethertype,
    meaning: (c) => ETHERTYPE_NAMES[c.e.repr.ethertype] ?? 'not IP',
  },
];

export function decodeEthernet(frame: Uint8Array, e: ethernet.ParsedEthernet, ipDst: string | null, findings: Finding[]): DecodedLayer {
  return layer('ethernet', 'Ethernet', 0, applyTable(ETHERNET_FIELDS, { frame, e, ipDst }, 0, findings));
}

const PROTOCOL_NAMES: Record<number, string> = { [ipv4.Protocol.IGMP]: 'IGMP (and MRD, RFC 4286)', [ipv4.Protocol.PIM]: 'PIM', 17: 'UDP', 6: 'TCP', 1: 'ICMP' };

interface V4Ctx {
  v: ipv4.Ipv4View;
  captured: number;
}

const IPV4_FIELDS: readonly FieldSpec<V4Ctx>[] = [
  { name: 'Version', offset: ipv4.Field.VER_IHL, format: 'dec', raw: (c) => c.v.version, meaning: () => 'IPv4' },
  {
    name: 'Header Length', offset: ipv4.Field.VER_IHL, format: 'dec', raw: (c) => c.v.ihl,
    meaning: (c) => `${c.v.ihl} words = ${c.v.headerLen} bytes${c.v.headerLen > ipv4.MIN_HEADER_LEN ? ', with options' : ', no options'}`,
  },
  {
    name: 'Type of Service', offset: ipv4.Field.TOS, format: 'hex8', raw: (c) => c.v.tos,
    meaning: (c) => c.v.tos === ipv4.TOS_INTERNETWORK_CONTROL ? 'precedence 6, Internetwork Control (RFC 3376 §4 suggests it)' : `precedence ${c.v.tos >>> 5}`,
  },
  {
    name: 'Total Length', offset: ipv4.Field.TOTAL_LEN, format: 'dec', raw: (c) => c.v.totalLength,
    meaning: (c) => `${c.v.totalLength - c.v.headerLen} bytes of payload after the header`,
    check: (c) => c.v.totalLength > c.captured
      ? { level: 'discard', rfc: 'RFC 791 §3.1', text: `the datagram says ${c.v.totalLength} bytes, only ${c.captured} are in the frame: cut short` } : null,
  },
  { name: 'Identification', offset: ipv4.Field.IDENT, format: 'hex16', raw: (c) => c.v.ident, meaning: () => 'for reassembly of fragments' },
  {
    name: 'Flags', offset: ipv4.Field.FLAGS_FRAG, format: 'dec', raw: (c) => c.v.flags,
    meaning: (c) => [(c.v.flags & 2) !== 0 ? "Don't Fragment" : null, (c.v.flags & 1) !== 0 ? 'More Fragments' : null].filter(Boolean).join(', ') || 'none',
  },
  {
    name: 'Fragment Offset', offset: ipv4.Field.FLAGS_FRAG, format: 'dec', raw: (c) => c.v.fragmentOffset,
    meaning: (c) => (c.v.fragmentOffset === 0 ? 'first (or only) fragment' : `${8 * c.v.fragmentOffset} bytes into the datagram`),
    check: (c) => c.v.fragmentOffset !== 0 || (c.v.flags & 1) !== 0
      ? { level: 'discard', rfc: 'RFC 791 §3.2', text: 'a fragment: control messages fit in one datagram, and a snooping switch does not reassemble' } : null,
  },
  { name: 'Time to Live', offset: ipv4.Field.TTL, format: 'dec', raw: (c) => c.v.ttl, meaning: (c) => (c.v.ttl === 1 ? 'stays on this link' : 'may be routed beyond this link') },
  { name: 'Protocol', offset: ipv4.Field.PROTOCOL, format: 'dec', raw: (c) => c.v.protocol, meaning: (c) => PROTOCOL_NAMES[c.v.protocol] ?? 'other' },
  {
    name: 'Header Checksum', offset: ipv4.Field.CHECKSUM, format: 'hex16', raw: (c) => c.v.checksum,
    meaning: (c) => checksumMeaning(c.v.checksumOk, c.v.expectedChecksum, 'over the header'),
    check: (c) => c.v.checksumOk ? null : {
      level: 'discard', rfc: 'RFC 1122 §3.2.1.2',
      text: `the header checksum is wrong (should be 0x${c.v.expectedChecksum.toString(16).padStart(4, '0')}): hosts silently discard such datagrams`,
    },
  },
  { name: 'Source Address', offset: ipv4.Field.SRC, format: 'text', raw: (c) => c.v.src, meaning: (c) => (c.v.src === '0.0.0.0' ? 'unspecified (a host without an address, or a proxy)' : 'the sender') },
  { name: 'Destination Address', offset: ipv4.Field.DST, format: 'text', raw: (c) => c.v.dst, meaning: (c) => destinationName(c.v.dst) },
];

const WELL_KNOWN: Record<string, string> = {
  '224.0.0.1': 'All-Systems (RFC 1112)', '224.0.0.2': 'All-Routers (RFC 2236)', '224.0.0.13': 'All-PIM-Routers (RFC 7761)',
  '224.0.0.22': 'All IGMPv3 Routers (RFC 3376)', '224.0.0.106': 'All-Snoopers (RFC 4286)',
  'ff02::1': 'all nodes (RFC 4291)', 'ff02::2': 'all routers (RFC 4291)', 'ff02::d': 'all PIM routers (RFC 7761)',
  'ff02::16': 'all MLDv2-capable routers (RFC 3810)', 'ff02::6a': 'all snoopers (RFC 4286)',
};

function destinationName(dst: string): string {
  return WELL_KNOWN[dst] ?? (dst.includes(':') ? (isMulticastIPv6(dst) ? 'a multicast group' : 'unicast') : isMulticastIPv4(dst) ? 'a multicast group' : 'unicast');
}

function optionRows(v: ipv4.Ipv4View, options: ipv4.Ipv4Option[]): DecodedField[] {
  return options.map((o) => {
    const name = 'Option';
    if (ipv4.isRouterAlert(o)) {
      const value = ipv4.routerAlertValue(v.buf, o);
      return { name, offset: o.offset, raw: o.type, rawText: `0x${o.type.toString(16)}`,
        meaning: `Router Alert, length 4, value ${value}${value === 0 ? ' "examine packet"' : ''} (RFC 2113 §2.1)` };
    }
    const what = o.type === ipv4.OptionType.END ? 'End of Options' : o.type === ipv4.OptionType.NOP ? 'No Operation (padding)' : `type ${o.type}, length ${o.length}`;
    return { name, offset: o.offset, raw: o.type, rawText: `0x${o.type.toString(16).padStart(2, '0')}`, meaning: what };
  });
}

export interface Ipv4Decoded {
  layer: DecodedLayer;
  view: ipv4.Ipv4View;
  routerAlert: boolean;
  /** The payload, [start, end) in the frame, or null when the header itself is unusable. */
  payload: { start: number; end: number } | null;
}

export function decodeIpv4(frame: Uint8Array, off: number, findings: Finding[]): Ipv4Decoded {
  const v = new ipv4.Ipv4View(frame, off);
  if (frame.length < off + ipv4.MIN_HEADER_LEN || v.headerLen < ipv4.MIN_HEADER_LEN || frame.length < off + v.headerLen) {
    findings.push({ level: 'discard', field: null, rfc: 'RFC 791 §3.1', text: 'the IPv4 header is cut short or its length is invalid' });
    return { layer: layer('ipv4', 'IPv4 (cut short)', off, []), view: v, routerAlert: false, payload: null };
  }
  const fields = applyTable(IPV4_FIELDS, { v, captured: frame.length - off }, off, findings);
  const options = v.options();
  let routerAlert = false;
  if (options.ok) {
    fields.push(...optionRows(v, options.value));
    routerAlert = options.value.some(ipv4.isRouterAlert);
  } else {
    findings.push({ level: 'discard', field: 'Option', rfc: 'RFC 791 §3.1', text: `malformed options: ${options.error.detail ?? options.error.reason}` });
  }
  const end = Math.min(frame.length, off + Math.max(v.totalLength, v.headerLen));
  return { layer: layer('ipv4', `IPv4 ${v.src} → ${v.dst}`, off, fields), view: v, routerAlert, payload: { start: off + v.headerLen, end } };
}

const NEXT_HEADER_NAMES: Record<number, string> = { 0: 'Hop-by-Hop Options', 58: 'ICMPv6', 103: 'PIM', 17: 'UDP', 6: 'TCP', 59: 'No Next Header' };

interface V6Ctx {
  v: ipv6.Ipv6View;
  parsed: ipv6.ParsedIpv6;
}

const IPV6_FIELDS: readonly FieldSpec<V6Ctx>[] = [
  { name: 'Version', offset: 0, format: 'dec', raw: (c) => c.v.version, meaning: () => 'IPv6' },
  { name: 'Traffic Class', offset: 0, format: 'hex8', raw: (c) => c.v.trafficClass, meaning: () => 'DSCP and ECN' },
  { name: 'Flow Label', offset: 1, format: 'hex32', raw: (c) => c.v.flowLabel, meaning: () => 'flow identifier' },
  { name: 'Payload Length', offset: ipv6.Field.PAYLOAD_LEN, format: 'dec', raw: (c) => c.v.payloadLength, meaning: () => 'bytes after the fixed header' },
  { name: 'Next Header', offset: ipv6.Field.NEXT_HEADER, format: 'dec', raw: (c) => c.v.nextHeader, meaning: (c) => NEXT_HEADER_NAMES[c.v.nextHeader] ?? 'other' },
  { name: 'Hop Limit', offset: ipv6.Field.HOP_LIMIT, format: 'dec', raw: (c) => c.v.hopLimit, meaning: (c) => (c.v.hopLimit === 1 ? 'stays on this link' : 'may be routed beyond this link') },
  { name: 'Source Address', offset: ipv6.Field.SRC, format: 'text', raw: (c) => c.v.src, meaning: (c) => (c.v.src.startsWith('fe80:') ? 'link-local' : c.v.src === '::' ? 'unspecified' : 'not link-local') },
  { name: 'Destination Address', offset: ipv6.Field.DST, format: 'text', raw: (c) => c.v.dst, meaning: (c) => destinationName(c.v.dst) },
  {
    name: 'Router Alert', offset: ipv6.HEADER_LEN, format: 'text', raw: (c) => (c.parsed.repr.routerAlert ? 'present' : 'absent'),
    meaning: (c) => c.parsed.repr.routerAlert ? 'Hop-by-Hop Router Alert option (RFC 2711)' : 'no Hop-by-Hop Router Alert option',
  },
  {
    name: 'Upper-Layer Header', offset: (c) => c.parsed.upperOffset - c.v.off, format: 'dec', raw: (c) => c.parsed.repr.nextHeader,
    meaning: (c) => `${NEXT_HEADER_NAMES[c.parsed.repr.nextHeader] ?? 'other'}, ${c.parsed.upperLen} bytes`,
  },
];

export interface Ipv6Decoded {
  layer: DecodedLayer;
  parsed: ipv6.ParsedIpv6 | null;
}

export function decodeIpv6(frame: Uint8Array, off: number, findings: Finding[]): Ipv6Decoded {
  const parsed = ipv6.parse(frame, off);
  if (!parsed.ok) {
    findings.push({ level: 'discard', field: null, rfc: 'RFC 8200 §3', text: `the IPv6 header is unusable: ${parsed.error.reason}${parsed.error.detail ? ` (${parsed.error.detail})` : ''}` });
    return { layer: layer('ipv6', 'IPv6 (unusable)', off, []), parsed: null };
  }
  const v = new ipv6.Ipv6View(frame, off);
  const fields = applyTable(IPV6_FIELDS, { v, parsed: parsed.value }, off, findings);
  return { layer: layer('ipv6', `IPv6 ${v.src} → ${v.dst}`, off, fields), parsed: parsed.value };
}
