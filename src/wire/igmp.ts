// IGMP messages: v1 (RFC 1112 App. I), v2 (RFC 2236 §2), v3 (RFC 3376 §4).
// MRD (RFC 4286) shares IGMP's protocol number; its types 0x30–0x32 live in mrd.ts.
//
// v1/v2 message and v3 query (RFC 3376 §4.1):
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Type = 0x11  | Max Resp Code |           Checksum            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         Group Address                         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   ← v1/v2 end here (8 octets)
//   | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       Source Address [1..N]                   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// v3 report (RFC 3376 §4.2):
//   |  Type = 0x22  |    Reserved   |           Checksum            |
//   |           Reserved            |  Number of Group Records (M)  |
//   | Group Record [1..M]: | Record Type | Aux Data Len | Number of Sources (N) |
//   |                      | Multicast Address | Source Address [1..N] | Auxiliary Data |

import { expectedChecksum, internetChecksum, verifyInternetChecksum } from './checksum.js';
import { fail, ipv4At, ok, type Result, u16At, writeIpv4, writeU16 } from './common.js';

export const Field = {
  TYPE: 0,
  MAX_RESP_CODE: 1,
  CHECKSUM: 2,
  GROUP: 4,
  // v3 query
  RESV_S_QRV: 8,
  QQIC: 9,
  NUM_SOURCES: 10,
  SOURCES: 12,
  // v3 report
  NUM_RECORDS: 6,
  RECORDS: 8,
} as const;

export const RecordField = {
  TYPE: 0,
  AUX_DATA_LEN: 1,
  NUM_SOURCES: 2,
  GROUP: 4,
  SOURCES: 8,
} as const;

/** RFC 2236 §2, RFC 3376 §4: 8 octets for every v1/v2 message. */
export const V2_LEN = 8;
/** RFC 3376 §4.1: a v3 query is at least 12 octets. */
export const V3_QUERY_MIN_LEN = 12;
/** RFC 3376 §4.2: the fixed part of a v3 report. */
export const V3_REPORT_HEADER_LEN = 8;
export const RECORD_HEADER_LEN = 8;

export const MessageType = {
  MEMBERSHIP_QUERY: 0x11,
  V1_MEMBERSHIP_REPORT: 0x12,
  V2_MEMBERSHIP_REPORT: 0x16,
  V2_LEAVE_GROUP: 0x17,
  V3_MEMBERSHIP_REPORT: 0x22,
} as const;

/** RFC 3376 §4.2.12: group record types. */
export const RecordType = {
  MODE_IS_INCLUDE: 1,
  MODE_IS_EXCLUDE: 2,
  CHANGE_TO_INCLUDE_MODE: 3,
  CHANGE_TO_EXCLUDE_MODE: 4,
  ALLOW_NEW_SOURCES: 5,
  BLOCK_OLD_SOURCES: 6,
} as const;
export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType];

export function isKnownRecordType(t: number): t is RecordTypeCode {
  return t >= 1 && t <= 6;
}

/** Short names used in RFC 3376 §6.4 tables. */
export const RECORD_NAMES: Record<number, string> = {
  1: 'IS_IN', 2: 'IS_EX', 3: 'TO_IN', 4: 'TO_EX', 5: 'ALLOW', 6: 'BLOCK',
};

/** RFC 2236 §4 / RFC 3376 §7.1: an IGMPv1 query's zero Max Resp Code means 100 (10 s). */
export const V1_QUERY_MAX_RESP_DS = 100;

// ---------------------------------------------------------------------------------------------
// Views: one accessor per field, for explaining a message field by field (igmpswitch decode). They read
// bytes [off, end) of a buffer without copying; the caller checks `length` before reading a field that
// only some messages have (V2_LEN, V3_QUERY_MIN_LEN, V3_REPORT_HEADER_LEN).

/** Where a group record keeps its addresses: IGMP records hold IPv4 addresses, MLD records IPv6 ones. */
export interface RecordLayout {
  readonly headerLen: number;
  readonly groupOffset: number;
  readonly sourcesOffset: number;
  readonly addressLen: number;
  addressAt(b: Uint8Array, off: number): string;
}

