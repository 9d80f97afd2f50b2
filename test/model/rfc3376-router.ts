// The reference model of an RFC 3376 router's state for ONE group (§6), written straight from the RFC text, shared by
// the fast-check model test (test/unit/snooping/model.test.ts: the engine against it, command by command) and the
// differential namespace harness (test/differential/: real kernel hosts, igmpswitch and the Linux bridge against it):
//   - state per port: filter mode, group timer, source timers (0 = stopped, as the RFC writes it),
//     IGMPv1/IGMPv2 Host Present timers (§7.3.2);
//   - the §6.4.1/§6.4.2 rows; "Send Q(G,X)" / "Send Q(G)" lower the timers to LMQT when `lowering` (this switch is
//     the querier, or no querier exists and the switch lowers them itself, as Linux does); otherwise they are
//     another querier's job and the rows show unmasked;
//   - expiry (§6.3, §6.5): processed in time order.
// Times are absolute milliseconds on the model's own clock (`now`); 0 means "not running".

import { RecordType as R } from '../../src/wire/igmp.js';

/** The timers the model needs (RFC 3376 §8), in milliseconds. */
export interface ModelTimers {
  /** Group Membership Interval (§8.4). */
  gmi: number;
  /** Last Member Query Time (§8.14): LMQC × LMQI. */
  lmqt: number;
  /** Older Host Present Interval (§8.13). */
  ohpi: number;
}

export interface PortState {
  mode: 'include' | 'exclude';
  gt: number;                    // group timer (absolute; meaningful in EXCLUDE)
  src: Map<string, number>;      // source → timer (absolute), 0 = stopped
  v1: number;                    // 0 = not running
  v2: number;
}

export class Model {
  now = 0;
  readonly ports = new Map<number, PortState>();
  /**
   * lowering — true: "Send Q" lowers timers (this switch is the querier, or no querier exists); false: another querier
   * is elected and "Send Q" is its job.
   */
  constructor(readonly lowering: boolean, readonly timers: ModelTimers) {}

  compat(p: PortState | undefined): 1 | 2 | 3 {
    if (p === undefined) return 3;
    return p.v1 > 0 ? 1 : p.v2 > 0 ? 2 : 3;
  }

  /** Process every timer that is due by `t`, earliest first. */
  advance(t: number): void {
    for (;;) {
      let best: { at: number; port: number; what: 'gt' | 'v1' | 'v2' | string } | null = null;
      const consider = (at: number, port: number, what: string) => {
        if (at > 0 && at <= t && (best === null || at < best.at)) best = { at, port, what };
      };
      for (const [port, p] of this.ports) {
        if (p.mode === 'exclude') consider(p.gt, port, 'gt');
        consider(p.v1, port, 'v1');
        consider(p.v2, port, 'v2');
        for (const [s, at] of p.src) consider(at, port, s);
      }
      if (best === null) break;
      const b: { at: number; port: number; what: string } = best;
      this.now = b.at;
      const p = this.ports.get(b.port)!;
      if (b.what === 'v1') p.v1 = 0;
      else if (b.what === 'v2') p.v2 = 0;
      else if (b.what === 'gt') {
        // §6.5: to INCLUDE with the running sources; stopped ones deleted; none running → delete.
        p.gt = 0;
        for (const [s, at] of [...p.src]) if (at === 0) p.src.delete(s);
        p.mode = 'include';
        if (p.src.size === 0) this.ports.delete(b.port);
      } else if (p.mode === 'include') {
        p.src.delete(b.what);                                  // §6.3: INCLUDE: delete the source
        if (p.src.size === 0) this.ports.delete(b.port);
      } else {
        p.src.set(b.what, 0);                                  // §6.3: EXCLUDE: stop (→ Y)
      }
    }
    this.now = t;
  }

  record(port: number, type: number, list: string[]): void {
    let p = this.ports.get(port);
    const mode = this.compat(p);
    let B = new Set(list);
    if (mode < 3 && type === R.BLOCK_OLD_SOURCES) return;                     // §7.3.2
    if (mode < 3 && type === R.CHANGE_TO_EXCLUDE_MODE) B = new Set();
    if (mode === 1 && type === R.CHANGE_TO_INCLUDE_MODE) return;
    if (p === undefined) {
      const creates = type === R.MODE_IS_EXCLUDE || type === R.CHANGE_TO_EXCLUDE_MODE || (B.size > 0 && type !== R.BLOCK_OLD_SOURCES);
      if (!creates) return;
      p = { mode: 'include', gt: 0, src: new Map(), v1: 0, v2: 0 };
      this.ports.set(port, p);
    }
    this.apply(port, p, type, B);
  }

