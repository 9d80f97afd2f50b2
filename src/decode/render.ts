// Text output of `igmpswitch decode`: per message a heading, its layers as aligned rows (name, raw value, meaning),
// the findings, the verdict and, with --switch, what the switch did.

import type { DecodedLayer, Finding } from './model.js';
import type { DecodedMessage, SwitchStep } from './session.js';

const NAME_WIDTH = 28;
const RAW_WIDTH = 20;

function rows(l: DecodedLayer, indent: string): string[] {
  const out = [`${indent}${l.title}`];
  for (const f of l.fields) {
    const raw = f.rawText.length >= RAW_WIDTH ? `${f.rawText} ` : f.rawText.padEnd(RAW_WIDTH);
    out.push(`${indent}  ${f.name.padEnd(NAME_WIDTH)}${raw}${f.meaning}`);
  }
  for (const p of l.parts) out.push(...rows(p, `${indent}  `));
  return out;
}

const LABEL: Record<Finding['level'], string> = { discard: 'DISCARD', violation: 'VIOLATION', note: 'note' };

export function renderFinding(f: Finding): string {
  return `  ${LABEL[f.level]}${f.field ? ` (${f.field})` : ''}: ${f.text} [${f.rfc}]`;
}

export function renderSwitchStep(s: SwitchStep, indent = '  '): string[] {
  const out: string[] = [];
  for (const line of s.lines) out.push(`${indent}${line}`);
  return out;
}

function clock(timeMs: number): string {
  if (!Number.isFinite(timeMs)) return '--:--:--';
  const d = new Date(timeMs);
  const us = Math.round((timeMs - Math.floor(timeMs)) * 1000);
  return `${d.toISOString().slice(11, 23)}${String(us).padStart(3, '0')}`;
}

export function renderMessage(m: DecodedMessage): string {
  const where = [m.port ? `port ${m.port}` : null, m.direction === 'out' ? 'sent by the switch' : m.direction === 'in' ? 'received' : null]
    .filter(Boolean).join(', ');
  const lines = [`#${m.index}  ${clock(m.timeMs)}  +${(m.offsetMs / 1000).toFixed(3)} s${where ? `  (${where})` : ''}  ${m.summary}`];
  for (const l of m.layers) lines.push(...rows(l, '  '));
  for (const f of m.findings) lines.push(renderFinding(f));
  if (m.kind !== null) {
    const discard = m.findings.filter((f) => f.level === 'discard');
    lines.push(discard.length === 0 ? '  verdict: a receiver following the RFCs accepts it'
      : `  verdict: a receiver following the RFCs discards it (${discard.map((f) => f.rfc).join('; ')})`);
  }
  if (m.switch) {
    lines.push('  the switch:');
    lines.push(...renderSwitchStep(m.switch, '    '));
  }
  return lines.join('\n') + '\n';
}
