// One test per kind of configuration mistake: each message names file, line, column and key path,
// what was expected and what was found.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { FILE, expectProblem, failing } from './helpers.js';

const BASE = 'ports: [p1, p2]\n';

describe('unknown keys are rejected at every level', () => {
  it.each([
    ['top level', 'ports: [p1, p2]\nsnoping:\n  enabled: true\n', 2, 1, 'snoping', 'did you mean "snooping"?'],
    ['snooping', `${BASE}snooping:\n  robustnes: 3\n`, 3, 3, 'snooping.robustnes', 'did you mean "robustness"?'],
    ['snooping.querier', `${BASE}snooping:\n  querier:\n    adress: 10.0.0.1\n`, 4, 5, 'snooping.querier.adress',
      'did you mean "address"?'],
    ['a port mapping', 'ports:\n  - p1\n  - name: p2\n    fastLeave: true\n', 4, 5, 'ports[1].fastLeave',
      'did you mean "fast_leave"?'],
    ['a static group', `${BASE}snooping:\n  static_groups:\n    - port: p1\n      group: 239.1.1.1\n      vid: 5\n`,
      6, 7, 'snooping.static_groups[0].vid', 'found unknown key "vid"'],
    ['dataplane', `${BASE}dataplane:\n  batch_size: 32\n`, 3, 3, 'dataplane.batch_size', 'expected one of the keys batch,'],
    ['management', `${BASE}management:\n  path: /tmp/x\n`, 3, 3, 'management.path', 'socket, socket_mode'],
    ['metrics', `${BASE}metrics:\n  port: 9000\n`, 3, 3, 'metrics.port', 'enabled, listen'],
    ['logging', `${BASE}logging:\n  levle: debug\n`, 3, 3, 'logging.levle', 'did you mean "level"?'],
    ['state', `${BASE}state:\n  path: /tmp/s.json\n`, 3, 3, 'state.path', 'found unknown key "path"'],
  ])('%s', (_level, text, line, col, keyPath, says) => {
    expectProblem(text, { line, col, keyPath, says: ['expected one of the keys', `found unknown key`, says] });
  });
});

