// The addon's argument checks, attach validation and cross-thread wake-up: no root and no interfaces needed.

import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadPacketAddon, packetAddonPath, type PacketLayout } from '../../../src/io/packet-addon.js';
import { DESC_STRIDE, MAX_PORTS, TX_COUNT_BYTES } from '../../../src/contract/constants.js';

const built = process.platform === 'linux' && existsSync(packetAddonPath());
if (!built) console.warn(`[unit] packet addon tests skipped: ${packetAddonPath()} not built (npm run build:native)`);

function layout(over: Partial<PacketLayout> = {}): { memory: WebAssembly.Memory; layout: PacketLayout } {
  const maxBatch = 8;
  const slotStride = 2048;
  const slots = 65536;
  const desc = slots + maxBatch * slotStride;
  const txCounts = desc + maxBatch * DESC_STRIDE;
  const txLists = txCounts + MAX_PORTS * TX_COUNT_BYTES;
  const pages = Math.ceil((txLists + MAX_PORTS * 16) / 65536);
  return {
    memory: new WebAssembly.Memory({ initial: pages, maximum: pages }),
    layout: { desc, descStride: DESC_STRIDE, slots, slotStride, slotHeadroom: 64, slotSize: slotStride - 64, txCounts, txLists,
      txListStride: 16, maxBatch, ...over },
  };
}

describe.skipIf(!built)('packet addon (no privileges)', () => {
  const addon = built ? loadPacketAddon() : (undefined as never);

  it('validates the layout against the memory', () => {
    const { memory, layout: l } = layout();
    expect(() => addon.attach(memory.buffer, l)).not.toThrow();
    expect(() => addon.attach(memory.buffer, { ...l, slotHeadroom: 2 })).toThrow(/slotHeadroom must be >= 4/);
    expect(() => addon.attach(memory.buffer, { ...l, descStride: 16 })).toThrow(/descriptor field lies outside layout.descStride/);
    expect(() => addon.attach(memory.buffer, { ...l, txLists: memory.buffer.byteLength })).toThrow(/exceed the memory/);
    expect(() => addon.attach(memory.buffer, { ...l, desc: l.slots })).toThrow(/overlaps the frame slots/);
    const { desc: _omit, ...missing } = l;
    expect(() => addon.attach(memory.buffer, missing as PacketLayout)).toThrow(/layout.desc is missing/);
    expect(() => addon.attach(new SharedArrayBuffer(16) as unknown as ArrayBuffer, l)).toThrow(/ArrayBuffer/);
  });

  it('checks arguments with clear messages', () => {
    expect(() => addon.openPort('x', 64)).toThrow(/port index 64 out of range/);
    expect(() => addon.openPort('a-name-that-is-too-long', 0)).toThrow(/must be 1..15 characters/);
    expect(() => addon.inject(0, new Uint8Array(4))).toThrow(/frame length/);
    expect(() => addon.setOffloads('lo', { bogus: true } as never)).toThrow(/unknown offload 'bogus'/);
    expect(addon.portStats(63)).toBeNull();
    expect(addon.linkState('lo')).toMatchObject({ up: true, ifindex: 1 });
  });

  it('receive() with no ports returns 0 at once for timeout 0, and on wake', () => {
    const { memory, layout: l } = layout();
    addon.attach(memory.buffer, l);
    expect(addon.receive(8, 0)).toBe(0);
    const fd = addon.wakeFd();
    addon.wake(fd);
    const t0 = performance.now();
    expect(addon.receive(8, 5000)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1000);
    // The wake-up stays known until asked for (a receive() that also found frames returns only the frames).
    expect(addon.receive(8, 0)).toBe(0);
    expect(addon.takeWake()).toBe(true);
    expect(addon.takeWake()).toBe(false);
    expect(() => addon.wake(0)).toThrow(/not an eventfd/);
  });

  it('yieldOtherThreads makes the other threads of the process nicer, not the caller', async () => {
    const { getPriority, setPriority } = await import('node:os');
    const mainBefore = getPriority(0);
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      const os = require('node:os');
      const a = require(workerData.path);
      const changed = a.yieldOtherThreads(workerData.nice);
      parentPort.postMessage({ changed, self: os.getPriority(0) }); // getpriority(PRIO_PROCESS, 0): this thread
    `;
    const nice = Math.min(19, mainBefore + 3);
    const w = new Worker(src, { eval: true, workerData: { path: packetAddonPath(), nice } });
    const msg = await new Promise<{ changed: number; self: number }>((resolve, reject) => {
      w.on('message', resolve);
      w.on('error', reject);
    });
    await w.terminate();
    try {
      expect(msg.changed).toBeGreaterThan(0);
      expect(getPriority(0)).toBe(nice); // the main thread (its tid is the pid)
      expect(msg.self).toBe(mainBefore); // the caller keeps its own
      expect(() => addon.yieldOtherThreads(99)).toThrow(/yieldOtherThreads/);
    } finally {
      try { setPriority(0, mainBefore); } catch { /* raising priority back needs privilege */ }
    }
  });

  it('loads in a worker thread (own instance) and is woken from the main thread', async () => {
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      const a = require(workerData.path);
      const m = new WebAssembly.Memory({ initial: 4, maximum: 4 });
      a.attach(m.buffer, { desc: 65536, descStride: 32, slots: 131072, slotStride: 2048, slotHeadroom: 64,
        txCounts: 70000, txLists: 71000, txListStride: 16, maxBatch: 8 });
      parentPort.postMessage({ fd: a.wakeFd() });
      const t0 = Date.now();
      const n = a.receive(8, 20000);           // blocks until the main thread wakes us
      parentPort.postMessage({ n, ms: Date.now() - t0 });
    `;
    const w = new Worker(src, { eval: true, workerData: { path: packetAddonPath() } });
    const msgs: { fd?: number; n?: number; ms?: number }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      w.on('message', (m) => {
        msgs.push(m);
        if (m.fd !== undefined) setTimeout(() => addon.wake(m.fd), 100);
        if (m.n !== undefined) resolve();
      });
      w.on('error', reject);
    });
    await done;
    await w.terminate();
    expect(msgs[0]!.fd).not.toBe(addon.wakeFd()); // a separate instance with its own eventfd
    expect(msgs[1]).toMatchObject({ n: 0 });
    expect(msgs[1]!.ms).toBeLessThan(10_000);
  });
});
