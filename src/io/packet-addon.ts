// Typed face of the project's AF_PACKET addon (native/ → native/build/Release/igmpswitch_packet.node).
//
// The addon is context-aware: each thread that loads it (main thread, data-plane worker) gets its own ports,
// eventfd and attached memory. Only wake(fd) crosses threads. See docs/architecture.md ("Native addon API") for
// the descriptor and TX-list layout the addon reads and writes.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Offsets/strides in Wasm linear memory, as exported by the Wasm core's `layout*` getters. */
export interface PacketLayout {
  /** First RX descriptor (absolute byte offset). */
  desc: number;
  /** Bytes per descriptor (>= 32). */
  descStride: number;
  /** First frame slot. Slot i is at slots + i * slotStride. */
  slots: number;
  slotStride: number;
  /** Bytes kept free before the frame (>= 4) so a stripped VLAN tag can be re-inserted in place. */
  slotHeadroom: number;
  /** Usable bytes after the headroom; the addon uses min(slotSize, slotStride - slotHeadroom). Optional. */
  slotSize?: number;
  /** AF_XDP UMEM region (page-aligned in memory): umemChunks chunks of umemChunkSize (2048 or 4096) bytes.
   *  Optional: without it (umemChunks 0) openPort() refuses io "af_xdp". */
  umem?: number;
  umemChunks?: number;
  umemChunkSize?: number;
  /** u32 TX count per port (MAX_PORTS of them). Descriptor fields and flags are not here: the addon and the core
   *  both take them from the memory contract (src/contract/memory.ts). */
  txCounts: number;
  /** Per-port lists of u16 frame indices: port p's list at txLists + p * txListStride. */
  txLists: number;
  txListStride: number;
  /** Number of descriptors and slots; receive() never fills more. */
  maxBatch: number;
  /** Not used by the addon; accepted so the core's layout object can be passed as is. */
  verdicts?: number;
  verdictStride?: number;
}

export interface OpenPortOptions {
  /** PACKET_QDISC_BYPASS: transmit straight to the driver (no qdisc: no shaping, no queueing backpressure). */
  qdiscBypass?: boolean;
  /**
   * SO_RCVBUF(FORCE) bytes as passed to setsockopt (the kernel doubles it). Default: bounded from the attached batch
   * size (4 batches of small frames, at least 4 GSO frames; docs/packet-io.md), so a full socket is a counted drop
   * (kernelDrops) rather than a long queue.
   */
  rcvbuf?: number;
  /**
   * Receive through a TPACKET_V2 RX ring (per-frame status, 4 batches of 2 KiB frames) instead of recvmmsg; a frame
   * longer than a ring frame (GSO) is read whole with recvmsg. docs/packet-io.md has the measurements.
   */
  rxRing?: boolean;
  /** SO_SNDBUF(FORCE) bytes, default 4 MiB. */
  sndbuf?: number;
  /** "af_xdp": an AF_XDP socket and XDP program beside the AF_PACKET socket (docs/packet-io.md, "AF_XDP"); throws
   *  (and leaves the port closed) when that cannot be set up. Default "af_packet". */
  io?: IoBackend;
  /** XDP attach mode for io "af_xdp": "auto" = native where the driver has it, generic otherwise. */
  xdpMode?: XdpMode;
  /** XDP_ZEROCOPY (NICs with zero-copy AF_XDP only; veth has none, so untested here). */
  zeroCopy?: boolean;
  /** Refuse AF_XDP on virtual devices (veth, tun/tap), whose local senders leave checksums incomplete (io "auto"). */
  xdpWireOnly?: boolean;
}

/** The packet I/O method of a port. */
export type IoBackend = 'af_xdp' | 'af_packet';
export type XdpMode = 'auto' | 'native' | 'generic';

export interface OpenedPort {
  ifindex: number;
  /** "aa:bb:cc:dd:ee:ff" */
  mac: string;
  mtu: number;
  io: IoBackend;
  /** For io "af_xdp": the XDP mode in use ("native", "generic", "native-zerocopy", ...). */
  xdpMode?: string;
  /** The socket's receive capacity (getsockopt SO_RCVBUF: bytes of skb truesize it queues before dropping). */
  rcvbuf?: number;
  /** Frames in the TPACKET_V2 RX ring (0: recvmmsg). */
  rxRingFrames?: number;
}

export interface ReceiveTuning {
  /** After the last frame, receive() polls without blocking for this long before it sleeps (0 = sleep at once). */
  busyPollUs: number;
}

