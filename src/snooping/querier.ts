// Querier: our own IGMP querier per VLAN, the election against other queriers, and the
// group(-and-source)-specific queries the §6.4 table actions ask for.
//
// Election (RFC 2236 §3, RFC 3376 §6.6.2): "IGMPv3 elects a single querier per subnet using the same
// querier election mechanism as IGMPv2, namely by IP address. When a router receives a query with a
// lower IP address, it sets the Other-Querier-Present timer to Other Querier Present Interval and
// ceases to send queries on the network if it was the previously elected querier. After its
// Other-Querier Present timer expires, it should begin sending General Queries."
//   - The lowest address wins; a query from a higher address than the current querier is ignored
//     (not elected: no router port, no timer lowering, no QRV/QQI adoption).
//   - 0.0.0.0 never wins (our choice, documented in README): a 0.0.0.0 source is a snooping switch's
//     "proxy" querier, not a router. Such queries count as "a querier exists" for the flood policy but
//     never silence our querier, never mark a router port, and never displace a real querier.
//     Our own querier with address 0.0.0.0 therefore loses to every real querier. (Linux lets
//     0.0.0.0 win because it compares the stored 0 as lowest.)
//   - The loser falls silent: its General Query timer stops. When the Other Querier Present timer
//     (OQPI, §8.5) expires it resumes: one General Query at once, then every Query Interval.
//
// Own General Queries (RFC 3376 §8.6, §8.7): at start, [Startup Query Count] queries
// [Startup Query Interval] apart (the first at once), then one every [Query Interval], to all ports,
// tagged for the VLAN. Max Resp Time = Query Response Interval; QRV and QQIC carry our values.
//
// Group-specific and group-and-source-specific queries (§6.6.3), sent only on the port whose
// port-group asked for them (the membership being queried lives behind that port):
//   §6.6.3.1 "When a table action "Send Q(G)" is encountered, then the group timer must be lowered to
//   LMQT. The router must then immediately send a group specific query as well as schedule [Last Member
//   Query Count - 1] query retransmissions to be sent every [Last Member Query Interval] over [Last
//   Member Query Time]. When transmitting a group specific query, if the group timer is larger than
//   LMQT, the "Suppress Router-Side Processing" bit is set in the query message."
//   §6.6.3.2 "When a table action "Send Q(G,X)" is encountered by a querier …, the following actions
//   must be performed for each of the sources in X of group G, with source timer larger than LMQT:
//     o Set number of retransmissions for each source to [Last Member Query Count].
//     o Lower source timer to LMQT."
//   then send at once and LMQC - 1 retransmissions LMQI apart, each as up to two messages: "The first one
//   has the "Suppress Router-Side Processing" bit set and contains all the sources with retransmission
//   state and timers greater than LMQT. The second has the "Suppress Router-Side Processing" bit clear
//   and contains all the sources with retransmission state and timers lower or equal to LMQT. If either
//   of the two calculated messages does not contain any sources, then its transmission is suppressed."
//   and the Note: when a Q(G) goes out at the same time, the S-set Q(G,S) "may be suppressed" (we do).
// With an IGMPv2 own querier there are no source-specific queries: a Send Q(G,X) lowers the source
// timers as above and sends a v2 Q(G) instead (hosts in v2 mode answer with v2 reports).

import type { SnoopingConfig } from './config.js';
import type { AddressFamily, FamilyTxCounter, QueryKind, SnoopQuery } from './family.js';
import { bit } from './forwarding.js';
import { lowerGroupTimer, lowerSourceTimers, type PortGroup } from './membership.js';
import { adoptedTimers, adoption, configuredTimers, type DeadlineQueue, type EffectiveTimers, Timer, TimerKind } from './timers.js';

export type TxCounter = FamilyTxCounter | 'mrd_solicitation';

/** What the querier needs from the engine. */
export interface QuerierHost {
  /** Election order, query frames and counter names of the address family (IGMP or MLD). */
  readonly family: AddressFamily;
  readonly queue: DeadlineQueue;
  readonly querierMac: string;
  config(): SnoopingConfig;
  now(): number;
  /** Every configured port. */
  allPorts(): bigint;
  send(ports: bigint, frame: Uint8Array, counter: TxCounter): void;
  /** Role changes, for the log. */
  roleChanged(vlan: number, role: 'querier' | 'non-querier' | 'off'): void;
  otherElected(vlan: number, address: string, port: number): void;
  otherLost(vlan: number, address: string): void;
  /** The elected querier's QRV/QQI were adopted with values other than ours, or clamped (for the log). */
  adopted(vlan: number, address: string, qrv: number, qqiSec: number, robustness: number, queryIntervalMs: number, bounded: boolean): void;
}

