// The Wasm data-plane core, loaded and attached to its memory: typed access for the worker, management and tests.
//
// Every region offset comes from the module's layout getters (assembly/layout.ts) and every list of names from its
// name table (assembly/names.ts); this file repeats neither. The memory is created here with initial = maximum, so
// it never grows and the views below, built once, stay valid (and the native addon may keep its pointer).
// Record fields, flags, sizes and limits are the memory contract (src/contract/memory.ts), imported as generated
// constants (docs/architecture.md, "The memory contract").

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isZeroKey, keyToAddress, macToText, writeAddressKey } from './table-keys.js';
import type { CommandTarget } from './command-codec.js';
import type { McastMode, PortMask, TableCommand, UnregisteredPolicy } from './commands.js';
import type { PacketLayout } from '../io/packet-addon.js';
import {
  DESC_FLAGS, DESC_FRAME, DESC_LENGTH, DESC_PORT, DESC_STRIDE, DESC_TIME, KEY_BYTES, MAX_PORTS, MDB_FLAG_REGISTERED,
  MDB_FLAG_SOURCE_SPECIFIC, PUNT_LIST_INDICES, SCRATCH_GROUP, SCRATCH_SOURCE, SLOT_HEADROOM, SLOT_STRIDE,
  FRAME_INDEX_BYTES, UMEM_CHUNK_SIZE, UMEM_CHUNKS, VERDICT_ACTION, VERDICT_L3_OFFSET, VERDICT_PORTS, VERDICT_PUNT,
  VERDICT_REASON, VERDICT_STRIDE, VERDICT_VLAN,
} from '../contract/constants.js';

const WASM_PAGE = 65536;
const DEFAULT_WASM_URL = new URL('../../build/igmpswitch.wasm', import.meta.url);


/** Sections of the name table that make up a counter row, and the traffic counters every row starts with. */
const TRAFFIC_FIELDS = ['rx_frames', 'rx_bytes', 'tx_frames', 'tx_bytes'] as const;

/** The module's exports (assembly/index.ts). Pointers and u32 results arrive as signed numbers: use `>>> 0`. */
interface CoreExports {
  _start(): void;
  requiredBytes(maxBatch: number, fdbCapacity: number, mdbCapacity: number): number;
  /** `fresh`: 1 when the memory was just created (zero, untouched): nothing is cleared (assembly/layout.ts). */
  init(maxBatch: number, fdbCapacity: number, mdbCapacity: number, fresh: number): number;
  process(n: number, nowMs: number): number;
  trace(nowMs: number): number;

  layoutSlots(): number;
  layoutUmem(): number;
  layoutDesc(): number;
  layoutVerdicts(): number;
  layoutTxCounts(): number;
  layoutTxLists(): number;
  layoutTxListStride(): number;
  layoutMaxBatch(): number;
  layoutPuntList(): number;
  layoutFdb(): number;
  layoutMdb(): number;
  layoutPortTable(): number;
  layoutCounters(): number;
  layoutCounterRowStride(): number;
  layoutCounterRowLength(): number;
  layoutCounterRows(): number;
  layoutGlobalCounters(): number;
  layoutGlobalCounterCount(): number;
  layoutScratch(): number;
  layoutEnd(): number;

  nameTableSections(): number;
  nameTable(index: number): number;
  nameTableLength(index: number): number;
  resetCounters(): void;

  setActivePorts(mask: bigint): void;
  setRouterPorts(mask: bigint): void;
  setPortFlags(floodAll: bigint, floodReports: bigint, floodUnregistered: bigint): void;
  setPolicy(unregistered: number, mode: number): void;
  setMldSnooping(on: number): void;
  setReportRate(perSecond: number, burst: number): void;
  setFdbAgingMs(ms: number): void;

