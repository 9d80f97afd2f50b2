// A small harness over the Wasm core for tests: a fresh core with ports 0..3 active, and one-call helpers that
// write frames, run a batch and return the verdicts.

import { type Core, loadCore, type Verdict } from '../../../src/dataplane/core.js';

export const PORTS_0_TO_3 = 0b1111n;

export function newCore(o: { maxBatch?: number; fdbCapacity?: number; mdbCapacity?: number } = {}): Core {
  const core = loadCore({ maxBatch: o.maxBatch ?? 16, fdbCapacity: o.fdbCapacity ?? 64, mdbCapacity: o.mdbCapacity ?? 64 });
  core.setActivePorts(PORTS_0_TO_3);
  core.setPolicy('routers', 'snoop');
  return core;
}

/** Run one batch of (frame, port[, flags]) and return the verdicts in order. */
export function runBatch(core: Core, frames: [Uint8Array, number, number?][], nowMs = 1000): Verdict[] {
  frames.forEach(([bytes, port, flags], i) => core.writeFrame(i, bytes, port, flags ?? 0));
  core.process(frames.length, nowMs);
  return frames.map((_, i) => core.verdict(i));
}

/** Run a single frame. */
export function decide(core: Core, frame: Uint8Array, port = 0, flags = 0, nowMs = 1000): Verdict {
  return runBatch(core, [[frame, port, flags]], nowMs)[0]!;
}

/** A port bitmap from port numbers. */
export function ports(...list: number[]): bigint {
  return list.reduce((m, p) => m | (1n << BigInt(p)), 0n);
}
