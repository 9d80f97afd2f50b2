// Shared pieces of the interop tests: an upstream segment behind a lab host (so that host can be a multicast router
// with a source on its far side), the capture agent counts the cases use, and what is installed.

import { existsSync } from 'node:fs';
import {
  createNetns, deleteNetns, ip, nsName, nsExec, nsSpawn, sysctl, type Lab, type LabHost, type RunOptions, type SpawnOptions,
} from '../../../src/lab/index.js';
import type { PktAgent } from '../snooping/helpers.js';

/** Why a router binary cannot be used here, or null. CI installs them (scripts/system-deps.sh). */
export function binarySkipReason(path: string, pkg: string): string | null {
  return existsSync(path) ? null : `${path} not installed (Debian package ${pkg}; scripts/system-deps.sh installs it)`;
}

/**
 * Why a multicast router cannot route here, or null: igmpproxy and pimd open the kernel's IPv4 multicast routing
 * socket (MRT_INIT), which a kernel built without CONFIG_IP_MROUTE refuses (ENOPROTOOPT; it has no
 * /proc/net/ip_mr_vif either). igmpproxy exits at once then; pimd runs but routes nothing.
 */
export function multicastRoutingSkipReason(): string | null {
  return existsSync('/proc/net/ip_mr_vif') ? null : 'this kernel has no IPv4 multicast routing (CONFIG_IP_MROUTE)';
}

export interface ExtraHost {
  /** Usable with startSender / startReceiver / PktAgent.start. */
  readonly host: LabHost;
  destroy(): Promise<void>;
}

/**
 * A host in a namespace of its own (named after the lab, so a crashed run's sweep removes it) whose eth0 is wired by a
 * veth pair to interface `peerIf` in namespace `peerNs` (created there, down and unaddressed: the caller decides).
 */
export async function attachHost(lab: Lab, role: string, peerNs: string, peerIf: string, cidr: string): Promise<ExtraHost> {
  const ns = nsName(lab.tag, role);
  const addr = cidr.split('/')[0]!;
  await createNetns(ns);
  try {
    await ip(peerNs, ['link', 'add', peerIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await sysctl(ns, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
    await ip(ns, ['addr', 'add', cidr, 'dev', 'eth0']);
    await ip(ns, ['link', 'set', 'eth0', 'up']);
    await ip(ns, ['route', 'add', '224.0.0.0/4', 'dev', 'eth0']);
  } catch (err) {
    await deleteNetns(ns, 200);
    throw err;
  }
  const host = {
    name: role, ns, link: 'eth0', ifname: 'eth0', ipv4: cidr, addr, ipv6: null, addr6: null,
    vlan: null, mac: '', port: '', portIndex: -1,
    exec: (cmd: string, args: readonly string[], o?: RunOptions) => nsExec(ns, cmd, args, o),
    spawn: (cmd: string, args: readonly string[], o?: SpawnOptions & { cpu?: number | null }) => nsSpawn(ns, cmd, args, { label: `${role}:${cmd}`, ...o }),
  } as unknown as LabHost;
  return { host, destroy: () => deleteNetns(ns, 500) };
}

export interface Upstream {
  /** The source host on the far side. */
  readonly source: LabHost;
  /** The router's interface toward it. */
  readonly routerIf: string;
  destroy(): Promise<void>;
}

/**
 * A second segment behind lab host `router`: a host src (10.9.0.2/24) wired to a new interface `up0` of the router
 * (10.9.0.1/24). Multicast from src reaches the switch only if the router routes it.
 */
export async function addUpstream(lab: Lab, router: LabHost): Promise<Upstream> {
  const src = await attachHost(lab, 'up', router.ns, 'up0', '10.9.0.2/24');
  try {
    await ip(router.ns, ['addr', 'add', '10.9.0.1/24', 'dev', 'up0']);
    await ip(router.ns, ['link', 'set', 'up0', 'up']);
    await ip(src.host.ns, ['route', 'add', 'default', 'via', '10.9.0.1']);
  } catch (err) {
    await src.destroy();
    throw err;
  }
  return { source: src.host, routerIf: 'up0', destroy: () => src.destroy() };
}

/** UDP datagrams to `group` that reached this host's interface (received, not sent) since mark. */
export function received(agent: PktAgent, since: number, group: string): Promise<number> {
  return agent.count({ since, out: false, dst: group, proto: 17 });
}
