// A port-group keeps its usual host table (one EXCLUDE({}) host, complete, not overflowed) as the host's address and
// last-seen time, without a HostTable (issue 12, item 5). Whatever the records, it must answer exactly as a HostTable
// given the same records does.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostTable } from '../../../src/snooping/hosts.js';
import { GroupState, PortGroup } from '../../../src/snooping/membership.js';
import { RecordType } from '../../../src/wire/igmp.js';

const GMI = 260_000;
const record = fc.record({
  host: fc.constantFrom('10.0.0.1', '10.0.0.2'),
  type: fc.constantFrom(RecordType.MODE_IS_INCLUDE, RecordType.MODE_IS_EXCLUDE, RecordType.CHANGE_TO_INCLUDE_MODE,
    RecordType.CHANGE_TO_EXCLUDE_MODE, RecordType.ALLOW_NEW_SOURCES, RecordType.BLOCK_OLD_SOURCES),
  sources: fc.subarray(['192.0.2.1', '192.0.2.2']),
  dt: fc.constantFrom(0, 1000, GMI),
  look: fc.boolean(),
});

describe('the one-host form of a port-group host table', () => {
  it('answers as a HostTable for any sequence of records (heard, states, completeness)', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 12 }), fc.constantFrom(-Infinity, 5000), (records, completeAt) => {
      const pg = new PortGroup(new GroupState(0, '239.1.1.1'), 1);
      let table: HostTable | null = null;
      let now = 0;
      for (const r of records) {
        now += r.dt;
        const sources = new Set(r.sources);
        table ??= new HostTable(completeAt);
        expect(pg.trackHost(r.host, r.type, sources, now, completeAt)).toBe(table.apply(r.host, r.type, sources, now));
        if (r.look) expect(pg.heardHosts(now, GMI)).toEqual(table.heard(now, GMI));
        expect(pg.hostStates().map(([h, s]) => [h, s.mode, [...s.sources].sort(), s.lastSeen]))
          .toEqual(table.states().map(([h, s]) => [h, s.mode, [...s.sources].sort(), s.lastSeen]));
        expect(pg.hostsCompleteAt).toBe(table.completeAt);
      }
      if (table !== null) {
        expect(pg.hosts!.wantsGroup(now, GMI)).toBe(table.wantsGroup(now, GMI));
        expect(pg.hosts!.complete(now)).toBe(table.complete(now));
      }
    }), { numRuns: 2000 });
  });

  it('keeps a joined host without a HostTable, and makes one for a second host', () => {
    const pg = new PortGroup(new GroupState(0, '239.1.1.1'), 1);
    pg.trackHost('10.0.0.1', RecordType.CHANGE_TO_EXCLUDE_MODE, new Set(), 0, -Infinity);
    expect((pg as unknown as { hostState: unknown }).hostState).toBe('10.0.0.1');
    pg.trackHost('10.0.0.2', RecordType.CHANGE_TO_EXCLUDE_MODE, new Set(), 1, -Infinity);
    expect((pg as unknown as { hostState: unknown }).hostState).toBeInstanceOf(HostTable);
    pg.trackHost('10.0.0.2', RecordType.CHANGE_TO_INCLUDE_MODE, new Set(), 2, -Infinity);
    expect((pg as unknown as { hostState: unknown }).hostState).toBe('10.0.0.1');
    expect(pg.heardHosts(3, GMI)).toEqual(['10.0.0.1']);
  });
});
