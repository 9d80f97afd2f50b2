// Human output of `show`, `trace` and `reload`: pure functions from API results to text.

import type {
  Count, FdbRow, GroupRow, PortRow, QuerierView, ReloadResult, RouterRow, StatsView, TraceParams, TraceResult,
} from '../mgmt/api.js';
import { compareAddresses, formatKeyValues, formatMs, formatTable } from './table.js';

const num = (c: Count): string => String(c);
const yesNo = (b: boolean): string => (b ? 'yes' : 'no');
const vlanText = (v: number): string => (v === 0 ? '-' : String(v));

function sourcesText(g: GroupRow): string {
  if (g.sources.length === 0) return g.mode === 'exclude' ? 'any' : '-';
  return [...g.sources]
    .sort((a, b) => compareAddresses(a.address, b.address))
    .map((s) => `${s.address} ${s.blocked ? 'blocked' : formatMs(s.timerMs)}`)
    .join(', ');
}

export function renderGroups(rows: readonly GroupRow[]): string {
  if (rows.length === 0) return 'no groups\n';
  const sorted = [...rows].sort((a, b) =>
    a.vlan - b.vlan || compareAddresses(a.group, b.group) || a.port.localeCompare(b.port));
  return formatTable(sorted, [
    { header: 'VLAN', value: (g) => vlanText(g.vlan), align: 'right' },
    { header: 'GROUP', value: (g) => g.group },
    { header: 'PORT', value: (g) => g.port },
    { header: 'MODE', value: (g) => (g.static ? `${g.mode} static` : g.mode) },
    { header: 'VER', value: (g) => `v${g.version}` },
    { header: 'TIMER', value: (g) => formatMs(g.timerMs), align: 'right' },
    { header: 'SOURCES', value: sourcesText },
    { header: 'HOSTS', value: (g) => (g.hosts.length ? [...g.hosts].sort(compareAddresses).join(', ') : '-') },
  ]);
}

export function renderPorts(rows: readonly PortRow[]): string {
  if (rows.length === 0) return 'no ports\n';
  const flags = (p: PortRow): string =>
    [p.fastLeave && 'fast-leave', p.floodAll && 'flood-all', p.floodReports && 'flood-reports'].filter(Boolean).join(',') || '-';
  return formatTable([...rows].sort((a, b) => a.index - b.index), [
    { header: '#', value: (p) => String(p.index), align: 'right' },
    { header: 'NAME', value: (p) => p.name },
    { header: 'LINK', value: (p) => (p.up ? 'up' : 'down') },
    { header: 'ROUTER', value: (p) => (p.isRouter ? `yes (${p.router})` : `no (${p.router})`) },
    { header: 'FLAGS', value: flags },
    { header: 'GROUPS', value: (p) => String(p.groups), align: 'right' },
    { header: 'RX-FRAMES', value: (p) => num(p.rxFrames), align: 'right' },
    { header: 'RX-BYTES', value: (p) => num(p.rxBytes), align: 'right' },
    { header: 'TX-FRAMES', value: (p) => num(p.txFrames), align: 'right' },
    { header: 'TX-BYTES', value: (p) => num(p.txBytes), align: 'right' },
    { header: 'FILTERED', value: (p) => num(p.filtered ?? 0), align: 'right' },
    { header: 'DROPS', value: (p) => num(p.drops), align: 'right' },
  ]);
}

export function renderRouters(rows: readonly RouterRow[]): string {
  if (rows.length === 0) return 'no router ports\n';
  const sorted = [...rows].sort((a, b) => a.vlan - b.vlan || a.port.localeCompare(b.port));
  return formatTable(sorted, [
    { header: 'PORT', value: (r) => r.port },
    { header: 'VLAN', value: (r) => vlanText(r.vlan), align: 'right' },
    { header: 'LEARNED-FROM', value: (r) => r.source },
    { header: 'ADDRESS', value: (r) => r.address || '-' },
    { header: 'EXPIRES', value: (r) => (r.expiresInMs === null ? 'never' : formatMs(r.expiresInMs)), align: 'right' },
  ]);
}

export function renderQuerier(q: QuerierView): string {
  // This switch as querier has no Other Querier Present timer to show (RFC 3376 §6.6.2: it queries until it
  // hears a lower address), so no expiry.
  const elected = q.state === 'querier' ? `this switch (${q.address})`
    : q.elected ? `${q.elected.address} on ${q.elected.port} (expires in ${formatMs(q.elected.expiresInMs)})`
    : 'none';
  return formatKeyValues([
    ['state', q.state],
    ['querier', elected],
    ['own querier', q.enabled ? `enabled, ${q.address}, IGMPv${q.version}` : 'disabled'],
    ['robustness', String(q.robustness)],
    ['query interval', formatMs(q.queryIntervalMs)],
    ['multicast', `${q.mode}${q.snoopingActive ? '' : ' (not filtering)'}`],
    ['reason', q.reason],
    ...mldLines(q.mld),
  ]);
}

