// PIM Hello (RFC 7761 §4.9.2) and Multicast Router Discovery (RFC 4286) field by field, through the src/wire views.

import * as mrd from '../wire/mrd.js';
import * as pim from '../wire/pim.js';
import { u16At } from '../wire/common.js';
import { applyTable, checkIpRules, checksumMeaning, type DecodedField, type DecodedLayer, type FieldSpec, type Finding, type IpFacts, layer } from './model.js';

const PIM_TYPES: Record<number, string> = {
  0: 'Hello', 1: 'Register', 2: 'Register-Stop', 3: 'Join/Prune', 4: 'Bootstrap', 5: 'Assert', 6: 'Graft', 7: 'Graft-Ack',
  8: 'Candidate-RP-Advertisement',
};

interface PimCtx {
  v: pim.PimView;
  ip: IpFacts;
}

const PIM_FIELDS: readonly FieldSpec<PimCtx>[] = [
  {
    name: 'PIM Ver', offset: pim.Field.VER_TYPE, format: 'dec', raw: (c) => c.v.version, meaning: (c) => (c.v.version === pim.VERSION ? 'PIMv2' : 'not PIMv2'),
    check: (c) => c.v.version === pim.VERSION ? null : { level: 'discard', rfc: 'RFC 7761 §4.9', text: `PIM version ${c.v.version}: only version 2 exists` },
  },
  { name: 'Type', offset: pim.Field.VER_TYPE, format: 'dec', raw: (c) => c.v.type, meaning: (c) => `${PIM_TYPES[c.v.type] ?? 'unknown'} (RFC 7761 §4.9)` },
  { name: 'Reserved', offset: pim.Field.RESERVED, format: 'hex8', raw: (c) => c.v.reserved, meaning: () => 'sent as 0, ignored on reception' },
  {
    name: 'Checksum', offset: pim.Field.CHECKSUM, format: 'hex16', raw: (c) => c.v.checksum,
    meaning: (c) => checksumMeaning(c.v.checksumOk(c.ip), c.v.expectedChecksum(c.ip), c.ip.family === 6 ? 'with the IPv6 pseudo-header' : 'over the PIM message'),
    check: (c) => c.v.checksumOk(c.ip) ? null : { level: 'discard', rfc: 'RFC 7761 §4.9',
      text: `the checksum is wrong (should be 0x${c.v.expectedChecksum(c.ip).toString(16).padStart(4, '0')})` },
  },
];

function helloOptionRow(buf: Uint8Array, o: pim.HelloOptionView, off: number): DecodedField {
  const at = off + o.valueOffset - 4;
  let meaning: string;
  const value = pim.helloOptionValue(buf, o);
  if (o.type === pim.HelloOption.HOLDTIME && value !== null) {
    const t = value;
    meaning = `Holdtime ${t === 0xffff ? 'infinite: never time out' : t === 0 ? '0: the neighbor is going away' : `${t} s`} (RFC 7761 §4.9.2)`;
  } else if (o.type === 2 && o.length === 4) {
    meaning = `LAN Prune Delay: T=${buf[o.valueOffset]! >>> 7}, propagation delay ${u16At(buf, o.valueOffset) & 0x7fff} ms, override interval ${u16At(buf, o.valueOffset + 2)} ms (RFC 7761 §4.9.2)`;
  } else if (o.type === pim.HelloOption.DR_PRIORITY && value !== null) {
    meaning = `DR Priority ${value}: the highest becomes Designated Router (RFC 7761 §4.9.2)`;
  } else if (o.type === pim.HelloOption.GENERATION_ID && value !== null) {
    meaning = `Generation ID 0x${value.toString(16).padStart(8, '0')}: changes when the router restarts (RFC 7761 §4.9.2)`;
  } else if (o.type === 24) {
    meaning = `Address List, ${o.length} bytes: the router's secondary addresses (RFC 7761 §4.9.2)`;
  } else {
    meaning = `option ${o.type}, ${o.length} bytes: not interpreted here (unknown options are ignored, RFC 7761 §4.9.2)`;
  }
  return { name: 'Hello Option', offset: at, raw: o.type, rawText: String(o.type), meaning };
}