export const IGMP_RECORD_LAYOUT: RecordLayout = {
  headerLen: RECORD_HEADER_LEN, groupOffset: RecordField.GROUP, sourcesOffset: RecordField.SOURCES, addressLen: 4,
  addressAt: ipv4At,
};

/** One IGMPv3 (RFC 3376 §4.2.4) or MLDv2 (RFC 3810 §5.2.4) group record starting at `off`. */
export class GroupRecordView {
  constructor(readonly buf: Uint8Array, readonly off: number, readonly layout: RecordLayout = IGMP_RECORD_LAYOUT) {}
  /** §4.2.5 (values §4.2.12) */
  get recordType(): number { return this.buf[this.off + RecordField.TYPE]!; }
  /** §4.2.6: length of the Auxiliary Data in 32-bit words. */
  get auxDataWords(): number { return this.buf[this.off + RecordField.AUX_DATA_LEN]!; }
  /** §4.2.7 */
  get numSources(): number { return u16At(this.buf, this.off + RecordField.NUM_SOURCES); }
  /** §4.2.8 */
  get group(): string { return this.layout.addressAt(this.buf, this.off + this.layout.groupOffset); }
  /** §4.2.9 */
  source(i: number): string { return this.layout.addressAt(this.buf, this.off + this.layout.sourcesOffset + this.layout.addressLen * i); }
  /** §4.2.10: where the Auxiliary Data starts. */
  get auxDataOffset(): number { return this.off + this.layout.sourcesOffset + this.layout.addressLen * this.numSources; }
  /** The whole record: header, sources and auxiliary data. */
  get byteLength(): number { return this.layout.headerLen + this.layout.addressLen * this.numSources + 4 * this.auxDataWords; }
}

/** The representation of a record (IGMPv3 or MLDv2). */
export function recordRepr(rec: GroupRecordView): GroupRecord {
  const sources: string[] = [];
  for (let i = 0; i < rec.numSources; i++) sources.push(rec.source(i));
  return { recordType: rec.recordType, group: rec.group, sources };
}

/** An IGMP message (any version) in bytes [off, end). */
export class IgmpView {
  constructor(readonly buf: Uint8Array, readonly off = 0, readonly end = buf.length) {}
  get length(): number { return this.end - this.off; }
  get type(): number { return this.buf[this.off + Field.TYPE]!; }
  /** Max Resp Code in a query (RFC 3376 §4.1.1, RFC 2236 §2.2); Reserved in a v3 report (§4.2.1). */
  get maxRespCode(): number { return this.buf[this.off + Field.MAX_RESP_CODE]!; }
  get checksum(): number { return u16At(this.buf, this.off + Field.CHECKSUM); }
  /** What the Checksum field should hold (RFC 3376 §4.1.2: over the whole message, the field as zero). */
  get expectedChecksum(): number { return expectedChecksum(this.buf, this.off, this.end, this.off + Field.CHECKSUM); }
  get checksumOk(): boolean { return verifyInternetChecksum(this.buf, this.off, this.end); }
  /** v1/v2 messages and queries (§4.1.3). */
  get group(): string { return ipv4At(this.buf, this.off + Field.GROUP); }
  // v3 query (length ≥ V3_QUERY_MIN_LEN)
  /** §4.1.4: the four Resv bits (sent as zero, ignored on reception). */
  get resv(): number { return this.buf[this.off + Field.RESV_S_QRV]! >>> 4; }
  /** §4.1.5 Suppress Router-Side Processing. */
  get suppress(): boolean { return (this.buf[this.off + Field.RESV_S_QRV]! & 0x08) !== 0; }
  /** §4.1.6 Querier's Robustness Variable. */
  get qrv(): number { return this.buf[this.off + Field.RESV_S_QRV]! & 0x07; }
  /** §4.1.7 Querier's Query Interval Code. */
  get qqic(): number { return this.buf[this.off + Field.QQIC]!; }
  /** §4.1.8 */
  get numSources(): number { return u16At(this.buf, this.off + Field.NUM_SOURCES); }
  /** §4.1.9 */
  source(i: number): string { return ipv4At(this.buf, this.off + Field.SOURCES + 4 * i); }
  // v3 report (length ≥ V3_REPORT_HEADER_LEN)
  /** §4.2.1: the Reserved field after the checksum. */
  get reportReserved(): number { return u16At(this.buf, this.off + Field.GROUP); }
  /** §4.2.3 Number of Group Records (M). */
  get numRecords(): number { return u16At(this.buf, this.off + Field.NUM_RECORDS); }
  /** The group records in order, and the index of the first one that runs past the message (null: none does). */
  records(): { records: GroupRecordView[]; truncatedAt: number | null } {
    const records: GroupRecordView[] = [];
    let p: number = this.off + Field.RECORDS;
    for (let r = 0; r < this.numRecords; r++) {
      if (p + RECORD_HEADER_LEN > this.end) return { records, truncatedAt: r };
      const rec = new GroupRecordView(this.buf, p);
      if (p + rec.byteLength > this.end) return { records, truncatedAt: r };
      records.push(rec);
      p += rec.byteLength;
    }
    return { records, truncatedAt: null };
  }
}

