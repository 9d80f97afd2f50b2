// The lab library itself (src/lab/): topology details (addresses, IPv6, VLAN sub-interfaces, IGMP version),
// the switch harness with a stand-in daemon, tear-down on every kind of exit, and the sweep of leftovers.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createLab,
  createNetns,
  ipJson,
  listNetns,
  ping,
  readSysctl,
  startReceiver,
  sendMulticast,
  sweepStale,
  vlanSupported,
  type Lab,
} from '../../src/lab/index.js';
import { hasCommand, labSkipReason, useLab } from './harness.js';

const FAKE = fileURLToPath(new URL('./fixtures/fake-igmpswitch.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/lab-child.mts', import.meta.url));
const pingAvailable = labSkipReason ? false : await hasCommand('ping');

describe.skipIf(labSkipReason !== null)('lab topology', () => {
  const lab = useLab(() => ({
    hosts: [
      { name: 'h1', ipv6: '2001:db8:1::1/64', igmpVersion: 2 },
      { name: 'h2', ipv6: '2001:db8:1::2/64' },
      { name: 'h3', ipv4: '198.51.100.3/24' },
    ],
    switch: 'linux-bridge',
    linuxBridge: { options: { mcast_snooping: 0 } },
  }));

  it('names are unique to the run, interface names fit in 15 characters', () => {
    const l = lab();
    expect(l.switchNs).toMatch(new RegExp(`^igs-${process.pid}-[0-9a-z]{2}-sw$`));
    for (const h of l.hosts) {
      expect(h.ns.startsWith(l.switchNs!.slice(0, -2))).toBe(true);
      expect(h.port.length).toBeLessThanOrEqual(15);
      expect(h.port.startsWith(l.id)).toBe(true);
    }
    expect(l.ports).toEqual(l.hosts.map((h) => h.port));
    expect(l.hosts.map((h) => h.portIndex)).toEqual([0, 1, 2]);
    expect(l.host('h2').addr).toBe('192.0.2.2');
    expect(l.host('h3').addr).toBe('198.51.100.3');
    expect(l.host('h1').addr6).toBe('2001:db8:1::1');
    expect(l.host('h1').ifname).toBe('eth0');
    expect(l.host('h1').mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  });

  it('sets force_igmp_version per host', async () => {
    const l = lab();
    expect(await readSysctl(l.host('h1').ns, 'net.ipv4.conf.eth0.force_igmp_version')).toBe('2');
    expect(await readSysctl(l.host('h2').ns, 'net.ipv4.conf.eth0.force_igmp_version')).toBe('0');
    await l.host('h2').setIgmpVersion(3);
    expect(await readSysctl(l.host('h2').ns, 'net.ipv4.conf.eth0.force_igmp_version')).toBe('3');
    await l.host('h2').setIgmpVersion(0);
  });

  it.skipIf(!pingAvailable)('IPv6 addresses (nodad) work at once through the switch', async () => {
    const r6 = await ping(lab().host('h1'), '2001:db8:1::2', { count: 3, intervalS: 0.05 });
    expect(r6.received).toBe(3);
  });

  it('a source-specific receiver counts only its source', async () => {
    const l = lab();
    const rx = await startReceiver(l.host('h2'), { join: [{ group: '232.1.1.1', source: l.host('h1').addr }], intervalMs: 200 });
    try {
      await sendMulticast(l.host('h1'), { groups: ['232.1.1.1'], count: 50, rate: 1000 });
      await new Promise((r) => setTimeout(r, 200));
      const rep = await rx.reportNow();
      expect(rep.groups[0]!.source).toBe(l.host('h1').addr);
      expect(rep.groups[0]!.totalPackets).toBeGreaterThanOrEqual(49);
      expect(rx.memberships()).toEqual([{ group: '232.1.1.1', source: l.host('h1').addr }]);
      await rx.leave('232.1.1.1', l.host('h1').addr);
      expect(rx.memberships()).toEqual([]);
    } finally {
      await rx.stop();
    }
  });
});

const vlanOk = labSkipReason ? false : await vlanSupported();
if (!labSkipReason && !vlanOk) console.warn('[netns] VLAN host case skipped: this kernel has no 802.1Q (ip link type vlan) support');

describe.skipIf(labSkipReason !== null || !vlanOk)('lab VLAN hosts (802.1Q sub-interfaces)', () => {
  const lab = useLab(() => ({
    hosts: [
      { name: 'v1', ipv4: '198.51.100.1/24', vlan: 10 },
      { name: 'v2', ipv4: '198.51.100.2/24', vlan: 10 },
    ],
    switch: 'linux-bridge',
    linuxBridge: { options: { mcast_snooping: 0 } },
  }));

  it.skipIf(!pingAvailable)('tagged hosts reach each other', async () => {
    expect(lab().host('v1').ifname).toBe('eth0.10');
    const rv = await ping(lab().host('v1'), '198.51.100.2', { count: 3, intervalS: 0.05 });
    expect(rv.received).toBe(3);
  });
});

// Only the ports are checked here: traffic bridged in the machine's own namespace is subject to its firewall
// (br_netfilter), which belongs to the machine, not to the lab.
describe.skipIf(labSkipReason !== null)('switch ports in the current namespace (switchNs: false)', () => {
  it('creates the ports there, without IPv6, and destroy() removes them', async () => {
    const lab = await createLab({ hosts: [{ name: 'a' }, { name: 'b' }], switch: 'none', switchNs: false, prefix: 'igt' });
    try {
      expect(lab.switchNs).toBeNull();
      const links = await ipJson<{ ifname: string }[]>(null, ['link', 'show']);
      expect(links.map((l) => l.ifname)).toEqual(expect.arrayContaining([...lab.ports]));
      expect(await readSysctl(null, `net.ipv6.conf.${lab.ports[0]}.disable_ipv6`)).toBe('1');
    } finally {
      await lab.destroy();
    }
    const after = (await ipJson<{ ifname: string }[]>(null, ['link', 'show'])).map((l) => l.ifname);
    expect(after.filter((n) => n.startsWith(lab.id))).toEqual([]);
  });
});

describe.skipIf(labSkipReason !== null)('switch harness with a stand-in daemon', () => {
  it('writes the config, waits for "forwarding", forwards, stops with SIGTERM and collects the output', async () => {
    const lab: Lab = await createLab({ hosts: [{ name: 'a' }, { name: 'b' }], switch: 'igmpswitch', igmpswitch: { cli: FAKE, config: { logging: { level: 'debug' } } } });
    try {
      const sw = lab.switch!;
      expect(sw).not.toBeNull();
      expect(sw.argv).toContain('--config');
      expect(sw.argv.slice(0, 4)).toEqual(['ip', 'netns', 'exec', lab.switchNs]);
      const yaml = readFileSync(sw.configPath, 'utf8');
      expect(yaml).toContain(lab.ports[0]);
      expect(sw.config).toMatchObject({
        ports: [...lab.ports],
        management: { socket: sw.socketPath },
        state: { file: sw.stateFile },
        logging: { level: 'debug' },
      });
      expect(sw.socketPath.startsWith(sw.dir)).toBe(true);
      expect(sw.logs().some((l) => l['msg'] === 'forwarding')).toBe(true);
      expect(sw.cpuTime()).not.toBeNull();
      if (pingAvailable) expect((await ping(lab.host('a'), lab.host('b').addr, { count: 2, intervalS: 0.1 })).received).toBe(2);
      const st = await sw.stop();
      expect(st.code).toBe(0);
      expect(st.output).toContain('"msg":"stopped"');
      expect(existsSync(sw.dir)).toBe(false);
    } finally {
      await lab.destroy();
    }
    expect((await listNetns()).filter((n) => n.startsWith(lab.switchNs!.slice(0, -2)))).toEqual([]);
  });

  it('a daemon that fails to start: createLab rejects with its output and leaves nothing behind', async () => {
    const before = new Set(await listNetns());
    const err = await createLab({
      hosts: [{ name: 'a' }, { name: 'b' }],
      switch: 'igmpswitch',
      igmpswitch: { cli: FAKE, env: { ...process.env, FAKE_IGMPSWITCH_FAIL: '1' }, readyTimeoutMs: 10_000 },
    }).then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain('did not start');
    expect(err!.message).toContain('does not exist');
    const leaked = (await listNetns()).filter((n) => !before.has(n) && n.startsWith(`igs-${process.pid}-`));
    expect(leaked).toEqual([]);
  });
});

/** Start the child that builds a lab; resolve with its namespaces once it is up. */
function labChild(arg?: string): Promise<{ child: ReturnType<typeof spawn>; namespaces: string[]; exit: Promise<{ code: number | null; signal: string | null }> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...(arg ? [arg] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, namespaces: (JSON.parse(line) as { namespaces: string[] }).namespaces, exit });
    });
    void exit.then((st) => reject(new Error(`lab child exited early (${JSON.stringify(st)}): ${err}`)));
    setTimeout(() => reject(new Error(`lab child did not start: ${err}`)), 60_000); // node + tsx + a lab: slow on a loaded machine
  });
}