export function decodePim(body: Uint8Array, off: number, ip: IpFacts, findings: Finding[]): DecodedLayer {
  if (body.length < pim.HEADER_LEN) {
    findings.push({ level: 'discard', field: null, rfc: 'RFC 7761 §4.9', text: `${body.length} bytes: shorter than the PIM header` });
    return layer('pim', 'PIM (cut short)', off, []);
  }
  const v = new pim.PimView(body);
  const fields = applyTable(PIM_FIELDS, { v, ip }, off, findings);
  checkIpRules(ip, { ttlRfc: 'RFC 7761 §4.9', routerAlertRfc: null, level: 'violation' }, findings);
  const want = ip.family === 4 ? pim.ALL_PIM_ROUTERS_V4 : pim.ALL_PIM_ROUTERS_V6;
  if (v.type === pim.MessageType.HELLO) {
    if (ip.dst !== want) findings.push({ level: 'violation', field: null, rfc: 'RFC 7761 §4.3.1', text: `a Hello goes to ALL-PIM-ROUTERS ${want}, not ${ip.dst}` });
    const options = v.helloOptions();
    if (options.ok) fields.push(...options.value.map((o) => helloOptionRow(body, o, off)));
    else findings.push({ level: 'discard', field: 'Hello Option', rfc: 'RFC 7761 §4.9.2', text: 'an option runs past the end of the message' });
  }
  return layer('pim', `PIMv${v.version} ${PIM_TYPES[v.type] ?? `type ${v.type}`}`, off, fields);
}

interface MrdCtx {
  v: mrd.MrdView;
  ip: IpFacts;
  kind: mrd.MrdRepr['type'];
}

const MRD_TITLES: Record<mrd.MrdRepr['type'], string> = {
  advertisement: 'MRD Multicast Router Advertisement', solicitation: 'MRD Multicast Router Solicitation', termination: 'MRD Multicast Router Termination',
};
const MRD_SECTIONS: Record<mrd.MrdRepr['type'], string> = { advertisement: 'RFC 4286 §3', solicitation: 'RFC 4286 §4', termination: 'RFC 4286 §5' };

const MRD_FIELDS: readonly FieldSpec<MrdCtx>[] = [
  { name: 'Type', offset: mrd.Field.TYPE, format: 'dec', raw: (c) => c.v.type, meaning: (c) => `${MRD_TITLES[c.kind].slice(4)} (${MRD_SECTIONS[c.kind]})` },
  {
    name: (c) => (c.kind === 'advertisement' ? 'Advertisement Interval' : 'Reserved'), offset: mrd.Field.AD_INTERVAL, format: 'dec', raw: (c) => c.v.adInterval,
    meaning: (c) => (c.kind === 'advertisement' ? `${c.v.adInterval} s between unsolicited advertisements (RFC 4286 §3.1)` : 'sent as 0, ignored on reception'),
  },
  {
    name: 'Checksum', offset: mrd.Field.CHECKSUM, format: 'hex16', raw: (c) => c.v.checksum,
    meaning: (c) => checksumMeaning(c.v.checksumOk(c.ip), c.v.expectedChecksum(c.ip), c.ip.family === 6 ? 'ICMPv6, with the pseudo-header' : 'IGMP checksum'),
    check: (c) => c.v.checksumOk(c.ip) ? null : { level: 'discard', rfc: MRD_SECTIONS[c.kind],
      text: `the checksum is wrong (should be 0x${c.v.expectedChecksum(c.ip).toString(16).padStart(4, '0')})` },
  },
  { name: 'Query Interval', offset: mrd.Field.QUERY_INTERVAL, format: 'dec', when: (c) => c.kind === 'advertisement', raw: (c) => c.v.queryInterval, meaning: () => "the router's IGMP/MLD Query Interval, seconds (RFC 4286 §3.3)" },
  { name: 'Robustness Variable', offset: mrd.Field.ROBUSTNESS, format: 'dec', when: (c) => c.kind === 'advertisement', raw: (c) => c.v.robustness, meaning: () => "the router's IGMP/MLD Robustness Variable (RFC 4286 §3.4)" },
];

export function decodeMrd(body: Uint8Array, off: number, ip: IpFacts, findings: Finding[]): DecodedLayer {
  const parsed = mrd.parse(body, ip.family);
  if (!parsed.ok) {
    findings.push({ level: 'discard', field: null, rfc: 'RFC 4286 §3', text: `unusable MRD message: ${parsed.error.reason}` });
    return layer('mrd', 'MRD (unusable)', off, []);
  }
  const kind = parsed.value.type;
  const c: MrdCtx = { v: new mrd.MrdView(body), ip, kind };
  const fields = applyTable(MRD_FIELDS, c, off, findings);
  checkIpRules(ip, { ttlRfc: MRD_SECTIONS[kind], routerAlertRfc: MRD_SECTIONS[kind], level: 'violation' }, findings);
  const want = kind === 'solicitation' ? (ip.family === 4 ? mrd.ALL_ROUTERS_V4 : mrd.ALL_ROUTERS_V6) : (ip.family === 4 ? mrd.ALL_SNOOPERS_V4 : mrd.ALL_SNOOPERS_V6);
  if (ip.dst !== want) findings.push({ level: 'violation', field: null, rfc: MRD_SECTIONS[kind], text: `an ${kind} goes to ${want}, not ${ip.dst}` });
  return layer('mrd', MRD_TITLES[kind], off, fields);
}