describe('values', () => {
  it('wrong type', () => {
    expectProblem(`${BASE}snooping:\n  querier:\n    enabled: yes\n`, {
      line: 4, col: 14, keyPath: 'snooping.querier.enabled', says: ['expected boolean', 'found "yes"'],
    });
    expectProblem(`${BASE}dataplane:\n  batch: 1000\n`, {
      line: 3, col: 10, keyPath: 'dataplane.batch', says: ['expected integer 1..256', 'found 1000'],
    });
    expectProblem(`${BASE}snooping:\n  robustness: 2.5\n`, {
      line: 3, col: 15, keyPath: 'snooping.robustness', says: ['expected integer 1..7', 'found 2.5'],
    });
    expectProblem(`${BASE}snooping:\n  unregistered: all\n`, {
      line: 3, col: 17, keyPath: 'snooping.unregistered', says: ['expected one of routers | flood | drop', 'found "all"'],
    });
  });

  it('bad duration', () => {
    expectProblem(`${BASE}snooping:\n  query_interval: 10 seconds\n`, {
      line: 3, col: 19, keyPath: 'snooping.query_interval',
      says: ['expected duration', '"500ms"', 'found "10 seconds"'],
    });
    expectProblem(`${BASE}snooping:\n  last_member_query_interval: -1\n`, {
      line: 3, col: 31, keyPath: 'snooping.last_member_query_interval', says: ['expected duration', 'found -1'],
    });
    expectProblem(`${BASE}snooping:\n  query_response_interval: 50ms\n`, {
      line: 3, col: 28, keyPath: 'snooping.query_response_interval',
      says: ['expected duration 100ms..3174.4s', 'found "50ms"'],
    });
  });

  it('bad address', () => {
    expectProblem(`${BASE}snooping:\n  querier:\n    enabled: true\n    address: 10.0.0.256\n`, {
      line: 5, col: 14, keyPath: 'snooping.querier.address', says: ['expected IPv4 address', 'found "10.0.0.256"'],
    });
    expectProblem(`${BASE}metrics:\n  listen: localhost:9464\n`, {
      line: 3, col: 11, keyPath: 'metrics.listen', says: ['expected host:port', 'found "localhost:9464"'],
    });
  });

  it('non-multicast or link-local static group, bad source', () => {
    const sg = (group: string, extra = '') =>
      `${BASE}snooping:\n  static_groups:\n    - port: p1\n      group: ${group}\n${extra}`;
    expectProblem(sg('10.1.1.1'), {
      line: 5, col: 14, keyPath: 'snooping.static_groups[0].group',
      says: ['expected IPv4 multicast group in 224.0.0.0/4', 'found "10.1.1.1"'],
    });
    expectProblem(sg('224.0.0.251'), {
      line: 5, col: 14, keyPath: 'snooping.static_groups[0].group', says: ['outside 224.0.0.0/24', 'found "224.0.0.251"'],
    });
    expectProblem(sg('239.1.1.1', '      source: 239.1.1.1\n'), {
      line: 6, col: 15, keyPath: 'snooping.static_groups[0].source',
      says: ['expected IPv4 unicast address', 'found "239.1.1.1"'],
    });
  });

  it('duplicate port', () => {
    expectProblem('ports:\n  - p1\n  - p2\n  - name: p1\n    trusted: true\n', {
      line: 4, col: 11, keyPath: 'ports[2].name', says: ['expected each interface once', 'ports[0]', 'found "p1"'],
    });
  });

  it('invalid interface name (written as a plain string)', () => {
    expectProblem('ports:\n  - p1\n  - this-name-is-too-long\n', {
      line: 3, col: 5, keyPath: 'ports[1]', says: ['expected interface name (1 to 15 bytes', 'found "this-name-is-too-long"'],
    });
  });

  it('fewer than 2 ports, or none', () => {
    expectProblem('ports: [p1]\n', {
      line: 1, col: 8, keyPath: 'ports', says: ['expected list of 2..64 ports', 'found a list of 1 entry'],
    });
    expectProblem('snooping:\n  enabled: true\n', {
      line: 1, col: 1, keyPath: 'ports', says: ['expected list of 2..64 ports', 'found nothing (the key is missing)'],
    });
  });

  it('more than 64 ports', () => {
    const names = Array.from({ length: 65 }, (_, i) => `p${i}`);
    expectProblem(`ports: [${names.join(', ')}]\n`, {
      line: 1, col: 8, keyPath: 'ports', says: ['expected list of 2..64 ports', 'found a list of 65 entries'],
    });
  });

  it('static group on an unknown port', () => {
    expectProblem(`${BASE}snooping:\n  static_groups:\n    - { port: p3, group: 239.1.1.1 }\n`, {
      line: 4, col: 15, keyPath: 'snooping.static_groups[0].port',
      says: ['expected one of the listed ports (p1, p2)', 'found "p3"'],
    });
  });

  it('QRI ≥ QI (RFC 3376 §8.3) and LMQI > QI', () => {
    expectProblem(`${BASE}snooping:\n  query_interval: 10s\n  query_response_interval: 10s\n`, {
      line: 4, col: 28, keyPath: 'snooping.query_response_interval',
      says: ['expected less than query_interval (10s)', 'RFC 3376 §8.3', 'found 10s'],
    });
    expectProblem(`${BASE}snooping:\n  query_interval: 20s\n  query_response_interval: 5s\n  last_member_query_interval: 30\n`, {
      line: 5, col: 31, keyPath: 'snooping.last_member_query_interval',
      says: ['expected at most query_interval (20s)', 'found 30s'],
    });
  });

  it('issue 11.7: adoption bounds min ≤ max; own querier address outside 0/8 and 127/8', () => {
    expectProblem(`${BASE}snooping:\n  adopt_robustness_min: 5\n`, {
      line: 3, col: 25, keyPath: 'snooping.adopt_robustness_min', says: ['expected at most adopt_robustness_max (4)', 'found 5'],
    });
    expectProblem(`${BASE}snooping:\n  adopt_query_interval_max: 5s\n`, {
      line: 3, col: 3, keyPath: 'snooping.adopt_query_interval_min', says: ['expected at most adopt_query_interval_max (5s)', 'found 10s (the default)'],
    });
    expectProblem(`${BASE}snooping:\n  querier:\n    address: 127.0.0.1\n`, {
      line: 4, col: 14, keyPath: 'snooping.querier.address', says: ['expected IPv4 address', 'found "127.0.0.1"'],
    });
  });

  it('a cross-field rule failing on a default value says so', () => {
    expectProblem(`${BASE}snooping:\n  query_interval: 5s\n`, {
      line: 3, col: 3, keyPath: 'snooping.query_response_interval',
      says: ['expected less than query_interval (5s)', 'found 10s (the default)'],
    });
  });

  it('IGMPv2 querier with a response interval that does not fit Max Resp Time', () => {
    expectProblem(`${BASE}snooping:\n  query_response_interval: 30s\n  querier: { enabled: true, version: 2 }\n`, {
      line: 3, col: 28, keyPath: 'snooping.query_response_interval', says: ['at most 25.5s', 'found 30s'],
    });
  });

  it('socket mode written unquoted', () => {
    expectProblem(`${BASE}management:\n  socket_mode: 0600\n`, {
      line: 3, col: 16, keyPath: 'management.socket_mode', says: ['expected octal mode string', 'found 600'],
    });
  });

  it('not a mapping at all', () => {
    expectProblem('', { line: 1, col: 1, keyPath: '', says: ['expected mapping', 'found an empty value'] });
    expectProblem('- p1\n- p2\n', { line: 1, col: 1, keyPath: '', says: ['expected mapping', 'found a list of 2 entries'] });
  });

  it('lists every problem, in file order', () => {
    const err = failing('ports: [p1, p2]\nsnooping:\n  robustness: 0\n  unregistered: none\nlogging:\n  level: loud\n');
    expect(err.problems.map((p) => [p.line, p.keyPath])).toEqual([
      [3, 'snooping.robustness'], [4, 'snooping.unregistered'], [6, 'logging.level'],
    ]);
    expect(err.message.split('\n')).toHaveLength(3);
  });
});

