// The lab's pure parts: names, config generation (checked against the real config schema), group-table
// normalisation, RTT statistics, demo options, and the benchmark report.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { DEMO_IGMPSWITCH_CONFIG, parseDemoArgs } from '../../../src/lab/demo.js';
import {
  configYaml,
  deepMerge,
  generatedConfig,
  ifName,
  isForwardingLine,
  newRunTag,
  normaliseGroups,
  nsName,
  rttStats,
} from '../../../src/lab/index.js';
import { IGMPSWITCH_BENCH } from '../../../src/lab/bench-config.js';
import { renderSvg, renderTable, summarise, type BenchResults } from '../../../src/lab/bench-report.js';

describe('names', () => {
  it('run tags give unique namespace names and interface names of at most 15 characters', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = newRunTag('igs');
      expect(nsName(t, 'sw')).toMatch(new RegExp(`^igs-${process.pid}-[0-9a-z]{2}-sw$`));
      expect(ifName(t, 'p64').length).toBeLessThanOrEqual(15);
      seen.add(t.short);
    }
    expect(seen.size).toBeGreaterThan(150);
  });

  it('rejects bad prefixes, roles and over-long interface names', () => {
    expect(() => newRunTag('toolong')).toThrow(/1-4/);
    expect(() => nsName(newRunTag(), 'a/b')).toThrow(/role/);
    expect(() => ifName(newRunTag('abcd'), 'p123456')).toThrow(/15/);
  });
});

describe('switch config', () => {
  const ports = ['igs1a2b3p1', 'igs1a2b3p2', 'igs1a2b3p3'];

  it('the generated config has the ports, the socket and the state file in the run directory', () => {
    const c = generatedConfig(ports, '/tmp/x');
    expect(c).toEqual({ ports, management: { socket: '/tmp/x/igmpswitch.sock' }, state: { file: '/tmp/x/state.json' } });
  });

  it('deepMerge merges mappings, replaces lists and scalars, deletes undefined', () => {
    const m = deepMerge({ a: { b: 1, c: 2 }, l: [1, 2], s: 'x', gone: 1 }, { a: { c: 3, d: 4 }, l: [9], s: 'y', gone: undefined });
    expect(m).toEqual({ a: { b: 1, c: 3, d: 4 }, l: [9], s: 'y' });
  });

  it.each([
    ['plain', {}],
    ['demo', DEMO_IGMPSWITCH_CONFIG],
    ['bench', IGMPSWITCH_BENCH.config as Record<string, unknown>],
  ])('the %s config is valid for the daemon (src/config schema)', (_name, extra) => {
    const text = configYaml(deepMerge(generatedConfig(ports, '/tmp/x'), extra));
    const loaded = parseConfig(text, '/tmp/x/igmpswitch.yaml');
    expect(loaded.config.ports.map((p) => p.name)).toEqual(ports);
    expect(loaded.config.management.socket).toBe('/tmp/x/igmpswitch.sock');
    expect(loaded.config.state.file).toBe('/tmp/x/state.json');
  });

  it('recognises the daemon\'s ready line', () => {
    expect(isForwardingLine('{"level":30,"time":1,"msg":"forwarding","ports":3}')).toBe(true);
    expect(isForwardingLine('{"level":30,"msg":"starting"}')).toBe(false);
    expect(isForwardingLine('not json "msg":"forwarding"')).toBe(true);
  });
});

describe('group tables', () => {
  it('normalises the management API rows (src/mgmt/api.ts GroupRow)', () => {
    const rows = normaliseGroups(
      [
        { vlan: 0, group: '239.1.1.1', port: 'p2', mode: 'exclude', version: 3, timerMs: 1000, sources: [], hosts: [], static: false },
        { vlan: 10, group: '239.2.2.2', port: 'p3', mode: 'include', version: 3, timerMs: null,
          sources: [{ address: '192.0.2.10', timerMs: 5, blocked: false }, { address: '192.0.2.11', timerMs: null, blocked: true }], hosts: [], static: true },
      ],
      ['p1', 'p2', 'p3'],
    );
    expect(rows).toEqual([
      { group: '239.1.1.1', source: null, sources: [], port: 'p2', vlan: null, state: 'exclude v3' },
      { group: '239.2.2.2', source: null, sources: ['192.0.2.10', '!192.0.2.11'], port: 'p3', vlan: 10, state: 'include v3 static' },
    ]);
  });

  it('accepts { groups: [...] } with port indices', () => {
    expect(normaliseGroups({ groups: [{ grp: '239.3.3.3', ports: [0, 2] }] }, ['a', 'b', 'c']).map((r) => r.port)).toEqual(['a', 'c']);
    expect(normaliseGroups('nonsense', [])).toEqual([]);
  });
});

