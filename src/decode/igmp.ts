// IGMP field by field: v1 (RFC 1112 App. I), v2 (RFC 2236 §2), v3 (RFC 3376 §4), read through src/wire/igmp.ts's
// IgmpView. One table for the message, one for IGMPv3 group records (shared with MLDv2, src/decode/mld.ts).

import { isLinkLocalMulticastIPv4, isMulticastIPv4 } from '../wire/address.js';
import { ALL_IGMPV3_ROUTERS, ALL_SYSTEMS } from '../wire/control-frame.js';
import * as igmp from '../wire/igmp.js';
import { ALL_ROUTERS_V4 } from '../wire/mrd.js';
import {
  applyTable, checksumMeaning, type DecodedLayer, type FieldSpec, type Finding, type IpFacts, layer, tenths,
} from './model.js';

export type IgmpKind = 'v1-query' | 'v2-query' | 'v3-query' | 'v1-report' | 'v2-report' | 'leave' | 'v3-report' | 'unknown';

interface IgmpCtx {
  v: igmp.IgmpView;
  kind: IgmpKind;
  ip: IpFacts;
}

/** RFC 3376 §7.1: a query's version comes from its length and Max Resp Code; other types from the type. */
export function igmpKind(v: igmp.IgmpView): IgmpKind | 'bad-length' {
  switch (v.type) {
    case igmp.MessageType.MEMBERSHIP_QUERY:
      if (v.length === igmp.V2_LEN) return v.maxRespCode === 0 ? 'v1-query' : 'v2-query';
      return v.length >= igmp.V3_QUERY_MIN_LEN ? 'v3-query' : 'bad-length';
    case igmp.MessageType.V1_MEMBERSHIP_REPORT: return 'v1-report';
    case igmp.MessageType.V2_MEMBERSHIP_REPORT: return 'v2-report';
    case igmp.MessageType.V2_LEAVE_GROUP: return 'leave';
    case igmp.MessageType.V3_MEMBERSHIP_REPORT: return 'v3-report';
    default: return 'unknown';
  }
}

const TYPE_NAMES: Record<number, string> = {
  [igmp.MessageType.MEMBERSHIP_QUERY]: 'Membership Query (RFC 2236 §2.1, RFC 3376 §4.1)',
  [igmp.MessageType.V1_MEMBERSHIP_REPORT]: 'Version 1 Membership Report (RFC 1112 App. I)',
  [igmp.MessageType.V2_MEMBERSHIP_REPORT]: 'Version 2 Membership Report (RFC 2236 §2.1)',
  [igmp.MessageType.V2_LEAVE_GROUP]: 'Leave Group (RFC 2236 §2.1)',
  [igmp.MessageType.V3_MEMBERSHIP_REPORT]: 'Version 3 Membership Report (RFC 3376 §4.2)',
};

/** RFC 3376 §4.2.12 record type names and what each says. */
export const RECORD_TYPE_MEANINGS: Record<number, string> = {
  1: 'MODE_IS_INCLUDE: current state, receives only from the listed sources (none listed: not a member)',
  2: 'MODE_IS_EXCLUDE: current state, receives from all sources but the listed ones (none listed: a plain member)',
  3: 'CHANGE_TO_INCLUDE_MODE: changed to receiving only from the listed sources (none listed: a leave)',
  4: 'CHANGE_TO_EXCLUDE_MODE: changed to receiving from all but the listed sources (none listed: a join)',
  5: 'ALLOW_NEW_SOURCES: now also receives from the listed sources',
  6: 'BLOCK_OLD_SOURCES: no longer receives from the listed sources',
};

export function queryTitle(kind: IgmpKind, group: string, sources: number): string {
  const what = group === '0.0.0.0' ? 'General Query' : sources > 0 ? 'Group-and-Source-Specific Query' : 'Group-Specific Query';
  return `IGMP${kind === 'v1-query' ? 'v1' : kind === 'v2-query' ? 'v2' : 'v3'} Membership Query (${what})`;
}

export function igmpTitle(c: { v: igmp.IgmpView; kind: IgmpKind }): string {
  switch (c.kind) {
    case 'v1-query': case 'v2-query': return queryTitle(c.kind, c.v.group, 0);
    case 'v3-query': return queryTitle(c.kind, c.v.group, c.v.numSources);
    case 'v1-report': return 'IGMPv1 Membership Report';
    case 'v2-report': return 'IGMPv2 Membership Report';
    case 'leave': return 'IGMPv2 Leave Group';
    case 'v3-report': return 'IGMPv3 Membership Report';
    case 'unknown': return `IGMP message of unknown type 0x${c.v.type.toString(16).padStart(2, '0')}`;
  }
}

