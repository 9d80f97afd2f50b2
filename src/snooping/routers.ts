// Router ports (RFC 4541 §2.1.1: "The switch supporting IGMP snooping must maintain a list of
// multicast routers and the ports on which they are attached"; 2.1.2(1): snooped multicast "must also
// be forwarded on router ports").
//
// A port is a router port when
//   - it is configured `router: static`, or
//   - it is `router: auto` and one of these learnings is alive:
//       'query': General/Group queries of the *elected* querier of a VLAN (Linux behaviour; a
//                non-elected router is not seen this way, hence PIM and MRD),
//       'pim':   a PIMv2 Hello (RFC 7761 §4.9.2) — a Hello with Holdtime 0 withdraws it,
//       'mrd':   an MRD Advertisement (RFC 4286 §3), alive for NeighborDeadInterval = 3 × its
//                Advertisement Interval (§3.1.5); an MRD Termination (§5) withdraws it.
// `router: never` ports are never router ports and learn nothing.
// With `querierGuard`, only `trusted` ports may learn (checked by the engine before calling here).
// The data plane has one router-port set for all VLANs (TableCommand 'routerPorts'), so learnings of
// every VLAN feed one mask.

import { Timer, TimerKind, type DeadlineQueue } from './timers.js';

export type RouterVia = 'query' | 'pim' | 'mrd';

export class RouterLearning {
  readonly timer: Timer<typeof TimerKind.Router>;
  constructor(
    readonly key: string,
    readonly port: number,
    readonly via: RouterVia,
    readonly vlan: number,
    readonly address: string,
  ) {
    this.timer = new Timer(TimerKind.Router, this);
  }
}

export class RouterPorts {
  private readonly learned = new Map<string, RouterLearning>();
  /** Learnings per port, to answer "is this port still a router port" quickly. */
  private readonly perPort = new Map<number, number>();
  private staticMask = 0n;
  private neverMask = 0n;
  /** Bumped whenever the mask may have changed (lets the engine skip recomputing it). */
  version = 0;

  constructor(private readonly queue: DeadlineQueue) {}

  configure(staticPorts: Iterable<number>, neverPorts: Iterable<number>): void {
    this.version++;
    this.staticMask = 0n;
    for (const p of staticPorts) this.staticMask |= 1n << BigInt(p);
    this.neverMask = 0n;
    for (const p of neverPorts) this.neverMask |= 1n << BigInt(p);
    for (const l of [...this.learned.values()]) if (this.isNever(l.port)) this.forget(l);
  }

  isNever(port: number): boolean {
    return (this.neverMask >> BigInt(port)) & 1n ? true : false;
  }

  isStatic(port: number): boolean {
    return (this.staticMask >> BigInt(port)) & 1n ? true : false;
  }

  /** Learn or refresh; returns the learning (null on a `never` port). */
  learn(port: number, via: RouterVia, vlan: number, address: string, due: number): RouterLearning | null {
    if (this.isNever(port)) return null;
    const key = `${port}|${via}|${vlan}|${address}`;
    let l = this.learned.get(key);
    if (l === undefined) {
      l = new RouterLearning(key, port, via, vlan, address);
      this.learned.set(key, l);
      this.perPort.set(port, (this.perPort.get(port) ?? 0) + 1);
      this.version++;
    }
    this.queue.arm(l.timer, due);
    return l;
  }

  /** Withdraw one learning (PIM Holdtime 0, MRD Termination). */
  withdraw(port: number, via: RouterVia, vlan: number, address: string): void {
    const l = this.learned.get(`${port}|${via}|${vlan}|${address}`);
    if (l !== undefined) this.forget(l);
  }

  /** Drop a learning (expired or withdrawn). */
  forget(l: RouterLearning): void {
    if (this.learned.get(l.key) !== l) return;
    this.queue.stop(l.timer);
    this.learned.delete(l.key);
    this.version++;
    const n = (this.perPort.get(l.port) ?? 1) - 1;
    if (n <= 0) this.perPort.delete(l.port);
    else this.perPort.set(l.port, n);
  }

  /** Forget everything learned on `port` (port removed). */
  forgetPort(port: number): void {
    for (const l of [...this.learned.values()]) if (l.port === port) this.forget(l);
  }

  /** The router-port set for the data plane. */
  mask(): bigint {
    let m = this.staticMask;
    for (const p of this.perPort.keys()) m |= 1n << BigInt(p);
    return m & ~this.neverMask;
  }

  learnings(): RouterLearning[] {
    return [...this.learned.values()];
  }
}
