// MLD messages (ICMPv6): MLDv1 (RFC 2710 §3) and MLDv2 (RFC 3810 §5).
//
// MLDv1 query/report/done (24 octets) and MLDv2 query (≥ 28 octets):
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |     Code      |          Checksum             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |    Maximum Response (Code)    |           Reserved            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                Multicast Address (16 octets)                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   ← MLDv1 ends here
//   | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
//   |                Source Address [1..N] (16 octets each)         |
//
// MLDv2 report (RFC 3810 §5.2): | 143 | Reserved | Checksum | Reserved | Nr of Mcast Address Records (M) |
//   then M records: | Record Type | Aux Data Len | Number of Sources | Multicast Address | Sources | Aux |

import { expectedChecksum, ipv6PseudoHeaderSum, internetChecksum, verifyInternetChecksum } from './checksum.js';
import { fail, ipv6At, ok, type Result, u16At, writeIpv6, writeU16 } from './common.js';
import { decodeFloat8, encodeFloat8, type GroupRecord, GroupRecordView, type RecordLayout, recordRepr } from './igmp.js';

export const Field = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  MAX_RESP: 4,
  GROUP: 8,
  RESV_S_QRV: 24,
  QQIC: 25,
  NUM_SOURCES: 26,
  SOURCES: 28,
  // v2 report
  NUM_RECORDS: 6,
  RECORDS: 8,
} as const;

export const RecordField = { TYPE: 0, AUX_DATA_LEN: 1, NUM_SOURCES: 2, GROUP: 4, SOURCES: 20 } as const;

export const V1_LEN = 24;
export const V2_QUERY_MIN_LEN = 28;
export const V2_REPORT_HEADER_LEN = 8;
export const RECORD_HEADER_LEN = 20;

export const MessageType = {
  QUERY: 130,
  V1_REPORT: 131,
  V1_DONE: 132,
  V2_REPORT: 143,
} as const;

/** ICMPv6 next-header value, for the pseudo-header. */
export const ICMPV6 = 58;

/** All-nodes (RFC 4291 §2.7.1): General Queries go here (RFC 2710 §3.5, RFC 3810 §5.1.15). */
export const ALL_NODES = 'ff02::1';
/** All MLDv2-capable routers (RFC 3810 §5.2.14): MLDv2 reports go here. */
export const ALL_MLDV2_ROUTERS = 'ff02::16';
/** All-routers (RFC 4291 §2.7.1): MLDv1 Done messages go here (RFC 2710 §3.7). */
export const ALL_ROUTERS = 'ff02::2';
/** The unspecified address: the Multicast Address field of a General Query (RFC 3810 §5.1.5). */
export const UNSPECIFIED = '::';

// RFC 3810 §5.1.3: Maximum Response Code, 16 bits, in milliseconds:
//   code < 32768: value = code;  else |1| exp (3) | mant (12) |, value = (mant | 0x1000) << (exp + 3)
export const FLOAT16_MAX = (0x1fff << 10) >>> 0;

export function decodeFloat16(code: number): number {
  code &= 0xffff;
  if (code < 32768) return code;
  const exp = (code >>> 12) & 0x07;
  const mant = code & 0x0fff;
  return (mant | 0x1000) * 2 ** (exp + 3);
}

export function encodeFloat16(value: number): number {
  const v = Math.max(0, Math.floor(value));
  if (v < 32768) return v;
  if (v >= FLOAT16_MAX) return 0xffff;
  let exp = 0;
  while (Math.floor(v / 2 ** (exp + 3)) > 0x1fff) exp++;
  const mant = Math.floor(v / 2 ** (exp + 3)) & 0x0fff;
  return 0x8000 | (exp << 12) | mant;
}

export const MLD_RECORD_LAYOUT: RecordLayout = {
  headerLen: RECORD_HEADER_LEN, groupOffset: RecordField.GROUP, sourcesOffset: RecordField.SOURCES, addressLen: 16,
  addressAt: ipv6At,
};

/**
 * An MLD message in all of `buf`, one accessor per field (for igmpswitch decode). The caller checks `length` before
 * reading fields only some messages have (V1_LEN, V2_QUERY_MIN_LEN, V2_REPORT_HEADER_LEN).
 */
