// Own querier (startup queries, query interval), election (RFC 2236 §3 / RFC 3376 §6.6.2),
// Other Querier Present timer, QRV/QQI adoption (§4.1.6/§4.1.7), LMQT after a leave (§6.6.3.1),
// and timer lowering on received group-specific queries (§6.6.1).

import { describe, expect, it } from 'vitest';
import { RecordType as R } from '../../../src/wire/igmp.js';
import { Harness, ip, mask } from './harness.js';

const G = '239.1.1.1';

function generalQueries(h: Harness) {
  return h.queries().filter((q) => q.q.group === '0.0.0.0');
}

describe('own querier: general queries', () => {
  it('sends [Startup Query Count] queries [Startup Query Interval] apart, then one per [Query Interval]', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.254', version: 3 } });
    h.advance(500_000);
    const at = generalQueries(h).map((q) => q.at);
    // SQC = 2 at SQI = 31.25 s (RFC 3376 §8.6, §8.7), then QI = 125 s
    expect(at).toEqual([0, 31_250, 156_250, 281_250, 406_250]);
    const q = generalQueries(h)[0]!;
    expect(q.ports).toBe(mask(1, 2, 3));
    expect(q.dst).toBe('224.0.0.1');
    expect(q.ttl).toBe(1);
    expect(q.routerAlert).toBe(true);
    expect(q.q).toMatchObject({ version: 3, maxRespDs: 100, qrv: 2, qqiSec: 125, suppress: false, sources: [] });
    const f = h.sent[0]!.decoded;
    expect([f.src, f.srcMac]).toEqual(['192.0.2.254', '02:00:00:00:00:fe']);
    expect(h.engine.stats().tx.igmp_v3_general_query).toBe(5);
  });

  it('IGMPv2 querier sends 8-octet v2 queries with Max Resp Time in 1/10 s', () => {
    const h = new Harness({ querier: { enabled: true, address: '0.0.0.0', version: 2 }, config: { queryResponseIntervalMs: 5_000 } });
    const q = generalQueries(h)[0]!;
    expect(q.q).toMatchObject({ version: 2, maxRespDs: 50 });
    expect(h.sent[0]!.decoded.src).toBe('0.0.0.0');
  });

  it('queries every VLAN it has seen, tagged, with its own startup sequence', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.254', version: 3 } });
    h.advance(1_000);
    h.v2Report(G, 1, ip(1), 10);
    h.advance(40_000);
    const v10 = h.sent.filter((s) => s.frame[12] === 0x81 && s.frame[13] === 0x00 && ((s.frame[14]! << 8 | s.frame[15]!) & 0xfff) === 10);
    expect(v10.map((s) => s.at)).toEqual([1_000, 32_250]);
    expect(h.engine.querier().map((v) => [v.vlan, v.role])).toEqual([[0, 'querier'], [10, 'querier']]);
  });

  it('changing the query interval takes effect at the latest one new interval later', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.254', version: 3 }, config: { startupQueryCount: 1 } });
    h.advance(10_000);
    h.reconfigure({ config: { queryIntervalMs: 20_000 } });
    h.advance(50_000);
    expect(generalQueries(h).map((q) => q.at)).toEqual([0, 30_000, 50_000]);
  });
});

