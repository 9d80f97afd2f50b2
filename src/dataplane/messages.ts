// Messages between the main thread (control plane) and the data-plane worker.
// One channel, structured-clone only; frames travel in one transferred ArrayBuffer per batch.

import type { EncodedCommands } from './command-codec.js';
import type { IoSelection } from '../io/ports.js';
import type { IoBackend } from '../io/packet-addon.js';

export interface WorkerParams {
  maxBatch: number;
  fdbCapacity: number;
  mdbCapacity: number;
  fdbAgingMs: number;
  ports: { index: number; name: string; io?: IoSelection }[];
  cpu: number | null;
  /** Packet I/O method of every port without its own. */
  io: IoSelection;
  /** receive()'s busy-poll budget after the last frame, µs (undefined: the addon's default, 0). */
  busyPollUs?: number;
  /** Receive through a TPACKET_V2 ring (openPort rxRing); undefined = recvmmsg. */
  rxRing?: boolean;
}

/** Punted control frames of one batch: `meta` holds PUNT_META_COUNT u32 words per frame (PUNT_META_*, the memory
 *  contract's src/contract/memory.ts). */
export interface PuntBatch {
  type: 'punt';
  frames: ArrayBuffer;
  meta: Uint32Array;
  /** When the batch was received (clock.ts monotonicMs, the same clock in every thread). */
  receivedAtMs: number;
}

export type ToWorker =
  | { type: 'commands'; batch: EncodedCommands }
  | { type: 'inject'; ports: bigint; frame: Uint8Array }
  | { type: 'addPort'; index: number; name: string; io?: IoSelection }
  | { type: 'removePort'; index: number }
  | { type: 'request'; id: number; what: 'counters' | 'fdb' | 'mdb' }
  | { type: 'trace'; id: number; port: number; frame: Uint8Array }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; wakeFd: number; ports: PortOpened[]; changedSettings: ChangedSettings }
  | PuntBatch
  | { type: 'portOpened'; port: PortOpened }
  | { type: 'portError'; index: number; name: string; message: string }
  | { type: 'link'; kind: 'down' | 'up' | 'gone' | 'back'; index: number; name: string }
  | { type: 'warn'; message: string }
  | { type: 'reply'; id: number; result: unknown; error?: string }
  | { type: 'commandsFailed'; count: number }
  | { type: 'stopped' }
  | { type: 'fatal'; message: string };

export interface PortOpened {
  index: number;
  name: string;
  ifindex: number;
  mac: string;
  mtu: number;
  /** Packet I/O method the port runs on, and for AF_XDP its XDP mode. */
  io: IoBackend;
  xdpMode?: string;
}

/** Interface settings the worker changed (originals, to restore), by interface name. */
export type ChangedSettings = Record<string, { ifindex: number; offloads: Record<string, boolean> }>;
