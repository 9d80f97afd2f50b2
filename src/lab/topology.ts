// A lab: one switch namespace with one veth port per host, host namespaces with addresses, and a switch
// (igmpswitch, the Linux bridge, or nothing) on the ports. lab.destroy() always tears everything down; an
// exit/signal hook does it too if the caller never gets that far (failed test, Ctrl-C).
//
//      host ns <id>-h1            switch ns <id>-sw                host ns <id>-h2
//   eth0 192.0.2.1/24 ─veth─ <short>p1 ─┐              ┌─ <short>p2 ─veth─ eth0 192.0.2.2/24
//                                        └─ br0 / igmpswitch / nothing ┘

import { readFileSync } from 'node:fs';
import {
  createNetns,
  deleteNetns,
  deleteNetnsSync,
  ifName,
  ip,
  ipJson,
  newRunTag,
  nsExec,
  nsName,
  nsSpawn,
  sysctl,
  type RunTag,
} from './netns.js';
import { registerCleanup, type LabProcess, type RunOptions, type RunResult, type SpawnOptions } from './proc.js';
import { labIo, startIgmpswitch, type IgmpswitchOptions, type SwitchProcess } from './daemon-process.js';
import { spawnSync } from 'node:child_process';

export type SwitchKind = 'igmpswitch' | 'linux-bridge' | 'none';

export interface HostSpec {
  /** Short name, letters/digits/_/. (used in the namespace name), e.g. "h1", "sender". */
  name: string;
  /** IPv4 address with prefix length, e.g. "192.0.2.1/24". Default 192.0.2.<n>/24 (n = position + 1). */
  ipv4?: string;
  /** IPv6 address with prefix length, e.g. "2001:db8:1::1/64" (added with nodad). IPv6 is off without it. */
  ipv6?: string;
  /** Put the addresses on an 802.1Q sub-interface eth0.<vlan> (frames leave tagged). */
  vlan?: number;
  /** net.ipv4.conf.{all,<if>}.force_igmp_version: 0 (kernel default, v3), 1, 2 or 3. */
  igmpVersion?: 0 | 1 | 2 | 3;
  /** Host-side MAC address (default: random from the kernel). */
  mac?: string;
  /** Extra sysctls for the host namespace. */
  sysctls?: Record<string, string | number>;
}

export interface LinuxBridgeOptions {
  /** `ip link add br0 type bridge …` options, e.g. { mcast_snooping: 1, mcast_querier: 1 }. Linux defaults otherwise. */
  options?: Record<string, string | number>;
  /** Per-port options, `ip link set PORT type bridge_slave …`, e.g. { mcast_router: 2 }. */
  portOptions?: Record<string, string | number>;
  /**
   * IPv6 on the bridge device (a link-local address, no DAD): the bridge's MLD querier needs one (br_multicast.c
   * sends no MLD query, and counts no own MLD querier, without an IPv6 source address). Off otherwise: the switch
   * namespace takes no part in IPv6.
   */
  ipv6?: boolean;
}

export interface LabOptions {
  hosts: HostSpec[];
  /** Which switch bridges the ports (default 'igmpswitch'). */
  switch?: SwitchKind;
  /** Put the switch ports in their own namespace (default true). With false they live in the current one. */
  switchNs?: boolean;
  /** Namespace/interface prefix, 1–4 characters (default "igs"). */
  prefix?: string;
  /** Options for the igmpswitch daemon (config passthrough, CPU pinning, …). */
  igmpswitch?: IgmpswitchOptions;
  linuxBridge?: LinuxBridgeOptions;
  /** MTU of every veth (default 1500). */
  mtu?: number;
  /** Name of the interface inside each host namespace (default "eth0"). */
  hostIfname?: string;
}

export interface IfCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  rxDropped: number;
  txDropped: number;
  multicast: number;
}

