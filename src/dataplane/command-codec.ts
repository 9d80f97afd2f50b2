// Table commands on their way from the control plane to the data-plane thread, as one transferable buffer.
//
// A report storm turns into one MDB command per report. Posted as objects, each command's strings and bigints went
// through the structured clone, and the worker parsed the address text again: a profile of 55,000 reports/s had
// the postMessage of the command lists at 22 % of the main thread and much of its garbage collection (31 %).
// Here each MDB command is a fixed-size record with the addresses already as the tables' 16-byte keys, the buffer
// is transferred (not copied), and the worker copies the keys straight into the core's scratch area. The other
// commands are rare (configuration, router ports, policy): they travel as objects, in order, each announced by a
// record of its own.

import { KEY_BYTES } from '../contract/constants.js';
import type { PortMask, TableCommand } from './commands.js';
import { writeAddressKey } from './table-keys.js';
import { grownCopy } from './grow.js';

/** Record: op u8 · has-source u8 · vlan u16 · (pad) · ports u64 · group key · source key. */
const REC_OP = 0;
const REC_HAS_SOURCE = 1;
const REC_VLAN = 2;
const REC_PORTS = 8;
const REC_GROUP = 16;
const REC_SOURCE = REC_GROUP + KEY_BYTES;
export const COMMAND_RECORD_BYTES = REC_SOURCE + KEY_BYTES;

const OP_MDB_SET = 1;
const OP_MDB_DELETE = 2;
/** The next command of `others`. */
const OP_OTHER = 3;

/** A batch of commands as it crosses to the worker (`records` is transferred). */
export interface EncodedCommands {
  records: ArrayBuffer;
  count: number;
  others: TableCommand[];
}

/** What applies a batch: the core, or the worker in front of it. */
export interface CommandTarget {
  /** (vlan, group[, source]) from the keys at `groupAt` / `sourceAt` (-1: none) of `keys`; false when the MDB is full. */
  mdbSetKey(vlan: number, keys: Uint8Array, groupAt: number, sourceAt: number, ports: PortMask): boolean;
  mdbDeleteKey(vlan: number, keys: Uint8Array, groupAt: number, sourceAt: number): boolean;
  /** A command given as an object (here: any but mdbSet/mdbDelete); returns 1 when it failed, else 0. */
  applyCommand(command: TableCommand): number;
}

const INITIAL_RECORDS = 64;

/** Commands queued in call order, encoded as they come. */
export class CommandEncoder {
  #bytes = new Uint8Array(INITIAL_RECORDS * COMMAND_RECORD_BYTES);
  #view = new DataView(this.#bytes.buffer);
  #count = 0;
  #others: TableCommand[] = [];

  get length(): number {
    return this.#count;
  }

  push(c: TableCommand): void {
    if ((this.#count + 1) * COMMAND_RECORD_BYTES > this.#bytes.length) {
      this.#bytes = grownCopy(this.#bytes, (this.#count + 1) * COMMAND_RECORD_BYTES);
      this.#view = new DataView(this.#bytes.buffer);
    }
    const at = this.#count * COMMAND_RECORD_BYTES;
    const bytes = this.#bytes;
    if (c.op === 'mdbSet' || c.op === 'mdbDelete') {
      bytes[at + REC_OP] = c.op === 'mdbSet' ? OP_MDB_SET : OP_MDB_DELETE;
      bytes[at + REC_HAS_SOURCE] = c.source === null ? 0 : 1;
      this.#view.setUint16(at + REC_VLAN, c.vlan, true);
      this.#view.setBigUint64(at + REC_PORTS, c.op === 'mdbSet' ? BigInt.asUintN(64, c.ports) : 0n, true);
      writeAddressKey(c.group, bytes, at + REC_GROUP);
      if (c.source !== null) writeAddressKey(c.source, bytes, at + REC_SOURCE);
    } else {
      bytes[at + REC_OP] = OP_OTHER;
      this.#others.push(c);
    }
    this.#count++;
  }

  /** The queued commands, and an empty queue. */
  take(): EncodedCommands {
    const out: EncodedCommands = {
      records: this.#bytes.buffer.slice(0, this.#count * COMMAND_RECORD_BYTES),
      count: this.#count,
      others: this.#others,
    };
    this.#count = 0;
    this.#others = [];
    return out;
  }
}

/** Applies a batch in order; returns how many commands failed (MDB full). */
export function applyEncodedCommands(batch: EncodedCommands, target: CommandTarget): number {
  const keys = new Uint8Array(batch.records);
  const view = new DataView(batch.records);
  let failed = 0;
  let other = 0;
  for (let i = 0; i < batch.count; i++) {
    const at = i * COMMAND_RECORD_BYTES;
    const op = keys[at + REC_OP];
    const sourceAt = keys[at + REC_HAS_SOURCE] === 1 ? at + REC_SOURCE : -1;
    const vlan = view.getUint16(at + REC_VLAN, true);
    if (op === OP_MDB_SET) {
      if (!target.mdbSetKey(vlan, keys, at + REC_GROUP, sourceAt, view.getBigUint64(at + REC_PORTS, true))) failed++;
    } else if (op === OP_MDB_DELETE) {
      target.mdbDeleteKey(vlan, keys, at + REC_GROUP, sourceAt);
    } else {
      failed += target.applyCommand(batch.others[other++]!);
    }
  }
  return failed;
}
