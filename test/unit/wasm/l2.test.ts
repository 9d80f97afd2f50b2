// Layer 2: descriptor checks, MAC sanity, 802.1D reserved addresses, FDB learning/moves/aging/flush, flooding,
// VLAN tags.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ETHERTYPE_IPV4, l2Frame, multicastData } from '../../../src/testkit/frames.js';
import { decide, newCore, ports, PORTS_0_TO_3, runBatch } from './harness.js';
import { DESC_FLAG_TRUNCATED } from '../../../src/contract/constants.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

describe('descriptor and frame checks', () => {
  it('floods a broadcast to every active port but the ingress and queues it on their TX lists', () => {
    const core = newCore();
    const v = decide(core, l2Frame(BROADCAST, A), 1);
    expect(v).toMatchObject({ action: 'forward', ports: ports(0, 2, 3), vlan: 0, l3Offset: 14 });
    expect([0, 1, 2, 3].map((p) => core.txList(p))).toEqual([[0], [], [0], [0]]);
    const c = core.counters();
    expect(c.ports[1]).toMatchObject({ rx_frames: 1, rx_bytes: 60, tx_frames: 0 });
    expect(c.ports[2]).toMatchObject({ tx_frames: 1, tx_bytes: 60 });
    expect(c.global.batches).toBe(1);
  });

  it('drops a frame shorter than an Ethernet header as runt', () => {
    const core = newCore();
    expect(decide(core, l2Frame(BROADCAST, A).slice(0, 13))).toMatchObject({ action: 'drop', reason: 'runt', ports: 0n });
    expect(core.counters().ports[0]!.drops.runt).toBe(1);
  });

  it('drops TRUNCATED frames as oversize', () => {
    const core = newCore();
    expect(decide(core, l2Frame(BROADCAST, A), 0, DESC_FLAG_TRUNCATED)).toMatchObject({ action: 'drop', reason: 'oversize' });
  });

  it('drops a descriptor that points outside its own slot', () => {
    const core = newCore();
    const L = core.layout;
    core.writeFrame(1, l2Frame(BROADCAST, A), 0);
    // Descriptor 0 names slot 1's frame; and one that runs past the end of slot 0.
    core.writeDescriptor(0, core.slotAddress(1) + L.slotHeadroom, 60, 0);
    core.writeDescriptor(1, core.slotAddress(1) + L.slotStride - 10, 60, 0);
    core.process(2, 0);
    expect(core.verdict(0)).toMatchObject({ action: 'drop', reason: 'bad_descriptor' });
    expect(core.verdict(1)).toMatchObject({ action: 'drop', reason: 'bad_descriptor' });
  });

  it('drops frames from inactive ports and from port indices ≥ 64', () => {
    const core = newCore();
    const [inactive, invalid] = runBatch(core, [[l2Frame(BROADCAST, A), 5], [l2Frame(BROADCAST, A), 64]]);
    expect(inactive).toMatchObject({ action: 'drop', reason: 'port_inactive' });
    expect(invalid).toMatchObject({ action: 'drop', reason: 'port_inactive' });
    const c = core.counters();
    expect(c.ports[5]!.drops.port_inactive).toBe(1);
    expect(c.invalidPort.drops.port_inactive).toBe(1);
    expect(c.totals.rx_frames).toBe(2);
  });

  it('drops a multicast or all-zero source MAC and never learns it', () => {
    const core = newCore();
    expect(decide(core, l2Frame(BROADCAST, '01:00:5e:00:00:01'))).toMatchObject({ reason: 'bad_src_mac' });
    expect(decide(core, l2Frame(BROADCAST, '00:00:00:00:00:00'))).toMatchObject({ reason: 'bad_src_mac' });
    expect(core.fdbCount()).toBe(0);
    expect(core.counters().ports[0]!.drops.bad_src_mac).toBe(2);
  });

  it('drops the 802.1D reserved group addresses 01:80:c2:00:00:00..0f and bridges 01:80:c2:00:00:10', () => {
    const core = newCore();
    for (const last of ['00', '01', '02', '0e', '0f']) {
      expect(decide(core, l2Frame(`01:80:c2:00:00:${last}`, A, 0x88cc))).toMatchObject({ action: 'drop', reason: 'reserved_l2' });
    }
    expect(decide(core, l2Frame('01:80:c2:00:00:10', A, 0x88cc))).toMatchObject({ action: 'forward', ports: ports(1, 2, 3) });
    expect(core.counters().ports[0]!.drops.reserved_l2).toBe(5);
  });

  it('drops with no_egress when the ingress is the only active port', () => {
    const core = newCore();
    core.setActivePorts(ports(0));
    expect(decide(core, l2Frame(BROADCAST, A), 0)).toMatchObject({ action: 'drop', reason: 'no_egress' });
  });

  it('decides every frame of a batch and fills TX lists in frame order', () => {
    const core = newCore();
    const v = runBatch(core, [
      [l2Frame(BROADCAST, A), 0],
      [l2Frame(A, B), 1], // A is known on port 0 by now
      [l2Frame(BROADCAST, B), 1],
    ]);
    expect(v.map((x) => x.ports)).toEqual([ports(1, 2, 3), ports(0), ports(0, 2, 3)]);
    expect(core.txList(0)).toEqual([1, 2]);
    expect(core.txList(1)).toEqual([0]);
    expect(core.txList(3)).toEqual([0, 2]);
  });
});

