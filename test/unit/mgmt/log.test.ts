import { describe, expect, it } from 'vitest';
import { createLogger, formatPretty, reconfigureLogger, SwitchEventLog } from '../../../src/mgmt/log.js';
import { diffConfig, parseConfig } from '../../../src/config/index.js';

function capture() {
  const lines: string[] = [];
  return { lines, sink: { write: (s: string) => { lines.push(s); } } };
}

describe('logging', () => {
  it('json: one object per line with structured event fields at info', () => {
    const { lines, sink } = capture();
    const events = new SwitchEventLog(createLogger({ level: 'info', format: 'json' }, sink));
    events.join({ port: 'p1', vlan: 0, group: '239.1.1.1', host: '10.0.0.5', version: 3 });
    events.routerPortLearned({ port: 'p2', via: 'query' });
    events.querierElected({ role: 'other', address: '10.0.0.1', port: 'p2', version: 3 });
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records[0]).toMatchObject({ level: 'info', event: 'join', port: 'p1', vlan: 0, group: '239.1.1.1',
      host: '10.0.0.5', version: 3, msg: 'join 239.1.1.1 on p1' });
    expect(records[1]).toMatchObject({ event: 'router-port-learned', port: 'p2', via: 'query' });
    expect(records[2]).toMatchObject({ event: 'querier-elected', msg: 'querier 10.0.0.1 on p2 (IGMPv3)' });
    expect(typeof records[0]!['time']).toBe('string');
  });

  it('honours the level, and reload changes level and format', () => {
    const { lines, sink } = capture();
    const logger = createLogger({ level: 'warn', format: 'json' }, sink);
    logger.info('hidden');
    expect(lines).toEqual([]);
    reconfigureLogger(logger, { level: 'debug', format: 'pretty' });
    logger.child({ component: 'engine' }).debug({ port: 'p1' }, 'shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+ DEBUG shown component=engine port=p1\n$/);
  });

  it('config reload: summary with the list of changes', () => {
    const { lines, sink } = capture();
    const events = new SwitchEventLog(createLogger({ level: 'info', format: 'json' }, sink));
    const a = parseConfig('ports: [a, b]\n', '/x.yaml').config;
    const b = parseConfig('ports: [a, c]\ndataplane: { batch: 8 }\n', '/x.yaml').config;
    events.configReloaded('/x.yaml', diffConfig(a, b));
    expect(JSON.parse(lines[0]!)).toMatchObject({
      event: 'config-reloaded', restartNeeded: true,
      changes: ['port b removed', 'port c added', 'dataplane.batch 64 → 8 (needs a restart)'],
    });
  });

  it('pretty: quotes values with spaces and prints error stacks below', () => {
    const line = formatPretty({ level: 50, time: 0, msg: 'failed', reason: 'two words', err: { stack: 'Error: x\n  at y' } });
    expect(line).toBe('1970-01-01T00:00:00.000Z ERROR failed reason="two words"\n  Error: x\n    at y\n');
  });
});
