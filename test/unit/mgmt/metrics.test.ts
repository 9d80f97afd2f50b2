import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { parseConfig } from '../../../src/config/index.js';
import {
  escapeLabelValue, renderFamilies, renderMetrics, snapshotFamilies, startMetricsServer, type MetricsServer, type MetricsSnapshot,
} from '../../../src/mgmt/metrics.js';

const SNAPSHOT: MetricsSnapshot = {
  ports: [
    { name: 'p1', up: true, rxFrames: 10, rxBytes: 1_000, txFrames: 20, txBytes: 2_000n ** 2n,
      drops: { truncated: 1, no_egress: 3 }, groups: 2, router: true },
    { name: 'p2', up: false, rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, drops: {}, groups: 0, router: false },
  ],
  igmp: [
    { direction: 'rx', type: 'report', version: 3, count: 7 },
    { direction: 'rx', type: 'leave', version: 2, count: 1 },
    { direction: 'tx', type: 'query', version: 3, count: 4 },
  ],
  querier: { state: 'other', address: '10.0.0.1', port: 'p1', version: 3 },
  engineRejects: { igmp: { bad_checksum: 2, rate_limited: 5 }, mld: { hop_limit: 3, bad_checksum: 0 } },
  mdbEntries: 2,
  version: '0.1.0',
};