/** RFC 3376 §4.1.1 / §4.1.7: the 8-bit code, and the arithmetic when it is in floating-point form. */
export function float8Meaning(code: number, unit: 'ds' | 's'): string {
  const value = igmp.decodeFloat8(code);
  const shown = unit === 'ds' ? tenths(value) : `${value} s`;
  const worded = unit === 'ds' ? `${value} tenths = ${shown}` : shown;
  if (code < 128) return worded;
  const exp = (code >>> 4) & 7;
  const mant = code & 0x0f;
  return `floating point 1|exp ${exp}|mant ${mant}: (${mant} + 16) << (${exp} + 3) = ${worded}`;
}

const isQuery = (c: IgmpCtx): boolean => c.kind === 'v1-query' || c.kind === 'v2-query' || c.kind === 'v3-query';

function groupMeaning(c: IgmpCtx): string {
  const g = c.v.group;
  const dst = c.ip.dst;
  switch (c.kind) {
    case 'v1-query': case 'v2-query': case 'v3-query':
      if (g === '0.0.0.0') {
        return `0.0.0.0: a General Query, about every group; sent to ${dst}` +
          `${dst === ALL_SYSTEMS ? ', All-Systems, as it must be' : ''} (RFC 2236 §9, RFC 3376 §4.1.12)`;
      }
      return `the group queried; a Group-Specific Query goes to the group itself, here ${dst}` +
        `${dst === g ? ' (as it must)' : ''} (RFC 2236 §9, RFC 3376 §4.1.12)`;
    case 'v1-report': case 'v2-report':
      return `the group joined; a report is sent to the group itself, here ${dst}${dst === g ? ' (as it must)' : ''} (RFC 2236 §9)`;
    case 'leave':
      return `the group left; a leave is sent to All-Routers 224.0.0.2, here ${dst}${dst === ALL_ROUTERS_V4 ? ' (as it must)' : ''} (RFC 2236 §9)`;
    default:
      return 'group address';
  }
}

function checkGroup(c: IgmpCtx): Omit<Finding, 'field'> | null {
  const g = c.v.group;
  const dst = c.ip.dst;
  if (isQuery(c)) {
    if (g === '0.0.0.0') {
      return dst === ALL_SYSTEMS ? null : { level: 'violation', rfc: 'RFC 3376 §4.1.12, RFC 2236 §9',
        text: `a General Query goes to 224.0.0.1 (All-Systems), not ${dst}` };
    }
    if (!isMulticastIPv4(g)) return { level: 'discard', rfc: 'RFC 3376 §4.1.3', text: `${g} is neither 0.0.0.0 nor a multicast group` };
    return dst === g ? null : { level: 'violation', rfc: 'RFC 3376 §4.1.12, RFC 2236 §9', text: `a Group-Specific Query goes to the group (${g}), not ${dst}` };
  }
  if (c.kind === 'v1-report' || c.kind === 'v2-report' || c.kind === 'leave') {
    if (!isMulticastIPv4(g)) return { level: 'discard', rfc: 'RFC 2236 §2.4', text: `${g} is not a multicast group: there is nothing to join or leave` };
    if (c.kind === 'leave') {
      return dst === ALL_ROUTERS_V4 ? null : { level: 'violation', rfc: 'RFC 2236 §9', text: `a Leave Group goes to 224.0.0.2 (All-Routers), not ${dst}` };
    }
    if (dst !== g) return { level: 'violation', rfc: 'RFC 2236 §9', text: `a report goes to the group it reports (${g}), not ${dst}` };
  }
  return null;
}

function localGroupNote(c: IgmpCtx): Omit<Finding, 'field'> | null {
  const g = c.v.group;
  if ((c.kind === 'v1-report' || c.kind === 'v2-report' || c.kind === 'leave') && isLinkLocalMulticastIPv4(g)) {
    return { level: 'note', rfc: 'RFC 4541 §2.1.2(2)', text: `${g} is in 224.0.0.0/24: switches flood it to every port and keep no membership for it` };
  }
  return null;
}

