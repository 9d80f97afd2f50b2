// IGMP packets for `igmpswitch probe`: which message each probe sends, where to, inside which IPv4 header, and how
// an answer is read back. The bytes themselves are src/wire's (igmp.ts, ipv4.ts); the raw socket is in probe-cmd.ts.
//
// Everything goes out with IP TTL 1, TOS 0xc0 (internetwork control), DF and the Router Alert option (RFC 2113), as
// RFC 2236 §2 and RFC 3376 §4 ask, so that snooping switches and routers look at it.

import * as igmp from '../wire/igmp.js';
import * as ipv4 from '../wire/ipv4.js';

export type IgmpRepr = igmp.IgmpRepr;

export const ALL_HOSTS = '224.0.0.1';
export const ALL_ROUTERS = '224.0.0.2';
export const IGMPV3_ROUTERS = '224.0.0.22';

/** Query Interval advertised in our v3 queries (QQIC, RFC 3376 §4.1.7) and our QRV (§4.1.6): the RFC defaults. */
const QQI_SEC = 125;
const QRV = 2;

/** The query `probe query` sends: general (group null), group-specific, or group-and-source-specific (v3 only). */
export function probeQuery(o: { version: 2 | 3; group: string | null; sources: string[]; maxRespMs: number }): IgmpRepr {
  if (o.version === 2 && o.sources.length) throw new Error('only IGMPv3 queries carry sources');
  return {
    type: 'query', version: o.version, maxRespDs: Math.max(1, Math.round(o.maxRespMs / 100)), group: o.group ?? '0.0.0.0',
    suppress: false, qrv: o.version === 3 ? QRV : 0, qqiSec: o.version === 3 ? QQI_SEC : 0, sources: o.sources,
  };
}

/**
 * The report `probe join` sends, as a host's state-change report would be (RFC 3376 §5.1): IGMPv3 TO_EX {} for an
 * any-source join, ALLOW {S…} for a source-specific one; IGMPv2 a Membership Report.
 */
export function probeJoin(o: { version: 2 | 3; group: string; sources: string[] }): IgmpRepr {
  if (o.version === 2) return { type: 'report', version: 2, group: o.group };
  const recordType = o.sources.length ? igmp.RecordType.ALLOW_NEW_SOURCES : igmp.RecordType.CHANGE_TO_EXCLUDE_MODE;
  return { type: 'v3-report', records: [{ recordType, group: o.group, sources: o.sources }] };
}

/** The leave `probe leave` sends: IGMPv3 TO_IN {} (any-source) or BLOCK {S…}; IGMPv2 a Leave Group. */
export function probeLeave(o: { version: 2 | 3; group: string; sources: string[] }): IgmpRepr {
  if (o.version === 2) return { type: 'leave', group: o.group };
  const recordType = o.sources.length ? igmp.RecordType.BLOCK_OLD_SOURCES : igmp.RecordType.CHANGE_TO_INCLUDE_MODE;
  return { type: 'v3-report', records: [{ recordType, group: o.group, sources: o.sources }] };
}

/** Where a message goes (RFC 2236 §9, RFC 3376 §4.1.12 and §4.2.14). */
export function destinationOf(m: IgmpRepr): string {
  switch (m.type) {
    case 'query': return m.group === '0.0.0.0' ? ALL_HOSTS : m.group;
    case 'report': return m.group;
    case 'v3-report': return IGMPV3_ROUTERS;
    case 'leave': return ALL_ROUTERS;
  }
}

/** The whole IPv4 packet for an IP_HDRINCL socket: our header (TTL 1, Router Alert), then the IGMP message. */
export function encodePacket(src: string, m: IgmpRepr): Uint8Array {
  return ipv4.emit(
    {
      src, dst: destinationOf(m), protocol: ipv4.Protocol.IGMP, ttl: 1, tos: ipv4.TOS_INTERNETWORK_CONTROL, ident: 0,
      dontFragment: true, routerAlert: true,
    },
    igmp.emit(m),
  );
}

export type ParseResult =
  | { ok: true; src: string; dst: string; message: IgmpRepr }
  | { ok: false; reason: string };

/** Reads an IPv4 packet carrying IGMP, as a raw IPPROTO_IGMP socket delivers it (IP header first). Never throws. */
export function parsePacket(b: Uint8Array): ParseResult {
  const ip = ipv4.parse(b);
  if (!ip.ok) return { ok: false, reason: `ipv4 ${ip.error.reason}` };
  const { repr, headerLen } = ip.value;
  if (repr.protocol !== ipv4.Protocol.IGMP) return { ok: false, reason: 'not IGMP' };
  const m = igmp.parse(b.subarray(headerLen, headerLen + repr.payloadLen), { verifyChecksum: true });
  if (!m.ok) return { ok: false, reason: `igmp ${m.error.reason}${m.error.detail ? ` (${m.error.detail})` : ''}` };
  return { ok: true, src: repr.src, dst: repr.dst, message: m.value };
}

const RECORD_SHORT: Record<number, string> = { 1: 'is_in', 2: 'is_ex', 3: 'to_in', 4: 'to_ex', 5: 'allow', 6: 'block' };

/** One line for people: "v3 report: to_ex 239.1.1.1 {}, allow 232.1.1.1 {10.0.0.9}". */
export function describeIgmp(m: IgmpRepr): string {
  switch (m.type) {
    case 'query': {
      const what = m.group === '0.0.0.0' ? 'general'
        : m.sources.length ? `group-and-source ${m.group} {${m.sources.join(', ')}}` : `group ${m.group}`;
      return `v${m.version} query: ${what}, max response ${(m.version === 1 ? 100 : m.maxRespDs) / 10}s`;
    }
    case 'report':
      return `v${m.version} report: ${m.group}`;
    case 'v3-report':
      return `v3 report: ${m.records.map((r) => `${RECORD_SHORT[r.recordType] ?? `type${r.recordType}`} ${r.group} {${r.sources.join(', ')}}`).join(', ') || '(no records)'}`;
    case 'leave':
      return `v2 leave: ${m.group}`;
  }
}
