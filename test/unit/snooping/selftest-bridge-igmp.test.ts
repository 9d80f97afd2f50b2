// Linux tools/testing/selftests/net/forwarding/bridge_igmp.sh cases 1–14, reproduced at engine
// level. Topology: h1 — swp1 (port 1) [switch] swp2 (port 2) — h2.
// The switch is the querier (`mcast_querier 1`, source 0.0.0.0). IGMPv3 reports are sent as the
// script sends them: from h1 (192.0.2.1) to 224.0.0.1, without Router Alert.
// Forwarding is checked on the MDB the engine installed: "traffic from h2 (spoofed source S) to G
// reaches h1" = FakeDataPlane.delivers({ source: S, port: 1, ingress: 2 }).

import { beforeEach, describe, expect, it } from 'vitest';
import { RecordType as R } from '../../../src/wire/igmp.js';
import { Harness, ip, mask } from './harness.js';

const G = '239.10.10.10';
const H1 = 1;
const H2 = 2;

function bridge(version: 2 | 3): Harness {
  const h = new Harness({
    querier: { enabled: true, address: '0.0.0.0', version },
    ports: [{ index: H1 }, { index: H2 }],
  });
  h.advance(11_000); // the script's settle time: our startup flood window (10 s after the first query) has closed
  expect(h.dp.policy.mode).toBe('snoop');
  return h;
}

/** `$MZ h1 -c 1 -b 01:00:5e:00:00:01 -B 224.0.0.1 -t ip "proto=2,p=…"`: no Router Alert, to 224.0.0.1. */
function send(h: Harness, type: number, sources: number[], port = H1): void {
  h.v3([{ recordType: type, group: G, sources: sources.map(ip) }], port, { src: ip(port), dst: '224.0.0.1', routerAlert: false });
}

const IS_INC = [1, 2, 3];
const IS_INC2 = [10, 11, 12];
const IS_INC3 = [20, 30];
const ALLOW = [10, 11, 12];
const ALLOW2 = [20, 30];
const IS_EXC = [1, 2, 20, 21];
const IS_EXC2 = [20, 30];
const TO_EXC = [1, 20, 30];
const BLOCK = [1, 20, 30];

function includePrepare(h: Harness): void {
  send(h, R.MODE_IS_INCLUDE, IS_INC);
  expect(h.xy(G, H1)).toEqual({ mode: 'include', X: [ip(1), ip(2), ip(3)], Y: [] });
}

function excludePrepare(h: Harness): void {
  includePrepare(h);
  send(h, R.MODE_IS_EXCLUDE, IS_EXC);
  expect(h.xy(G, H1)).toEqual({ mode: 'exclude', X: [ip(1), ip(2)], Y: [ip(20), ip(21)] });
  // brmcast_check_sg_state 0 for X (timer > 0, not blocked), 1 for Y (timer 0, blocked)
  const p = h.pg(G, H1)!;
  for (const s of p.sources) expect(s.timerMs > 0).toBe(s.forwarding);
}

/** brmcast_check_sg_fwding 1|0 */
function expectFwd(h: Harness, yes: boolean, sources: number[]): void {
  for (const s of sources) {
    expect(h.dp.delivers({ group: G, source: ip(s), port: H1, ingress: H2 }), `traffic from ${ip(s)} → h1`).toBe(yes);
  }
}

