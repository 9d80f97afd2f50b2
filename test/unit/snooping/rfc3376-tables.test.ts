// RFC 3376 §6.4.1 and §6.4.2: every row of both tables, checked on the new state (mode, X/A, Y),
// on every timer (source timers and group timer), and on the queries the row sends. The same rows run for MLD
// (RFC 3810 §7.4.1 and §7.4.2 are these tables with other names), from this one source: FAMILY_CASES.
//
// Setup: port 1 holds the state. Initial states, built at t = 0:
//   INCLUDE (A)    with A = {1, 2}                 (IS_IN {1,2})
//   EXCLUDE (X,Y)  with X = {1, 2}, Y = {3, 4}    (IS_IN {1,2}, IS_EX {1,2,3,4})
// At t = 10 s the record arrives with the list {2, 3, 5}. "kept" timers then show GMI − 10 s, the
// timers set by the row show GMI, and "=Group Timer" sources show the group timer's value.

import { describe, expect, it } from 'vitest';
import { RecordType as R } from '../../../src/wire/igmp.js';
import { FAMILY_CASES, Harness, mask } from './harness.js';

const GMI = 260_000;
const LMQT = 2_000;
const T1 = 10_000;
const KEPT = GMI - T1;

type Timer = 'GMI' | 'KEPT' | 'GT' | 0;
interface Row {
  name: string;
  from: 'include' | 'exclude';
  record: number;
  mode: 'include' | 'exclude';
  /** expected source timers of the new state; 0 = in Y; absent = deleted */
  sources: Record<number, Timer>;
  /** group timer after the row (exclude mode): 'GMI' (set) or 'KEPT' (unchanged) */
  groupTimer?: 'GMI' | 'KEPT';
  /** with our querier: Q(G,S) source lists sent (S clear), and whether Q(G) is sent */
  qgs: number[][];
  qg: boolean;
}

const ROWS: Row[] = [
  // §6.4.1 Reception of Current-State Records
  { name: 'INCLUDE (A) + IS_IN (B) → INCLUDE (A+B); (B)=GMI', from: 'include', record: R.MODE_IS_INCLUDE, mode: 'include',
    sources: { 1: 'KEPT', 2: 'GMI', 3: 'GMI', 5: 'GMI' }, qgs: [], qg: false },
  { name: 'INCLUDE (A) + IS_EX (B) → EXCLUDE (A*B, B−A); (B−A)=0; Delete (A−B); GT=GMI', from: 'include', record: R.MODE_IS_EXCLUDE, mode: 'exclude',
    sources: { 2: 'KEPT', 3: 0, 5: 0 }, groupTimer: 'GMI', qgs: [], qg: false },
  { name: 'EXCLUDE (X,Y) + IS_IN (A) → EXCLUDE (X+A, Y−A); (A)=GMI', from: 'exclude', record: R.MODE_IS_INCLUDE, mode: 'exclude',
    sources: { 1: 'KEPT', 2: 'GMI', 3: 'GMI', 4: 0, 5: 'GMI' }, groupTimer: 'KEPT', qgs: [], qg: false },
  { name: 'EXCLUDE (X,Y) + IS_EX (A) → EXCLUDE (A−Y, Y*A); (A−X−Y)=GMI; Delete (X−A); Delete (Y−A); GT=GMI', from: 'exclude', record: R.MODE_IS_EXCLUDE, mode: 'exclude',
    sources: { 2: 'KEPT', 3: 0, 5: 'GMI' }, groupTimer: 'GMI', qgs: [], qg: false },
  // §6.4.2 Reception of Filter-Mode-Change and Source-List-Change Records
  { name: 'INCLUDE (A) + ALLOW (B) → INCLUDE (A+B); (B)=GMI', from: 'include', record: R.ALLOW_NEW_SOURCES, mode: 'include',
    sources: { 1: 'KEPT', 2: 'GMI', 3: 'GMI', 5: 'GMI' }, qgs: [], qg: false },
  { name: 'INCLUDE (A) + BLOCK (B) → INCLUDE (A); Send Q(G,A*B)', from: 'include', record: R.BLOCK_OLD_SOURCES, mode: 'include',
    sources: { 1: 'KEPT', 2: 'KEPT' }, qgs: [[2]], qg: false },
  { name: 'INCLUDE (A) + TO_EX (B) → EXCLUDE (A*B, B−A); (B−A)=0; Delete (A−B); Send Q(G,A*B); GT=GMI', from: 'include', record: R.CHANGE_TO_EXCLUDE_MODE, mode: 'exclude',
    sources: { 2: 'KEPT', 3: 0, 5: 0 }, groupTimer: 'GMI', qgs: [[2]], qg: false },
  { name: 'INCLUDE (A) + TO_IN (B) → INCLUDE (A+B); (B)=GMI; Send Q(G,A−B)', from: 'include', record: R.CHANGE_TO_INCLUDE_MODE, mode: 'include',
    sources: { 1: 'KEPT', 2: 'GMI', 3: 'GMI', 5: 'GMI' }, qgs: [[1]], qg: false },
  { name: 'EXCLUDE (X,Y) + ALLOW (A) → EXCLUDE (X+A, Y−A); (A)=GMI', from: 'exclude', record: R.ALLOW_NEW_SOURCES, mode: 'exclude',
    sources: { 1: 'KEPT', 2: 'GMI', 3: 'GMI', 4: 0, 5: 'GMI' }, groupTimer: 'KEPT', qgs: [], qg: false },
  { name: 'EXCLUDE (X,Y) + BLOCK (A) → EXCLUDE (X+(A−Y), Y); (A−X−Y)=Group Timer; Send Q(G,A−Y)', from: 'exclude', record: R.BLOCK_OLD_SOURCES, mode: 'exclude',
    sources: { 1: 'KEPT', 2: 'KEPT', 3: 0, 4: 0, 5: 'GT' }, groupTimer: 'KEPT', qgs: [[2, 5]], qg: false },
  { name: 'EXCLUDE (X,Y) + TO_EX (A) → EXCLUDE (A−Y, Y*A); (A−X−Y)=Group Timer; Delete (X−A); Delete (Y−A); Send Q(G,A−Y); GT=GMI', from: 'exclude', record: R.CHANGE_TO_EXCLUDE_MODE, mode: 'exclude',
    sources: { 2: 'KEPT', 3: 0, 5: 'GT' }, groupTimer: 'GMI', qgs: [[2, 5]], qg: false },
  { name: 'EXCLUDE (X,Y) + TO_IN (A) → EXCLUDE (X+A, Y−A); (A)=GMI; Send Q(G,X−A); Send Q(G)', from: 'exclude', record: R.CHANGE_TO_INCLUDE_MODE, mode: 'exclude',
    sources: { 1: 'KEPT', 2: 'GMI', 3: 'GMI', 4: 0, 5: 'GMI' }, groupTimer: 'KEPT', qgs: [[1]], qg: true },
];

