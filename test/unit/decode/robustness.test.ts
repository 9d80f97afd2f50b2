// Bad input gets a clear answer and never an exception: decodeFrame on mutated and random frames, readCapture on
// cut and corrupted files.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../../src/decode/frame.js';
import { CaptureFormatError, pcapGlobalHeader, pcapngHeader, pcapngPacket, pcapRecord, readCapture } from '../../../src/mgmt/pcap.js';
import { buildIgmpFrame, buildMldFrame, buildMrdSolicitationFrame, buildQueryFrame, groupQuery } from '../../../src/wire/control-frame.js';

const SEEDS: Uint8Array[] = [
  buildIgmpFrame({ srcMac: '02:00:00:00:00:03', src: '192.0.2.3', dst: '224.0.0.22', vlan: 7,
    message: { type: 'v3-report', records: [{ recordType: 2, group: '239.1.1.1', sources: ['192.0.2.1', '192.0.2.2'] }] } }),
  buildQueryFrame({ srcMac: '02:00:00:00:00:fe', src: '192.0.2.254', vlan: 0,
    query: { ...groupQuery({ version: 3, maxRespDs: 100, qrv: 2, qqiSec: 125 }, '239.1.1.1', false), sources: ['192.0.2.9'] } }),
  buildMrdSolicitationFrame({ srcMac: '02:00:00:00:00:fe', src: 'fe80::1', vlan: 0, family: 6 }),
  // MLD (issue 12): an MLDv2 report with two records and sources, an MLDv2 group-and-source query, MLDv1 report and Done.
  buildMldFrame({ srcMac: '02:00:00:00:00:04', src: 'fe80::4', dst: 'ff02::16', vlan: 7,
    message: { type: 'v2-report', records: [{ recordType: 1, group: 'ff3e::1', sources: ['2001:db8::1', '2001:db8::2'] }, { recordType: 6, group: 'ff0e::2', sources: ['2001:db8::3'] }] } }),
  buildMldFrame({ srcMac: '02:00:00:00:00:fe', src: 'fe80::fe', dst: 'ff0e::2', vlan: 0,
    message: { type: 'query', version: 2, maxRespMs: 40_000, group: 'ff0e::2', suppress: true, qrv: 2, qqiSec: 125, sources: ['2001:db8::3'] } }),
  buildMldFrame({ srcMac: '02:00:00:00:00:05', src: 'fe80::5', dst: 'ff0e::3', vlan: 0, message: { type: 'report', version: 1, group: 'ff0e::3' } }),
  buildMldFrame({ srcMac: '02:00:00:00:00:05', src: 'fe80::5', dst: 'ff02::2', vlan: 0, message: { type: 'done', group: 'ff0e::3' } }),
];

describe('decode never throws', () => {
  it('on frames with bytes changed, cut or extended', () => {
    fc.assert(fc.property(
      fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), fc.boolean(),
      (seed, edits, cutAt, cut) => {
        const f = seed.slice();
        for (const [at, value] of edits) f[at % f.length] = value;
        const frame = cut ? f.subarray(0, cutAt % (f.length + 1)) : f;
        const d = decodeFrame(frame);
        expect(typeof d.summary).toBe('string');
      }), { numRuns: 3000 });
  });

  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => { decodeFrame(b); }), { numRuns: 2000 });
  });

  it('reading cut or corrupted pcap and pcapng files: packets or a reason, or CaptureFormatError', () => {
    const files = [
      Buffer.concat([pcapGlobalHeader(), ...SEEDS.map((s, i) => pcapRecord(i, s))]),
      Buffer.concat([pcapngHeader(['eth1']), ...SEEDS.map((s, i) => pcapngPacket(0, i, s, { comment: 'port eth1 rx' }))]),
    ];
    fc.assert(fc.property(fc.constantFrom(...files), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      (file, cutAt, edits) => {
        const b = new Uint8Array(file.subarray(0, cutAt % (file.length + 1)));
        for (const [at, value] of edits) if (b.length) b[at % b.length] = value;
        try {
          const c = readCapture(b);
          expect(c.error === null || typeof c.error === 'string').toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(CaptureFormatError);
        }
      }), { numRuns: 3000 });
  });
});