/** The querier we currently believe in on a VLAN, other than us. */
export interface OtherQuerier {
  address: string;
  /** family.electionRank(address). */
  rank: number | bigint;
  port: number;
  /** Generation of its queries (1 = IGMPv1, 2 = IGMPv2 / MLDv1, 3 = IGMPv3 / MLDv2). */
  version: 1 | 2 | 3;
  qrv: number;
  qqiSec: number;
  maxRespMs: number;
}

export class VlanQuerier {
  other: OtherQuerier | null = null;
  /** Other Querier Present timer (§6.6.2), running while `other` is set. */
  readonly otherTimer: Timer<typeof TimerKind.OtherQuerier>;
  /** A 0.0.0.0 querier was heard within OQPI. */
  readonly proxyTimer: Timer<typeof TimerKind.ProxyQuerier>;
  /** Own General Query timer; running while we are the querier. */
  readonly generalTimer: Timer<typeof TimerKind.GeneralQuery>;
  /**
   * When the first General Query round on this VLAN ends: the time of the first General Query we sent,
   * or heard from the querier we follow, plus its Max Resp Time (hosts have answered by then). Null
   * until then. The startup flood window waits for it (policy.ts).
   */
  firstRoundEnd: number | null = null;
  /** Startup queries still to send after the next one (§8.7). */
  startupLeft = 0;
  /** The querier whose unusual QRV/QQI adoption was last logged (log once per change). */
  loggedAdoption: string | null = null;
  /** Our role, for views and the log. */
  role: 'querier' | 'non-querier' | 'off' = 'off';
  timers: EffectiveTimers;
  constructor(readonly vlan: number, config: SnoopingConfig) {
    this.otherTimer = new Timer(TimerKind.OtherQuerier, this);
    this.proxyTimer = new Timer(TimerKind.ProxyQuerier, this);
    this.generalTimer = new Timer(TimerKind.GeneralQuery, this);
    this.timers = configuredTimers(config);
  }
}

export type QueryVerdict = 'elected' | 'proxy' | 'not-elected' | 'invalid-source';

export class Querier {
  readonly vlans = new Map<number, VlanQuerier>();

  constructor(private readonly host: QuerierHost) {}

  private get cfg(): SnoopingConfig {
    return this.host.config();
  }

  ownEnabled(): boolean {
    const c = this.cfg;
    return c.enabled && c.querier.enabled;
  }

  /** The VLAN's state, created (and our querier started on it) on first sight. */
  vlan(v: number): VlanQuerier {
    let vq = this.vlans.get(v);
    if (vq === undefined) {
      vq = new VlanQuerier(v, this.cfg);
      this.vlans.set(v, vq);
      this.resume(vq, true);
    }
    return vq;
  }

  isQuerier(vlan: number): boolean {
    return this.vlans.get(vlan)?.role === 'querier';
  }

  otherPresent(vlan: number): boolean {
    return this.vlans.get(vlan)?.other != null;
  }

  /** A querier (own, elected other, or 0.0.0.0) is active on some VLAN. */
  anyPresent(): boolean {
    for (const vq of this.vlans.values()) if (vq.role === 'querier' || vq.other !== null || vq.proxyTimer.running) return true;
    return false;
  }

  timersFor(vlan: number): EffectiveTimers {
    return this.vlans.get(vlan)?.timers ?? configuredTimers(this.cfg);
  }

  /** Send one of our queries (`group` null = General Query) and count it by family, kind and version. */
  private sendQuery(vq: VlanQuerier, ports: bigint, kind: QueryKind, group: string | null, sources: readonly string[],
    suppress: boolean, maxRespMs: number): void {
    const c = this.cfg;
    const f = this.host.family;
    const frame = f.buildQuery({
      srcMac: this.host.querierMac, src: c.querier.address, vlan: vq.vlan, generation: c.querier.version, maxRespMs,
      qrv: c.robustness, qqiSec: Math.round(c.queryIntervalMs / 1000), group, sources, suppress,
    });
    this.host.send(ports, frame, f.txCounter(kind, c.querier.version));
  }

  // ---- own General Queries and the election ----------------------------------------------