describe('querier election (lowest IP wins; 0.0.0.0 never wins)', () => {
  it('a lower IP takes over; we fall silent and resume after the Other Querier Present Interval', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.10', version: 3 }, config: { startupQueryCount: 1 } });
    h.advance(5_000);
    h.clearSent();
    h.query({ version: 3 }, 3, '192.0.2.5');
    expect(h.engine.querier()[0]).toMatchObject({ role: 'non-querier', other: { address: '192.0.2.5', port: 3 } });
    expect(h.events).toContainEqual({ type: 'querier-elected', vlan: 0, address: '192.0.2.5', port: 3, portName: 'swp3' });
    expect(h.events).toContainEqual({ type: 'own-querier', vlan: 0, role: 'non-querier', address: '192.0.2.10' });
    h.advance(255_000 - 1);
    expect(generalQueries(h)).toEqual([]);                      // silent for OQPI = 2·125 + 10/2 s
    h.advance(1);
    expect(generalQueries(h).map((q) => q.at)).toEqual([260_000]); // resumes at once …
    expect(h.events).toContainEqual({ type: 'querier-lost', vlan: 0, address: '192.0.2.5' });
    h.advance(125_000);
    expect(generalQueries(h).map((q) => q.at)).toEqual([260_000, 385_000]); // … then every QI
  });

  it('the elected querier is refreshed by its queries, so we stay silent', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.10', version: 3 } });
    h.query({ version: 3 }, 3, '192.0.2.5');
    h.clearSent();
    for (let i = 0; i < 5; i++) { h.advance(125_000); h.query({ version: 3 }, 3, '192.0.2.5'); }
    expect(generalQueries(h)).toEqual([]);
  });

  it('a higher IP does not silence us and is not a router port', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.10', version: 3 } });
    h.query({ version: 2 }, 3, '192.0.2.20');
    expect(h.engine.querier()[0]).toMatchObject({ role: 'querier', other: null });
    expect(h.engine.routers()).toEqual([]);
    expect(h.engine.stats().rejects['not-elected']).toBe(1);
  });

  it('without our own querier, the lowest of several queriers is the one followed', () => {
    const h = new Harness();
    h.query({ version: 3 }, 2, '192.0.2.20');
    h.query({ version: 3 }, 3, '192.0.2.7');
    h.query({ version: 3 }, 2, '192.0.2.20');
    expect(h.engine.querier()[0]!.other).toMatchObject({ address: '192.0.2.7', port: 3 });
    expect(h.engine.routers().map((r) => r.port)).toEqual([2, 3]); // 2 was elected first, ages out
    h.advance(200_000);
    h.query({ version: 3 }, 2, '192.0.2.20');         // not elected: does not refresh port 2
    h.query({ version: 3 }, 3, '192.0.2.7');          // refreshes port 3
    h.advance(55_000);
    expect(h.engine.routers().map((r) => r.port)).toEqual([3]);
    expect(h.events.filter((e) => e.type === 'router-port')).toEqual([
      { type: 'router-port', port: 2, portName: 'swp2', state: 'added' },
      { type: 'router-port', port: 3, portName: 'swp3', state: 'added' },
      { type: 'router-port', port: 2, portName: 'swp2', state: 'removed' },
    ]);
  });

  it('0.0.0.0 queries never win: they do not silence us, are no router port, but count as a querier', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.10', version: 3 } });
    h.query({ version: 2 }, 3, '0.0.0.0');
    expect(h.engine.querier()[0]).toMatchObject({ role: 'querier', other: null, proxyPresent: true });
    expect(h.engine.routers()).toEqual([]);

    const quiet = new Harness({ config: { startupFloodMs: 0 } });
    expect(quiet.dp.policy.mode).toBe('flood');        // no querier anywhere: flood (Linux)
    quiet.query({ version: 2 }, 3, '0.0.0.0');
    expect(quiet.dp.policy.mode).toBe('snoop');        // a proxy querier makes hosts report
    quiet.advance(255_000);
    expect(quiet.dp.policy.mode).toBe('flood');        // … until it is gone for OQPI
  });

  it('our 0.0.0.0 querier loses to any real querier', () => {
    const h = new Harness({ querier: { enabled: true, address: '0.0.0.0', version: 2 } });
    h.query({ version: 2 }, 3, '198.51.100.200');
    expect(h.engine.querier()[0]!.role).toBe('non-querier');
  });

  it('a non-querier adopts QRV and QQI of the elected querier (RFC 3376 §4.1.6, §4.1.7)', () => {
    const h = new Harness();
    h.query({ version: 3, qrv: 3, qqiSec: 60 }, 3, '192.0.2.1');
    const t = h.engine.querier()[0]!.timers;
    expect(t).toMatchObject({ robustness: 3, queryIntervalMs: 60_000, gmiMs: 190_000, oqpiMs: 185_000, lmqc: 3, lmqtMs: 3_000 });
    h.v2Report(G, 1);
    expect(h.pg(G, 1)!.groupTimerMs).toBe(190_000);
    // QRV 0 / QQIC 0 mean "use the default"
    h.query({ version: 3, qrv: 0, qqiSec: 0 }, 3, '192.0.2.1');
    expect(h.engine.querier()[0]!.timers).toMatchObject({ robustness: 2, queryIntervalMs: 125_000, gmiMs: 260_000 });
  });

  it('issue 11.7: adopted QRV and QQI are bounded, so one query cannot silence us for hours', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.254', version: 3 } });
    h.advance(1_000);
    // QRV 7 and QQIC 0xff (31744 s): unbounded, OQPI ≈ 62 hours.
    h.query({ version: 3, qrv: 7, qqiSec: 31_744 }, 3, '10.0.0.1');
    const t = h.engine.querier()[0]!.timers;
    expect(t).toMatchObject({ robustness: 4, queryIntervalMs: 600_000, gmiMs: 2_410_000, oqpiMs: 2_405_000 });
    expect(h.events).toContainEqual(expect.objectContaining({
      type: 'querier-timers', vlan: 0, address: '10.0.0.1', qrv: 7, qqiSec: 31_744, robustness: 4, queryIntervalMs: 600_000, bounded: true,
    }));
    h.advance(2_405_000);
    expect(h.engine.querier()[0]!.role).toBe('querier');
    expect(h.engine.routers()).toEqual([]);
    // Too small a QQI would shrink the Group Membership Interval below the real query cycle.
    h.query({ version: 3, qrv: 1, qqiSec: 1 }, 3, '10.0.0.1');
    expect(h.engine.querier()[0]!.timers).toMatchObject({ robustness: 2, queryIntervalMs: 10_000 });
  });

  it('issue 11.7: adoption bounds are configurable; usual values are adopted silently', () => {
    const h = new Harness({ config: { adoptRobustnessMax: 7, adoptQueryIntervalMaxMs: 1_000_000 } });
    h.query({ version: 3, qrv: 7, qqiSec: 31_744 }, 3, '10.0.0.1');
    expect(h.engine.querier()[0]!.timers).toMatchObject({ robustness: 7, queryIntervalMs: 1_000_000 });
    const h2 = new Harness();
    h2.query({ version: 3, qrv: 3, qqiSec: 60 }, 3, '10.0.0.1');
    h2.query({ version: 3, qrv: 3, qqiSec: 60 }, 3, '10.0.0.1');
    expect(h2.events.filter((e) => e.type === 'querier-timers')).toEqual([
      { type: 'querier-timers', vlan: 0, address: '10.0.0.1', qrv: 3, qqiSec: 60, robustness: 3, queryIntervalMs: 60_000, bounded: false },
    ]);
  });

  it.each(['0.0.0.1', '0.255.255.255', '127.0.0.1', '224.0.0.5', '239.1.1.1', '240.0.0.1', '255.255.255.255'])(
    'issue 11.7: a query from %s never takes part in the election', (src) => {
      const h = new Harness({ querier: { enabled: true, address: '192.0.2.254', version: 3 } });
      h.advance(1_000);
      h.query({ version: 3, qrv: 7, qqiSec: 31_744 }, 3, src);
      const v = h.engine.querier()[0]!;
      expect(v.role).toBe('querier');
      expect(v.other).toBeNull();
      expect(v.proxyPresent).toBe(false);
      expect(v.timers.robustness).toBe(2);
      expect(h.engine.routers()).toEqual([]);
      expect(h.engine.stats().rejects['invalid-querier']).toBe(1);
    });

  it('querierGuard: queries from untrusted ports are ignored', () => {
    const h = new Harness({
      config: { querierGuard: true },
      querier: { enabled: true, address: '192.0.2.10', version: 3 },
      ports: [{ index: 1 }, { index: 2, trusted: true }],
    });
    h.query({ version: 3 }, 1, '192.0.2.1');
    expect(h.engine.querier()[0]!.role).toBe('querier');
    expect(h.engine.stats().rejects.untrusted).toBe(1);
    h.query({ version: 3 }, 2, '192.0.2.1');
    expect(h.engine.querier()[0]!.role).toBe('non-querier');
    expect(h.engine.routers().map((r) => r.port)).toEqual([2]);
  });
});

