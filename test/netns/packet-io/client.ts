// Drives forwarder.ts in the switch namespace and the host agents, over JSON lines.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ForwarderConfig } from './forwarder.js';
import type { PortStats } from '../../../src/io/packet-addon.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
export const FORWARDER = here('./forwarder.ts');
export const AGENTS = here('./agents.mjs');

export type Msg = { type: string; [k: string]: unknown };
export interface Stats extends Msg {
  frames: number;
  batches: number;
  markerByPort: number[];
  ports: (PortStats | null)[];
  cpu: { user: number; system: number };
  t: number;
}

/** A child speaking JSON lines; keeps every message so waits can look back. */
export class JsonChild {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly messages: Msg[] = [];
  stderr = '';
  #waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  #exited: Promise<number | null>;

  constructor(cmd: string, args: string[]) {
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.proc.stdin.on('error', () => {}); // EPIPE after the child exited: its exit is reported elsewhere
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let m: Msg;
      try {
        m = JSON.parse(line) as Msg;
      } catch {
        this.stderr += `[stdout] ${line}\n`;
        return;
      }
      this.messages.push(m);
      this.#waiters = this.#waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    this.#exited = new Promise((res) => this.proc.on('exit', (code) => res(code)));
  }

  /** Resolve with the first message (already received after `since`, or future) matching pred. */
  wait(pred: (m: Msg) => boolean, timeoutMs = 20_000, since = 0): Promise<Msg> {
    const seen = this.messages.slice(since).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for a message; got ${JSON.stringify(this.messages.slice(-5))}; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.#waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      this.#exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`process exited (${code}) while waiting; stderr: ${this.stderr.slice(-2000)}`));
      });
    });
  }

  send(line: string): void {
    this.proc.stdin.write(line + '\n');
  }

  exited(): Promise<number | null> {
    return this.#exited;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

export class Forwarder extends JsonChild {
  constructor(ns: string, cfg: ForwarderConfig) {
    super('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', FORWARDER, JSON.stringify(cfg)]);
  }

  ready(timeoutMs = 30_000): Promise<Msg> {
    return this.wait((m) => m.type === 'ready' || m.type === 'error', timeoutMs).then((m) => {
      if (m.type === 'error') throw new Error(`forwarder failed: ${String(m.message)}`);
      return m;
    });
  }

  async stats(): Promise<Stats> {
    const since = this.messages.length;
    this.send('stats');
    return (await this.wait((m) => m.type === 'stats', 10_000, since)) as Stats;
  }

  async quit(): Promise<Msg[]> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.messages;
    this.send('quit');
    await Promise.race([this.exited(), new Promise((r) => setTimeout(r, 10_000))]);
    this.kill();
    return this.messages;
  }
}

/** Run an agent in a host namespace. */
export function agent(ns: string, ...args: string[]): JsonChild {
  return new JsonChild('ip', ['netns', 'exec', ns, process.execPath, AGENTS, ...args]);
}

/** TCP transfer h1 → h2 through the switch (a hex marker every 4 KiB of data if given); both ends' reports and the time. */
export async function tcpTransfer(
  hSrc: string,
  hDst: string,
  dstIp: string,
  bytes: number,
  port = 5001,
  markerHex?: string,
): Promise<{ sent: Msg; received: Msg; ms: number }> {
  const server = agent(hDst, 'tcp-server', dstIp, String(port));
  try {
    await server.wait((m) => m.type === 'listening' || m.type === 'error', 15_000);
    const t0 = performance.now();
    const client = agent(hSrc, 'tcp-client', dstIp, String(port), String(bytes), ...(markerHex ? [markerHex] : []));
    try {
      const [sent, received] = await Promise.all([
        client.wait((m) => m.type === 'sent' || m.type === 'error', 120_000),
        server.wait((m) => m.type === 'received' || m.type === 'error', 120_000),
      ]);
      return { sent, received, ms: performance.now() - t0 };
    } finally {
      client.kill();
    }
  } finally {
    server.kill();
  }
}