  /**
   * Become the querier on `vq` unless another querier is elected or ours is disabled.
   * `startup`: send the §8.7 startup sequence; else one query at once, then every QI.
   */
  resume(vq: VlanQuerier, startup: boolean): void {
    const q = this.host.queue;
    if (!this.ownEnabled()) {
      q.stop(vq.generalTimer);
      vq.startupLeft = 0;
      this.setRole(vq, 'off');
      return;
    }
    if (vq.other !== null) {
      q.stop(vq.generalTimer);
      this.setRole(vq, 'non-querier');
      return;
    }
    vq.timers = configuredTimers(this.cfg);
    this.setRole(vq, 'querier');
    vq.startupLeft = startup ? Math.max(1, vq.timers.startupQueryCount) : 1;
    q.arm(vq.generalTimer, this.host.now());
  }

  private setRole(vq: VlanQuerier, role: VlanQuerier['role']): void {
    if (vq.role !== role) {
      vq.role = role;
      this.host.roleChanged(vq.vlan, role);
    }
  }

  /** The General Query timer fired: send one and schedule the next. */
  generalQueryDue(vq: VlanQuerier): void {
    if (vq.role !== 'querier') return;
    const t = vq.timers;
    this.sendQuery(vq, this.host.allPorts(), 'general', null, [], false, t.queryResponseIntervalMs);
    vq.firstRoundEnd ??= this.host.now() + t.queryResponseIntervalMs;
    if (vq.startupLeft > 0) vq.startupLeft--;
    const gap = vq.startupLeft > 0 ? t.startupQueryIntervalMs : t.queryIntervalMs;
    this.host.queue.arm(vq.generalTimer, this.host.now() + gap);
  }

  /**
   * A query arrived from `src` on `port` (already past the querier guard). Runs the election and
   * returns whether this querier is the one we follow.
   */
  onQuery(vq: VlanQuerier, q: SnoopQuery, src: string, port: number): QueryVerdict {
    const now = this.host.now();
    const queue = this.host.queue;
    const f = this.host.family;
    // Sources that cannot be a querier (IPv4: 0/8 but 0.0.0.0, 127/8, 224/4, 240/4 with 255.255.255.255)
    // take no part: they are spoofed or broken, and the lowest address would otherwise win.
    if (!f.isQuerierSource(src)) return 'invalid-source';
    const rank = f.electionRank(src);
    if (rank === Infinity) {
      // 0.0.0.0 never wins; it only says that hosts are being queried. Its General Queries complete a
      // round only while no real querier (other or us) queries this VLAN.
      queue.arm(vq.proxyTimer, now + vq.timers.oqpiMs);
      if (vq.other === null && vq.role !== 'querier') this.noteGeneralQuery(vq, q);
      return 'proxy';
    }
    if (this.ownEnabled() && f.electionRank(this.cfg.querier.address) <= rank) return 'not-elected';
    const cur = vq.other;
    if (cur !== null && cur.rank < rank) return 'not-elected';
    const fresh = cur === null || cur.rank !== rank;
    vq.other = {
      address: src, rank, port, version: q.generation, qrv: q.qrv, qqiSec: q.qqiSec, maxRespMs: q.maxRespMs,
    };
    // §4.1.6 / §4.1.7 (RFC 3810 §5.1.8 / §5.1.9): a non-querier adopts the querier's QRV and QQI (v3 / MLDv2 queries
    // carry them), within bounds.
    const before = vq.timers;
    vq.timers = q.generation === 3 ? adoptedTimers(this.cfg, q.qrv, q.qqiSec) : configuredTimers(this.cfg);
    if (q.generation === 3) this.noteAdoption(vq, before, src, q);
    queue.arm(vq.otherTimer, now + vq.timers.oqpiMs);
    if (vq.role === 'querier') {
      queue.stop(vq.generalTimer);
      vq.startupLeft = 0;
      this.setRole(vq, 'non-querier');
    }
    if (fresh) this.host.otherElected(vq.vlan, src, port);
    this.noteGeneralQuery(vq, q);
    return 'elected';
  }

  /** A General Query of the querier we follow: the first one starts the VLAN's first round. */
  private noteGeneralQuery(vq: VlanQuerier, q: SnoopQuery): void {
    if (q.group !== this.host.family.unspecified || vq.firstRoundEnd !== null) return;
    // RFC 2236 §4 / RFC 3376 §7.1: a v1 query's Max Resp Time is 10 s (family.ts decodes it so).
    vq.firstRoundEnd = this.host.now() + q.maxRespMs;
  }

