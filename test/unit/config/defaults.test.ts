import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assignPortIndices, loadConfig, parseConfig, toEngineConfig, toWorkerParams,
} from '../../../src/config/index.js';
import { defaultPortConfig, defaultSnoopingConfig } from '../../../src/config/translate.js';
import { FILE } from './helpers.js';

const parse = (text: string) => parseConfig(text, FILE).config;
const indices = (names: readonly { name: string }[]) => assignPortIndices(null, names.map((p) => p.name));

describe('defaults', () => {
  it('two plain ports give exactly the engine defaults', () => {
    const config = parse('ports: [p1, p2]\n');
    const engine = toEngineConfig(config, indices(config.ports));
    // max_groups 0 = no membership limit; the MDB budget is dataplane.mdb_capacity entries.
    expect(engine.snooping).toEqual({ ...defaultSnoopingConfig(), mdbCapacity: 131_072 });
    expect(engine.ports).toEqual([defaultPortConfig(0, 'p1'), defaultPortConfig(1, 'p2')]);
  });

  it('empty sections and empty derived keys mean defaults', () => {
    const config = parse('ports: [p1, p2]\nsnooping:\n  group_membership_interval:\n  querier:\n  static_groups:\n' +
      'dataplane:\nmanagement:\nmetrics:\nlogging:\nstate:\n');
    expect(toEngineConfig(config, indices(config.ports)).snooping).toEqual({ ...defaultSnoopingConfig(), mdbCapacity: 131_072 });
    expect(config.dataplane).toEqual({ batch: 64, fdb_capacity: 16_384, mdb_capacity: 131_072, fdb_aging: 300_000,
      cpu: null, io: 'auto', rx_ring: true, busy_poll_us: 0 });
    expect(config.metrics).toEqual({ enabled: false, listen: { host: '127.0.0.1', port: 9464 } });
    expect(config.logging).toEqual({ level: 'info', format: 'json' });
    expect(config.management).toEqual({ socket: '/run/igmpswitch/igmpswitch.sock', socket_mode: 0o600 });
    // state: with nothing under it, the default file; `file:` with nothing disables persistence.
    expect(config.state.file).toBe('/var/lib/igmpswitch/state.json');
    expect(parse('ports: [p1, p2]\nstate:\n  file:\n').state.file).toBeNull();
  });

  it('robustness 3 changes every derived timer and count (RFC 3376 §8)', () => {
    const { snooping } = toEngineConfig(parse('ports: [a, b]\nsnooping:\n  robustness: 3\n'), new Map([['a', 0], ['b', 1]]));
    expect(snooping).toMatchObject({
      robustness: 3,
      groupMembershipIntervalMs: 3 * 125_000 + 10_000,
      otherQuerierPresentIntervalMs: 3 * 125_000 + 5_000,
      olderHostPresentIntervalMs: 385_000,
      routerTimeoutMs: 380_000,
      startupQueryIntervalMs: 31_250,
      startupQueryCount: 3,
      lastMemberQueryCount: 3,
      lastMemberQueryIntervalMs: 1_000,
      startupFloodMs: 10_000,
    });
  });

  it('derived timers follow query_interval and query_response_interval', () => {
    const s = parse('ports: [a, b]\nsnooping:\n  query_interval: 60\n  query_response_interval: 5s\n').snooping;
    expect(s.group_membership_interval).toBe(125_000);
    expect(s.other_querier_present_interval).toBe(122_500);
    expect(s.startup_query_interval).toBe(15_000);
    expect(s.router_timeout).toBe(122_500);
    expect(s.startup_flood).toBe(5_000);
  });

  it('explicit values win over derived ones', () => {
    const s = parse('ports: [a, b]\nsnooping:\n  robustness: 4\n  group_membership_interval: 2m\n' +
      '  router_timeout: 90s\n  last_member_query_count: 1\n  startup_flood: 0\n').snooping;
    expect(s.group_membership_interval).toBe(120_000);
    expect(s.router_timeout).toBe(90_000);
    expect(s.other_querier_present_interval).toBe(4 * 125_000 + 5_000);
    expect(s.last_member_query_count).toBe(1);
    expect(s.startup_query_count).toBe(4);
    expect(s.startup_flood).toBe(0);
  });

  it('durations: seconds, fractions and units', () => {
    const s = parse('ports: [a, b]\nsnooping:\n  query_interval: 1m30s\n  query_response_interval: 2.5\n' +
      '  last_member_query_interval: 500ms\n').snooping;
    expect([s.query_interval, s.query_response_interval, s.last_member_query_interval]).toEqual([90_000, 2_500, 500]);
  });

  it('port entries: strings and mappings, per-port options to the engine', () => {
    const config = parse('ports:\n  - p1\n  - name: p2\n    router: static\n    fast_leave: true\n    flood_all: true\n' +
      '    flood_reports: true\n    flood_unregistered: false\n    max_groups: 10\n    trusted: true\n');
    const { ports } = toEngineConfig(config, new Map([['p1', 5], ['p2', 7]]));
    expect(ports[0]).toEqual(defaultPortConfig(5, 'p1'));
    expect(ports[1]).toEqual({ index: 7, name: 'p2', router: 'static', fastLeave: true, floodAll: true,
      floodReports: true, floodUnregistered: false, maxGroups: 10, trusted: true });
  });

  it('static groups and querier reach the engine with port indices', () => {
    const config = parse('ports: [p1, p2]\nsnooping:\n  querier: { enabled: true, address: 10.0.0.1, version: 2 }\n' +
      '  static_groups:\n    - { port: p2, group: 239.1.1.1 }\n    - { port: p2, group: 232.1.1.1, source: 10.9.9.9, vlan: 10 }\n');
    const { snooping } = toEngineConfig(config, new Map([['p1', 0], ['p2', 1]]));
    expect(snooping.querier).toEqual({ enabled: true, address: '10.0.0.1', version: 2 });
    expect(snooping.staticGroups).toEqual([
      { port: 1, vlan: 0, group: '239.1.1.1', source: null },
      { port: 1, vlan: 10, group: '232.1.1.1', source: '10.9.9.9' },
    ]);
  });

  it('worker parameters', () => {
    const config = parse('ports: [p1, p2]\ndataplane: { batch: 32, fdb_aging: 10m, cpu: 1 }\n');
    expect(toWorkerParams(config, new Map([['p1', 0], ['p2', 1]]))).toEqual({
      maxBatch: 32, fdbCapacity: 16_384, mdbCapacity: 131_072, fdbAgingMs: 600_000, cpu: 1, io: 'auto', busyPollUs: 0, rxRing: true,
      ports: [{ index: 0, name: 'p1' }, { index: 1, name: 'p2' }],
    });
  });

  it('the result is deeply frozen', () => {
    const config = parse('ports: [p1, p2]\n');
    expect(Object.isFrozen(config.snooping.querier)).toBe(true);
    expect(Object.isFrozen(config.ports[0])).toBe(true);
  });

  it('relative paths are relative to the configuration file', () => {
    const config = parseConfig('ports: [a, b]\nmanagement: { socket: run/sw.sock }\nstate: { file: ./state.json }\n',
      '/srv/lab/switch.yaml').config;
    expect(config.management.socket).toBe('/srv/lab/run/sw.sock');
    expect(config.state.file).toBe('/srv/lab/state.json');
  });

  it('metrics listen address: exactly what is written', () => {
    expect(parse('ports: [a, b]\nmetrics: { listen: "0.0.0.0:9100" }\n').metrics.listen).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parse('ports: [a, b]\nmetrics: { listen: "[::1]:0" }\n').metrics.listen).toEqual({ host: '::1', port: 0 });
  });

  it('warnings for accepted but questionable settings', () => {
    const { warnings } = parseConfig('ports: [a, b]\nsnooping:\n  robustness: 1\n  querier_guard: true\n', FILE);
    expect(warnings.map((w) => [w.severity, w.keyPath, w.line])).toEqual([
      ['warning', 'snooping.robustness', 3],
      ['warning', 'snooping.querier_guard', 4],
    ]);
  });
});

describe('examples', () => {
  it.each(['minimal.yaml', 'igmpswitch.yaml'])('examples/%s loads without warnings', (name) => {
    const path = fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));
    const { config, warnings, source } = loadConfig(path);
    expect(warnings).toEqual([]);
    expect(source.path).toBe(path);
    expect(config.ports.length).toBeGreaterThanOrEqual(2);
    expect(() => toEngineConfig(config, assignPortIndices(null, config.ports.map((p) => p.name)))).not.toThrow();
  });

  it('loadConfig reads a file and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'igmpswitch-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'ports: [a, b]\nsnooping:\n  querier:\n    enabled: true\n    adress: 10.0.0.1\n');
    expect(() => loadConfig(file)).toThrow(`${file}:5:5: snooping.querier.adress: `);
  });
});
