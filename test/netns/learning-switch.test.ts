// A switch between real Linux hosts (network namespaces joined by veth pairs): ping, a TCP transfer with its
// bytes checked, unicast learning, and UDP multicast delivery. The same cases run against the Linux bridge
// (which proves the harness) and against igmpswitch (skipped with the reason until the daemon is built).

import { describe, expect, it } from 'vitest';
import { ping, startReceiver, sendMulticast, tcpTransfer } from '../../src/lab/index.js';
import { hasCommand, learningSwitchOptions, switchesUnderTest, useLab } from './harness.js';

const pingAvailable = await hasCommand('ping');

describe.each(switchesUnderTest())('learning switch: $title', ({ kind, skip }) => {
  describe.skipIf(skip !== null)('h1 h2 h3 on one switch', () => {
    const lab = useLab(() => ({
      hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }],
      switch: kind,
      ...learningSwitchOptions(kind),
    }));

    it.skipIf(!pingAvailable)('ping between every pair of hosts', async () => {
      const [h1, h2, h3] = lab().hosts;
      for (const [a, b] of [[h1!, h2!], [h2!, h3!], [h3!, h1!]] as const) {
        const r = await ping(a, b.addr, { count: 5, intervalS: 0.05 });
        expect(r.received, `${a.name} → ${b.name}: ${r.received}/${r.sent} replies`).toBe(5);
        expect(r.max).toBeLessThan(100);
      }
    });

    it('TCP: 8 MB arrive intact, and the third host is not flooded with them (unicast learned)', async () => {
      const h1 = lab().host('h1');
      const h2 = lab().host('h2');
      const h3 = lab().host('h3');
      // Let the switch learn both MACs before the transfer (ARP happens at connect time otherwise).
      await tcpTransfer(h1, h2, { bytes: 64 * 1024 });
      const before = await h3.counters();
      const r = await tcpTransfer(h1, h2, { bytes: 8 * 1024 * 1024 });
      const after = await h3.counters();
      expect(r.bytesReceived).toBe(8 * 1024 * 1024);
      expect(r.sha256Received).toBe(r.sha256Sent);
      expect(r.ok).toBe(true);
      const leaked = after.rxBytes - before.rxBytes;
      expect(leaked, `h3 received ${leaked} bytes during an 8 MB h1→h2 transfer`).toBeLessThan(100_000);
      console.info(`[netns] ${kind}: TCP 8 MB h1→h2 in ${r.ms.toFixed(0)} ms (${r.mbps.toFixed(0)} Mbit/s)`);
    });

    it('UDP multicast: a member counts every packet; with no querier the other host gets them too (flooded)', async () => {
      const [h1, h2, h3] = lab().hosts;
      const group = '239.1.2.3';
      const rx = await startReceiver(h3!, { join: [{ group }], intervalMs: 200 });
      try {
        const h2Before = await h2!.counters();
        const sent = await sendMulticast(h1!, { groups: [group], count: 300, rate: 1000, size: 100 });
        expect(sent.total.totalSent).toBe(300);
        await new Promise((r) => setTimeout(r, 300));
        const report = await rx.reportNow();
        const got = report.groups.find((g) => g.group === group)!;
        expect(got.totalPackets, `h3 received ${got.totalPackets}/300`).toBeGreaterThanOrEqual(297);
        expect(got.totalPackets).toBeLessThanOrEqual(300);
        expect(got.lost).toBeLessThanOrEqual(3);
        const h2After = await h2!.counters();
        expect(h2After.rxPackets - h2Before.rxPackets).toBeGreaterThanOrEqual(297);
      } finally {
        await rx.stop();
      }
    });
  });
});