const IGMP_FIELDS: readonly FieldSpec<IgmpCtx>[] = [
  {
    name: 'Type', offset: igmp.Field.TYPE, format: 'hex8', raw: (c) => c.v.type,
    meaning: (c) => TYPE_NAMES[c.v.type] ?? 'unknown type',
    check: (c) => c.kind === 'unknown'
      ? { level: 'discard', rfc: 'RFC 3376 §4, RFC 2236 §2.1', text: 'unrecognised message types are silently ignored' } : null,
  },
  {
    // RFC 2236 §2.2 calls it Max Response Time (tenths); RFC 3376 §4.1.1 Max Resp Code (a code for the time).
    name: (c) => (c.kind === 'v3-query' ? 'Max Resp Code' : c.kind === 'v3-report' ? 'Reserved' : 'Max Resp Time'),
    offset: igmp.Field.MAX_RESP_CODE, format: 'dec', raw: (c) => c.v.maxRespCode,
    meaning: (c) => {
      const code = c.v.maxRespCode;
      switch (c.kind) {
        case 'v1-query': return `0 marks an IGMPv1 query (RFC 3376 §7.1); hosts answer within ${tenths(igmp.V1_QUERY_MAX_RESP_DS)} (RFC 2236 §4)`;
        case 'v2-query': return `${code} = ${tenths(code)} (units of 1/10 s): the longest a host may wait before reporting (RFC 2236 §2.2)`;
        case 'v3-query': return `${float8Meaning(code, 'ds')}: the longest a host may wait before reporting (RFC 3376 §4.1.1)`;
        case 'v3-report': return `sent as 0, ignored on reception (RFC 3376 §4.2.1)`;
        default: return `meaningful in queries only; sent as 0 and ignored in ${c.kind === 'leave' ? 'leaves' : 'reports'} (RFC 2236 §2.2)`;
      }
    },
  },
  {
    name: 'Checksum', offset: igmp.Field.CHECKSUM, format: 'hex16', raw: (c) => c.v.checksum,
    meaning: (c) => checksumMeaning(c.v.checksumOk, c.v.expectedChecksum, `over the ${c.v.length}-byte IGMP message`),
    check: (c) => c.v.checksumOk ? null : {
      level: 'discard', rfc: c.kind === 'v3-query' || c.kind === 'v3-report' ? 'RFC 3376 §4.1.2' : 'RFC 2236 §2.3',
      text: `the checksum is wrong (0x${c.v.checksum.toString(16).padStart(4, '0')}, should be 0x${c.v.expectedChecksum.toString(16).padStart(4, '0')}): "the checksum MUST be verified before processing a packet"`,
    },
  },
  {
    name: 'Group Address', offset: igmp.Field.GROUP, format: 'text', raw: (c) => c.v.group,
    when: (c) => c.kind !== 'v3-report' && c.kind !== 'unknown',
    meaning: groupMeaning, check: [checkGroup, localGroupNote],
  },
  // IGMPv3 query (RFC 3376 §4.1.4–§4.1.9)
  {
    name: 'Resv', offset: igmp.Field.RESV_S_QRV, format: 'dec', raw: (c) => c.v.resv, when: (c) => c.kind === 'v3-query',
    meaning: () => 'sent as 0, ignored on reception (RFC 3376 §4.1.4)',
  },
  {
    name: 'S Flag', offset: igmp.Field.RESV_S_QRV, format: 'dec', raw: (c) => (c.v.suppress ? 1 : 0), when: (c) => c.kind === 'v3-query',
    meaning: (c) => c.v.suppress
      ? 'Suppress Router-Side Processing: routers do not lower their timers for this query (RFC 3376 §4.1.5)'
      : 'routers lower their timers as this query asks (RFC 3376 §4.1.5)',
  },
  {
    name: 'QRV', offset: igmp.Field.RESV_S_QRV, format: 'dec', raw: (c) => c.v.qrv, when: (c) => c.kind === 'v3-query',
    meaning: (c) => c.v.qrv === 0
      ? "0: the querier's Robustness Variable exceeds 7, receivers keep their own (RFC 3376 §4.1.6)"
      : `the querier's Robustness Variable: other routers adopt it (RFC 3376 §4.1.6)`,
  },
  {
    name: 'QQIC', offset: igmp.Field.QQIC, format: 'dec', raw: (c) => c.v.qqic, when: (c) => c.kind === 'v3-query',
    meaning: (c) => `${float8Meaning(c.v.qqic, 's')}: the querier's Query Interval, adopted by non-queriers (RFC 3376 §4.1.7)`,
  },
  {
    name: 'Number of Sources', offset: igmp.Field.NUM_SOURCES, format: 'dec', raw: (c) => c.v.numSources, when: (c) => c.kind === 'v3-query',
    meaning: (c) => c.v.numSources === 0 ? 'none: not source-specific (RFC 3376 §4.1.8)' : `${c.v.numSources} source address(es) follow (RFC 3376 §4.1.8)`,
    check: (c) => igmp.Field.SOURCES + 4 * c.v.numSources > c.v.length
      ? { level: 'discard', rfc: 'RFC 3376 §4.1.8', text: `${c.v.numSources} sources need ${igmp.Field.SOURCES + 4 * c.v.numSources} bytes, the message has ${c.v.length}` }
      : null,
  },
  // IGMPv3 report (RFC 3376 §4.2.2–§4.2.3)
  {
    name: 'Reserved', offset: igmp.Field.GROUP, format: 'hex16', raw: (c) => c.v.reportReserved, when: (c) => c.kind === 'v3-report',
    meaning: () => 'sent as 0, ignored on reception (RFC 3376 §4.2.1)',
  },
  {
    name: 'Number of Group Records', offset: igmp.Field.NUM_RECORDS, format: 'dec', raw: (c) => c.v.numRecords, when: (c) => c.kind === 'v3-report',
    meaning: (c) => `${c.v.numRecords} group record(s) follow (RFC 3376 §4.2.3)`,
  },
];

