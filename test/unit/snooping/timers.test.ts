// DeadlineQueue against a naive model: random arm / stop / run-until sequences over a few hundred
// timers (enough to trigger compaction), checking firing order, times and next().

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adoptedTimers, configuredTimers, DeadlineQueue, Timer, TimerKind, type AnyTimer } from '../../../src/snooping/timers.js';
import { defaultSnoopingConfig } from '../../../src/config/translate.js';
import { Harness } from './harness.js';

type Op = { op: 'arm'; t: number; due: number } | { op: 'stop'; t: number } | { op: 'run'; until: number };

describe('DeadlineQueue', () => {
  it('fires exactly the running timers, in due order, at their due times (vs a naive model)', () => {
    const N = 300;
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ op: fc.constant('arm' as const), t: fc.nat(N - 1), due: fc.nat(10_000) }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('stop' as const), t: fc.nat(N - 1) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('run' as const), until: fc.nat(600) }) },
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 3_000 }), (ops) => {
      const q = new DeadlineQueue();
      // The queue does not look at kinds or owners: Policy timers (owner null), told apart by their index here.
      const timers = Array.from({ length: N }, () => new Timer(TimerKind.Policy, null));
      const indexOf = new Map<AnyTimer, number>(timers.map((t, i) => [t, i]));
      const model = new Map<number, number>(); // timer → due
      let now = 0;
      for (const o of ops) {
        if (o.op === 'arm') {
          const due = now + o.due;
          q.arm(timers[o.t]!, due);
          model.set(o.t, due);
        } else if (o.op === 'stop') {
          q.stop(timers[o.t]!);
          model.delete(o.t);
        } else {
          const until = now + o.until;
          const want = [...model].filter(([, d]) => d <= until).sort((a, b) => a[1] - b[1]);
          const got: Array<[number, number]> = [];
          for (let r = q.popDue(until); r !== null; r = q.popDue(until)) got.push([indexOf.get(r.timer)!, r.at]);
          expect(got.map(([, at]) => at)).toEqual(want.map(([, d]) => d));
          expect(new Set(got.map(([t]) => t))).toEqual(new Set(want.map(([t]) => t)));
          for (const [t] of got) model.delete(t);
          now = until;
        }
        const earliest = Math.min(...model.values());
        expect(q.next()).toBe(earliest);
        for (const [t, d] of model) expect(timers[t]!.due).toBe(d);
      }
      expect(q.size).toBeLessThanOrEqual(Math.max(1_100, 5 * model.size + 50));
    }), { numRuns: 60 });
  });

  it('stays small under churn (stopped timers are compacted away)', () => {
    const q = new DeadlineQueue();
    const keep = Array.from({ length: 100 }, () => new Timer(TimerKind.Policy, null));
    keep.forEach((t, i) => q.arm(t, 1_000_000 + i));
    for (let i = 0; i < 100_000; i++) {
      const t = new Timer(TimerKind.Policy, null);
      q.arm(t, 260_000 + i);
      q.stop(t);
    }
    expect(q.size).toBeLessThan(1_200);
    expect(q.next()).toBe(1_000_000);
  });
});

describe('issue 11.9: negative times never look like a stopped timer', () => {
  it('a timer armed at a negative time runs, fires and reports its remaining time', () => {
    const q = new DeadlineQueue();
    const t = new Timer(TimerKind.Policy, null);
    q.arm(t, -1);
    expect(t.running).toBe(true);
    expect(t.remaining(-1_001)).toBe(1_000);
    expect(q.next()).toBe(-1);
    expect(q.popDue(-1)?.timer).toBe(t);
    expect(t.running).toBe(false);
  });

  it('an engine started at a negative now runs its querier', () => {
    const h = new Harness({ start: -1_000_000, querier: { enabled: true, address: '192.0.2.254', version: 3 } });
    h.advance(1_000);
    expect(h.queries().length).toBe(1);
    expect(h.engine.querier()[0]!.own.nextQueryInMs).toBe(31_250 - 1_000);
    h.advance(31_250);
    expect(h.queries().length).toBe(2);
  });

  it('an engine restored at a negative now (now − downtime) keeps and expires its memberships', () => {
    const a = new Harness();
    a.v2Report('239.1.1.1', 1);
    const b = new Harness({ start: -5_000, querier: { enabled: true, address: '192.0.2.254', version: 3 } });
    b.next = b.engine.restore(a.engine.snapshot(), b.now);
    expect(b.pg('239.1.1.1', 1)?.groupTimerMs).toBe(260_000);
    b.advance(1);
    expect(b.queries().length).toBe(1);
    b.advance(259_998);
    expect(b.pg('239.1.1.1', 1)).toBeDefined();
    b.advance(1);
    expect(b.pg('239.1.1.1', 1)).toBeUndefined();
  });
});

describe('timer values', () => {
  it('configured timers follow the config; LMQT = LMQI × LMQC', () => {
    const t = configuredTimers(defaultSnoopingConfig());
    expect(t).toMatchObject({ gmiMs: 260_000, oqpiMs: 255_000, startupQueryIntervalMs: 31_250, lmqtMs: 2_000, olderHostPresentMs: 260_000 });
  });

  it('adopted QRV/QQI recompute the RFC 3376 §8 formulas', () => {
    expect(adoptedTimers(defaultSnoopingConfig(), 4, 30)).toMatchObject({
      robustness: 4, queryIntervalMs: 30_000, gmiMs: 130_000, oqpiMs: 125_000, lmqc: 4, lmqtMs: 4_000, startupQueryCount: 4,
    });
  });
});
