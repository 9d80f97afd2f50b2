// Punted frames collected over several batches into one message (src/dataplane/punt-batch.ts): every frame with its
// metadata, in order, stamped with the oldest frame's receive time; due when full or when the oldest has waited, and
// when nothing more came unless a storm is on (a message went less than PUNT_COALESCE_MS ago).

import { describe, expect, it } from 'vitest';
import { PUNT_COALESCE_FRAMES, PUNT_COALESCE_MS, PuntCollector } from '../../../src/dataplane/punt-batch.js';
import {
  PUNT_META_COUNT, PUNT_META_LENGTH, PUNT_META_OFFSET, PUNT_META_PORT,
} from '../../../src/contract/constants.js';
import { igmpFrame, igmpV2, IGMP, multicastData } from '../../../src/testkit/frames.js';
import { newCore, runBatch } from './harness.js';

const report = (group: string): Uint8Array => igmpFrame(igmpV2(IGMP.v2Report, group), { dst: group });

describe('PuntCollector', () => {
  it('holds the punted frames of several batches, in order, with the first batch\'s time', () => {
    const core = newCore();
    const punts = new PuntCollector();
    const sent: Uint8Array[] = [];
    const ports: number[] = [];
    for (const [k, t] of [[0, 100.5], [1, 100.7], [2, 100.9]] as const) {
      const frames = [report(`239.1.1.${k}`), report(`239.1.2.${k}`)];
      runBatch(core, [[frames[0]!, k], [multicastData('239.9.9.9'), 3], [frames[1]!, k]]); // data is not punted
      punts.collect(core, t);
      sent.push(...frames);
      ports.push(k, k);
    }
    expect(punts.count).toBe(6);
    expect(punts.since).toBe(100.5);
    expect(punts.due(100.5 + PUNT_COALESCE_MS - 0.01)).toBe(false);
    expect(punts.due(100.5 + PUNT_COALESCE_MS)).toBe(true);
    const batch = punts.take(101.5);
    expect(punts.count).toBe(0);
    expect(batch.receivedAtMs).toBe(100.5);
    const bytes = new Uint8Array(batch.frames);
    for (let i = 0; i < sent.length; i++) {
      const m = batch.meta.subarray(i * PUNT_META_COUNT, (i + 1) * PUNT_META_COUNT);
      expect(m[PUNT_META_PORT]).toBe(ports[i]);
      expect(bytes.subarray(m[PUNT_META_OFFSET]!, m[PUNT_META_OFFSET]! + m[PUNT_META_LENGTH]!)).toEqual(sent[i]);
    }
  });

  it('is due when full, and grows past its first buffers', () => {
    const core = newCore({ maxBatch: 64 });
    const punts = new PuntCollector();
    let n = 0;
    while (punts.count < PUNT_COALESCE_FRAMES) {
      runBatch(core, Array.from({ length: 64 }, (_, i) => [report(`239.2.${n}.${i}`), 1] as [Uint8Array, number]));
      punts.collect(core, 5);
      n++;
    }
    expect(punts.due(5)).toBe(true); // full, though nobody waited
    runBatch(core, [[report('239.3.3.3'), 2]]);
    punts.collect(core, 6);
    const batch = punts.take(6);
    expect(batch.meta.length / PUNT_META_COUNT).toBe(PUNT_COALESCE_FRAMES + 1);
    const last = batch.meta.subarray(PUNT_COALESCE_FRAMES * PUNT_META_COUNT);
    expect(new Uint8Array(batch.frames, last[PUNT_META_OFFSET]!, last[PUNT_META_LENGTH]!)).toEqual(report('239.3.3.3'));
  });

  it('sends a lone frame at once, but in a storm holds frames for others', () => {
    const core = newCore();
    const punts = new PuntCollector();
    runBatch(core, [[report('239.4.0.1'), 1]]);
    punts.collect(core, 10);
    expect(punts.due(10, false)).toBe(false); // more frames may be on their way: look once more
    expect(punts.inStorm(10)).toBe(false);
    expect(punts.due(10, true)).toBe(true); // nothing more came: a lone leave goes at once
    punts.take(10);
    // The next frame comes 0.2 ms after that message: a storm; it waits for company though nothing more came…
    runBatch(core, [[report('239.4.0.2'), 1]]);
    punts.collect(core, 10.2);
    expect(punts.inStorm(10.2)).toBe(true);
    expect(punts.due(10.2, true)).toBe(false);
    // …until the storm's spacing has passed since the last message, or the frame has waited PUNT_COALESCE_MS.
    expect(punts.due(10 + PUNT_COALESCE_MS, true)).toBe(true);
    expect(punts.due(10.2 + PUNT_COALESCE_MS, false)).toBe(true);
    expect(new PuntCollector().due(0, true)).toBe(false); // nothing held
  });
});
