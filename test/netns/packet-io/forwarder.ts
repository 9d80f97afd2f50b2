// A dumb N-port hub on the packet I/O addon, for the namespace test and the benchmark: every frame received on
// one port is sent on every other port. Runs the way the real data plane does: a worker thread owns the ports
// (PortSet + LinkMonitor) and loops receive → fill TX lists → transmit; the main thread talks to the test over
// stdin/stdout (JSON lines) and interrupts the worker's blocking receive() with wake(fd) from its own copy of the
// addon (context-aware module: one instance per thread).
//
//   ip netns exec <ns> node --import tsx forwarder.ts '<json config>'
//   stdin:  "stats" | "quit"          stdout: {"type":"ready"|"stats"|"link"|"stopped"|"error", ...}

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createInterface } from 'node:readline';
import { loadPacketAddon, type OffloadSettings, type Offloads, type XdpMode } from '../../../src/io/packet-addon.js';
import { PortSet, type IoSelection } from '../../../src/io/ports.js';
import { LinkMonitor } from '../../../src/io/link-monitor.js';
import { loadCore } from '../../../src/dataplane/core.js';
import { DESC_FRAME, DESC_LENGTH, DESC_PORT, MAX_PORTS } from '../../../src/contract/constants.js';

export interface ForwarderConfig {
  ports: string[];
  maxBatch?: number;
  qdiscBypass?: boolean;
  /** Receive through a TPACKET_V2 RX ring instead of recvmmsg (openPort rxRing). */
  rxRing?: boolean;
  /** Offloads the PortSet applies (and restores); default: the PortSet default. */
  offloads?: OffloadSettings;
  /** Hex bytes: count received frames containing them, per ingress port (per-frame JS work: test only). */
  marker?: string;
  /** Subscribe to rtnetlink link notifications (else polling only). */
  netlink?: boolean;
  /** Pin the worker thread to this CPU. */
  cpu?: number;
  /** Receive only (benchmark: isolates the receive cost). */
  noTransmit?: boolean;
  /** Packet I/O method of every port (default af_packet; "auto" as the daemon's --io) and its XDP mode. */
  io?: IoSelection;
  xdpMode?: XdpMode;
}

const out = (msg: unknown) => process.stdout.write(JSON.stringify(msg) + '\n');

if (isMainThread) {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ForwarderConfig;
  const addon = loadPacketAddon();
  const offloadsOf = () => {
    const o: Record<string, Offloads | null> = {};
    for (const p of cfg.ports) o[p] = addon.linkState(p) ? addon.getOffloads(p) : null;
    return o;
  };
  out({ type: 'offloadsBefore', offloads: offloadsOf() });
  const ctl = new SharedArrayBuffer(8);
  const flags = new Int32Array(ctl); // [0] stop, [1] stats requested
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { cfg, ctl } });
  let wakeFd = -1;
  worker.on('message', (m: { type: string; wakeFd?: number }) => {
    if (m.type === 'ready') wakeFd = m.wakeFd!;
    out(m);
  });
  worker.on('error', (e) => out({ type: 'error', message: e.stack ?? String(e) }));
  worker.on('exit', (code) => {
    out({ type: 'offloadsAfter', offloads: offloadsOf() });
    out({ type: 'exit', code });
    process.exit(code);
  });
  const poke = (i: number) => {
    Atomics.store(flags, i, 1);
    if (wakeFd >= 0) addon.wake(wakeFd); // cut the worker's blocking receive() short
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'stats') poke(1);
    else if (line.trim() === 'quit') poke(0);
  });
  process.stdin.on('end', () => poke(0));
} else {
  const { cfg, ctl } = workerData as { cfg: ForwarderConfig; ctl: SharedArrayBuffer };
  const post = (m: unknown) => parentPort!.postMessage(m);
  const flags = new Int32Array(ctl);
  const addon = loadPacketAddon();
  if (cfg.cpu !== undefined) addon.pinThread(cfg.cpu);
  // The product's memory and layout (the core is loaded for its regions only; this hub writes the TX lists itself).
  const { memory, layout } = loadCore({ maxBatch: cfg.maxBatch ?? 64, fdbCapacity: 16, mdbCapacity: 16 });
  addon.attach(memory.buffer, layout);

  const ports = new PortSet(
    cfg.ports.map((name, index) => ({ name, index })),
    { addon, io: cfg.io, socket: { qdiscBypass: cfg.qdiscBypass ?? false, xdpMode: cfg.xdpMode, rxRing: cfg.rxRing ?? false }, offloads: cfg.offloads, warn: (m) => post({ type: 'warn', message: m }) },
  );
  ports.openAll();
  const monitor = new LinkMonitor(ports, { intervalMs: 0, netlink: cfg.netlink ?? false });
  monitor.on('change', (c) => post({ type: 'link', kind: c.kind, name: c.name, index: c.index }));
  monitor.on('reopened', (p) => post({ type: 'link', kind: 'reopened', name: p.name, index: p.index, ifindex: p.ifindex }));
  monitor.on('reopenFailed', (e) => post({ type: 'link', kind: 'reopenFailed', name: e.ifname, message: e.message }));
  monitor.start();

  const n = cfg.ports.length;
  const u16 = new Uint16Array(memory.buffer);
  const u32 = new Uint32Array(memory.buffer);
  const bytes = Buffer.from(memory.buffer);
  const marker = cfg.marker ? Buffer.from(cfg.marker, 'hex') : null;
  const markerByPort = new Array<number>(n).fill(0);
  const counts = new Uint32Array(MAX_PORTS);
  let frames = 0;
  let batches = 0;
  const stats = () => ({
    frames,
    batches,
    markerByPort: [...markerByPort],
    ports: cfg.ports.map((_, i) => addon.portStats(i)),
    cpu: process.cpuUsage(),
    t: performance.now(),
  });
  const offloadsNow: Record<string, Offloads> = {};
  for (const p of cfg.ports) offloadsNow[p] = addon.getOffloads(p);
  post({ type: 'ready', wakeFd: addon.wakeFd(), ports: ports.ports, offloads: offloadsNow });

  let lastCheck = performance.now();
  while (Atomics.load(flags, 0) === 0) {
    const got = addon.receive(layout.maxBatch, 100);
    if (got > 0) {
      counts.fill(0, 0, n);
      for (let i = 0; i < got; i++) {
        const d = layout.desc + i * layout.descStride;
        const inPort = u16[(d + DESC_PORT) >> 1]!;
        for (let q = 0; q < n; q++) {
          if (q === inPort) continue;
          u16[((layout.txLists + q * layout.txListStride) >> 1) + counts[q]!] = i;
          counts[q]!++;
        }
        if (marker) {
          const off = u32[(d + DESC_FRAME) >> 2]!;
          const len = u32[(d + DESC_LENGTH) >> 2]!;
          if (bytes.subarray(off, off + len).indexOf(marker) >= 0) markerByPort[inPort]!++;
        }
      }
      for (let q = 0; q < n; q++) u32[(layout.txCounts >> 2) + q] = counts[q]!;
      if (!cfg.noTransmit) addon.transmit();
      frames += got;
      batches++;
    }
    monitor.service();
    const now = performance.now();
    if (now - lastCheck >= 200) {
      lastCheck = now;
      monitor.check();
    }
    if (Atomics.load(flags, 1) !== 0) {
      Atomics.store(flags, 1, 0);
      post({ type: 'stats', ...stats() });
    }
  }
  monitor.stop();
  const final = stats();
  ports.closeAll();
  post({ type: 'stopped', ...final });
}
