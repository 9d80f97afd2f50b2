// Resource limits. The rule everywhere: a new thing past a limit is refused and counted; what exists
// is left alone; snooping is never turned off (unlike Linux's hash_max, which disables snooping
// bridge-wide when the MDB is full (net/bridge/br_multicast.c) — see the gluon #688 complaint).

/** Sources kept per port-group (Linux: PG_SRC_ENT_LIMIT 32). New sources past it are refused. */
export const MAX_SOURCES_PER_PORT_GROUP = 64;

/** Hosts tracked per port-group on fast-leave ports (Linux: 512 EHT hosts per port). */
export const MAX_HOSTS_PER_PORT_GROUP = 128;

export type LimitVerdict = 'ok' | 'port-limit' | 'global-limit';

/** Port-group membership counts, per port and overall (static entries are not counted). */
export class GroupLimits {
  private readonly perPort = new Map<number, number>();
  private total = 0;
  /** Ports (and -1 for the overall limit) that are at their limit and were already logged. */
  private readonly atLimit = new Set<number>();

  count(port: number): number {
    return this.perPort.get(port) ?? 0;
  }

  get overall(): number {
    return this.total;
  }

  /** May `port` take one more membership? `portMax` / `globalMax` of 0 mean no limit. */
  check(port: number, portMax: number, globalMax: number): LimitVerdict {
    if (portMax > 0 && this.count(port) >= portMax) return 'port-limit';
    if (globalMax > 0 && this.total >= globalMax) return 'global-limit';
    return 'ok';
  }

  add(port: number): void {
    this.perPort.set(port, this.count(port) + 1);
    this.total++;
  }

  remove(port: number): void {
    const n = this.count(port) - 1;
    if (n <= 0) this.perPort.delete(port);
    else this.perPort.set(port, n);
    this.total = Math.max(0, this.total - 1);
  }

  /**
   * Edge-triggered "limit reached" for logging: true the first time a refusal happens for `key`
   * (a port, or -1 for the overall limit) since it was last below its limit.
   */
  firstRefusal(key: number): boolean {
    if (this.atLimit.has(key)) return false;
    this.atLimit.add(key);
    return true;
  }

  /** Re-arm the edge trigger for keys that are below their limits again. */
  clearBelow(portMax: (port: number) => number, globalMax: number): void {
    for (const key of this.atLimit) {
      const below = key === -1 ? globalMax === 0 || this.total < globalMax : portMax(key) === 0 || this.count(key) < portMax(key);
      if (below) this.atLimit.delete(key);
    }
  }
}