describe('YAML', () => {
  it('syntax error with line and column', () => {
    const err = failing('ports: [p1, p2]\nsnooping:\n  querier: { enabled: true\n');
    expect(err.problems[0]).toMatchObject({ file: FILE, severity: 'error' });
    expect(err.problems[0]!.line).toBeGreaterThanOrEqual(3);
    expect(err.message).toMatch(new RegExp(`^${FILE.replace(/\//g, '\\/')}:\\d+:\\d+: YAML syntax: `));
  });

  it('bad indentation', () => {
    const err = failing('ports:\n  - p1\n  - p2\nsnooping:\n  enabled: true\n   robustness: 3\n');
    expect(err.message).toMatch(/test\.yaml:\d+:\d+: YAML syntax: /);
    expect(err.problems[0]!.line).toBe(5);
  });

  it('tab indentation', () => {
    expectProblem('ports: [p1, p2]\n\tlogging: x\n', { line: 2, col: 1, keyPath: '', says: ['YAML syntax', 'Tabs'] });
  });

  it('duplicate key', () => {
    expectProblem('ports: [p1, p2]\nlogging: { level: info }\nlogging: { level: debug }\n', {
      line: 3, col: 1, keyPath: '', says: ['YAML syntax', 'unique'],
    });
  });

  it('unreadable file', () => {
    expect(() => loadConfig('/nonexistent/igmpswitch.yaml')).toThrow(
      /^\/nonexistent\/igmpswitch\.yaml: cannot read the configuration file: no such file$/);
  });
});
