// MLD snooping: what differs from IGMP (address rules, policing, querier source and election, MLDv1 compatibility,
// query frames) and the two engines behind DualStackSnooping. The membership tables themselves run for both families
// in rfc3376-tables.test.ts.

import { describe, expect, it } from 'vitest';
import type { TableCommand } from '../../../src/dataplane/commands.js';
import { defaultPortConfig, defaultSnoopingConfig } from '../../../src/config/translate.js';
import { DualStackSnooping } from '../../../src/snooping/dual-stack.js';
import { IPV4, IPV6 } from '../../../src/snooping/family.js';
import { buildIgmpFrame, buildMldFrame, decodeControlFrame, l3OffsetOf } from '../../../src/wire/control-frame.js';
import { RecordType as R } from '../../../src/wire/igmp.js';
import { Harness, mask } from './harness.js';

const G = 'ff0e::1:2:3';
const S1 = '2001:db8::1';

function mldHarness(o: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  return new Harness({ ...o, family: IPV6 });
}

describe('MLD address rules (RFC 4541 §3)', () => {
  it('link-scope groups are snooped, solicited-node included; ff02::1 and ff00::/15 are never snooped', () => {
    const h = mldHarness();
    for (const g of ['ff02::cc', 'ff02::1:ff00:1', 'ff05::1:3']) h.record(R.CHANGE_TO_EXCLUDE_MODE, g, [], 1);
    expect(h.engine.groups().map((g) => g.group)).toEqual(['ff02::cc', 'ff02::1:ff00:1', 'ff05::1:3']);
    for (const g of ['ff02::1', 'ff01::1', 'ff00::5']) h.record(R.CHANGE_TO_EXCLUDE_MODE, g, [], 1);
    expect(h.engine.stats().rejects['local-group']).toBe(3);
    h.mld({ type: 'report', version: 1, group: '2001:db8::9' }, 1);
    expect(h.engine.stats().rejects['invalid-group']).toBe(1);
    expect(h.engine.groups()).toHaveLength(3);
  });

  it(':: and multicast sources are refused from source lists', () => {
    const h = mldHarness();
    h.record(R.MODE_IS_INCLUDE, G, [S1, '::', 'ff0e::1'], 1);
    expect(h.xy(G, 1)).toEqual({ mode: 'include', X: [S1], Y: [] });
    expect(h.engine.stats().rejects['invalid-source']).toBe(2);
  });
});

describe('MLD policing (RFC 3810 §5.1.14, §6.2)', () => {
  const report = { type: 'v2-report' as const, records: [{ recordType: R.CHANGE_TO_EXCLUDE_MODE, group: G, sources: [] }] };

  it('reports from a non-link-local source, with Hop Limit ≠ 1 or without Router Alert are dropped and counted', () => {
    const h = mldHarness();
    h.mld(report, 1, { src: '2001:db8::5' });
    h.mld(report, 1, { hopLimit: 2 });
    h.mld(report, 1, { routerAlert: false });
    expect(h.engine.groups()).toEqual([]);
    expect(h.engine.stats().rejects).toMatchObject({ 'not-link-local-source': 1, 'hop-limit': 1, 'no-router-alert': 1 });
    h.mld(report, 1);
    expect(h.engine.groups().map((g) => g.group)).toEqual([G]);
  });

  it('a report from :: is accepted (RFC 3810 §5.2.13: sent during DAD; neighbour discovery needs the membership)', () => {
    const h = mldHarness();
    h.mld(report, 1, { src: '::' });
    expect(h.pg(G, 1)?.mode).toBe('exclude');
  });

  it('a query from :: or a global address is dropped and counted, and elects nobody', () => {
    const h = mldHarness();
    h.query({ version: 3 }, 2, '::');
    h.query({ version: 3 }, 2, '2001:db8::1');
    expect(h.engine.stats().rejects['not-link-local-source']).toBe(2);
    expect(h.engine.querier()[0]!.other).toBeNull();
    expect(h.engine.routers()).toEqual([]);
  });
});