  fdbAge(nowMs: number): number;
  fdbAgeStep(nowMs: number, parts: number): number;
  fdbFlush(port: number): number;
  fdbCount(): number;
  fdbCapacity(): number;
  fdbNext(slot: number): number;
  fdbLongestProbe(): number;
  fdbSlotVlan(slot: number): number;
  fdbSlotMac(slot: number): bigint;
  fdbSlotPort(slot: number): number;
  fdbSlotLastSeen(slot: number): number;

  mdbSet(vlan: number, groupPtr: number, sourcePtr: number, ports: bigint): number;
  mdbDelete(vlan: number, groupPtr: number, sourcePtr: number): number;
  mdbClear(): void;
  mdbCount(): number;
  mdbCapacity(): number;
  mdbNext(slot: number): number;
  mdbLongestProbe(): number;
  mdbSlotVlan(slot: number): number;
  mdbSlotPorts(slot: number): bigint;
  mdbSlotFlags(slot: number): number;
  mdbSlotSourceCount(slot: number): number;
  mdbSlotGroup(slot: number): number;
  mdbSlotSource(slot: number): number;
}

export interface CoreOptions {
  // No defaults here: the daemon takes them from the configuration schema (dataplane.batch, fdb_capacity,
  // mdb_capacity); tests and benchmarks state what they need.
  /** Frames per batch (slots, descriptors, verdicts). */
  maxBatch: number;
  /** MAC addresses the FDB holds. */
  fdbCapacity: number;
  /** MDB entries ((*,G), (S,G) and their placeholders). */
  mdbCapacity: number;
  /** The compiled core; default build/igmpswitch.wasm in the project root. */
  wasmPath?: string;
}

/**
 * Byte offsets and strides of every region in the core's memory. It is a PacketLayout (what the native addon's
 * `attach` takes, docs/architecture.md) plus the regions and fields the loader and management use.
 */
export interface CoreLayout extends PacketLayout {
  slotSize: number;
  verdicts: number;
  verdictStride: number;
  /** u32 count of the frames the last batch punted… */
  puntList: number;
  /** …and their u16 frame indices. */
  puntListIndices: number;
  fdb: number;
  mdb: number;
  /** Per-port state (report token buckets). */
  portTable: number;
  counters: number;
  counterRowStride: number;
  counterRowLength: number;
  counterRows: number;
  globalCounters: number;
  globalCounterCount: number;
  scratch: number;
  /** First byte after the last region. */
  end: number;
}

/** Name lists from the module's name table, by section name (sections, row, traffic, drop, message, …). */
export type NameTable = Readonly<Record<string, readonly string[]>>;

export interface Verdict {
  /** Egress port bitmap (never the ingress port). */
  ports: bigint;
  /** drop | forward | punt | punt_and_forward */
  action: string;
  /** The drop reason, 'none' unless action is drop. */
  reason: string;
  /** none | igmp | mld | pim | mrd */
  punt: string;
  l3Offset: number;
  vlan: number;
}

/** What `trace` tells about one frame: the verdict, and which rule decided it. */
export interface TraceDecision extends Verdict {
  /** none | fdb | flood | mdb-sg | mdb-g | unregistered | link-local | flood-mode | control */
  table: string;
}

/**
 * Data-plane drop reasons (assembly/counters.ts DROP_NAMES) that are forwarding decisions, not faults: the frame was
 * fine and the switch chose not to send it anywhere. Operators see these as "filtered by policy", apart from the
 * frames dropped as bad or lost (`show ports` FILTERED vs DROPS, metrics igmpswitch_port_filtered_total vs
 * igmpswitch_port_drops_total).
 *   same_port          known unicast whose port is the ingress port (IEEE 802.1Q 8.6.1 filtering)
 *   no_egress          no port wants it: multicast without members, unregistered multicast with no router port
 *   unregistered_drop  unregistered multicast under `snooping.unregistered: drop` (RFC 4541 2.1.2(3))
 *   reserved_l2        01:80:c2:00:00:0x, which a bridge must not forward (IEEE 802.1Q 8.6.3)
 */
export const POLICY_FILTER_REASONS: ReadonlySet<string> = new Set(['same_port', 'no_egress', 'unregistered_drop', 'reserved_l2']);

