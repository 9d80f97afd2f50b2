// The addon's receive path against a real kernel, with nobody forwarding (test/netns/packet-io/receiver.ts): frames
// sent by h1 queue in the switch-side socket until the test asks for them. Behaviour only, no timing:
//   * the receive buffer is bounded, so a full socket drops, and every drop is counted (kernelDrops);
//   * a port that returned frames is read again without poll until it runs dry (drain), and busy-polling only
//     happens when it is asked for (on AF_XDP too, where it spins on the XSK ring);
//   * with frames on an XSK ring, the AF_PACKET sockets are polled only every few batches; an XSK whose ring keeps
//     giving frames leaves the epoll set and is back in it before receive() sleeps.
//
//   npx vitest run --project netns test/netns/packet-io-receive.test.ts      (root; npm run build:native first)

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packetAddonPath, type PortStats, type RxStats } from '../../src/io/packet-addon.js';
import { createTopo, nsExec, type Topo } from './packet-io/topo.js';
import { agent, JsonChild, type Msg } from './packet-io/client.js';
import type { ReceiverConfig } from './packet-io/receiver.js';

const RECEIVER = fileURLToPath(new URL('./packet-io/receiver.ts', import.meta.url));

function skipReason(): string | null {
  if (process.platform !== 'linux') return 'Linux only';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, AF_PACKET)';
  if (!existsSync(packetAddonPath())) return `addon not built (${packetAddonPath()}): npm run build:native`;
  return null;
}
const skip = skipReason();
if (skip) console.warn(`[netns] packet-io-receive: skipped: ${skip}`);

class Receiver extends JsonChild {
  constructor(ns: string, cfg: ReceiverConfig) {
    super('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', RECEIVER, JSON.stringify(cfg)]);
  }
  async ready(): Promise<{ rcvbuf: number; rxRingFrames: number }> {
    return (await this.wait((m) => m.type === 'ready', 30_000)) as Msg & { rcvbuf: number; rxRingFrames: number };
  }
  async drain(): Promise<{ frames: number; port: PortStats; rx: RxStats }> {
    const since = this.messages.length;
    this.send('drain');
    return (await this.wait((m) => m.type === 'drained', 30_000, since)) as Msg & { frames: number; port: PortStats; rx: RxStats };
  }
  async once(timeoutMs: number): Promise<{ n: number; ms: number; rx: RxStats; port: PortStats }> {
    const since = this.messages.length;
    this.send(`once ${timeoutMs}`);
    return (await this.wait((m) => m.type === 'received', 30_000, since)) as Msg & { n: number; ms: number; rx: RxStats; port: PortStats };
  }
}

/** h1 sends `count` UDP broadcasts (no replies, nothing forwarded: they all queue in the switch-side socket). */
async function burst(t: Topo, count: number): Promise<void> {
  const send = agent(t.h1, 'udp-send', '10.77.0.255', '9', String(count), Buffer.from('IGS-RX-TEST').toString('hex'));
  try {
    await send.wait((m) => m.type === 'sent', 60_000);
  } finally {
    send.kill();
  }
}

