// The AF_PACKET addon and its TypeScript wrapper (src/io/) against real kernels: a switch namespace with two veth
// ports to two host namespaces; a dumb hub (test/netns/packet-io/forwarder.ts: worker thread, PortSet,
// LinkMonitor, receive → TX lists → transmit) bridges them with a plain WebAssembly.Memory and a hand-made layout.
//
//   npx vitest run --project netns test/netns/packet-io.test.ts        (root; builds nothing: npm run build:native)
//
// No timing asserts: throughput is printed, not checked.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPacketAddon, packetAddonPath } from '../../src/io/packet-addon.js';
import { PortError, PortSet } from '../../src/io/ports.js';
import { createTopo, ip, nsExec, type Topo } from './packet-io/topo.js';
import { agent, Forwarder, JsonChild, tcpTransfer, type Msg, type Stats } from './packet-io/client.js';
import { toHex } from '../../src/testkit/frames.js';
import { rawFramesHex, type RawKind } from './packet-io/frames.js';

const RAW = fileURLToPath(new URL('./packet-io/rawframe.py', import.meta.url));

function skipReason(): string | null {
  if (process.platform !== 'linux') return 'Linux only';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, AF_PACKET)';
  if (!existsSync(packetAddonPath())) return `addon not built (${packetAddonPath()}): npm run build:native`;
  try {
    execFileSync('python3', ['-c', 'import socket; socket.AF_PACKET'], { stdio: 'ignore' });
  } catch {
    return 'python3 with AF_PACKET support needed for the raw-frame checks';
  }
  try {
    execFileSync('ping', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'ping (iputils) needed';
  }
  return null;
}
const skip = skipReason();
if (skip) console.warn(`[netns] packet-io: skipped: ${skip}`);

/** An ASCII marker as the hex the agent takes. */
const markerHex = (s: string) => toHex(new TextEncoder().encode(s));

function ping(ns: string, dst: string, count = 3): boolean {
  try {
    nsExec(ns, ['ping', '-c', String(count), '-i', '0.2', '-W', '2', dst], 20_000);
    return true;
  } catch {
    return false;
  }
}

interface Captured {
  len: number;
  ethertype: number;
  vnet: { flags: number; gsoType: number; hdrLen: number; gsoSize: number; csumStart: number; csumOffset: number };
  payloadMarkers: number;
  tag: { tci: number; tpid: number } | null;
  innerTci?: number;
}

/** Start a capture on a host interface, run `send`, return the frames that carried the marker. */
async function captureWhile(ns: string, ifname: string, marker: string, max: number, send: () => Promise<void>): Promise<Captured[]> {
  // The capture ends 1 s after the last marked frame (or at `max` of them); 30 s is only the bound when none comes.
  // Timeouts are generous because Python starts slowly on a loaded machine.
  const cap = new JsonChild('ip', ['netns', 'exec', ns, 'python3', RAW, 'capture', ifname, marker, '30', String(max)]);
  try {
    await cap.wait((m) => m.type === 'ready', 45_000);
    await send();
    const done = await cap.wait((m) => m.type === 'captured', 45_000);
    return done.frames as Captured[];
  } finally {
    cap.kill();
  }
}

async function rawSend(ns: string, ifname: string, kind: RawKind, count: number, marker: string): Promise<void> {
  const s = new JsonChild('ip', ['netns', 'exec', ns, 'python3', RAW, 'send', ifname, ...rawFramesHex(kind, count, marker)]);
  try {
    await s.wait((m) => m.type === 'sent', 45_000);
  } finally {
    s.kill();
  }
}

/**
 * The addon's packet I/O configurations, each running every check: AF_PACKET with both receive methods (openPort
 * rxRing), and AF_XDP (which keeps its AF_PACKET socket, with the default ring, for what the XDP program passes to the
 * stack: TCP with its offloads, frames longer than a UMEM chunk).
 */
