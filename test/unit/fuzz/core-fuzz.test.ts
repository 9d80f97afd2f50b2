// Fuzzing the Wasm data-plane core (issue 7, item 1): frames in batches through the real module, checked against a
// reference model (core-oracle.ts) and against the memory contract.
//
// Inputs (frame-gen.ts): random bytes of random lengths (up to a full 68 KiB slot), and valid IGMP v1/v2/v3 reports,
// leaves and queries, MRD, PIM, IPv4/IPv6 multicast data, MLD v1/v2, ICMPv6 MRD, unicast and broadcast frames, each
// mutated by one family: bit flips (with and without checksum fix-ups), IPv4 field attacks (bad IHL, version, total
// length too short or too long, fragments, TTL, options of any content, protocol, addresses), huge record / source /
// aux-data counts in IGMPv3 and MLDv2 reports and queries (checksums fixed, so the length walk is what decides),
// truncation by the descriptor (the rest of the frame stays in the slot), trailing garbage, VLAN/QinQ stacks of 0-4
// tags with odd TPIDs and cuts inside the stack, MAC attacks, and descriptor abuse (pointers outside the slot,
// absurd lengths, ports ≥ 64, any flags). Plus every truncation length of every base frame.
//
// Properties, for every batch:
//   - process() returns (no trap) within a generous bound (no stall);
//   - exactly one verdict per frame, equal to the reference model's: action, drop reason, punt class, egress ports,
//     L3 offset, VLAN — so every drop is counted under the reason the rules give;
//   - TX lists and punt list list exactly those frames, in order; the TX counts of all 64 ports are right;
//   - every counter moved by exactly what the verdicts say: rx, tx, each drop reason, each message type, events;
//     in particular Σ drops + forwarded + punted = frames;
//   - memory outside the documented output regions is byte-for-byte unchanged: static data, every frame slot
//     (frames are never rewritten), descriptors, verdicts past the batch, the MDB (frames never change it), scratch;
//     the report buckets change only as the token-bucket model says;
//   - the FDB equals the model's: frames change it only by learning the source of a frame that passed the L2 checks
//     (valid unicast source, not a reserved group, tags complete, active port, sane descriptor), exactly as
//     IEEE 802.1D learning does whatever the payload; frames that fail those checks never change it.
//   - trace() of any frame has no side effect at all and agrees with the model.
// And by construction (independent of the model): each targeted malformation is dropped for its own reason.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type Core, loadCore } from '../../../src/dataplane/core.js';
import { ipv4Address, ipv6Address } from '../../../src/testkit/frames.js';
import { FUZZ_FRAMES, FUZZ_SEED, Tally, timeoutFor } from './budget.js';
import { BucketModel, type CoreSettings, CoreOracle, type Expected, FdbModel, MdbModel } from './core-oracle.js';
import { BASES, buildCase, describeCase, type FrameCase, recipeArbitrary } from './frame-gen.js';
import { Rng } from './rng.js';
import * as T from './targeted.js';

const MAX_BATCH = 32;
/** The core's UMEM region, for frame cases placed at chunk boundaries. */
const UMEM_OF = (L: { umemChunkSize?: number; umemChunks?: number }) => ({ chunkSize: L.umemChunkSize!, chunks: L.umemChunks! });
const FDB_CAPACITY = 16;
/** A batch of 32 frames decides in well under a millisecond; a stall is anything near this. */
const STALL_MS = 2_000;

const PRESETS: readonly CoreSettings[] = [
  { active: 0b101011n, routers: 0b1000n, floodAll: 0n, floodReports: 0b10n, floodUnregistered: 0b1n, unregistered: 'routers', mode: 'snoop', mld: true, rate: 0, burst: 0, fdbAgingMs: 2_000 },
  { active: 0b101011n, routers: 0n, floodAll: 0b100000n, floodReports: 0n, floodUnregistered: 0b1011n, unregistered: 'flood', mode: 'flood', mld: false, rate: 5, burst: 3, fdbAgingMs: 0 },
  { active: 0b001011n, routers: 0b1n, floodAll: 0b10n, floodReports: 0b1000n, floodUnregistered: 0n, unregistered: 'drop', mode: 'snoop', mld: true, rate: 1000, burst: 16, fdbAgingMs: 100 },
  { active: 0b101011n, routers: 0n, floodAll: 0n, floodReports: 0n, floodUnregistered: 0n, unregistered: 'drop', mode: 'snoop', mld: true, rate: 2, burst: 1, fdbAgingMs: 50_000 },
];

