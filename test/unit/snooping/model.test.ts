// Model-based test (fast-check `fc.commands`): random sequences of IGMPv3 records, IGMPv1/v2
// reports, IGMPv2 leaves and time steps on two ports, run against the engine and against a tiny
// reference model of the RFC 3376 router state, written straight from the RFC text:
//   - state per port: filter mode, group timer, source timers (0 = stopped, as the RFC writes it),
//     IGMPv1/IGMPv2 Host Present timers (§7.3.2);
//   - the §6.4.1/§6.4.2 rows; "Send Q(G,X)" / "Send Q(G)" with no querier anywhere lower the timers
//     to LMQT (what the engine does without a querier, like Linux);
//   - expiry (§6.3, §6.5): processed in time order.
// The test runs twice: with no querier (Send Q lowers timers) and with another elected querier (Send Q
// is that querier's job, so the table rows show unmasked).
// After every command: same state per port (mode, compat, every timer value) and the MDB the engine
// installed forwards exactly the sources the model says each port wants.

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { expect } from 'vitest';
import { RecordType as R } from '../../../src/wire/igmp.js';
import { Harness, ip } from './harness.js';

const G = '239.5.5.5';
const GMI = 22_000;
const LMQT = 2_000;
const OHPI = 22_000;
const POOL = [ip(1), ip(2), ip(3), ip(4)];
const OTHER = ip(99);
const PORTS = [1, 2];

interface PortState {
  mode: 'include' | 'exclude';
  gt: number;                    // group timer (absolute; meaningful in EXCLUDE)
  src: Map<string, number>;      // source → timer (absolute), 0 = stopped
  v1: number;                    // 0 = not running
  v2: number;
}

class Model {
  now = 0;
  readonly ports = new Map<number, PortState>();
  /** true: no querier anywhere, "Send Q" lowers timers; false: another querier is elected, "Send Q" is its job. */
  constructor(readonly lowering: boolean) {}

  compat(p: PortState | undefined): 1 | 2 | 3 {
    if (p === undefined) return 3;
    return p.v1 > 0 ? 1 : p.v2 > 0 ? 2 : 3;
  }

  /** Process every timer that is due by `t`, earliest first. */
  advance(t: number): void {
    for (;;) {
      let best: { at: number; port: number; what: 'gt' | 'v1' | 'v2' | string } | null = null;
      const consider = (at: number, port: number, what: string) => {
        if (at > 0 && at <= t && (best === null || at < best.at)) best = { at, port, what };
      };
      for (const [port, p] of this.ports) {
        if (p.mode === 'exclude') consider(p.gt, port, 'gt');
        consider(p.v1, port, 'v1');
        consider(p.v2, port, 'v2');
        for (const [s, at] of p.src) consider(at, port, s);
      }
      if (best === null) break;
      const b: { at: number; port: number; what: string } = best;
      this.now = b.at;
      const p = this.ports.get(b.port)!;
      if (b.what === 'v1') p.v1 = 0;
      else if (b.what === 'v2') p.v2 = 0;
      else if (b.what === 'gt') {
        // §6.5: to INCLUDE with the running sources; stopped ones deleted; none running → delete.
        p.gt = 0;
        for (const [s, at] of [...p.src]) if (at === 0) p.src.delete(s);
        p.mode = 'include';
        if (p.src.size === 0) this.ports.delete(b.port);
      } else if (p.mode === 'include') {
        p.src.delete(b.what);                                  // §6.3: INCLUDE: delete the source
        if (p.src.size === 0) this.ports.delete(b.port);
      } else {
        p.src.set(b.what, 0);                                  // §6.3: EXCLUDE: stop (→ Y)
      }
    }
    this.now = t;
  }

  record(port: number, type: number, list: string[]): void {
    let p = this.ports.get(port);
    const mode = this.compat(p);
    let B = new Set(list);
    if (mode < 3 && type === R.BLOCK_OLD_SOURCES) return;                     // §7.3.2
    if (mode < 3 && type === R.CHANGE_TO_EXCLUDE_MODE) B = new Set();
    if (mode === 1 && type === R.CHANGE_TO_INCLUDE_MODE) return;
    if (p === undefined) {
      const creates = type === R.MODE_IS_EXCLUDE || type === R.CHANGE_TO_EXCLUDE_MODE || (B.size > 0 && type !== R.BLOCK_OLD_SOURCES);
      if (!creates) return;
      p = { mode: 'include', gt: 0, src: new Map(), v1: 0, v2: 0 };
      this.ports.set(port, p);
    }
    this.apply(port, p, type, B);
  }

