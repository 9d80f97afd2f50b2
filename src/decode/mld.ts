// MLD field by field: MLDv1 (RFC 2710 §3) and MLDv2 (RFC 3810 §5), read through src/wire/mld.ts's MldView.

import * as mld from '../wire/mld.js';
import { float8Meaning, decodeRecord } from './igmp.js';
import { applyTable, checkIpRules, checksumMeaning, type DecodedLayer, type FieldSpec, type Finding, type IpFacts, layer, millis } from './model.js';

export type MldKind = 'v1-query' | 'v2-query' | 'v1-report' | 'done' | 'v2-report';

interface MldCtx {
  v: mld.MldView;
  kind: MldKind;
  ip: IpFacts;
}

const TITLES: Record<MldKind, string> = {
  'v1-query': 'MLDv1 Multicast Listener Query', 'v2-query': 'MLDv2 Multicast Listener Query',
  'v1-report': 'MLDv1 Multicast Listener Report', done: 'MLDv1 Multicast Listener Done', 'v2-report': 'MLDv2 Multicast Listener Report',
};

const TYPE_NAMES: Record<number, string> = {
  130: 'Multicast Listener Query (RFC 2710 §3.1, RFC 3810 §5.1)', 131: 'Version 1 Multicast Listener Report (RFC 2710 §3.1)',
  132: 'Multicast Listener Done (RFC 2710 §3.1)', 143: 'Version 2 Multicast Listener Report (RFC 3810 §5.2)',
};

const isQuery = (c: MldCtx): boolean => c.kind === 'v1-query' || c.kind === 'v2-query';
const hasGroup = (c: MldCtx): boolean => c.kind !== 'v2-report';

/** RFC 3810 §5.1.3: the 16-bit Maximum Response Code, with the arithmetic when it is in floating-point form. */
function float16Meaning(code: number): string {
  const ms = mld.decodeFloat16(code);
  if (code < 32768) return `${code} ms = ${millis(ms)}`;
  const exp = (code >>> 12) & 7;
  const mant = code & 0x0fff;
  return `floating point 1|exp ${exp}|mant ${mant}: (${mant} + 4096) << (${exp} + 3) = ${ms} ms = ${millis(ms)}`;
}

function groupMeaning(c: MldCtx): string {
  const g = c.v.group;
  if (isQuery(c)) return g === '::' ? `::: a General Query, sent to ff02::1 (RFC 3810 §5.1.15), here ${c.ip.dst}` : `the address queried; sent to it (RFC 3810 §5.1.15), here ${c.ip.dst}`;
  if (c.kind === 'done') return `the address left; a Done goes to ff02::2 (RFC 2710 §3), here ${c.ip.dst}`;
  return `the address listened to; a report goes to it (RFC 2710 §3), here ${c.ip.dst}`;
}

function checkDestination(c: MldCtx): Omit<Finding, 'field'> | null {
  const g = c.v.group;
  const want = isQuery(c) ? (g === '::' ? 'ff02::1' : g) : c.kind === 'done' ? 'ff02::2' : c.kind === 'v1-report' ? g : 'ff02::16';
  return c.ip.dst === want ? null : { level: 'violation', rfc: c.kind === 'v2-report' || c.kind === 'v2-query' ? 'RFC 3810 §5.1.15, §5.2.14' : 'RFC 2710 §3',
    text: `this message goes to ${want}, not ${c.ip.dst}` };
}

const MLD_FIELDS: readonly FieldSpec<MldCtx>[] = [
  { name: 'Type', offset: mld.Field.TYPE, format: 'dec', raw: (c) => c.v.type, meaning: (c) => TYPE_NAMES[c.v.type] ?? 'unknown' },
  { name: 'Code', offset: mld.Field.CODE, format: 'dec', raw: (c) => c.v.code, meaning: () => 'sent as 0, ignored on reception (RFC 3810 §5.1.1)' },
  {
    name: 'Checksum', offset: mld.Field.CHECKSUM, format: 'hex16', raw: (c) => c.v.checksum,
    meaning: (c) => checksumMeaning(c.v.checksumOk(c.ip.src, c.ip.dst), c.v.expectedChecksum(c.ip.src, c.ip.dst), 'ICMPv6, with the IPv6 pseudo-header'),
    check: (c) => c.v.checksumOk(c.ip.src, c.ip.dst) ? null : { level: 'discard', rfc: 'RFC 4443 §2.3',
      text: `the ICMPv6 checksum is wrong (should be 0x${c.v.expectedChecksum(c.ip.src, c.ip.dst).toString(16).padStart(4, '0')})` },
  },
  {
    name: (c) => (c.kind === 'v1-query' ? 'Maximum Response Delay' : c.kind === 'v2-query' ? 'Maximum Response Code' : 'Reserved'),
    offset: mld.Field.MAX_RESP, format: 'dec', raw: (c) => c.v.maxRespCode,
    meaning: (c) => c.kind === 'v1-query' ? `${millis(c.v.maxRespCode)} (RFC 2710 §3.4)`
      : c.kind === 'v2-query' ? `${float16Meaning(c.v.maxRespCode)} (RFC 3810 §5.1.3)` : 'sent as 0, ignored on reception',
  },
  {
    name: 'Reserved', offset: mld.Field.MAX_RESP + 2, format: 'hex16', raw: (c) => (c.kind === 'v2-report' ? c.v.reportReserved : c.v.reserved),
    when: (c) => c.kind !== 'v2-report', meaning: () => 'sent as 0, ignored on reception',
  },
  { name: 'Multicast Address', offset: mld.Field.GROUP, format: 'text', when: hasGroup, raw: (c) => c.v.group, meaning: groupMeaning, check: checkDestination },
  { name: 'S Flag', offset: mld.Field.RESV_S_QRV, format: 'dec', when: (c) => c.kind === 'v2-query', raw: (c) => (c.v.suppress ? 1 : 0), meaning: () => 'Suppress Router-Side Processing (RFC 3810 §5.1.7)' },
  { name: 'QRV', offset: mld.Field.RESV_S_QRV, format: 'dec', when: (c) => c.kind === 'v2-query', raw: (c) => c.v.qrv, meaning: () => "the querier's Robustness Variable (RFC 3810 §5.1.8)" },
  { name: 'QQIC', offset: mld.Field.QQIC, format: 'dec', when: (c) => c.kind === 'v2-query', raw: (c) => c.v.qqic, meaning: (c) => `${float8Meaning(c.v.qqic, 's')} (RFC 3810 §5.1.9)` },
  { name: 'Number of Sources', offset: mld.Field.NUM_SOURCES, format: 'dec', when: (c) => c.kind === 'v2-query', raw: (c) => c.v.numSources, meaning: () => 'RFC 3810 §5.1.10' },
  {
    name: 'Nr of Mcast Address Records', offset: mld.Field.NUM_RECORDS, format: 'dec', when: (c) => c.kind === 'v2-report', raw: (c) => c.v.numRecords,
    meaning: (c) => `${c.v.numRecords} record(s) follow (RFC 3810 §5.2.3)`, check: checkDestination,
  },
];