export interface LabHost {
  readonly name: string;
  readonly ns: string;
  /** The veth inside the host namespace ("eth0"). */
  readonly link: string;
  /** The interface carrying the addresses: link, or "eth0.<vlan>". */
  readonly ifname: string;
  /** IPv4 address with prefix length, and without. */
  readonly ipv4: string;
  readonly addr: string;
  readonly ipv6: string | null;
  readonly addr6: string | null;
  readonly vlan: number | null;
  readonly mac: string;
  /** Switch-side interface name and its port index (position in lab.ports). */
  readonly port: string;
  readonly portIndex: number;
  exec(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  spawn(cmd: string, args: readonly string[], opts?: SpawnOptions & { cpu?: number | null }): LabProcess;
  sysctl(settings: Record<string, string | number>): Promise<void>;
  /** Set net.ipv4.conf.{all,<if>}.force_igmp_version. */
  setIgmpVersion(v: 0 | 1 | 2 | 3): Promise<void>;
  /** Set net.ipv6.conf.{all,<if>}.force_mld_version (0: the kernel's default, MLDv2 with MLDv1 fallback; 1; 2). */
  setMldVersion(v: 0 | 1 | 2): Promise<void>;
  /** Counters of the host-side interface (link), read from /sys inside the namespace. */
  counters(): Promise<IfCounters>;
}

export interface Lab {
  readonly tag: RunTag;
  /** Short id used in interface names. */
  readonly id: string;
  readonly switchNs: string | null;
  readonly hosts: readonly LabHost[];
  /** Switch-side interface names, in host order; the port index is the position. */
  readonly ports: readonly string[];
  readonly switchKind: SwitchKind;
  /** The running igmpswitch, when switchKind is 'igmpswitch'. */
  readonly switch: SwitchProcess | null;
  /** The Linux bridge's name ("<short>br"), when switchKind is 'linux-bridge'. */
  readonly bridge: string | null;
  host(name: string): LabHost;
  /** Run a command in the switch namespace. */
  execSwitch(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  spawnSwitch(cmd: string, args: readonly string[], opts?: SpawnOptions & { cpu?: number | null }): LabProcess;
  /** Replace the switch on the same ports (stops igmpswitch / deletes the bridge first). */
  setSwitch(kind: SwitchKind, opts?: { igmpswitch?: IgmpswitchOptions; linuxBridge?: LinuxBridgeOptions }): Promise<void>;
  /** The switch's multicast group table, normalised (igmpswitch: show groups; Linux bridge: bridge mdb). */
  groupTable(): Promise<GroupRow[]>;
  /** Tear everything down. Safe to call more than once; never throws. */
  destroy(): Promise<void>;
  readonly destroyed: boolean;
}

export interface GroupRow {
  group: string;
  /** Source of an (S,G) entry (Linux bridge) — null for (*,G). */
  source: string | null;
  /** Source list of a (*,G) record with IGMPv3 filter state (igmpswitch), blocked ones prefixed with "!". */
  sources: string[];
  port: string;
  vlan: number | null;
  /** include/exclude, temp/permanent, static, vN … as the switch reports it. */
  state: string | null;
}

export async function createLab(opts: LabOptions): Promise<Lab> {
  if (!opts.hosts.length) throw new Error('createLab: at least one host');
  const names = new Set<string>();
  for (const h of opts.hosts) {
    if (names.has(h.name)) throw new Error(`createLab: duplicate host name "${h.name}"`);
    names.add(h.name);
  }
  if (opts.hosts.length > 64) throw new Error('createLab: at most 64 hosts');
  const tag = newRunTag(opts.prefix);
  const useSwitchNs = opts.switchNs ?? true;
  const switchNs = useSwitchNs ? nsName(tag, 'sw') : null;
  const hostIfname = opts.hostIfname ?? 'eth0';
  const bridgeName = ifName(tag, 'br');

  const namespaces: string[] = [];
  const rootLinks: string[] = []; // switch-side links in the current namespace (switchNs: false)
  let sw: SwitchProcess | null = null;
  let kind: SwitchKind = 'none';
  let bridge: string | null = null;
  let destroyed = false;
  let destroying: Promise<void> | null = null;

  const teardown = async (): Promise<void> => {
    if (sw) {
      try {
        await sw.stop(5_000);
      } catch {
        /* it is going anyway */
      }
      sw = null;
    }
    if (!useSwitchNs) {
      for (const l of [...rootLinks, ...(bridge ? [bridge] : [])]) await ip(null, ['link', 'del', l], { allowFail: true });
    }
    // Switch first, then hosts; deleting processes inside each.
    for (const ns of [...namespaces].reverse()) await deleteNetns(ns);
    destroyed = true;
  };
  const unregister = registerCleanup({
    cleanup: () => lab.destroy(),
    cleanupSync: () => {
      if (sw) sw.process.signal('SIGKILL');
      if (!useSwitchNs) {
        for (const l of [...rootLinks, ...(bridge ? [bridge] : [])]) spawnSync('ip', ['link', 'del', l], { stdio: 'ignore' });
      }
      for (const ns of namespaces) deleteNetnsSync(ns);
      destroyed = true;
    },
  });

  const hosts: LabHost[] = [];
  const ports: string[] = [];

  const lab: Lab = {
    tag,
    id: tag.short,
    switchNs,
    get hosts() {
      return hosts;
    },
    get ports() {
      return ports;
    },
    get switchKind() {
      return kind;
    },
    get switch() {
      return sw;
    },
    get bridge() {
      return bridge;
    },
    get destroyed() {
      return destroyed;
    },
    host(name) {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`lab: no host "${name}" (hosts: ${hosts.map((x) => x.name).join(', ')})`);
      return h;
    },
    execSwitch: (cmd, args, o) => nsExec(switchNs, cmd, args, o),
    spawnSwitch: (cmd, args, o) => nsSpawn(switchNs, cmd, args, o),
    async setSwitch(next, o = {}) {
      if (sw) {
        await sw.stop();
        sw = null;
      }
      if (bridge) {
        await ip(switchNs, ['link', 'del', bridge], { allowFail: true });
        bridge = null;
      }
      kind = 'none';
      if (next === 'linux-bridge') {
        const b = o.linuxBridge ?? opts.linuxBridge ?? {};
        const args = ['link', 'add', bridgeName, 'type', 'bridge'];
        for (const [k, v] of Object.entries(b.options ?? {})) args.push(k, String(v));
        await ip(switchNs, args);
        bridge = bridgeName;
        if (b.ipv6) {
          await sysctl(switchNs, {
            [`net.ipv6.conf.${bridgeName}.accept_dad`]: 0, [`net.ipv6.conf.${bridgeName}.disable_ipv6`]: 0,
          });
        }
        for (const p of ports) {
          await ip(switchNs, ['link', 'set', p, 'master', bridgeName]);
          const po = Object.entries(b.portOptions ?? {});
          if (po.length) await ip(switchNs, ['link', 'set', p, 'type', 'bridge_slave', ...po.flatMap(([k, v]) => [k, String(v)])]);
        }
        await ip(switchNs, ['link', 'set', bridgeName, 'up']);
      } else if (next === 'igmpswitch') {
        sw = await startIgmpswitch(switchNs, ports, o.igmpswitch ?? opts.igmpswitch ?? {});
      }
      kind = next;
    },
    async groupTable() {
      if (kind === 'linux-bridge' && bridge) return linuxBridgeGroups(switchNs, bridge);
      if (kind === 'igmpswitch' && sw) return normaliseGroups(await sw.showGroups(), ports);
      return [];
    },
    destroy() {
      destroying ??= teardown()
        .catch(() => {})
        .finally(() => unregister());
      return destroying;
    },
  };