/** A port's drop counters split into policy filtering and real drops (by reason, zero counts left out). */
export function splitDrops<C>(drops: Readonly<Record<string, C>>): { filtered: Record<string, C>; dropped: Record<string, C> } {
  const filtered: Record<string, C> = {};
  const dropped: Record<string, C> = {};
  for (const [reason, n] of Object.entries(drops)) {
    if (!n) continue;
    (POLICY_FILTER_REASONS.has(reason) ? filtered : dropped)[reason] = n;
  }
  return { filtered, dropped };
}

export interface PortCounters {
  rx_frames: number;
  rx_bytes: number;
  tx_frames: number;
  tx_bytes: number;
  /** By drop reason name. */
  drops: Record<string, number>;
  /** By control-message type name. */
  messages: Record<string, number>;
  /** Table and protocol events that are not drops (igmp_ttl, fdb_learn, fdb_move, fdb_full, punt). */
  events: Record<string, number>;
}

export interface CounterSnapshot {
  /** Ports 0..63. */
  ports: (PortCounters & { port: number })[];
  /** Frames whose descriptor named a port ≥ MAX_PORTS. */
  invalidPort: PortCounters;
  /** Message counts summed over all ports. */
  messages: Record<string, number>;
  /** Everything summed over all ports (and the invalid-port row). */
  totals: PortCounters;
  /** Counters that belong to no port (batches, fdb_aged, fdb_flushed, mdb_full). */
  global: Record<string, number>;
}

export interface FdbEntry {
  vlan: number;
  mac: string;
  port: number;
  lastSeenMs: number;
  /** Time since last seen, against the `nowMs` given to fdbEntries (default: that of the last batch). */
  ageMs: number;
}

export interface MdbEntry {
  vlan: number;
  group: string;
  /** null for (*,G). */
  source: string | null;
  ports: PortMask;
  /**
   * group: a (*,G) the control plane set; source: an (S,G); placeholder: the (*,G) the core keeps for a group that
   * has only (S,G) entries.
   */
  kind: 'group' | 'source' | 'placeholder';
  /** On (*,G) entries and placeholders: how many (S,G) entries the group has. */
  sourceCount: number;
}

const modules = new Map<string, WebAssembly.Module>();

