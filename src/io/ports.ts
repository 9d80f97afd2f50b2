// The switch's ports: AF_PACKET sockets on configured interfaces, opened by name, plus the interface settings
// the switch has to change to bridge them (offloads), saved first and restored on close.
//
// A PortSet lives in the thread that runs receive()/transmit() (the data-plane worker), because the sockets
// belong to that thread's addon instance.

import { loadPacketAddon } from './packet-addon.js';
import type { IoBackend, OffloadKey, OffloadSettings, OpenedPort, OpenPortOptions, PacketAddon } from './packet-addon.js';

export interface PortSpec {
  /** Interface name, e.g. "eth1". */
  name: string;
  /** Port index 0..63 (the bit in every port mask). */
  index: number;
  /** Per-port socket options (qdisc bypass, buffer sizes). */
  socket?: OpenPortOptions;
  /** Offload settings for this port, merged over the set's defaults. */
  offloads?: OffloadSettings;
  /** Packet I/O method for this port (the set's `io` otherwise). */
  io?: IoSelection;
}

/**
 * "af_xdp": AF_XDP or fail to open; "af_packet": AF_PACKET only; "auto": AF_XDP where it can be set up and frames
 * arrive with complete checksums (not on veth or tun/tap, whose local senders offload them), else AF_PACKET with a
 * warning that says why (docs/packet-io.md, "AF_XDP").
 */
export type IoSelection = 'auto' | IoBackend;

export interface PortInfo {
  name: string;
  index: number;
  ifindex: number;
  mac: string;
  mtu: number;
  open: boolean;
  /** The packet I/O method the port runs on, and for AF_XDP its XDP mode. */
  io: IoBackend;
  xdpMode?: string;
}

export interface PortSetOptions {
  addon?: PacketAddon;
  /** Offloads applied to every port (restored on close). Default: DEFAULT_PORT_OFFLOADS. */
  offloads?: OffloadSettings;
  /** Socket options for every port (a port's own `socket` wins). */
  socket?: OpenPortOptions;
  /** Packet I/O method for every port (a port's own `io` wins). Default "af_packet". */
  io?: IoSelection;
  /** Notices that are not errors (an optional offload the driver would not change). */
  warn?: (message: string) => void;
}

/**
 * What a bridged port needs:
 * - LRO off: LRO merges segments without keeping their headers, so merged frames cannot be forwarded as they
 *   arrived (the Linux bridge turns it off too, dev_disable_lro). Required: opening fails if it cannot be done.
 * - GRO is left as it is: with PACKET_VNET_HDR, GRO'd super-frames arrive with a virtio_net_hdr (GSO type and
 *   size) and go out again as GSO frames that the egress device or the kernel segments; measured in
 *   test/netns/packet-io.test.ts and docs/packet-io.md.
 */
export const DEFAULT_PORT_OFFLOADS: OffloadSettings = { lro: false };

/** Offloads that must reach the requested state; others only warn. */
const REQUIRED_OFFLOADS: ReadonlySet<OffloadKey> = new Set<OffloadKey>(['lro']);