/** The MDB every fuzz core carries (the control plane's job; frames must never change it). */
const MDB: readonly [number, string, string | null, bigint][] = [
  [0, '239.1.1.1', null, 0b0011n],
  [0, '239.2.2.2', '192.0.2.1', 0b0010n],
  [10, '239.1.1.1', null, 0b0010n],
  [10, '239.1.1.1', '192.0.2.9', 0b0001n],
  [0, 'ff0e::1234', null, 0b0001n],
  [0, 'ff0e::1234', '2001:db8::1', 0b100000n],
  [0, '239.255.255.250', null, 0n],
];

const addr = (a: string): Uint8Array => (a.includes(':') ? ipv6Address(a) : ipv4Address(a));

class FuzzCore {
  readonly core: Core;
  readonly mdb = new MdbModel();
  readonly fdb = new FdbModel(FDB_CAPACITY);
  readonly buckets = new BucketModel();
  readonly oracle: CoreOracle;
  readonly mem: Uint8Array;
  readonly snap: Uint8Array;
  private readonly memBuf: Buffer;
  private readonly snapBuf: Buffer;
  private readonly snapCells: BigUint64Array;
  private readonly idx: { drop: number; message: number; event: number; rowLength: number; batches: number };
  frames = 0;
  slowestMs = 0;
  /** Verdicts and messages seen, for the coverage line printed at the end. */
  readonly coverage = new Map<string, number>();

  constructor() {
    this.core = loadCore({ maxBatch: MAX_BATCH, fdbCapacity: FDB_CAPACITY, mdbCapacity: 64 });
    const L = this.core.layout;
    for (const [vlan, g, s, ports] of MDB) {
      expect(this.core.mdbSet(vlan, g, s, ports)).toBe(true);
      this.mdb.set(vlan, addr(g), s === null ? null : addr(s), ports);
    }
    this.oracle = new CoreOracle(PRESETS[0]!, this.fdb, this.mdb, this.buckets);
    this.mem = this.core.bytes;
    this.snap = new Uint8Array(this.mem.length);
    this.memBuf = Buffer.from(this.mem.buffer, 0, this.mem.length);
    this.snapBuf = Buffer.from(this.snap.buffer, 0, this.snap.length);
    this.snapCells = new BigUint64Array(this.snap.buffer, L.counters, this.core.counterCells.length);
    const n = this.core.names;
    this.idx = {
      drop: n.traffic!.length,
      message: n.traffic!.length + n.drop!.length,
      event: n.traffic!.length + n.drop!.length + n.message!.length,
      rowLength: L.counterRowLength,
      batches: n.global!.indexOf('batches'),
    };
    // The regions this test relies on are laid out as documented.
    expect(L.verdicts < L.txCounts && L.txCounts < L.txLists && L.txLists < L.puntList && L.puntList < L.fdb &&
      L.fdb < L.mdb && L.mdb < L.portTable && L.portTable < L.counters && L.counters < L.scratch).toBe(true);
    this.apply(PRESETS[0]!);
  }

  /** Put a preset into the core and the model; forget learned addresses. */
  apply(s: CoreSettings): void {
    const c = this.core;
    c.setActivePorts(s.active);
    c.setRouterPorts(s.routers);
    c.setPortFlags(s.floodAll, s.floodReports, s.floodUnregistered);
    c.setPolicy(s.unregistered, s.mode);
    c.setMldSnooping(s.mld);
    c.setReportRate(s.rate, s.burst);
    c.setFdbAgingMs(s.fdbAgingMs);
    c.fdbFlush(null);
    this.oracle.settings = s;
    this.buckets.set(s.rate, s.burst);
    this.fdb.entries.clear();
    this.fdb.setAging(s.fdbAgingMs);
  }

  private same(from: number, to: number): boolean {
    return this.memBuf.compare(this.snapBuf, from, to, from, to) === 0;
  }