function compiled(path: string): WebAssembly.Module {
  let module = modules.get(path);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(path));
    modules.set(path, module);
  }
  return module;
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): CoreExports {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as CoreExports;
  // asconfig exportStart: globals are initialised by _start, which must run before anything else.
  exports._start();
  return exports;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Load the core: compile the module (once per path), ask it how much memory the layout needs, create that memory
 * (fixed size) and lay the regions out.
 */
export function loadCore(options: CoreOptions): Core {
  const maxBatch = positiveInteger('maxBatch', options.maxBatch);
  const fdbCapacity = positiveInteger('fdbCapacity', options.fdbCapacity);
  const mdbCapacity = positiveInteger('mdbCapacity', options.mdbCapacity);
  const module = compiled(options.wasmPath ?? fileURLToPath(DEFAULT_WASM_URL));

  const probe = instantiate(module, new WebAssembly.Memory({ initial: 1, maximum: 1 }));
  const bytes = probe.requiredBytes(maxBatch, fdbCapacity, mdbCapacity) >>> 0;
  const pages = Math.ceil(bytes / WASM_PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const exports = instantiate(module, memory);
  if (!exports.init(maxBatch, fdbCapacity, mdbCapacity, 1)) { // the memory was created just above
    throw new Error(`core: init failed with ${pages} pages for ${bytes} bytes`);
  }
  return new Core(exports, memory);
}

function readLayout(x: CoreExports): CoreLayout {
  const u = (v: number): number => v >>> 0;
  const puntList = u(x.layoutPuntList());
  return Object.freeze({
    desc: u(x.layoutDesc()),
    descStride: DESC_STRIDE,
    slots: u(x.layoutSlots()),
    slotStride: SLOT_STRIDE,
    slotHeadroom: SLOT_HEADROOM,
    slotSize: SLOT_STRIDE - SLOT_HEADROOM,
    umem: u(x.layoutUmem()),
    umemChunks: UMEM_CHUNKS,
    umemChunkSize: UMEM_CHUNK_SIZE,
    txCounts: u(x.layoutTxCounts()),
    txLists: u(x.layoutTxLists()),
    txListStride: u(x.layoutTxListStride()),
    maxBatch: u(x.layoutMaxBatch()),
    verdicts: u(x.layoutVerdicts()),
    verdictStride: VERDICT_STRIDE,
    puntList,
    puntListIndices: puntList + PUNT_LIST_INDICES,
    fdb: u(x.layoutFdb()),
    mdb: u(x.layoutMdb()),
    portTable: u(x.layoutPortTable()),
    counters: u(x.layoutCounters()),
    counterRowStride: u(x.layoutCounterRowStride()),
    counterRowLength: u(x.layoutCounterRowLength()),
    counterRows: u(x.layoutCounterRows()),
    globalCounters: u(x.layoutGlobalCounters()),
    globalCounterCount: u(x.layoutGlobalCounterCount()),
    scratch: u(x.layoutScratch()),
    end: u(x.layoutEnd()),
  });
}

function readNames(x: CoreExports, memory: WebAssembly.Memory): NameTable {
  const decoder = new TextDecoder('utf-16le');
  const text = (i: number): string[] => {
    const ptr = x.nameTable(i) >>> 0;
    const len = x.nameTableLength(i);
    return decoder.decode(new Uint8Array(memory.buffer, ptr, len * 2)).split(',');
  };
  const sectionNames = text(0);
  const count = x.nameTableSections();
  if (sectionNames.length !== count) throw new Error('core: name table sections do not match their count');
  const table: Record<string, readonly string[]> = {};
  sectionNames.forEach((name, i) => {
    table[name] = Object.freeze(text(i));
  });
  return Object.freeze(table);
}

/** Index of a name in a list, or throw: a name the module does not define is a programming error. */
function indexOf(list: readonly string[], name: string, what: string): number {
  const i = list.indexOf(name);
  if (i < 0) throw new Error(`core: unknown ${what} ${JSON.stringify(name)}`);
  return i;
}

export class Core implements CommandTarget {
  readonly memory: WebAssembly.Memory;
  readonly layout: CoreLayout;
  readonly names: NameTable;
  /** Views over the whole memory and its regions, created once (the memory never grows). */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly txCounts: Uint32Array;
  readonly counterCells: BigUint64Array;
  readonly globalCells: BigUint64Array;

  readonly #x: CoreExports;
  /** Where each row section starts within a row, by section name. */
  readonly #rowSections: readonly { name: string; start: number; names: readonly string[] }[];
  readonly #scratchGroup: number;
  readonly #scratchSource: number;
  /** The clock of the last batch, for ages. */
  #lastNowMs = 0;

  constructor(exports: CoreExports, memory: WebAssembly.Memory) {
    this.#x = exports;
    this.memory = memory;
    this.layout = readLayout(exports);
    this.names = readNames(exports, memory);
    const L = this.layout;
    this.bytes = new Uint8Array(memory.buffer);
    this.view = new DataView(memory.buffer);
    this.txCounts = new Uint32Array(memory.buffer, L.txCounts, MAX_PORTS);
    this.counterCells = new BigUint64Array(memory.buffer, L.counters, L.counterRows * L.counterRowLength);
    this.globalCells = new BigUint64Array(memory.buffer, L.globalCounters, L.globalCounterCount);
    this.#scratchGroup = L.scratch + SCRATCH_GROUP;
    this.#scratchSource = L.scratch + SCRATCH_SOURCE;

    let start = 0;
    this.#rowSections = this.names.row!.map((name) => {
      const names = this.names[name];
      if (!names) throw new Error(`core: counter row section ${name} has no names`);
      const section = { name, start, names };
      start += names.length;
      return section;
    });
    if (start !== L.counterRowLength) throw new Error('core: counter names do not cover the counter row');
    for (const field of TRAFFIC_FIELDS) indexOf(this.names.traffic!, field, 'traffic counter');
  }

  // ---- the batch ----

  /** Decide frames 0..n-1 (descriptors already written); returns how many were punted. */
  process(n: number, nowMs: number): number {
    this.#lastNowMs = nowMs >>> 0;
    return this.#x.process(n, this.#lastNowMs);
  }

  /**
   * Decide one frame arriving on `port` as process() would, without side effects (nothing learned, counted, queued
   * or rate-limited). Uses slot 0, descriptor 0 and verdict 0: call between batches only.
   */
  trace(port: number, frame: Uint8Array, nowMs: number): TraceDecision {
    this.writeFrame(0, frame, port);
    const table = this.#x.trace(nowMs >>> 0);
    return { ...this.verdict(0), table: this.names.table![table] ?? 'invalid' };
  }

  // ---- punted frames of the last batch (k = 0 .. puntCount()-1, in frame order) ----

  puntCount(): number {
    return this.view.getUint32(this.layout.puntList, true);
  }

  /** Frame index (slot, descriptor, verdict) of the k-th punted frame. */
  puntFrameIndex(k: number): number {
    return this.view.getUint16(this.layout.puntListIndices + FRAME_INDEX_BYTES * k, true);
  }

  #descriptorField(k: number, field: number): number {
    return this.layout.desc + this.puntFrameIndex(k) * this.layout.descStride + field;
  }

  #verdictField(k: number, field: number): number {
    return this.layout.verdicts + this.puntFrameIndex(k) * this.layout.verdictStride + field;
  }

  puntPort(k: number): number {
    return this.view.getUint16(this.#descriptorField(k, DESC_PORT), true);
  }

  puntLength(k: number): number {
    return this.view.getUint32(this.#descriptorField(k, DESC_LENGTH), true);
  }

  /** The punted frame's bytes: a view into its slot, valid until the next batch. */
  puntBytes(k: number): Uint8Array {
    const at = this.view.getUint32(this.#descriptorField(k, DESC_FRAME), true);
    return this.bytes.subarray(at, at + this.puntLength(k));
  }

  puntVlan(k: number): number {
    return this.view.getUint16(this.#verdictField(k, VERDICT_VLAN), true);
  }

  puntL3Offset(k: number): number {
    return this.view.getUint16(this.#verdictField(k, VERDICT_L3_OFFSET), true);
  }

  /** Index into names.punt (igmp, mld, pim, mrd). */
  puntClass(k: number): number {
    return this.view.getUint8(this.#verdictField(k, VERDICT_PUNT));
  }

  /** Whether the frame was also forwarded (PUNT_AND_FORWARD) rather than only punted. */
  puntForwarded(k: number): boolean {
    return this.names.action![this.view.getUint8(this.#verdictField(k, VERDICT_ACTION))] === 'punt_and_forward';
  }

  /** Address of frame slot i (the frame goes at slot + slotHeadroom). */
  slotAddress(i: number): number {
    return this.layout.slots + i * this.layout.slotStride;
  }

  /** Test/inject helper: copy a frame into slot i after the headroom and write its descriptor. */
  writeFrame(i: number, frame: Uint8Array, port: number, flags = 0): void {
    const L = this.layout;
    if (i < 0 || i >= L.maxBatch) throw new RangeError(`slot ${i} outside 0..${L.maxBatch - 1}`);
    if (frame.length > L.slotSize) throw new RangeError(`frame of ${frame.length} bytes exceeds the slot`);
    const at = this.slotAddress(i) + L.slotHeadroom;
    this.bytes.set(frame, at);
    this.writeDescriptor(i, at, frame.length, port, flags);
  }

  /** Write descriptor i as the native side would. */
  writeDescriptor(i: number, frameAddress: number, length: number, port: number, flags = 0, timeMs = 0): void {
    const d = this.layout.desc + i * this.layout.descStride;
    this.view.setUint32(d + DESC_FRAME, frameAddress, true);
    this.view.setUint32(d + DESC_LENGTH, length, true);
    this.view.setUint16(d + DESC_PORT, port, true);
    this.view.setUint16(d + DESC_FLAGS, flags, true);
    this.view.setUint32(d + DESC_TIME, timeMs, true);
  }

  verdict(i: number): Verdict {
    const v = this.layout.verdicts + i * this.layout.verdictStride;
    const names = this.names;
    return {
      ports: this.view.getBigUint64(v + VERDICT_PORTS, true),
      action: names.action![this.view.getUint8(v + VERDICT_ACTION)] ?? 'invalid',
      reason: names.drop![this.view.getUint8(v + VERDICT_REASON)] ?? 'invalid',
      punt: names.punt![this.view.getUint8(v + VERDICT_PUNT)] ?? 'invalid',
      l3Offset: this.view.getUint16(v + VERDICT_L3_OFFSET, true),
      vlan: this.view.getUint16(v + VERDICT_VLAN, true),
    };
  }

  /** Frame indices queued for `port` by the last process(). */
  txList(port: number): number[] {
    const L = this.layout;
    const n = this.txCounts[port]!;
    const list = new Uint16Array(this.memory.buffer, L.txLists + port * L.txListStride, n);
    return Array.from(list);
  }

  // ---- tables, programmed between batches ----

  /** Apply control-plane commands; returns how many failed because a table was full. */
  applyCommands(list: readonly TableCommand[]): number {
    let failed = 0;
    for (const c of list) failed += this.applyCommand(c);
    return failed;
  }

  /** One command; returns 1 when it failed because a table was full, else 0 (command-codec.ts CommandTarget). */
  applyCommand(c: TableCommand): number {
    switch (c.op) {
      case 'mdbSet': return this.mdbSet(c.vlan, c.group, c.source, c.ports) ? 0 : 1;
      case 'mdbDelete': this.mdbDelete(c.vlan, c.group, c.source); break;
      case 'mdbClear': this.mdbClear(); break;
      case 'routerPorts': this.setRouterPorts(c.ports); break;
      case 'policy': this.setPolicy(c.unregistered, c.mode); break;
      case 'mldMode': this.setMldSnooping(c.mode === 'snoop'); break;
      case 'portFlags': this.setPortFlags(c.floodAll, c.floodReports, c.floodUnregistered); break;
      case 'activePorts': this.setActivePorts(c.ports); break;
      case 'fdbFlush': this.fdbFlush(c.port); break;
      case 'reportRate': this.setReportRate(c.perSecond, c.burst); break;
    }
    return 0;
  }

  #writeKeys(group: string, source: string | null): number {
    writeAddressKey(group, this.bytes, this.#scratchGroup);
    if (source === null) return 0;
    writeAddressKey(source, this.bytes, this.#scratchSource);
    return this.#scratchSource;
  }

  /** Keys already encoded (command-codec.ts): copied from `keys` into the scratch area. */
  #copyKeys(keys: Uint8Array, groupAt: number, sourceAt: number): number {
    const bytes = this.bytes;
    const g = this.#scratchGroup;
    for (let i = 0; i < KEY_BYTES; i++) bytes[g + i] = keys[groupAt + i]!;
    if (sourceAt < 0) return 0;
    const s = this.#scratchSource;
    for (let i = 0; i < KEY_BYTES; i++) bytes[s + i] = keys[sourceAt + i]!;
    return s;
  }

  /** Create or replace (vlan, group[, source]); false when the MDB is full. */
  mdbSet(vlan: number, group: string, source: string | null, ports: PortMask): boolean {
    return this.#mdbSetScratch(vlan, this.#writeKeys(group, source), ports);
  }

  /** Remove (vlan, group[, source]); false when there was no such entry. */
  mdbDelete(vlan: number, group: string, source: string | null): boolean {
    return this.#mdbDeleteScratch(vlan, this.#writeKeys(group, source));
  }

  /** mdbSet with the keys at `groupAt` / `sourceAt` (-1: none) of `keys`. */
  mdbSetKey(vlan: number, keys: Uint8Array, groupAt: number, sourceAt: number, ports: PortMask): boolean {
    return this.#mdbSetScratch(vlan, this.#copyKeys(keys, groupAt, sourceAt), ports);
  }

  /** mdbDelete with the keys at `groupAt` / `sourceAt` (-1: none) of `keys`. */
  mdbDeleteKey(vlan: number, keys: Uint8Array, groupAt: number, sourceAt: number): boolean {
    return this.#mdbDeleteScratch(vlan, this.#copyKeys(keys, groupAt, sourceAt));
  }

  /** The keys are in the scratch area (the source's address, or 0 for none). */
  #mdbSetScratch(vlan: number, sourcePtr: number, ports: PortMask): boolean {
    return this.#x.mdbSet(vlan, this.#scratchGroup, sourcePtr, BigInt.asUintN(64, ports)) !== 0;
  }

  #mdbDeleteScratch(vlan: number, sourcePtr: number): boolean {
    return this.#x.mdbDelete(vlan, this.#scratchGroup, sourcePtr) !== 0;
  }

  mdbClear(): void {
    this.#x.mdbClear();
  }

  setActivePorts(ports: PortMask): void {
    this.#x.setActivePorts(BigInt.asUintN(64, ports));
  }

  setRouterPorts(ports: PortMask): void {
    this.#x.setRouterPorts(BigInt.asUintN(64, ports));
  }

  setPortFlags(floodAll: PortMask, floodReports: PortMask, floodUnregistered: PortMask): void {
    this.#x.setPortFlags(BigInt.asUintN(64, floodAll), BigInt.asUintN(64, floodReports),
      BigInt.asUintN(64, floodUnregistered));
  }

  setPolicy(unregistered: UnregisteredPolicy, mode: McastMode): void {
    this.#x.setPolicy(indexOf(this.names.policy!, unregistered, 'policy'), indexOf(this.names.mode!, mode, 'mode'));
  }

  /** Forward IPv6 multicast by the MDB and send MLD reports to router ports (off: flood, RFC 4541 2.1.2(4)). */
  setMldSnooping(on: boolean): void {
    this.#x.setMldSnooping(on ? 1 : 0);
  }

  /** Membership reports (and leaves) accepted per port: `perSecond` (0 = unlimited) with bursts of `burst`. */
  setReportRate(perSecond: number, burst: number): void {
    this.#x.setReportRate(perSecond >>> 0, burst >>> 0);
  }

  /** FDB aging time in ms (0 = never age). */
  setFdbAgingMs(ms: number): void {
    this.#x.setFdbAgingMs(ms >>> 0);
  }

  /** Remove FDB entries older than the aging time; returns how many. */
  fdbAge(nowMs: number): number {
    return this.#x.fdbAge(nowMs >>> 0) >>> 0;
  }

  /** Age 1/`parts` of the table, continuing where the last step stopped (`parts` steps = one whole pass). */
  fdbAgeStep(nowMs: number, parts: number): number {
    return this.#x.fdbAgeStep(nowMs >>> 0, parts >>> 0) >>> 0;
  }

  /** Forget addresses learned on `port`, or all when null; returns how many. */
  fdbFlush(port: number | null): number {
    return this.#x.fdbFlush(port ?? -1) >>> 0;
  }

  // ---- management views ----

  fdbCount(): number {
    return this.#x.fdbCount() >>> 0;
  }

  /** Learned addresses (stale ones too, until fdbAge removes them), with their age at `nowMs`. */
  fdbEntries(nowMs = this.#lastNowMs): FdbEntry[] {
    const x = this.#x;
    const entries: FdbEntry[] = [];
    for (let s = x.fdbNext(0); s >= 0; s = x.fdbNext(s + 1)) {
      const lastSeenMs = x.fdbSlotLastSeen(s) >>> 0;
      entries.push({
        vlan: x.fdbSlotVlan(s),
        mac: macToText(BigInt.asUintN(64, x.fdbSlotMac(s))),
        port: x.fdbSlotPort(s),
        lastSeenMs,
        ageMs: ((nowMs >>> 0) - lastSeenMs) >>> 0,
      });
    }
    return entries;
  }

  mdbCount(): number {
    return this.#x.mdbCount() >>> 0;
  }

  mdbEntries(): MdbEntry[] {
    const x = this.#x;
    const entries: MdbEntry[] = [];
    for (let s = x.mdbNext(0); s >= 0; s = x.mdbNext(s + 1)) {
      const flags = x.mdbSlotFlags(s);
      const sourceKey = this.bytes.slice(x.mdbSlotSource(s) >>> 0, (x.mdbSlotSource(s) >>> 0) + 16);
      const group = this.bytes.slice(x.mdbSlotGroup(s) >>> 0, (x.mdbSlotGroup(s) >>> 0) + 16);
      entries.push({
        vlan: x.mdbSlotVlan(s),
        group: keyToAddress(group),
        source: isZeroKey(sourceKey) ? null : keyToAddress(sourceKey),
        ports: BigInt.asUintN(64, x.mdbSlotPorts(s)),
        kind: (flags & MDB_FLAG_SOURCE_SPECIFIC) !== 0 ? 'source' : (flags & MDB_FLAG_REGISTERED) !== 0 ? 'group' : 'placeholder',
        sourceCount: x.mdbSlotSourceCount(s) >>> 0,
      });
    }
    return entries;
  }

  /**
   * How far the worst entry of each table sits from its home slot. Small (tens) when the hash spreads the keys;
   * large values mean long probes on every lookup.
   */
  tableHealth(): { fdbLongestProbe: number; mdbLongestProbe: number } {
    return { fdbLongestProbe: this.#x.fdbLongestProbe() >>> 0, mdbLongestProbe: this.#x.mdbLongestProbe() >>> 0 };
  }

  resetCounters(): void {
    this.#x.resetCounters();
  }

  counters(): CounterSnapshot {
    const L = this.layout;
    const cells = this.counterCells;
    const row = (r: number): PortCounters => {
      const base = r * L.counterRowLength;
      const groups: Record<string, Record<string, number>> = {};
      for (const section of this.#rowSections) {
        const group: Record<string, number> = {};
        section.names.forEach((name, k) => {
          group[name] = Number(cells[base + section.start + k]);
        });
        groups[section.name] = group;
      }
      const traffic = groups.traffic!;
      return {
        rx_frames: traffic.rx_frames!,
        rx_bytes: traffic.rx_bytes!,
        tx_frames: traffic.tx_frames!,
        tx_bytes: traffic.tx_bytes!,
        drops: groups.drop!,
        messages: groups.message!,
        events: groups.event!,
      };
    };
    const rows = Array.from({ length: L.counterRows }, (_, r) => row(r));
    const totals = rows.reduce(addCounters);
    const global: Record<string, number> = {};
    this.names.global!.forEach((name, k) => {
      global[name] = Number(this.globalCells[k]);
    });
    return {
      ports: rows.slice(0, MAX_PORTS).map((c, port) => ({ port, ...c })),
      invalidPort: rows[MAX_PORTS]!,
      messages: totals.messages,
      totals,
      global,
    };
  }
}

function addRecords(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

function addCounters(a: PortCounters, b: PortCounters): PortCounters {
  return {
    rx_frames: a.rx_frames + b.rx_frames,
    rx_bytes: a.rx_bytes + b.rx_bytes,
    tx_frames: a.tx_frames + b.tx_frames,
    tx_bytes: a.tx_bytes + b.tx_bytes,
    drops: addRecords(a.drops, b.drops),
    messages: addRecords(a.messages, b.messages),
    events: addRecords(a.events, b.events),
  };
}
