// IPv4 multicast data: MDB (*,G) and (S,G), unregistered policies, router and floodAll ports, 224.0.0.X, MAC/IP
// consistency, table programming through applyCommands.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4GroupMac, l2Frame, multicastData } from '../../../src/testkit/frames.js';
import { decide, newCore, ports } from './harness.js';

const G = '239.10.10.10';
const S1 = '192.0.2.1';
const S2 = '192.0.2.2';

describe('MDB forwarding', () => {
  it('(*,G) forwards to its ports plus router ports, never back to the ingress', () => {
    const core = newCore();
    core.setRouterPorts(ports(2));
    core.mdbSet(0, G, null, ports(1, 3));
    expect(decide(core, multicastData(G), 0)).toMatchObject({ action: 'forward', ports: ports(1, 2, 3) });
    expect(decide(core, multicastData(G), 1)).toMatchObject({ ports: ports(2, 3) });
  });

  it('floodAll ports receive every group', () => {
    const core = newCore();
    core.mdbSet(0, G, null, ports(1));
    core.setPortFlags(ports(3), 0n, 0n);
    expect(decide(core, multicastData(G), 0)).toMatchObject({ ports: ports(1, 3) });
  });

  it('a group registered with no ports goes to router ports only, or nowhere', () => {
    const core = newCore();
    core.mdbSet(0, G, null, 0n);
    core.setPolicy('flood', 'snoop');
    core.setPortFlags(0n, 0n, ports(0, 1, 2, 3));
    expect(decide(core, multicastData(G))).toMatchObject({ action: 'drop', reason: 'no_egress' });
    core.setRouterPorts(ports(3));
    expect(decide(core, multicastData(G))).toMatchObject({ action: 'forward', ports: ports(3) });
  });

  it('(S,G) entries take precedence; a source without one gets the (*,G) ports', () => {
    const core = newCore();
    core.mdbSet(0, G, null, ports(3));
    core.mdbSet(0, G, S1, ports(1));
    expect(decide(core, multicastData(G, { src: S1 }))).toMatchObject({ ports: ports(1) });
    expect(decide(core, multicastData(G, { src: S2 }))).toMatchObject({ ports: ports(3) });
  });

  it('(S,G) alone: other sources reach router ports only (the group is known), and the placeholder goes with the last (S,G)', () => {
    const core = newCore();
    core.setPolicy('flood', 'snoop');
    core.setPortFlags(0n, 0n, ports(0, 1, 2, 3));
    core.setRouterPorts(ports(2));
    core.mdbSet(0, G, S1, ports(1));
    expect(core.mdbEntries().map((e) => e.kind).sort()).toEqual(['placeholder', 'source']);
    expect(decide(core, multicastData(G, { src: S1 }))).toMatchObject({ ports: ports(1, 2) });
    expect(decide(core, multicastData(G, { src: S2 }))).toMatchObject({ ports: ports(2) });
    expect(core.mdbDelete(0, G, S1)).toBe(true);
    expect(core.mdbCount()).toBe(0);
    // Unregistered again: flooded by policy.
    expect(decide(core, multicastData(G, { src: S2 }))).toMatchObject({ ports: ports(1, 2, 3) });
  });

  it('deleting a (*,G) that still has (S,G) entries keeps a placeholder', () => {
    const core = newCore();
    core.mdbSet(0, G, null, ports(3));
    core.mdbSet(0, G, S1, ports(1));
    expect(core.mdbDelete(0, G, null)).toBe(true);
    expect(core.mdbEntries().find((e) => e.source === null)).toMatchObject({ kind: 'placeholder', ports: 0n, sourceCount: 1 });
    expect(decide(core, multicastData(G, { src: S2 }))).toMatchObject({ action: 'drop', reason: 'no_egress' });
    expect(core.mdbDelete(0, G, null)).toBe(false);
    expect(core.mdbDelete(0, G, S1)).toBe(true);
    expect(core.mdbCount()).toBe(0);
  });

  it('keys are IP-based (RFC 4541 2.1.2(5)): a group sharing the MAC of a registered one is unregistered', () => {
    const core = newCore();
    core.mdbSet(0, '239.1.1.1', null, ports(1));
    expect(ipv4GroupMac('224.1.1.1')).toBe(ipv4GroupMac('239.1.1.1'));
    expect(decide(core, multicastData('224.1.1.1'))).toMatchObject({ action: 'drop', reason: 'no_egress' });
    expect(decide(core, multicastData('239.1.1.1'))).toMatchObject({ ports: ports(1) });
  });

  it('keys include the VLAN', () => {
    const core = newCore();
    core.mdbSet(10, G, null, ports(1));
    expect(decide(core, multicastData(G, { tags: [{ vid: 10 }] }))).toMatchObject({ ports: ports(1), vlan: 10 });
    expect(decide(core, multicastData(G, { tags: [{ vid: 20 }] }))).toMatchObject({ reason: 'no_egress' });
    expect(decide(core, multicastData(G))).toMatchObject({ reason: 'no_egress' });
  });

  it('non-first fragments follow their group', () => {
    const core = newCore();
    core.mdbSet(0, G, null, ports(2));
    expect(decide(core, multicastData(G, { fragmentOffset: 185 }))).toMatchObject({ ports: ports(2) });
    expect(decide(core, multicastData(G, { moreFragments: true }))).toMatchObject({ ports: ports(2) });
  });
});