describe('FDB', () => {
  it('learns sources and forwards known unicast to its port only', () => {
    const core = newCore();
    decide(core, l2Frame(BROADCAST, A), 1);
    expect(core.fdbEntries()).toEqual([{ vlan: 0, mac: A, port: 1, lastSeenMs: 1000, ageMs: 0 }]);
    expect(core.fdbEntries(1500)[0]!.ageMs).toBe(500);
    expect(decide(core, l2Frame(A, B), 2)).toMatchObject({ action: 'forward', ports: ports(1) });
    expect(core.counters().ports[1]!.events.fdb_learn).toBe(1);
  });

  it('floods unknown unicast to every active port but the ingress', () => {
    const core = newCore();
    expect(decide(core, l2Frame(A, B), 2)).toMatchObject({ action: 'forward', ports: ports(0, 1, 3) });
  });

  it('drops known unicast whose port is the ingress (same_port)', () => {
    const core = newCore();
    decide(core, l2Frame(BROADCAST, A), 1);
    expect(decide(core, l2Frame(A, B), 1)).toMatchObject({ action: 'drop', reason: 'same_port' });
  });

  it('floods known unicast whose port went inactive', () => {
    const core = newCore();
    decide(core, l2Frame(BROADCAST, A), 3);
    core.setActivePorts(ports(0, 1, 2));
    expect(decide(core, l2Frame(A, B), 0)).toMatchObject({ ports: ports(1, 2) });
  });

  it('moves a MAC to its new port and counts the move', () => {
    const core = newCore();
    decide(core, l2Frame(BROADCAST, A), 1);
    decide(core, l2Frame(BROADCAST, A), 2);
    expect(core.fdbEntries()).toMatchObject([{ mac: A, port: 2 }]);
    expect(core.counters().ports[2]!.events.fdb_move).toBe(1);
    expect(decide(core, l2Frame(A, B), 0)).toMatchObject({ ports: ports(2) });
  });

  it('treats an entry older than the aging time as unknown, and fdbAge removes it', () => {
    const core = newCore();
    core.setFdbAgingMs(1000);
    decide(core, l2Frame(BROADCAST, A), 1, 0, 10_000);
    expect(decide(core, l2Frame(A, B), 0, 0, 11_000)).toMatchObject({ ports: ports(1) });
    // B was learned at 11 000; A is stale at 11 001.
    expect(decide(core, l2Frame(A, B), 0, 0, 11_001)).toMatchObject({ ports: ports(1, 2, 3) });
    expect(core.fdbAge(11_500)).toBe(1);
    expect(core.fdbEntries().map((e) => e.mac)).toEqual([B]);
    expect(core.counters().global.fdb_aged).toBe(1);
  });

  it('fdbAgeStep ages the table a slice at a time: a whole pass after `parts` steps, fresh entries kept', () => {
    const core = newCore({ fdbCapacity: 64 });
    core.setFdbAgingMs(500);
    const mac = (i: number) => `02:00:00:00:03:${i.toString(16).padStart(2, '0')}`;
    for (let i = 0; i < 40; i++) decide(core, l2Frame(BROADCAST, mac(i), 0x0806), i % 4, 0, i % 2 ? 1_900 : 1_000);
    const parts = 4;
    const first = core.fdbAgeStep(2_000, parts);
    expect(first).toBeLessThan(20); // one slice, not the whole table
    let removed = first;
    // A whole pass, and one more for an entry that backward-shift deletion moved behind the cursor.
    for (let k = 1; k < 2 * parts; k++) removed += core.fdbAgeStep(2_000, parts);
    expect(removed).toBe(20);
    expect(core.counters().global.fdb_aged).toBe(20);
    expect(core.fdbEntries().map((e) => e.mac).sort()).toEqual(Array.from({ length: 20 }, (_, k) => mac(2 * k + 1)).sort());
    // Every fresh entry is still found by a lookup (the slices closed their gaps correctly).
    for (let i = 1; i < 40; i += 2) {
      expect(decide(core, l2Frame(mac(i), B, 0x0806), (i + 1) % 4, 0, 2_000)).toMatchObject({ ports: ports(i % 4) });
    }
  });

  it('refreshes an entry each time its source is seen', () => {
    const core = newCore();
    core.setFdbAgingMs(1000);
    decide(core, l2Frame(BROADCAST, A), 1, 0, 10_000);
    decide(core, l2Frame(BROADCAST, A), 1, 0, 10_900);
    expect(decide(core, l2Frame(A, B), 0, 0, 11_800)).toMatchObject({ ports: ports(1) });
  });

  it('flushes one port or everything', () => {
    const core = newCore();
    runBatch(core, [[l2Frame(BROADCAST, A), 1], [l2Frame(BROADCAST, B), 2], [l2Frame(BROADCAST, '02:00:00:00:00:0c'), 2]]);
    expect(core.fdbFlush(2)).toBe(2);
    expect(core.fdbEntries().map((e) => e.port)).toEqual([1]);
    expect(core.applyCommands([{ op: 'fdbFlush', port: null }])).toBe(0);
    expect(core.fdbCount()).toBe(0);
    expect(core.counters().global.fdb_flushed).toBe(3);
  });

  it('counts and skips learning when the table is full', () => {
    const core = newCore({ fdbCapacity: 2 });
    const macs = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];
    runBatch(core, macs.map((m) => [l2Frame(BROADCAST, m), 0]));
    expect(core.fdbCount()).toBe(2);
    expect(core.counters().ports[0]!.events.fdb_full).toBe(1);
    // The unlearned address is unknown: flooded.
    expect(decide(core, l2Frame(macs[2]!, B), 1)).toMatchObject({ ports: ports(0, 2, 3) });
  });

  it('keeps lookups right through any sequence of learning, aging and flushing (model check)', () => {
    // Small capacity and many MACs force long probe runs, wrap-around and backward shifts.
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.record({ op: fc.constant('learn' as const), mac: fc.integer({ min: 1, max: 40 }), port: fc.integer({ min: 0, max: 3 }), vlan: fc.integer({ min: 0, max: 2 }) }),
        fc.record({ op: fc.constant('flush' as const), port: fc.integer({ min: -1, max: 3 }) }),
        fc.record({ op: fc.constant('age' as const) }),
      ), { maxLength: 120 }),
      (ops) => {
        const core = newCore({ fdbCapacity: 24 });
        core.setFdbAgingMs(50);
        const model = new Map<string, { port: number; seen: number }>();
        let now = 1000;
        for (const op of ops) {
          now += 7;
          if (op.op === 'learn') {
            const m = `02:00:00:00:01:${op.mac.toString(16).padStart(2, '0')}`;
            const key = `${op.vlan}/${m}`;
            const tags = op.vlan ? [{ vid: op.vlan }] : undefined;
            decide(core, l2Frame(BROADCAST, m, 0x0806, tags), op.port, 0, now);
            if (model.has(key) || model.size < 24) model.set(key, { port: op.port, seen: now });
          } else if (op.op === 'flush') {
            core.fdbFlush(op.port < 0 ? null : op.port);
            for (const [k, e] of model) if (op.port < 0 || e.port === op.port) model.delete(k);
          } else {
            core.fdbAge(now);
            for (const [k, e] of model) if (now - e.seen > 50) model.delete(k);
          }
          const entries = core.fdbEntries().map((e) => `${e.vlan}/${e.mac}=${e.port}`).sort();
          const expected = [...model].map(([k, e]) => `${k}=${e.port}`).sort();
          if (entries.join() !== expected.join()) return false;
        }
        // Every entry the model holds and is fresh is found by a lookup.
        for (const [k, e] of model) {
          if (now - e.seen > 50) continue;
          const [vlan, m] = k.split('/') as [string, string];
          const tags = Number(vlan) ? [{ vid: Number(vlan) }] : undefined;
          const ingress = (e.port + 1) % 4;
          const v = decide(core, l2Frame(m, '02:00:00:00:02:00', 0x0806, tags), ingress, 0, now);
          if (v.ports !== 1n << BigInt(e.port)) return false;
        }
        return true;
      },
    ), { numRuns: 150 });
  });
});

