// The seeded random script of the differential harness: per round, what the applications on each receiving host do
// with their sockets (test/model/igmp-host.ts says what each call means), and which hosts switch their IGMP or MLD
// version. Same seed and family, same script: a disagreement is reproduced with `npm run diff -- --seed N`.
// One script for both families (test/differential/family.ts): the family names the calls of its own API and its two
// versions (IGMPv3/IGMPv2, MLDv2/MLDv1); the MLD script draws from its own random stream, so that the two
// families of one run do not make the same moves at the same time.
//
// Every receiver's target for a group is one of: nothing, EXCLUDE {} (an any-source join), INCLUDE {S1},
// INCLUDE {S2}, INCLUDE {S1,S2}, EXCLUDE {S1}, EXCLUDE {S2}, or two sockets merged by the kernel (§3.2:
// INCLUDE {S1} + EXCLUDE {S1,S2} = EXCLUDE {S2}). The way there is chosen at random too: incremental calls on the
// socket that holds the membership (ALLOW/BLOCK), or a new socket and closing the old one (TO_EX/TO_IN), with the
// family's own calls (IP_*, or IPV6_JOIN_GROUP/IPV6_LEAVE_GROUP with MCAST_* for sources) or the protocol-independent
// MCAST_* calls. A host changes its version (force_igmp_version 2 or 3, force_mld_version 1 or 2) in a round that
// finds it holding nothing, or goes from IGMPv3 to IGMPv2 (MLDv2 to MLDv1) keeping its memberships; never from the
// older version to the newer with memberships, so that every round's target state is reached within a few seconds (see
// docs/differential.md, "Convergence").

import { Rng } from '../unit/fuzz/rng.js';
import { applySocketCall, interfaceState, type Filter, type SocketCall } from '../model/igmp-host.js';
import { IGMP, type DiffFamily } from './family.js';

export type Step =
  /**
   * version: the family's (IGMP 2|3, MLD 1|2). holding: the host keeps its memberships (only ever from the current
   * version to the older one; see docs/differential.md "Convergence").
   */
  | { host: string; kind: 'version'; version: number; holding: boolean }
  | { host: string; kind: 'open'; sock: number }
  | { host: string; kind: 'call'; sock: number; call: SocketCall; group: string; source?: string }
  | { host: string; kind: 'close'; sock: number };

export interface ScriptSetup {
  receivers: readonly string[];
  groups: readonly string[];
  /** The two sources receivers name in their filters (a third sender is never named). */
  sources: readonly [string, string];
  /** IGMP unless given. */
  family?: DiffFamily;
}

interface Sock {
  id: number;
  group: string;
  filter: Filter | null;
}

/** The script's view of one host: sockets with their filters, and its protocol version. */
class HostPlan {
  socks: Sock[] = [];
  constructor(readonly name: string, public version: number) {}
  of(group: string): Sock[] {
    return this.socks.filter((s) => s.group === group);
  }
  state(group: string): Filter | null {
    return interfaceState(this.of(group).flatMap((s) => (s.filter ? [s.filter] : [])));
  }
}

export function describeFilter(f: Filter | null): string {
  if (f === null) return 'none';
  return `${f.mode === 'include' ? 'IN' : 'EX'}{${f.sources.map(shortAddress).join(',')}}`;
}

/** The last part of an address, to tell sources apart in messages: 192.0.2.1 → 1, 2001:db8:1::2 → 2. */
export function shortAddress(a: string): string {
  return a.split(/[.:]/).pop()!;
}

/** Generates rounds for one seed; `round()` gives the next round's steps. */
export class Script {
  private readonly rng: Rng;
  private readonly hosts: Map<string, HostPlan>;
  private nextSock = 1;
  readonly family: DiffFamily;

  constructor(readonly seed: number, readonly setup: ScriptSetup) {
    this.family = setup.family ?? IGMP;
    // IGMP keeps the stream it always had (CI's seeds were chosen on it); MLD has its own.
    this.rng = new Rng(seed * 0x9e3779b1 + 1 + (this.family === IGMP ? 0 : 0x6d6c64));
    this.hosts = new Map(setup.receivers.map((h) => [h, new HostPlan(h, this.family.versions.current)]));
  }

  /** The filters a receiver may aim for (one socket each, except the merged pair). */
  private targets(): { name: string; sockets: Filter[] }[] {
    const [s1, s2] = this.setup.sources;
    return [
      { name: 'none', sockets: [] },
      { name: 'EX{}', sockets: [{ mode: 'exclude', sources: [] }] },
      { name: 'IN{S1}', sockets: [{ mode: 'include', sources: [s1] }] },
      { name: 'IN{S2}', sockets: [{ mode: 'include', sources: [s2] }] },
      { name: 'IN{S1,S2}', sockets: [{ mode: 'include', sources: [s1, s2] }] },
      { name: 'EX{S1}', sockets: [{ mode: 'exclude', sources: [s1] }] },
      { name: 'EX{S2}', sockets: [{ mode: 'exclude', sources: [s2] }] },
      { name: 'IN{S1}+EX{S1,S2}', sockets: [{ mode: 'include', sources: [s1] }, { mode: 'exclude', sources: [s1, s2] }] },
    ];
  }

