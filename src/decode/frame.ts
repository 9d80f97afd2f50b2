// One captured frame explained: Ethernet, IP and the control message (IGMP, MLD, PIM, MRD), each field with its
// meaning, and the findings: what a receiver would discard and why, what breaks a sender's rule.

import * as ethernet from '../wire/ethernet.js';
import * as ipv4 from '../wire/ipv4.js';
import * as ipv6 from '../wire/ipv6.js';
import * as mld from '../wire/mld.js';
import * as mrd from '../wire/mrd.js';
import { decodeIgmp, igmpKind } from './igmp.js';
import { decodeEthernet, decodeIpv4, decodeIpv6 } from './ip.js';
import { decodeMld } from './mld.js';
import { checkIpRules, type DecodedLayer, type Finding, type IpFacts } from './model.js';
import { decodeMrd, decodePim } from './pim-mrd.js';
import { IgmpView } from '../wire/igmp.js';

export type ControlKind = 'igmp' | 'mld' | 'pim' | 'mrd';

export interface DecodedFrame {
  /** The control protocol, or null for any other frame (data traffic, ARP, …). */
  kind: ControlKind | null;
  /** One line: "IGMPv2 Membership Report 239.1.1.1 from 192.0.2.3". */
  summary: string;
  layers: DecodedLayer[];
  findings: Finding[];
  /** True when a receiver following the RFCs drops the message (a finding of level discard). */
  discarded: boolean;
}

function done(kind: ControlKind | null, summary: string, layers: DecodedLayer[], findings: Finding[]): DecodedFrame {
  return { kind, summary, layers, findings, discarded: findings.some((f) => f.level === 'discard') };
}

export function decodeFrame(frame: Uint8Array): DecodedFrame {
  const findings: Finding[] = [];
  const eth = ethernet.parse(frame);
  if (!eth.ok) return done(null, `${frame.length}-byte frame, too short for Ethernet`, [], [{ level: 'discard', field: null, rfc: 'IEEE 802.3 §3.2', text: 'shorter than an Ethernet header' }]);
  const { ethertype } = eth.value.repr;
  const l3 = eth.value.payloadOffset;
  if (ethertype === ethernet.EtherType.IPV4) return decodeV4(frame, eth.value, l3, findings);
  if (ethertype === ethernet.EtherType.IPV6) return decodeV6(frame, eth.value, l3, findings);
  return done(null, `EtherType 0x${ethertype.toString(16).padStart(4, '0')}, not IP`, [decodeEthernet(frame, eth.value, null, findings)], findings);
}

function decodeV4(frame: Uint8Array, eth: ethernet.ParsedEthernet, l3: number, findings: Finding[]): DecodedFrame {
  const ip = decodeIpv4(frame, l3, findings);
  const v = ip.view;
  const layers = [decodeEthernet(frame, eth, ip.payload ? v.dst : null, findings), ip.layer];
  if (ip.payload === null) return done(null, 'IPv4, header unusable', layers, findings);
  const facts: IpFacts = { family: 4, src: v.src, dst: v.dst, ttl: v.ttl, routerAlert: ip.routerAlert };
  const { start, end } = ip.payload;
  if (v.protocol === ipv4.Protocol.IGMP) {
    if (end > start && mrd.isMrdIgmpType(frame[start]!)) {
      const m = decodeMrd(frame.subarray(start, end), start, facts, findings);
      return done('mrd', `${m.title} from ${v.src}`, [...layers, m], findings);
    }
    const m = decodeIgmp(frame, start, end, facts, findings);
    if (end - start >= 8) {
      const kind = igmpKind(new IgmpView(frame, start, end));
      // RFC 1112 App. I (IGMPv1): TTL 1, no Router Alert; RFC 2236 §2 / RFC 3376 §4: TTL 1 and Router Alert.
      const v1 = kind === 'v1-query' || kind === 'v1-report';
      const v3 = kind === 'v3-query' || kind === 'v3-report';
      checkIpRules(facts, { ttlRfc: v1 ? 'RFC 1112 App. I' : v3 ? 'RFC 3376 §4' : 'RFC 2236 §2',
        routerAlertRfc: v1 ? null : v3 ? 'RFC 3376 §4' : 'RFC 2236 §2', level: 'violation' }, findings);
    }
    const about = m.fields.find((f) => f.name === 'Group Address');
    return done('igmp', `${m.title}${about && m.title.includes('General') === false ? ` ${about.rawText}` : ''} from ${v.src}`, [...layers, m], findings);
  }
  if (v.protocol === ipv4.Protocol.PIM) {
    const m = decodePim(frame.subarray(start, end), start, facts, findings);
    return done('pim', `${m.title} from ${v.src}`, [...layers, m], findings);
  }
  return done(null, `IPv4 protocol ${v.protocol} ${v.src} → ${v.dst}`, layers, findings);
}

function decodeV6(frame: Uint8Array, eth: ethernet.ParsedEthernet, l3: number, findings: Finding[]): DecodedFrame {
  const ip = decodeIpv6(frame, l3, findings);
  const p = ip.parsed;
  const layers = [decodeEthernet(frame, eth, p ? p.repr.dst : null, findings), ip.layer];
  if (p === null) return done(null, 'IPv6, header unusable', layers, findings);
  const facts: IpFacts = { family: 6, src: p.repr.src, dst: p.repr.dst, ttl: p.repr.hopLimit, routerAlert: p.repr.routerAlert };
  const body = frame.subarray(p.upperOffset, p.upperOffset + p.upperLen);
  if (p.repr.nextHeader === ipv6.NextHeader.ICMPV6 && body.length >= 1) {
    if (mrd.isMrdIcmpv6Type(body[0]!)) {
      const m = decodeMrd(body, p.upperOffset, facts, findings);
      return done('mrd', `${m.title} from ${p.repr.src}`, [...layers, m], findings);
    }
    if ((Object.values(mld.MessageType) as number[]).includes(body[0]!)) {
      const m = decodeMld(body, p.upperOffset, facts, findings);
      const about = m.fields.find((f) => f.name === 'Multicast Address');
      return done('mld', `${m.title}${about ? ` ${about.rawText}` : ''} from ${p.repr.src}`, [...layers, m], findings);
    }
  }
  if (p.repr.nextHeader === ipv6.NextHeader.PIM) {
    const m = decodePim(body, p.upperOffset, facts, findings);
    return done('pim', `${m.title} from ${p.repr.src}`, [...layers, m], findings);
  }
  return done(null, `IPv6 next header ${p.repr.nextHeader} ${p.repr.src} → ${p.repr.dst}`, layers, findings);
}
