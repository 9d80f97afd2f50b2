// End-to-end control-plane benchmark of the running daemon (issue 6, scenarios f and g):
//
//   (f) membership reports per second absorbed, per address family: a host blasts IGMPv3 (then MLDv2) reports, one
//       group record each (one CHANGE_TO_EXCLUDE({}) per report, i.e. a join), for distinct groups, from AF_PACKET
//       as fast as it can (or at --rate). The frames are built here with the product's encoders (src/wire) and
//       sent by a small Python loop. The daemon's "groups learned" figure is polled on its control socket
//       (`show stats --json`: engine.groups; cross-checked against `show groups --json` at the end of each phase).
//       Absorbed rate = groups learned / (time of the last new group − time of the first report sent).
//       Phases per family (--families 4,6): 0 → 10 k groups, then 10 k → 100 k groups; IPv6 after IPv4, so the
//       last phase ends with 100 k IPv4 + 100 k IPv6 groups (issue 12 item 5: ≤ 200 MB, ≥ 50,000 reports/s each).
//   (f) join → first packet, with 10 k and then 100 k groups installed: a sender streams to --probe-groups test
//       groups (each at --probe-pps); a receiver opens a socket, takes the time, calls IP_ADD_MEMBERSHIP for one
//       test group and waits for the first datagram. Each probe uses a fresh group (no leave to wait for). IPv4.
//   (g) the daemon's VmRSS (/proc/PID/status) at start, 1 s after each phase (IPv4 10 k, 100 k; then IPv6 on top),
//       and settled (15 s after the last blast).
//
//   sudo node --import tsx bench/control-plane-e2e.ts [--groups 10000,100000] [--families 4,6] [--rate 0] [--probes 20]
//                                                    [--probe-pps 2000] [--log-level info] [--node-arg ARG]… [--out bench/results]
//
// Root (network namespaces). Writes bench/results/control-plane-latest.json and prints a table. The blaster runs on
// GENERATOR_CPU and the switch's data-plane thread on SWITCH_CPU (its main thread is not pinned). The switch runs
// with snooping, its own querier, dataplane.mdb_capacity 262144, snooping.max_groups 0, no report rate limit, and
// logging at "info" (the default: one JSON line per join); --log-level warn reloads it to warn after start.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cpus, loadavg } from 'node:os';
import { stringify } from 'yaml';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createLab, labUnavailableReason, sleep, startSender, sweepStale, type Lab, type LabHost, type SwitchProcess,
} from '../src/lab/index.js';
import { buildIgmpFrame, buildMldFrame } from '../src/wire/control-frame.js';
import { lossSummary } from '../src/lab/observe.js';
import { GENERATOR_CPU, SWITCH_CPU } from '../src/lab/bench-config.js';
import type { StatsView } from '../src/mgmt/api.js';
import { RecordType } from '../src/wire/igmp.js';

type Family = 4 | 6;

interface Options {
  groups: number[];
  /** Address families blasted, in order (4: IGMPv3, 6: MLDv2). */
  families: Family[];
  /** Reports per second offered by the blaster; 0 = as fast as it can. */
  rate: number;
  probes: number;
  probePps: number;
  outDir: string;
  /** Daemon log level during the measurements (reloaded after start); info is the default (one line per join). */
  logLevel: string;
  /** Extra node arguments for the daemon (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof). */
  nodeArgs: string[];
}

