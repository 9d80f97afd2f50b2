// Property: whatever bytes arrive, of whatever length, on whatever port with whatever flags, `process` does not
// trap, writes nothing outside the regions it owns (frames, descriptors and every table it does not write stay
// byte-for-byte the same), and gives every frame exactly one consistent verdict and TX-list entries to match.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleFrames } from '../../../src/testkit/frames.js';
import { newCore } from './harness.js';

const MAX_BATCH = 8;
const ACTIVE = 0b1011n; // port 2 inactive

/** A frame: random bytes, or a real frame with bytes flipped and its tail cut. */
const arbitraryFrame = (() => {
  const samples = sampleFrames().map((s) => s.frame);
  const random = fc.uint8Array({ minLength: 0, maxLength: 1600 });
  const mutated = fc.tuple(
    fc.constantFrom(...samples),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    fc.option(fc.nat(), { freq: 2 }),
  ).map(([base, flips, cut]) => {
    const f = base.slice(0, cut === null ? base.length : cut % (base.length + 1));
    for (const [at, value] of flips) if (f.length > 0) f[at % f.length] = value;
    return f;
  });
  return fc.oneof(random, mutated, mutated);
})();

const arbitraryInput = fc.record({
  frame: arbitraryFrame,
  port: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff })),
  flags: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
});

// A small MDB, and one too large for the cache, which turns on the warm-up pass over the batch (pipeline.ts).
describe.each([
  { tables: 'small tables', mdbCapacity: 16, runs: 400 },
  { tables: 'an MDB larger than the cache', mdbCapacity: 20_000, runs: 150 },
])('process on arbitrary input, $tables', ({ mdbCapacity, runs }) => {
  const core = newCore({ maxBatch: MAX_BATCH, fdbCapacity: 16, mdbCapacity });
  core.setActivePorts(ACTIVE);
  core.setRouterPorts(0b1000n);
  core.setReportRate(1000, 1000);
  core.mdbSet(0, '239.1.1.1', null, 0b0011n);
  core.mdbSet(10, '239.1.1.1', '192.0.2.1', 0b0001n);
  const L = core.layout;
  const mem = core.bytes;
  // What process() may write: verdicts, TX counts and lists, the punt list and the FDB (contiguous, in this order),
  // then the report buckets and the counters. Slots, descriptors, the MDB and the scratch keys must not change.
  expect([L.verdicts < L.txCounts, L.txCounts < L.txLists, L.txLists < L.puntList, L.puntList < L.fdb, L.fdb < L.mdb])
    .toEqual([true, true, true, true, true]);
  const owned: [number, number][] = [
    [L.verdicts, L.mdb],
    [L.portTable, L.scratch],
  ];
  const notOwned = (snapshot: Uint8Array): boolean => {
    let from = 0;
    for (const [start, end] of owned) {
      if (!sameBytes(snapshot, mem, from, start)) return false;
      from = end;
    }
    return sameBytes(snapshot, mem, from, mem.length);
  };

  it('never traps, writes only its own regions, and gives each frame one consistent verdict', () => {
    fc.assert(fc.property(fc.array(arbitraryInput, { minLength: 1, maxLength: MAX_BATCH }), fc.nat(), (inputs, now) => {
      inputs.forEach((x, i) => core.writeFrame(i, x.frame, x.port, x.flags));
      const before = mem.slice();
      const punted = core.process(inputs.length, now);
      if (!notOwned(before)) return false;
      let punts = 0;
      const queued = new Map<number, Set<number>>();
      for (let p = 0; p < 64; p++) for (const i of core.txList(p)) {
        if (!queued.has(i)) queued.set(i, new Set());
        queued.get(i)!.add(p);
      }
      for (let i = 0; i < inputs.length; i++) {
        const v = core.verdict(i);
        const ingress = BigInt(inputs[i]!.port);
        if (!core.names.action!.includes(v.action) || !core.names.drop!.includes(v.reason)) return false;
        if (v.action === 'drop' ? v.ports !== 0n || v.reason === 'none' : v.reason !== 'none') return false;
        if (v.action === 'punt' || v.action === 'punt_and_forward') {
          punts++;
          if (v.punt === 'none') return false;
        }
        if ((v.ports & ~ACTIVE) !== 0n || (ingress < 64n && ((v.ports >> ingress) & 1n) === 1n)) return false;
        const listed = [...(queued.get(i) ?? [])].reduce((m, p) => m | (1n << BigInt(p)), 0n);
        if (listed !== v.ports) return false;
      }
      return punts === punted && [...queued.keys()].every((i) => i < inputs.length);
    }), { numRuns: runs });
  });

  it('counts one received frame per input', () => {
    core.resetCounters();
    const frames = sampleFrames();
    frames.forEach((s, i) => {
      core.writeFrame(i % MAX_BATCH, s.frame, i % 4);
      if (i % MAX_BATCH === MAX_BATCH - 1 || i === frames.length - 1) core.process((i % MAX_BATCH) + 1, 0);
    });
    const c = core.counters();
    expect(c.totals.rx_frames).toBe(frames.length);
    const dropped = Object.values(c.totals.drops).reduce((a, b) => a + b, 0);
    expect(dropped).toBeLessThanOrEqual(frames.length);
    expect(c.totals.drops.none).toBe(0);
  });
});

function sameBytes(a: Uint8Array, b: Uint8Array, from: number, to: number): boolean {
  return Buffer.from(a.buffer, a.byteOffset + from, to - from).equals(Buffer.from(b.buffer, b.byteOffset + from, to - from));
}