describe('MLD querier (RFC 3810 §7.6)', () => {
  it('sends MLDv2 General Queries to ff02::1 from its link-local address, Hop Limit 1, Router Alert', () => {
    const h = mldHarness({ querier: { enabled: true, address: 'fe80::254', version: 3 } });
    const q = h.sent.map((s) => s.decoded).find((d) => d.kind === 'mld');
    expect(q).toMatchObject({ family: 6, src: 'fe80::254', dst: 'ff02::1', ttl: 1, routerAlert: true });
    expect(q?.kind === 'mld' && q.message).toMatchObject({ type: 'query', version: 2, group: '::', maxRespMs: 10_000, qrv: 2, qqiSec: 125 });
    expect(h.engine.stats().tx.mld_v2_general_query).toBe(1);
    expect(h.engine.querier()[0]).toMatchObject({ family: 6, role: 'querier' });
  });

  it('election: the lowest link-local address wins (ours loses to fe80::1, beats fe80::300)', () => {
    const h = mldHarness({ querier: { enabled: true, address: 'fe80::254', version: 3 } });
    h.query({ version: 3 }, 2, 'fe80::300');
    expect(h.engine.querier()[0]!.role).toBe('querier');
    expect(h.engine.stats().rejects['not-elected']).toBe(1);
    h.query({ version: 3 }, 2, 'fe80::1');
    expect(h.engine.querier()[0]).toMatchObject({ role: 'non-querier', other: { address: 'fe80::1', port: 2 } });
    expect(h.dp.routerPorts).toBe(mask(2));
    h.clearSent();
    h.advance(200_000);
    expect(h.queries()).toEqual([]);
    h.advance(100_000); // Other Querier Present Interval (255 s) over: we query again
    expect(h.queries().length).toBeGreaterThan(0);
    expect(h.engine.querier()[0]!.role).toBe('querier');
  });

  it('a default querier address is the EUI-64 link-local address of the switch MAC (RFC 4291 §2.5.1)', () => {
    expect(IPV6.defaultQuerierAddress('02:00:00:00:00:01')).toBe('fe80::ff:fe00:1');
    expect(IPV6.defaultQuerierAddress('fe:54:00:04:5e:ba')).toBe('fe80::fc54:ff:fe04:5eba');
  });
});

describe('MLDv1 (RFC 2710) and compatibility (RFC 3810 §8.3.2)', () => {
  it('an MLDv1 report puts the group in MLDv1 mode; a Done makes our MLDv1 querier send Q(G) and the group ends after LLQT', () => {
    const h = mldHarness({ querier: { enabled: true, address: 'fe80::254', version: 2 } });
    h.mld({ type: 'report', version: 1, group: G }, 1);
    expect(h.pg(G, 1)).toMatchObject({ mode: 'exclude', compat: 2 });
    expect(IPV6.versionName(h.pg(G, 1)!.compat)).toBe('MLDv1');
    // In MLDv1 mode, BLOCK is ignored (as IGMPv2 mode does).
    h.record(R.BLOCK_OLD_SOURCES, G, [S1], 1);
    expect(h.engine.stats().rejects['compat-ignored']).toBe(1);
    h.clearSent();
    h.mld({ type: 'done', group: G }, 1);
    const qs = h.queries().filter((q) => q.q.group === G);
    expect(qs).toHaveLength(1);
    expect(qs[0]).toMatchObject({ ports: mask(1), dst: G, ttl: 1, routerAlert: true, q: { version: 2 } }); // MLDv1 (24 octets)
    expect(h.engine.stats().tx.mld_v1_group_query).toBe(1);
    h.advance(1_999);
    expect(h.pg(G, 1)).toBeDefined();
    h.advance(1);
    expect(h.pg(G, 1)).toBeUndefined();
  });
});

