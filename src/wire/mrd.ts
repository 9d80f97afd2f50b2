// Multicast Router Discovery (RFC 4286). Over IGMP for IPv4 (types 0x30–0x32) and over ICMPv6
// for IPv6 (types 151–153); same layout in both families.
//
// Advertisement (§3), 8 octets, sent to All-Snoopers 224.0.0.106 / ff02::6a:
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |  Ad. Interval |           Checksum            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        Query Interval         |     Robustness Variable       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Solicitation (§4, to All-Routers 224.0.0.2 / ff02::2) and Termination (§5, to All-Snoopers), 4 octets:
//   |     Type      |   Reserved    |           Checksum            |

import { expectedChecksum, internetChecksum, ipv6PseudoHeaderSum, verifyInternetChecksum } from './checksum.js';
import { fail, ok, type Result, u16At, writeU16 } from './common.js';

export const Field = { TYPE: 0, AD_INTERVAL: 1, CHECKSUM: 2, QUERY_INTERVAL: 4, ROBUSTNESS: 6 } as const;
export const ADVERTISEMENT_LEN = 8;
export const SHORT_LEN = 4;

export const IgmpType = { ADVERTISEMENT: 0x30, SOLICITATION: 0x31, TERMINATION: 0x32 } as const;
export const Icmpv6Type = { ADVERTISEMENT: 151, SOLICITATION: 152, TERMINATION: 153 } as const;

export const ALL_SNOOPERS_V4 = '224.0.0.106';
export const ALL_SNOOPERS_V6 = 'ff02::6a';
export const ALL_ROUTERS_V4 = '224.0.0.2';
export const ALL_ROUTERS_V6 = 'ff02::2';

/** RFC 4286 §3.1.5: NeighborDeadInterval = 3 × AdvertisementInterval. */
export const NEIGHBOR_DEAD_INTERVAL_FACTOR = 3;

export function isMrdIgmpType(t: number): boolean {
  return t >= IgmpType.ADVERTISEMENT && t <= IgmpType.TERMINATION;
}
export function isMrdIcmpv6Type(t: number): boolean {
  return t >= Icmpv6Type.ADVERTISEMENT && t <= Icmpv6Type.TERMINATION;
}

export interface MrdAdvertisement {
  type: 'advertisement';
  family: 4 | 6;
  /** Seconds between the router's unsolicited advertisements (4..180, §3.1.1). */
  advIntervalSec: number;
  /** The router's IGMP/MLD Query Interval, seconds. */
  queryIntervalSec: number;
  /** The router's IGMP/MLD Robustness Variable. */
  robustness: number;
}
export interface MrdSolicitation { type: 'solicitation'; family: 4 | 6 }
export interface MrdTermination { type: 'termination'; family: 4 | 6 }
export type MrdRepr = MrdAdvertisement | MrdSolicitation | MrdTermination;

/** An MRD message in all of `buf`, one accessor per field (for igmpswitch decode); SHORT_LEN bytes checked by the caller. */
export class MrdView {
  constructor(readonly buf: Uint8Array) {}
  get type(): number { return this.buf[Field.TYPE]!; }
  /** Advertisement Interval (§3.1) in an advertisement; Reserved in the others. */
  get adInterval(): number { return this.buf[Field.AD_INTERVAL]!; }
  get checksum(): number { return u16At(this.buf, Field.CHECKSUM); }
  /** §3.2 (IGMP checksum) / ICMPv6 checksum with the pseudo-header for IPv6. */
  private pseudo(ip: { family: 4 | 6; src: string; dst: string }): number {
    return ip.family === 6 ? ipv6PseudoHeaderSum(ip.src, ip.dst, this.buf.length, 58) : 0;
  }
  expectedChecksum(ip: { family: 4 | 6; src: string; dst: string }): number {
    return expectedChecksum(this.buf, 0, this.buf.length, Field.CHECKSUM, this.pseudo(ip));
  }
  checksumOk(ip: { family: 4 | 6; src: string; dst: string }): boolean {
    return verifyInternetChecksum(this.buf, 0, this.buf.length, this.pseudo(ip));
  }
  /** §3.3 (advertisement, ADVERTISEMENT_LEN bytes) */
  get queryInterval(): number { return u16At(this.buf, Field.QUERY_INTERVAL); }
  /** §3.4 */
  get robustness(): number { return u16At(this.buf, Field.ROBUSTNESS); }
}

export function parse(b: Uint8Array, family: 4 | 6): Result<MrdRepr> {
  if (b.length < SHORT_LEN) return fail('mrd', 'truncated');
  const t = b[Field.TYPE]!;
  const types = family === 4 ? IgmpType : Icmpv6Type;
  switch (t) {
    case types.ADVERTISEMENT:
      if (b.length < ADVERTISEMENT_LEN) return fail('mrd', 'truncated');
      return ok({
        type: 'advertisement', family,
        advIntervalSec: b[Field.AD_INTERVAL]!,
        queryIntervalSec: u16At(b, Field.QUERY_INTERVAL),
        robustness: u16At(b, Field.ROBUSTNESS),
      });
    case types.SOLICITATION:
      return ok({ type: 'solicitation', family });
    case types.TERMINATION:
      return ok({ type: 'termination', family });
    default:
      return fail('mrd', 'unknown-type', `type ${t}`);
  }
}

/**
 * Emit the message. IPv4: checksum over the message (§3: "standard IGMP checksum").
 * IPv6: pass `pseudo` to include the ICMPv6 pseudo-header; without it the checksum is zero.
 */
export function emit(repr: MrdRepr, pseudo?: { src: string; dst: string }): Uint8Array {
  const types = repr.family === 4 ? IgmpType : Icmpv6Type;
  let out: Uint8Array;
  if (repr.type === 'advertisement') {
    out = new Uint8Array(ADVERTISEMENT_LEN);
    out[Field.TYPE] = types.ADVERTISEMENT;
    out[Field.AD_INTERVAL] = repr.advIntervalSec & 255;
    writeU16(out, Field.QUERY_INTERVAL, repr.queryIntervalSec);
    writeU16(out, Field.ROBUSTNESS, repr.robustness);
  } else {
    out = new Uint8Array(SHORT_LEN);
    out[Field.TYPE] = repr.type === 'solicitation' ? types.SOLICITATION : types.TERMINATION;
  }
  if (repr.family === 4) {
    writeU16(out, Field.CHECKSUM, internetChecksum(out));
  } else if (pseudo) {
    writeU16(out, Field.CHECKSUM, internetChecksum(out, 0, out.length, ipv6PseudoHeaderSum(pseudo.src, pseudo.dst, out.length, 58)));
  }
  return out;
}
