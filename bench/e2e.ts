// End-to-end benchmark: igmpswitch against the Linux bridge, Open vSwitch (userspace) and a C AF_PACKET
// forwarder (the ceiling of the I/O method), on one namespace topology, with one generator, in one run.
//
//   sudo npm run bench [-- --reps 3 --window 5 --contenders igmpswitch,linux-bridge,ovs,cforward,cforward-ring
//                           --scenarios a,b,c,d,e --quick --load-pps 50000 --out bench/results]
//
// Topology: host tx (192.0.2.1) and receivers r1..r8 (192.0.2.11..18), each on its own port of the switch.
// Every repetition builds a fresh lab and runs, for each contender in turn (A B C D A B C D …, so drift on a
// shared machine hits all alike):
//   (a) 60-byte multicast from tx to 239.1.1.1, one member (r1) among 8 receiver ports
//   (c) the same with 1500-byte frames
//   (e) round-trip latency tx → r1 (ping -i 0.01): idle, and under a steady 60-byte multicast load (bench/pace.c)
//   (d) TCP throughput tx → r1 (iperf3)
//   (b) 60-byte multicast fan-out to 8 members (r1..r8)
// trafgen (netsniff-ng) floods and bench/pace.c sends (e)'s paced load, both pinned to CPU 0 and sending one frame
// built by the product's encoder (benchFrame); the switch is pinned to CPU 1. Rates are
// measured at the receiving hosts' interfaces (rx_packets), the offered rate at the sender's.

import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createLab,
  labCliPath,
  labUnavailableReason,
  ping,
  readCpuTime,
  run,
  sendMulticast,
  sleep,
  sweepStale,
  type IfCounters,
  type Lab,
  type LabHost,
  type LabProcess,
  type RttStats,
} from '../src/lab/index.js';
import {
  ALL_CONTENDERS,
  CONTENDERS,
  DEFAULT_CONTENDERS,
  GENERATOR_CPU,
  SWITCH_CPU,
  benchBinary,
  cforwardBinary,
  type Contender,
  type ContenderName,
  type Running,
} from './contenders.js';
import { renderSvg, renderTable, summarise, type BenchResults, type Sample, type ScenarioId } from '../src/lab/bench-report.js';
import { buildUdpFrame } from '../src/wire/control-frame.js';

// ------------------------------------------------------------------------------------------------ options

interface Options {
  reps: number;
  windowS: number;
  warmupS: number;
  contenders: ContenderName[];
  scenarios: ScenarioId[];
  receivers: number;
  loadPps: number;
  pingCount: number;
  tcpS: number;
  outDir: string;
  maxStartupS: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    reps: 3,
    windowS: 5,
    warmupS: 1,
    contenders: [...DEFAULT_CONTENDERS],
    scenarios: ['a', 'b', 'c', 'd', 'e'],
    receivers: 8,
    loadPps: 50_000,
    pingCount: 1000,
    tcpS: 5,
    outDir: join(import.meta.dirname, 'results'),
    maxStartupS: 30,
  };
  // node:util parseArgs as the CLI; options apply in the order given (--quick, then --reps 3: 3 repetitions).
  const { tokens } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    tokens: true,
    options: {
      reps: { type: 'string' }, window: { type: 'string' }, warmup: { type: 'string' }, receivers: { type: 'string' },
      'load-pps': { type: 'string' }, 'ping-count': { type: 'string' }, 'tcp-seconds': { type: 'string' },
      out: { type: 'string' }, contenders: { type: 'string' }, scenarios: { type: 'string' },
      quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const v = t.value ?? '';
    switch (t.name) {
      case 'reps': o.reps = Number(v); break;
      case 'window': o.windowS = Number(v); break;
      case 'warmup': o.warmupS = Number(v); break;
      case 'receivers': o.receivers = Number(v); break;
      case 'load-pps': o.loadPps = Number(v); break;
      case 'ping-count': o.pingCount = Number(v); break;
      case 'tcp-seconds': o.tcpS = Number(v); break;
      case 'out': o.outDir = v; break;
      case 'contenders':
        o.contenders = v.split(',').map((s) => {
          if (!ALL_CONTENDERS.includes(s as ContenderName)) throw new Error(`unknown contender ${s} (${ALL_CONTENDERS.join(', ')})`);
          return s as ContenderName;
        });
        break;
      case 'scenarios':
        o.scenarios = v.split(',').map((s) => {
          if (!['a', 'b', 'c', 'd', 'e'].includes(s)) throw new Error(`unknown scenario ${s} (a,b,c,d,e)`);
          return s as ScenarioId;
        });
        break;
      case 'quick':
        o.reps = 1; o.windowS = 2; o.pingCount = 300; o.tcpS = 2;
        break;
      case 'help':
        console.log('usage: npm run bench -- [--quick] [--reps N] [--window S] [--contenders a,b] [--scenarios a,b,c,d,e] [--receivers N] [--load-pps N] [--ping-count N] [--out DIR]');
        console.log(`contenders: ${ALL_CONTENDERS.join(', ')} (default: ${DEFAULT_CONTENDERS.join(', ')})`);
        process.exit(0);
    }
  }
  if (!(o.reps >= 1) || !(o.windowS > 0) || !(o.receivers >= 1 && o.receivers <= 32)) throw new Error('bad --reps/--window/--receivers');
  return o;
}

