// Engine behaviour beyond the RFC tables: fast leave with host tracking, limits, policy,
// message validation, static groups, the MDB diff, persistence, reconfiguration, stats and events.

import { describe, expect, it } from 'vitest';
import { defaultPortConfig } from '../../../src/config/translate.js';
import { buildIgmpFrame, buildIpv4Frame, decodeControlFrame } from '../../../src/wire/control-frame.js';
import * as ipv6 from '../../../src/wire/ipv6.js';
import * as ethernet from '../../../src/wire/ethernet.js';
import * as mld from '../../../src/wire/mld.js';
import { RecordType as R } from '../../../src/wire/igmp.js';
import { Harness, ip, mask } from './harness.js';

const G = '239.1.1.1';

describe('fast leave with explicit host tracking', () => {
  it('a fast-leave port shared by two hosts keeps the group until the last one leaves', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.254', version: 3 }, ports: [{ index: 1, fastLeave: true }, { index: 2 }] });
    h.advance(20_000);
    h.v2Report(G, 1, ip(11));
    h.v2Report(G, 1, ip(12));
    expect(h.pg(G, 1)!.hosts).toEqual([ip(11), ip(12)]);
    h.clearSent();
    h.leave(G, 1, ip(11));
    expect(h.dp.mdbForwards(0, G, ip(100), 1)).toBe(true);       // host .12 still wants it
    expect(h.pg(G, 1)!.groupTimerMs).toBe(260_000);              // nothing lowered
    h.leave(G, 1, ip(12));
    expect(h.pg(G, 1)).toBeUndefined();                          // gone at once
    expect(h.dp.mdbForwards(0, G, ip(100), 1)).toBe(false);
    expect(h.queries()).toEqual([]);                             // fast leave: no group-specific queries
    expect(h.events.filter((e) => e.type === 'leave')).toEqual([{ type: 'leave', vlan: 0, group: G, port: 1, portName: 'swp1', reason: 'fast-leave' }]);
  });

  it('IGMPv3 on a fast-leave port: a BLOCK drops only sources no remaining host wants', () => {
    const h = new Harness({ ports: [{ index: 1, fastLeave: true }] });
    h.record(R.MODE_IS_INCLUDE, G, [ip(1), ip(2)], 1, ip(11));
    h.record(R.MODE_IS_INCLUDE, G, [ip(2)], 1, ip(12));
    h.record(R.BLOCK_OLD_SOURCES, G, [ip(1), ip(2)], 1, ip(11));
    expect(h.xy(G, 1)).toEqual({ mode: 'include', X: [ip(2)], Y: [] });
    expect(h.pg(G, 1)!.sources[0]!.timerMs).toBe(260_000);
    h.record(R.CHANGE_TO_INCLUDE_MODE, G, [], 1, ip(12));
    expect(h.pg(G, 1)).toBeUndefined();
  });

  it('IGMPv3 EXCLUDE host leaving while an INCLUDE host stays: INCLUDE with that host\'s sources', () => {
    const h = new Harness({ ports: [{ index: 1, fastLeave: true }] });
    h.record(R.MODE_IS_EXCLUDE, G, [], 1, ip(11));
    h.record(R.MODE_IS_INCLUDE, G, [ip(5)], 1, ip(12));
    h.record(R.CHANGE_TO_INCLUDE_MODE, G, [], 1, ip(11));
    expect(h.xy(G, 1)).toEqual({ mode: 'include', X: [ip(5)], Y: [] });
  });
});