  /** Write the cases into slots 0..n-1 and their descriptors; returns each descriptor's frame address. */
  private write(cases: readonly FrameCase[]): number[] {
    const c = this.core;
    const L = c.layout;
    return cases.map((k, i) => {
      c.writeFrame(i, k.bytes, 0);
      let address = c.slotAddress(i) + L.slotHeadroom;
      if (k.pointer.kind === 'slot-offset') address = (c.slotAddress(i) + k.pointer.offset) >>> 0;
      else if (k.pointer.kind === 'absolute') address = k.pointer.address >>> 0;
      else if (k.pointer.kind === 'umem') {
        // Copy what lies inside the UMEM region (never into the regions after it), point the descriptor there.
        address = L.umem! + k.pointer.offset;
        const room = Math.max(0, L.umem! + L.umemChunks! * L.umemChunkSize! - address);
        this.mem.set(k.bytes.subarray(0, Math.min(room, k.bytes.length)), address);
      }
      c.writeDescriptor(i, address, k.length >>> 0, k.port & 0xffff, k.flags & 0xffff);
      return address;
    });
  }

  /** Where the memory contract lets a frame be: inside its own slot, or inside one UMEM chunk (AF_XDP). */
  private inSlot(i: number, address: number, length: number): boolean {
    const L = this.core.layout;
    const offset = (address - this.core.slotAddress(i)) >>> 0;
    if (offset < L.slotStride && length >>> 0 <= L.slotStride - offset) return true;
    const u = (address - L.umem!) >>> 0;
    return u < L.umemChunks! * L.umemChunkSize! && length >>> 0 <= L.umemChunkSize! - (u % L.umemChunkSize!);
  }