  try {
    if (switchNs) {
      await createNetns(switchNs);
      namespaces.push(switchNs);
      // The switch namespace takes no part in IPv6 (no link-local addresses, no MLD/RS from the ports).
      await sysctl(switchNs, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
    }
    for (const [i, spec] of opts.hosts.entries()) {
      const n = i + 1;
      const hns = nsName(tag, spec.name);
      await createNetns(hns);
      namespaces.push(hns);
      if (!spec.ipv6) {
        await sysctl(hns, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
      } else {
        await sysctl(hns, { 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 });
      }
      const port = ifName(tag, `p${n}`);
      const addArgs = ['link', 'add', port];
      if (opts.mtu) addArgs.push('mtu', String(opts.mtu));
      addArgs.push('type', 'veth', 'peer', 'name', hostIfname, 'netns', hns);
      if (spec.mac) addArgs.push('address', spec.mac);
      await ip(switchNs, addArgs);
      if (!switchNs) {
        rootLinks.push(port);
        // No IPv6 on switch ports in the current namespace either (no link-local address, no MLD/RS of their own).
        await sysctl(null, { [`net.ipv6.conf.${port}.disable_ipv6`]: 1 }).catch(() => {});
      }
      ports.push(port);
      let l3 = hostIfname;
      if (spec.vlan !== undefined) {
        l3 = `${hostIfname}.${spec.vlan}`;
        try {
          await ip(hns, ['link', 'add', 'link', hostIfname, 'name', l3, 'type', 'vlan', 'id', String(spec.vlan)]);
        } catch (e) {
          if (/Unknown device type/i.test((e as Error).message)) {
            throw new Error(`host ${spec.name}: this kernel has no 802.1Q support (ip link type vlan; module 8021q), so VLAN hosts cannot be built`);
          }
          throw e;
        }
      }
      const ipv4 = spec.ipv4 ?? `192.0.2.${n}/24`;
      if (!ipv4.includes('/')) throw new Error(`host ${spec.name}: ipv4 needs a prefix length, e.g. ${ipv4}/24`);
      await ip(hns, ['addr', 'add', ipv4, 'dev', l3]);
      if (spec.ipv6) await ip(hns, ['-6', 'addr', 'add', spec.ipv6, 'dev', l3, 'nodad']);
      if (spec.igmpVersion !== undefined) {
        await sysctl(hns, {
          'net.ipv4.conf.all.force_igmp_version': spec.igmpVersion,
          [`net.ipv4.conf.${sysctlIf(l3)}.force_igmp_version`]: spec.igmpVersion,
        });
      }
      if (spec.sysctls) await sysctl(hns, spec.sysctls);
      // An AF_XDP switch port needs complete checksums from its senders (docs/packet-io.md, "AF_XDP"), as a wire
      // gives them: the host's veth must not leave them to offload (this also turns its TSO off).
      if (labIo() === 'af_xdp') await nsExec(hns, 'ethtool', ['-K', hostIfname, 'tx', 'off']);
      await ip(hns, ['link', 'set', hostIfname, 'up']);
      if (l3 !== hostIfname) await ip(hns, ['link', 'set', l3, 'up']);
      // Multicast senders without a default route still find their way out.
      await ip(hns, ['route', 'add', '224.0.0.0/4', 'dev', l3]);
      await ip(switchNs, ['link', 'set', port, 'up']);
      const linkInfo = await ipJson<{ address: string }[]>(hns, ['link', 'show', hostIfname]);
      const portIndex = i;
      const host: LabHost = {
        name: spec.name,
        ns: hns,
        link: hostIfname,
        ifname: l3,
        ipv4,
        addr: ipv4.split('/')[0]!,
        ipv6: spec.ipv6 ?? null,
        addr6: spec.ipv6 ? spec.ipv6.split('/')[0]! : null,
        vlan: spec.vlan ?? null,
        mac: linkInfo[0]?.address ?? '',
        port,
        portIndex,
        exec: (cmd, args, o) => nsExec(hns, cmd, args, o),
        spawn: (cmd, args, o) => nsSpawn(hns, cmd, args, { label: `${spec.name}:${cmd}`, ...o }),
        sysctl: (s) => sysctl(hns, s),
        setIgmpVersion: (v) =>
          sysctl(hns, {
            'net.ipv4.conf.all.force_igmp_version': v,
            [`net.ipv4.conf.${sysctlIf(l3)}.force_igmp_version`]: v,
          }),
        setMldVersion: (v) =>
          sysctl(hns, {
            'net.ipv6.conf.all.force_mld_version': v,
            [`net.ipv6.conf.${sysctlIf(l3)}.force_mld_version`]: v,
          }),
        counters: () => readCounters(hns, hostIfname),
      };
      hosts.push(host);
    }
    await lab.setSwitch(opts.switch ?? 'igmpswitch');
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

/** sysctl writes interface names with dots as slashes (eth0.10 → eth0/10). */
function sysctlIf(name: string): string {
  return name.replace(/\./g, '/');
}

/** Interface counters read from /sys/class/net inside the namespace (one exec). */
export async function readCounters(ns: string | null, ifname: string): Promise<IfCounters> {
  const keys = ['rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'rx_dropped', 'tx_dropped', 'multicast'];
  let values: number[];
  if (ns === null) {
    values = keys.map((k) => Number(readFileSync(`/sys/class/net/${ifname}/statistics/${k}`, 'utf8')));
  } else {
    const r = await nsExec(ns, 'cat', keys.map((k) => `/sys/class/net/${ifname}/statistics/${k}`));
    values = r.stdout.trim().split(/\s+/).map(Number);
  }
  return {
    rxPackets: values[0]!,
    rxBytes: values[1]!,
    txPackets: values[2]!,
    txBytes: values[3]!,
    rxDropped: values[4]!,
    txDropped: values[5]!,
    multicast: values[6]!,
  };
}

interface BridgeMdbEntry {
  port?: string;
  grp?: string;
  src?: string;
  vid?: number;
  state?: string;
  filter_mode?: string;
}

async function linuxBridgeGroups(ns: string | null, br: string): Promise<GroupRow[]> {
  const r = await nsExec(ns, 'bridge', ['-j', '-d', 'mdb', 'show', 'dev', br]);
  const parsed = JSON.parse(r.stdout || '[]') as { mdb?: BridgeMdbEntry[] }[];
  const rows: GroupRow[] = [];
  for (const block of parsed) {
    for (const e of block.mdb ?? []) {
      if (!e.grp) continue;
      rows.push({
        group: e.grp,
        source: e.src ?? null,
        sources: [],
        port: e.port ?? '?',
        vlan: e.vid ?? null,
        state: [e.filter_mode, e.state].filter(Boolean).join(' ') || null,
      });
    }
  }
  return rows;
}

/**
 * igmpswitch's `show groups --json` (src/mgmt/api.ts GroupRow: { vlan, group, port, mode, version, sources:
 * [{ address, blocked }], static, … }) turned into rows. Tolerant of shape changes: also accepts
 * { groups: [...] }, grp/src/vid names, and ports given as names, indices or objects.
 */
export function normaliseGroups(raw: unknown, portNames: readonly string[]): GroupRow[] {
  const list: unknown[] = Array.isArray(raw)
    ? raw
    : raw && typeof raw === 'object' && Array.isArray((raw as { groups?: unknown }).groups)
      ? ((raw as { groups: unknown[] }).groups)
      : [];
  const rows: GroupRow[] = [];
  const portName = (p: unknown): string => {
    if (typeof p === 'number') return portNames[p] ?? String(p);
    if (typeof p === 'string') return p;
    if (p && typeof p === 'object') {
      const o = p as Record<string, unknown>;
      return portName(o['name'] ?? o['port'] ?? o['ifname'] ?? o['index']);
    }
    return '?';
  };
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const o = item as Record<string, unknown>;
    const group = String(o['group'] ?? o['grp'] ?? o['address'] ?? '?');
    const source = (o['source'] ?? o['src'] ?? null) as string | null;
    const vlan = (o['vlan'] ?? o['vid'] ?? null) as number | null;
    const sources = Array.isArray(o['sources'])
      ? (o['sources'] as unknown[]).map((x) => {
          if (typeof x === 'string') return x;
          const so = (x ?? {}) as Record<string, unknown>;
          return `${so['blocked'] ? '!' : ''}${String(so['address'] ?? so['source'] ?? '?')}`;
        })
      : [];
    const stateParts = [o['mode'] ?? o['filterMode'] ?? o['state'], o['version'] !== undefined ? `v${String(o['version'])}` : null,
      o['static'] ? 'static' : null].filter((x) => x !== null && x !== undefined && x !== '');
    const ps = o['ports'] ?? (o['port'] !== undefined || o['portName'] !== undefined ? [o['portName'] ?? o['port']] : []);
    for (const p of Array.isArray(ps) ? ps : [ps]) {
      rows.push({
        group,
        source: source ? String(source) : null,
        sources,
        port: portName(p),
        vlan: vlan === 0 ? null : vlan,
        state: stateParts.length ? stateParts.map(String).join(' ') : null,
      });
    }
  }
  return rows;
}