export class MldView {
  constructor(readonly buf: Uint8Array) {}
  get length(): number { return this.buf.length; }
  get type(): number { return this.buf[Field.TYPE]!; }
  /** ICMPv6 Code: sent as zero, ignored on reception (RFC 3810 §5.1.2). */
  get code(): number { return this.buf[Field.CODE]!; }
  get checksum(): number { return u16At(this.buf, Field.CHECKSUM); }
  /** What the Checksum field should hold: over the message and the IPv6 pseudo-header (RFC 4443 §2.3). */
  expectedChecksum(src: string, dst: string): number {
    return expectedChecksum(this.buf, 0, this.buf.length, Field.CHECKSUM, ipv6PseudoHeaderSum(src, dst, this.buf.length, ICMPV6));
  }
  checksumOk(src: string, dst: string): boolean {
    return verifyInternetChecksum(this.buf, 0, this.buf.length, ipv6PseudoHeaderSum(src, dst, this.buf.length, ICMPV6));
  }
  /** Maximum Response Delay (MLDv1, ms, RFC 2710 §3.4) / Maximum Response Code (MLDv2, RFC 3810 §5.1.3). */
  get maxRespCode(): number { return u16At(this.buf, Field.MAX_RESP); }
  /** The Reserved field after the Maximum Response Code (RFC 3810 §5.1.4), or, in a v2 report, after the checksum. */
  get reserved(): number { return u16At(this.buf, Field.MAX_RESP + 2); }
  get group(): string { return ipv6At(this.buf, Field.GROUP); }
  get resv(): number { return this.buf[Field.RESV_S_QRV]! >>> 4; }
  get suppress(): boolean { return (this.buf[Field.RESV_S_QRV]! & 0x08) !== 0; }
  get qrv(): number { return this.buf[Field.RESV_S_QRV]! & 0x07; }
  get qqic(): number { return this.buf[Field.QQIC]!; }
  get numSources(): number { return u16At(this.buf, Field.NUM_SOURCES); }
  source(i: number): string { return ipv6At(this.buf, Field.SOURCES + 16 * i); }
  /** MLDv2 report: Reserved after the checksum (RFC 3810 §5.2.2). */
  get reportReserved(): number { return u16At(this.buf, Field.MAX_RESP); }
  get numRecords(): number { return u16At(this.buf, Field.NUM_RECORDS); }
  records(): { records: GroupRecordView[]; truncatedAt: number | null } {
    const records: GroupRecordView[] = [];
    let p: number = Field.RECORDS;
    for (let r = 0; r < this.numRecords; r++) {
      if (p + RECORD_HEADER_LEN > this.buf.length) return { records, truncatedAt: r };
      const rec = new GroupRecordView(this.buf, p, MLD_RECORD_LAYOUT);
      if (p + rec.byteLength > this.buf.length) return { records, truncatedAt: r };
      records.push(rec);
      p += rec.byteLength;
    }
    return { records, truncatedAt: null };
  }
}

export interface MldQuery {
  type: 'query';
  /** RFC 3810 §8.1: MLDv1 query = 24 octets, MLDv2 query ≥ 28 octets. */
  version: 1 | 2;
  maxRespMs: number;
  group: string;
  suppress: boolean;
  qrv: number;
  qqiSec: number;
  sources: string[];
}
export interface MldReport { type: 'report'; version: 1; group: string }
export interface MldDone { type: 'done'; group: string }
export interface MldV2Report { type: 'v2-report'; records: GroupRecord[] }
export type MldRepr = MldQuery | MldReport | MldDone | MldV2Report;

