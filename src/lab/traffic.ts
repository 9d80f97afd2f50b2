// Traffic between lab hosts, measured by the hosts themselves: the agents in src/lab/agents/ run with plain
// `node` inside the host namespaces and print JSON lines that these wrappers collect.

import { agentPath, nodeBin } from './paths.js';
import { run, type LabProcess } from './proc.js';
import type { LabHost } from './topology.js';

// ------------------------------------------------------------------------------------------ multicast receive

export interface Membership {
  group: string;
  /** Source for a source-specific join (IGMPv3 INCLUDE {S}); null = any source. */
  source?: string | null;
}

export interface GroupCount {
  group: string;
  source: string | null;
  /** In the last interval. */
  packets: number;
  bytes: number;
  pps: number;
  bps: number;
  totalPackets: number;
  totalBytes: number;
  /** Gaps in the sender's sequence numbers seen so far. */
  lost: number;
  /** Mean one-way delay in the interval (sender's timestamp to receipt, same machine clock). */
  latencyMs: number | null;
}

export interface ReceiverReport {
  type: 'report';
  /** ms since the receiver started */
  t: number;
  /** interval in seconds */
  dt: number;
  groups: GroupCount[];
  total: { packets: number; bytes: number; pps: number };
  /** Host interface rx counters: every frame the switch delivered to this port, joined or not. */
  wire: { rxPackets: number; rxBytes: number; pps: number; bps: number } | null;
}

export interface ReceiverOptions {
  /** Memberships to join at start. */
  join?: Membership[];
  /** UDP port (default 5001). */
  port?: number;
  /** Report interval in ms (default 1000). */
  intervalMs?: number;
}

export interface Receiver {
  readonly host: LabHost;
  readonly process: LabProcess;
  /** Join (IGMP report from the host's kernel); resolves when the socket has joined. */
  join(group: string, source?: string | null): Promise<void>;
  /** Leave (the kernel sends the leave/TO_IN report when the last socket leaves). */
  leave(group: string, source?: string | null): Promise<void>;
  /** Memberships currently held. */
  memberships(): Membership[];
  reports(): ReceiverReport[];
  latest(): ReceiverReport | null;
  onReport(fn: (r: ReceiverReport) => void): () => void;
  /** Ask for a report now and wait for it. */
  reportNow(timeoutMs?: number): Promise<ReceiverReport>;
  /** Total packets received for a membership (or all) so far, from the last report. */
  total(group?: string, source?: string | null): number;
  stop(): Promise<void>;
}

