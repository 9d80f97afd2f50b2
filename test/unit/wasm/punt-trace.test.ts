// What the worker reads after a batch (the punt list) and the side-effect-free trace.

import { describe, expect, it } from 'vitest';
import { IGMP, igmpFrame, igmpV2, l2Frame, multicastData, SELFTEST_IGMPV3 } from '../../../src/testkit/frames.js';
import { decide, newCore, ports, runBatch } from './harness.js';

describe('punt list', () => {
  it('lists the punted frames of the last batch in order, with port, VLAN, L3 offset, class and bytes', () => {
    const core = newCore();
    core.setRouterPorts(ports(2));
    const report = igmpFrame(SELFTEST_IGMPV3.IS_INC, { tags: [{ vid: 7 }] });
    const query = igmpFrame(igmpV2(IGMP.query, '0.0.0.0', 100));
    runBatch(core, [[multicastData('239.1.1.1'), 0], [report, 1], [l2Frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:05'), 3], [query, 2]]);
    expect(core.puntCount()).toBe(2);
    expect([0, 1].map((k) => core.puntFrameIndex(k))).toEqual([1, 3]);
    expect(core.puntPort(0)).toBe(1);
    expect(core.puntVlan(0)).toBe(7);
    expect(core.puntL3Offset(0)).toBe(18);
    expect(core.names.punt![core.puntClass(0)]).toBe('igmp');
    expect(core.puntForwarded(0)).toBe(true);
    expect(core.puntLength(0)).toBe(report.length);
    expect(core.puntBytes(0)).toEqual(report);
    expect(core.puntPort(1)).toBe(2);
    // A batch without punts empties the list.
    runBatch(core, [[multicastData('239.1.1.1'), 0]]);
    expect(core.puntCount()).toBe(0);
  });

  it('marks punt-only frames as not forwarded', () => {
    const core = newCore();
    decide(core, igmpFrame(SELFTEST_IGMPV3.IS_INC));
    expect(core.puntCount()).toBe(1);
    expect(core.puntForwarded(0)).toBe(false);
  });
});

describe('trace', () => {
  it('reports the deciding rule without learning, counting, queuing or taking report tokens', () => {
    const core = newCore();
    core.setRouterPorts(ports(3));
    core.setReportRate(1, 1);
    core.mdbSet(0, '239.1.1.1', null, ports(1));
    core.mdbSet(0, '239.1.1.2', '192.0.2.1', ports(2));
    const before = JSON.stringify(core.counters());
    expect(core.trace(0, multicastData('239.1.1.1'), 1000)).toMatchObject({ action: 'forward', ports: ports(1, 3), table: 'mdb-g' });
    expect(core.trace(0, multicastData('239.1.1.2'), 1000)).toMatchObject({ ports: ports(2, 3), table: 'mdb-sg' });
    expect(core.trace(0, multicastData('239.1.1.3'), 1000)).toMatchObject({ ports: ports(3), table: 'unregistered' });
    expect(core.trace(0, multicastData('224.0.0.251'), 1000)).toMatchObject({ table: 'link-local' });
    expect(core.trace(0, l2Frame('02:00:00:00:00:09', '02:00:00:00:00:0a'), 1000)).toMatchObject({ table: 'flood' });
    expect(core.trace(0, multicastData('239.1.1.1', { badChecksum: true }), 1000)).toMatchObject({ reason: 'ipv4_checksum', table: 'none' });
    for (let i = 0; i < 3; i++) {
      expect(core.trace(0, igmpFrame(SELFTEST_IGMPV3.IS_INC), 1000)).toMatchObject({ action: 'punt_and_forward', table: 'control' });
    }
    expect(JSON.stringify(core.counters())).toBe(before);
    expect(core.fdbCount()).toBe(0);
    expect(core.txList(1)).toEqual([]);
    // The bucket is still full: the first real report passes.
    expect(decide(core, igmpFrame(SELFTEST_IGMPV3.IS_INC), 0, 0, 1000)).toMatchObject({ action: 'punt_and_forward' });
    core.setPolicy('routers', 'flood');
    expect(core.trace(0, multicastData('239.1.1.1'), 1000)).toMatchObject({ table: 'flood-mode' });
  });
});
