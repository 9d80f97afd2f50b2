// Instance locks (issue 11 item 10) with the real flock from the addon. flock locks belong to an open file
// description, so two InstanceLocks in one process exclude each other exactly as two daemons do.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { InstanceLockError, InstanceLocks } from '../../../src/daemon/instance-lock.js';
import { loadPacketAddon, packetAddonPath } from '../../../src/io/packet-addon.js';

const built = process.platform === 'linux' && existsSync(packetAddonPath());

/** Interfaces by name → ifindex, so the test needs none. */
const IFINDEX: Record<string, number> = { a0: 11, a1: 12, b0: 21, b1: 22 };

function fakeAddon() {
  const real = loadPacketAddon();
  return {
    tryLock: (fd: number) => real.tryLock(fd),
    linkState: (name: string) => (IFINDEX[name] ? { ifindex: IFINDEX[name]!, up: true, adminUp: true, running: true, carrier: true, mtu: 1500 } : null),
  };
}

function config(dir: string, o: { ports: string[]; socket: string; state: string | null }): Config {
  return { ports: o.ports.map((name) => ({ name })), management: { socket: join(dir, o.socket) }, state: { file: o.state && join(dir, o.state) } } as unknown as Config;
}

describe.skipIf(!built)('instance locks', () => {
  let dir = '';
  const held: InstanceLocks[] = [];
  const acquire = (c: Config) => {
    const l = InstanceLocks.acquire(c, fakeAddon(), { lockDir: join(dir, 'locks') });
    held.push(l);
    return l;
  };
  afterEach(() => {
    for (const l of held.splice(0)) l.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second holder of a port is refused with the first one\'s pid; after release it gets the lock', () => {
    dir = mkdtempSync(join(tmpdir(), 'igs-lock-'));
    const first = acquire(config(dir, { ports: ['a0', 'a1'], socket: 'one.sock', state: 'one.json' }));
    for (const p of first.paths()) expect(readFileSync(p, 'utf8')).toBe(`${process.pid}\n`);
    let err: unknown;
    try {
      acquire(config(dir, { ports: ['b0', 'a1'], socket: 'two.sock', state: 'two.json' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InstanceLockError);
    expect((err as InstanceLockError).holderPid).toBe(process.pid);
    expect((err as Error).message).toMatch(/^interface a1 \(ifindex 12\) is in use by another igmpswitch \(pid \d+; lock .*\.lock\); stop that one first$/);
    // The refused attempt released what it had taken (its socket, state file and b0): a third one gets them.
    acquire(config(dir, { ports: ['b0', 'b1'], socket: 'two.sock', state: 'two.json' }));
    const paths = first.paths();
    first.release();
    for (const p of paths) expect(existsSync(p), `${p} removed on release`).toBe(false);
    acquire(config(dir, { ports: ['a0', 'a1'], socket: 'one.sock', state: 'one.json' }));
  });

  it('the state file and the control socket are locked on their own', () => {
    dir = mkdtempSync(join(tmpdir(), 'igs-lock-'));
    acquire(config(dir, { ports: ['a0', 'a1'], socket: 'one.sock', state: 'shared.json' }));
    expect(() => acquire(config(dir, { ports: ['b0', 'b1'], socket: 'two.sock', state: 'shared.json' })))
      .toThrow(/^state file .*shared\.json is in use by another igmpswitch/);
    expect(() => acquire(config(dir, { ports: ['b0', 'b1'], socket: 'one.sock', state: null })))
      .toThrow(/^control socket .*one\.sock is in use by another igmpswitch/);
  });

  it('ports added or removed by a reload are locked and released one by one', () => {
    dir = mkdtempSync(join(tmpdir(), 'igs-lock-'));
    const first = acquire(config(dir, { ports: ['a0', 'a1'], socket: 'one.sock', state: null }));
    const second = acquire(config(dir, { ports: ['b0', 'b1'], socket: 'two.sock', state: null }));
    expect(() => second.lockPorts(['a0'])).toThrow(InstanceLockError);
    first.releasePorts(['a0']);
    second.lockPorts(['a0']);
    expect(() => first.lockPorts(['a0'])).toThrow(/interface a0/);
  });
});
