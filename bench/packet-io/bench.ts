// Packet I/O benchmark (root): the dumb hub of test/netns/packet-io/forwarder.ts between two veth ports.
//
//   node --import tsx bench/packet-io/bench.ts [flood|tcp|all] [seconds=5] [runs=2]
//
// flood: 60-byte frames from bench/bin/flood (AF_PACKET sendmmsg, pinned to CPU 0) into h1's veth; the forwarder's
//        worker is pinned to CPU 1. Compares recvmmsg batch 32 vs 64 and PACKET_QDISC_BYPASS off/on, plus a
//        receive-only run (cost of receive alone; forward minus that is the transmit side).
//        usPerFrame = forwarder process CPU time per frame, including softirq work done in its context (on veth,
//        the peer's receive path runs inside our sendmmsg).
// tcp:   TCP h1 → h2 through the forwarder (SHA-256 checked): sender TSO/GSO on (super-frames) or off (MTU frames,
//        like a physical NIC's wire), GRO off vs on on the switch ports; the kernel bridge as a reference.
// Prints a table; nothing is asserted. Numbers from a shared 2-vCPU VM are noisy: compare within one run.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTopo, ip, nsExec, type Topo } from '../../test/netns/packet-io/topo.js';
import { Forwarder, tcpTransfer, type Stats } from '../../test/netns/packet-io/client.js';
import { packetAddonPath } from '../../src/io/packet-addon.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const FLOOD = `${root}bench/bin/flood`;
const { positionals } = parseArgs({ options: {}, allowPositionals: true, strict: true });
const [what = 'all', secArg = '5', runsArg = '2'] = positionals;
const seconds = Number(secArg);
const runs = Number(runsArg);

function buildFlood(): void {
  if (existsSync(FLOOD)) return;
  mkdirSync(`${root}bench/bin`, { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-o', FLOOD, `${root}bench/packet-io/flood.c`], { stdio: 'inherit' });
}

const delta = (a: Stats, b: Stats, port: number, key: 'rxFrames' | 'txFrames' | 'kernelDrops' | 'kernelPackets' | 'txDrops') =>
  b.ports[port]![key] - a.ports[port]![key];

async function floodRun(t: Topo, maxBatch: number, qdiscBypass: boolean, noTransmit = false) {
  const fw = new Forwarder(t.sw, { ports: [t.s1, t.s2], maxBatch, qdiscBypass, cpu: 1, noTransmit });
  try {
    await fw.ready();
    const a = await fw.stats();
    const sender = JSON.parse(nsExec(t.h1, [FLOOD, t.e1, String(seconds), '64', '0'], (seconds + 30) * 1000)) as { sent: number; pps: number };
    await new Promise((r) => setTimeout(r, 200)); // let the queue drain
    const b = await fw.stats();
    const dt = (b.t - a.t) / 1000;
    const cpu = (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1e6 / dt;
    const fwd = noTransmit ? b.frames - a.frames : delta(a, b, 1, 'txFrames');
    return {
      mode: noTransmit ? 'rx only' : 'forward',
      load: os.loadavg()[0]!.toFixed(1),
      maxBatch,
      qdiscBypass,
      offeredPps: Math.round(sender.pps),
      forwardedPps: Math.round(fwd / seconds),
      forwardedShare: +(fwd / sender.sent).toFixed(2),
      kernelDrops: delta(a, b, 0, 'kernelDrops'),
      txDrops: delta(a, b, 1, 'txDrops'),
      avgBatch: +((b.frames - a.frames) / Math.max(1, b.batches - a.batches)).toFixed(1),
      cpuPct: Math.round(cpu * 100),
      usPerFrame: +((cpu * dt * 1e6) / Math.max(1, b.frames - a.frames)).toFixed(2),
    };
  } finally {
    await fw.quit();
  }
}

/** Turn TSO/GSO of the sending host's interface on or off (off: the sender emits MTU-sized frames, as a NIC would). */
function hostSegmentation(t: Topo, on: boolean): void {
  const addon = JSON.stringify(packetAddonPath());
  nsExec(t.h1, [process.execPath, '-e', `require(${addon}).setOffloads(${JSON.stringify(t.e1)}, { tso: ${on}, gso: ${on} })`]);
}

async function tcpRun(t: Topo, hostTso: boolean, gro: boolean, bytes: number) {
  hostSegmentation(t, hostTso);
  const fw = new Forwarder(t.sw, { ports: [t.s1, t.s2], offloads: { lro: false, gro }, cpu: 1 });
  try {
    await fw.ready();
    const a = await fw.stats();
    const r = await tcpTransfer(t.h1, t.h2, t.ip2, bytes);
    const b = await fw.stats();
    if (r.sent.sha256 !== r.received.sha256 || r.received.bytes !== bytes) throw new Error(`TCP transfer corrupt: ${JSON.stringify(r)}`);
    const frames = delta(a, b, 0, 'rxFrames');
    return {
      hostTso,
      gro,
      MBps: Math.round(bytes / 1e6 / (r.ms / 1000)),
      framesIn: frames,
      gsoIn: b.ports[0]!.rxGso - a.ports[0]!.rxGso,
      avgFrameB: Math.round((b.ports[0]!.rxBytes - a.ports[0]!.rxBytes) / Math.max(1, frames)),
      drops: delta(a, b, 0, 'kernelDrops') + delta(a, b, 1, 'txDrops'),
    };
  } finally {
    await fw.quit();
  }
}

/** Reference: the same transfer through the kernel's own bridge in the switch namespace. */
async function bridgeRun(t: Topo, hostTso: boolean, bytes: number) {
  hostSegmentation(t, hostTso);
  const br = `${t.id}br`;
  ip('-n', t.sw, 'link', 'add', br, 'type', 'bridge');
  try {
    for (const p of [t.s1, t.s2]) ip('-n', t.sw, 'link', 'set', p, 'master', br);
    ip('-n', t.sw, 'link', 'set', br, 'up');
    const r = await tcpTransfer(t.h1, t.h2, t.ip2, bytes);
    if (r.sent.sha256 !== r.received.sha256) throw new Error('TCP transfer corrupt through the Linux bridge');
    return { hostTso, gro: 'linux bridge', MBps: Math.round(bytes / 1e6 / (r.ms / 1000)) };
  } finally {
    ip('-n', t.sw, 'link', 'del', br);
  }
}

const t = createTopo();
try {
  if (what === 'flood' || what === 'all') {
    buildFlood();
    const rows = [];
    for (let r = 0; r < runs; r++) {
      for (const maxBatch of [32, 64]) for (const bypass of [false, true]) rows.push(await floodRun(t, maxBatch, bypass));
      for (const maxBatch of [32, 64]) rows.push(await floodRun(t, maxBatch, false, true));
    }
    console.table(rows);
  }
  if (what === 'tcp' || what === 'all') {
    const rows = [];
    for (let r = 0; r < runs; r++) {
      for (const hostTso of [true, false]) {
        for (const gro of [false, true]) rows.push(await tcpRun(t, hostTso, gro, 128 << 20));
        rows.push(await bridgeRun(t, hostTso, 128 << 20));
      }
    }
    console.table(rows);
  }
} finally {
  t.destroy();
}
