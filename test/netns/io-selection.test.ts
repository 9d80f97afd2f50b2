// The daemon's packet I/O selection (dataplane.io, docs/packet-io.md "AF_XDP") against real kernels: what `auto`
// picks on veth and says about it, `af_xdp` with its XDP program, and no program left behind after kill -9.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createLab, daemonStatus, ping, type Lab } from '../../src/lab/index.js';
import { labSkipReason } from './harness.js';

const skip = labSkipReason ?? daemonStatus().reason;

/** The XDP program name on an interface of the switch namespace, or null. */
function xdpProgram(lab: Lab, ifname: string): string | null {
  const out = execFileSync('ip', ['-n', lab.switchNs!, '-d', 'link', 'show', ifname], { encoding: 'utf8' });
  return /prog\/xdp(?:generic|drv)?\s+id\s+\d+\s+name\s+(\S+)/.exec(out)?.[1] ?? null;
}

const portIo = (lab: Lab) => lab.switch!.logs().filter((l) => l['event'] === 'port-io').map((l) => [l['port'], l['io']]);

describe.skipIf(skip !== null)('igmpswitch packet I/O selection', () => {
  it('auto keeps veth ports on AF_PACKET and logs why for each port', async () => {
    const lab = await createLab({ hosts: [{ name: 'a' }, { name: 'b' }], igmpswitch: { config: { dataplane: { io: 'auto' } } } });
    try {
      expect(portIo(lab)).toEqual(lab.ports.map((p) => [p, 'af_packet']));
      const warnings = lab.switch!.logs().filter((l) => l['level'] === 'warn').map((l) => String(l['msg']));
      for (const p of lab.ports) {
        expect(warnings).toContainEqual(expect.stringMatching(new RegExp(`port ${p}: AF_XDP not used, falling back to AF_PACKET: .*veth device.*incomplete checksums`)));
        expect(xdpProgram(lab, p)).toBeNull();
      }
      expect((await ping(lab.host('a'), lab.host('b').addr, { count: 2, intervalS: 0.1 })).received).toBe(2);
    } finally {
      await lab.destroy();
    }
  });

  it('af_xdp: every port on AF_XDP with the XDP program attached; none left after kill -9', async () => {
    const lab = await createLab({ hosts: [{ name: 'a' }, { name: 'b' }], igmpswitch: { config: { dataplane: { io: 'af_xdp' } } } });
    try {
      expect(portIo(lab)).toEqual(lab.ports.map((p) => [p, 'af_xdp']));
      for (const p of lab.ports) expect(xdpProgram(lab, p)).toBe('igs_xsk');
      expect((await ping(lab.host('a'), lab.host('b').addr, { count: 3, intervalS: 0.1 })).received).toBe(3);
      process.kill(lab.switch!.pid, 'SIGKILL');
      const end = Date.now() + 10_000;
      while (lab.ports.some((p) => xdpProgram(lab, p) !== null) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      for (const p of lab.ports) expect(xdpProgram(lab, p)).toBeNull();
    } finally {
      await lab.destroy();
    }
  });

  // The ports share one UMEM pool; each port's fill ring gets a share of it. Filling each ring as its port opened
  // (share = pool / 2 / ports open so far) gave the first ports most of the pool and left the last ones none: their
  // frames were dropped by the kernel (xskFillEmpty) until the first ports received enough to give buffers back.
  // That was the "unexplained" IPv6 neighbour discovery failure on af_xdp (the soliciting host sat on port 6 of 6).
  it('af_xdp with 8 ports: every port receives from the first frame on (the UMEM pool is shared fairly)', async () => {
    const names = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8'];
    const lab = await createLab({ hosts: names.map((name) => ({ name })), igmpswitch: { config: { dataplane: { io: 'af_xdp' } } } });
    try {
      expect(portIo(lab)).toEqual(lab.ports.map((p) => [p, 'af_xdp']));
      const first = lab.host('h1');
      for (const n of names.slice(1).reverse()) {
        expect((await ping(lab.host(n), first.addr, { count: 2, intervalS: 0.1 })).received, `ping ${n} → h1`).toBe(2);
      }
      const stats = (await lab.switch!.request('stats')) as { ports: { name: string; counters: Record<string, unknown> }[] };
      for (const p of stats.ports) expect(p.counters['io_xskFillEmpty'], `${p.name}: frames lost for want of a fill buffer`).toBeUndefined();
    } finally {
      await lab.destroy();
    }
  });
});