// ---------------------------------------------------------------------------------------------
// RFC 3376 §4.1.1 (Max Resp Code, units of 1/10 s) and §4.1.7 (QQIC, seconds) share one 8-bit
// "floating point" encoding:
//   code < 128:  value = code
//   code ≥ 128:  |1| exp (3) | mant (4) |,  value = (mant | 0x10) << (exp + 3)
// The largest value is 31 << 10 = 31744.

export const FLOAT8_MAX = 31744;

/** Decode an 8-bit Max Resp Code / QQIC into its value (tenths of a second / seconds). */
export function decodeFloat8(code: number): number {
  code &= 0xff;
  if (code < 128) return code;
  const exp = (code >>> 4) & 0x07;
  const mant = code & 0x0f;
  return (mant | 0x10) << (exp + 3);
}

/**
 * Encode a value into the 8-bit form. Values that the form cannot hold exactly are rounded down
 * (a shorter Max Resp Time or Query Interval is the safe side); values ≥ 31744 saturate to 0xff.
 */
export function encodeFloat8(value: number): number {
  const v = Math.max(0, Math.floor(value));
  if (v < 128) return v;
  if (v >= FLOAT8_MAX) return 0xff;
  let exp = 0;
  while (v >>> (exp + 3) > 0x1f) exp++;
  const mant = (v >>> (exp + 3)) & 0x0f;
  return 0x80 | (exp << 4) | mant;
}

// ---------------------------------------------------------------------------------------------
// Representations

export interface IgmpQuery {
  type: 'query';
  /** RFC 3376 §7.1: v1 = 8 octets and code 0; v2 = 8 octets and code ≠ 0; v3 = ≥ 12 octets. */
  version: 1 | 2 | 3;
  /** Max Resp Time in tenths of a second, decoded (v3: §4.1.1 float). 0 in a v1 query (meaning 100). */
  maxRespDs: number;
  /** 0.0.0.0 for a General Query, the group for a Group(-and-Source)-Specific Query (§4.1.3). */
  group: string;
  /** v3 only: Suppress Router-Side Processing (§4.1.5). */
  suppress: boolean;
  /** v3 only: Querier's Robustness Variable, 0..7 (§4.1.6). */
  qrv: number;
  /** v3 only: Querier's Query Interval in seconds, decoded from QQIC (§4.1.7). */
  qqiSec: number;
  /** v3 only: the sources of a Group-and-Source-Specific Query (§4.1.9). */
  sources: string[];
}

export interface IgmpReport {
  type: 'report';
  version: 1 | 2;
  group: string;
}

export interface IgmpLeave {
  type: 'leave';
  group: string;
}

export interface GroupRecord {
  /** RFC 3376 §4.2.12 type; unknown types are kept so the receiver can ignore and count them. */
  recordType: number;
  group: string;
  sources: string[];
}

export interface IgmpV3Report {
  type: 'v3-report';
  records: GroupRecord[];
}

export type IgmpRepr = IgmpQuery | IgmpReport | IgmpLeave | IgmpV3Report;

