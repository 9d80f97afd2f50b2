// Issue 13.4: multicast filtered on purpose (no member port, unregistered policy) is not a drop. show ports and the
// metrics keep "filtered by policy" apart from "dropped as bad".

import { describe, expect, it } from 'vitest';
import { renderPorts } from '../../../src/cli/render.js';
import { splitDrops } from '../../../src/dataplane/core.js';
import { renderMetrics } from '../../../src/mgmt/metrics.js';
import { FIXTURE } from './fake-api.js';

describe('issue 13.4: filtered by policy vs dropped as bad', () => {
  it('no_egress, unregistered_drop, same_port and reserved_l2 are policy; checksum, runt and rate limit are drops', () => {
    const { filtered, dropped } = splitDrops({
      no_egress: 40, unregistered_drop: 2, same_port: 1, reserved_l2: 3, ipv4_checksum: 5, runt: 1, report_rate_limit: 6, oversize: 0,
    });
    expect(filtered).toEqual({ no_egress: 40, unregistered_drop: 2, same_port: 1, reserved_l2: 3 });
    expect(dropped).toEqual({ ipv4_checksum: 5, runt: 1, report_rate_limit: 6 });
  });

  it('show ports has a FILTERED column next to DROPS', () => {
    const lines = renderPorts(FIXTURE.ports).split('\n');
    expect(lines[0]).toMatch(/ FILTERED {2}DROPS$/);
    expect(lines[1]).toMatch(/ 3 {6}0$/);
  });

  it('metrics: igmpswitch_port_filtered_total apart from igmpswitch_port_drops_total', () => {
    const text = renderMetrics({
      ports: [{ name: 'eth0', up: true, rxFrames: 50, rxBytes: 5000, txFrames: 0, txBytes: 0, drops: { ipv4_checksum: 2 },
        filtered: { no_egress: 40 }, groups: 0, router: false }],
      igmp: [], querier: { state: 'none', address: null, port: null, version: null }, engineRejects: { igmp: {}, mld: {} },
    });
    expect(text).toContain('igmpswitch_port_filtered_total{port="eth0",reason="no_egress"} 40\n');
    expect(text).toContain('igmpswitch_port_drops_total{port="eth0",reason="ipv4_checksum"} 2\n');
    expect(text).not.toContain('igmpswitch_port_drops_total{port="eth0",reason="no_egress"}');
  });
});
