// The loader and the layout: sizes, alignment, non-overlapping regions, the name table, option checks.

import { describe, expect, it } from 'vitest';
import { loadCore } from '../../../src/dataplane/core.js';
import { addressKey, keyToAddress } from '../../../src/dataplane/table-keys.js';
import { MDB_STRIDE, PAGE_SIZE, SCRATCH_BYTES } from '../../../src/contract/constants.js';

describe('layout', () => {
  const core = loadCore({ maxBatch: 64, fdbCapacity: 1000, mdbCapacity: 1000 });
  const L = core.layout;

  it('has the strides the contract fixes and room for a 64 KiB GSO frame in every slot', () => {
    expect(L).toMatchObject({ descStride: 32, verdictStride: 16, maxBatch: 64 });
    // IP payload 65535 + IPv4 header 60 + Ethernet 14 + two VLAN tags.
    expect(L.slotSize).toBeGreaterThanOrEqual(65535 + 60 + 14 + 8);
    expect(L.slotHeadroom).toBeGreaterThanOrEqual(8);
    expect(L.slotSize + L.slotHeadroom).toBe(L.slotStride);
    expect(L.txListStride).toBeGreaterThanOrEqual(2 * L.maxBatch);
  });

  it('lays regions out in order, aligned, without overlap, inside the memory', () => {
    const regions: [string, number, number][] = [
      ['slots', L.slots, L.slots + L.maxBatch * L.slotStride],
      ['desc', L.desc, L.desc + L.maxBatch * L.descStride],
      ['verdicts', L.verdicts, L.verdicts + L.maxBatch * L.verdictStride],
      ['txCounts', L.txCounts, L.txCounts + 64 * 4],
      ['txLists', L.txLists, L.txLists + 64 * L.txListStride],
      ['puntList', L.puntList, L.puntListIndices + 2 * L.maxBatch],
      ['fdb', L.fdb, L.mdb],
      ['mdb', L.mdb, L.portTable],
      ['portTable', L.portTable, L.counters],
      ['counters', L.counters, L.globalCounters + 8 * L.globalCounterCount],
      ['scratch', L.scratch, L.scratch + SCRATCH_BYTES],
    ];
    expect(L.slots % PAGE_SIZE).toBe(0);
    for (let i = 1; i < regions.length; i++) {
      const [name, start] = regions[i]!;
      expect(start, name).toBeGreaterThanOrEqual(regions[i - 1]![2]);
      expect(start % 64, name).toBe(0);
    }
    expect(L.end).toBe(L.scratch + SCRATCH_BYTES);
    expect(core.memory.buffer.byteLength).toBeGreaterThanOrEqual(L.end);
    expect(core.memory.buffer.byteLength - L.end).toBeLessThan(65536);
    // The table sizes follow the capacities (load ≤ 1/2, power of two): 2048 slots of 16 and 64 bytes.
    expect(L.mdb - L.fdb).toBe(2048 * 16);
    expect(L.portTable - L.mdb).toBe(2048 * MDB_STRIDE);
  });

  it('uses a memory that cannot grow', () => {
    expect(() => core.memory.grow(1)).toThrow();
  });

  it('reads every name list once from the module', () => {
    expect(core.names.row).toEqual(['traffic', 'drop', 'message', 'event']);
    expect(core.names.action).toEqual(['drop', 'forward', 'punt', 'punt_and_forward']);
    expect(core.names.punt).toEqual(['none', 'igmp', 'mld', 'pim', 'mrd']);
    expect(core.names.drop).toContain('igmp_checksum');
    expect(core.names.message).toContain('igmp_v3_report');
    const perRow = core.names.row!.reduce((n, s) => n + core.names[s]!.length, 0);
    expect(perRow).toBe(L.counterRowLength);
  });

  it('scales with the batch and table sizes', () => {
    const big = loadCore({ maxBatch: 256, fdbCapacity: 100_000, mdbCapacity: 100_000 });
    expect(big.layout.maxBatch).toBe(256);
    expect(big.layout.portTable - big.layout.mdb).toBe(262144 * 64);
  });

  it('rejects nonsense options', () => {
    expect(() => loadCore({ maxBatch: 0, fdbCapacity: 64, mdbCapacity: 64 })).toThrow(RangeError);
    expect(() => loadCore({ maxBatch: 64, fdbCapacity: 1.5, mdbCapacity: 64 })).toThrow(RangeError);
  });
});

describe('hash spread', () => {
  it('keeps probes short for sequential groups and sequential MAC addresses', () => {
    const core = loadCore({ maxBatch: 256, fdbCapacity: 4096, mdbCapacity: 11_000 });
    core.setActivePorts(0b11n);
    for (let i = 0; i < 10_000; i++) {
      core.mdbSet(0, `239.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`, null, 1n);
      if (i % 10 === 0) core.mdbSet(0, `239.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`, `10.0.${(i >> 8) & 0xff}.${i & 0xff}`, 1n);
    }
    for (let h = 0; h < 4096; h += 256) {
      for (let k = 0; k < 256; k++) {
        const n = h + k;
        const frame = new Uint8Array(60);
        frame.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, (n >> 8) & 0xff, n & 0xff, 0x08, 0x06]);
        core.writeFrame(k, frame, 0);
      }
      core.process(256, 1);
    }
    expect(core.fdbCount()).toBe(4096);
    expect(core.mdbCount()).toBe(11_000);
    const health = core.tableHealth();
    // A hash that fails to spread these keys gives runs of hundreds or thousands.
    expect(health.fdbLongestProbe).toBeLessThan(40);
    expect(health.mdbLongestProbe).toBeLessThan(40);
  });
});

describe('address keys', () => {
  it('maps IPv4 to ::ffff:a.b.c.d and back, and prints IPv6 in RFC 5952 form', () => {
    expect(Array.from(addressKey('239.10.10.10'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 239, 10, 10, 10]);
    expect(keyToAddress(addressKey('239.10.10.10'))).toBe('239.10.10.10');
    for (const a of ['ff02::cc', 'ff0e::1:3', '2001:db8:1::1', '::', 'ff02::1:ff00:1', '2001:db8:0:1:1:1:1:1']) {
      expect(keyToAddress(addressKey(a))).toBe(a);
    }
    expect(keyToAddress(addressKey('2001:0db8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1');
    expect(keyToAddress(addressKey('::ffff:192.0.2.1'))).toBe('192.0.2.1');
    expect(() => addressKey('239.1.1')).toThrow();
  });
});