function mldKind(v: mld.MldView): MldKind | null {
  switch (v.type) {
    case mld.MessageType.QUERY: return v.length === mld.V1_LEN ? 'v1-query' : 'v2-query';
    case mld.MessageType.V1_REPORT: return 'v1-report';
    case mld.MessageType.V1_DONE: return 'done';
    case mld.MessageType.V2_REPORT: return 'v2-report';
    default: return null;
  }
}

export function decodeMld(body: Uint8Array, off: number, ip: IpFacts, findings: Finding[]): DecodedLayer {
  const v = new mld.MldView(body);
  const kind = v.length >= 4 ? mldKind(v) : null;
  const min = kind === 'v2-report' ? mld.V2_REPORT_HEADER_LEN : kind === 'v2-query' ? mld.V2_QUERY_MIN_LEN : mld.V1_LEN;
  if (kind === null || v.length < min) {
    findings.push({ level: 'discard', field: null, rfc: 'RFC 3810 §5', text: kind === null ? `ICMPv6 type ${body[0]} is not MLD` : `${v.length} bytes: too short for this message` });
    return layer('mld', 'MLD (unusable)', off, []);
  }
  const c: MldCtx = { v, kind, ip };
  // RFC 3810 §5: every MLDv2 message is sent from a link-local source with Hop Limit 1 and Router Alert; receivers
  // drop queries (§6.2) and reports (§7.4) that fail any of the three, and queries (§5.1.14) or reports (§5.2.13)
  // from a source that is not link-local (reports may come from ::).
  const v2 = kind === 'v2-query' || kind === 'v2-report';
  const query = kind === 'v1-query' || kind === 'v2-query';
  const receiverRule = query ? 'RFC 3810 §5, §6.2' : 'RFC 3810 §5, §7.4';
  checkIpRules(ip, v2
    ? { ttlRfc: receiverRule, routerAlertRfc: receiverRule, level: 'discard' }
    : { ttlRfc: 'RFC 2710 §3', routerAlertRfc: 'RFC 2710 §3', level: 'violation' }, findings);
  if (!ip.src.startsWith('fe80:') && !(ip.src === '::' && !query)) {
    findings.push({ level: v2 ? 'discard' : 'violation', field: 'Source Address', rfc: v2 ? (query ? 'RFC 3810 §5.1.14' : 'RFC 3810 §5.2.13') : 'RFC 2710 §3',
      text: `the source ${ip.src} is not link-local: MLD messages come from a link-local address` });
  }
  const fields = applyTable(MLD_FIELDS, c, off, findings);
  if (kind === 'v2-query' && mld.Field.SOURCES + 16 * v.numSources <= v.length) {
    for (let i = 0; i < v.numSources; i++) {
      const s = v.source(i);
      fields.push({ name: `Source Address [${i + 1}]`, offset: off + mld.Field.SOURCES + 16 * i, raw: s, rawText: s, meaning: '(RFC 3810 §5.1.11)' });
    }
  }
  const parts: DecodedLayer[] = [];
  if (kind === 'v2-report') {
    const { records, truncatedAt } = v.records();
    records.forEach((r, i) => {
      const d = decodeRecord(r, i, v.numRecords, 'RFC 3810', findings);
      // Record offsets are within the ICMPv6 body; make them frame offsets.
      parts.push({ ...d, offset: d.offset + off, fields: d.fields.map((f) => ({ ...f, offset: f.offset + off })) });
    });
    if (truncatedAt !== null) findings.push({ level: 'discard', field: null, rfc: 'RFC 3810 §5.2', text: `record ${truncatedAt + 1} runs past the end of the message` });
  }
  return layer('mld', TITLES[kind], off, fields, parts);
}