describe('rendering', () => {
  const text = renderMetrics(SNAPSHOT);

  it('per-port counters with HELP and TYPE', () => {
    expect(text).toContain('# HELP igmpswitch_port_rx_frames_total Frames received on the port.\n' +
      '# TYPE igmpswitch_port_rx_frames_total counter\n' +
      'igmpswitch_port_rx_frames_total{port="p1"} 10\n' +
      'igmpswitch_port_rx_frames_total{port="p2"} 0\n');
    expect(text).toContain('igmpswitch_port_tx_bytes_total{port="p1"} 4000000\n');
    expect(text).toContain('igmpswitch_port_up{port="p2"} 0\n');
  });

  it('drops by reason, sorted, per port', () => {
    expect(text).toContain('# TYPE igmpswitch_port_drops_total counter\n' +
      'igmpswitch_port_drops_total{port="p1",reason="no_egress"} 3\n' +
      'igmpswitch_port_drops_total{port="p1",reason="truncated"} 1\n');
  });

  it('IGMP messages by direction, type and version; groups, router ports, querier, rejects', () => {
    expect(text).toContain('igmpswitch_igmp_messages_total{direction="rx",type="report",version="3"} 7\n');
    expect(text).toContain('igmpswitch_igmp_messages_total{direction="tx",type="query",version="3"} 4\n');
    expect(text).toContain('igmpswitch_port_groups{port="p1"} 2\n');
    expect(text).toContain('igmpswitch_port_router{port="p1"} 1\n');
    expect(text).toContain('igmpswitch_router_ports 1\n');
    expect(text).toContain('igmpswitch_querier_state{state="self"} 0\nigmpswitch_querier_state{state="other"} 1\n' +
      'igmpswitch_querier_state{state="none"} 0\n');
    expect(text).toContain('igmpswitch_querier_info{address="10.0.0.1",port="p1",version="3"} 1\n');
    expect(text).toContain('igmpswitch_engine_rejects_total{family="igmp",reason="rate_limited"} 5\n');
    expect(text).toContain('igmpswitch_mdb_entries 2\n');
    expect(text).toContain('igmpswitch_build_info{version="0.1.0"} 1\n');
    expect(text).not.toContain('igmpswitch_fdb_entries');
  });

  it('engine rejects per family (igmp, mld) and reason: the name operators have, with a family label', () => {
    expect(text).toContain('# HELP igmpswitch_engine_rejects_total Control messages the snooping engine refused, by family (igmp, mld) and reason.\n' +
      '# TYPE igmpswitch_engine_rejects_total counter\n' +
      'igmpswitch_engine_rejects_total{family="igmp",reason="bad_checksum"} 2\n' +
      'igmpswitch_engine_rejects_total{family="igmp",reason="rate_limited"} 5\n' +
      'igmpswitch_engine_rejects_total{family="mld",reason="bad_checksum"} 0\n' +
      'igmpswitch_engine_rejects_total{family="mld",reason="hop_limit"} 3\n');
    expect(text).not.toMatch(/igmpswitch_engine_rejects_total\{reason=/);
  });

  it('docs/metrics.md lists every metric family rendered', () => {
    const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    const full: MetricsSnapshot = {
      ...SNAPSHOT, fdbEntries: 1, uptimeSeconds: 1, mld: [], families: { igmp: { groups: 0, memberships: 0 }, mld: { groups: 0, memberships: 0 } },
      mldQuerier: { state: 'none', address: null, port: null, version: null },
    };
    for (const f of snapshotFamilies(full)) expect(doc, f.name).toContain(`\`${f.name}\``);
  });

  it('every family has HELP then TYPE, every sample line parses', () => {
    const lines = text.trimEnd().split('\n');
    const typed = new Set<string>();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith('# HELP ')) {
        const name = line.split(' ')[2]!;
        expect(lines[i + 1]).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge)$`));
        expect(typed.has(name)).toBe(false);
        typed.add(name);
      } else if (!line.startsWith('# TYPE ')) {
        expect(line).toMatch(/^[a-z_:][a-z0-9_:]*(\{([a-z_]+="([^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/);
        expect(typed.has(line.split(/[{ ]/)[0]!)).toBe(true);
      }
    }
    expect(text.endsWith('\n')).toBe(true);
  });

  it('escapes label values and HELP text', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const out = renderFamilies([{ name: 'x_total', help: 'line one\nback\\slash', type: 'counter',
      samples: [{ labels: { port: 'we"ird\\na\nme' }, value: Number.NaN }, { value: Infinity }] }]);
    expect(out).toBe('# HELP x_total line one\\nback\\\\slash\n# TYPE x_total counter\n' +
      'x_total{port="we\\"ird\\\\na\\nme"} NaN\nx_total +Inf\n');
    expect(() => renderFamilies([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow();
    expect(() => renderFamilies([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }]))
      .toThrow();
  });

  it('no querier: no info sample', () => {
    const none = renderMetrics({ ...SNAPSHOT, querier: { state: 'none', address: null, port: null, version: null } });
    expect(none).toContain('igmpswitch_querier_state{state="none"} 1\n');
    expect(none).not.toMatch(/^igmpswitch_querier_info\{/m);
  });
});

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('server', () => {
  let server: MetricsServer | null = null;
  afterEach(async () => { await server?.close(); server = null; });

  it('binds 127.0.0.1 by default and answers /metrics', async () => {
    const { config } = parseConfig('ports: [a, b]\nmetrics: { enabled: true }\n', '/tmp/t.yaml');
    expect(config.metrics.listen).toEqual({ host: '127.0.0.1', port: 9464 });
    let scrapes = 0;
    // Port 0 instead of 9464 so the test never collides with a running daemon; the host is the configured one.
    server = await startMetricsServer({ host: config.metrics.listen.host, port: 0 }, () => {
      scrapes++;
      return SNAPSHOT;
    });
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    const res = await get(server.port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toBe(renderMetrics(SNAPSHOT));
    expect(scrapes).toBe(1);
    expect((await get(server.port, '/metrics?x=1')).status).toBe(200);
    expect(scrapes).toBe(2);
  });

  it('serves /metrics only', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => SNAPSHOT);
    expect((await get(server.port, '/')).status).toBe(404);
    expect((await get(server.port, '/metricsx')).status).toBe(404);
    expect((await get(server.port, '/metrics', 'POST')).status).toBe(405);
    const head = await get(server.port, '/metrics', 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it('answers 500 when collect() fails, and keeps serving', async () => {
    let fail = true;
    server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, async () => {
      if (fail) throw new Error('worker gone');
      return SNAPSHOT;
    });
    expect((await get(server.port, '/metrics')).status).toBe(500);
    fail = false;
    expect((await get(server.port, '/metrics')).status).toBe(200);
  });

  it('rejects when the address cannot be bound', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => SNAPSHOT);
    await expect(startMetricsServer({ host: '127.0.0.1', port: server.port }, () => SNAPSHOT))
      .rejects.toThrow(/EADDRINUSE/);
  });
});