  older(port: number, version: 1 | 2): void {
    let p = this.ports.get(port);
    if (p === undefined) {
      p = { mode: 'include', gt: 0, src: new Map(), v1: 0, v2: 0 };
      this.ports.set(port, p);
    }
    if (version === 1) p.v1 = this.now + this.timers.ohpi;
    else p.v2 = this.now + this.timers.ohpi;
    this.apply(port, p, R.MODE_IS_EXCLUDE, new Set());                          // report ≡ IS_EX({})
  }

  leave(port: number): void {
    const p = this.ports.get(port);
    if (p === undefined || this.compat(p) === 1) return;
    this.apply(port, p, R.CHANGE_TO_INCLUDE_MODE, new Set());                   // leave ≡ TO_IN({})
  }

  private apply(port: number, p: PortState, type: number, B: Set<string>): void {
    const now = this.now;
    const gmi = now + this.timers.gmi;
    const LMQT = this.timers.lmqt;
    const has = (s: string) => p.src.has(s);
    const running = (s: string) => (p.src.get(s) ?? 0) > 0;
    const lowerSources = (set: Iterable<string>) => {
      if (!this.lowering) return;
      for (const s of set) if ((p.src.get(s) ?? 0) > now + LMQT) p.src.set(s, now + LMQT);
    };
    const lowerGroup = () => { if (this.lowering && p.gt > now + LMQT) p.gt = now + LMQT; };
    if (p.mode === 'include') {
      const A = [...p.src.keys()];
      switch (type) {
        case R.MODE_IS_INCLUDE:
        case R.ALLOW_NEW_SOURCES:                              // INCLUDE (A+B); (B)=GMI
          for (const b of B) p.src.set(b, gmi);
          break;
        case R.MODE_IS_EXCLUDE:
        case R.CHANGE_TO_EXCLUDE_MODE: {                       // EXCLUDE (A*B, B-A); (B-A)=0; Delete (A-B); GT=GMI
          const AB = A.filter((a) => B.has(a));
          const next = new Map<string, number>();
          for (const a of AB) next.set(a, p.src.get(a)!);
          for (const b of B) if (!next.has(b)) next.set(b, 0);
          p.src = next;
          p.mode = 'exclude';
          p.gt = gmi;
          if (type === R.CHANGE_TO_EXCLUDE_MODE) lowerSources(AB); // Send Q(G,A*B)
          break;
        }
        case R.CHANGE_TO_INCLUDE_MODE: {                       // INCLUDE (A+B); (B)=GMI; Send Q(G,A-B)
          const AminusB = A.filter((a) => !B.has(a));
          for (const b of B) p.src.set(b, gmi);
          lowerSources(AminusB);
          break;
        }
        case R.BLOCK_OLD_SOURCES:                              // INCLUDE (A); Send Q(G,A*B)
          lowerSources(A.filter((a) => B.has(a)));
          break;
      }
    } else {
      const X = [...p.src.keys()].filter(running);
      const A = B;
      switch (type) {
        case R.MODE_IS_INCLUDE:
        case R.ALLOW_NEW_SOURCES:                              // EXCLUDE (X+A, Y-A); (A)=GMI
          for (const a of A) p.src.set(a, gmi);
          break;
        case R.MODE_IS_EXCLUDE: {                              // EXCLUDE (A-Y, Y*A); (A-X-Y)=GMI; Delete (X-A), (Y-A); GT=GMI
          const next = new Map<string, number>();
          for (const a of A) next.set(a, has(a) ? p.src.get(a)! : gmi);
          p.src = next;
          p.gt = gmi;
          break;
        }
        case R.CHANGE_TO_EXCLUDE_MODE: {                       // EXCLUDE (A-Y, Y*A); (A-X-Y)=GT; Delete …; Send Q(G,A-Y); GT=GMI
          const next = new Map<string, number>();
          for (const a of A) next.set(a, has(a) ? p.src.get(a)! : p.gt);
          p.src = next;
          p.gt = gmi;
          lowerSources([...A].filter(running));
          break;
        }
        case R.CHANGE_TO_INCLUDE_MODE: {                       // EXCLUDE (X+A, Y-A); (A)=GMI; Send Q(G,X-A); Send Q(G)
          for (const a of A) p.src.set(a, gmi);
          lowerSources(X.filter((x) => !A.has(x)));
          lowerGroup();
          break;
        }
        case R.BLOCK_OLD_SOURCES: {                            // EXCLUDE (X+(A-Y), Y); (A-X-Y)=GT; Send Q(G,A-Y)
          for (const a of A) if (!has(a)) p.src.set(a, p.gt);
          lowerSources([...A].filter(running));
          break;
        }
      }
    }
    if (p.mode === 'include' && p.src.size === 0) this.ports.delete(port);
  }

  /** Does `port` want traffic from `s`? (§6.3) */
  wants(port: number, s: string): boolean {
    const p = this.ports.get(port);
    if (p === undefined) return false;
    return p.mode === 'include' ? p.src.has(s) : p.src.get(s) !== 0;
  }
}