describe.skipIf(skip !== null)('packet I/O addon: receive path (AF_PACKET and AF_XDP, veth)', () => {
  let t: Topo;
  let rx: Receiver | undefined;

  beforeAll(() => {
    t = createTopo();
    // Only the test's frames reach the port: h1's IPv6 would send MLD reports and router solicitations of its own
    // for seconds after its link came up, and a call that expects silence would read one (seen once in CI).
    nsExec(t.h1, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  });
  afterEach(() => {
    rx?.kill();
    rx = undefined;
  });
  afterAll(() => t?.destroy());

  it.each([
    { method: 'recvmmsg', rxRing: false },
    { method: 'TPACKET_V2 ring', rxRing: true },
  ])('bounds the receive queue ($method): a full socket or ring is a counted drop (kernelDrops), not a long queue', async ({ rxRing }) => {
    rx = new Receiver(t.sw, { port: t.s1, maxBatch: 64, socket: { rxRing } });
    const ready = await rx.ready();
    if (rxRing) {
      // Small frames queue in the ring only: 4 batches of them.
      expect(ready.rxRingFrames).toBe(4 * 64);
    } else {
      // The default is sized from the batch (docs/packet-io.md), far below the 16 MiB it used to be.
      expect(ready.rxRingFrames).toBe(0);
      expect(ready.rcvbuf).toBeGreaterThan(0);
      expect(ready.rcvbuf).toBeLessThanOrEqual(2 << 20);
    }
    const sent = 4000;
    await burst(t, sent);
    const d = await rx.drain();
    // Every frame the socket saw was either delivered or counted as dropped (the host may add a few frames of its
    // own, such as IPv6 neighbour discovery, hence "saw" rather than "sent").
    expect(d.port.kernelDrops).toBeGreaterThan(0);
    expect(d.frames + d.port.kernelDrops).toBe(d.port.kernelPackets);
    expect(d.port.kernelPackets).toBeGreaterThanOrEqual(sent);
    expect(d.frames).toBeLessThan(sent);
  });

  it('keeps every frame when the socket is given room for them (openPort rcvbuf)', async () => {
    rx = new Receiver(t.sw, { port: t.s1, maxBatch: 64, socket: { rcvbuf: 8 << 20 } });
    await rx.ready();
    await burst(t, 2000);
    const d = await rx.drain();
    expect(d.port.kernelDrops).toBe(0);
    expect(d.frames).toBeGreaterThanOrEqual(2000);
  });

  it.each([
    { method: 'recvmmsg', rxRing: false },
    { method: 'TPACKET_V2 ring', rxRing: true },
  ])('reads a busy port again without poll until it runs dry; polls again after that ($method)', async ({ rxRing }) => {
    rx = new Receiver(t.sw, { port: t.s1, maxBatch: 64, socket: { rcvbuf: 8 << 20, rxRing } });
    await rx.ready();
    await burst(t, 200); // 200 frames queued (the ring holds 256): 4 batches of 64
    const first = await rx.once(1000);
    expect(first.n).toBe(64);
    let last = first;
    let total = first.n;
    while (last.n > 0) {
      last = await rx.once(0);
      total += last.n;
    }
    expect(total).toBeGreaterThanOrEqual(200);
    // After the first (polled) batch, every call read the hot port straight away.
    const batches = Math.ceil(total / 64);
    expect(last.rx.drains - first.rx.drains).toBeGreaterThanOrEqual(batches - 1);
    expect(last.rx.blockingPolls).toBe(first.rx.blockingPolls);
    // Quiet now: the next call with a timeout blocks in poll (no busy-poll unless asked for).
    const idle = await rx.once(20);
    expect(idle.n).toBe(0);
    expect(idle.rx.blockingPolls).toBe(last.rx.blockingPolls + 1);
    expect(idle.rx.spins).toBe(0);
  });

  it('AF_XDP: batches with frames on the XSK ring poll the AF_PACKET sockets only every few batches, full or not', async () => {
    rx = new Receiver(t.sw, { port: t.s1, maxBatch: 64, socket: { rcvbuf: 8 << 20, io: 'af_xdp' } });
    await rx.ready();
    const rounds = 4;
    let first: { n: number; rx: RxStats; port: PortStats } | undefined;
    let last = first;
    for (let r = 0; r < rounds; r++) {
      await burst(t, 10); // fewer frames than the batch: the switch keeps up
      last = await rx.once(0);
      first ??= last;
      expect(last.n).toBeGreaterThan(0);
    }
    expect(last!.port.xskRxFrames).toBeGreaterThanOrEqual(rounds * 10);
    // One poll() in four such batches, not one each.
    expect(last!.rx.polls - first!.rx.polls).toBeLessThan(rounds - 1);
  });

  it('AF_XDP: a port whose ring keeps giving frames leaves the epoll set, and is back before receive() sleeps', async () => {
    rx = new Receiver(t.sw, { port: t.s1, maxBatch: 64, socket: { rcvbuf: 8 << 20, io: 'af_xdp' } });
    await rx.ready();
    const start = await rx.once(0); // tops the fill ring up from its small share at open
    await burst(t, 200); // more than three batches
    let got = await rx.once(1000);
    while (got.n > 0) got = await rx.once(0);
    expect(got.port.xskRxFrames - start.port.xskRxFrames).toBeGreaterThan(128);
    expect(got.rx.xskParks).toBeGreaterThan(start.rx.xskParks); // two calls in a row with frames: parked
    // Drained: the next receive() sleeps, and a lone frame must still wake it (the XSK went back into the set).
    const waiting = rx.once(10_000);
    await new Promise((r) => setTimeout(r, 200));
    await burst(t, 1);
    const woke = await waiting;
    expect(woke.n).toBe(1);
    expect(woke.ms).toBeLessThan(5_000);
    expect(woke.port.xskRxFrames).toBe(got.port.xskRxFrames + 1);
    expect(woke.rx.blockingPolls).toBeGreaterThan(got.rx.blockingPolls);
  });

  /** A receiver with busy-polling capped at `busyPollUs` that took a burst of 10 frames and read them all: the port
   * has gone cold and the busy-poll budget has just started. Returns it and its last (empty) receive. */
  async function drainedAfterBurst(io: 'af_packet' | 'af_xdp', busyPollUs: number): Promise<{ r: Receiver; got: Awaited<ReturnType<Receiver['once']>> }> {
    const r = new Receiver(t.sw, { port: t.s1, maxBatch: 64, busyPollUs, socket: { rcvbuf: 8 << 20, io } });
    rx = r; // closed after the test
    await r.ready();
    await burst(t, 10);
    let got = await r.once(1000);
    while (got.n > 0) got = await r.once(0); // drained; the port went cold
    return { r, got };
  }

  // AF_XDP: frames read from the XSK ring start the budget too, and the spin reads the ring without a syscall.
  it.each([
    { method: 'AF_PACKET', io: 'af_packet' as const },
    { method: 'AF_XDP', io: 'af_xdp' as const },
  ])('busy-polls after traffic when asked (receiveTuning busyPollUs), then blocks ($method)', async ({ io }) => {
    const { r, got } = await drainedAfterBurst(io, 2000);
    if (io === 'af_xdp') expect(got.port.xskRxFrames).toBeGreaterThan(0); // the frames came through the XSK
    const before = got.rx;
    const idle = await r.once(20); // recent traffic: spins for up to 2 ms, then sleeps in poll
    expect(idle.n).toBe(0);
    expect(idle.rx.spins).toBeGreaterThan(before.spins);
    const later = await r.once(20); // the budget ran out without traffic: straight to the blocking poll
    expect(later.rx.spins).toBe(idle.rx.spins);
    expect(later.rx.blockingPolls).toBe(idle.rx.blockingPolls + 1);
  });

  // The worker holding punted frames in a storm waits at most 1 ms for more (src/dataplane/punt-batch.ts): a
  // receive() with a timeout spins no longer than that, whatever the busy-poll budget (here 400 ms after the burst).
  it.each([
    { method: 'AF_PACKET', io: 'af_packet' as const },
    { method: 'AF_XDP', io: 'af_xdp' as const },
  ])('a receive() with a timeout spins no longer than the timeout ($method)', async ({ io }) => {
    const { r, got } = await drainedAfterBurst(io, 400_000);
    const idle = await r.once(1);
    expect(idle.n).toBe(0);
    expect(idle.rx.spins).toBeGreaterThan(got.rx.spins); // it did spin…
    expect(idle.ms).toBeLessThan(50);                      // …but not for the budget (≥ 100 ms: a quarter of the cap)
  });
});