  round(): Step[] {
    const steps: Step[] = [];
    const { current, older } = this.family.versions;
    for (const h of this.hosts.values()) {
      const holdsNothing = h.socks.length === 0;
      if (holdsNothing && this.rng.chance(0.25)) {
        h.version = h.version === current ? older : current;
        steps.push({ host: h.name, kind: 'version', version: h.version, holding: false });
        continue;
      }
      // IGMPv3 → IGMPv2 (MLDv2 → MLDv1) with memberships held: the kernel answers the next General Query with the
      // older version's reports (RFC 3376 §7.3.2, RFC 3810 §8.3.2: IS_EX({}), which unblocks every source the port
      // had blocked).
      if (!holdsNothing && h.version === current && this.rng.chance(0.12)) {
        h.version = older;
        steps.push({ host: h.name, kind: 'version', version: older, holding: true });
        continue;
      }
      if (!this.rng.chance(0.75)) continue;
      const groups = [...this.setup.groups];
      const n = this.rng.range(1, 2);
      for (let i = 0; i < n && groups.length; i++) {
        const group = groups.splice(this.rng.int(groups.length), 1)[0]!;
        const now = h.state(group);
        const choices = this.targets().filter((t) => {
          const want = interfaceState(t.sockets);
          return !(want === null ? now === null : now !== null && want.mode === now.mode && want.sources.join() === now.sources.join());
        });
        this.reach(h, group, this.rng.pick(choices).sockets, steps);
      }
    }
    return steps;
  }

  /** Socket calls that take h's sockets for group to the target sockets' filters. */
  private reach(h: HostPlan, group: string, target: Filter[], steps: Step[]): void {
    const rng = this.rng;
    const c = this.family.calls(rng.chance(0.5)); // the family's own calls, or the protocol-independent MCAST_* ones
    const call = (s: Sock, which: SocketCall, source?: string) => {
      s.filter = applySocketCall(s.filter, which, source);
      steps.push({ host: h.name, kind: 'call', sock: s.id, call: which, group, ...(source ? { source } : {}) });
    };
    const open = (): Sock => {
      const s: Sock = { id: this.nextSock++, group, filter: null };
      h.socks.push(s);
      steps.push({ host: h.name, kind: 'open', sock: s.id });
      return s;
    };
    const close = (s: Sock, viaCalls: boolean) => {
      if (viaCalls && s.filter) {
        if (s.filter.mode === 'exclude') call(s, c.leave);
        else for (const src of [...s.filter.sources]) call(s, c.leaveSource, src);
      }
      h.socks = h.socks.filter((x) => x !== s);
      steps.push({ host: h.name, kind: 'close', sock: s.id });
    };
    const fill = (s: Sock, f: Filter) => {
      if (f.mode === 'include') {
        for (const src of f.sources) call(s, c.joinSource, src);
      } else {
        call(s, c.join);
        for (const src of f.sources) call(s, c.block, src);
      }
    };
    const old = h.of(group);
    // Incremental: one socket now, one wanted, same mode: ALLOW/BLOCK (INCLUDE: join new sources before dropping
    // old ones, so the membership never passes through "none").
    if (old.length === 1 && target.length === 1 && old[0]!.filter?.mode === target[0]!.mode && rng.chance(0.7)) {
      const s = old[0]!;
      const have = s.filter!.sources;
      const want = target[0]!.sources;
      const add = want.filter((x) => !have.includes(x));
      const drop = have.filter((x) => !want.includes(x));
      if (target[0]!.mode === 'include') {
        for (const src of add) call(s, c.joinSource, src);
        for (const src of drop) call(s, c.leaveSource, src);
      } else {
        for (const src of add) call(s, c.block, src);
        for (const src of drop) call(s, c.unblock, src);
      }
      return;
    }
    // Otherwise: open the new sockets first (make before break: INCLUDE → EXCLUDE is one TO_EX), then let go of the
    // old ones, by closing them or by leaving with calls first.
    const order = rng.chance(0.5) ? target : [...target].reverse();
    for (const f of order) fill(open(), f);
    for (const s of old) close(s, rng.chance(0.5));
  }

  /** The protocol version each receiver uses now. */
  versions(): Map<string, number> {
    return new Map([...this.hosts.values()].map((h) => [h.name, h.version]));
  }
}