  /**
   * When every VLAN that has a querier (ours, the one we follow, or a proxy) has finished its first
   * General Query round; null while one of them still waits for its first General Query, or while no
   * VLAN has a querier. VLANs without any querier do not hold it up: nothing would ever answer there.
   */
  firstRoundsEnd(): number | null {
    let end: number | null = null;
    for (const vq of this.vlans.values()) {
      if (vq.role !== 'querier' && vq.other === null && !vq.proxyTimer.running) continue;
      if (vq.firstRoundEnd === null) return null;
      end = Math.max(end ?? -Infinity, vq.firstRoundEnd);
    }
    return end;
  }

  /**
   * Log an adoption that is unusual: values that differ from our configuration, or that were clamped.
   * Only when the adopted values change, so a querier repeating itself is logged once.
   */
  private noteAdoption(vq: VlanQuerier, before: EffectiveTimers, src: string, q: SnoopQuery): void {
    const c = this.cfg;
    const a = adoption(c, q.qrv, q.qqiSec);
    const unusual = a.bounded || a.robustness !== c.robustness || a.queryIntervalMs !== c.queryIntervalMs;
    const changed = before.robustness !== vq.timers.robustness || before.queryIntervalMs !== vq.timers.queryIntervalMs;
    if (unusual && (changed || vq.loggedAdoption !== src)) {
      this.host.adopted(vq.vlan, src, q.qrv, q.qqiSec, a.robustness, a.queryIntervalMs, a.bounded);
    }
    vq.loggedAdoption = unusual ? src : null;
  }

  /**
   * The querier a state file says was elected (warm restart): followed again for what is left of its
   * Other Querier Present Interval, unless we would win the election against it.
   */
  restoreOther(vq: VlanQuerier, q: Omit<OtherQuerier, 'rank' | 'port'>, port: number, until: number): void {
    const f = this.host.family;
    if (!f.isQuerierSource(q.address)) return;
    const rank = f.electionRank(q.address);
    if (rank === Infinity) return;
    if (this.ownEnabled() && f.electionRank(this.cfg.querier.address) <= rank) return;
    if (vq.other !== null && vq.other.rank <= rank) return;
    vq.other = { address: q.address, rank, port, version: q.version, qrv: q.qrv, qqiSec: q.qqiSec, maxRespMs: q.maxRespMs };
    vq.timers = q.version === 3 ? adoptedTimers(this.cfg, q.qrv, q.qqiSec) : configuredTimers(this.cfg);
    this.host.queue.arm(vq.otherTimer, until);
    if (vq.role === 'querier') {
      this.host.queue.stop(vq.generalTimer);
      vq.startupLeft = 0;
    }
    if (this.ownEnabled()) this.setRole(vq, 'non-querier');
    this.host.otherElected(vq.vlan, q.address, port);
  }

  /** The Other Querier Present timer expired: forget it and, if enabled, resume querying. */
  otherExpired(vq: VlanQuerier): void {
    const lost = vq.other;
    vq.other = null;
    vq.timers = configuredTimers(this.cfg);
    if (lost !== null) this.host.otherLost(vq.vlan, lost.address);
    this.resume(vq, false);
  }

  /** Configuration changed: restart own querying where the querier settings changed. */
  reconfigure(prev: SnoopingConfig): void {
    const c = this.cfg;
    const qChanged = prev.enabled !== c.enabled || prev.querier.enabled !== c.querier.enabled ||
      prev.querier.address !== c.querier.address || prev.querier.version !== c.querier.version;
    for (const vq of this.vlans.values()) {
      if (vq.other !== null && this.ownEnabled() && this.host.family.electionRank(c.querier.address) < vq.other.rank) {
        // Our new address beats the current querier: take over.
        const lost = vq.other;
        vq.other = null;
        this.host.queue.stop(vq.otherTimer);
        this.host.otherLost(vq.vlan, lost.address);
        this.resume(vq, true);
      } else if (qChanged) {
        this.resume(vq, true);
      } else if (vq.role === 'querier') {
        // Interval changes apply from the next query, but never later than one new interval.
        vq.timers = configuredTimers(c);
        const gap = vq.startupLeft > 0 ? vq.timers.startupQueryIntervalMs : vq.timers.queryIntervalMs;
        if (vq.generalTimer.due > this.host.now() + gap) this.host.queue.arm(vq.generalTimer, this.host.now() + gap);
      } else if (vq.other === null) {
        vq.timers = configuredTimers(c);
      }
    }
  }