  /** One batch through process(), every property checked. Throws with the offending frame on a violation. */
  batch(cases: readonly FrameCase[], now: number): void {
    const c = this.core;
    const L = c.layout;
    const addresses = this.write(cases);
    this.snap.set(this.mem);
    // The model, frame by frame, from the same bytes the core sees.
    const expected: Expected[] = cases.map((k, i) => {
      const length = k.length >>> 0;
      const inSlot = this.inSlot(i, addresses[i]!, length);
      const bytes = inSlot ? this.snap.subarray(addresses[i]!, addresses[i]! + length) : new Uint8Array(0);
      return this.oracle.decide({ bytes, length, port: k.port & 0xffff, flags: k.flags & 0xffff, inSlot }, now >>> 0);
    });

    const t0 = performance.now();
    const punted = c.process(cases.length, now);
    const ms = performance.now() - t0;
    this.slowestMs = Math.max(this.slowestMs, ms);
    this.frames += cases.length;
    const fail = (i: number | null, what: string): never => {
      throw new Error(`${what}${i === null ? '' : `\n  frame ${i}: ${describeCase(cases[i]!)}\n  expected ${JSON.stringify(expected[i], big)}`}`);
    };
    if (ms > STALL_MS) fail(null, `process() of ${cases.length} frames took ${ms.toFixed(0)} ms`);

    // Verdicts: exactly the model's.
    const names = c.names;
    let puntsExpected = 0;
    const perPort = new Map<number, number[]>();
    for (let i = 0; i < cases.length; i++) {
      const v = c.verdict(i);
      const e = expected[i]!;
      if (v.action !== e.action || v.reason !== e.reason || v.punt !== e.punt || v.ports !== e.ports ||
        v.l3Offset !== e.l3Offset || v.vlan !== e.vlan) {
        fail(i, `verdict ${JSON.stringify(v, big)} differs from the model`);
      }
      if (e.action === 'punt' || e.action === 'punt_and_forward') puntsExpected++;
      for (let p = 0; p < 64; p++) if ((e.ports >> BigInt(p)) & 1n) (perPort.get(p) ?? perPort.set(p, []).get(p)!).push(i);
    }
    if (punted !== puntsExpected || c.puntCount() !== puntsExpected) fail(null, `punted ${punted} (list ${c.puntCount()}), model ${puntsExpected}`);
    let k = 0;
    for (let i = 0; i < cases.length; i++) {
      const a = expected[i]!.action;
      if (a === 'punt' || a === 'punt_and_forward') {
        if (c.puntFrameIndex(k) !== i) fail(i, `punt list entry ${k} is frame ${c.puntFrameIndex(k)}`);
        k++;
      }
    }
    for (let p = 0; p < 64; p++) {
      const want = perPort.get(p) ?? [];
      const got = c.txList(p);
      if (got.length !== want.length || got.some((x, j) => x !== want[j])) fail(null, `TX list of port ${p}: ${got} instead of ${want}`);
    }

    // Counters: every cell moved by exactly what the verdicts say.
    const delta = new Map<number, bigint>();
    const bump = (cell: number, n: bigint | number = 1): void => { delta.set(cell, (delta.get(cell) ?? 0n) + BigInt(n)); };
    const row = (r: number): number => r * this.idx.rowLength;
    cases.forEach((kase, i) => {
      const e = expected[i]!;
      const r = row(e.row);
      bump(r + 0);
      bump(r + 1, kase.length >>> 0);
      if (e.action === 'drop') bump(r + this.idx.drop + names.drop!.indexOf(e.reason));
      if (e.message) bump(r + this.idx.message + names.message!.indexOf(e.message));
      for (const ev of e.events) bump(r + this.idx.event + names.event!.indexOf(ev));
      for (const [p, list] of perPort) if (list.includes(i)) { bump(row(p) + 2); bump(row(p) + 3, kase.length >>> 0); }
    });
    const cells = c.counterCells;
    for (let j = 0; j < cells.length; j++) {
      const d = cells[j]! - this.snapCells[j]!;
      if (d !== (delta.get(j) ?? 0n)) {
        const r = Math.floor(j / this.idx.rowLength);
        const col = j % this.idx.rowLength;
        const name = [...names.traffic!, ...names.drop!, ...names.message!, ...names.event!][col];
        fail(null, `counter row ${r} ${name}: moved by ${d}, model ${delta.get(j) ?? 0n}\n  batch: ${expected.map((e) => `${e.action}/${e.reason}`).join(' ')}`);
      }
    }
    const g = c.globalCells[this.idx.batches]! - new BigUint64Array(this.snap.buffer, L.globalCounters, L.globalCounterCount)[this.idx.batches]!;
    if (g !== 1n) fail(null, `batches counter moved by ${g}`);
    // Σ drops + forwarded + punted = frames, from the verdicts the core wrote.
    let dropped = 0;
    let forwarded = 0;
    let puntedFrames = 0;
    for (let i = 0; i < cases.length; i++) {
      const a = c.verdict(i).action;
      if (a === 'drop') dropped++;
      else if (a === 'forward') forwarded++;
      else puntedFrames++;
    }
    if (dropped + forwarded + puntedFrames !== cases.length) fail(null, 'verdict count');

    // Memory outside the output regions: unchanged.
    const verdictsEnd = L.verdicts + cases.length * L.verdictStride;
    if (!this.same(0, L.verdicts)) fail(null, this.firstDiff(0, L.verdicts, 'static data, frame slots or descriptors changed'));
    if (!this.same(verdictsEnd, L.txCounts)) fail(null, 'verdicts past the batch changed');
    if (!this.same(L.mdb, L.portTable)) fail(null, this.firstDiff(L.mdb, L.portTable, 'the MDB changed'));
    if (!this.same(L.scratch, this.mem.length)) fail(null, 'scratch or the memory past the layout changed');
    // Report buckets: as the model says (unchanged when the rate is 0).
    if (this.buckets.rate === 0) {
      if (!this.same(L.portTable, L.counters)) fail(null, 'report buckets changed with no rate limit');
    } else {
      for (let p = 0; p < 64; p++) {
        const tokens = c.view.getUint32(L.portTable + 16 * p, true);
        const last = c.view.getUint32(L.portTable + 16 * p + 4, true);
        if (tokens !== this.buckets.tokens[p] || last !== this.buckets.last[p]) {
          fail(null, `port ${p} bucket ${tokens}@${last}, model ${this.buckets.tokens[p]}@${this.buckets.last[p]}`);
        }
      }
    }
    // The unreported trace row and the global counters other than `batches`: untouched by process().
    const traceRow = L.counters + L.counterRows * L.counterRowStride;
    if (!this.same(traceRow, traceRow + L.counterRowStride)) fail(null, 'the trace row changed in process()');
    for (let j = 0; j < L.globalCounterCount; j++) {
      if (j !== this.idx.batches && !this.same(L.globalCounters + 8 * j, L.globalCounters + 8 * j + 8)) fail(null, `global counter ${names.global![j]} changed`);
    }
    for (const e of expected) {
      const key = e.action === 'drop' ? `drop:${e.reason}` : `${e.action}${e.punt === 'none' ? '' : `:${e.punt}`}`;
      this.coverage.set(key, (this.coverage.get(key) ?? 0) + 1);
      if (e.message) this.coverage.set(`msg:${e.message}`, (this.coverage.get(`msg:${e.message}`) ?? 0) + 1);
    }
    // FDB: equal to the model (learning is the only change frames make).
    this.checkFdb(() => fail(null, 'FDB differs from the model'));
  }