describe('rttStats', () => {
  it('percentiles, loss, extremes', () => {
    const s = rttStats(10, [5, 1, 2, 3, 4, 6, 7, 8, 9]);
    expect(s.received).toBe(9);
    expect(s.loss).toBeCloseTo(0.1);
    expect(s.min).toBe(1);
    expect(s.max).toBe(9);
    expect(s.p50).toBe(5);
    expect(s.p99).toBe(9);
    expect(s.avg).toBe(5);
    expect(Number.isNaN(rttStats(3, []).p50)).toBe(true);
  });
});

describe('demo options', () => {
  it('parses the CLI flags', () => {
    expect(parseDemoArgs(['--duration', '30', '--switch', 'linux-bridge', '--rate=200', '--plain'])).toEqual({
      durationS: 30, switch: 'linux-bridge', rate: 200, tty: false,
    });
    expect(parseDemoArgs(['--short'])).toEqual({ short: true });
    expect(() => parseDemoArgs(['--duration', '-1'])).toThrow(/positive/);
    expect(() => parseDemoArgs(['--switch', 'ovs'])).toThrow(/igmpswitch or linux-bridge/);
    expect(() => parseDemoArgs(['--nope'])).toThrow(/unknown option/);
  });
});

describe('bench report', () => {
  const results: BenchResults = {
    date: '2026-01-01T00:00:00.000Z',
    machine: { cpus: 2, model: 'Test CPU', kernel: '6.1', node: 'v20', loadavgStart: '0', loadavgEnd: '0' },
    options: { reps: 2, windowS: 5, loadPps: 50000, switchCpu: 1, generatorCpu: 0 },
    contenders: [
      { name: 'igmpswitch', description: 'x', offloadsOff: false },
      { name: 'linux-bridge', description: 'y', offloadsOff: false },
      { name: 'cforward', description: 'z', offloadsOff: true },
    ],
    notes: ['ovs skipped: test'],
    samples: [],
    failures: [],
    summary: [],
  };
  const add = (contender: string, rep: number, kpps: number, p99: number): void => {
    results.samples.push({ contender, rep, scenario: 'a', values: { kpps, offeredKpps: 300, leakKpps: 0, switchCpuPct: 90, cpu0Pct: 100, cpu1Pct: 95 }, extra: {} });
    results.samples.push({ contender, rep, scenario: 'e', values: { idleP50: p99 / 2, idleP99: p99, loadP50: p99, loadP99: 2 * p99, loadLoss: 0 }, extra: {} });
  };
  add('igmpswitch', 1, 250, 0.1);
  add('igmpswitch', 2, 270, 0.2);
  add('linux-bridge', 1, 400, 0.05);
  add('linux-bridge', 2, 420, 0.05);
  add('cforward', 1, 260, 0.1);
  add('cforward', 2, 280, 0.1);

  it('medians, ranges and ratios against the bridge and the ceiling', () => {
    results.summary = summarise(results);
    const row = results.summary.find((r) => r.scenario === 'a' && r.metric === 'kpps' && r.contender === 'igmpswitch')!;
    expect(row.median).toBe(260);
    expect(row.min).toBe(250);
    expect(row.max).toBe(270);
    expect(row.vsBridge).toBeCloseTo(260 / 410);
    expect(row.vsCeiling).toBeCloseTo(260 / 270);
    const lat = results.summary.find((r) => r.scenario === 'e' && r.metric === 'idleP99' && r.contender === 'igmpswitch')!;
    expect(lat.vsBridge).toBeCloseTo(0.15 / 0.05);
  });

  it('renders a table and an SVG', () => {
    const t = renderTable(results);
    expect(t).toContain('(a) 60 B multicast');
    expect(t).toContain('note: ovs skipped: test');
    expect(t).toMatch(/igmpswitch\s+260\.0\s+250\.0–270\.0\s+0\.63\s+0\.96/);
    const svg = renderSvg(results);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect /g)!.length).toBeGreaterThan(6);
  });
});
