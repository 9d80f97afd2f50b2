// What `igmpswitch decode` produces for one captured frame: layers of fields (name, offset, raw value, meaning),
// and findings (what a receiver would discard, what breaks a sender's rule), each with its RFC section.
// Every protocol describes its fields in one table of FieldSpec rows (src/decode/<protocol>.ts); `applyTable`
// turns a table and a view of the message (src/wire views) into DecodedFields and findings.

/**
 * discard:   a receiver following the RFC drops the message (bad checksum, cut short, a MUST-level check).
 * violation: the sender broke a rule (TTL, Router Alert, destination); many receivers accept it anyway.
 * note:      worth knowing, not an error (an ignored record, a 224.0.0.x group that is never snooped).
 */
export type FindingLevel = 'discard' | 'violation' | 'note';

export interface Finding {
  level: FindingLevel;
  /** The field it is about, or null for the message as a whole. */
  field: string | null;
  text: string;
  /** The RFC section(s) the rule comes from, e.g. "RFC 3376 §4.1.2". */
  rfc: string;
}

export interface DecodedField {
  name: string;
  /** Byte offset from the start of the frame. */
  offset: number;
  /** The value as it is on the wire: a number, or text for addresses and byte strings. */
  raw: number | string;
  /** The raw value as printed (0x16, 100, 239.1.1.1). */
  rawText: string;
  /** What the value means. */
  meaning: string;
}

export interface DecodedLayer {
  protocol: 'ethernet' | 'ipv4' | 'ipv6' | 'igmp' | 'mld' | 'pim' | 'mrd' | 'record';
  /** "IGMPv2 Membership Report", "Group Record 1 of 2", … */
  title: string;
  offset: number;
  fields: DecodedField[];
  /** IGMPv3 / MLDv2 group records, PIM Hello options. */
  parts: DecodedLayer[];
}

/** How a field prints its raw value. */
export type RawFormat = 'dec' | 'hex8' | 'hex16' | 'hex32' | 'text';

export function formatRaw(raw: number | string, format: RawFormat): string {
  if (typeof raw === 'string' || format === 'text') return String(raw);
  switch (format) {
    case 'dec': return String(raw);
    case 'hex8': return `0x${raw.toString(16).padStart(2, '0')}`;
    case 'hex16': return `0x${raw.toString(16).padStart(4, '0')}`;
    case 'hex32': return `0x${raw.toString(16).padStart(8, '0')}`;
  }
}

type Finder<C> = (c: C) => Omit<Finding, 'field'> | null;

/** One row of a protocol's field table. */
export interface FieldSpec<C> {
  name: string | ((c: C) => string);
  /** Offset from the start of the layer. */
  offset: number | ((c: C) => number);
  /** Only for some messages (e.g. the IGMPv3 query fields). Default: always. */
  when?: (c: C) => boolean;
  raw: (c: C) => number | string;
  format: RawFormat;
  meaning: (c: C) => string;
  /** What is wrong with this field, if anything. */
  check?: Finder<C> | Finder<C>[];
}

/** The rows of `table` that apply to `c`, as decoded fields; their findings are appended to `findings`. */
export function applyTable<C>(table: readonly FieldSpec<C>[], c: C, layerOffset: number, findings: Finding[]): DecodedField[] {
  const out: DecodedField[] = [];
  for (const spec of table) {
    if (spec.when && !spec.when(c)) continue;
    const name = typeof spec.name === 'string' ? spec.name : spec.name(c);
    const raw = spec.raw(c);
    out.push({
      name,
      offset: layerOffset + (typeof spec.offset === 'number' ? spec.offset : spec.offset(c)),
      raw,
      rawText: formatRaw(raw, spec.format),
      meaning: spec.meaning(c),
    });
    const checks = spec.check === undefined ? [] : Array.isArray(spec.check) ? spec.check : [spec.check];
    for (const check of checks) {
      const f = check(c);
      if (f) findings.push({ ...f, field: name });
    }
  }
  return out;
}

export function layer(protocol: DecodedLayer['protocol'], title: string, offset: number, fields: DecodedField[],
  parts: DecodedLayer[] = []): DecodedLayer {
  return { protocol, title, offset, fields, parts };
}

/** IP facts the message tables check against (destination rules, TTL, Router Alert). */
export interface IpFacts {
  family: 4 | 6;
  src: string;
  dst: string;
  /** TTL (IPv4) or Hop Limit (IPv6). */
  ttl: number;
  routerAlert: boolean;
}

/** "correct" or "WRONG, should be 0x…", for checksum rows. */
export function checksumMeaning(ok: boolean, expected: number, what: string): string {
  return ok ? `correct (${what})` : `WRONG: should be ${formatRaw(expected, 'hex16')} (${what})`;
}

/** Seconds from tenths of a second, as "10.0 s". */
export function tenths(ds: number): string {
  return `${(ds / 10).toFixed(1)} s`;
}

/** Shown for a time in milliseconds: "10.0 s" / "250 ms". */
export function millis(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 100 === 0 ? 1 : 3)} s` : `${ms} ms`;
}

/** The TTL / Hop Limit and Router Alert rules of a protocol, checked against the IP header. */
export interface IpRules {
  /** Where "sent with TTL 1" is written, e.g. "RFC 3376 §4". */
  ttlRfc: string;
  /** Where the Router Alert option is required; null: not required (IGMPv1, PIM). */
  routerAlertRfc: string | null;
  /** discard when the RFC tells receivers to drop such messages (MLDv2), else violation. */
  level: 'discard' | 'violation';
}

export function checkIpRules(ip: IpFacts, rules: IpRules, findings: Finding[]): void {
  const ttlName = ip.family === 4 ? 'TTL' : 'Hop Limit';
  if (ip.ttl !== 1) {
    findings.push({ level: rules.level, field: ttlName, rfc: rules.ttlRfc,
      text: `${ttlName} ${ip.ttl}: these messages are sent with ${ttlName} 1 and never leave the link` +
        (rules.level === 'discard' ? '; receivers drop others' : '; a higher value suggests a forged or routed message') });
  }
  if (rules.routerAlertRfc !== null && !ip.routerAlert) {
    findings.push({ level: rules.level, field: 'Router Alert', rfc: rules.routerAlertRfc,
      text: `no ${ip.family === 4 ? 'IP Router Alert option (RFC 2113)' : 'Hop-by-Hop Router Alert option (RFC 2711)'}: the sender must include it` +
        (rules.level === 'discard' ? '; receivers drop messages without it' : '; routers that insist on it ignore this message') });
  }
}