  checkFdb(onFail: () => never): void {
    const got = this.core.fdbEntries();
    if (got.length !== this.fdb.entries.size) onFail();
    for (const e of got) {
      const mac = e.mac.split(':').map((x) => parseInt(x, 16)).join(',');
      const m = this.fdb.entries.get(`${e.vlan}|${mac}`);
      if (!m || m.port !== e.port || m.lastSeen >>> 0 !== e.lastSeenMs) onFail();
    }
  }

  /** trace(): no side effect anywhere but slot 0, descriptor 0, verdict 0 and the unreported trace row. */
  trace(kase: FrameCase, now: number): void {
    const c = this.core;
    const L = c.layout;
    const port = kase.port & 0xffff;
    if (kase.bytes.length > L.slotSize) return;
    c.writeFrame(0, kase.bytes, port);
    this.snap.set(this.mem);
    const e = this.oracle.decide({ bytes: kase.bytes, length: kase.bytes.length, port, flags: 0, inSlot: true }, now >>> 0, true);
    const d = c.trace(port, kase.bytes, now);
    const fail = (what: string): never => {
      throw new Error(`trace: ${what}\n  ${describeCase(kase)}\n  expected ${JSON.stringify(e, big)} got ${JSON.stringify(d, big)}`);
    };
    if (d.action !== e.action || d.reason !== e.reason || d.punt !== e.punt || d.ports !== e.ports) fail('verdict differs from the model');
    const traceRowStart = L.counters + 65 * L.counterRowStride;
    if (!this.same(0, L.verdicts)) fail('memory before the verdicts changed');
    if (!this.same(L.verdicts + L.verdictStride, traceRowStart)) fail(this.firstDiff(L.verdicts + L.verdictStride, traceRowStart, 'side effect'));
    if (!this.same(traceRowStart + L.counterRowStride, this.mem.length)) fail('side effect after the trace row');
  }

  private firstDiff(from: number, to: number, what: string): string {
    for (let i = from; i < to; i++) if (this.mem[i] !== this.snap[i]) return `${what} (first at byte ${i}: ${this.snap[i]} → ${this.mem[i]})`;
    return what;
  }
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `0x${v.toString(16)}` : v;
}

const tally = new Tally();
afterAll(() => tally.print('Wasm core'));

/** Run fc.assert until at least `frames` frames went through; fast-check's seed is printed on failure. */
function assertFrames<T>(name: string, frames: number, arb: fc.Arbitrary<T>, framesPer: (x: T) => number, body: (x: T) => void, avg: number): void {
  const t0 = performance.now();
  let done = 0;
  let round = 0;
  while (done < frames) {
    const numRuns = Math.max(1, Math.ceil((frames - done) / avg));
    fc.assert(fc.property(arb, (x) => {
      body(x);
      done += framesPer(x);
    }), { numRuns, seed: FUZZ_SEED === undefined ? undefined : FUZZ_SEED + round });
    round++;
  }
  tally.add(name, done, performance.now() - t0);
}

interface Run {
  preset: number;
  start: number;
  batches: { step: number; recipes: import('./frame-gen.js').Recipe[] }[];
  traceAt: number;
}

