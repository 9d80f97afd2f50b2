// Namespace topology for the packet I/O test and benchmark:
//
//   <id>h1: <id>e1 10.77.0.1/24
//        │ veth
//   <id>sw: <id>s1 ── forwarder ── <id>s2          (no addresses: the switch only bridges)
//        │ veth
//   <id>h2: <id>e2 10.77.0.2/24
//
// No VLAN subinterfaces: kernels without CONFIG_VLAN_8021Q (like the project VM's) cannot create them, so the
// VLAN checks send and capture tagged frames with raw sockets (rawframe.py) instead.
// Names are unique per run (`is<pid><2 hex>`); stale ones of dead runs are swept first.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function nsExec(ns: string, cmd: string[], timeoutMs = 30_000): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}

const NAME = /^is(\d+)[0-9a-f]{2}(sw|h1|h2)$/;

/** Delete namespaces of earlier runs whose process is gone. */
export function sweepStale(): string[] {
  const removed: string[] = [];
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = NAME.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // owner alive
    } catch {
      /* dead owner */
    }
    try {
      ip('netns', 'del', name);
      removed.push(name);
    } catch {
      /* raced with someone else */
    }
  }
  return removed;
}

export interface Topo {
  id: string;
  sw: string;
  h1: string;
  h2: string;
  /** switch-side port names */
  s1: string;
  s2: string;
  /** host-side names */
  e1: string;
  e2: string;
  ip1: string;
  ip2: string;
  /** Create (again) the s2/e2 pair: after deleting it, to test disappear/reappear. */
  addPort2(): void;
  destroy(): void;
}

export function createTopo(): Topo {
  sweepStale();
  const id = `is${process.pid}${randomBytes(1).toString('hex')}`;
  const t: Topo = {
    id,
    sw: `${id}sw`,
    h1: `${id}h1`,
    h2: `${id}h2`,
    s1: `${id}s1`,
    s2: `${id}s2`,
    e1: `${id}e1`,
    e2: `${id}e2`,
    ip1: '10.77.0.1',
    ip2: '10.77.0.2',
    addPort2: () => addPair(t.s2, t.e2, t.h2, t.ip2),
    destroy: () => {
      for (const ns of [t.sw, t.h1, t.h2]) {
        try {
          ip('netns', 'del', ns);
        } catch {
          /* never created */
        }
      }
    },
  };
  const addPair = (s: string, e: string, host: string, addr: string) => {
    ip('link', 'add', s, 'netns', t.sw, 'type', 'veth', 'peer', 'name', e, 'netns', host);
    ip('-n', t.sw, 'link', 'set', s, 'up');
    ip('-n', host, 'link', 'set', e, 'up');
    ip('-n', host, 'addr', 'add', `${addr}/24`, 'dev', e);
  };
  try {
    for (const ns of [t.sw, t.h1, t.h2]) ip('netns', 'add', ns);
    for (const ns of [t.sw, t.h1, t.h2]) ip('-n', ns, 'link', 'set', 'lo', 'up');
    addPair(t.s1, t.e1, t.h1, t.ip1);
    t.addPort2();
  } catch (e) {
    t.destroy();
    throw e;
  }
  return t;
}