export interface ParseOptions {
  /** Verify the IGMP checksum (RFC 3376 §4.1.2). Off by default: the data plane verified it. */
  verifyChecksum?: boolean;
}

/** Parse one IGMP message occupying all of `b` (slice it to the IP payload first). */
export function parse(b: Uint8Array, opts: ParseOptions = {}): Result<IgmpRepr> {
  return parseAt(b, 0, b.length, opts);
}

/**
 * Parse the IGMP message in bytes [off, end) of `b` without slicing (the control-frame decoder's
 * path: a `subarray` per frame costs more than the rest of the parse).
 */
export function parseAt(b: Uint8Array, off: number, end: number, opts: ParseOptions = {}): Result<IgmpRepr> {
  const len = end - off;
  if (len < V2_LEN || end > b.length) return fail('igmp', 'truncated');
  if (opts.verifyChecksum && !verifyInternetChecksum(b, off, end)) return fail('igmp', 'bad-checksum');
  const type = b[off + Field.TYPE]!;
  switch (type) {
    case MessageType.MEMBERSHIP_QUERY:
      return parseQuery(b, off, len);
    case MessageType.V1_MEMBERSHIP_REPORT:
      return ok({ type: 'report', version: 1, group: ipv4At(b, off + Field.GROUP) });
    case MessageType.V2_MEMBERSHIP_REPORT:
      return ok({ type: 'report', version: 2, group: ipv4At(b, off + Field.GROUP) });
    case MessageType.V2_LEAVE_GROUP:
      return ok({ type: 'leave', group: ipv4At(b, off + Field.GROUP) });
    case MessageType.V3_MEMBERSHIP_REPORT:
      return parseV3Report(b, off, end);
    default:
      return fail('igmp', 'unknown-type', `type 0x${type.toString(16)}`);
  }
}

function parseQuery(b: Uint8Array, off: number, len: number): Result<IgmpRepr> {
  const code = b[off + Field.MAX_RESP_CODE]!;
  const group = ipv4At(b, off + Field.GROUP);
  // RFC 3376 §7.1: "Query messages that do not match any of the above conditions (e.g., a Query of
  // length 10 octets) MUST be silently ignored."
  if (len === V2_LEN) {
    const v1 = code === 0;
    return ok({
      // RFC 1112 App. I: the group address of a v1 query is "zeroed when sent, ignored when received":
      // every v1 query is a General Query (Linux forces group 0 too).
      type: 'query', version: v1 ? 1 : 2, maxRespDs: code, group: v1 ? '0.0.0.0' : group,
      suppress: false, qrv: 0, qqiSec: 0, sources: [],
    });
  }
  if (len < V3_QUERY_MIN_LEN) return fail('igmp', 'bad-length', `query of ${len} octets`);
  const n = u16At(b, off + Field.NUM_SOURCES);
  if (len < Field.SOURCES + 4 * n) return fail('igmp', 'truncated', 'query sources');
  const sources: string[] = [];
  for (let i = 0; i < n; i++) sources.push(ipv4At(b, off + Field.SOURCES + 4 * i));
  const flags = b[off + Field.RESV_S_QRV]!; // §4.1.4: Resv bits are ignored on reception
  return ok({
    type: 'query',
    version: 3,
    maxRespDs: decodeFloat8(code),
    group,
    suppress: (flags & 0x08) !== 0,
    qrv: flags & 0x07,
    qqiSec: decodeFloat8(b[off + Field.QQIC]!),
    sources,
  });
}

function parseV3Report(b: Uint8Array, off: number, end: number): Result<IgmpRepr> {
  const { records: views, truncatedAt } = new IgmpView(b, off, end).records();
  if (truncatedAt !== null) return fail('igmp', 'truncated', `record ${truncatedAt}`);
  // §4.2.10: auxiliary data is skipped.
  return ok({ type: 'v3-report', records: views.map(recordRepr) });
}