describe('Wasm core under fuzzed frames', () => {
  const fz = new FuzzCore();
  const L = fz.core.layout;
  const runArb: fc.Arbitrary<Run> = fc.record({
    preset: fc.nat(PRESETS.length - 1),
    start: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0xffff_f000, max: 0xffffffff })),
    batches: fc.array(fc.record({
      step: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 200_000 })),
      recipes: fc.array(recipeArbitrary(), { minLength: 1, maxLength: MAX_BATCH, size: 'max' }),
    }), { minLength: 1, maxLength: 3 }),
    traceAt: fc.nat(),
  });
  const mixedShare = Math.round(FUZZ_FRAMES * 0.8);
  const sweepShare = Math.round(FUZZ_FRAMES * 0.15);
  const targetedShare = Math.max(200, FUZZ_FRAMES - mixedShare - sweepShare);

  it(`random and mutated frames in batches: ${mixedShare} frames`, () => {
    assertFrames('mixed batches (random + mutated, with trace)', mixedShare, runArb,
      (r) => r.batches.reduce((a, b) => a + b.recipes.length, 0),
      (run) => {
        fz.apply(PRESETS[run.preset]!);
        let now = run.start;
        let last: FrameCase | null = null;
        for (const b of run.batches) {
          now = (now + b.step) >>> 0;
          const cases = b.recipes.map((r) => buildCase(r, L.slotStride, L.slotHeadroom, UMEM_OF(L)));
          fz.batch(cases, now);
          last = cases[run.traceAt % cases.length]!;
        }
        if (last) fz.trace(last, now);
        // Aging removes exactly the entries the model says are stale.
        const aged = fz.core.fdbAge(now);
        const modelAged = fz.fdb.age(now, PRESETS[run.preset]!.fdbAgingMs);
        if (aged !== modelAged) throw new Error(`fdbAge removed ${aged}, model ${modelAged}`);
        fz.checkFdb(() => { throw new Error('FDB differs from the model after aging'); });
      }, 2 * 16.5);
    expect(fz.slowestMs).toBeLessThan(STALL_MS);
  }, timeoutFor(mixedShare));

  it(`every truncation length of every base frame (valid and mutated): ${sweepShare} frames`, () => {
    const t0 = performance.now();
    let done = 0;
    let seed = FUZZ_SEED ?? 1;
    fz.apply(PRESETS[0]!);
    let now = 1_000;
    while (done < sweepShare) {
      for (let b = 0; b < BASES.length && done < sweepShare; b++) {
        const r = new Rng(seed++);
        const family = r.pick(['valid', 'valid', 'ipfield', 'count', 'tags'] as const);
        const whole = buildCase({ family, base: b, seed: r.u32() }, L.slotStride, L.slotHeadroom, UMEM_OF(L));
        const cuts: FrameCase[] = [];
        for (let len = 0; len <= whole.bytes.length; len++) cuts.push({ ...whole, length: len, port: r.pick([0, 1, 3]), flags: 0, pointer: { kind: 'headroom' } });
        for (let i = 0; i < cuts.length; i += MAX_BATCH) {
          fz.batch(cuts.slice(i, i + MAX_BATCH), now);
          now += 1;
        }
        done += cuts.length;
      }
      fz.apply(PRESETS[seed % PRESETS.length]!);
    }
    tally.add('truncation at every length', done, performance.now() - t0);
  }, timeoutFor(sweepShare));

  it('reached every drop reason and every control message type', () => {
    const seen = [...fz.coverage].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}=${n}`);
    console.info(`[fuzz] verdicts and messages seen: ${seen.join(' ')}`);
    const missing = [
      ...fz.core.names.drop!.filter((r) => r !== 'none' && !fz.coverage.has(`drop:${r}`)).map((r) => `drop:${r}`),
      ...fz.core.names.message!.filter((m) => !fz.coverage.has(`msg:${m}`)).map((m) => `msg:${m}`),
    ];
    // A CI-sized run reaches them all; a tiny FUZZ_FRAMES may not.
    if (FUZZ_FRAMES >= 50_000) expect(missing).toEqual([]);
  });

  it(`targeted malformations are dropped for their own reason (no model): ${targetedShare} frames`, () => {
    const core = loadCore({ maxBatch: 1, fdbCapacity: 64, mdbCapacity: 16 });
    core.setActivePorts(0b1111n);
    core.setRouterPorts(0b1000n);
    core.setPolicy('flood', 'snoop');
    core.setPortFlags(0n, 0n, 0b1111n);
    core.setMldSnooping(true);
    assertFrames('targeted malformations', targetedShare, T.targetedArbitrary, () => 1, (t) => {
      core.writeFrame(0, t.frame, 0, t.flags ?? 0);
      if (t.length !== undefined) core.writeDescriptor(0, core.slotAddress(0) + core.layout.slotHeadroom, t.length, 0, t.flags ?? 0);
      const cell = core.names.traffic!.length + core.names.drop!.indexOf(t.reason);
      const before = core.counterCells[cell]!;
      core.process(1, 1_000);
      const v = core.verdict(0);
      if (v.action !== 'drop' || v.reason !== t.reason) {
        throw new Error(`${t.name}: expected drop/${t.reason}, got ${v.action}/${v.reason}\n  ${Array.from(t.frame, (x) => x.toString(16).padStart(2, '0')).join('')}`);
      }
      if (core.counterCells[cell] !== before + 1n) throw new Error(`${t.name}: ${t.reason} not counted on the ingress port`);
    }, 1);
  }, timeoutFor(targetedShare));
});