describe('unregistered groups (RFC 4541 2.1.2(3))', () => {
  it('routers: router ports and floodAll ports', () => {
    const core = newCore();
    core.setRouterPorts(ports(2));
    core.setPortFlags(ports(3), 0n, ports(1));
    expect(decide(core, multicastData(G))).toMatchObject({ ports: ports(2, 3) });
  });

  it('flood: also floodUnregistered ports', () => {
    const core = newCore();
    core.setRouterPorts(ports(2));
    core.setPolicy('flood', 'snoop');
    core.setPortFlags(0n, 0n, ports(1));
    expect(decide(core, multicastData(G))).toMatchObject({ ports: ports(1, 2) });
  });

  it('drop: dropped and counted (floodAll ports still receive it)', () => {
    const core = newCore();
    core.setRouterPorts(ports(2));
    core.setPolicy('drop', 'snoop');
    expect(decide(core, multicastData(G))).toMatchObject({ action: 'drop', reason: 'unregistered_drop' });
    expect(core.counters().ports[0]!.drops.unregistered_drop).toBe(1);
    core.setPortFlags(ports(3), 0n, 0n);
    expect(decide(core, multicastData(G))).toMatchObject({ action: 'forward', ports: ports(3) });
  });

  it('multicast mode flood ignores the MDB', () => {
    const core = newCore();
    core.mdbSet(0, G, null, ports(1));
    core.setPolicy('drop', 'flood');
    expect(decide(core, multicastData(G))).toMatchObject({ ports: ports(1, 2, 3) });
  });
});