const IO_CONFIGS = [
  { io: 'af_packet', method: 'recvmmsg', rxRing: false },
  { io: 'af_packet', method: 'TPACKET_V2 ring', rxRing: true },
  { io: 'af_xdp', method: 'TPACKET_V2 ring', rxRing: true },
] as const;

describe.skipIf(skip !== null).each(IO_CONFIGS)('packet I/O addon ($io, veth, $method)', ({ io, rxRing }) => {
  let t: Topo;
  let fw: Forwarder;
  let before: Stats;

  beforeAll(async () => {
    t = createTopo();
    fw = new Forwarder(t.sw, { ports: [t.s1, t.s2], marker: markerHex('IGS-SELF-CHECK'), netlink: true, io, rxRing });
    await fw.ready();
    before = await fw.stats();
  });

  afterAll(async () => {
    try {
      if (fw) await fw.quit();
    } finally {
      t?.destroy();
    }
  });

  it('loads in the test process and names a missing interface in its errors', () => {
    const addon = loadPacketAddon();
    expect(addon.linkState('isnosuch0')).toBeNull();
    expect(() => addon.openPort('isnosuch0', 0)).toThrowError(expect.objectContaining({ code: 'ENODEV', message: expect.stringContaining('isnosuch0') }));
    const set = new PortSet([{ name: 'isnosuch0', index: 0 }], { addon });
    expect(() => set.openAll()).toThrowError(PortError);
    expect(() => set.openAll()).toThrowError(/isnosuch0.*no such network interface/);
  });

  it('bridges ping between the host namespaces', () => {
    expect(ping(t.h1, t.ip2)).toBe(true);
    expect(ping(t.h2, t.ip1)).toBe(true);
  });

  it('does not receive its own transmitted frames', async () => {
    const count = 200;
    // To the subnet broadcast: h2 takes it without answering (a unicast to a closed port draws ICMP errors that
    // quote the marker, and those legitimately enter on port 1).
    const send = agent(t.h1, 'udp-send', '10.77.0.255', '9', String(count), markerHex('IGS-SELF-CHECK'));
    await send.wait((m) => m.type === 'sent');
    send.kill();
    await new Promise((r) => setTimeout(r, 300));
    const s = await fw.stats();
    // Every marked datagram entered on port 0 once; none came back in on port 1, where the hub sent them.
    expect(s.markerByPort[0]! - before.markerByPort[0]!).toBe(count);
    expect(s.markerByPort[1]! - before.markerByPort[1]!).toBe(0);
  });

  it('carries a multi-MB TCP transfer intact with offloads on in the hosts (GSO frames pass as GSO)', async () => {
    const hostOffloads = JSON.parse(nsExec(t.h1, [process.execPath, '-e',
      `const a=require(${JSON.stringify(packetAddonPath())});console.log(JSON.stringify(a.getOffloads(${JSON.stringify(t.e1)})))`]));
    // (AF_XDP on veth runs generic XDP under "auto": native XDP would take TSO from the peer, docs/packet-io.md.)
    expect(hostOffloads).toMatchObject({ tso: true, gso: true, txcsum: true });
    const s0 = await fw.stats();
    const bytes = 8 << 20; // ~150 super-frames: enough to see GSO pass as GSO and to check the digest
    const marker = markerHex('IGS-TCP-GSO');
    let r!: Awaited<ReturnType<typeof tcpTransfer>>;
    const seen = await captureWhile(t.h2, t.e2, marker, 8, async () => {
      r = await tcpTransfer(t.h1, t.h2, t.ip2, bytes, 5001, marker);
    });
    expect(r.received).toMatchObject({ type: 'received', bytes });
    expect(r.sent).toMatchObject({ type: 'sent', bytes, sha256: r.received.sha256 });
    const s1 = await fw.stats();
    const p0 = s1.ports[0]!;
    const gso = p0.rxGso - s0.ports[0]!.rxGso;
    const frames = p0.rxFrames - s0.ports[0]!.rxFrames;
    console.log(
      `[packet-io] TCP ${bytes >> 20} MiB h1→h2: ${((bytes / 1e6) / (r.ms / 1000)).toFixed(0)} MB/s (incl. process start and SHA-256 at both ends); ` +
        `${frames} frames in on port 0, ${gso} GSO, avg ${(p0.rxBytes - s0.ports[0]!.rxBytes) / frames | 0} B/frame`,
    );
    expect(gso).toBeGreaterThan(0);
    // A forwarded super-frame leaves with only its headers in the skb's linear part (vnet hdr_len, which h2's
    // capture reports back as the length it received linear): a whole-frame linear skb makes the receiving TCP
    // copy it (generic XDP linearises what it sees: native/src/packet.c, trim_gso_hdr_len).
    const superFrames = seen.filter((f) => f.vnet.gsoType !== 0);
    expect(superFrames.length).toBeGreaterThan(0);
    for (const f of superFrames) expect(f.vnet.hdrLen).toBeLessThanOrEqual(f.vnet.csumStart + 60);
    for (const p of s1.ports) {
      expect(p).toMatchObject({ rxTruncated: 0, rxErrors: 0, txErrors: 0, txInvalid: 0 });
    }
  });

  it('passes 802.1Q and 802.1ad tags through, re-inserting the tag the kernel stripped', async () => {
    const s0 = await fw.stats();
    const m1 = markerHex('IGS-VLAN-1Q');
    const q = await captureWhile(t.h2, t.e2, m1, 10, () => rawSend(t.h1, t.e1, 'vlan', 10, m1));
    expect(q).toHaveLength(10);
    for (const f of q) expect(f.tag).toEqual({ tci: (5 << 13) | 100, tpid: 0x8100 });

    const m2 = markerHex('IGS-VLAN-AD');
    const ad = await captureWhile(t.h2, t.e2, m2, 10, () => rawSend(t.h1, t.e1, 'qinq', 10, m2));
    expect(ad).toHaveLength(10);
    for (const f of ad) {
      expect(f.tag).toEqual({ tci: 200, tpid: 0x88a8 });
      expect(f.ethertype).toBe(0x8100);
      expect(f.innerTci).toBe(300);
    }
    const s1 = await fw.stats();
    // AF_PACKET gets the tag in auxdata and puts it back; an XSK gets the frame as it was on the wire.
    if (io === 'af_packet') expect(s1.ports[0]!.rxVlanRestored - s0.ports[0]!.rxVlanRestored).toBeGreaterThanOrEqual(20);
    else expect(s1.ports[0]!.xskRxFrames - s0.ports[0]!.xskRxFrames).toBeGreaterThanOrEqual(20);
  });

  it('keeps csum_start on the L4 header when it re-inserts a tag into a CHECKSUM_PARTIAL frame', async () => {
    const m = markerHex('IGS-VLAN-CSUM');
    const frames = await captureWhile(t.h2, t.e2, m, 5, () => rawSend(t.h1, t.e1, 'vlan-csum', 5, m));
    expect(frames).toHaveLength(5);
    for (const f of frames) {
      expect(f.tag?.tci).toBe((5 << 13) | 100);
      // The capture sees the frame untagged (tag in auxdata): Ethernet 14 + IPv4 20 = 34; TCP check at +16.
      expect(f.vnet).toMatchObject({ flags: 1, csumStart: 34, csumOffset: 16 });
    }
  });

  it('notices a port going down and up, and keeps the other port working meanwhile', async () => {
    const since = fw.messages.length;
    ip('-n', t.sw, 'link', 'set', t.s2, 'down');
    await fw.wait((m) => m.type === 'link' && m.kind === 'down' && m.name === t.s2, 5_000, since);
    expect(ping(t.h1, t.ip2, 1)).toBe(false);
    ip('-n', t.sw, 'link', 'set', t.s2, 'up');
    await fw.wait((m) => m.type === 'link' && m.kind === 'up' && m.name === t.s2, 10_000, since);
    expect(ping(t.h1, t.ip2)).toBe(true);
    const s = await fw.stats();
    expect(s.ports[0]).toMatchObject({ open: true, rxErrors: 0 });
  });

  it('closes a port whose interface disappears and reopens it when it comes back', async () => {
    const since = fw.messages.length;
    ip('-n', t.sw, 'link', 'del', t.s2);
    const gone = await fw.wait((m) => m.type === 'link' && m.kind === 'gone' && m.name === t.s2, 5_000, since);
    expect(gone).toBeTruthy();
    t.addPort2();
    ip('-n', t.h1, 'neigh', 'flush', 'all'); // h2's new interface has a new MAC
    await fw.wait((m) => m.type === 'link' && m.kind === 'reopened' && m.name === t.s2, 10_000, since);
    expect(ping(t.h1, t.ip2)).toBe(true);
    // 'up' follows the reopen from the port's own link watch; on a loaded machine it can come after the ping.
    await fw.wait((m) => m.type === 'link' && m.kind === 'up' && m.name === t.s2, 10_000, since);
    const kinds = fw.messages.slice(since).filter((m: Msg) => m.type === 'link' && m.name === t.s2).map((m) => m.kind);
    expect(kinds).toEqual(expect.arrayContaining(['gone', 'back', 'reopened', 'up']));
  });
});