/** Parse one MLD message occupying all of `b`. Checksums are not verified (the data plane did). */
export function parse(b: Uint8Array): Result<MldRepr> {
  if (b.length < 4) return fail('mld', 'truncated');
  const type = b[Field.TYPE]!;
  switch (type) {
    case MessageType.QUERY: {
      if (b.length < V1_LEN) return fail('mld', 'truncated');
      const group = ipv6At(b, Field.GROUP);
      if (b.length === V1_LEN) {
        return ok({ type: 'query', version: 1, maxRespMs: u16At(b, Field.MAX_RESP), group, suppress: false, qrv: 0, qqiSec: 0, sources: [] });
      }
      // RFC 3810 §8.1: "Queries … of any other length … MUST be silently discarded."
      if (b.length < V2_QUERY_MIN_LEN) return fail('mld', 'bad-length', `query of ${b.length} octets`);
      const n = u16At(b, Field.NUM_SOURCES);
      if (b.length < Field.SOURCES + 16 * n) return fail('mld', 'truncated', 'query sources');
      const sources: string[] = [];
      for (let i = 0; i < n; i++) sources.push(ipv6At(b, Field.SOURCES + 16 * i));
      const flags = b[Field.RESV_S_QRV]!;
      return ok({
        type: 'query', version: 2, maxRespMs: decodeFloat16(u16At(b, Field.MAX_RESP)), group,
        suppress: (flags & 0x08) !== 0, qrv: flags & 0x07, qqiSec: decodeFloat8(b[Field.QQIC]!), sources,
      });
    }
    case MessageType.V1_REPORT:
    case MessageType.V1_DONE: {
      if (b.length < V1_LEN) return fail('mld', 'truncated');
      const group = ipv6At(b, Field.GROUP);
      return ok(type === MessageType.V1_REPORT ? { type: 'report', version: 1, group } : { type: 'done', group });
    }
    case MessageType.V2_REPORT: {
      if (b.length < V2_REPORT_HEADER_LEN) return fail('mld', 'truncated');
      const { records: views, truncatedAt } = new MldView(b).records();
      if (truncatedAt !== null) return fail('mld', 'truncated', `record ${truncatedAt}`);
      return ok({ type: 'v2-report', records: views.map(recordRepr) });
    }
    default:
      return fail('mld', 'unknown-type', `type ${type}`);
  }
}

export function bufferLen(repr: MldRepr): number {
  switch (repr.type) {
    case 'query':
      return repr.version === 2 ? V2_QUERY_MIN_LEN + 16 * repr.sources.length : V1_LEN;
    case 'report':
    case 'done':
      return V1_LEN;
    case 'v2-report':
      return V2_REPORT_HEADER_LEN + repr.records.reduce((n, r) => n + RECORD_HEADER_LEN + 16 * r.sources.length, 0);
  }
}

/**
 * Emit the message. With `pseudo` (the IPv6 source and destination) the ICMPv6 checksum is filled in
 * (RFC 4443 §2.3); without it the checksum is left zero.
 */
export function emit(repr: MldRepr, pseudo?: { src: string; dst: string }): Uint8Array {
  const out = new Uint8Array(bufferLen(repr));
  switch (repr.type) {
    case 'query':
      out[Field.TYPE] = MessageType.QUERY;
      writeIpv6(out, Field.GROUP, repr.group);
      if (repr.version === 1) {
        writeU16(out, Field.MAX_RESP, Math.min(0xffff, Math.max(0, Math.floor(repr.maxRespMs))));
      } else {
        writeU16(out, Field.MAX_RESP, encodeFloat16(repr.maxRespMs));
        out[Field.RESV_S_QRV] = (repr.suppress ? 0x08 : 0) | ((repr.qrv > 7 ? 0 : repr.qrv) & 0x07);
        out[Field.QQIC] = encodeFloat8(repr.qqiSec);
        writeU16(out, Field.NUM_SOURCES, repr.sources.length);
        repr.sources.forEach((s, i) => writeIpv6(out, Field.SOURCES + 16 * i, s));
      }
      break;
    case 'report':
    case 'done':
      out[Field.TYPE] = repr.type === 'report' ? MessageType.V1_REPORT : MessageType.V1_DONE;
      writeIpv6(out, Field.GROUP, repr.group);
      break;
    case 'v2-report': {
      out[Field.TYPE] = MessageType.V2_REPORT;
      writeU16(out, Field.NUM_RECORDS, repr.records.length);
      let p: number = Field.RECORDS;
      for (const rec of repr.records) {
        out[p + RecordField.TYPE] = rec.recordType;
        writeU16(out, p + RecordField.NUM_SOURCES, rec.sources.length);
        writeIpv6(out, p + RecordField.GROUP, rec.group);
        rec.sources.forEach((s, i) => writeIpv6(out, p + RecordField.SOURCES + 16 * i, s));
        p += RECORD_HEADER_LEN + 16 * rec.sources.length;
      }
      break;
    }
  }
  if (pseudo) {
    const init = ipv6PseudoHeaderSum(pseudo.src, pseudo.dst, out.length, ICMPV6);
    writeU16(out, Field.CHECKSUM, internetChecksum(out, 0, out.length, init));
  }
  return out;
}