describe('DualStackSnooping: both engines behind one face', () => {
  function make() {
    const applied: TableCommand[] = [];
    const sent: Uint8Array[] = [];
    const ports = [1, 2, 3].map((i) => defaultPortConfig(i, `swp${i}`));
    const igmp = { ...defaultSnoopingConfig(), querier: { enabled: true, address: '192.0.2.254', version: 3 as const } };
    const mld = { ...defaultSnoopingConfig(), querier: { enabled: true, address: '', version: 3 as const } };
    const d = new DualStackSnooping({
      config: { igmp, mld }, ports, tables: { apply: (l) => applied.push(...l) }, frames: { send: (_p, f) => sent.push(f) },
      random: () => 0, querierMac: '02:00:00:00:00:01',
    });
    const feed = (frame: Uint8Array, port: number, now: number) => {
      const m = decodeControlFrame(frame, l3OffsetOf(frame));
      if (!m.ok) throw new Error('bad frame');
      return d.receive(m.value, port, 0, now);
    };
    return { d, applied, sent, feed, igmp, mld, ports };
  }

  it('one mdbClear, IPv4 and IPv6 entries side by side, the IPv6 policy as mldMode, router ports as a union', () => {
    const { d, applied, feed } = make();
    d.tick(0);
    feed(buildIgmpFrame({ srcMac: '02:00:00:00:00:11', src: '192.0.2.1', dst: '224.0.0.22', vlan: 0,
      message: { type: 'v3-report', records: [{ recordType: R.CHANGE_TO_EXCLUDE_MODE, group: '239.1.1.1', sources: [] }] } }), 1, 10);
    feed(buildMldFrame({ srcMac: '02:00:00:00:00:12', src: 'fe80::12', dst: 'ff02::16', vlan: 0,
      message: { type: 'v2-report', records: [{ recordType: R.CHANGE_TO_EXCLUDE_MODE, group: G, sources: [] }] } }), 2, 20);
    feed(buildMldFrame({ srcMac: '02:00:00:00:00:13', src: 'fe80::1', dst: 'ff02::1', vlan: 0,
      message: { type: 'query', version: 2, maxRespMs: 10_000, group: '::', suppress: false, qrv: 2, qqiSec: 125, sources: [] } }), 3, 30);
    expect(applied.filter((c) => c.op === 'mdbClear')).toHaveLength(1);
    expect(applied.findIndex((c) => c.op === 'mdbClear')).toBe(0);
    const sets = applied.filter((c) => c.op === 'mdbSet').map((c) => c.op === 'mdbSet' && [c.group, c.ports]);
    expect(sets).toEqual([['239.1.1.1', mask(1)], [G, mask(2)]]);
    expect(applied.filter((c) => c.op === 'mldMode').length).toBeGreaterThan(0);
    expect(applied.filter((c) => c.op === 'policy').length).toBeGreaterThan(0);
    expect(applied.filter((c) => c.op === 'routerPorts').at(-1)).toEqual({ op: 'routerPorts', ports: mask(3) });
    expect(d.groups().map((g) => g.group)).toEqual(['239.1.1.1', G]);
    expect(d.querier().map((q) => [q.family, q.own.address])).toEqual([[4, '192.0.2.254'], [6, 'fe80::ff:fe00:1']]);
    expect(d.stats()).toMatchObject({ groups: 2, routerPorts: 1, families: { igmp: { groups: 1 }, mld: { groups: 1 } } });
  });

  it('one snapshot holds both families; restore gives each engine its own', () => {
    const { d, feed, igmp, mld, ports } = make();
    d.tick(0);
    feed(buildIgmpFrame({ srcMac: '02:00:00:00:00:11', src: '192.0.2.1', dst: '224.0.0.22', vlan: 0,
      message: { type: 'v3-report', records: [{ recordType: R.MODE_IS_INCLUDE, group: '239.1.1.1', sources: ['192.0.2.9'] }] } }), 1, 10);
    feed(buildMldFrame({ srcMac: '02:00:00:00:00:12', src: 'fe80::12', dst: 'ff02::16', vlan: 0,
      message: { type: 'v2-report', records: [{ recordType: R.MODE_IS_INCLUDE, group: G, sources: [S1] }] } }), 2, 20);
    const snap = JSON.parse(JSON.stringify(d.snapshot()));
    const e = new DualStackSnooping({
      config: { igmp, mld }, ports, tables: { apply: () => {} }, frames: { send: () => {} }, random: () => 0, querierMac: '02:00:00:00:00:01',
    });
    e.restore(snap, 1_000);
    expect(e.igmp.groups().map((g) => [g.group, g.ports[0]!.sources.map((s) => s.address)])).toEqual([['239.1.1.1', ['192.0.2.9']]]);
    expect(e.mld.groups().map((g) => [g.group, g.ports[0]!.sources.map((s) => s.address)])).toEqual([[G, [S1]]]);
    expect(IPV4.classifyGroup(G)).toBe('invalid');
  });
});