describe('VLAN tags', () => {
  it('reads the VID of a single 802.1Q tag and finds L3 after it', () => {
    const core = newCore();
    const v = decide(core, multicastData('224.0.0.251', { tags: [{ vid: 10 }] }));
    expect(v).toMatchObject({ action: 'forward', vlan: 10, l3Offset: 18, ports: ports(1, 2, 3) });
  });

  it('keys by the outermost VID of a QinQ (802.1ad + 802.1Q) frame', () => {
    const core = newCore();
    const v = decide(core, multicastData('224.0.0.251', { tags: [{ vid: 100, tpid: 0x88a8 }, { vid: 10 }] }));
    expect(v).toMatchObject({ vlan: 100, l3Offset: 22, action: 'forward' });
  });

  it('keeps FDB entries of different VLANs apart', () => {
    const core = newCore();
    decide(core, l2Frame(BROADCAST, A, 0x0806, [{ vid: 10 }]), 1);
    expect(decide(core, l2Frame(A, B, 0x0806, [{ vid: 10 }]), 0)).toMatchObject({ ports: ports(1) });
    expect(decide(core, l2Frame(A, B, 0x0806, [{ vid: 20 }]), 0)).toMatchObject({ ports: ports(1, 2, 3) });
    expect(decide(core, l2Frame(A, B), 0)).toMatchObject({ ports: ports(1, 2, 3) });
  });

  it('drops a frame whose tag is cut short', () => {
    const core = newCore();
    const f = l2Frame(BROADCAST, A, ETHERTYPE_IPV4, [{ vid: 10 }]).slice(0, 17);
    expect(decide(core, f)).toMatchObject({ action: 'drop', reason: 'vlan_header' });
  });

  it('treats a third tag as a non-IP EtherType (bridged, not parsed)', () => {
    const core = newCore();
    const f = multicastData('239.1.1.1', { tags: [{ vid: 1, tpid: 0x88a8 }, { vid: 2 }, { vid: 3 }] });
    expect(decide(core, f)).toMatchObject({ action: 'forward', ports: PORTS_0_TO_3 & ~1n, vlan: 1 });
  });
});