/** How receive() found its frames, since the addon was loaded on this thread. */
export interface RxStats {
  /** poll() calls, blocking or not. */
  polls: number;
  /** poll() calls with a timeout (the thread may have slept). */
  blockingPolls: number;
  /** receive() calls that read ports still busy from the last call, without polling first. */
  drains: number;
  /** Non-blocking polls of the busy-poll phase. */
  spins: number;
  /**
   * AF_XDP: times a port's XSK left the epoll set because its ring gave frames to two receive() calls in a row (the
   * kernel then wakes nobody per received frame); every parked XSK is back in the set before receive() sleeps.
   */
  xskParks: number;
  /**
   * Time the data-plane thread spent outside receive() — processing, transmitting, housekeeping, or not scheduled —
   * during which nobody gives the kernel buffers back: the longest (ms), and how often it was over 1 and 4 ms.
   */
  awayMaxMs: number;
  awayOver1ms: number;
  awayOver4ms: number;
  /** AF_XDP: refills that found a port's fill ring below an eighth of its target (the kernel nearly ran out). */
  fillLow: number;
  /** AF_XDP: the fewest free UMEM chunks left after a refill (absent without AF_XDP). */
  freeChunksMin?: number;
}

export interface LinkState {
  ifindex: number;
  /** IFF_UP && IFF_RUNNING: the port can pass traffic. */
  up: boolean;
  adminUp: boolean;
  running: boolean;
  /** ETHTOOL_GLINK (carrier), or `running` for drivers without get_link. */
  carrier: boolean;
  mtu: number;
}

/** Offload state by friendly name; null = the kernel/driver has no such feature. */
export interface Offloads {
  gro: boolean | null;
  lro: boolean | null;
  /** rx-gro-list (fraglist GRO). */
  groList: boolean | null;
  /** rx-udp-gro-forwarding. */
  udpGroForwarding: boolean | null;
  /** rx-gro-hw (hardware GRO). */
  hwGro: boolean | null;
  gso: boolean | null;
  tso: boolean | null;
  sg: boolean | null;
  rxcsum: boolean | null;
  txcsum: boolean | null;
  /** rx-vlan-hw-parse (VLAN stripping; the addon re-inserts stripped tags either way). */
  rxvlan: boolean | null;
  txvlan: boolean | null;
  /** rx-vlan-filter: with it on, some NICs drop VLANs nobody registered, even in promiscuous mode. */
  rxvlanFilter: boolean | null;
}
export type OffloadKey = keyof Offloads;
export type OffloadSettings = Partial<Record<OffloadKey, boolean>>;

export interface FeatureState {
  active: boolean;
  requested: boolean;
  changeable: boolean;
}

export interface PortStats {
  ifname: string;
  ifindex: number;
  mac: string;
  mtu: number;
  open: boolean;
  qdiscBypass: boolean;
  rxFrames: number;
  rxBytes: number;
  /** Frames longer than the slot: delivered cut and flagged TRUNCATED. */
  rxTruncated: number;
  /** 802.1Q/802.1ad tags the kernel had stripped and the addon put back. */
  rxVlanRestored: number;
  rxGso: number;
  rxCsumPartial: number;
  /** recvmmsg errors other than "nothing queued" and "link down" (frame lost). */
  rxErrors: number;
  /** recvmmsg saw ENETDOWN/ENXIO/ENODEV. */
  rxDown: number;
  txFrames: number;
  txBytes: number;
  /** Dropped because the socket or device queue was full (EAGAIN/ENOBUFS). */
  txDrops: number;
  /** Refused by the kernel (EMSGSIZE, EINVAL, ...). */
  txErrors: number;
  /** Not sent: link down / device gone. */
  txDown: number;
  /** TX list entries that pointed outside the batch or memory (a core bug). */
  txInvalid: number;
  injectFrames: number;
  injectErrors: number;
  /** PACKET_STATISTICS since open: frames the kernel queued to the socket, and those it dropped (socket full). */
  kernelPackets: number;
  kernelDrops: number;
  /** errno name of the last failure, "" if none. */
  lastRxError: string;
  lastTxError: string;
  io: IoBackend;
  xdpMode?: string;
  /** Frames through the AF_XDP socket (included in rxFrames/txFrames), TX ring overflows. */
  xskRxFrames: number;
  xskTxFrames: number;
  xskTxDrops: number;
  /** The kernel's XDP_STATISTICS: frames dropped for want of room (RX ring full, fill ring empty), bad TX descriptors. */
  xskRxDropped: number;
  xskRxRingFull: number;
  xskFillEmpty: number;
  xskTxInvalid: number;
}

export type LinkEvent =
  | { resync: true }
  | { resync?: undefined; ifindex: number; ifname: string; deleted: boolean; up: boolean; carrier: boolean };

