// Model-based test (fast-check `fc.commands`): random sequences of IGMPv3 records, IGMPv1/v2
// reports, IGMPv2 leaves and time steps on two ports, run against the engine and against the
// reference model of the RFC 3376 router state in test/model/rfc3376-router.ts (shared with the
// differential namespace harness, test/differential/).
// One generator for both address families (FAMILY_CASES): for MLD the same commands are MLDv2 records, MLDv1
// reports (the model's "version 2" older host: RFC 3810 §8.3.2 is RFC 3376 §7.3.2 with MLDv1 for IGMPv2; there is
// no MLD counterpart of IGMPv1, so version 1 becomes MLDv1 as well) and MLDv1 Done, on the IPv6 engine; the model
// is the same (RFC 3810 §7.4 is RFC 3376 §6.4 with other names).
// Each family runs twice: with no querier (Send Q lowers timers) and with another elected querier (Send Q
// is that querier's job, so the table rows show unmasked).
// After every command: same state per port (mode, compat, every timer value) and the MDB the engine
// installed forwards exactly the sources the model says each port wants.

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { expect } from 'vitest';
import { FAMILY_CASES, Harness, type FamilyCase } from './harness.js';
import { Model } from '../../model/rfc3376-router.js';

const GMI = 22_000;
const LMQT = 2_000;
const OHPI = 22_000;
/** Source numbers: the pool the generator draws from, and one never named in a record. */
const POOL = [1, 2, 3, 4];
const OTHER = 99;
const PORTS = [1, 2];

/** The engine under test, its family and group; the generator's source numbers become that family's addresses. */
interface Real { h: Harness; fam: FamilyCase; G: string }
const addr = (r: Real, n: number): string => r.fam.ip(n);

function compare(m: Model, r: Real): void {
  const G = r.G;
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
    for (const s of [...POOL, OTHER].map((n) => addr(r, n))) {
      expect(r.h.dp.mdbForwards(0, G, s, port), `MDB ${s} → port ${port}`).toBe(m.wants(port, s));
    }
  }
}

const NAMES = ['', 'IS_IN', 'IS_EX', 'TO_IN', 'TO_EX', 'ALLOW', 'BLOCK'];

class RecordCmd implements fc.Command<Model, Real> {
  constructor(readonly port: number, readonly type: number, readonly sources: number[]) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void {
    const sources = this.sources.map((n) => addr(r, n));
    r.h.record(this.type, r.G, sources, this.port);
    m.record(this.port, this.type, sources);
    compare(m, r);
  }
  toString(): string { return `p${this.port} ${NAMES[this.type]}{${this.sources.join(',')}}`; }
}

class OlderReportCmd implements fc.Command<Model, Real> {
  constructor(readonly port: number, readonly version: 1 | 2) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void {
    if (r.fam.family.ip === 6) {
      r.h.mld({ type: 'report', version: 1, group: r.G }, this.port);                   // MLDv1 Report: the model's version 2
      m.older(this.port, 2);
    } else {
      if (this.version === 1) r.h.v1Report(r.G, this.port);
      else r.h.v2Report(r.G, this.port);
      m.older(this.port, this.version);
    }
    compare(m, r);
  }
  toString(): string { return `p${this.port} v${this.version}-report (MLD: MLDv1 report)`; }
}

class LeaveCmd implements fc.Command<Model, Real> {
  constructor(readonly port: number) {}
  check(): boolean { return true; }
  run(m: Model, r: Real): void {
    if (r.fam.family.ip === 6) r.h.mld({ type: 'done', group: r.G }, this.port);
    else r.h.leave(r.G, this.port);
    m.leave(this.port);
    compare(m, r);
  }
  toString(): string { return `p${this.port} leave (MLD: Done)`; }
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

describe.each(FAMILY_CASES)('model-based: $name engine vs RFC 3376 / RFC 3810 reference model', (fam) => {
  const config = {
    noQuerier: 'filter' as const, startupFloodMs: 0, queryIntervalMs: 10_000, queryResponseIntervalMs: 2_000,
    groupMembershipIntervalMs: GMI, olderHostPresentIntervalMs: OHPI,
    lastMemberQueryIntervalMs: 1_000, lastMemberQueryCount: 2,
  };
  for (const variant of ['no querier', 'another querier'] as const) {
    it(`agrees on state, timers and forwarding for random command sequences (${fam.name}, ${variant})`, () => {
      fc.assert(
        fc.property(commands, (cmds) => {
          const setup = () => {
            const h = new Harness({
              family: fam.family,
              config: { ...config, otherQuerierPresentIntervalMs: variant === 'no querier' ? 21_000 : 1e12, routerTimeoutMs: 21_000 },
              ports: [{ index: 1 }, { index: 2 }, { index: 3 }],
            });
            // elected for the whole run (an IGMPv2 / MLDv1 querier)
            if (variant === 'another querier') h.query({ version: 2 }, 3, fam.otherQuerier);
            return { model: new Model(variant === 'no querier', { gmi: GMI, lmqt: LMQT, ohpi: OHPI }), real: { h, fam, G: fam.family.ip === 6 ? 'ff0e::5:5:5' : '239.5.5.5' } };
          };
          fc.modelRun(setup, cmds);
        }),
        { numRuns: 300 },
      );
    });
  }
});
