// Issue 13.1: igmpswitch_igmp_messages_total{direction="tx",type="query"} counted the switch's own queries as 0,
// because the daemon read counter names the engine does not have. Driven by the real engine sending queries.

import { describe, expect, it } from 'vitest';
import { igmpMessageCounts } from '../../../src/daemon/management.js';
import { renderMetrics, type MetricsSnapshot } from '../../../src/mgmt/metrics.js';
import { Harness } from '../snooping/harness.js';

describe('issue 13.1: IGMP message metrics', () => {
  it('counts the queries the engine sent (general and group-specific) as tx query by version', () => {
    const h = new Harness({ querier: { enabled: true, version: 3 } });
    h.advance(1_000);
    const sent = h.sent.filter((f) => f.decoded.kind === 'igmp' && f.decoded.message.type === 'query').length;
    expect(sent).toBeGreaterThan(0);
    const counts = igmpMessageCounts({ igmp_v3_report: 4 }, h.engine.stats().tx);
    const txV3 = counts.find((c) => c.direction === 'tx' && c.type === 'query' && c.version === 3);
    expect(txV3?.count).toBe(sent);
    expect(counts.find((c) => c.direction === 'rx' && c.type === 'report' && c.version === 3)?.count).toBe(4);

    const snapshot: MetricsSnapshot = { ports: [], igmp: counts, querier: { state: 'self', address: '192.0.2.1', port: null, version: 3 }, engineRejects: { igmp: {}, mld: {} } };
    expect(renderMetrics(snapshot)).toContain(`igmpswitch_igmp_messages_total{direction="tx",type="query",version="3"} ${sent}\n`);
  });
});
