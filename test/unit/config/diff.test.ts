import { describe, expect, it } from 'vitest';
import { describeChange, diffConfig, needsRestart, parseConfig } from '../../../src/config/index.js';
import { FILE } from './helpers.js';

const parse = (text: string) => parseConfig(text, FILE).config;

const OLD = `
ports:
  - p1
  - name: p2
    fast_leave: true
  - p3
snooping:
  querier: { enabled: false }
  static_groups:
    - { port: p1, group: 239.1.1.1 }
    - { port: p2, group: 239.1.1.2 }
`;

describe('diffConfig', () => {
  it('no change, and a port that only moved, is no change', () => {
    expect(diffConfig(parse(OLD), parse(OLD))).toEqual([]);
    const moved = OLD.replace('  - p1\n', '').replace('  - p3\n', '  - p3\n  - p1\n');
    expect(diffConfig(parse(OLD), parse(moved))).toEqual([]);
  });

  it('reports ports added, removed and changed', () => {
    const next = `
ports:
  - p1
  - name: p2
    fast_leave: false
    router: static
  - p4
snooping:
  querier: { enabled: false }
  static_groups:
    - { port: p1, group: 239.1.1.1 }
    - { port: p2, group: 239.1.1.2 }
`;
    const changes = diffConfig(parse(OLD), parse(next));
    expect(changes).toEqual([
      { kind: 'port-removed', port: 'p3', path: 'ports[p3]', restart: false },
      { kind: 'port-changed', port: 'p2', key: 'router', from: 'auto', to: 'static', path: 'ports[p2].router', restart: false },
      { kind: 'port-changed', port: 'p2', key: 'fast_leave', from: true, to: false, path: 'ports[p2].fast_leave', restart: false },
      expect.objectContaining({ kind: 'port-added', port: 'p4', path: 'ports[p4]', restart: false }),
    ]);
    expect(needsRestart(changes)).toBe(false);
  });

  it('reports timers (derived ones included), querier and static groups', () => {
    const next = OLD.replace('  querier: { enabled: false }', '  robustness: 3\n  querier: { enabled: true, address: 10.0.0.9 }')
      .replace('group: 239.1.1.2', 'group: 239.1.1.3');
    const changes = diffConfig(parse(OLD), parse(next));
    const timers = changes.filter((c) => c.kind === 'timer').map((c) => c.key);
    expect(timers).toEqual(['robustness', 'group_membership_interval', 'other_querier_present_interval',
      'startup_query_count', 'last_member_query_count', 'older_host_present_interval', 'router_timeout']);
    expect(changes.find((c) => c.kind === 'querier')).toMatchObject({
      from: { enabled: false, address: '0.0.0.0', version: 3 }, to: { enabled: true, address: '10.0.0.9', version: 3 },
    });
    expect(changes.filter((c) => c.kind.startsWith('static-group')).map(describeChange)).toEqual([
      'static group 239.1.1.2 on p2 removed',
      'static group 239.1.1.3 on p2 added',
    ]);
    expect(describeChange(changes.find((c) => c.kind === 'timer' && c.key === 'group_membership_interval')!))
      .toBe('snooping.group_membership_interval 260s → 385s');
    expect(needsRestart(changes)).toBe(false);
  });

  it('snooping policies apply live', () => {
    const changes = diffConfig(parse(OLD), parse(OLD.replace('snooping:\n', 'snooping:\n  unregistered: drop\n')));
    expect(changes).toEqual([{ kind: 'snooping', key: 'unregistered', from: 'routers', to: 'drop',
      path: 'snooping.unregistered', restart: false }]);
  });

  it('marks what needs a restart: data-plane capacities, management socket', () => {
    const next = `${OLD}dataplane: { mdb_capacity: 4096 }\nmanagement: { socket: /run/other.sock, socket_mode: "0660" }\n` +
      'metrics: { enabled: true }\nlogging: { level: debug }\n';
    const changes = diffConfig(parse(OLD), parse(next));
    expect(changes.map((c) => [c.path, c.restart])).toEqual([
      ['dataplane.mdb_capacity', true],
      ['management.socket', true],
      ['management.socket_mode', true],
      ['metrics.enabled', false],
      ['logging.level', false],
    ]);
    expect(needsRestart(changes)).toBe(true);
    expect(changes.map(describeChange)).toEqual([
      'dataplane.mdb_capacity 131072 → 4096 (needs a restart)',
      'management.socket /run/igmpswitch/igmpswitch.sock → /run/other.sock (needs a restart)',
      'management.socket_mode 0600 → 0660 (needs a restart)',
      'metrics.enabled false → true',
      'logging.level info → debug',
    ]);
  });
});
