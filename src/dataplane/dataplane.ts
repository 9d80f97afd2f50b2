// The main thread's face of the data-plane worker: a TableSink and FrameSink for the control plane,
// a source of punted control frames, and request/response for counters, tables and traces.

import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { loadPacketAddon } from '../io/packet-addon.js';
import type { IoSelection } from '../io/ports.js';
import type { FrameSink, PortMask, TableCommand, TableSink } from './commands.js';
import { CommandEncoder } from './command-codec.js';
import { type ChangedSettings, type FromWorker, type PortOpened, type ToWorker, type WorkerParams } from './messages.js';
import {
  PUNT_META_CLASS, PUNT_META_COUNT, PUNT_META_FORWARDED, PUNT_META_L3_OFFSET, PUNT_META_LENGTH, PUNT_META_OFFSET,
  PUNT_META_PORT, PUNT_META_VLAN,
} from '../contract/constants.js';

/** One punted control frame, as the control plane receives it. */
export interface PuntedFrame {
  port: number;
  vlan: number;
  l3Offset: number;
  bytes: Uint8Array;
  puntClass: number;
  forwarded: boolean;
  /** When the data-plane thread received it (clock.ts monotonicMs). */
  receivedAtMs: number;
}

export interface DataPlaneEvents {
  punt: [PuntedFrame];
  portOpened: [PortOpened];
  portError: [{ index: number; name: string; message: string }];
  link: [{ kind: 'down' | 'up' | 'gone' | 'back'; index: number; name: string }];
  warn: [string];
  commandsFailed: [number];
  fatal: [string];
}

const REQUEST_TIMEOUT_MS = 5_000;

export class DataPlane extends EventEmitter<DataPlaneEvents> implements TableSink, FrameSink {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly addon = loadPacketAddon();
  private wakeFd = -1;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private stopped = false;
  /** Interface settings the worker changed at start (their original values), for crash recovery. */
  changedSettings: ChangedSettings = {};