describe('issue 11.4: a host table created over an existing port-group', () => {
  const Q = { enabled: true, address: '192.0.2.254', version: 3 as const };

  it('a port switched to fast leave by reload keeps the group when one host (or a non-member) leaves', () => {
    const h = new Harness({ querier: Q, ports: [{ index: 1 }, { index: 2 }] });
    h.advance(20_000);
    h.v2Report(G, 1, ip(11));
    h.v2Report(G, 1, ip(12));
    h.reconfigure({ ports: h.ports.map((p) => (p.index === 1 ? { ...p, fastLeave: true } : p)) });
    h.leave(G, 1, ip(13));                                       // never a member
    expect(h.dp.mdbForwards(0, G, ip(100), 1)).toBe(true);
    h.leave(G, 1, ip(11));                                       // .12 was heard before the reload (hosts are tracked on every port)
    expect(h.dp.mdbForwards(0, G, ip(100), 1)).toBe(true);
    h.leave(G, 1, ip(12));                                       // the last host heard: fast leave ends it
    expect(h.pg(G, 1)).toBeUndefined();
  });

  it('a fast-leave port restored from a snapshot without hosts keeps the group on a non-member\'s leave', () => {
    const a = new Harness();
    a.v2Report(G, 1, ip(11));
    const b = new Harness({ ports: [{ index: 1, fastLeave: true }, { index: 2 }] });
    b.next = b.engine.restore(a.engine.snapshot(), b.now);
    b.leave(G, 1, ip(13));
    expect(b.dp.mdbForwards(0, G, ip(100), 1)).toBe(true);
    b.record(R.CHANGE_TO_INCLUDE_MODE, G, [], 1, ip(14));
    expect(b.dp.mdbForwards(0, G, ip(100), 1)).toBe(true);
  });

  it('an incomplete host table stays incomplete across snapshot and restore', () => {
    const a = new Harness({ ports: [{ index: 1 }, { index: 2 }] });
    a.v2Report(G, 1, ip(11));
    a.reconfigure({ ports: a.ports.map((p) => (p.index === 1 ? { ...p, fastLeave: true } : p)) });
    a.v2Report(G, 1, ip(12));
    const b = new Harness({ ports: [{ index: 1, fastLeave: true }, { index: 2 }] });
    b.next = b.engine.restore(JSON.parse(JSON.stringify(a.engine.snapshot())), b.now);
    b.leave(G, 1, ip(12));
    expect(b.dp.mdbForwards(0, G, ip(100), 1)).toBe(true);     // .11 may still be there
  });
});

describe('issue 11.2: a warm restart forwards by the restored memberships at once', () => {
  it('a fresh state (down less than a GMI) with a remote querier: filtering at once, the querier still followed', () => {
    const a = new Harness();
    a.query({ version: 3, qrv: 3, qqiSec: 60 }, 3, '192.0.2.100');
    a.v2Report(G, 1);
    a.advance(30_000);
    const snap = JSON.parse(JSON.stringify(a.engine.snapshot()));
    const b = new Harness({ start: 1_000_000 });
    b.events.length = 0;
    b.next = b.engine.restore(snap, b.now, { downtimeMs: 5_000 });
    expect(b.dp.policy.mode).toBe('snoop');
    expect(b.dp.delivers({ group: G, source: ip(9), port: 1, ingress: 3 })).toBe(true);
    expect(b.dp.delivers({ group: G, source: ip(9), port: 2, ingress: 3 })).toBe(false);   // the non-member
    expect(b.engine.querier()[0]!.other).toMatchObject({ address: '192.0.2.100', port: 3, qrv: 3, qqiSec: 60 });
    expect(b.engine.querier()[0]!.timers).toMatchObject({ robustness: 3, queryIntervalMs: 60_000 });
    expect(b.events.filter((e) => e.type === 'policy').map((e) => e.type === 'policy' && e.reason)).toEqual(['snooping']);
  });

  it('a fresh state with our own querier: filtering at once, and the start-up queries go out', () => {
    const Q = { enabled: true, address: '192.0.2.254', version: 3 as const };
    const a = new Harness({ querier: Q });
    a.advance(20_000);
    a.v2Report(G, 1);
    const b = new Harness({ querier: Q, start: 1_000_000 });
    b.next = b.engine.restore(a.engine.snapshot(), b.now, { downtimeMs: 1_000 });
    expect(b.dp.policy.mode).toBe('snoop');
    expect(b.dp.delivers({ group: G, source: ip(9), port: 2, ingress: 3 })).toBe(false);
    b.advance(31_250);                                             // startup queries: at start, then 31.25 s later
    expect(b.queries().filter((q) => q.q.group === '0.0.0.0').map((q) => q.at)).toEqual([1_000_000, 1_031_250]);
  });

  it('a stale state (down a GMI or more), or none: a cold start floods until the first General Query round', () => {
    const a = new Harness();
    a.query({ version: 3 }, 3, '192.0.2.100');
    a.v2Report(G, 1);
    const b = new Harness({ start: 1_000_000 });
    b.next = b.engine.restore(a.engine.snapshot(), b.now, { downtimeMs: 260_000 });
    expect([b.dp.policy.mode, b.engine.stats().policy?.reason]).toEqual(['flood', 'startup']);
  });
});