// ------------------------------------------------------------------------------------------------ measurement helpers

const GROUP = '239.1.1.1';
const PROBE_GROUP = '239.9.9.9';

interface Snap {
  t: number;
  c: IfCounters;
}

/** Read a host's counters and when (midpoint of the read). */
async function snap(h: LabHost): Promise<Snap> {
  const t0 = performance.now();
  const c = await h.counters();
  return { t: (t0 + performance.now()) / 2, c };
}

function rate(a: Snap, b: Snap, key: keyof IfCounters): number {
  return ((b.c[key] - a.c[key]) * 1000) / (b.t - a.t);
}

interface CpuStat {
  t: number;
  perCpu: { busy: number; total: number; softirq: number }[];
}

function readProcStat(): CpuStat {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d+ /.test(l));
  return {
    t: performance.now(),
    perCpu: lines.map((l) => {
      const f = l.trim().split(/\s+/).slice(1).map(Number);
      const total = f.slice(0, 8).reduce((x, y) => x + y, 0);
      const idle = (f[3] ?? 0) + (f[4] ?? 0);
      return { busy: total - idle, total, softirq: f[6] ?? 0 };
    }),
  };
}

/** CPU-seconds spent in softirq on all CPUs between two reads (/proc/stat field 7, USER_HZ = 100). */
function softirqSeconds(a: CpuStat, b: CpuStat): number {
  return b.perCpu.reduce((sum, y, i) => sum + (y.softirq - a.perCpu[i]!.softirq), 0) / 100;
}

function cpuBusyPct(a: CpuStat, b: CpuStat): number[] {
  return a.perCpu.map((x, i) => {
    const y = b.perCpu[i]!;
    return y.total > x.total ? (100 * (y.busy - x.busy)) / (y.total - x.total) : 0;
  });
}

/** The benchmark's multicast frame: IPv4/UDP from src to GROUP, frameBytes long, built by the product's own encoder. */
function benchFrame(src: LabHost, frameBytes: number): Uint8Array {
  const payload = frameBytes - 42; // Ethernet 14 + IPv4 20 + UDP 8
  if (payload < 0) throw new Error('frame too small');
  return buildUdpFrame({ srcMac: src.mac, vlan: 0, src: src.addr, dst: GROUP, srcPort: 40000, dstPort: 5001, ttl: 8,
    payload: new Uint8Array(payload) });
}

function trafgenConfig(src: LabHost, frameBytes: number): string {
  const bytes = [...benchFrame(src, frameBytes)].map((b) => `0x${b.toString(16).padStart(2, '0')}`);
  return `/* ${frameBytes}-byte IPv4/UDP multicast frame to ${GROUP} */\n{ ${bytes.join(', ')} }\n`;
}

/** Flood at the highest rate trafgen reaches. */
async function startTrafgen(src: LabHost, dir: string, frameBytes: number): Promise<LabProcess> {
  const conf = join(dir, `trafgen-${frameBytes}.cfg`);
  writeFileSync(conf, trafgenConfig(src, frameBytes));
  const args = ['--dev', src.link, '--conf', conf, '--cpus', '1', '--no-sock-mem', '-Q'];
  const p = src.spawn('trafgen', args, { cpu: GENERATOR_CPU, processGroup: true, label: 'trafgen' });
  await p.waitFor((l) => l.includes('Running!') || undefined, 10_000, 'trafgen running');
  return p;
}

