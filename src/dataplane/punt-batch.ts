// Punted control frames on their way to the main thread: collected over several receive batches into one message.
//
// Under a report storm the data-plane thread reads a few frames per batch; one message per batch meant tens of
// thousands of messages a second, each with its own postMessage, event dispatch, table-command flush and eventfd
// wake-up back to this thread — most of the main thread's time (bench/control-plane-e2e.ts profile, 2026-12-03).
// A frame now waits for others at most PUNT_COALESCE_MS. When a receive() finds nothing more, what is held goes at
// once — a lone query or leave is not delayed — unless a message went less than PUNT_COALESCE_MS ago: then the
// frames are a storm trickling in a few per batch (a paced blast of 55,000 reports/s is one every 18 µs, and the
// thread is faster: most receives found nothing, so "send when nothing more came" still meant a message per one or
// two frames), and they wait for company. At most one message per PUNT_COALESCE_MS in a storm, at once otherwise.

import type { Core } from './core.js';
import { grownCopy } from './grow.js';
import type { PuntBatch } from './messages.js';
import {
  PUNT_META_CLASS, PUNT_META_COUNT, PUNT_META_FORWARDED, PUNT_META_L3_OFFSET, PUNT_META_LENGTH, PUNT_META_OFFSET,
  PUNT_META_PORT, PUNT_META_VLAN,
} from '../contract/constants.js';

/** Longest a punted frame waits for others to share its message, ms. */
export const PUNT_COALESCE_MS = 1;
/** Frames that make a message full (sent at once). */
export const PUNT_COALESCE_FRAMES = 256;

const INITIAL_BYTES = 16 * 1024;

export class PuntCollector {
  #frames = new Uint8Array(INITIAL_BYTES);
  #meta = new Uint32Array(PUNT_COALESCE_FRAMES * PUNT_META_COUNT);
  #count = 0;
  #bytes = 0;
  /** Receive time of the oldest frame held (clock.ts monotonicMs): the message's time. */
  #since = 0;
  /** When the last message went (monotonicMs). */
  #sentAt = -Infinity;

  /** Frames held. */
  get count(): number {
    return this.#count;
  }

  /** When the oldest frame held was received. */
  get since(): number {
    return this.#since;
  }

  /**
   * Whether the message should go now: full, or its oldest frame has waited long enough, or (`nothingMore`: the last
   * receive found no frames) no storm is on.
   */
  due(nowMs: number, nothingMore = false): boolean {
    if (this.#count === 0) return false;
    if (this.#count >= PUNT_COALESCE_FRAMES || nowMs - this.#since >= PUNT_COALESCE_MS) return true;
    return nothingMore && !this.inStorm(nowMs);
  }

  /** A message went less than PUNT_COALESCE_MS ago: frames held wait for others (the receive may block that long). */
  inStorm(nowMs: number): boolean {
    return nowMs - this.#sentAt < PUNT_COALESCE_MS;
  }

  /** Copies the last batch's punted frames out of Wasm memory (their slots are reused by the next batch). */
  collect(core: Core, receivedAtMs: number): void {
    const n = core.puntCount();
    if (n === 0) return;
    if (this.#count === 0) this.#since = receivedAtMs;
    let total = this.#bytes;
    for (let i = 0; i < n; i++) total += core.puntLength(i);
    if (total > this.#frames.length) this.#frames = grownCopy(this.#frames, total);
    if ((this.#count + n) * PUNT_META_COUNT > this.#meta.length) this.#meta = grownCopy(this.#meta, (this.#count + n) * PUNT_META_COUNT);
    for (let i = 0; i < n; i++) {
      const len = core.puntLength(i);
      this.#frames.set(core.puntBytes(i), this.#bytes);
      const m = (this.#count + i) * PUNT_META_COUNT;
      const meta = this.#meta;
      meta[m + PUNT_META_PORT] = core.puntPort(i);
      meta[m + PUNT_META_VLAN] = core.puntVlan(i);
      meta[m + PUNT_META_L3_OFFSET] = core.puntL3Offset(i);
      meta[m + PUNT_META_LENGTH] = len;
      meta[m + PUNT_META_OFFSET] = this.#bytes;
      meta[m + PUNT_META_CLASS] = core.puntClass(i);
      meta[m + PUNT_META_FORWARDED] = core.puntForwarded(i) ? 1 : 0;
      this.#bytes += len;
    }
    this.#count += n;
  }

  /** The message for what is held (its buffers are to be transferred), sent at `nowMs`, and an empty collector. */
  take(nowMs: number): PuntBatch {
    const batch: PuntBatch = {
      type: 'punt',
      frames: this.#frames.buffer.slice(0, this.#bytes),
      meta: this.#meta.slice(0, this.#count * PUNT_META_COUNT),
      receivedAtMs: this.#since,
    };
    this.#count = 0;
    this.#bytes = 0;
    this.#sentAt = nowMs;
    return batch;
  }
}
