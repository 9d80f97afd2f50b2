// The switches the end-to-end benchmark compares. Each one is started on a fresh lab (bench/e2e.ts builds a
// new topology for every repetition) and reports the pid whose CPU time is its cost, when it has one.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  daemonStatus,
  run,
  type Lab,
  type LabProcess,
} from '../src/lab/index.js';
import { benchIo, igmpswitchBenchOptions, SWITCH_CPU } from '../src/lab/bench-config.js';
import { lossSummary } from '../src/lab/observe.js';
import type { StatsView } from '../src/mgmt/api.js';

export { GENERATOR_CPU, SWITCH_CPU } from '../src/lab/bench-config.js';

/** A contender's name, as given to --contenders (CONTENDER_LIST below has them all). */
export type ContenderName = string;

export interface Running {
  /** Process whose CPU time is the switch's cost (null: the kernel does the work, e.g. the Linux bridge). */
  pid: number | null;
  /** Forward between exactly these ports (C forwarders only: they have no table, so they are given the ports). */
  usePorts?(ports: string[]): Promise<void>;
  stop(): Promise<void>;
  /** Free-form facts worth printing (versions, modes). */
  info: string;
}

export interface Contender {
  name: ContenderName;
  description: string;
  /** A C forwarder without a table: the ceiling of its I/O method (×ceiling in the report is against the best). */
  ceiling: boolean;
  /** In a plain `npm run bench` (false: only when named with --contenders, e.g. a tuning variant). */
  byDefault: boolean;
  /** Bar colour in the chart. */
  color: string;
  /** Does it filter multicast by IGMP membership (so the bench waits until it does)? */
  snooping: boolean;
  /** Offloads (TSO/GSO/tx checksum on hosts, GRO on ports) must be off: it cannot take GSO frames or partial checksums. */
  offloadsOff: boolean;
  /** Why it cannot run here, or null. */
  unavailable(): Promise<string | null>;
  start(lab: Lab, ports: string[]): Promise<Running>;
}

