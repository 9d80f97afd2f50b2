// One owner per port, per state file and per control socket. Two daemons bridging the same interfaces would
// forward every frame twice; two writing one state file would restore each other's memberships. At start the
// daemon takes an exclusive flock(2) on one lock file per resource, BEFORE it reads the state file, restores
// interface settings or opens a port, and refuses to start when another process holds one of them.
//
// flock belongs to the kernel: it is released when the holder's last descriptor closes, so also after kill -9
// (no stale lock to clean up by hand). The holder writes its pid into the file so a refused daemon can name it.
// A clean stop removes its lock files; a daemon that opened a file just before it was removed notices that the
// path now names another inode (or none) and tries again, so two daemons never hold "the same" lock on two inodes.
//
//   interface:      <lockDir>/netns-<inode of the network namespace>.ifindex-<n>.lock  (an interface is the same
//                   port whatever its name; ifindexes are per namespace, so the namespace is part of the key)
//   state file:     <state.file>.lock
//   control socket: <management.socket>.lock

import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { DEFAULT_SOCKET_PATH } from '../mgmt/api.js';
import type { PacketAddon } from '../io/packet-addon.js';

/** Where interface locks live: next to the default control socket (systemd's RuntimeDirectory). */
export const DEFAULT_LOCK_DIR = path.join(path.dirname(DEFAULT_SOCKET_PATH), 'locks');

/** Attempts to lock a path whose file a stopping holder removes between our open and our flock. */
const LOCK_ATTEMPTS = 5;

/** Another process holds a lock: the daemon must not start (or a reload must not add that port). */
export class InstanceLockError extends Error {
  override readonly name = 'InstanceLockError';
  constructor(readonly what: string, readonly lockPath: string, readonly holderPid: number | null) {
    super(`${what} is in use by another igmpswitch (${holderPid !== null ? `pid ${holderPid}` : 'pid unknown'}; ` +
      `lock ${lockPath}); stop that one first`);
  }
}

interface HeldLock {
  path: string;
  fd: number;
}

type LockAddon = Pick<PacketAddon, 'tryLock' | 'linkState'>;

export interface InstanceLockOptions {
  /** Directory of the interface locks (default /run/igmpswitch/locks). */
  lockDir?: string;
}

export class InstanceLocks {
  private readonly ports = new Map<string, HeldLock>();
  private readonly files: HeldLock[] = [];
  private readonly netns: string;

  private constructor(private readonly addon: LockAddon, private readonly lockDir: string) {
    this.netns = networkNamespaceId();
  }

  /**
   * Locks the control socket, the state file and every port of `config`, in that order; on refusal releases what
   * it took and throws InstanceLockError naming the holder's pid. Interfaces that do not exist are skipped (the
   * start fails on them later with its own message).
   */
  static acquire(config: Config, addon: LockAddon, opts: InstanceLockOptions = {}): InstanceLocks {
    const locks = new InstanceLocks(addon, opts.lockDir ?? DEFAULT_LOCK_DIR);
    try {
      const socket = path.resolve(config.management.socket);
      locks.files.push(takeLock(addon, `${socket}.lock`, `control socket ${socket}`));
      if (config.state.file) {
        const state = path.resolve(config.state.file);
        locks.files.push(takeLock(addon, `${state}.lock`, `state file ${state}`));
      }
      locks.lockPorts(config.ports.map((p) => p.name));
    } catch (err) {
      locks.release();
      throw err;
    }
    return locks;
  }

  /** Locks these interfaces (all or none). */
  lockPorts(names: readonly string[]): void {
    const taken: string[] = [];
    try {
      for (const name of names) {
        if (this.ports.has(name)) continue;
        const link = this.addon.linkState(name);
        if (!link) continue;
        const file = path.join(this.lockDir, `netns-${this.netns}.ifindex-${link.ifindex}.lock`);
        this.ports.set(name, takeLock(this.addon, file, `interface ${name} (ifindex ${link.ifindex})`));
        taken.push(name);
      }
    } catch (err) {
      this.releasePorts(taken);
      throw err;
    }
  }

  releasePorts(names: readonly string[]): void {
    for (const name of names) {
      const held = this.ports.get(name);
      if (!held) continue;
      this.ports.delete(name);
      unlock(held);
    }
  }

  /** Removes and unlocks every lock file (clean stop). */
  release(): void {
    this.releasePorts([...this.ports.keys()]);
    for (const held of this.files.splice(0)) unlock(held);
  }

  /** The lock files held now (for tests and diagnostics). */
  paths(): string[] {
    return [...this.files, ...this.ports.values()].map((h) => h.path);
  }
}

/** Opens (creating) `file` and takes its exclusive flock; throws InstanceLockError when another process holds it. */
function takeLock(addon: LockAddon, file: string, what: string): HeldLock {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
    let locked: boolean;
    try {
      locked = addon.tryLock(fd);
    } catch (err) {
      closeSync(fd);
      throw new Error(`cannot lock ${file}: ${(err as Error).message}`);
    }
    if (!locked) {
      const pid = readHolderPid(fd);
      closeSync(fd);
      throw new InstanceLockError(what, file, pid);
    }
    if (!sameInode(fd, file)) { closeSync(fd); continue; } // the previous holder removed it as we opened it
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
    return { path: file, fd };
  }
  throw new Error(`cannot lock ${file}: it keeps being removed and re-created`);
}

function unlock(held: HeldLock): void {
  // Remove first, then close: whoever opened the old file before the unlink sees a different inode and retries.
  try { unlinkSync(held.path); } catch { /* already gone */ }
  try { closeSync(held.fd); } catch { /* already closed */ }
}

function sameInode(fd: number, file: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = statSync(file);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

function readHolderPid(fd: number): number | null {
  const buf = Buffer.alloc(32);
  let n = 0;
  try { n = readSync(fd, buf, 0, buf.length, 0); } catch { return null; }
  const m = /^(\d+)\n/.exec(buf.subarray(0, n).toString('latin1'));
  return m ? Number(m[1]) : null;
}

/** The inode of this process's network namespace: two namespaces can both have an ifindex 5. */
function networkNamespaceId(): string {
  try {
    return String(statSync('/proc/self/ns/net').ino);
  } catch {
    return 'unknown';
  }
}