/** IGMPv3 / MLDv2 group record (RFC 3376 §4.2.4–§4.2.10, RFC 3810 §5.2.4–§5.2.11). */
interface RecordCtx {
  r: igmp.GroupRecordView;
  rfc: 'RFC 3376' | 'RFC 3810';
}

/** Section numbers of the record fields in RFC 3376 §4.2 and RFC 3810 §5.2. */
const RECORD_SECTIONS = {
  'RFC 3376': { type: '§4.2.12', aux: '§4.2.6', n: '§4.2.7', group: '§4.2.8', source: '§4.2.9', auxData: '§4.2.10' },
  'RFC 3810': { type: '§5.2.12', aux: '§5.2.6', n: '§5.2.7', group: '§5.2.8', source: '§5.2.9', auxData: '§5.2.10' },
} as const;

const RECORD_FIELDS: readonly FieldSpec<RecordCtx>[] = [
  {
    name: 'Record Type', offset: igmp.RecordField.TYPE, format: 'dec', raw: (c) => c.r.recordType,
    meaning: (c) => `${RECORD_TYPE_MEANINGS[c.r.recordType] ?? 'unknown record type'} (${c.rfc} ${RECORD_SECTIONS[c.rfc].type})`,
    check: (c) => igmp.isKnownRecordType(c.r.recordType) ? null
      : { level: 'note', rfc: `${c.rfc} ${RECORD_SECTIONS[c.rfc].type}`, text: `record type ${c.r.recordType} is unknown: receivers skip this record and process the others` },
  },
  {
    name: 'Aux Data Len', offset: igmp.RecordField.AUX_DATA_LEN, format: 'dec', raw: (c) => c.r.auxDataWords,
    meaning: (c) => c.r.auxDataWords === 0 ? `no auxiliary data (${c.rfc} ${RECORD_SECTIONS[c.rfc].aux})`
      : `${c.r.auxDataWords} 32-bit words = ${4 * c.r.auxDataWords} bytes of auxiliary data (${c.rfc} ${RECORD_SECTIONS[c.rfc].aux})`,
  },
  {
    name: 'Number of Sources', offset: igmp.RecordField.NUM_SOURCES, format: 'dec', raw: (c) => c.r.numSources,
    meaning: (c) => `${c.r.numSources} source address(es) follow (${c.rfc} ${RECORD_SECTIONS[c.rfc].n})`,
  },
  {
    name: 'Multicast Address', offset: (c) => c.r.layout.groupOffset, format: 'text', raw: (c) => c.r.group,
    meaning: (c) => `the group this record is about (${c.rfc} ${RECORD_SECTIONS[c.rfc].group})`,
    check: (c) => c.rfc === 'RFC 3376' && isLinkLocalMulticastIPv4(c.r.group)
      ? { level: 'note', rfc: 'RFC 4541 §2.1.2(2)', text: `${c.r.group} is in 224.0.0.0/24: switches flood it and keep no membership for it` }
      : c.rfc === 'RFC 3376' && !isMulticastIPv4(c.r.group)
        ? { level: 'note', rfc: 'RFC 3376 §4.2.8', text: `${c.r.group} is not a multicast group: receivers ignore this record` } : null,
  },
];