  // ---- §6.6.3 group(-and-source)-specific queries ------------------------------------------

  /** Table action "Send Q(G)" while we are the querier (§6.6.3.1). */
  groupQuery(pg: PortGroup): void {
    const t = this.timersFor(pg.group.vlan);
    lowerGroupTimer({ now: this.host.now(), queue: this.host.queue }, pg, t.lmqtMs); // "lowered to LMQT"
    pg.groupQueriesLeft = t.lmqc;
    this.scheduleNow(pg);
  }

  /** Table action "Send Q(G,X)" while we are the querier (§6.6.3.2). */
  sourceQuery(pg: PortGroup, sources: readonly string[]): void {
    if (sources.length === 0) return;
    const now = this.host.now();
    const t = this.timersFor(pg.group.vlan);
    let any = false;
    for (const s of sources) {
      const rec = pg.sources.get(s);
      if (rec === undefined || rec.timer.due <= now + t.lmqtMs) continue;   // "with source timer larger than LMQT"
      rec.queriesLeft = t.lmqc;                                             // "Set number of retransmissions … to [LMQC]"
      any = true;
    }
    lowerSourceTimers({ now, queue: this.host.queue }, pg, sources, t.lmqtMs); // "Lower source timer to LMQT"
    if (any) this.scheduleNow(pg);
  }

  /**
   * "Immediately send": the round runs at the current time, once for all the actions of this step
   * (so EXCLUDE + TO_IN's "Send Q(G,X-A)" and "Send Q(G)" go out in one round and use one
   * retransmission each), through the retransmission timer.
   */
  private scheduleNow(pg: PortGroup): void {
    pg.rexmit ??= new Timer(TimerKind.Rexmit, pg);
    this.host.queue.arm(pg.rexmit, this.host.now());
  }

  /** The retransmission timer of `pg` fired. */
  rexmitDue(pg: PortGroup): void {
    this.transmit(pg);
  }

  /** Stop retransmissions (we stopped being the querier, or the port-group is going away). */
  cancel(pg: PortGroup): void {
    pg.groupQueriesLeft = 0;
    for (const rec of pg.sources.values()) rec.queriesLeft = 0;
    if (pg.rexmit) this.host.queue.stop(pg.rexmit);
  }

  private transmit(pg: PortGroup): void {
    const vq = this.vlan(pg.group.vlan);
    if (vq.role !== 'querier') {
      this.cancel(pg);
      return;
    }
    const now = this.host.now();
    const t = vq.timers;
    const version = this.cfg.querier.version;
    const ports = bit(pg.port);
    const g = pg.group.address;
    let sentGroup = false;
    if (pg.groupQueriesLeft > 0) {
      if (pg.mode === 'exclude') {
        const suppress = pg.groupTimer.due > now + t.lmqtMs;   // "if the group timer is larger than LMQT"
        this.sendQuery(vq, ports, 'group', g, [], suppress, t.lmqiMs);
        sentGroup = true;
        pg.groupQueriesLeft--;
      } else {
        pg.groupQueriesLeft = 0; // the group left EXCLUDE mode: no group timer to query for
      }
    }
    const withS: string[] = [];
    const withoutS: string[] = [];
    let more = pg.groupQueriesLeft > 0;
    for (const rec of pg.sources.values()) {
      if (rec.queriesLeft <= 0) continue;
      if (!rec.timer.running) { rec.queriesLeft = 0; continue; }
      (rec.timer.due > now + t.lmqtMs ? withS : withoutS).push(rec.address);
      rec.queriesLeft--;
      if (rec.queriesLeft > 0) more = true;
    }
    if (version === 3) {
      if (withS.length > 0 && !sentGroup) this.sendQuery(vq, ports, 'group-source', g, withS, true, t.lmqiMs);
      if (withoutS.length > 0) this.sendQuery(vq, ports, 'group-source', g, withoutS, false, t.lmqiMs);
    } else if (withS.length + withoutS.length > 0 && !sentGroup) {
      this.sendQuery(vq, ports, 'group', g, [], false, t.lmqiMs);
    }
    if (more) {
      pg.rexmit ??= new Timer(TimerKind.Rexmit, pg);
      this.host.queue.arm(pg.rexmit, now + t.lmqiMs);
    }
  }
}
