// Watching a lab's switch from outside, for the namespace tests and the soak benchmark alike: management views,
// the daemon's RSS and error logs, a tcpdump packet counter, a TCP transfer loop, polling waits.

import { readFileSync } from 'node:fs';
import type { GroupRow, PortRow, QuerierView, StatsView } from '../mgmt/api.js';
import { sleep } from './proc.js';
import type { Lab, LabHost, LabProcess, SwitchProcess } from './index.js';
import { cliJson } from './daemon-process.js';
import { tcpTransfer, type TcpResult } from './traffic.js';

export { sleep };

/**
 * Poll fn every intervalMs until it returns a value other than undefined/false/null, or throw after timeoutMs with
 * the last value seen (describe() turns it into text).
 */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 5_000,
  intervalMs = 50,
  describe?: () => Promise<string> | string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await fn();
    if (last !== undefined && last !== false && last !== null) return last as T;
    if (Date.now() > until) {
      const d = describe ? await describe() : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${d}`);
    }
    await sleep(intervalMs);
  }
}

export function sw(lab: Lab): SwitchProcess {
  if (!lab.switch) throw new Error('igmpswitch is not running in this lab');
  return lab.switch;
}

/** Resident set size of a process in KiB (VmRSS of /proc/PID/status), or null when it is gone. */
export function rssKiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export const num = (v: unknown): number => (typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : 0);

/** `igmpswitch show stats --json --socket S`, run inside the switch namespace. */
export async function statsCli(lab: Lab): Promise<StatsView> {
  return (await cliJson(lab.switchNs, ['show', 'stats', '--json', '--socket', sw(lab).socketPath], 15_000)) as StatsView;
}

export async function groups(lab: Lab, timeoutMs = 10_000): Promise<GroupRow[]> {
  return (await sw(lab).request('groups', {}, timeoutMs)) as GroupRow[];
}

export async function ports(lab: Lab): Promise<PortRow[]> {
  return (await sw(lab).request('ports', {}, 10_000)) as PortRow[];
}

export async function querier(lab: Lab): Promise<QuerierView> {
  return (await sw(lab).request('querier')) as QuerierView;
}

/** Wait until snooping filters (the switch is the querier, start-up flood over). */
export function waitSnooping(lab: Lab, timeoutMs = 15_000): Promise<QuerierView> {
  return waitUntil('snooping to filter (show querier: mode snoop)', async () => {
    const q = await querier(lab);
    return q.snoopingActive ? q : undefined;
  }, timeoutMs, 100, async () => JSON.stringify(await querier(lab)));
}

/** Drop counters (or, with "filtered", the policy filter counters), all reasons, as numbers. */
export function drops(s: StatsView, section: 'drops' | 'filtered' = 'drops'): Record<string, number> {
  return Object.fromEntries(Object.entries(s[section]).map(([k, v]) => [k, num(v)]));
}

/**
 * Where a switch lost frames, in one line (the benchmarks print it): non-zero drops, each port's I/O losses
 * (io_*: socket buffers, AF_XDP rings), the engine's refusals, and the data-plane thread's figures.
 */
export function lossSummary(s: StatsView): string {
  const nonZero = (o: Record<string, unknown>, pick: (k: string) => boolean): string[] =>
    Object.entries(o).filter(([k, v]) => pick(k) && num(v) !== 0).map(([k, v]) => `${k} ${String(v)}`);
  const io = s.ports.flatMap((p) => nonZero(p.counters, (k) => k.startsWith('io_')).map((x) => `${p.name} ${x}`));
  return [...nonZero(s.drops, () => true), ...io, ...nonZero(s.engine, (k) => k.startsWith('reject_')),
    `dataplane ${JSON.stringify(s.dataplane ?? null)}`].join('; ');
}

/** Counts frames matching a tcpdump filter on a host's interface (kernel BPF, so a flood costs it nothing). */
export class PacketCounter {
  private constructor(readonly proc: LabProcess) {}

  static async start(host: LabHost, filter: string): Promise<PacketCounter> {
    const proc = host.spawn('tcpdump', ['-i', host.link, '-nn', '-p', '-q', '-B', '4096', '-w', '/dev/null', filter], { label: `${host.name}:tcpdump` });
    await proc.waitFor((line) => /listening on/.test(line) || undefined, 10_000, 'tcpdump to listen');
    return new PacketCounter(proc);
  }

  /** Stop and return "packets captured" (and "dropped by kernel"). */
  async stop(): Promise<{ captured: number; dropped: number }> {
    await this.proc.stop('SIGINT', 3_000);
    const out = this.proc.output();
    const captured = /(\d+) packets? captured/.exec(out);
    const dropped = /(\d+) packets? dropped by kernel/.exec(out);
    if (!captured) throw new Error(`tcpdump: no summary\n${out}`);
    return { captured: Number(captured[1]), dropped: dropped ? Number(dropped[1]) : 0 };
  }
}

/** Repeated TCP transfers from → to until stop() is called; every transfer's bytes verified by SHA-256. */
export class TcpLoop {
  readonly results: TcpResult[] = [];
  readonly errors: string[] = [];
  private stopping = false;
  private readonly done: Promise<void>;

  /** `pauseMs` between transfers (0: back to back). */
  constructor(from: LabHost, to: LabHost, bytes: number, port = 5301, pauseMs = 0) {
    this.done = (async () => {
      let i = 0;
      while (!this.stopping) {
        try {
          this.results.push(await tcpTransfer(from, to, { bytes, port: port + (i++ % 50), timeoutMs: 60_000 }));
        } catch (e) {
          this.errors.push((e as Error).message.slice(0, 500));
          await sleep(200);
        }
        if (pauseMs > 0 && !this.stopping) await sleep(pauseMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }
}

/** The daemon's log lines at level error or fatal (the daemon writes pino levels as labels; numbers just in case). */
export function errorLogs(lab: Lab): Record<string, unknown>[] {
  return sw(lab).logs().filter((l) => l['level'] === 'error' || l['level'] === 'fatal' || (typeof l['level'] === 'number' && l['level'] >= 50));
}