describe('224.0.0.X and address consistency', () => {
  it('non-IGMP traffic to 224.0.0.X is flooded whatever the MDB and policy say (RFC 4541 2.1.2(2))', () => {
    const core = newCore();
    core.setPolicy('drop', 'snoop');
    core.mdbSet(0, '224.0.0.251', null, ports(1));
    // mDNS, 192.0.2.1 → 224.0.0.251
    expect(decide(core, multicastData('224.0.0.251'))).toMatchObject({ action: 'forward', ports: ports(1, 2, 3) });
  });

  it('drops multicast data with a bad IPv4 header checksum (RFC 4541 2.1.2(6))', () => {
    const core = newCore();
    expect(decide(core, multicastData(G, { badChecksum: true }))).toMatchObject({ action: 'drop', reason: 'ipv4_checksum' });
  });

  it('drops an IPv4 group in another group\'s MAC, and an IPv4 group MAC carrying a unicast address', () => {
    const core = newCore();
    expect(decide(core, multicastData(G, { dstMac: '01:00:5e:0a:0a:0b' }))).toMatchObject({ reason: 'mac_ip_mismatch' });
    expect(decide(core, multicastData('10.1.2.3', { dstMac: '01:00:5e:01:02:03' }))).toMatchObject({ reason: 'mac_ip_mismatch' });
    // The 24th bit of the MAC must be 0 (RFC 1112 §6.4).
    expect(decide(core, multicastData('239.1.2.3', { dstMac: '01:00:5e:81:02:03' }))).toMatchObject({ reason: 'mac_ip_mismatch' });
  });

  it('issue 11.5: an IPv4 group inside a unicast MAC is forwarded by the FDB (multicast_to_unicast), never snooped', () => {
    const core = newCore();
    core.setPolicy('drop', 'snoop');
    core.mdbSet(0, G, null, ports(3));
    decide(core, l2Frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:b2'), 2);           // learn the receiver on port 2
    expect(decide(core, multicastData(G, { dstMac: '02:00:00:00:00:b2' }), 0)).toMatchObject({ action: 'forward', ports: ports(2) });
    // unknown unicast: flooded like any unknown unicast
    expect(decide(core, multicastData(G, { dstMac: '02:00:00:00:00:b9' }), 0)).toMatchObject({ action: 'forward', ports: ports(1, 2, 3) });
  });

  it('issue 11.5: an IPv4 group inside the broadcast MAC is flooded', () => {
    const core = newCore();
    core.setPolicy('drop', 'snoop');
    expect(decide(core, multicastData(G, { dstMac: 'ff:ff:ff:ff:ff:ff' }), 0)).toMatchObject({ action: 'forward', ports: ports(1, 2, 3) });
  });

  it('bridges IPv4 broadcast and cluster-MAC unicast IP as L2', () => {
    const core = newCore();
    expect(decide(core, multicastData('192.0.2.255', { dstMac: 'ff:ff:ff:ff:ff:ff' }))).toMatchObject({ ports: ports(1, 2, 3) });
    expect(decide(core, multicastData('192.0.2.50', { dstMac: '03:bf:c0:00:02:32' }))).toMatchObject({ ports: ports(1, 2, 3) });
  });

  it('floods non-IP multicast', () => {
    const core = newCore();
    expect(decide(core, l2Frame('01:00:0c:cc:cc:cc', '02:00:00:00:00:0a', 0x2000))).toMatchObject({ ports: ports(1, 2, 3) });
  });
});

describe('table commands', () => {
  it('applies every command kind and reports MDB-full failures', () => {
    const core = newCore({ mdbCapacity: 3 });
    const failed = core.applyCommands([
      { op: 'activePorts', ports: ports(0, 1, 2, 3, 4) },
      { op: 'routerPorts', ports: ports(4) },
      { op: 'policy', unregistered: 'routers', mode: 'snoop' },
      { op: 'portFlags', floodAll: 0n, floodReports: 0n, floodUnregistered: 0n },
      { op: 'mdbSet', vlan: 0, group: '239.1.1.1', source: null, ports: ports(1) },
      { op: 'mdbSet', vlan: 0, group: '239.1.1.2', source: '192.0.2.1', ports: ports(2) }, // + placeholder
      { op: 'mdbSet', vlan: 0, group: '239.1.1.3', source: null, ports: ports(3) }, // full
      { op: 'mdbSet', vlan: 0, group: 'ff3e::1234', source: null, ports: ports(3) }, // full
      { op: 'mdbSet', vlan: 0, group: '239.1.1.1', source: null, ports: ports(1, 3) }, // replace: fits
    ]);
    expect(failed).toBe(2);
    expect(core.counters().global.mdb_full).toBe(2);
    expect(decide(core, multicastData('239.1.1.1'))).toMatchObject({ ports: ports(1, 3, 4) });
    expect(decide(core, multicastData('239.1.1.2'))).toMatchObject({ ports: ports(2, 4) });
    expect(decide(core, multicastData('239.1.1.3'))).toMatchObject({ ports: ports(4) });
    core.applyCommands([{ op: 'mdbDelete', vlan: 0, group: '239.1.1.2', source: '192.0.2.1' }]);
    expect(core.mdbCount()).toBe(1);
    core.applyCommands([{ op: 'mdbClear' }]);
    expect(core.mdbEntries()).toEqual([]);
    expect(decide(core, multicastData('239.1.1.1'))).toMatchObject({ ports: ports(4) });
  });

  it('reads entries back with their addresses as text', () => {
    const core = newCore();
    core.mdbSet(7, '239.10.10.10', null, ports(1));
    core.mdbSet(7, 'ff0e::1:3', '2001:db8::5', ports(2));
    const entries = core.mdbEntries().sort((a, b) => a.kind.localeCompare(b.kind));
    expect(entries).toEqual([
      { vlan: 7, group: '239.10.10.10', source: null, ports: ports(1), kind: 'group', sourceCount: 0 },
      { vlan: 7, group: 'ff0e::1:3', source: null, ports: 0n, kind: 'placeholder', sourceCount: 1 },
      { vlan: 7, group: 'ff0e::1:3', source: '2001:db8::5', ports: ports(2), kind: 'source', sourceCount: 0 },
    ]);
  });

  it('forwards exactly as a model of (*,G)/(S,G)/placeholder semantics says, through any set/delete sequence', () => {
    const groups = ['239.1.1.1', '239.1.1.2', '239.2.0.1'];
    const sources = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    const CAPACITY = 6;
    const op = fc.record({
      del: fc.boolean(),
      g: fc.integer({ min: 0, max: 2 }),
      s: fc.integer({ min: -1, max: 2 }),
      ports: fc.integer({ min: 0, max: 15 }),
    });
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const core = newCore({ mdbCapacity: CAPACITY });
      core.setRouterPorts(ports(3));
      const star = new Map<number, number>(); // registered (*,G) → ports
      const sg = new Map<string, number>(); // "g/s" → ports
      const sgCount = (g: number) => [...sg.keys()].filter((k) => k.startsWith(`${g}/`)).length;
      const entries = () => star.size + sg.size + groups.filter((_, g) => !star.has(g) && sgCount(g) > 0).length;
      for (const o of ops) {
        const source = o.s < 0 ? null : sources[o.s]!;
        if (o.del) {
          const had = source === null ? star.delete(o.g) : sg.delete(`${o.g}/${o.s}`);
          if (core.mdbDelete(0, groups[o.g]!, source) !== had) return false;
        } else {
          const exists = source === null ? star.has(o.g) : sg.has(`${o.g}/${o.s}`);
          const need = exists ? 0 : source === null ? (sgCount(o.g) > 0 ? 0 : 1) : (star.has(o.g) || sgCount(o.g) > 0 ? 1 : 2);
          const fits = entries() + need <= CAPACITY;
          if (fits) {
            if (source === null) star.set(o.g, o.ports);
            else sg.set(`${o.g}/${o.s}`, o.ports);
          }
          if (core.mdbSet(0, groups[o.g]!, source, BigInt(o.ports)) !== fits) return false;
        }
        if (core.mdbCount() !== entries()) return false;
        for (let g = 0; g < groups.length; g++) {
          for (let s = 0; s < sources.length; s++) {
            const known = star.has(g) || sgCount(g) > 0;
            const own = sg.get(`${g}/${s}`) ?? star.get(g) ?? 0;
            const expected = known ? (BigInt(own) | ports(3)) & ~1n : ports(3);
            const v = decide(core, multicastData(groups[g]!, { src: sources[s] }), 0);
            if (v.ports !== expected) return false;
          }
        }
      }
      return true;
    }), { numRuns: 100 });
  });
});