describe('issue 11.1: the MDB budget counts MDB entries', () => {
  const sources = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${(i & 255) + 1}`);

  it('a group the MDB cannot hold is not recorded as installed, is counted, and is installed when space frees', () => {
    const h = new Harness({ mdbCapacity: 64 });
    h.record(R.MODE_IS_INCLUDE, '239.1.1.1', sources(64), 1);      // 1 (*,G) + 64 (S,G) = 65 entries
    h.advance(1_000);
    h.v2Report('239.5.5.5', 2);
    expect(h.dp.mdb.has('0|239.5.5.5|*')).toBe(false);
    expect(h.dp.refused).toBe(0);                                   // never sent what cannot fit
    const st = h.engine.stats();
    expect(st.mdbEntries).toBe(64);
    expect(st.mdbPendingGroups).toBe(2);                            // 239.1.1.1 lacks one source, 239.5.5.5 all
    expect(st.rejects['mdb-full']).toBeGreaterThanOrEqual(2);
    expect(h.events).toContainEqual({ type: 'mdb-full', capacity: 64, state: 'full' });
    h.advance(259_000);                                             // 239.1.1.1 expires; 239.5.5.5 one second later
    expect(h.pg('239.1.1.1', 1)).toBeUndefined();
    expect(h.dp.mdb.get('0|239.5.5.5|*')).toBe(mask(2));
    expect(h.dp.delivers({ group: '239.5.5.5', source: ip(9), port: 2, ingress: 3 })).toBe(true);
    expect(h.engine.stats().mdbPendingGroups).toBe(0);
    expect(h.events).toContainEqual({ type: 'mdb-full', capacity: 64, state: 'recovered' });
  });

  it('memberships are not limited by the MDB capacity: every port-group is kept and installed as space allows', () => {
    const h = new Harness({ mdbCapacity: 16 });
    for (let i = 0; i < 20; i++) h.v2Report(`239.0.0.${i + 1}`, 1);
    expect(h.engine.stats().memberships).toBe(20);
    expect(h.dp.mdb.size).toBe(16);
    for (let i = 0; i < 4; i++) h.leave(`239.0.0.${i + 1}`, 1);
    h.advance(3_000);                                               // no querier: leaves end after LMQT
    expect(h.dp.mdb.size).toBe(16);
    for (let i = 4; i < 20; i++) expect(h.dp.mdb.get(`0|239.0.0.${i + 1}|*`)).toBe(mask(1));
  });
});

describe('limits', () => {
  it('per-port maxGroups: new joins past the limit are refused and counted; existing ones untouched', () => {
    // Filtering from the start (no flooding window, none without a querier): the limit must not turn it off.
    const h = new Harness({ ports: [{ index: 1, maxGroups: 2 }, { index: 2 }], config: { noQuerier: 'filter', startupFloodMs: 0 } });
    expect(h.dp.policy.mode).toBe('snoop');
    h.v2Report('239.0.0.1', 1);
    h.v2Report('239.0.0.2', 1);
    h.v2Report('239.0.0.3', 1);
    h.v2Report('239.0.0.3', 1);
    h.v2Report('239.0.0.3', 2);
    expect(h.engine.groups().map((g) => [g.group, g.ports.map((p) => p.port)])).toEqual([
      ['239.0.0.1', [1]], ['239.0.0.2', [1]], ['239.0.0.3', [2]],
    ]);
    expect(h.engine.stats().rejects['port-limit']).toBe(2);
    expect(h.events.filter((e) => e.type === 'limit')).toEqual([{ type: 'limit', scope: 'port', port: 1, portName: 'swp1', limit: 2 }]);
    h.v2Report('239.0.0.1', 1);                                      // refresh of an existing one is fine
    expect(h.engine.stats().rejects['port-limit']).toBe(2);
    expect(h.dp.policy.mode).toBe('snoop');                          // snooping never turned off (not flooding)
  });

  it('overall maxGroups', () => {
    const h = new Harness({ config: { maxGroups: 1 } });
    h.v2Report('239.0.0.1', 1);
    h.v2Report('239.0.0.1', 2);
    expect(h.engine.stats()).toMatchObject({ memberships: 1, rejects: expect.objectContaining({ 'global-limit': 1 }) });
    h.leave('239.0.0.1', 1);
    h.advance(2_000);
    h.v2Report('239.0.0.1', 2);
    expect(h.engine.stats().memberships).toBe(1);
    expect(h.pg('239.0.0.1', 2)).toBeDefined();
  });

  it('at most 64 sources per port-group; the rest are refused and counted', () => {
    const h = new Harness();
    const many = Array.from({ length: 70 }, (_, i) => `10.0.${i >> 8}.${(i & 255) + 1}`);
    h.record(R.MODE_IS_INCLUDE, G, many, 1);
    expect(h.pg(G, 1)!.sources.length).toBe(64);
    expect(h.engine.stats().rejects['source-limit']).toBe(6);
  });

  it('reportRateLimit: membership messages per second per port', () => {
    const h = new Harness({ config: { reportRateLimit: 2 } });
    for (let i = 1; i <= 4; i++) h.v2Report(`239.0.0.${i}`, 1);
    expect(h.engine.groups().length).toBe(2);
    expect(h.rateLimited).toBe(2); // the data plane's report_rate_limit drops (the engine never sees them)
    h.advance(1_000);
    h.v2Report('239.0.0.9', 1);
    expect(h.engine.groups().length).toBe(3);
  });
});

describe('policy', () => {
  it('startup: flood until startupFloodMs after the first query, then snoop', () => {
    const h = new Harness({ querier: { enabled: true, address: '192.0.2.254', version: 3 } });
    expect(h.dp.policy).toEqual({ unregistered: 'routers', mode: 'flood' });
    h.advance(9_999);
    expect(h.dp.policy.mode).toBe('flood');
    h.advance(1);
    expect(h.dp.policy.mode).toBe('snoop');
    expect(h.events.filter((e) => e.type === 'policy').map((e) => e.type === 'policy' && e.reason)).toEqual(['startup', 'snooping']);
  });

  it('no querier: flood (noQuerier flood) until a query is observed, plus the window', () => {
    const h = new Harness();
    h.advance(60_000);
    expect(h.dp.policy.mode).toBe('flood');
    h.query({ version: 3 }, 3, '192.0.2.1');
    h.advance(9_999);
    expect(h.dp.policy.mode).toBe('flood');
    h.advance(1);
    expect(h.dp.policy.mode).toBe('snoop');
    h.advance(255_000);                                               // querier gone → flood again
    expect(h.dp.policy.mode).toBe('flood');
  });

  it('issue 11.3: the startup window closes only on a General Query of the elected querier, after its Max Resp Time', () => {
    const h = new Harness();
    const reason = () => h.engine.stats().policy?.reason;
    h.query({ version: 3, group: G, maxRespDs: 10 }, 3, '192.0.2.1');        // group-specific: not a round
    h.advance(60_000);
    expect([h.dp.policy.mode, reason()]).toEqual(['flood', 'startup']);
    h.query({ version: 3 }, 2, '192.0.2.50');                                // a querier that lost the election
    h.advance(60_000);
    expect([h.dp.policy.mode, reason()]).toEqual(['flood', 'startup']);
    h.query({ version: 3 }, 3, '192.0.2.1', 10);                             // the querier of another VLAN
    h.advance(60_000);
    expect([h.dp.policy.mode, reason()]).toEqual(['flood', 'startup']);
    h.query({ version: 3, maxRespDs: 200 }, 3, '192.0.2.1');                 // General Query, Max Resp Time 20 s
    h.advance(19_999);
    expect(h.dp.policy.mode).toBe('flood');
    h.advance(1);
    expect([h.dp.policy.mode, reason()]).toEqual(['snoop', 'snooping']);
  });

  it('issue 11.3: an IGMPv1 General Query closes the window after 10 s (RFC 2236 §4)', () => {
    const h = new Harness();
    h.query({ version: 1 }, 3, '192.0.2.1');
    h.advance(9_999);
    expect(h.dp.policy.mode).toBe('flood');
    h.advance(1);
    expect(h.dp.policy.mode).toBe('snoop');
  });

  it('noQuerier filter: snoop after startupFloodMs even without any query', () => {
    const h = new Harness({ config: { noQuerier: 'filter', startupFloodMs: 5_000, unregistered: 'drop' } });
    expect(h.dp.policy.mode).toBe('flood');
    h.advance(5_000);
    expect(h.dp.policy).toEqual({ unregistered: 'drop', mode: 'snoop' });
  });

  it('per-port flags and router ports are emitted', () => {
    const h = new Harness({ ports: [{ index: 1, floodAll: true }, { index: 2, floodReports: true, floodUnregistered: false }] });
    expect([h.dp.floodAll, h.dp.floodReports, h.dp.floodUnregistered]).toEqual([mask(1), mask(2), mask(1)]);
  });

  it('disabled snooping: flood, nothing learned, MDB cleared', () => {
    const h = new Harness({ config: { enabled: false } });
    h.v2Report(G, 1);
    expect(h.dp.policy.mode).toBe('flood');
    expect(h.engine.groups()).toEqual([]);
    expect(h.engine.stats().rejects.disabled).toBe(1);
  });
});

describe('message validation', () => {
  it('reports for 224.0.0.x are ignored; non-multicast groups too', () => {
    const h = new Harness();
    h.v2Report('224.0.0.251', 1);
    h.record(R.MODE_IS_EXCLUDE, '224.0.0.9', [], 1);
    h.v2Report('10.1.1.1', 1);
    expect(h.engine.groups()).toEqual([]);
    expect(h.engine.stats().rejects).toMatchObject({ 'local-group': 2, 'invalid-group': 1 });
  });

  it('IGMPv3 reports are accepted with or without Router Alert, to 224.0.0.22 or 224.0.0.1', () => {
    const h = new Harness();
    h.v3([{ recordType: R.MODE_IS_EXCLUDE, group: '239.0.0.1', sources: [] }], 1, { dst: '224.0.0.22', routerAlert: true });
    h.v3([{ recordType: R.MODE_IS_EXCLUDE, group: '239.0.0.2', sources: [] }], 1, { dst: '224.0.0.22', routerAlert: false });
    h.v3([{ recordType: R.MODE_IS_EXCLUDE, group: '239.0.0.3', sources: [] }], 1, { dst: '224.0.0.1', routerAlert: true });
    h.v3([{ recordType: R.MODE_IS_EXCLUDE, group: '239.0.0.4', sources: [] }], 1, { dst: '224.0.0.1', routerAlert: false });
    expect(h.engine.groups().length).toBe(4);
  });

  it('IGMPv3 sources 0.0.0.0 and multicast are refused; unknown record types ignored', () => {
    const h = new Harness();
    h.v3([
      { recordType: R.MODE_IS_INCLUDE, group: G, sources: ['0.0.0.0', '239.9.9.9', ip(1)] },
      { recordType: 9, group: G, sources: [ip(2)] },
    ], 1);
    expect(h.xy(G, 1)).toEqual({ mode: 'include', X: [ip(1)], Y: [] });
    expect(h.engine.stats().rejects).toMatchObject({ 'invalid-source': 2, 'unknown-record': 1 });
    expect(h.engine.stats().rx).toMatchObject({ igmp_v3_report: 1, igmp_v3_record_is_in: 1, igmp_v3_record_unknown: 1 });
  });

  it('messages from unknown ports are refused; MLD is counted only', () => {
    const h = new Harness();
    h.v2Report(G, 9);
    expect(h.engine.groups()).toEqual([]);
    const body = mld.emit({ type: 'report', version: 1, group: 'ff05::1' }, { src: 'fe80::1', dst: 'ff05::1' });
    const frame = ethernet.emit({ dst: '33:33:00:00:00:01', src: '02:00:00:00:00:01', vlan: null, pcp: 0, ethertype: 0x86dd },
      ipv6.emit({ src: 'fe80::1', dst: 'ff05::1', hopLimit: 1, nextHeader: 58, routerAlert: true }, body));
    h.receiveFrame(frame, 1);
    expect(h.engine.stats().rx.mld_v1_report).toBe(1);
    expect(h.engine.stats().rejects).toMatchObject({ 'unknown-port': 1, 'ipv6-not-snooped': 1 });
  });

  it('decode errors are counted by layer and reason', () => {
    const h = new Harness();
    const bad = buildIpv4Frame({ srcMac: '02:00:00:00:00:01', src: ip(1), dst: '224.0.0.22', vlan: 0, protocol: 2, payload: new Uint8Array([0x99, 0, 0, 0, 0, 0, 0, 0]) });
    const d = decodeControlFrame(bad, 14);
    expect(d.ok).toBe(false);
    if (!d.ok) h.engine.noteDecodeError(d.error);
    expect(h.engine.stats().decodeErrors).toEqual({ 'igmp:unknown-type': 1 });
  });
});

describe('MDB', () => {
  it('emits only the difference; refreshes emit nothing', () => {
    const h = new Harness();
    h.v2Report(G, 1);
    const n = h.dp.batches.length;
    h.advance(60_000);
    h.v2Report(G, 1);
    h.record(R.MODE_IS_EXCLUDE, G, [], 1);
    expect(h.dp.batches.length).toBe(n);
    h.v2Report(G, 2);
    expect(h.dp.batches.at(-1)).toEqual([{ op: 'mdbSet', vlan: 0, group: G, source: null, ports: mask(1, 2) }]);
  });

  it('INCLUDE-only groups are registered with an empty (*,G) plus (S,G) entries', () => {
    const h = new Harness();
    h.record(R.MODE_IS_INCLUDE, G, [ip(1)], 1);
    expect([...h.dp.mdb]).toEqual([[`0|${G}|*`, 0n], [`0|${G}|${ip(1)}`, mask(1)]]);
  });

  it('VLANs are separate', () => {
    const h = new Harness();
    h.v2Report(G, 1, ip(1), 10);
    h.v2Report(G, 2, ip(2), 20);
    expect(h.dp.mdb.get(`10|${G}|*`)).toBe(mask(1));
    expect(h.dp.mdb.get(`20|${G}|*`)).toBe(mask(2));
  });

  it('static groups: (*,G) and (S,G) entries, merged with learned state', () => {
    const h = new Harness({ config: { staticGroups: [{ port: 3, vlan: 0, group: G, source: null }, { port: 2, vlan: 0, group: G, source: ip(5) }] } });
    expect(h.dp.mdb.get(`0|${G}|*`)).toBe(mask(3));
    expect(h.dp.mdb.get(`0|${G}|${ip(5)}`)).toBe(mask(2, 3));
    h.record(R.MODE_IS_EXCLUDE, G, [ip(5)], 1);
    expect(h.dp.mdb.get(`0|${G}|*`)).toBe(mask(1, 3));
    expect(h.dp.mdb.get(`0|${G}|${ip(5)}`)).toBe(mask(2, 3));
    expect(h.engine.groups()[0]!.static).toEqual([{ port: 3, portName: 'swp3', source: null }, { port: 2, portName: 'swp2', source: ip(5) }]);
  });
});

describe('persistence and reconfiguration', () => {
  it('snapshot → JSON → restore gives the same state, views and MDB', () => {
    const a = new Harness({ ports: [{ index: 1, fastLeave: true }, { index: 2 }, { index: 3 }] });
    a.record(R.MODE_IS_INCLUDE, G, [ip(1), ip(2)], 1, ip(11));
    a.record(R.MODE_IS_EXCLUDE, G, [ip(3)], 2);
    a.v2Report('239.2.2.2', 2, ip(2), 7);
    a.query({ version: 3 }, 3, '192.0.2.100');
    a.advance(30_000);
    const snap = JSON.parse(JSON.stringify(a.engine.snapshot()));

    const b = new Harness({ ports: [{ index: 1, fastLeave: true }, { index: 2 }, { index: 3 }], start: 1_000_000 });
    b.next = b.engine.restore(snap, b.now);
    expect(b.engine.groups()).toEqual(a.engine.groups());
    expect(b.engine.routers()).toEqual(a.engine.routers());
    expect(new Map(b.dp.mdb)).toEqual(new Map(a.dp.mdb));
    // timers continue from where they were
    b.advance(229_999);
    expect([b.xy(G, 1).mode, b.xy(G, 2).mode]).toEqual(['include', 'exclude']);
    b.advance(1);
    expect([b.pg(G, 1), b.pg(G, 2)]).toEqual([undefined, undefined]);
  });

  it('restore matches ports by name and skips ports that are gone', () => {
    const a = new Harness();
    a.v2Report(G, 1);
    a.v2Report(G, 3);
    const snap = a.engine.snapshot();
    const b = new Harness({ ports: [{ index: 5, name: 'swp1' }, { index: 6, name: 'other' }] });
    b.engine.restore(snap, 0);
    expect(b.engine.groups()[0]!.ports.map((p) => [p.port, p.portName])).toEqual([[5, 'swp1']]);
  });

  it('reconfigure keeps the state of remaining ports and drops removed ports', () => {
    const h = new Harness();
    h.v2Report(G, 1);
    h.v2Report(G, 2);
    h.query({ version: 3 }, 2, '192.0.2.100');
    h.reconfigure({ ports: [defaultPortConfig(1, 'swp1'), defaultPortConfig(3, 'swp3')] });
    expect(h.engine.groups()[0]!.ports.map((p) => p.port)).toEqual([1]);
    expect(h.dp.mdb.get(`0|${G}|*`)).toBe(mask(1));
    expect(h.dp.routerPorts).toBe(0n);
    expect(h.events).toContainEqual({ type: 'leave', vlan: 0, group: G, port: 2, portName: 'swp2', reason: 'port-removed' });
    expect(h.pg(G, 1)!.groupTimerMs).toBe(260_000);
  });

  it('reconfigure: enabling the querier starts queries; disabling snooping clears everything', () => {
    const h = new Harness();
    h.v2Report(G, 1);
    h.reconfigure({ config: { querier: { enabled: true, address: '192.0.2.254', version: 3 } } });
    expect(h.queries().map((q) => q.at)).toEqual([0]);
    h.reconfigure({ config: { enabled: false } });
    expect(h.engine.groups()).toEqual([]);
    expect(h.dp.mdb.size).toBe(0);
    expect(h.dp.policy.mode).toBe('flood');
    h.advance(500_000);
    expect(h.queries().length).toBe(1);
  });
});

describe('edge cases', () => {
  it('VLAN ids outside 0..4095 are refused', () => {
    const h = new Harness();
    const d = decodeControlFrame(buildIgmpFrame({ srcMac: '02:00:00:00:00:01', src: ip(1), dst: G, vlan: 0,
      message: { type: 'report', version: 2, group: G } }), 14);
    if (!d.ok) throw new Error('decode');
    h.engine.receive(d.value, 1, 4096, 0);
    h.engine.receive(d.value, 1, -1, 0);
    expect(h.engine.stats().rejects['bad-vlan']).toBe(2);
    expect(h.engine.groups()).toEqual([]);
  });

  it('withdrawing trust (querierGuard) drops router ports and the querier learned on that port', () => {
    const h = new Harness({ config: { querierGuard: true }, ports: [{ index: 1, trusted: true }, { index: 2 }] });
    h.query({ version: 3 }, 1, '192.0.2.1');
    h.pimHello(1, '192.0.2.1');
    expect(h.dp.routerPorts).toBe(mask(1));
    h.reconfigure({ ports: [{ ...defaultPortConfig(1, 'swp1'), trusted: false }, defaultPortConfig(2, 'swp2')] });
    expect(h.dp.routerPorts).toBe(0n);
    expect(h.engine.querier()[0]!.other).toBeNull();
  });

  it('fast leave turned on after the join: hosts heard before are known (tracked on every port), so only the last one\'s leave ends it', () => {
    const h = new Harness();
    h.v2Report(G, 1, ip(11));
    h.reconfigure({ ports: [{ ...defaultPortConfig(1, 'swp1'), fastLeave: true }, defaultPortConfig(2, 'swp2'), defaultPortConfig(3, 'swp3')] });
    h.leave(G, 1, ip(12));
    expect(h.pg(G, 1)).toBeDefined();
    h.leave(G, 1, ip(11));
    expect(h.pg(G, 1)).toBeUndefined();
  });

  it('restore does not log a join per restored membership', () => {
    const a = new Harness();
    a.v2Report(G, 1);
    const b = new Harness();
    b.engine.restore(a.engine.snapshot(), 0);
    expect(b.events.filter((e) => e.type === 'join')).toEqual([]);
    expect(b.pg(G, 1)).toBeDefined();
  });
});

describe('events and stats', () => {
  it('logs state changes, not packets', () => {
    const h = new Harness();
    for (let i = 0; i < 10; i++) h.v2Report(G, 1);
    expect(h.events.filter((e) => e.type === 'join').length).toBe(1);
    expect(h.engine.stats().rx.igmp_v2_report).toBe(10);
  });

  it('asks before it builds a join, leave or compat event, and builds only those admitted', () => {
    const asked: string[] = [];
    const h = new Harness({ ports: [{ index: 1, fastLeave: true }], logsMembership: (type) => { asked.push(type); return type !== 'join'; } });
    h.v2Report(G, 1, ip(11));
    h.leave(G, 1, ip(11));
    expect(asked).toEqual(['join', 'compat', 'leave']);
    expect(h.events.filter((e) => e.type === 'join')).toEqual([]);
    expect(h.events.filter((e) => e.type === 'leave' || e.type === 'compat').map((e) => e.type)).toEqual(['compat', 'leave']);
  });
});
