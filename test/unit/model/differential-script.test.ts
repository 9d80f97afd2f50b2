// The differential harness's script generator (test/differential/script.ts): same seed, same script; every socket
// call is one the kernel accepts (the generator plans with applySocketCall, which throws where Linux refuses); a
// host changes its IGMP version only while it holds nothing, or from IGMPv3 to IGMPv2; the script reaches every
// kind of membership. The same for MLD (test/differential/family.ts): MLDv2/MLDv1, ipv6(7)'s calls.

import { describe, expect, it } from 'vitest';
import { applySocketCall, interfaceState, type Filter } from '../../model/igmp-host.js';
import { MLD, type DiffFamily } from '../../differential/family.js';
import { describeFilter, Script, type Step } from '../../differential/script.js';

interface Setup { receivers: string[]; groups: readonly string[]; sources: [string, string]; family?: DiffFamily }
const IGMP_SETUP: Setup = { receivers: ['r1', 'r2', 'r3', 'r4'], groups: ['239.1.1.1', '239.1.1.2', '239.1.1.3'], sources: ['192.0.2.1', '192.0.2.2'] };
const MLD_SETUP: Setup = { receivers: IGMP_SETUP.receivers, groups: MLD.groups, sources: ['2001:db8:1::1', '2001:db8:1::2'], family: MLD };

function play(seed: number, rounds: number, SETUP: Setup = IGMP_SETUP): { steps: Step[][]; seen: Set<string>; calls: Set<string>; versions: Set<string> } {
  const script = new Script(seed, SETUP);
  const socks = new Map<string, { group: string; filter: Filter | null }>();
  const seen = new Set<string>();
  const calls = new Set<string>();
  const versions = new Set<string>();
  const steps: Step[][] = [];
  for (let r = 0; r < rounds; r++) {
    const round = script.round();
    steps.push(round);
    for (const s of round) {
      const key = `${s.host}/${'sock' in s ? s.sock : ''}`;
      if (s.kind === 'version') {
        const holding = [...socks.keys()].some((k) => k.startsWith(`${s.host}/`));
        expect(holding, `${s.host} switches version: holding`).toBe(s.holding);
        if (holding) expect(s.version, `${s.host} may go only to IGMPv2 (MLDv1) while holding memberships`).toBe(SETUP.family?.versions.older ?? 2);
        versions.add(`${s.version}${s.holding ? ' holding' : ''}`);
      } else if (s.kind === 'open') socks.set(key, { group: '', filter: null });
      else if (s.kind === 'close') socks.delete(key);
      else {
        const sk = socks.get(key)!;
        sk.group = s.group;
        sk.filter = applySocketCall(sk.filter, s.call, s.source);
        calls.add(s.call);
      }
    }
    for (const h of SETUP.receivers) {
      for (const g of SETUP.groups) {
        const filters = [...socks].filter(([k, v]) => k.startsWith(`${h}/`) && v.group === g && v.filter).map(([, v]) => v.filter!);
        seen.add(describeFilter(interfaceState(filters)).replace(/\d+/g, 'S'));
      }
    }
  }
  return { steps, seen, calls, versions };
}

describe('differential script', () => {
  it('is a function of the seed', () => {
    expect(play(7, 10).steps).toEqual(play(7, 10).steps);
    expect(play(7, 10).steps).not.toEqual(play(8, 10).steps);
  });

  it('makes only calls the kernel accepts, and reaches every kind of membership with every call', () => {
    const seen = new Set<string>();
    const calls = new Set<string>();
    const versions = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const p = play(seed, 8);
      p.seen.forEach((x) => seen.add(x));
      p.calls.forEach((x) => calls.add(x));
      p.versions.forEach((x) => versions.add(x));
    }
    expect([...versions].sort()).toEqual(['2', '2 holding', '3']);
    for (const kind of ['none', 'EX{}', 'IN{S}', 'IN{S,S}', 'EX{S}']) expect(seen, kind).toContain(kind);
    expect(calls.size).toBe(12);
  });
});

describe('differential script for MLD (the same generator, the MLD family)', () => {
  it('is a function of the seed, and not the IGMP script', () => {
    expect(play(7, 10, MLD_SETUP).steps).toEqual(play(7, 10, MLD_SETUP).steps);
    expect(play(7, 10, MLD_SETUP).steps).not.toEqual(play(8, 10, MLD_SETUP).steps);
    const kinds = (steps: Step[][]) => steps.map((r) => r.map((x) => x.kind).join());
    expect(kinds(play(7, 10, MLD_SETUP).steps)).not.toEqual(kinds(play(7, 10).steps));
  });

  it('makes only calls the kernel accepts (ipv6(7) and MCAST_*), MLDv2/MLDv1 switches, every kind of membership', () => {
    const seen = new Set<string>();
    const calls = new Set<string>();
    const versions = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const p = play(seed, 8, MLD_SETUP);
      p.seen.forEach((x) => seen.add(x));
      p.calls.forEach((x) => calls.add(x));
      p.versions.forEach((x) => versions.add(x));
    }
    expect([...versions].sort()).toEqual(['1', '1 holding', '2']);
    for (const kind of ['none', 'EX{}', 'IN{S}', 'IN{S,S}', 'EX{S}']) expect(seen, kind).toContain(kind);
    expect([...calls].sort()).toEqual([
      'IPV6_JOIN_GROUP', 'IPV6_LEAVE_GROUP', 'MCAST_BLOCK_SOURCE', 'MCAST_JOIN_GROUP', 'MCAST_JOIN_SOURCE_GROUP',
      'MCAST_LEAVE_GROUP', 'MCAST_LEAVE_SOURCE_GROUP', 'MCAST_UNBLOCK_SOURCE',
    ]);
  });
});