describe.skipIf(skip !== null).each(IO_CONFIGS.filter((c) => c.io === 'af_packet'))('packet I/O addon (TAP port: GSO super-frame with a VLAN tag, $method)', ({ rxRing }) => {
  let t: Topo;
  let tap: JsonChild;
  let fw: Forwarder;
  let tapName: string;
  let offloadsBefore: Record<string, { gro: boolean }>;

  beforeAll(async () => {
    t = createTopo();
    tapName = `${t.id}t0`;
    tap = new JsonChild('ip', ['netns', 'exec', t.sw, 'python3', RAW, 'tap', tapName]);
    await tap.wait((m) => m.type === 'ready', 45_000);
    // GRO on for the run (veth default: off): the PortSet must change it, and restore it on close.
    fw = new Forwarder(t.sw, { ports: [t.s1, t.s2, tapName], offloads: { lro: false, gro: true }, rxRing });
    offloadsBefore = (await fw.wait((m) => m.type === 'offloadsBefore')).offloads as typeof offloadsBefore;
    await fw.ready();
  });

  afterAll(async () => {
    try {
      if (fw) await fw.quit();
      tap?.send('quit');
      tap?.kill();
    } finally {
      t?.destroy();
    }
  });

  it('forwards a tagged GSO frame from a TAP as GSO, tag restored and offsets kept', async () => {
    const m = markerHex('IGS-GSO-TAG');
    const frames = await captureWhile(t.h2, t.e2, m, 40, async () => {
      tap.send(`send ${rawFramesHex('vlan-gso', 2, m).join(' ')}`);
      await tap.wait((x) => x.type === 'sent');
    });
    // 2 super-frames of 3000 B TCP payload: delivered whole (veth takes TSO) or as 1000 B segments; either way
    // all 6000 payload bytes arrive, each frame tagged, checksum start on the TCP header.
    const payload = frames.reduce((n, f) => n + (f.len - 14 - 20 - 20), 0);
    expect(payload).toBe(6000);
    for (const f of frames) {
      expect(f.tag).toEqual({ tci: (5 << 13) | 100, tpid: 0x8100 });
      expect(f.vnet).toMatchObject({ flags: 1, csumStart: 34, csumOffset: 16 });
      if (f.vnet.gsoType !== 0) expect(f.vnet).toMatchObject({ gsoType: 1, gsoSize: 1000 });
    }
    const s = await fw.stats();
    expect(s.ports[2]).toMatchObject({ rxGso: 2, rxVlanRestored: 2, rxErrors: 0 });
  });

  it('changes offloads only while running and restores them on close', async () => {
    const ready = fw.messages.find((m) => m.type === 'ready')!;
    const during = ready.offloads as Record<string, { gro: boolean; lro: boolean }>;
    expect(offloadsBefore[t.s1]!.gro).toBe(false);
    expect(during[t.s1]!.gro).toBe(true);
    await fw.quit();
    const after = (await fw.wait((m) => m.type === 'offloadsAfter')).offloads as typeof offloadsBefore;
    expect(after).toEqual(offloadsBefore);
  });
});

