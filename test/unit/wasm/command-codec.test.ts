// The table commands' wire form (src/dataplane/command-codec.ts): a batch encoded on the control plane's side and
// applied by the worker leaves the tables exactly as the same commands applied as objects; addresses become the
// same 16-byte keys as addressKey's.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEncodedCommands, CommandEncoder } from '../../../src/dataplane/command-codec.js';
import type { TableCommand } from '../../../src/dataplane/commands.js';
import { addressKey, writeAddressKey } from '../../../src/dataplane/table-keys.js';
import { multicastData } from '../../../src/testkit/frames.js';
import { decide, newCore, ports } from './harness.js';

const GROUPS = ['239.1.1.1', '239.1.1.2', '224.0.1.1', '232.1.2.3', 'ff3e::1234', 'ff05::10:0:1', 'ff02::1:ff00:1'];
const SOURCES = [null, '192.0.2.1', '10.0.0.255', '2001:db8::1', '::ffff:192.0.2.9'];

const mdbCommand = fc.oneof(
  fc.record({
    op: fc.constant('mdbSet' as const), vlan: fc.integer({ min: 0, max: 4095 }), group: fc.constantFrom(...GROUPS),
    source: fc.constantFrom(...SOURCES), ports: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  }),
  fc.record({
    op: fc.constant('mdbDelete' as const), vlan: fc.integer({ min: 0, max: 4095 }), group: fc.constantFrom(...GROUPS),
    source: fc.constantFrom(...SOURCES),
  }),
);
const otherCommand = fc.constantFrom<TableCommand>(
  { op: 'mdbClear' },
  { op: 'routerPorts', ports: ports(4) },
  { op: 'policy', unregistered: 'flood', mode: 'snoop' },
  { op: 'mldMode', mode: 'snoop' },
  { op: 'portFlags', floodAll: ports(5), floodReports: 0n, floodUnregistered: ports(6) },
);

describe('table commands as records', () => {
  it('a batch applied from its records leaves the tables as the same commands applied as objects', () => {
    fc.assert(fc.property(fc.array(fc.oneof({ weight: 8, arbitrary: mdbCommand }, { weight: 1, arbitrary: otherCommand }), { maxLength: 200 }), (list) => {
      const direct = newCore({ mdbCapacity: 64 });
      const encoded = newCore({ mdbCapacity: 64 });
      const failedDirect = direct.applyCommands(list);
      const encoder = new CommandEncoder();
      for (const c of list) encoder.push(c);
      expect(encoder.length).toBe(list.length);
      const failedEncoded = applyEncodedCommands(encoder.take(), encoded);
      expect(encoder.length).toBe(0);
      expect(failedEncoded).toBe(failedDirect);
      expect(encoded.mdbEntries()).toEqual(direct.mdbEntries());
      for (const g of GROUPS.filter((x) => !x.includes(':'))) {
        expect(decide(encoded, multicastData(g), 0)).toEqual(decide(direct, multicastData(g), 0));
      }
    }), { numRuns: 200 });
  });

  it('grows past its first buffer and starts empty after take()', () => {
    const encoder = new CommandEncoder();
    for (let i = 0; i < 1000; i++) encoder.push({ op: 'mdbSet', vlan: 0, group: `239.0.${i >> 8}.${i & 255}`, source: null, ports: 1n });
    const core = newCore({ mdbCapacity: 2048 });
    expect(applyEncodedCommands(encoder.take(), core)).toBe(0);
    expect(core.mdbCount()).toBe(1000);
    expect(applyEncodedCommands(encoder.take(), core)).toBe(0);
  });

  it('writeAddressKey writes addressKey\'s bytes, and refuses what it refuses', () => {
    const texts = ['0.0.0.0', '255.255.255.255', '239.1.2.3', '10.0.0.1', 'ff02::1', '::ffff:192.0.2.1', '2001:db8::', '::'];
    for (const t of texts) {
      const out = new Uint8Array(20).fill(0xaa);
      writeAddressKey(t, out, 2);
      expect(Array.from(out.subarray(2, 18)), t).toEqual(Array.from(addressKey(t)));
      expect([out[0], out[1], out[18], out[19]], `${t}: nothing written outside the key`).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
    }
    for (const bad of ['239.1.1', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', 'x', '', '1.2.3.4 ']) {
      expect(() => writeAddressKey(bad, new Uint8Array(16), 0), JSON.stringify(bad)).toThrow(/not an IP address/);
    }
  });
});