  private constructor(params: WorkerParams, readonly ready: Promise<PortOpened[]>, setup: (dp: DataPlane) => void) {
    super();
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { params, port: channel.port2 },
      transferList: [channel.port2],
    });
    setup(this);
  }

  /** Warnings the worker sent before a 'warn' listener was attached (while it opened its ports). */
  readonly startWarnings: string[] = [];

  /** Starts the worker; resolves once it has opened its ports (ports that failed are reported as portError). */
  static async start(params: WorkerParams): Promise<{ dataplane: DataPlane; ports: PortOpened[] }> {
    let resolveReady!: (p: PortOpened[]) => void;
    let rejectReady!: (e: Error) => void;
    const ready = new Promise<PortOpened[]>((res, rej) => { resolveReady = res; rejectReady = rej; });
    const dp = new DataPlane(params, ready, (self) => {
      self.port.on('message', (msg: FromWorker) => self.onMessage(msg, resolveReady, rejectReady));
      self.worker.on('error', (err) => { rejectReady(err); self.emit('fatal', err.stack ?? String(err)); });
      self.worker.on('exit', (code) => {
        if (!self.stopped) {
          const why = `data-plane worker exited with code ${code}`;
          rejectReady(new Error(why));
          self.emit('fatal', why);
        }
      });
    });
    const ports = await ready;
    return { dataplane: dp, ports };
  }

  private onMessage(msg: FromWorker, resolveReady: (p: PortOpened[]) => void, rejectReady: (e: Error) => void): void {
    switch (msg.type) {
      case 'ready':
        this.wakeFd = msg.wakeFd;
        this.changedSettings = msg.changedSettings;
        resolveReady(msg.ports);
        break;
      case 'punt': {
        const frames = new Uint8Array(msg.frames);
        const n = msg.meta.length / PUNT_META_COUNT;
        for (let i = 0; i < n; i++) {
          const meta = msg.meta.subarray(i * PUNT_META_COUNT, (i + 1) * PUNT_META_COUNT);
          const at = meta[PUNT_META_OFFSET]!;
          this.emit('punt', {
            port: meta[PUNT_META_PORT], vlan: meta[PUNT_META_VLAN], l3Offset: meta[PUNT_META_L3_OFFSET],
            bytes: frames.subarray(at, at + meta[PUNT_META_LENGTH]!),
            puntClass: meta[PUNT_META_CLASS], forwarded: meta[PUNT_META_FORWARDED] === 1, receivedAtMs: msg.receivedAtMs,
          });
        }
        break;
      }
      case 'portOpened': this.emit('portOpened', msg.port); break;
      case 'portError': this.emit('portError', msg); break;
      case 'link': this.emit('link', { kind: msg.kind, index: msg.index, name: msg.name }); break;
      // Before anyone listens (the worker warns while it opens its ports, e.g. an AF_XDP fallback): kept for start().
      case 'warn': if (this.listenerCount('warn') > 0) this.emit('warn', msg.message); else this.startWarnings.push(msg.message); break;
      case 'commandsFailed': this.emit('commandsFailed', msg.count); break;
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) break;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.error) p.reject(new Error(msg.error)); else p.resolve(msg.result);
        break;
      }
      case 'fatal':
        rejectReady(new Error(msg.message));
        this.emit('fatal', msg.message);
        break;
      case 'stopped': break;
    }
  }

  private post(msg: ToWorker): void {
    if (this.stopped) return;
    // Table commands queued before this message go first: the worker sees everything in call order.
    if (this.queued.length > 0) this.flushCommands();
    this.port.postMessage(msg);
    if (this.wakeFd >= 0) this.addon.wake(this.wakeFd);
  }

  /**
   * Table commands wait for the end of the current task (a microtask), then go in one message with one wake-up:
   * a punt message of N reports used to cost N postMessage calls and N eventfd writes (each waking the worker),
   * which bounded the reports absorbed per second. Nothing waits longer than the task that queued it. They are
   * encoded as they come (command-codec.ts: fixed records, the buffer transferred, not cloned).
   */
  private readonly queued = new CommandEncoder();
  private flushScheduled = false;

  private flushCommands(): void {
    if (this.queued.length === 0 || this.stopped) return;
    const batch = this.queued.take();
    this.port.postMessage({ type: 'commands', batch } satisfies ToWorker, [batch.records]);
    if (this.wakeFd >= 0) this.addon.wake(this.wakeFd);
  }

  private request<T>(build: (id: number) => ToWorker): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('data plane did not answer in time'));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.post(build(id));
    });
  }

  apply(commands: readonly TableCommand[]): void {
    if (commands.length === 0 || this.stopped) return;
    for (const c of commands) {
      try {
        this.queued.push(c);
      } catch (err) { // an address the tables cannot key: a defect upstream, not a reason to stop
        this.emit('warn', `table command ${c.op} not applied: ${(err as Error).message}`);
      }
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flushScheduled = false;
        this.flushCommands();
      });
    }
  }

  send(ports: PortMask, frame: Uint8Array): void {
    this.post({ type: 'inject', ports, frame });
  }

  addPort(index: number, name: string, io?: IoSelection): void { this.post({ type: 'addPort', index, name, ...(io ? { io } : {}) }); }
  removePort(index: number): void { this.post({ type: 'removePort', index }); }

  counters<T = unknown>(): Promise<T> { return this.request((id) => ({ type: 'request', id, what: 'counters' })); }
  fdb<T = unknown>(): Promise<T> { return this.request((id) => ({ type: 'request', id, what: 'fdb' })); }
  mdb<T = unknown>(): Promise<T> { return this.request((id) => ({ type: 'request', id, what: 'mdb' })); }
  trace<T = unknown>(port: number, frame: Uint8Array): Promise<T> {
    return this.request((id) => ({ type: 'trace', id, port, frame }));
  }

  /** Stops the worker; it closes its sockets (dropping promiscuous membership) before exiting. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.post({ type: 'stop' });
    this.stopped = true;
    const exited = new Promise<void>((res) => this.worker.once('exit', () => res()));
    const timeout = new Promise<void>((res) => setTimeout(res, 2_000).unref());
    await Promise.race([exited, timeout]);
    await this.worker.terminate();
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new Error('data plane stopped')); }
    this.pending.clear();
    this.port.close();
  }
}