/** The XDP program on an interface of the switch namespace, from `ip link` ("prog/xdp id N name igs_xsk …"), or null. */
function xdpProgram(t: Topo, ifname: string): string | null {
  const m = /prog\/xdp(?:generic|drv)?\s+id\s+\d+\s+name\s+(\S+)/.exec(ip('-n', t.sw, '-d', 'link', 'show', ifname));
  return m ? m[1]! : null;
}

async function until(what: string, pred: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip !== null)('packet I/O addon: AF_XDP attachment', () => {
  let t: Topo;

  beforeAll(() => {
    t = createTopo();
  });

  afterAll(() => {
    t?.destroy();
  });

  it('attaches its XDP program while the port is open and leaves none after a clean exit or kill -9', async () => {
    const fw = new Forwarder(t.sw, { ports: [t.s1, t.s2], io: 'af_xdp' });
    try {
      const ready = await fw.ready();
      expect((ready.ports as { io: string }[]).map((p) => p.io)).toEqual(['af_xdp', 'af_xdp']);
      expect(xdpProgram(t, t.s1)).toBe('igs_xsk');
      expect(xdpProgram(t, t.s2)).toBe('igs_xsk');
      expect(ping(t.h1, t.ip2)).toBe(true);
    } finally {
      await fw.quit();
    }
    expect(xdpProgram(t, t.s1)).toBeNull();
    expect(xdpProgram(t, t.s2)).toBeNull();

    // kill -9: nothing runs at exit, the kernel drops the bpf_link with the process's last file descriptor.
    const killed = new Forwarder(t.sw, { ports: [t.s1, t.s2], io: 'af_xdp' });
    await killed.ready();
    expect(xdpProgram(t, t.s1)).toBe('igs_xsk');
    killed.kill();
    await killed.exited();
    await until('XDP programs gone after kill -9', () => xdpProgram(t, t.s1) === null && xdpProgram(t, t.s2) === null);
    // ... and the next start attaches again.
    const again = new Forwarder(t.sw, { ports: [t.s1, t.s2], io: 'af_xdp' });
    try {
      await again.ready();
      expect(ping(t.h1, t.ip2)).toBe(true);
    } finally {
      await again.quit();
    }
  });

  it('never replaces another XDP program: af_xdp fails naming it; auto falls back to AF_PACKET and says why', async () => {
    const owner = new Forwarder(t.sw, { ports: [t.s1, t.s2], io: 'af_xdp' });
    try {
      await owner.ready();
      const strict = new Forwarder(t.sw, { ports: [t.s1], io: 'af_xdp' });
      const failed = await strict.wait((m) => m.type === 'error', 30_000);
      expect(String(failed.message)).toMatch(/another XDP program is attached/);
      await strict.quit();
      expect(xdpProgram(t, t.s1)).toBe('igs_xsk'); // the owner's, untouched

      const auto = new Forwarder(t.sw, { ports: [t.s1], io: 'auto' });
      try {
        const ready = await auto.ready();
        expect((ready.ports as { io: string }[])[0]!.io).toBe('af_packet');
        // On veth, auto stops before the program: local senders there leave checksums to offload (docs/packet-io.md).
        const warn = auto.messages.find((m) => m.type === 'warn');
        expect(String(warn?.message)).toMatch(/AF_XDP not used, falling back to AF_PACKET.*veth device.*incomplete checksums/);
      } finally {
        await auto.quit();
      }
      expect(xdpProgram(t, t.s1)).toBe('igs_xsk');
      expect(ping(t.h1, t.ip2)).toBe(true); // the owner still forwards
    } finally {
      await owner.quit();
    }
  });
});