/**
 * A steady load of pps frames per second (bench/pace.c). Not trafgen --rate: it sends each second's frames in one
 * burst of ~120 ms at 430-680 kpps (measured on this VM), so (e) measured the absorption of that burst.
 */
async function startPacedLoad(src: LabHost, frameBytes: number, pps: number): Promise<LabProcess> {
  const hex = [...benchFrame(src, frameBytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const p = src.spawn(benchBinary('pace'), [src.link, String(pps), hex], { cpu: GENERATOR_CPU, processGroup: true, label: 'pace' });
  await p.waitFor((l) => l.includes('Running!') || undefined, 10_000, 'pace running');
  return p;
}

/** Stops trafgen or pace (SIGINT, then SIGKILL). */
async function stopGenerator(p: LabProcess): Promise<void> {
  p.signal('SIGINT');
  const t = setTimeout(() => p.signal('SIGKILL'), 3_000);
  await p.exited;
  clearTimeout(t);
  // Its forked worker may outlive the parent by a moment.
  await sleep(100);
  p.signal('SIGKILL');
}

interface FloodMeasure {
  offeredKpps: number;
  /** Per member host, kpps received. */
  memberKpps: number[];
  /** Highest rate seen at a non-member port, kpps (should be ~0 for a snooping switch). */
  leakKpps: number;
  switchCpuPct: number | null;
  cpuBusyPct: number[];
  /** CPU-seconds per second in softirq, all CPUs (where the kernel bridge does all its work). */
  softirqPct: number;
  senderDroppedKpps: number;
}

async function measureFlood(
  lab: Lab,
  run_: Running,
  members: LabHost[],
  others: LabHost[],
  frameBytes: number,
  o: Options,
  dir: string,
): Promise<FloodMeasure> {
  const tx = lab.host('tx');
  const tg = await startTrafgen(tx, dir, frameBytes);
  try {
    await sleep(o.warmupS * 1000);
    const all = [tx, ...members, ...others];
    const cpu0 = run_.pid ? readCpuTime(run_.pid) : null;
    const st0 = readProcStat();
    const s0 = await Promise.all(all.map(snap));
    await sleep(o.windowS * 1000);
    const s1 = await Promise.all(all.map(snap));
    const st1 = readProcStat();
    const cpu1 = run_.pid ? readCpuTime(run_.pid) : null;
    const elapsed = (st1.t - st0.t) / 1000;
    const m = members.length;
    return {
      offeredKpps: rate(s0[0]!, s1[0]!, 'txPackets') / 1000,
      senderDroppedKpps: rate(s0[0]!, s1[0]!, 'txDropped') / 1000,
      memberKpps: members.map((_, i) => rate(s0[1 + i]!, s1[1 + i]!, 'rxPackets') / 1000),
      leakKpps: Math.max(0, ...others.map((_, i) => rate(s0[1 + m + i]!, s1[1 + m + i]!, 'rxPackets') / 1000)),
      switchCpuPct: cpu0 && cpu1 ? (100 * (cpu1.total - cpu0.total)) / elapsed : null,
      cpuBusyPct: cpuBusyPct(st0, st1),
      softirqPct: (100 * softirqSeconds(st0, st1)) / elapsed,
    };
  } finally {
    await stopGenerator(tg);
  }
}

/** µs of CPU per delivered frame, from a CPU share (% of one CPU) and the members' receive rates (kpps). */
function cpuUsPerFrame(cpuPct: number, memberKpps: number[]): number | null {
  const kpps = memberKpps.reduce((x, y) => x + y, 0);
  return kpps > 0 ? (cpuPct / 100 / (kpps * 1000)) * 1e6 : null;
}

/** Join GROUP on hosts with `ip addr … autojoin` (the kernel reports at once, and answers queries). */
async function joinGroup(hosts: LabHost[]): Promise<void> {
  for (const h of hosts) {
    await h.exec('ip', ['addr', 'del', `${GROUP}/32`, 'dev', h.ifname], { allowFail: true });
    await h.exec('ip', ['addr', 'add', `${GROUP}/32`, 'dev', h.ifname, 'autojoin']);
  }
}

/**
 * Wait until the switch filters: a burst to GROUP reaches the first member, and bursts to GROUP and to an
 * unjoined group do not reach a non-member. Returns seconds waited (the Linux bridge floods ~10 s).
 */
async function waitFiltering(lab: Lab, member: LabHost, nonMember: LabHost | null, maxS: number): Promise<number> {
  const t0 = Date.now();
  const tx = lab.host('tx');
  for (;;) {
    const m0 = await member.counters();
    const n0 = nonMember ? await nonMember.counters() : null;
    await sendMulticast(tx, { groups: [GROUP, PROBE_GROUP], count: 50, rate: 2000, size: 32 });
    await sleep(100);
    const m1 = await member.counters();
    const n1 = nonMember ? await nonMember.counters() : null;
    const memberOk = m1.rxPackets - m0.rxPackets >= 45;
    const nonMemberOk = !n0 || !n1 || n1.rxPackets - n0.rxPackets < 5;
    if (memberOk && nonMemberOk) return (Date.now() - t0) / 1000;
    if ((Date.now() - t0) / 1000 > maxS) {
      throw new Error(`not filtering after ${maxS} s (member got ${m1.rxPackets - m0.rxPackets}/50, non-member ${n1 && n0 ? n1.rxPackets - n0.rxPackets : '-'})`);
    }
    await sleep(500);
  }
}

async function setOffloads(lab: Lab, off: boolean): Promise<void> {
  if (!off) return;
  for (const h of lab.hosts) await h.exec('ethtool', ['-K', h.link, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'], { allowFail: true });
  for (const p of lab.ports) await lab.execSwitch('ethtool', ['-K', p, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'], { allowFail: true });
}

async function iperf(lab: Lab, seconds: number): Promise<number> {
  const server = lab.host('r1');
  const client = lab.host('tx');
  const srv = server.spawn('iperf3', ['-s', '-1', '--forceflush', '-B', server.addr, '-p', '5202'], { cpu: GENERATOR_CPU, label: 'iperf3-s' });
  try {
    await srv.waitFor((l) => l.includes('Server listening') || undefined, 10_000, 'iperf3 server');
    const r = await client.exec('taskset', ['-c', String(GENERATOR_CPU), 'iperf3', '-c', server.addr, '-p', '5202', '-t', String(seconds), '-J'], {
      timeoutMs: (seconds + 30) * 1000,
      allowFail: true,
    });
    const j = JSON.parse(r.stdout) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
    if (j.error) throw new Error(`iperf3: ${j.error}`);
    return (j.end?.sum_received?.bits_per_second ?? NaN) / 1e6;
  } finally {
    await srv.stop('SIGTERM', 2_000);
  }
}

// ------------------------------------------------------------------------------------------------ one repetition

async function runContender(c: Contender, rep: number, o: Options, dir: string, log: (s: string) => void): Promise<Sample[]> {
  const samples: Sample[] = [];
  const add = (scenario: ScenarioId, values: Record<string, number | null>, extra: Record<string, unknown> = {}): void => {
    samples.push({ contender: c.name, rep, scenario, values, extra });
  };
  const receivers = Array.from({ length: o.receivers }, (_, i) => ({ name: `r${i + 1}`, ipv4: `192.0.2.${11 + i}/24` }));
  const lab = await createLab({ hosts: [{ name: 'tx', ipv4: '192.0.2.1/24' }, ...receivers], switch: 'none', prefix: 'igb' });
  let running: Running | null = null;
  try {
    await setOffloads(lab, c.offloadsOff);
    const tx = lab.host('tx');
    const rs = lab.hosts.filter((h) => h.name !== 'tx');
    const r1 = rs[0]!;
    const ceilingPorts = [tx.port, r1.port];
    running = await c.start(lab, c.snooping ? [...lab.ports] : ceilingPorts);
    await joinGroup([r1]);
    const waited = c.snooping ? await waitFiltering(lab, r1, rs.at(-1) ?? null, o.maxStartupS) : 0;
    log(`    ${c.name}: filtering after ${waited.toFixed(1)} s`);

    const flood = async (id: ScenarioId, members: LabHost[], frameBytes: number): Promise<void> => {
      const others = rs.filter((h) => !members.includes(h));
      const m = await measureFlood(lab, running!, members, others, frameBytes, o, dir);
      const sorted = [...m.memberKpps].sort((x, y) => x - y);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      add(id, {
        kpps: median,
        minMemberKpps: sorted[0]!,
        totalKpps: m.memberKpps.reduce((x, y) => x + y, 0),
        offeredKpps: m.offeredKpps,
        leakKpps: m.leakKpps,
        gbps: (median * 1000 * frameBytes * 8) / 1e9,
        switchCpuPct: m.switchCpuPct,
        // Forwarded frames per second per CPU-second of the switch process: comparable even when the shared
        // machine gives the pinned process less than a whole CPU.
        kppsPerCpu: m.switchCpuPct ? m.memberKpps.reduce((x, y) => x + y, 0) / (m.switchCpuPct / 100) : null,
        // CPU time per forwarded frame (frames delivered to all members): the switch process's CPU, or for a
        // kernel switch (no process) the softirq time of all CPUs, which is where the bridge forwards.
        cpuUsPerFrame: cpuUsPerFrame(m.switchCpuPct ?? m.softirqPct, m.memberKpps),
        softirqUsPerFrame: cpuUsPerFrame(m.softirqPct, m.memberKpps),
        cpu0Pct: m.cpuBusyPct[0] ?? null,
        cpu1Pct: m.cpuBusyPct[1] ?? null,
      });
      log(`    ${c.name} (${id}) ${frameBytes} B → ${members.length} member(s): ${median.toFixed(1)} kpps per member ` +
        `(offered ${m.offeredKpps.toFixed(0)}, leak ${m.leakKpps.toFixed(1)}, switch CPU ${m.switchCpuPct?.toFixed(0) ?? '-'}%, ` +
        `${cpuUsPerFrame(m.switchCpuPct ?? m.softirqPct, m.memberKpps)?.toFixed(2) ?? '-'} µs CPU/frame, ` +
        `cpu0/1 ${m.cpuBusyPct.map((x) => x.toFixed(0)).join('/')}%)`);
    };

    if (o.scenarios.includes('a')) await flood('a', [r1], 60);
    if (o.scenarios.includes('c')) await flood('c', [r1], 1500);
    if (o.scenarios.includes('e')) {
      const idle: RttStats = await ping(tx, r1.addr, { count: o.pingCount, intervalS: 0.01, timeoutS: 1 });
      const tg = await startPacedLoad(tx, 60, o.loadPps);
      let loaded: RttStats;
      let loadRx = 0;
      try {
        await sleep(500);
        const a = await snap(r1);
        loaded = await ping(tx, r1.addr, { count: o.pingCount, intervalS: 0.01, timeoutS: 1 });
        const b = await snap(r1);
        loadRx = rate(a, b, 'rxPackets') / 1000;
      } finally {
        await stopGenerator(tg);
      }
      add('e', {
        idleP50: idle.p50, idleP99: idle.p99, idleLoss: idle.loss,
        loadP50: loaded.p50, loadP99: loaded.p99, loadLoss: loaded.loss, loadKpps: loadRx,
      });
      log(`    ${c.name} (e) RTT idle p50 ${idle.p50.toFixed(3)} p99 ${idle.p99.toFixed(3)} ms; under ${o.loadPps / 1000} kpps ` +
        `p50 ${loaded.p50.toFixed(3)} p99 ${loaded.p99.toFixed(3)} ms (loss ${(100 * loaded.loss).toFixed(1)}%, member got ${loadRx.toFixed(0)} kpps)`);
    }
    if (o.scenarios.includes('d')) {
      let mbps: number | null = null;
      let err: string | undefined;
      try {
        mbps = await iperf(lab, o.tcpS);
      } catch (e) {
        err = (e as Error).message;
      }
      add('d', { mbps }, err ? { error: err } : {});
      log(`    ${c.name} (d) TCP ${mbps === null ? `failed: ${err}` : `${mbps.toFixed(0)} Mbit/s`}`);
    }
    if (o.scenarios.includes('b')) {
      await joinGroup(rs.slice(1));
      if (running.usePorts) await running.usePorts([...lab.ports]);
      await sleep(1500);
      if (c.snooping) await waitFiltering(lab, rs.at(-1)!, null, 10);
      await flood('b', rs, 60);
    }
  } finally {
    try {
      await running?.stop();
    } finally {
      await lab.destroy();
    }
  }
  return samples;
}

// ------------------------------------------------------------------------------------------------ main

/** The commit measured, with "-dirty" when the working tree has changes. */
function gitDescribe(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', cwd: import.meta.dirname }).trim();
  } catch {
    return 'unknown';
  }
}

function machine(): BenchResults['machine'] {
  const cpuList = cpus();
  let kernel = '';
  try {
    kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  } catch {
    /* */
  }
  return {
    cpus: cpuList.length,
    model: cpuList[0]?.model ?? 'unknown',
    kernel,
    node: process.version,
    loadavgStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    loadavgEnd: '',
  };
}

/** A path as the results record it: relative to the checkout when inside it (no machine-specific prefix). */
function inRepo(path: string): string {
  const r = relative(join(import.meta.dirname, '..'), path);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : path;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const why = await labUnavailableReason();
  if (why) {
    console.error(`bench: ${why}`);
    process.exit(1);
  }
  for (const tool of ['trafgen', 'iperf3', 'ping', 'ethtool', 'taskset']) {
    if ((await run('sh', ['-c', `command -v ${tool}`], { allowFail: true })).code !== 0) {
      console.error(`bench: ${tool} missing; run bench/setup.sh (npm run bench does)`);
      process.exit(1);
    }
  }
  if (cpus().length < 2) console.warn('bench: fewer than 2 CPUs: the switch and the generator will share one');
  await sweepStale('igb');

  const notes: string[] = [];
  const contenders: Contender[] = [];
  for (const name of o.contenders) {
    const c = CONTENDERS.get(name)!;
    const reason = await c.unavailable();
    if (reason) {
      notes.push(`${name} skipped: ${reason}`);
      console.log(`bench: ${name} skipped: ${reason}`);
    } else contenders.push(c);
  }
  if (!contenders.length) {
    console.error('bench: no contender can run');
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'igmpswitch-bench-'));
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: machine(),
    options: {
      ...o, outDir: inRepo(o.outDir), switchCpu: SWITCH_CPU, generatorCpu: GENERATOR_CPU, cforward: inRepo(cforwardBinary()),
      igmpswitchCli: inRepo(labCliPath()), commit: gitDescribe(),
    },
    contenders: contenders.map((c) => ({
      name: c.name, description: c.description, offloadsOff: c.offloadsOff, ceiling: c.ceiling, color: c.color,
    })),
    notes,
    samples: [],
    failures: [],
    summary: [],
  };
  const log = (s: string): void => console.log(s);
  log(`bench: ${contenders.map((c) => c.name).join(', ')}; scenarios ${o.scenarios.join(',')}; ${o.reps} repetition(s), ` +
    `${o.windowS} s windows; ${results.machine.cpus} × ${results.machine.model}; load average ${results.machine.loadavgStart}`);
  try {
    for (let rep = 1; rep <= o.reps; rep++) {
      for (const c of contenders) {
        log(`  rep ${rep}/${o.reps}: ${c.name}`);
        try {
          results.samples.push(...(await runContender(c, rep, o, dir, log)));
        } catch (e) {
          const msg = (e as Error).message.split('\n').slice(0, 6).join('\n');
          results.failures.push({ contender: c.name, rep, error: msg });
          log(`    ${c.name} failed: ${msg}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  results.machine.loadavgEnd = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  results.summary = summarise(results);
  mkdirSync(o.outDir, { recursive: true });
  const table = renderTable(results);
  console.log(`\n${table}`);
  writeFileSync(join(o.outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(o.outDir, 'latest.svg'), renderSvg(results));
  writeFileSync(join(o.outDir, 'latest.txt'), `${table}\n`);
  console.log(`\nwritten: ${join(o.outDir, 'latest.json')}, latest.svg, latest.txt`);
}

if (!existsSync(cforwardBinary())) {
  console.warn(`bench: ${cforwardBinary()} missing; bench/run.sh builds it (gcc, bench/cforward.c + bench/forwarder.c)`);
}
await main();