async function hasCmd(cmd: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${cmd}`], { allowFail: true })).code === 0;
}

// ------------------------------------------------------------------------------------------------ igmpswitch

function igmpswitchContender(name: string, busyPollUs: number, rxRing: boolean, byDefault: boolean, color: string): Contender {
  const options = igmpswitchBenchOptions(busyPollUs, rxRing);
  return {
  name,
  description: `igmpswitch (Node + Wasm, snooping + querier, ${benchIo()}, AF_PACKET ${rxRing ? 'TPACKET_V2 ring' : 'recvmmsg'}` +
    `${busyPollUs ? `, busy-poll ${busyPollUs} µs` : ''}), pinned to CPU 1`,
  ceiling: false,
  byDefault,
  color,
  snooping: true,
  offloadsOff: false,
  async unavailable() {
    return daemonStatus().reason;
  },
  async start(lab) {
    await lab.setSwitch('igmpswitch', { igmpswitch: options });
    const sw = lab.switch!;
    return {
      pid: sw.pid,
      info: `node ${process.version}`,
      stop: async () => {
        // IGMPSWITCH_BENCH_STATS=1: where the switch lost frames, printed before it stops.
        if (process.env['IGMPSWITCH_BENCH_STATS']) {
          try {
            console.log(`[bench-stats] ${name}: ${lossSummary((await sw.request('stats')) as StatsView)}`);
          } catch (err) {
            console.log(`[bench-stats] ${name}: ${(err as Error).message}`);
          }
        }
        await lab.setSwitch('none');
      },
    };
  },
  };
}

// ------------------------------------------------------------------------------------------------ Linux bridge

const linuxBridge: Contender = {
  name: 'linux-bridge',
  description: 'Linux bridge, mcast_snooping 1 + mcast_querier 1 (kernel softirq, not pinned)',
  ceiling: false,
  byDefault: true,
  color: '#1f77b4',
  snooping: true,
  offloadsOff: false,
  async unavailable() {
    return (await hasCmd('bridge')) ? null : 'iproute2 `bridge` missing';
  },
  async start(lab) {
    await lab.setSwitch('linux-bridge', { linuxBridge: { options: { mcast_snooping: 1, mcast_querier: 1 } } });
    return {
      pid: null,
      info: (await run('uname', ['-r'])).stdout.trim(),
      stop: async () => {
        await lab.setSwitch('none');
      },
    };
  },
};

// ------------------------------------------------------------------------------------------------ Open vSwitch

const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

const ovs: Contender = {
  name: 'ovs',
  description: 'Open vSwitch userspace (datapath_type=netdev, mcast_snooping_enable, flood-unregistered off), pinned to CPU 1',
  ceiling: false,
  byDefault: true,
  color: '#2ca02c',
  snooping: true,
  offloadsOff: true,
  async unavailable() {
    for (const c of ['ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovsdb-tool']) {
      if (!(await hasCmd(c))) return `${c} missing (bench/setup.sh installs openvswitch-switch)`;
    }
    if (!existsSync(OVS_SCHEMA)) return `${OVS_SCHEMA} missing`;
    if (!existsSync('/dev/net/tun')) return '/dev/net/tun missing (ovs-vswitchd needs it for the bridge port)';
    return null;
  },
  async start(lab, ports) {
    // Its own run directory: nothing of a system OVS is touched, and no kernel module is needed.
    const dir = mkdtempSync(join(tmpdir(), 'igmpswitch-ovs-'));
    const env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
    const procs: LabProcess[] = [];
    const stop = async (): Promise<void> => {
      for (const p of procs.reverse()) await p.stop('SIGTERM', 3_000);
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await run('ovsdb-tool', ['create', join(dir, 'conf.db'), OVS_SCHEMA], { env });
      const db = lab.spawnSwitch('ovsdb-server', [
        join(dir, 'conf.db'), `--remote=punix:${join(dir, 'db.sock')}`, `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
        `--unixctl=${join(dir, 'ovsdb-server.ctl')}`, `--log-file=${join(dir, 'ovsdb-server.log')}`,
      ], { env, label: 'ovsdb-server' });
      procs.push(db);
      const vsctl = (...a: string[]): Promise<unknown> =>
        lab.execSwitch('ovs-vsctl', [`--db=unix:${join(dir, 'db.sock')}`, '--timeout=20', ...a], { env, timeoutMs: 30_000 });
      for (let i = 0; ; i++) {
        try {
          await vsctl('--no-wait', 'init');
          break;
        } catch (e) {
          if (i > 50) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const vswitchd = lab.spawnSwitch('ovs-vswitchd', [
        `unix:${join(dir, 'db.sock')}`, `--pidfile=${join(dir, 'ovs-vswitchd.pid')}`,
        `--unixctl=${join(dir, 'ovs-vswitchd.ctl')}`, `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
      ], { env, cpu: SWITCH_CPU, label: 'ovs-vswitchd' });
      procs.push(vswitchd);
      await vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=netdev');
      for (const p of ports) await vsctl('add-port', 'br0', p);
      await vsctl('set', 'Bridge', 'br0', 'mcast_snooping_enable=true',
        'other_config:mcast-snooping-disable-flood-unregistered=true');
      const version = (await run('ovs-vswitchd', ['--version'])).stdout.split('\n')[0] ?? 'ovs';
      return { pid: vswitchd.pid, info: version, stop };
    } catch (e) {
      await stop();
      throw e;
    }
  },
};

// ------------------------------------------------------------------------------------------------ C forwarders

export function benchBinary(name: string): string {
  return join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'bin', name);
}

export function cforwardBinary(): string {
  return benchBinary('cforward');
}

/**
 * The C forwarders of bench/ (the ceilings of their I/O methods): binary, flags, what the report says.
 * cxdpforward runs the addon's own XDP program and ring sizes (native/src/xdp_prog.h; generic XDP on veth).
 */
const C_FORWARDERS = {
  recvmmsg: { binary: 'cforward', flags: [], info: 'recvmmsg', what: 'C AF_PACKET forwarder, recvmmsg/sendmmsg' },
  'tpacket-v3': { binary: 'cforward', flags: ['-r'], info: 'tpacket_v3',
    what: 'C AF_PACKET forwarder, TPACKET_V3 RX ring (1 ms block timeout) + sendmmsg' },
  'tpacket-v2': { binary: 'cforward', flags: ['-2'], info: 'tpacket_v2',
    what: 'C AF_PACKET forwarder, TPACKET_V2 RX ring (per-frame status) + sendmmsg' },
  'af-xdp': { binary: 'cxdpforward', flags: [], info: 'af_xdp generic',
    what: 'C AF_XDP forwarder, copy mode, generic XDP, rings 2048' },
} as const;

function cforwardContender(name: string, mode: keyof typeof C_FORWARDERS, color: string): Contender {
  const m = C_FORWARDERS[mode];
  const binary = benchBinary(m.binary);
  return {
    name,
    description: `${m.what}, batch 64, pinned to CPU 1`,
    ceiling: true,
    byDefault: true,
    color,
    snooping: false,
    offloadsOff: true,
    async unavailable() {
      return existsSync(binary) ? null : `${binary} not built (bench/run.sh builds it with gcc)`;
    },
    async start(lab, ports) {
      let proc: LabProcess | null = null;
      const launch = async (ps: string[]): Promise<void> => {
        if (proc) await proc.stop('SIGTERM', 2_000);
        proc = lab.spawnSwitch(binary, [...m.flags, '-b', '64', ...ps], { cpu: SWITCH_CPU, label: name });
        await proc.waitForJson((o) => o['event'] === 'ready', 5_000, `${name} ready`);
        running.pid = proc.pid;
      };
      const running: Running = {
        pid: null,
        info: m.info,
        usePorts: launch,
        stop: async () => {
          if (proc) await proc.stop('SIGTERM', 2_000);
        },
      };
      await launch(ports);
      return running;
    },
  };
}

// ------------------------------------------------------------------------------------------------ the list

/** Every contender, in report order. Adding one is adding an entry here. */
export const CONTENDER_LIST: Contender[] = [
  igmpswitchContender('igmpswitch', 0, true, true, '#d62728'),
  // Tuning variants, measured with --contenders (docs/packet-io.md): the other receive method, busy-polling.
  igmpswitchContender('igmpswitch-recvmmsg', 0, false, false, '#e377c2'),
  igmpswitchContender('igmpswitch-busypoll', 50, true, false, '#ff9896'),
  linuxBridge,
  ovs,
  cforwardContender('cforward', 'recvmmsg', '#7f7f7f'),
  cforwardContender('cforward-ring', 'tpacket-v3', '#bcbd22'),
  cforwardContender('cforward-v2', 'tpacket-v2', '#17becf'),
  cforwardContender('cxdpforward', 'af-xdp', '#9467bd'),
];

export const CONTENDERS: ReadonlyMap<ContenderName, Contender> = new Map(CONTENDER_LIST.map((c) => [c.name, c]));
export const ALL_CONTENDERS: ContenderName[] = CONTENDER_LIST.map((c) => c.name);
export const DEFAULT_CONTENDERS: ContenderName[] = CONTENDER_LIST.filter((c) => c.byDefault).map((c) => c.name);
