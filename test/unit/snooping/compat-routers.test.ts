// RFC 3376 §7.3.2 compatibility timers and translations; router ports (queries, PIM, MRD, static,
// never) and their timeouts.

import { describe, expect, it } from 'vitest';
import { RecordType as R } from '../../../src/wire/igmp.js';
import { Harness, ip, mask } from './harness.js';

const G = '239.1.1.1';
const OHPI = 260_000; // Older Host Present Interval = RV·QI + QRI

describe('RFC 3376 §7.3.2 Older Version Host Present', () => {
  it('IGMPv2 mode: BLOCK ignored, TO_EX{S} treated as TO_EX{}, back to v3 when the timer expires', () => {
    const h = new Harness({ config: { noQuerier: 'filter' } });
    h.v2Report(G, 1, ip(50));
    expect(h.pg(G, 1)!.compat).toBe(2);
    expect(h.events).toContainEqual({ type: 'compat', vlan: 0, group: G, port: 1, portName: 'swp1', version: 2 });
    h.record(R.CHANGE_TO_EXCLUDE_MODE, G, [ip(7)], 1, ip(51));
    expect(h.xy(G, 1)).toEqual({ mode: 'exclude', X: [], Y: [] });           // TO_EX({}), not TO_EX({7})
    h.record(R.ALLOW_NEW_SOURCES, G, [ip(8)], 1, ip(51));
    h.record(R.BLOCK_OLD_SOURCES, G, [ip(8)], 1, ip(51));
    expect(h.engine.stats().rejects['compat-ignored']).toBe(1);
    expect(h.pg(G, 1)!.sources.find((s) => s.address === ip(8))!.timerMs).toBe(260_000); // BLOCK did not query/lower

    h.advance(OHPI - 1);
    h.record(R.MODE_IS_EXCLUDE, G, [], 1, ip(51));                            // keep the group alive (v3 host)
    expect(h.pg(G, 1)!.compat).toBe(2);
    h.advance(1);
    expect(h.pg(G, 1)!.compat).toBe(3);
    expect(h.events.filter((e) => e.type === 'compat').map((e) => e.type === 'compat' && e.version)).toEqual([2, 3]);
    // sources honoured again: EXCLUDE (X,Y) + TO_EX (A): (A−X−Y) = Group Timer, Delete (X−A), Send Q(G,A−Y);
    // no querier anywhere, so Q(G,{7}) only lowers 7's timer to LMQT, after which 7 is excluded (Y).
    h.record(R.CHANGE_TO_EXCLUDE_MODE, G, [ip(7)], 1, ip(51));
    expect(h.pg(G, 1)!.sources.map((s) => [s.address, s.timerMs])).toEqual([[ip(7), 2_000]]);
    h.advance(2_000);
    expect(h.xy(G, 1)).toEqual({ mode: 'exclude', X: [], Y: [ip(7)] });
  });

  it('IGMPv1 mode: leaves and TO_IN are ignored; v1 timer expiry falls back to v2 while a v2 host is present', () => {
    const h = new Harness({ config: { noQuerier: 'filter' } });
    h.v2Report(G, 1, ip(60));
    h.advance(100_000);
    h.v1Report(G, 1, ip(61));
    expect(h.pg(G, 1)!.compat).toBe(1);
    h.leave(G, 1, ip(60));
    h.record(R.CHANGE_TO_INCLUDE_MODE, G, [], 1, ip(62));
    expect(h.engine.stats().rejects['compat-ignored']).toBe(2);
    expect(h.pg(G, 1)!.groupTimerMs).toBe(260_000);                          // not lowered
    h.advance(100_000);
    h.v2Report(G, 1, ip(60));                                                 // v2 timer now ends at 460 s
    h.advance(160_000);                                                       // t = 360 s: v1 timer (set at 100 s) expires
    expect(h.pg(G, 1)!.compat).toBe(2);
    h.leave(G, 1, ip(60));                                                    // v2 mode: leave = TO_IN({}) → lowered
    expect(h.pg(G, 1)!.groupTimerMs).toBe(2_000);
  });

  it('IGMPv2 report in EXCLUDE with sources is IS_EX({}): the source state is dropped', () => {
    const h = new Harness();
    h.record(R.MODE_IS_EXCLUDE, G, [ip(1)], 1);
    h.record(R.ALLOW_NEW_SOURCES, G, [ip(2)], 1);
    h.v2Report(G, 1);
    expect(h.xy(G, 1)).toEqual({ mode: 'exclude', X: [], Y: [] });
  });
});