export interface PacketAddon {
  /** Keep the base pointer of a non-growable Wasm memory and the layout; holds a reference to the buffer. */
  attach(memory: ArrayBuffer, layout: PacketLayout): void;
  /** Open an AF_PACKET port on `ifname` as port `index` (0..63). Throws (code ENODEV, message names the interface). */
  openPort(ifname: string, index: number, options?: OpenPortOptions): OpenedPort;
  closePort(index: number): void;
  /**
   * Poll every open port (and the wake eventfd), recvmmsg into slots 0..n-1, fill descriptors 0..n-1.
   * timeoutMs: 0 = don't block, -1 = block until traffic or wake. Returns n (0 on timeout or wake).
   */
  receive(maxFrames: number, timeoutMs: number): number;
  /**
   * Frames are waiting: on an XSK RX ring, or on a port whose last read returned frames (so the next receive()
   * reads without waiting). Memory reads only, no syscall: the data-plane loop asks it to put off housekeeping.
   */
  rxPending(): boolean;
  /**
   * receive() consumed a wake-up (the eventfd) since the last call; clears it. A receive() that finds frames and
   * the wake-up together returns the frames, so this says that messages are waiting all the same.
   */
  takeWake(): boolean;
  /** One sendmmsg per port with a non-zero TX count. Reads (does not reset) the TX counts. Returns frames sent. */
  transmit(): number;
  /** Send one control-plane frame (no offload) on a port index or every port in a bigint mask. Returns ports sent on. */
  inject(portOrMask: number | bigint, frame: Uint8Array | ArrayBuffer | DataView): number;
  /** eventfd (of this thread's addon instance) that interrupts receive(). */
  wakeFd(): number;
  /** Write to a wakeFd() from any thread. Throws if fd is not an eventfd (any more). */
  wake(fd: number): void;
  /** The clock receive() stamps descriptors with: CLOCK_MONOTONIC_COARSE in ms, truncated to u32. */
  nowMs(): number;
  /** Pin the calling thread (not the process) to one CPU (pthread_setaffinity_np). */
  pinThread(cpu: number): void;
  /** Counters of a port opened at least once on this instance, else null. */
  portStats(index: number): PortStats | null;
  /**
   * null when the interface does not exist (in this network namespace). `{carrier: false}` skips ETHTOOL_GLINK,
   * which takes rtnl_lock (carrier is then `running`): what a data-plane loop should ask.
   */
  linkState(ifname: string, options?: { carrier?: boolean }): LinkState | null;
  /** Set (or with no argument read) receive()'s busy-poll budget. */
  receiveTuning(tuning?: Partial<ReceiveTuning>): ReceiveTuning;
  rxStats(): RxStats;
  /**
   * Make every other thread of the process (main thread: timers, GC; V8 and libuv helpers) at least this nice, so
   * the calling (data-plane) thread runs first when they share a CPU. Needs no privilege. Returns threads changed.
   */
  yieldOtherThreads(nice: number): number;
  getOffloads(ifname: string): Offloads;
  /** Change only the named offloads; returns the state afterwards. Throws if a fixed feature would have to change. */
  setOffloads(ifname: string, settings: OffloadSettings): Offloads;
  /** Every netdev feature by kernel name (as `ethtool -k` prints it). */
  features(ifname: string): Record<string, FeatureState>;
  setFeatures(ifname: string, settings: Record<string, boolean>): Record<string, boolean>;
  /** Subscribe to rtnetlink link notifications; receive() then also wakes on link changes. */
  watchLinks(on?: boolean): void;
  /** True when receive() saw link notifications that linkEvents() has not drained yet. */
  linksPending(): boolean;
  linkEvents(): LinkEvent[];
  /** flock(fd, LOCK_EX|LOCK_NB) on a descriptor from fs.openSync: true = held by this process now, false = held by another. */
  tryLock(fd: number): boolean;
  /** prctl(PR_SET_PDEATHSIG): the kernel sends this signal when the process that started us exits (0 = never). */
  parentDeathSignal(signo: number): void;
  readonly constants: {
    readonly MAX_PORTS: number;
    readonly VNET_HDR_LEN: number;
    /** While ports are drained without poll, the others are polled at least every this many batches. */
    readonly DISCOVER_EVERY: number;
  };
}


/** Where the built addon lives: native/build/Release relative to the package root (works from src/ and dist/). */
export function packetAddonPath(): string {
  const override = process.env.IGMPSWITCH_PACKET_ADDON;
  if (override) return override;
  return fileURLToPath(new URL('../../native/build/Release/igmpswitch_packet.node', import.meta.url));
}

let cached: PacketAddon | undefined;

/**
 * Load the addon (once per thread; node-api gives every thread its own instance). Throws with the path and the
 * build command when it has not been built, or when the platform is not Linux.
 */
export function loadPacketAddon(): PacketAddon {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    throw new Error(`igmpswitch packet I/O needs Linux (AF_PACKET); this is ${process.platform}`);
  }
  const file = packetAddonPath();
  if (!existsSync(file)) {
    throw new Error(`packet I/O addon not built: ${file} is missing; run \`npm run build:native\``);
  }
  const require = createRequire(import.meta.url);
  cached = require(file) as PacketAddon;
  return cached;
}