export async function startReceiver(host: LabHost, opts: ReceiverOptions = {}): Promise<Receiver> {
  const args = [
    agentPath('mcast-recv.mjs'),
    '--port', String(opts.port ?? 5001),
    '--iface', host.addr,
    '--ifname', host.link,
    '--interval', String(opts.intervalMs ?? 1000),
  ];
  const proc = host.spawn(nodeBin(), args, { label: `${host.name}:recv` });
  await proc.waitForJson((o) => o['type'] === 'ready', 10_000, 'receiver ready');
  const held = new Map<string, Membership>();
  const k = (g: string, s?: string | null): string => `${g}|${s ?? '*'}`;
  const reports = (): ReceiverReport[] => proc.json<ReceiverReport>().filter((o) => o.type === 'report');
  const rx: Receiver = {
    host,
    process: proc,
    async join(group, source = null) {
      const before = countLines(proc, 'joined', group, source);
      const errorsBefore = countLines(proc, 'error', group, undefined);
      proc.send(JSON.stringify({ op: 'join', group, source }));
      held.set(k(group, source), { group, source });
      await pollLines(proc, `join ${group}${source ? ` from ${source}` : ''}`, () => {
        if (countLines(proc, 'error', group, undefined) > errorsBefore) {
          const err = proc.json().filter((o) => o['type'] === 'error' && o['group'] === group).at(-1);
          throw new Error(`${host.name}: join ${group}: ${String(err?.['message'])}`);
        }
        return countLines(proc, 'joined', group, source) > before;
      });
    },
    async leave(group, source = null) {
      if (!held.has(k(group, source))) return;
      const before = countLines(proc, 'left', group, source);
      proc.send(JSON.stringify({ op: 'leave', group, source }));
      held.delete(k(group, source));
      await pollLines(proc, `leave ${group}`, () => countLines(proc, 'left', group, source) > before);
    },
    memberships: () => [...held.values()],
    reports,
    latest: () => reports().at(-1) ?? null,
    onReport(fn) {
      return proc.onLine((line, stream) => {
        if (stream !== 'stdout') return;
        const o = safeJson(line);
        if (o && o['type'] === 'report') fn(o as unknown as ReceiverReport);
      });
    },
    async reportNow(timeoutMs = 3_000) {
      const n = reports().length;
      const p = new Promise<ReceiverReport>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new Error(`${host.name}: no report within ${timeoutMs} ms`));
        }, timeoutMs);
        const off = rx.onReport((r) => {
          if (reports().length > n) {
            clearTimeout(timer);
            off();
            resolve(r);
          }
        });
      });
      proc.send(JSON.stringify({ op: 'report' }));
      return p;
    },
    total(group, source) {
      const last = rx.latest();
      if (!last) return 0;
      return last.groups
        .filter((g) => (group === undefined || g.group === group) && (source === undefined || g.source === source))
        .reduce((a, g) => a + g.totalPackets, 0);
    },
    async stop() {
      if (!proc.running) return;
      proc.send(JSON.stringify({ op: 'quit' }));
      const timer = setTimeout(() => proc.signal('SIGTERM'), 2_000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
  for (const m of opts.join ?? []) await rx.join(m.group, m.source ?? null);
  return rx;
}

function countLines(proc: LabProcess, type: string, group: string, source: string | null | undefined): number {
  return proc.json().filter(
    (o) => o['type'] === type && o['group'] === group && (source === undefined || (o['source'] ?? null) === source),
  ).length;
}

async function pollLines(proc: LabProcess, what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (!proc.running) throw new Error(`${proc.label}: exited before ${what}\n${proc.tail()}`);
    if (Date.now() > until) throw new Error(`${proc.label}: ${what} not confirmed within ${timeoutMs} ms\n${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function safeJson(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------ multicast send

export interface SenderOptions {
  groups: string[];
  /** Packets per second per group (default 100). */
  rate?: number;
  /** UDP payload bytes (default 64, at least 20). Frame size = size + 42 (IPv4, untagged). */
  size?: number;
  ttl?: number;
  port?: number;
  /** Stop after this many packets per group. */
  count?: number;
  /** Stop after this many seconds. */
  durationS?: number;
  intervalMs?: number;
}

export interface SenderReport {
  type: 'report' | 'done';
  t: number;
  dt: number;
  groups: { group: string; sent: number; pps: number; totalSent: number; errors: number }[];
  total: { sent: number; pps: number; totalSent: number };
}

export interface Sender {
  readonly host: LabHost;
  readonly process: LabProcess;
  reports(): SenderReport[];
  latest(): SenderReport | null;
  onReport(fn: (r: SenderReport) => void): () => void;
  /** Resolves with the final report when the sender stops (count/duration reached, or stop()). */
  readonly done: Promise<SenderReport>;
  stop(): Promise<SenderReport>;
}

export async function startSender(host: LabHost, opts: SenderOptions): Promise<Sender> {
  const args = [agentPath('mcast-send.mjs')];
  for (const g of opts.groups) args.push('--group', g);
  args.push(
    '--port', String(opts.port ?? 5001),
    '--rate', String(opts.rate ?? 100),
    '--size', String(opts.size ?? 64),
    '--ttl', String(opts.ttl ?? 1),
    '--interval', String(opts.intervalMs ?? 1000),
    // IPv6 groups: the outgoing interface by scope id (the socket API's form for udp6 sockets).
    '--iface', opts.groups[0]?.includes(':') ? `::%${host.ifname}` : host.addr,
  );
  if (opts.count) args.push('--count', String(opts.count));
  if (opts.durationS) args.push('--duration', String(opts.durationS));
  const proc = host.spawn(nodeBin(), args, { label: `${host.name}:send` });
  await proc.waitForJson((o) => o['type'] === 'started', 10_000, 'sender started');
  const reports = (): SenderReport[] =>
    proc.json<SenderReport>().filter((o) => o.type === 'report' || o.type === 'done');
  const done = proc.exited.then(() => {
    const d = reports().find((r) => r.type === 'done');
    if (!d) throw new Error(`${host.name}: sender ended without a final report\n${proc.tail()}`);
    return d;
  });
  done.catch(() => {});
  return {
    host,
    process: proc,
    reports,
    latest: () => reports().at(-1) ?? null,
    onReport(fn) {
      return proc.onLine((line, stream) => {
        if (stream !== 'stdout') return;
        const o = safeJson(line);
        if (o && (o['type'] === 'report' || o['type'] === 'done')) fn(o as unknown as SenderReport);
      });
    },
    done,
    async stop() {
      proc.signal('SIGTERM');
      return done;
    },
  };
}

/** Send count packets per group at rate and wait until they are out. */
export async function sendMulticast(host: LabHost, opts: SenderOptions & { count: number }): Promise<SenderReport> {
  const s = await startSender(host, opts);
  return s.done;
}

// ------------------------------------------------------------------------------------------ TCP

export interface TcpResult {
  bytes: number;
  bytesReceived: number;
  sha256Sent: string;
  sha256Received: string;
  /** Bytes and digests agree. */
  ok: boolean;
  ms: number;
  mbps: number;
}

/** Transfer `bytes` random bytes over TCP from → to (to.addr) and compare SHA-256 digests. */
export async function tcpTransfer(
  from: LabHost,
  to: LabHost,
  opts: { bytes?: number; port?: number; timeoutMs?: number } = {},
): Promise<TcpResult> {
  const port = opts.port ?? 5201;
  const bytes = opts.bytes ?? 4 * 1024 * 1024;
  const server = to.spawn(nodeBin(), [agentPath('tcp-xfer.mjs'), 'server', '--port', String(port), '--bind', to.addr], {
    label: `${to.name}:tcp-server`,
  });
  try {
    await server.waitForJson((o) => o['type'] === 'listening', 10_000, 'tcp server listening');
    const client = await from.exec(
      nodeBin(),
      [agentPath('tcp-xfer.mjs'), 'client', '--host', to.addr, '--port', String(port), '--bytes', String(bytes)],
      { timeoutMs: opts.timeoutMs ?? 120_000 },
    );
    const sent = client.stdout.split('\n').map(safeJson).find((o) => o?.['type'] === 'sent');
    if (!sent) throw new Error(`tcp client: no result\n${client.stdout}${client.stderr}`);
    const received = await server.waitForJson((o) => o['type'] === 'received', 10_000, 'tcp server result');
    return {
      bytes: Number(sent['bytes']),
      bytesReceived: Number(received['bytes']),
      sha256Sent: String(sent['sha256']),
      sha256Received: String(received['sha256']),
      ok: sent['bytes'] === received['bytes'] && sent['sha256'] === received['sha256'],
      ms: Number(received['ms']),
      mbps: Number(received['mbps']),
    };
  } finally {
    await server.stop('SIGTERM', 1_000);
  }
}

// ------------------------------------------------------------------------------------------ latency

export interface RttStats {
  sent: number;
  received: number;
  loss: number;
  rttsMs: number[];
  min: number;
  avg: number;
  max: number;
  p50: number;
  p99: number;
}

export function rttStats(sent: number, rtts: number[]): RttStats {
  const sorted = [...rtts].sort((a, b) => a - b);
  const q = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : NaN);
  return {
    sent,
    received: rtts.length,
    loss: sent ? 1 - rtts.length / sent : 0,
    rttsMs: rtts,
    min: sorted[0] ?? NaN,
    avg: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN,
    max: sorted.at(-1) ?? NaN,
    p50: q(0.5),
    p99: q(0.99),
  };
}

/**
 * ICMP echo with iputils `ping` from a host to an address: count probes every intervalS seconds
 * (intervals below 0.2 s need root). Per-probe RTTs are parsed for percentiles.
 */
export async function ping(
  from: LabHost,
  to: string,
  opts: { count?: number; intervalS?: number; timeoutS?: number; size?: number } = {},
): Promise<RttStats> {
  const count = opts.count ?? 3;
  const args = ['-n', '-c', String(count), '-i', String(opts.intervalS ?? 0.2), '-W', String(opts.timeoutS ?? 2)];
  if (opts.size !== undefined) args.push('-s', String(opts.size));
  args.push(to);
  let r;
  try {
    r = await from.exec('ping', args, { allowFail: true, timeoutMs: (count * (opts.intervalS ?? 0.2) + (opts.timeoutS ?? 2) + 5) * 1000 });
  } catch (e) {
    throw new Error(`${(e as Error).message} (ping comes from iputils-ping)`);
  }
  const rtts = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  const tx = /(\d+) packets transmitted/.exec(r.stdout);
  return rttStats(tx ? Number(tx[1]) : count, rtts);
}

/** Is a command available inside the lab (e.g. ping, tcpdump)? */
export async function hasCommand(cmd: string): Promise<boolean> {
  const r = await run('sh', ['-c', `command -v ${cmd}`], { allowFail: true });
  return r.code === 0;
}