/** Length `emit` will produce. */
export function bufferLen(repr: IgmpRepr): number {
  switch (repr.type) {
    case 'query':
      return repr.version === 3 ? V3_QUERY_MIN_LEN + 4 * repr.sources.length : V2_LEN;
    case 'report':
    case 'leave':
      return V2_LEN;
    case 'v3-report': {
      let len = V3_REPORT_HEADER_LEN;
      for (const rec of repr.records) len += RECORD_HEADER_LEN + 4 * rec.sources.length;
      return len;
    }
  }
}

/** Emit the message with its checksum. Reserved fields are zero (RFC 3376 §4.1.4, §4.2.2). */
export function emit(repr: IgmpRepr): Uint8Array {
  const out = new Uint8Array(bufferLen(repr));
  switch (repr.type) {
    case 'query':
      out[Field.TYPE] = MessageType.MEMBERSHIP_QUERY;
      writeIpv4(out, Field.GROUP, repr.group);
      if (repr.version === 1) {
        out[Field.MAX_RESP_CODE] = 0; // RFC 1112: "unused", zero
      } else if (repr.version === 2) {
        out[Field.MAX_RESP_CODE] = Math.min(255, Math.max(0, Math.floor(repr.maxRespDs))); // RFC 2236 §2.2, 1/10 s
      } else {
        out[Field.MAX_RESP_CODE] = encodeFloat8(repr.maxRespDs);
        // §4.1.6: "If the querier's [Robustness Variable] exceeds 7, the maximum value of the QRV field,
        // the QRV is set to zero."
        const qrv = repr.qrv > 7 ? 0 : repr.qrv;
        out[Field.RESV_S_QRV] = (repr.suppress ? 0x08 : 0) | (qrv & 0x07);
        out[Field.QQIC] = encodeFloat8(repr.qqiSec);
        writeU16(out, Field.NUM_SOURCES, repr.sources.length);
        repr.sources.forEach((s, i) => writeIpv4(out, Field.SOURCES + 4 * i, s));
      }
      break;
    case 'report':
      out[Field.TYPE] = repr.version === 1 ? MessageType.V1_MEMBERSHIP_REPORT : MessageType.V2_MEMBERSHIP_REPORT;
      writeIpv4(out, Field.GROUP, repr.group);
      break;
    case 'leave':
      out[Field.TYPE] = MessageType.V2_LEAVE_GROUP;
      writeIpv4(out, Field.GROUP, repr.group);
      break;
    case 'v3-report': {
      out[Field.TYPE] = MessageType.V3_MEMBERSHIP_REPORT;
      writeU16(out, Field.NUM_RECORDS, repr.records.length);
      let p: number = Field.RECORDS;
      for (const rec of repr.records) {
        out[p + RecordField.TYPE] = rec.recordType;
        out[p + RecordField.AUX_DATA_LEN] = 0;
        writeU16(out, p + RecordField.NUM_SOURCES, rec.sources.length);
        writeIpv4(out, p + RecordField.GROUP, rec.group);
        rec.sources.forEach((s, i) => writeIpv4(out, p + RecordField.SOURCES + 4 * i, s));
        p += RECORD_HEADER_LEN + 4 * rec.sources.length;
      }
      break;
    }
  }
  writeU16(out, Field.CHECKSUM, internetChecksum(out));
  return out;
}

/** One-line text, for logs and test failures. */
export function describe(repr: IgmpRepr): string {
  switch (repr.type) {
    case 'query':
      return repr.version === 3
        ? `IGMPv3 query group=${repr.group} mrt=${repr.maxRespDs}ds S=${repr.suppress ? 1 : 0} qrv=${repr.qrv} qqi=${repr.qqiSec}s sources=[${repr.sources.join(',')}]`
        : `IGMPv${repr.version} query group=${repr.group} mrt=${repr.maxRespDs}ds`;
    case 'report':
      return `IGMPv${repr.version} report group=${repr.group}`;
    case 'leave':
      return `IGMPv2 leave group=${repr.group}`;
    case 'v3-report':
      return `IGMPv3 report ${repr.records.map((r) => `${RECORD_NAMES[r.recordType] ?? `type${r.recordType}`}(${r.group}:{${r.sources.join(',')}})`).join(' ')}`;
  }
}
