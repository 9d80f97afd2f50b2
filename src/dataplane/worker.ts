// The data-plane worker: the only writer of the Wasm tables.
// Loop: apply control-plane messages → receive a batch straight into Wasm memory → one Wasm call decides
// every frame → one native call sends every port's list → punted control frames go to the main thread in
// one message. Nothing here allocates per frame; the loop never yields to the event loop, so messages are
// drained synchronously (receiveMessageOnPort) and the main thread interrupts a blocking receive with an eventfd.

import { workerData, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { loadCore, type Core } from './core.js';
import { loadPacketAddon } from '../io/packet-addon.js';
import { PUNT_META_WORDS, type FromWorker, type ToWorker, type WorkerParams, type PortOpened } from './messages.js';
import type { TableCommand } from './commands.js';

const params = workerData.params as WorkerParams;
const port = workerData.port as MessagePort;

/** How long one receive() may block when idle; bounds FDB aging latency, not command latency (eventfd wakes). */
const IDLE_POLL_MS = 250;
/** FDB sweep period. */
const FDB_SWEEP_MS = 1_000;

function send(msg: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(msg, transfer ?? []);
}

const startMs = Date.now();
/** Milliseconds since the worker started: fits the core's u32 clock for 49 days, then wraps (the core compares with wrap-safe arithmetic). */
function nowMs(): number {
  return (Date.now() - startMs) >>> 0;
}

let core: Core;
const addon = loadPacketAddon();
let openedMask = 0n;
let upMask = ~0n & 0xffff_ffff_ffff_ffffn;

function applyActive(): void {
  core.setActivePorts(openedMask & upMask);
}

function openPort(index: number, name: string): PortOpened | null {
  try {
    const info = addon.openPort(name, index);
    openedMask |= 1n << BigInt(index);
    applyActive();
    return { index, name, ifindex: info.ifindex, mac: info.mac, mtu: info.mtu };
  } catch (err) {
    send({ type: 'portError', index, name, message: (err as Error).message });
    return null;
  }
}

function closePort(index: number): void {
  openedMask &= ~(1n << BigInt(index));
  applyActive();
  try { addon.closePort(index); } catch { /* already gone */ }
  core.fdbFlush(index);
}

function applyCommands(list: TableCommand[]): void {
  const rest: TableCommand[] = [];
  for (const c of list) {
    if (c.op === 'activePorts') { upMask = c.ports; applyActive(); } else rest.push(c);
  }
  const failed = core.applyCommands(rest);
  if (failed > 0) send({ type: 'commandsFailed', count: failed });
}

/** Copies the batch's punted frames into one transferable buffer (punts are rare: control traffic only). */
function forwardPunts(): void {
  const n = core.puntCount();
  if (n === 0) return;
  let total = 0;
  for (let i = 0; i < n; i++) total += core.puntLength(i);
  const frames = new Uint8Array(total);
  const meta = new Uint32Array(n * PUNT_META_WORDS);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const len = core.puntLength(i);
    frames.set(core.puntBytes(i), off);
    const m = i * PUNT_META_WORDS;
    meta[m] = core.puntPort(i);
    meta[m + 1] = core.puntVlan(i);
    meta[m + 2] = core.puntL3Offset(i);
    meta[m + 3] = len;
    meta[m + 4] = off;
    meta[m + 5] = core.puntClass(i);
    meta[m + 6] = core.puntForwarded(i) ? 1 : 0;
    off += len;
  }
  send({ type: 'punt', frames: frames.buffer, meta }, [frames.buffer, meta.buffer]);
}

function handle(msg: ToWorker): boolean {
  switch (msg.type) {
    case 'commands': applyCommands(msg.list); break;
    case 'inject':
      for (let i = 0; i < 64; i++) {
        if ((msg.ports >> BigInt(i)) & 1n && (openedMask >> BigInt(i)) & 1n) {
          try { addon.inject(i, msg.frame); } catch { /* counted by the addon */ }
        }
      }
      break;
    case 'openPort': {
      const p = openPort(msg.index, msg.name);
      if (p) send({ type: 'portOpened', port: p });
      break;
    }
    case 'closePort': closePort(msg.index); break;
    case 'request': {
      let result: unknown;
      if (msg.what === 'counters') result = { core: core.counters(), io: ioStats() };
      else if (msg.what === 'fdb') result = core.fdbEntries(nowMs());
      else result = core.mdbEntries();
      send({ type: 'reply', id: msg.id, result });
      break;
    }
    case 'trace': {
      try {
        send({ type: 'reply', id: msg.id, result: core.trace(msg.port, msg.frame, nowMs()) });
      } catch (err) {
        send({ type: 'reply', id: msg.id, result: null, error: (err as Error).message });
      }
      break;
    }
    case 'stop': return false;
  }
  return true;
}

function ioStats(): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (let i = 0; i < 64; i++) if ((openedMask >> BigInt(i)) & 1n) out[i] = addon.portStats(i);
  return out;
}

function run(): void {
  core = loadCore({ maxBatch: params.maxBatch, fdbCapacity: params.fdbCapacity, mdbCapacity: params.mdbCapacity });
  core.setFdbAgingMs(params.fdbAgingMs);
  addon.attach(core.memory.buffer, core.layout);
  if (params.cpu !== null && typeof addon.pinThread === 'function') addon.pinThread(params.cpu);
  const opened: PortOpened[] = [];
  for (const p of params.ports) {
    const o = openPort(p.index, p.name);
    if (o) opened.push(o);
  }
  send({ type: 'ready', wakeFd: addon.wakeFd(), ports: opened });

  let lastSweep = nowMs();
  for (;;) {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      if (!handle(m.message as ToWorker)) return;
    }
    const n = addon.receive(params.maxBatch, IDLE_POLL_MS);
    const now = nowMs();
    if (n > 0) {
      core.process(n, now);
      addon.transmit();
      forwardPunts();
    }
    if (((now - lastSweep) >>> 0) >= FDB_SWEEP_MS) {
      core.fdbAge(now);
      lastSweep = now;
    }
  }
}

try {
  run();
} catch (err) {
  send({ type: 'fatal', message: (err as Error).stack ?? String(err) });
} finally {
  for (let i = 0; i < 64; i++) if ((openedMask >> BigInt(i)) & 1n) { try { addon.closePort(i); } catch { /* ignore */ } }
  send({ type: 'stopped' });
}