export class PortError extends Error {
  override readonly name = 'PortError';
  constructor(
    message: string,
    readonly ifname: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface SavedOffloads {
  ifindex: number;
  settings: OffloadSettings;
}

function errCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EUNKNOWN';
}
function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class PortSet {
  readonly #addon: PacketAddon;
  readonly #specs: Map<number, PortSpec>;
  readonly #opts: PortSetOptions;
  readonly #info = new Map<number, PortInfo>();
  /** Original offload values by interface name, for the ifindex we changed them on. */
  readonly #saved = new Map<string, SavedOffloads>();

  constructor(specs: readonly PortSpec[], options: PortSetOptions = {}) {
    this.#addon = options.addon ?? loadPacketAddon();
    this.#opts = options;
    this.#specs = new Map();
    const names = new Set<string>();
    for (const s of specs) {
      if (!Number.isInteger(s.index) || s.index < 0 || s.index >= this.#addon.constants.MAX_PORTS) {
        throw new PortError(`port ${s.name}: index ${s.index} out of range 0..63`, s.name, 'ERR_IGS_ARG');
      }
      if (this.#specs.has(s.index)) {
        throw new PortError(`port ${s.name}: index ${s.index} already used by ${this.#specs.get(s.index)!.name}`, s.name, 'ERR_IGS_ARG');
      }
      if (names.has(s.name)) throw new PortError(`port ${s.name}: listed twice`, s.name, 'ERR_IGS_ARG');
      names.add(s.name);
      this.#specs.set(s.index, s);
    }
  }

  /** Add a port (configuration reload); it is opened by open(). */
  addSpec(spec: PortSpec): void {
    if (this.#specs.has(spec.index) || this.byName(spec.name)) {
      throw new PortError(`port ${spec.name}: index ${spec.index} or name already in use`, spec.name, 'ERR_IGS_ARG');
    }
    this.#specs.set(spec.index, spec);
  }

  /** Remove a port (configuration reload): close it and restore its interface settings. */
  removeSpec(index: number): void {
    const spec = this.#specs.get(index);
    if (!spec) return;
    if (this.isOpen(index)) this.close(index);
    this.#specs.delete(index);
    this.#info.delete(index);
    const saved = this.#saved.get(spec.name);
    this.#saved.delete(spec.name);
    const link = this.#addon.linkState(spec.name);
    if (saved && link && link.ifindex === saved.ifindex) {
      try { this.#addon.setOffloads(spec.name, saved.settings); } catch (e) { this.#opts.warn?.(errMessage(e)); }
    }
  }

  get addon(): PacketAddon {
    return this.#addon;
  }

  /** Specs in index order. */
  get specs(): PortSpec[] {
    return [...this.#specs.values()].sort((a, b) => a.index - b.index);
  }

  /** Ports opened at least once, in index order. */
  get ports(): PortInfo[] {
    return [...this.#info.values()].sort((a, b) => a.index - b.index);
  }

  get(index: number): PortInfo | undefined {
    return this.#info.get(index);
  }

  byName(name: string): PortSpec | undefined {
    for (const s of this.#specs.values()) if (s.name === name) return s;
    return undefined;
  }

  isOpen(index: number): boolean {
    return this.#info.get(index)?.open ?? false;
  }

  /** Bitmask of open ports (for the core's "ports up" command). */
  openMask(): bigint {
    let m = 0n;
    for (const p of this.#info.values()) if (p.open) m |= 1n << BigInt(p.index);
    return m;
  }

  /**
   * Open every port. All or nothing: if one interface is missing or cannot be set up, the ones already opened
   * are closed and their settings restored, and the error names the interface.
   */
  openAll(): PortInfo[] {
    try {
      for (const s of this.specs) this.open(s.index);
    } catch (e) {
      try {
        this.closeAll();
      } catch (restoreError) {
        this.#opts.warn?.(errMessage(restoreError)); // the open failure is the error to report
      }
      throw e;
    }
    return this.ports;
  }

  /** (Re)open one port: apply offloads (saving the originals), open the socket. */
  open(index: number): PortInfo {
    const spec = this.#specs.get(index);
    if (!spec) throw new PortError(`no port with index ${index}`, '', 'ERR_IGS_ARG');
    if (this.isOpen(index)) return this.#info.get(index)!;
    const link = this.#addon.linkState(spec.name);
    if (!link) {
      throw new PortError(`port ${spec.name} (index ${index}): no such network interface`, spec.name, 'ENODEV');
    }
    this.#applyOffloads(spec, link.ifindex);
    const socket = { ...this.#opts.socket, ...spec.socket };
    const io = spec.io ?? this.#opts.io ?? socket.io ?? 'af_packet';
    const openWith = (backend: IoBackend): OpenedPort => {
      try {
        return this.#addon.openPort(spec.name, index, { ...socket, io: backend, xdpWireOnly: backend === 'af_xdp' && io === 'auto' });
      } catch (e) {
        throw new PortError(`port ${spec.name} (index ${index}): ${errMessage(e)}`, spec.name, errCode(e), { cause: e });
      }
    };
    let opened: OpenedPort;
    if (io === 'auto') {
      try {
        opened = openWith('af_xdp');
      } catch (e) {
        this.#opts.warn?.(`port ${spec.name}: AF_XDP not used, falling back to AF_PACKET: ${errMessage(e)}`);
        opened = openWith('af_packet');
      }
    } else {
      opened = openWith(io);
    }
    const info: PortInfo = {
      name: spec.name, index, ifindex: opened.ifindex, mac: opened.mac, mtu: opened.mtu, open: true, io: opened.io,
      ...(opened.xdpMode ? { xdpMode: opened.xdpMode } : {}),
    };
    this.#info.set(index, info);
    return info;
  }

  /** Close one port's socket (settings stay changed: the port may come back; closeAll restores them). */
  close(index: number): void {
    this.#addon.closePort(index);
    const info = this.#info.get(index);
    if (info) info.open = false;
  }

  /** Close every port and restore every interface setting changed. Restore errors are collected, not thrown midway. */
  closeAll(): void {
    for (const index of this.#specs.keys()) this.close(index);
    const failures: string[] = [];
    for (const [name, saved] of this.#saved) {
      const link = this.#addon.linkState(name);
      // Gone, or replaced by a new device (new ifindex, fresh defaults): nothing of ours to undo.
      if (!link || link.ifindex !== saved.ifindex) continue;
      try {
        this.#addon.setOffloads(name, saved.settings);
      } catch (e) {
        failures.push(`${name}: ${errMessage(e)}`);
      }
    }
    this.#saved.clear();
    if (failures.length) {
      throw new PortError(`could not restore interface settings: ${failures.join('; ')}`, '', 'ERESTORE');
    }
  }

  /** Settings changed and not yet restored, by interface (for a state file that survives a crash). */
  savedSettings(): Record<string, { ifindex: number; offloads: OffloadSettings }> {
    const out: Record<string, { ifindex: number; offloads: OffloadSettings }> = {};
    for (const [name, s] of this.#saved) out[name] = { ifindex: s.ifindex, offloads: { ...s.settings } };
    return out;
  }

  #applyOffloads(spec: PortSpec, ifindex: number): void {
    const wanted: OffloadSettings = { ...(this.#opts.offloads ?? DEFAULT_PORT_OFFLOADS), ...spec.offloads };
    let current;
    try {
      current = this.#addon.getOffloads(spec.name);
    } catch (e) {
      throw new PortError(`port ${spec.name}: reading offloads: ${errMessage(e)}`, spec.name, errCode(e), { cause: e });
    }
    const change: OffloadSettings = {};
    for (const [k, v] of Object.entries(wanted) as [OffloadKey, boolean | undefined][]) {
      if (v === undefined) continue;
      const cur = current[k];
      if (cur === null) continue; // the driver has no such feature: nothing to do
      if (cur !== v) change[k] = v;
    }
    if (Object.keys(change).length === 0) return;
    // The originals to restore: those an earlier open of the same device saved win (they are the true ones).
    const prev = this.#saved.get(spec.name);
    const saved: SavedOffloads = prev && prev.ifindex === ifindex ? prev : { ifindex, settings: {} };
    try {
      for (const [k, v] of Object.entries(change) as [OffloadKey, boolean][]) {
        try {
          const after = this.#addon.setOffloads(spec.name, { [k]: v });
          if (after[k] !== current[k] && !(k in saved.settings)) saved.settings[k] = current[k]!;
          if (after[k] !== v) throw new Error(`the driver kept ${k} ${after[k] ? 'on' : 'off'}`);
        } catch (e) {
          const msg = `port ${spec.name}: cannot turn ${k} ${v ? 'on' : 'off'}: ${errMessage(e)}`;
          if (REQUIRED_OFFLOADS.has(k)) throw new PortError(msg, spec.name, errCode(e), { cause: e });
          this.#opts.warn?.(msg);
        }
      }
    } finally {
      // Remember whatever did change, even when a required change then failed (openAll restores it).
      if (Object.keys(saved.settings).length) this.#saved.set(spec.name, saved);
    }
  }
}