describe('router ports', () => {
  it('learned from the elected querier, expires after routerTimeoutMs without refresh', () => {
    const h = new Harness();
    h.query({ version: 3 }, 3, '192.0.2.100');
    expect(h.dp.routerPorts).toBe(mask(3));
    h.advance(200_000);
    h.query({ version: 3 }, 3, '192.0.2.100');
    h.advance(254_999);
    expect(h.dp.routerPorts).toBe(mask(3));
    h.advance(1);
    expect(h.dp.routerPorts).toBe(0n);
    expect(h.engine.routers()).toEqual([]);
  });

  it('issue 11.8: the router port of a querier with a long adopted QQI never expires between its queries', () => {
    const h = new Harness();
    for (let cycle = 0; cycle < 3; cycle++) {
      h.query({ version: 3, qrv: 2, qqiSec: 320 }, 3, '192.0.2.100'); // QQIC 0x84 = 320 s exactly (§4.1.7)
      for (let t = 0; t < 320_000; t += 10_000) {
        expect(h.dp.routerPorts, `cycle ${cycle} at ${t} ms`).toBe(mask(3));
        h.advance(10_000);
      }
    }
    // Derived from the adopted interval: the adopted Other Querier Present Interval (2 × 320 s + 5 s).
    expect(h.engine.routers()[0]!.learned[0]!.expiresInMs).toBe(645_000 - 320_000);
    expect(h.engine.querier()[0]!.timers.routerTimeoutMs).toBe(645_000);
  });

  it('PIMv2 Hello marks a router port; Holdtime 0 withdraws it', () => {
    const h = new Harness();
    h.pimHello(2, '192.0.2.200');
    expect(h.dp.routerPorts).toBe(mask(2));
    expect(h.engine.routers()).toEqual([{ port: 2, portName: 'swp2', static: false, learned: [{ via: 'pim', vlan: 0, address: '192.0.2.200', expiresInMs: 255_000 }] }]);
    h.pimHello(2, '192.0.2.200', 0);
    expect(h.dp.routerPorts).toBe(0n);
    expect(h.engine.stats().rx.pim_hello).toBe(2);
  });

  it('MRD Advertisement marks a router port for 3 × its interval; Termination withdraws it', () => {
    const h = new Harness();
    h.mrd({ type: 'advertisement', family: 4, advIntervalSec: 20, queryIntervalSec: 125, robustness: 2 }, 2, '192.0.2.201');
    expect(h.dp.routerPorts).toBe(mask(2));
    h.advance(59_999);
    expect(h.dp.routerPorts).toBe(mask(2));
    h.advance(1);
    expect(h.dp.routerPorts).toBe(0n);
    h.mrd({ type: 'advertisement', family: 4, advIntervalSec: 20, queryIntervalSec: 125, robustness: 2 }, 2, '192.0.2.201');
    h.mrd({ type: 'termination', family: 4 }, 2, '192.0.2.201');
    expect(h.dp.routerPorts).toBe(0n);
    expect(h.engine.stats().rx).toMatchObject({ mrd_advertisement: 2, mrd_termination: 1 });
  });

  it('static ports are always router ports; never ports never are', () => {
    const h = new Harness({ ports: [{ index: 1, router: 'static' }, { index: 2, router: 'never' }, { index: 3 }] });
    expect(h.dp.routerPorts).toBe(mask(1));
    h.query({ version: 3 }, 2, '192.0.2.1');
    h.pimHello(2, '192.0.2.1');
    expect(h.dp.routerPorts).toBe(mask(1));
    expect(h.engine.stats().rejects['router-never']).toBe(2);
    expect(h.engine.routers()).toEqual([{ port: 1, portName: 'swp1', static: true, learned: [] }]);
  });

  it('querierGuard: PIM and MRD only from trusted ports', () => {
    const h = new Harness({ config: { querierGuard: true }, ports: [{ index: 1 }, { index: 2, trusted: true }] });
    h.pimHello(1, '192.0.2.1');
    h.pimHello(2, '192.0.2.2');
    expect(h.dp.routerPorts).toBe(mask(2));
  });

  it('our MRD solicitation goes out once at start, after the random delay', () => {
    const h = new Harness({ random: () => 0.5 });
    expect(h.sent).toEqual([]);
    h.advance(499);
    expect(h.sent).toEqual([]);
    h.advance(1);
    expect(h.sent.map((s) => [s.at, s.ports, s.decoded.kind, s.decoded.dst, s.decoded.ttl, s.decoded.routerAlert]))
      .toEqual([[500, mask(1, 2, 3), 'mrd', '224.0.0.2', 1, true]]);
    h.advance(1_000_000);
    expect(h.sent.length).toBe(1);
  });
});