describe('bridge_igmp.sh at engine level', () => {
  it('1. v2reportleave_test: v2 join registers, v2 leave removes after the GSQs, traffic stops', () => {
    const h = bridge(2);
    h.v2Report(G, H2, ip(2));
    h.v2Report(G, H2, ip(2)); // the kernel repeats its unsolicited report
    h.advance(5_000);
    expect(h.engine.groups().map((g) => g.group)).toEqual([G]);
    expect(h.dp.mdb.get(`0|${G}|*`)).toBe(mask(H2));
    expect(h.dp.delivers({ group: G, source: ip(1), port: H2, ingress: H1 })).toBe(true);

    h.clearSent();
    const leftAt = h.now;
    h.leave(G, H2, ip(2));
    // We are the querier: LMQC (2) group-specific IGMPv2 queries, LMQI (1 s) apart, on swp2 only.
    h.advance(5_000);
    const gsq = h.queries().filter((q) => q.q.group === G);
    expect(gsq.map((q) => [q.at - leftAt, q.ports, q.q.version, q.q.maxRespDs, q.dst, q.ttl, q.routerAlert]))
      .toEqual([[0, mask(H2), 2, 10, G, 1, true], [1_000, mask(H2), 2, 10, G, 1, true]]);
    expect(h.engine.groups()).toEqual([]);
    expect(h.dp.mdb.size).toBe(0);
    expect(h.events.some((e) => e.type === 'leave' && e.group === G && e.reason === 'expired')).toBe(true);
    // unregistered traffic goes to router ports only while a querier exists
    expect(h.dp.delivers({ group: G, source: ip(1), port: H2, ingress: H1 })).toBe(false);
  });

  describe('IGMPv3 (mcast_igmp_version 3)', () => {
    let h: Harness;
    beforeEach(() => { h = bridge(3); });

    it('2. v3include_test', () => {
      includePrepare(h);
      const p = h.pg(G, H1)!;
      expect(p.sources.every((s) => s.timerMs > 0 && s.forwarding)).toBe(true);
      expectFwd(h, true, IS_INC);
      expectFwd(h, false, [100]);
    });

    it('3. v3inc_allow_test: INCLUDE (A) + ALLOW (B) = INCLUDE (A+B), (B)=GMI', () => {
      includePrepare(h);
      send(h, R.ALLOW_NEW_SOURCES, ALLOW);
      expect(h.xy(G, H1)).toEqual({ mode: 'include', X: [1, 10, 11, 12, 2, 3].map(ip).sort(), Y: [] });
      expectFwd(h, true, ALLOW);
      expectFwd(h, false, [100]);
    });

    it('4. v3inc_is_include_test: INCLUDE (A) + IS_IN (B) = INCLUDE (A+B)', () => {
      includePrepare(h);
      send(h, R.MODE_IS_INCLUDE, IS_INC2);
      expect(h.xy(G, H1)).toEqual({ mode: 'include', X: [1, 10, 11, 12, 2, 3].map(ip).sort(), Y: [] });
      expectFwd(h, true, IS_INC2);
      expectFwd(h, false, [100]);
    });

    it('5. v3inc_is_exclude_test: EXCLUDE forwards X and unlisted sources, not Y', () => {
      excludePrepare(h);
      expectFwd(h, true, [1, 2, 100]);
      expectFwd(h, false, [20, 21]);
      expectFwd(h, true, [3]); // .3 was deleted (A−B): it is now an unlisted source
    });

    it('6. v3inc_to_exclude_test: INCLUDE (A) + TO_EX (B) = EXCLUDE (A*B, B−A)', () => {
      includePrepare(h);
      h.reconfigure({ config: { lastMemberQueryIntervalMs: 5_000 } });
      h.clearSent();
      send(h, R.CHANGE_TO_EXCLUDE_MODE, TO_EXC);
      expect(h.xy(G, H1)).toEqual({ mode: 'exclude', X: [ip(1)], Y: [ip(20), ip(30)] });
      // Send Q(G, A*B) = Q(G,{.1}); .1's timer is lowered to LMQT = 2 × 5 s.
      expect(h.queries().map((q) => [q.q.group, q.q.sources, q.q.suppress, q.ports])).toEqual([[G, [ip(1)], false, mask(H1)]]);
      expect(h.pg(G, H1)!.sources.find((s) => s.address === ip(1))!.timerMs).toBe(10_000);
      expectFwd(h, true, [1, 100]);
      expectFwd(h, false, [20, 30]);
      expect(h.pg(G, H1)!.sources.map((s) => s.address)).not.toContain(ip(2));
      h.reconfigure({ config: { lastMemberQueryIntervalMs: 1_000 } });
    });

    it('7. v3exc_allow_test: EXCLUDE (X,Y) + ALLOW (A) = EXCLUDE (X+A, Y−A)', () => {
      excludePrepare(h);
      send(h, R.ALLOW_NEW_SOURCES, ALLOW2);
      expect(h.xy(G, H1)).toEqual({ mode: 'exclude', X: [1, 2, 20, 30].map(ip), Y: [ip(21)] });
      expectFwd(h, true, [1, 2, 20, 30, 100]);
      expectFwd(h, false, [21]);
    });

    it('8. v3exc_is_include_test: EXCLUDE (X,Y) + IS_IN (A) = EXCLUDE (X+A, Y−A)', () => {
      excludePrepare(h);
      send(h, R.MODE_IS_INCLUDE, IS_INC3);
      expect(h.xy(G, H1)).toEqual({ mode: 'exclude', X: [1, 2, 20, 30].map(ip), Y: [ip(21)] });
      expectFwd(h, true, [1, 2, 20, 30, 100]);
      expectFwd(h, false, [21]);
    });

    it('9. v3exc_is_exclude_test: EXCLUDE (X,Y) + IS_EX (A) = EXCLUDE (A−Y, Y*A)', () => {
      excludePrepare(h);
      send(h, R.MODE_IS_EXCLUDE, IS_EXC2);
      expect(h.xy(G, H1)).toEqual({ mode: 'exclude', X: [ip(30)], Y: [ip(20)] });
      expectFwd(h, true, [30, 100]);
      expectFwd(h, false, [20]);
    });

    it('10. v3exc_to_exclude_test: EXCLUDE (X,Y) + TO_EX (A) = EXCLUDE (A−Y, Y*A)', () => {
      excludePrepare(h);
      h.reconfigure({ config: { lastMemberQueryIntervalMs: 5_000 } });
      send(h, R.CHANGE_TO_EXCLUDE_MODE, TO_EXC);
      expect(h.xy(G, H1)).toEqual({ mode: 'exclude', X: [ip(1), ip(30)], Y: [ip(20)] });
      expectFwd(h, true, [1, 30, 100]);
      expectFwd(h, false, [20]);
      h.reconfigure({ config: { lastMemberQueryIntervalMs: 1_000 } });
    });

    it('11. v3inc_block_test: INCLUDE (A) + BLOCK (B): Q(G,A*B), .1 lowered to LMQT and expires', () => {
      includePrepare(h);
      h.clearSent();
      send(h, R.BLOCK_OLD_SOURCES, BLOCK);
      expect(h.xy(G, H1)).toEqual({ mode: 'include', X: [ip(1), ip(2), ip(3)], Y: [] });
      expect(h.pg(G, H1)!.sources.find((s) => s.address === ip(1))!.timerMs).toBe(2_000);
      h.advance(3_000);
      // LMQC group-and-source-specific queries for {.1}, S clear, LMQI apart, on swp1 only
      expect(h.queries().map((q) => [q.at, q.q.group, q.q.sources, q.q.suppress, q.ports, q.q.maxRespDs]))
        .toEqual([[11_000, G, [ip(1)], false, mask(H1), 10], [12_000, G, [ip(1)], false, mask(H1), 10]]);
      expect(h.xy(G, H1)).toEqual({ mode: 'include', X: [ip(2), ip(3)], Y: [] });
      expectFwd(h, true, [2, 3]);
      expectFwd(h, false, [1, 100]);
    });

    it('12. v3exc_block_test: EXCLUDE (X,Y) + BLOCK (A) = EXCLUDE (X+(A−Y), Y)', () => {
      excludePrepare(h);
      h.reconfigure({ config: { lastMemberQueryIntervalMs: 5_000 } });
      send(h, R.BLOCK_OLD_SOURCES, BLOCK);
      expect(h.xy(G, H1)).toEqual({ mode: 'exclude', X: [ip(1), ip(2), ip(30)], Y: [ip(20), ip(21)] });
      expectFwd(h, true, [1, 2, 30, 100]);
      expectFwd(h, false, [20, 21]);
      h.reconfigure({ config: { lastMemberQueryIntervalMs: 1_000 } });
    });

    it('13. v3exc_timeout_test: group timer expiry → INCLUDE with the running sources', () => {
      h.reconfigure({ config: { queryIntervalMs: 1_000, queryResponseIntervalMs: 1_000, groupMembershipIntervalMs: 3_000 } });
      excludePrepare(h);
      h.reconfigure({ config: { queryIntervalMs: 5_000, queryResponseIntervalMs: 5_000, groupMembershipIntervalMs: 15_000 } });
      send(h, R.ALLOW_NEW_SOURCES, ALLOW2);
      h.advance(3_000);
      expect(h.xy(G, H1)).toEqual({ mode: 'include', X: [ip(20), ip(30)], Y: [] });
      expect(h.pg(G, H1)!.sources.every((s) => s.timerMs > 0)).toBe(true);
      expectFwd(h, true, [20, 30]);
      expectFwd(h, false, [1, 2, 21, 100]);
    });

    it('14. v3star_ex_auto_add_test: an EXCLUDE port receives sources another port INCLUDEs', () => {
      excludePrepare(h);
      send(h, R.MODE_IS_INCLUDE, IS_INC, H2);
      // (S=.3, G) exists and contains swp1 (the "added_by_star_ex" replication) and swp2
      expect(h.dp.mdb.get(`0|${G}|${ip(3)}`)).toBe(mask(H1, H2));
      expect(h.dp.delivers({ group: G, source: ip(3), port: H1, ingress: H2 })).toBe(true);
      // and the blocked sources still do not reach swp1
      expect(h.dp.delivers({ group: G, source: ip(20), port: H1, ingress: H2 })).toBe(false);
    });
  });
});
