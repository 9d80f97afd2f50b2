// Issue 12 (metrics per family): igmpswitch_mld_messages_total, the MLD querier gauges and the per-family group
// gauges, beside their IGMP counterparts. Driven by the real MLD engine (the Harness with IPV6) sending and hearing queries.

import { describe, expect, it } from 'vitest';
import { mldMessageCounts } from '../../../src/daemon/management.js';
import { renderMetrics, type MetricsSnapshot } from '../../../src/mgmt/metrics.js';
import { IPV6 } from '../../../src/snooping/family.js';
import { Harness } from '../snooping/harness.js';

describe('issue 12: MLD message metrics', () => {
  it('counts own MLDv2 queries as tx, heard queries by version and reports/Done by version as rx', () => {
    const h = new Harness({ family: IPV6, querier: { enabled: true, version: 3 } });
    h.advance(1_000);
    const sent = h.sent.filter((f) => f.decoded.kind === 'mld' && f.decoded.message.type === 'query').length;
    expect(sent).toBeGreaterThan(0);
    h.query({ version: 2 }, 2, 'fe80::100'); // an MLDv1 General Query from another router
    h.query({ version: 3 }, 2, 'fe80::101');
    h.query({ version: 3 }, 2, 'fe80::102');
    const s = h.engine.stats();
    // Reports and Done: the data plane's counters (as for IGMP); queries: the engine's, which know the version.
    const counts = mldMessageCounts({ mld_query: 3, mld_v1_report: 2, mld_v2_report: 5, mld_done: 1 }, s.rx, s.tx);
    const find = (direction: string, type: string, version: number) =>
      counts.find((c) => c.direction === direction && c.type === type && c.version === version)?.count;
    expect(find('tx', 'query', 2)).toBe(sent);
    expect(find('tx', 'query', 1)).toBe(0);
    expect(find('rx', 'query', 1)).toBe(1);
    expect(find('rx', 'query', 2)).toBe(2);
    expect(find('rx', 'report', 1)).toBe(2);
    expect(find('rx', 'report', 2)).toBe(5);
    expect(find('rx', 'done', 1)).toBe(1);

    const snapshot: MetricsSnapshot = {
      ports: [], igmp: [], querier: { state: 'none', address: null, port: null, version: null }, engineRejects: { igmp: {}, mld: {} },
      mld: counts, mldQuerier: { state: 'other', address: 'fe80::100', port: 'swp2', version: 1 },
      families: { igmp: { groups: 3, memberships: 4 }, mld: { groups: 5, memberships: 6 } },
    };
    const text = renderMetrics(snapshot);
    expect(text).toContain(`igmpswitch_mld_messages_total{direction="tx",type="query",version="2"} ${sent}\n`);
    expect(text).toContain('igmpswitch_mld_messages_total{direction="rx",type="report",version="2"} 5\n');
    expect(text).toContain('igmpswitch_mld_messages_total{direction="rx",type="done",version="1"} 1\n');
    expect(text).toContain('igmpswitch_mld_querier_state{state="other"} 1\n');
    expect(text).toContain('igmpswitch_mld_querier_info{address="fe80::100",port="swp2",version="1"} 1\n');
    expect(text).toContain('igmpswitch_querier_state{state="none"} 1\n');
    expect(text).toContain('igmpswitch_groups{family="mld"} 5\n');
    expect(text).toContain('igmpswitch_memberships{family="igmp"} 4\n');
  });

  it('shows no MLD families when the snapshot has none (the IGMP metrics unchanged)', () => {
    const text = renderMetrics({ ports: [], igmp: [], querier: { state: 'self', address: '192.0.2.1', port: null, version: 3 }, engineRejects: { igmp: {}, mld: {} } });
    expect(text).not.toContain('igmpswitch_mld_');
    expect(text).toContain('# HELP igmpswitch_querier_state Querier state: 1 for the current one of self, other, none.\n');
    expect(text).toContain('igmpswitch_querier_info{address="192.0.2.1",port="",version="3"} 1\n');
  });
});