for (const F of FAMILY_CASES) {
const { group: G, ip } = F;
/** IGMP keeps its titles; MLD's name its RFC. */
const title = (t: string): string => (F.family.ip === 4 ? t : `${F.name}: ${t.replace('RFC 3376 §6.4', F.rfc).replace('§6.6.3', 'RFC 3810 §7.6.3').replace('RFC 3376 §6.5 / §6.3', 'RFC 3810 §7.5 / §7.3')}`);

function prepare(h: Harness, from: 'include' | 'exclude'): void {
  h.record(R.MODE_IS_INCLUDE, G, [ip(1), ip(2)], 1);
  if (from === 'exclude') h.record(R.MODE_IS_EXCLUDE, G, [1, 2, 3, 4].map(ip), 1);
  h.advance(T1);
}

function timerValue(t: Timer, gtBefore: number): number {
  return t === 'GMI' ? GMI : t === 'KEPT' ? KEPT : t === 'GT' ? gtBefore : 0;
}

describe(title('RFC 3376 §6.4 router state tables — state and timers (another querier is elected: no queries from us)'), () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const h = new Harness({ ports: [{ index: 1 }, { index: 3 }], family: F.family });
      h.query({ version: 3 }, 3, F.otherQuerier); // elected other querier: "Send Q" is its job
      expect(h.engine.querier()[0]!.other?.address).toBe(F.otherQuerier);
      prepare(h, row.from);
      const gtBefore = h.pg(G, 1)!.groupTimerMs;
      h.clearSent();
      h.record(row.record, G, [2, 3, 5].map(ip), 1);
      const p = h.pg(G, 1)!;
      expect(p.mode).toBe(row.mode);
      const got = Object.fromEntries(p.sources.map((s) => [s.address, s.timerMs]));
      const want = Object.fromEntries(Object.entries(row.sources).map(([n, t]) => [ip(Number(n)), timerValue(t, gtBefore)]));
      expect(got).toEqual(want);
      expect(p.groupTimerMs).toBe(row.mode === 'include' ? 0 : row.groupTimer === 'GMI' ? GMI : KEPT);
      expect(h.sent).toEqual([]);
    });
  }
});