/** The decoded record: its table, then one row per source and the auxiliary data. */
export function decodeRecord(r: igmp.GroupRecordView, index: number, count: number, rfc: RecordCtx['rfc'], findings: Finding[]): DecodedLayer {
  const c: RecordCtx = { r, rfc };
  const fields = applyTable(RECORD_FIELDS, c, r.off, findings);
  const sec = RECORD_SECTIONS[rfc];
  for (let i = 0; i < r.numSources; i++) {
    const s = r.source(i);
    fields.push({ name: `Source Address [${i + 1}]`, offset: r.off + r.layout.sourcesOffset + r.layout.addressLen * i, raw: s, rawText: s,
      meaning: `(${rfc} ${sec.source})` });
  }
  if (r.auxDataWords > 0) {
    const hex = Buffer.from(r.buf.subarray(r.auxDataOffset, r.auxDataOffset + 4 * r.auxDataWords)).toString('hex');
    fields.push({ name: 'Auxiliary Data', offset: r.auxDataOffset, raw: hex, rawText: hex,
      meaning: `ignored by receivers (${rfc} ${sec.auxData})` });
  }
  const name = igmp.RECORD_NAMES[r.recordType] ?? `type ${r.recordType}`;
  return layer('record', `Group Record ${index + 1} of ${count}: ${name} ${r.group}`, r.off, fields);
}

/** The IGMP layer of a frame whose IGMP message is bytes [off, end). */
export function decodeIgmp(frame: Uint8Array, off: number, end: number, ip: IpFacts, findings: Finding[]): DecodedLayer {
  const v = new igmp.IgmpView(frame, off, end);
  if (v.length < igmp.V2_LEN) {
    findings.push({ level: 'discard', field: null, rfc: 'RFC 2236 §2, RFC 3376 §4', text: `${v.length} bytes: every IGMP message is at least 8 bytes` });
    return layer('igmp', 'IGMP (cut short)', off, []);
  }
  const kind = igmpKind(v);
  if (kind === 'bad-length') {
    findings.push({ level: 'discard', field: null, rfc: 'RFC 3376 §7.1',
      text: `a query of ${v.length} bytes is neither IGMPv1/v2 (8) nor IGMPv3 (12 or more): "MUST be silently ignored"` });
    const c: IgmpCtx = { v, kind: 'unknown', ip };
    return layer('igmp', `IGMP Membership Query of ${v.length} bytes`, off, applyTable(IGMP_FIELDS.slice(0, 3), c, off, []));
  }
  const c: IgmpCtx = { v, kind, ip };
  const fields = applyTable(IGMP_FIELDS, c, off, findings);
  if (kind === 'v3-query' && igmp.Field.SOURCES + 4 * v.numSources <= v.length) {
    for (let i = 0; i < v.numSources; i++) {
      const s = v.source(i);
      fields.push({ name: `Source Address [${i + 1}]`, offset: off + igmp.Field.SOURCES + 4 * i, raw: s, rawText: s,
        meaning: 'a source the query asks about (RFC 3376 §4.1.9)' });
    }
  }
  const parts: DecodedLayer[] = [];
  if (kind === 'v3-report') {
    const { records, truncatedAt } = v.records();
    records.forEach((r, i) => parts.push(decodeRecord(r, i, v.numRecords, 'RFC 3376', findings)));
    if (truncatedAt !== null) {
      findings.push({ level: 'discard', field: null, rfc: 'RFC 3376 §4.2',
        text: `group record ${truncatedAt + 1} of ${v.numRecords} runs past the end of the message` });
    }
    if (ip.dst !== ALL_IGMPV3_ROUTERS) {
      findings.push({ level: 'violation', field: null, rfc: 'RFC 3376 §4.2.14', text: `IGMPv3 reports go to 224.0.0.22 (All IGMPv3 Routers), not ${ip.dst}` });
    }
  }
  return layer('igmp', igmpTitle(c), off, fields, parts);
}