/** The MLD (IPv6) counterpart of the querier lines, when the daemon reports it. */
function mldLines(m: QuerierView['mld']): [string, string][] {
  if (m === undefined) return [];
  if (!m.snooping) return [['MLD snooping', 'disabled (IPv6 multicast flooded)']];
  // As for IGMP: this switch as querier first, with its address and no expiry.
  const elected = m.state === 'querier' ? `this switch (${m.address})`
    : m.elected ? `${m.elected.address} on ${m.elected.port} (expires in ${formatMs(m.elected.expiresInMs)})`
    : 'none';
  return [
    ['MLD state', m.state],
    ['MLD querier', elected],
    ['own MLD querier', m.enabled ? `enabled, ${m.address}, MLDv${m.version}` : 'disabled'],
    ['IPv6 multicast', `${m.mode}${m.snoopingActive ? '' : ' (not filtering)'}`],
    ['MLD reason', m.reason],
  ];
}

export function renderFdb(rows: readonly FdbRow[]): string {
  if (rows.length === 0) return 'no learned addresses\n';
  const sorted = [...rows].sort((a, b) => a.vlan - b.vlan || a.mac.localeCompare(b.mac));
  return formatTable(sorted, [
    { header: 'VLAN', value: (r) => vlanText(r.vlan), align: 'right' },
    { header: 'MAC', value: (r) => r.mac },
    { header: 'PORT', value: (r) => r.port },
    { header: 'AGE', value: (r) => formatMs(r.ageMs), align: 'right' },
  ]);
}

function counterSection(title: string, counters: Record<string, Count>): string {
  const keys = Object.keys(counters).sort();
  if (keys.length === 0) return `${title}: none\n`;
  return `${title}:\n` + formatKeyValues(keys.map((k) => [`  ${k}`, num(counters[k]!)]));
}

export function renderStats(s: StatsView): string {
  const parts: string[] = [];
  const names = [...new Set(s.ports.flatMap((p) => Object.keys(p.counters)))];
  if (s.ports.length > 0) {
    parts.push('Ports:\n' + formatTable(s.ports, [
      { header: 'PORT', value: (p) => p.name },
      ...names.map((n) => ({
        header: n.toUpperCase(),
        value: (p: StatsView['ports'][number]) => (p.counters[n] === undefined ? '-' : num(p.counters[n]!)),
        align: 'right' as const,
      })),
    ]));
  }
  parts.push(counterSection('Filtered by policy', s.filtered ?? {}));
  parts.push(counterSection('Dropped as bad', s.drops));
  parts.push(counterSection('Messages', s.messages));
  parts.push(counterSection('Engine', s.engine));
  if (s.dataplane) parts.push(counterSection('Data-plane thread', s.dataplane));
  return parts.join('\n');
}

export function renderTrace(p: TraceParams, t: TraceResult): string {
  const frame = `${p.src ?? 'any source'} → ${p.dst} arriving on ${p.in}${p.vlan ? ` (VLAN ${p.vlan})` : ''}`;
  const key = t.matched.key;
  const keyText = key ? ` ${key.vlan ? `VLAN ${key.vlan} ` : ''}(${key.source ?? '*'}, ${key.group})` : '';
  const lines = [
    `frame:    ${frame}`,
    `verdict:  ${t.verdict}${t.reason ? ` (${t.reason})` : ''}`,
    `matched:  ${t.matched.table}${keyText}`,
    ...(t.explanation ? [`why:      ${t.explanation}`] : []),
    '',
  ];
  const egress = t.ports.filter((x) => x.egress);
  lines.push(`sent to ${egress.length} port${egress.length === 1 ? '' : 's'}${egress.length ? ': ' + egress.map((x) => x.name).join(', ') : ''}`);
  return lines.join('\n') + '\n' + formatTable(t.ports, [
    { header: 'PORT', value: (x) => x.name },
    { header: 'GETS IT', value: (x) => yesNo(x.egress) },
    { header: 'WHY', value: (x) => x.why },
  ]);
}

export function renderReload(r: ReloadResult): string {
  const lines = r.changes.length === 0 ? ['configuration reloaded: no change applied']
    : [`configuration reloaded, ${r.changes.length} change${r.changes.length === 1 ? '' : 's'} applied:`, ...r.changes.map((c) => `  ${c}`)];
  if (r.notApplied?.length) lines.push('not applied, the old value stays until a restart:', ...r.notApplied.map((c) => `  ${c}`));
  for (const w of r.warnings ?? []) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}