async function gone(namespaces: string[]): Promise<string[]> {
  const now = new Set(await listNetns());
  return namespaces.filter((n) => now.has(n));
}

describe.skipIf(labSkipReason !== null)('nothing leaks', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig}: the exit hook tears the lab down and the process still dies by the signal`, async () => {
      const { child, namespaces, exit } = await labChild();
      expect(await gone(namespaces)).toEqual(namespaces);
      child.kill(sig);
      const st = await exit;
      expect(st.signal).toBe(sig);
      expect(await gone(namespaces)).toEqual([]);
    });
  }

  it('an uncaught exception: the exit hook tears the lab down', async () => {
    const { namespaces, exit } = await labChild('throw');
    const st = await exit;
    expect(st.code).not.toBe(0);
    expect(await gone(namespaces)).toEqual([]);
  });

  it('SIGKILL leaves the namespaces; sweepStale removes them once the owner is dead', async () => {
    const { child, namespaces, exit } = await labChild();
    child.kill('SIGKILL');
    await exit;
    expect(await gone(namespaces)).toEqual(namespaces);
    const swept = await sweepStale('igt');
    expect(swept.namespaces.sort()).toEqual([...namespaces].sort());
    expect(await gone(namespaces)).toEqual([]);
  });

  it('sweepStale leaves namespaces of live owners alone', async () => {
    const mine = `igt-${process.pid}-zz-keep`;
    await createNetns(mine);
    try {
      const swept = await sweepStale('igt');
      expect(swept.namespaces).not.toContain(mine);
      expect(await listNetns()).toContain(mine);
    } finally {
      await sweepStale('igt', { all: true });
    }
    expect(await listNetns()).not.toContain(mine);
  });
});
