// Model-based test (fast-check `fc.commands`): random sequences of IGMPv3 records, IGMPv1/v2
// reports, IGMPv2 leaves and time steps on two ports, run against the engine and against the
// reference model of the RFC 3376 router state in test/model/rfc3376-router.ts (shared with the
// differential namespace harness, test/differential/).
// The test runs twice: with no querier (Send Q lowers timers) and with another elected querier (Send Q
// is that querier's job, so the table rows show unmasked).
// After every command: same state per port (mode, compat, every timer value) and the MDB the engine
// installed forwards exactly the sources the model says each port wants.

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { expect } from 'vitest';
import { Harness, ip } from './harness.js';
import { Model } from '../../model/rfc3376-router.js';

const G = '239.5.5.5';
const GMI = 22_000;
const LMQT = 2_000;
const OHPI = 22_000;
const POOL = [ip(1), ip(2), ip(3), ip(4)];
const OTHER = ip(99);
const PORTS = [1, 2];

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
            return { model: new Model(variant === 'no querier', { gmi: GMI, lmqt: LMQT, ohpi: OHPI }), real: { h } };
          };
          fc.modelRun(setup, cmds);
        }),
        { numRuns: 300 },
      );
    });
  }
});