describe(title('RFC 3376 §6.4 table actions with our own querier (§6.6.3: queries sent, timers lowered to LMQT)'), () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const h = new Harness({ querier: { enabled: true, address: F.ownQuerier, version: 3 }, ports: [{ index: 1 }, { index: 3 }], family: F.family });
      prepare(h, row.from);
      const gtBefore = h.pg(G, 1)!.groupTimerMs;
      h.clearSent();
      h.record(row.record, G, [2, 3, 5].map(ip), 1);
      const qs = h.queries();
      expect(qs.every((q) => q.ports === mask(1) && q.dst === G && q.ttl === 1 && q.routerAlert)).toBe(true);
      expect(qs.filter((q) => q.q.sources.length > 0).map((q) => [q.q.sources, q.q.suppress]))
        .toEqual(row.qgs.map((l) => [l.map(ip), false]));
      expect(qs.filter((q) => q.q.sources.length === 0).map((q) => q.q.suppress)).toEqual(row.qg ? [false] : []);
      // Queried sources (and the group, for Q(G)) were lowered to LMQT; the rest is as in the table.
      const queried = new Set(row.qgs.flat().map(ip));
      const p = h.pg(G, 1)!;
      const got = Object.fromEntries(p.sources.map((s) => [s.address, s.timerMs]));
      const want = Object.fromEntries(Object.entries(row.sources).map(([n, t]) => {
        const v = timerValue(t, gtBefore);
        return [ip(Number(n)), queried.has(ip(Number(n))) ? Math.min(v, LMQT) : v];
      }));
      expect(got).toEqual(want);
      if (row.qg) expect(p.groupTimerMs).toBe(LMQT);
      // LMQC = 2: one retransmission LMQI (1 s) later, same content.
      h.clearSent();
      h.advance(1_000);
      expect(h.queries().filter((q) => q.q.group === G).length).toBe(row.qgs.length + (row.qg ? 1 : 0));
      h.clearSent();
      h.advance(1_000);
      expect(h.queries().filter((q) => q.q.group === G)).toEqual([]);
    });
  }
});

describe(title('RFC 3376 §6.5 / §6.3 expiry'), () => {
  it('group timer expiry in EXCLUDE: INCLUDE with the sources whose timers run; Y deleted', () => {
    const h = new Harness({ family: F.family });
    h.record(R.MODE_IS_EXCLUDE, G, [ip(9)], 1);           // EXCLUDE ({}, {9}), GT = GMI at 0
    h.advance(100_000);
    h.record(R.ALLOW_NEW_SOURCES, G, [ip(7)], 1);         // X = {7}, timer GMI at 100 s
    h.advance(GMI - 100_000);                              // GT expires at 260 s
    expect(h.xy(G, 1)).toEqual({ mode: 'include', X: [ip(7)], Y: [] });
    expect(h.events.filter((e) => e.type === 'leave')).toEqual([]);
    h.advance(100_000);                                    // source 7 expires at 360 s → INCLUDE({}) → deleted
    expect(h.pg(G, 1)).toBeUndefined();
    expect(h.events.filter((e) => e.type === 'leave').map((e) => e.type === 'leave' && e.reason)).toEqual(['expired']);
  });

  it('group timer expiry with no running source deletes the record', () => {
    const h = new Harness({ family: F.family });
    h.record(R.MODE_IS_EXCLUDE, G, [ip(9)], 1);
    h.advance(GMI - 1);
    expect(h.pg(G, 1)?.mode).toBe('exclude');
    h.advance(1);
    expect(h.pg(G, 1)).toBeUndefined();
    expect(h.dp.mdb.size).toBe(0);
  });

  it('source timer expiry: INCLUDE deletes the source, EXCLUDE moves it to Y (blocked)', () => {
    const h = new Harness({ family: F.family });
    h.record(R.MODE_IS_INCLUDE, G, [ip(1), ip(2)], 1);
    h.advance(50_000);
    h.record(R.MODE_IS_INCLUDE, G, [ip(2)], 1);
    h.advance(GMI - 50_000);
    expect(h.xy(G, 1)).toEqual({ mode: 'include', X: [ip(2)], Y: [] });
    expect(h.dp.mdbForwards(0, G, ip(1), 1)).toBe(false);

    const G2 = F.family.ip === 4 ? '239.9.9.9' : 'ff0e::9:9:9';
    h.record(R.MODE_IS_EXCLUDE, G2, [], 2);
    h.record(R.ALLOW_NEW_SOURCES, G2, [ip(3)], 2);
    h.advance(10_000);
    h.record(R.MODE_IS_EXCLUDE, G2, [ip(3)], 2); // refresh GT; 3 stays in X with its older timer
    h.advance(GMI - 10_000);                             // 3's timer expires: X → Y
    expect(h.xy(G2, 2)).toEqual({ mode: 'exclude', X: [], Y: [ip(3)] });
    expect(h.dp.mdbForwards(0, G2, ip(3), 2)).toBe(false);
    expect(h.dp.mdbForwards(0, G2, ip(4), 2)).toBe(true);
  });
});
}
