// Shared helpers for the control socket and CLI tests: temporary directories, a raw line-oriented connection.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'igs-mgmt-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A plain connection that collects reply lines (parsed) and can wait for some. */
export class RawConn {
  readonly socket: net.Socket;
  readonly lines: unknown[] = [];
  closed = false;
  private buf = '';
  private waiters: (() => void)[] = [];

  constructor(socketPath: string) {
    this.socket = net.createConnection(socketPath);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.lines.push(JSON.parse(line)); // every reply line must be JSON: throws (fails the test) otherwise
      }
      this.wake();
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => { this.closed = true; this.wake(); });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === 'open') return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Resolves when `pred` holds (checked after every reply and on close), rejects after timeoutMs. */
  async until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; lines so far: ${JSON.stringify(this.lines).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  reply(id: unknown): Record<string, unknown> | undefined {
    return this.lines.find((l) => (l as { id?: unknown }).id === id) as Record<string, unknown> | undefined;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Whether a command exists on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** A reader independent of the writer's code, following pcap-savefile(5). */
export function readPcap(buf: Buffer): { magic: number; major: number; minor: number; snaplen: number; linktype: number; packets: { sec: number; usec: number; orig: number; data: Buffer }[] } {
  const magic = buf.readUInt32LE(0);
  const packets = [];
  let off = 24;
  while (off < buf.length) {
    const incl = buf.readUInt32LE(off + 8);
    packets.push({ sec: buf.readUInt32LE(off), usec: buf.readUInt32LE(off + 4), orig: buf.readUInt32LE(off + 12), data: buf.subarray(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  return { magic, major: buf.readUInt16LE(4), minor: buf.readUInt16LE(6), snaplen: buf.readUInt32LE(16), linktype: buf.readUInt32LE(20), packets };
}