describe('leave processing and LMQT', () => {
  it('v2 leave with our v3 querier: Q(G) ×LMQC, group timer lowered to LMQT, group gone at LMQT', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.254', version: 3 } });
    h.v2Report(G, 1);
    h.advance(20_000);
    h.clearSent();
    h.leave(G, 1);
    expect(h.pg(G, 1)!.groupTimerMs).toBe(2_000);
    h.advance(1_999);
    expect(h.pg(G, 1)).toBeDefined();
    h.advance(1);
    expect(h.pg(G, 1)).toBeUndefined();
    expect(h.queries().map((q) => [q.at, q.q.group, q.q.suppress, q.q.maxRespDs, q.ports]))
      .toEqual([[20_000, G, false, 10, mask(1)], [21_000, G, false, 10, mask(1)]]);
  });

  it('a report during the last-member queries keeps the group; the retransmission then carries S', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.254', version: 3 } });
    h.v2Report(G, 1, ip(1));
    h.v2Report(G, 1, ip(11));
    h.advance(20_000);
    h.clearSent();
    h.leave(G, 1, ip(1));
    h.advance(500);
    h.v2Report(G, 1, ip(11));           // the other host answers
    h.advance(5_000);
    expect(h.pg(G, 1)?.mode).toBe('exclude');
    // §6.6.3.1: "if the group timer is larger than LMQT, the S bit is set"
    expect(h.queries().map((q) => [q.at, q.q.suppress])).toEqual([[20_000, false], [21_000, true]]);
  });

  it('another querier present: a leave sends nothing and waits for its Q(G), which lowers our timer', () => {
    const h = new Harness();
    h.query({ version: 2 }, 3, '192.0.2.100');
    h.v2Report(G, 1);
    h.advance(10_000);
    h.leave(G, 1);
    expect(h.queries()).toEqual([]);
    expect(h.pg(G, 1)!.groupTimerMs).toBe(250_000);
    h.query({ version: 2, group: G, maxRespDs: 10 }, 3, '192.0.2.100'); // its Q(G): LMQT = LMQC × 1 s
    expect(h.pg(G, 1)!.groupTimerMs).toBe(2_000);
    h.advance(2_000);
    expect(h.pg(G, 1)).toBeUndefined();
  });

  it('received Q(G) with the S flag set does not lower timers (§6.6.1)', () => {
    const h = new Harness();
    h.query({ version: 3 }, 3, '192.0.2.100');
    h.v2Report(G, 1);
    h.query({ version: 3, group: G, suppress: true, maxRespDs: 10 }, 3, '192.0.2.100');
    expect(h.pg(G, 1)!.groupTimerMs).toBe(260_000);
  });

  it('received Q(G,S) lowers the source timers of every port (§6.6.1)', () => {
    const h = new Harness();
    h.query({ version: 3 }, 3, '192.0.2.100');
    h.record(R.MODE_IS_INCLUDE, G, [ip(7), ip(8)], 1);
    h.record(R.MODE_IS_INCLUDE, G, [ip(7)], 2);
    h.query({ version: 3, group: G, maxRespDs: 10, sources: [ip(7)] }, 3, '192.0.2.100');
    expect(h.pg(G, 1)!.sources.map((s) => [s.address, s.timerMs])).toEqual([[ip(7), 2_000], [ip(8), 260_000]]);
    expect(h.pg(G, 2)!.sources.map((s) => [s.address, s.timerMs])).toEqual([[ip(7), 2_000]]);
  });

  it('issue 11.6: the group field of a received IGMPv1 query is ignored (RFC 1112 App. I): a general query', () => {
    const h = new Harness();
    h.query({ version: 1 }, 3, '192.0.2.100');
    h.v2Report(G, 1);
    h.query({ version: 1, group: G }, 3, '192.0.2.100');
    expect(h.pg(G, 1)!.groupTimerMs).toBe(260_000);
  });

  it('no querier at all: a leave lowers the group timer to LMQT (as Linux does)', () => {
    const h = new Harness();
    h.v2Report(G, 1);
    h.leave(G, 1);
    expect(h.pg(G, 1)!.groupTimerMs).toBe(2_000);
    expect(h.sent.filter((s) => s.decoded.kind === 'igmp')).toEqual([]);
  });
});