  older(port: number, version: 1 | 2): void {
    let p = this.ports.get(port);
    if (p === undefined) {
      p = { mode: 'include', gt: 0, src: new Map(), v1: 0, v2: 0 };
      this.ports.set(port, p);
    }
    if (version === 1) p.v1 = this.now + OHPI;
    else p.v2 = this.now + OHPI;
    this.apply(port, p, R.MODE_IS_EXCLUDE, new Set());                          // report ≡ IS_EX({})
  }

  leave(port: number): void {
    const p = this.ports.get(port);
    if (p === undefined || this.compat(p) === 1) return;
    this.apply(port, p, R.CHANGE_TO_INCLUDE_MODE, new Set());                   // leave ≡ TO_IN({})
  }

  private apply(port: number, p: PortState, type: number, B: Set<string>): void {
    const now = this.now;
    const gmi = now + GMI;
    const has = (s: string) => p.src.has(s);
    const running = (s: string) => (p.src.get(s) ?? 0) > 0;
    const lowerSources = (set: Iterable<string>) => {
      if (!this.lowering) return;
      for (const s of set) if ((p.src.get(s) ?? 0) > now + LMQT) p.src.set(s, now + LMQT);
    };
    const lowerGroup = () => { if (this.lowering && p.gt > now + LMQT) p.gt = now + LMQT; };
    if (p.mode === 'include') {
      const A = [...p.src.keys()];
      switch (type) {
        case R.MODE_IS_INCLUDE:
        case R.ALLOW_NEW_SOURCES:                              // INCLUDE (A+B); (B)=GMI
          for (const b of B) p.src.set(b, gmi);
          break;
        case R.MODE_IS_EXCLUDE:
        case R.CHANGE_TO_EXCLUDE_MODE: {                       // EXCLUDE (A*B, B-A); (B-A)=0; Delete (A-B); GT=GMI
          const AB = A.filter((a) => B.has(a));
          const next = new Map<string, number>();
          for (const a of AB) next.set(a, p.src.get(a)!);
          for (const b of B) if (!next.has(b)) next.set(b, 0);
          p.src = next;
          p.mode = 'exclude';
          p.gt = gmi;
          if (type === R.CHANGE_TO_EXCLUDE_MODE) lowerSources(AB); // Send Q(G,A*B)
          break;
        }
        case R.CHANGE_TO_INCLUDE_MODE: {                       // INCLUDE (A+B); (B)=GMI; Send Q(G,A-B)
          const AminusB = A.filter((a) => !B.has(a));
          for (const b of B) p.src.set(b, gmi);
          lowerSources(AminusB);
          break;
        }
        case R.BLOCK_OLD_SOURCES:                              // INCLUDE (A); Send Q(G,A*B)
          lowerSources(A.filter((a) => B.has(a)));
          break;
      }
    } else {
      const X = [...p.src.keys()].filter(running);
      const A = B;
      switch (type) {
        case R.MODE_IS_INCLUDE:
        case R.ALLOW_NEW_SOURCES:                              // EXCLUDE (X+A, Y-A); (A)=GMI
          for (const a of A) p.src.set(a, gmi);
          break;
        case R.MODE_IS_EXCLUDE: {                              // EXCLUDE (A-Y, Y*A); (A-X-Y)=GMI; Delete (X-A), (Y-A); GT=GMI
          const next = new Map<string, number>();
          for (const a of A) next.set(a, has(a) ? p.src.get(a)! : gmi);
          p.src = next;
          p.gt = gmi;
          break;
        }
        case R.CHANGE_TO_EXCLUDE_MODE: {                       // EXCLUDE (A-Y, Y*A); (A-X-Y)=GT; Delete …; Send Q(G,A-Y); GT=GMI
          const next = new Map<string, number>();
          for (const a of A) next.set(a, has(a) ? p.src.get(a)! : p.gt);
          p.src = next;
          p.gt = gmi;
          lowerSources([...A].filter(running));
          break;
        }
        case R.CHANGE_TO_INCLUDE_MODE: {                       // EXCLUDE (X+A, Y-A); (A)=GMI; Send Q(G,X-A); Send Q(G)
          for (const a of A) p.src.set(a, gmi);
          lowerSources(X.filter((x) => !A.has(x)));
          lowerGroup();
          break;
        }
        case R.BLOCK_OLD_SOURCES: {                            // EXCLUDE (X+(A-Y), Y); (A-X-Y)=GT; Send Q(G,A-Y)
          for (const a of A) if (!has(a)) p.src.set(a, p.gt);
          lowerSources([...A].filter(running));
          break;
        }
      }
    }
    if (p.mode === 'include' && p.src.size === 0) this.ports.delete(port);
  }