function parseOptions(argv: string[]): Options {
  const o: Options = { groups: [10_000, 100_000], families: [4, 6], rate: 0, probes: 20, probePps: 2000, outDir: join(import.meta.dirname, 'results'), logLevel: 'info', nodeArgs: [] };
  // node:util parseArgs as the CLI. Not strict, so that a value may start with a dash (--node-arg --cpu-prof);
  // unknown options and stray words are refused here instead.
  const { tokens } = parseArgs({
    args: argv,
    options: {
      groups: { type: 'string' }, families: { type: 'string' }, rate: { type: 'string' }, probes: { type: 'string' },
      'probe-pps': { type: 'string' }, out: { type: 'string' }, 'log-level': { type: 'string' },
      'node-arg': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind === 'positional') throw new Error(`unknown option ${t.value}`);
    if (t.kind !== 'option') continue;
    const v = (): string => {
      if (t.value === undefined) throw new Error(`${t.rawName} needs a value`);
      return t.value;
    };
    if (t.name === 'groups') o.groups = v().split(',').map(Number);
    else if (t.name === 'families') o.families = v().split(',').map((f) => (f === '6' ? 6 : 4));
    else if (t.name === 'rate') o.rate = Number(v());
    else if (t.name === 'probes') o.probes = Number(v());
    else if (t.name === 'probe-pps') o.probePps = Number(v());
    else if (t.name === 'out') o.outDir = v();
    else if (t.name === 'log-level') o.logLevel = v();
    else if (t.name === 'node-arg') o.nodeArgs.push(v());
    else if (t.name === 'help') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${t.rawName}`);
  }
  return o;
}

const log = (s: string): void => console.error(`[cp-e2e ${new Date().toISOString().slice(11, 19)}] ${s}`);

/** Group number i (0-based) of the blast, IPv4 in 239.16.0.0/12 (clear of the probes), IPv6 in ff05::10:0:0/96. */
const blastGroup = (family: Family, i: number): string => family === 4
  ? `239.${16 + ((i >> 16) & 0x0f)}.${(i >> 8) & 0xff}.${i & 0xff}`
  : `ff05::10:${((i >> 16) & 0xffff).toString(16)}:${(i & 0xffff).toString(16)}`;
const isBlastGroup = (group: string): boolean => /^239\.(1[6-9]|2\d|3[01])\./.test(group) || group.startsWith('ff05::10:');
const probeGroup = (phase: number, k: number): string => `239.1.${phase}.${k + 1}`;

/**
 * The blast's frames, built with the product's encoders: one report with one CHANGE_TO_EXCLUDE({}) record (a join)
 * per group, IGMPv3 to 224.0.0.22 or MLDv2 to ff02::16 (from a link-local source, hop limit 1, Router Alert).
 * Written to `path` as 2-byte big-endian length + frame.
 */
function writeBlastFrames(path: string, family: Family, host: LabHost, first: number, count: number): void {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let i = first; i < first + count; i++) {
    const record = { recordType: RecordType.CHANGE_TO_EXCLUDE_MODE, group: blastGroup(family, i), sources: [] };
    const frame = family === 4
      ? buildIgmpFrame({ srcMac: host.mac, src: host.addr, dst: '224.0.0.22', vlan: 0, message: { type: 'v3-report', records: [record] } })
      : buildMldFrame({ srcMac: host.mac, src: 'fe80::1', dst: 'ff02::16', vlan: 0, message: { type: 'v2-report', records: [record] } });
    const len = new Uint8Array([frame.length >> 8, frame.length & 0xff]);
    chunks.push(len, frame);
    total += 2 + frame.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  writeFileSync(path, out);
}

// The blaster: sends the frames of a file (writeBlastFrames) over AF_PACKET, as fast as it can or at `rate`.
const BLASTER = String.raw`
import socket, struct, sys, time, json
ifname, path, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = open(path, 'rb').read()
frames = []
at = 0
while at < len(data):
    n = struct.unpack('!H', data[at:at + 2])[0]
    frames.append(data[at + 2:at + 2 + n]); at += 2 + n
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
s.bind((ifname, 0))
print(json.dumps({'type': 'ready'}), flush=True)
sys.stdin.readline()
t0 = time.time(); sent = 0
for f in frames:
    while True:
        try:
            s.send(f); break
        except BlockingIOError:
            time.sleep(0.0001)
        except OSError as e:
            if e.errno == 105: time.sleep(0.0001); continue  # ENOBUFS
            raise
    sent += 1
    if rate > 0 and sent % 64 == 0:
        ahead = t0 + sent / rate - time.time()
        if ahead > 0: time.sleep(ahead)
t1 = time.time()
print(json.dumps({'type': 'done', 'sent': sent, 't0': t0, 't1': t1}), flush=True)
`;

// The probe receiver: for each group, time from the IP_ADD_MEMBERSHIP call to the first datagram, and to the
// kernel's membership report leaving the host (seen on an AF_PACKET socket: PACKET_OUTGOING, IP protocol 2).
const PROBE = String.raw`
import socket, struct, sys, time, json, select
iface, ifname, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = []
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL: outgoing frames too
sniff.bind((ifname, 3)); sniff.setblocking(False)
for g in sys.argv[4:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((g, port)); s.setblocking(False)
    while True:
        try: sniff.recv(4096)
        except BlockingIOError: break
    mreq = struct.pack('4s4s', socket.inet_aton(g), socket.inet_aton(iface))
    t0 = time.perf_counter()
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    report = first = None
    while first is None and time.perf_counter() - t0 < 3.0:
        r, _, _ = select.select([s, sniff], [], [], 0.5)
        now = time.perf_counter()
        if sniff in r:
            while True:
                try: data, addr = sniff.recvfrom(4096)
                except BlockingIOError: break
                if report is None and addr[2] == socket.PACKET_OUTGOING and len(data) > 23 and data[12:14] == b'\x08\x00' and data[23] == 2: report = (now - t0) * 1000
        if s in r:
            s.recv(2048); first = (now - t0) * 1000
    out.append([first, report])
    s.close()
    time.sleep(0.2)
print(json.dumps(out), flush=True)
`;

/** How long the daemon idles after the last blast before its settled RSS is read. */
const SETTLE_MS = 15_000;

/** The largest mappings by Rss (CP_SMAPS=1): where the memory is. */
function topMappings(pid: number, n = 8): string {
  const out: [number, string][] = [];
  let head = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) head = line.replace(/\s+/g, ' ').slice(0, 90);
    const m = /^Rss:\s+(\d+) kB/.exec(line);
    if (m) out.push([Number(m[1]) / 1024, head]);
  }
  return out.sort((a, b) => b[0] - a[0]).slice(0, n).map(([mb, h]) => `  ${mb.toFixed(1)} MB ${h}`).join('\n');
}

function vmRssMb(pid: number): number {
  if (process.env['CP_SMAPS']) log(`mappings of ${pid}:\n${topMappings(pid)}`);
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The node process of the daemon (the lab may start it under taskset, which execs). */
function daemonPid(sw: SwitchProcess): number {
  return sw.pid;
}

async function groupsCreated(sw: SwitchProcess): Promise<number> {
  const s = (await sw.request('stats', {}, 60_000)) as { engine: Record<string, number | string> };
  const v = s.engine['groups'];
  if (v === undefined) throw new Error(`no groups in engine stats: ${Object.keys(s.engine).join(', ')}`);
  return Number(v);
}

/** Rows of `show groups` for blast groups (both families). */
async function groupCount(sw: SwitchProcess): Promise<number> {
  const rows = (await sw.request('groups', {}, 60_000)) as { group?: string }[];
  return rows.filter((r) => isBlastGroup(String(r.group))).length;
}

interface BlastResult {
  family: Family;
  from: number;
  to: number;
  sent: number;
  sendSeconds: number;
  offeredPerS: number;
  learned: number;
  absorbSeconds: number;
  absorbedPerS: number;
  groupsAfter: number;
}

async function blast(lab: Lab, host: LabHost, sw: SwitchProcess, family: Family, from: number, to: number, rate: number): Promise<BlastResult> {
  const count = to - from;
  const path = join(tmpdir(), `igc-blast-${process.pid}-${family}-${from}.bin`);
  writeBlastFrames(path, family, host, from, count);
  // On the other CPU than the data-plane thread: the reporters are other machines, not a process that the switch's
  // forwarding thread (nice -10) preempts and turns into a bursty sender.
  const p = host.spawn('python3', ['-c', BLASTER, host.link, path, String(rate)], { label: 'blaster', cpu: GENERATOR_CPU });
  try {
    await p.waitForJson((o) => o['type'] === 'ready', 120_000, 'blaster ready');
  } finally {
    rmSync(path, { force: true }); // read by then (or the blaster failed)
  }
  const before = await groupsCreated(sw);
  const series: [number, number][] = [];
  const t0 = Date.now() / 1000;
  p.send('go');
  let last = before;
  let lastChange = t0;
  let doneAt = 0;
  for (;;) {
    await sleep(50);
    const n = await groupsCreated(sw);
    const now = Date.now() / 1000; // after the answer: a busy daemon answers late, and the count is as of then
    series.push([now, n]);
    if (n > last) { // only increases: probe groups of the previous phase may be leaving meanwhile
      last = n;
      lastChange = now;
    }
    const done = p.json<{ type: string }>().some((o) => o.type === 'done');
    if (done && !doneAt) doneAt = now;
    if (last - before >= count) break;
    if (doneAt && now - lastChange > 2) break; // no progress for 2 s after the last report was sent
    if (now - t0 > 600) throw new Error('blast: no end after 600 s');
  }
  const d = p.json<{ type: string; sent: number; t0: number; t1: number }>().find((o) => o.type === 'done');
  await p.exited;
  if (!d) throw new Error(`blaster ended without a report\n${p.tail()}`);
  const learned = last - before;
  // The first report leaves at d.t0 (same clock: both sides are on this machine).
  const absorbSeconds = Math.max(1e-3, lastChange - d.t0);
  const groupsAfter = await groupCount(sw);
  return {
    family, from, to, sent: d.sent, sendSeconds: d.t1 - d.t0, offeredPerS: d.sent / (d.t1 - d.t0),
    learned, absorbSeconds, absorbedPerS: learned / absorbSeconds, groupsAfter,
  };
}

async function joinLatency(lab: Lab, tx: LabHost, rx: LabHost, phase: number, o: Options): Promise<{ ms: (number | null)[]; reportMs: (number | null)[] }> {
  const groups = Array.from({ length: o.probes }, (_, k) => probeGroup(phase, k));
  const sender = await startSender(tx, { groups, rate: o.probePps, size: 64, ttl: 4, port: 5002 });
  try {
    await sleep(500);
    const r = await rx.exec('python3', ['-c', PROBE, rx.addr, rx.link, '5002', ...groups], { timeoutMs: 10_000 + o.probes * 4000 });
    const pairs = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as [number | null, number | null][];
    return { ms: pairs.map((p) => p[0]), reportMs: pairs.map((p) => p[1]) };
  } finally {
    await sender.stop().catch(() => {});
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const why = await labUnavailableReason();
  if (why) throw new Error(`lab unavailable: ${why}`);
  await sweepStale('igc');
  log(`${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; groups ${o.groups.join(', ')}; offered rate ${o.rate || 'max'}`);
  const lab = await createLab({
    prefix: 'igc',
    hosts: [{ name: 'blaster', ipv4: '192.0.2.1/24' }, { name: 'tx', ipv4: '192.0.2.2/24' }, { name: 'rx', ipv4: '192.0.2.3/24' }],
    switch: 'igmpswitch',
    igmpswitch: {
      readyTimeoutMs: 60_000,
      nodeArgs: o.nodeArgs,
      config: {
        snooping: {
          max_groups: 0,
          report_rate_limit: 0,
          querier: { enabled: true, address: '192.0.2.254', version: 3 },
          query_response_interval: '1s',
        },
        dataplane: { mdb_capacity: 262_144, cpu: SWITCH_CPU },
        logging: { level: 'info' },
      },
    },
  });
  const results: Record<string, unknown> = { logLevel: o.logLevel, date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavg: loadavg() };
  try {
    const sw = lab.switch!;
    const pid = daemonPid(sw);
    const blaster = lab.host('blaster');
    const tx = lab.host('tx');
    const rx = lab.host('rx');
    if (o.logLevel !== 'info') {
      writeFileSync(sw.configPath, stringify({ ...sw.config, logging: { ...(sw.config['logging'] as object), level: o.logLevel } }));
      await sw.request('reload', {}, 10_000);
    }
    await sleep(3000); // querier elected, snooping on
    const rss: Record<string, number> = { start: vmRssMb(pid) };
    log(`daemon pid ${pid}, VmRSS ${rss['start']!.toFixed(1)} MB at start`);
    const blasts: BlastResult[] = [];
    const latency: Record<string, unknown> = {};
    let phase = 0;
    for (const family of o.families) {
      let installed = 0;
      for (const target of o.groups) {
        phase++;
        const b = await blast(lab, blaster, sw, family, installed, target, o.rate);
        blasts.push(b);
        installed = target;
        const at = `ipv${family} ${target}`;
        log(`IPv${family} blast ${b.from} → ${b.to}: sent ${b.sent} in ${b.sendSeconds.toFixed(2)} s (${Math.round(b.offeredPerS)}/s offered); ` +
          `learned ${b.learned} in ${b.absorbSeconds.toFixed(2)} s = ${Math.round(b.absorbedPerS)} reports/s absorbed; ` +
          `show groups: ${b.groupsAfter} rows`);
        log(`  where reports were lost (switch totals so far): ${lossSummary((await sw.request('stats', {}, 60_000)) as StatsView)}`);
        await sleep(1000);
        rss[at] = vmRssMb(pid);
        log(`VmRSS with ${target} IPv${family} groups (and the phases before): ${rss[at]!.toFixed(1)} MB`);
        if (family !== 4) continue; // the probes are IPv4 hosts
        const l = await joinLatency(lab, tx, rx, phase, o);
        const ok = l.ms.filter((x): x is number => x !== null);
        const rep = l.reportMs.filter((x): x is number => x !== null);
        // What the switch adds: from the report leaving the receiver to the first datagram, per probe.
        const afterReport = l.ms.flatMap((x, k) => (x !== null && l.reportMs[k] != null ? [x - l.reportMs[k]!] : []));
        latency[String(target)] = {
          probes: l.ms.length, missed: l.ms.length - ok.length,
          p50: ok.length ? quantile(ok, 0.5) : null, min: ok.length ? Math.min(...ok) : null,
          max: ok.length ? Math.max(...ok) : null, p90: ok.length ? quantile(ok, 0.9) : null,
          reportP50: rep.length ? quantile(rep, 0.5) : null,
          afterReportP50: afterReport.length ? quantile(afterReport, 0.5) : null,
          afterReportMin: afterReport.length ? Math.min(...afterReport) : null,
          probePps: o.probePps, samples: l.ms, reportSamples: l.reportMs,
        };
        log(`join → first packet with ${target} groups: ${JSON.stringify(latency[String(target)], (k, v) => (k === 'samples' || k === 'reportSamples' ? undefined : typeof v === 'number' ? Math.round(v * 100) / 100 : v))}`);
        rss[`${at}+probes`] = vmRssMb(pid);
        await sleep(3000); // the probe groups' leaves are processed before the next blast
      }
    }
    // And once the storm is over: V8's memory reducer compacts the heap after a few seconds of low allocation; what
    // a running daemon holds (1 s after the last blast it still holds that blast's garbage).
    await sleep(SETTLE_MS);
    rss['settled'] = vmRssMb(pid);
    log(`VmRSS ${SETTLE_MS / 1000} s after the last blast: ${rss['settled']!.toFixed(1)} MB`);
    Object.assign(results, { blasts, latency, rssMb: rss });
    if (process.env['CP_HEAP_SNAPSHOT']) { // with --node-arg --heapsnapshot-signal=SIGUSR2 --node-arg --diagnostic-dir=DIR
      process.kill(pid, 'SIGUSR2');
      await sleep(Number(process.env['CP_HEAP_SNAPSHOT']) * 1000);
    }

    console.log('\nControl plane, end to end (igmpswitch daemon in a namespace lab)');
    console.log('scenario                                   | value');
    for (const b of blasts) {
      console.log(`(f) IPv${b.family} reports/s absorbed, ${String(b.from).padStart(6)} → ${String(b.to).padEnd(6)} groups | ${Math.round(b.absorbedPerS)} /s (offered ${Math.round(b.offeredPerS)} /s, learned ${b.learned}/${b.sent})`);
    }
    for (const [g, l] of Object.entries(latency) as [string, { p50: number | null; min: number | null; max: number | null; missed: number; probes: number; reportP50: number | null; afterReportP50: number | null }][]) {
      console.log(`(f) join → first packet, ${g.padEnd(6)} groups       | p50 ${l.p50?.toFixed(2)} ms, min ${l.min?.toFixed(2)}, max ${l.max?.toFixed(2)} (${l.probes - l.missed}/${l.probes}; packet spacing ${(1000 / o.probePps).toFixed(2)} ms); ` +
        `kernel report sent after p50 ${l.reportP50?.toFixed(2)} ms, report → first packet p50 ${l.afterReportP50?.toFixed(2)} ms`);
    }
    for (const [k, v] of Object.entries(rss)) console.log(`(g) VmRSS ${k.padEnd(20)}             | ${v.toFixed(1)} MB`);
    mkdirSync(o.outDir, { recursive: true });
    writeFileSync(join(o.outDir, 'control-plane-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${join(o.outDir, 'control-plane-latest.json')}`);
  } finally {
    await lab.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