  /** Does `port` want traffic from `s`? (§6.3) */
  wants(port: number, s: string): boolean {
    const p = this.ports.get(port);
    if (p === undefined) return false;
    return p.mode === 'include' ? p.src.has(s) : p.src.get(s) !== 0;
  }
}

interface Real { h: Harness }

function compare(m: Model, r: Real): void {
  expect(r.h.now).toBe(m.now);
  for (const port of PORTS) {
    const view = r.h.pg(G, port);
    const p = m.ports.get(port);
    if (p === undefined) {
      expect(view, `port ${port}`).toBeUndefined();
    } else {
      expect(view, `port ${port}`).toBeDefined();
      const want = {
        mode: p.mode,
        compat: m.compat(p),
        groupTimerMs: p.mode === 'exclude' ? p.gt - m.now : 0,
        sources: Object.fromEntries([...p.src].map(([s, at]) => [s, at === 0 ? 0 : at - m.now])),
      };
      const got = {
        mode: view!.mode,
        compat: view!.compat,
        groupTimerMs: view!.groupTimerMs,
        sources: Object.fromEntries(view!.sources.map((s) => [s.address, s.timerMs])),
      };
      expect(got, `port ${port}`).toEqual(want);
    }
    for (const s of [...POOL, OTHER]) {
      expect(r.h.dp.mdbForwards(0, G, s, port), `MDB ${s} → port ${port}`).toBe(m.wants(port, s));
    }
  }
}

const NAMES = ['', 'IS_IN', 'IS_EX', 'TO_IN', 'TO_EX', 'ALLOW', 'BLOCK'];

class RecordCmd implements fc.Command<Model, Real> {
  constructor(readonly port: number, readonly type: number, readonly sources: string[]) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void {
    r.h.record(this.type, G, this.sources, this.port);
    m.record(this.port, this.type, this.sources);
    compare(m, r);
  }
  toString(): string { return `p${this.port} ${NAMES[this.type]}{${this.sources.map((s) => s.split('.')[3]).join(',')}}`; }
}

class OlderReportCmd implements fc.Command<Model, Real> {
  constructor(readonly port: number, readonly version: 1 | 2) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void {
    if (this.version === 1) r.h.v1Report(G, this.port);
    else r.h.v2Report(G, this.port);
    m.older(this.port, this.version);
    compare(m, r);
  }
  toString(): string { return `p${this.port} v${this.version}-report`; }
}

class LeaveCmd implements fc.Command<Model, Real> {
  constructor(readonly port: number) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void {
    r.h.leave(G, this.port);
    m.leave(this.port);
    compare(m, r);
  }
  toString(): string { return `p${this.port} leave`; }
}

class AdvanceCmd implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void {
    r.h.advance(this.ms);
    m.advance(m.now + this.ms);
    compare(m, r);
  }
  toString(): string { return `+${this.ms}ms`; }
}

const port = fc.constantFrom(...PORTS);
const commands = fc.commands([
  fc.tuple(port, fc.integer({ min: 1, max: 6 }), fc.subarray(POOL)).map(([p, t, s]) => new RecordCmd(p, t, s)),
  fc.tuple(port, fc.constantFrom<1 | 2>(1, 2, 2)).map(([p, v]) => new OlderReportCmd(p, v)),
  port.map((p) => new LeaveCmd(p)),
  fc.oneof(
    fc.constantFrom(0, 1, 999, 1_000, LMQT, 5_000, GMI - 1, GMI, 30_000),
    fc.integer({ min: 0, max: 25_000 }),
  ).map((ms) => new AdvanceCmd(ms)),
], { maxCommands: 60 });

describe('model-based: engine vs RFC 3376 reference model', () => {
  const config = {
    noQuerier: 'filter' as const, startupFloodMs: 0, queryIntervalMs: 10_000, queryResponseIntervalMs: 2_000,
    groupMembershipIntervalMs: GMI, olderHostPresentIntervalMs: OHPI,
    lastMemberQueryIntervalMs: 1_000, lastMemberQueryCount: 2,
  };
  for (const variant of ['no querier', 'another querier'] as const) {
    it(`agrees on state, timers and forwarding for random command sequences (${variant})`, () => {
      fc.assert(
        fc.property(commands, (cmds) => {
          const setup = () => {
            const h = new Harness({
              config: { ...config, otherQuerierPresentIntervalMs: variant === 'no querier' ? 21_000 : 1e12, routerTimeoutMs: 21_000 },
              ports: [{ index: 1 }, { index: 2 }, { index: 3 }],
            });
            if (variant === 'another querier') h.query({ version: 2 }, 3, '192.0.2.100'); // elected for the whole run
            return { model: new Model(variant === 'no querier'), real: { h } };
          };
          fc.modelRun(setup, cmds);
        }),
        { numRuns: 300 },
      );
    });
  }
});
