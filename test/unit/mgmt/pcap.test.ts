import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET, openPcapngWriter, openPcapWriter, pcapGlobalHeader, pcapRecord, readCapture } from '../../../src/mgmt/pcap.js';
import { hasCommand, readPcap, tempDir } from './helpers.js';
import { encodePacket, probeJoin } from '../../../src/cli/probe.js';

// An IGMPv3 report to 224.0.0.22 in Ethernet: 01:00:5e:00:00:16 ← 02:00:00:00:00:01, IPv4 with Router Alert,
// one record TO_EX 239.1.1.1 {}.
const FRAME = Buffer.concat([
  Buffer.from('01005e000016' + '020000000001' + '0800', 'hex'),
  encodePacket('10.0.0.2', probeJoin({ version: 3, group: '239.1.1.1', sources: [] })),
]);

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => { tmp = tempDir(); });
afterEach(() => tmp.cleanup());

describe('pcap writer', () => {
  it('writes the classic global header', () => {
    const h = Buffer.from(pcapGlobalHeader());
    expect(h.toString('hex')).toBe('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000');
  });

  it('splits ms-with-fraction timestamps into seconds and microseconds, with carry', () => {
    const r = Buffer.from(pcapRecord(1_732_461_234_567.123, FRAME));
    expect(r.readUInt32LE(0)).toBe(1_732_461_234);
    expect(r.readUInt32LE(4)).toBe(567_123);
    const carry = Buffer.from(pcapRecord(1999.9999, FRAME));
    expect([carry.readUInt32LE(0), carry.readUInt32LE(4)]).toEqual([2, 0]);
  });

  it('cuts frames to the snap length and keeps the original length', () => {
    const r = Buffer.from(pcapRecord(0, FRAME, 20));
    expect(r.readUInt32LE(8)).toBe(20);
    expect(r.readUInt32LE(12)).toBe(FRAME.length);
    expect(r.length).toBe(16 + 20);
  });

  it('writes a file that reads back frame by frame', () => {
    const f = path.join(tmp.dir, 'c.pcap');
    const w = openPcapWriter(f);
    const times = [1_700_000_000_000.5, 1_700_000_000_250.25, 1_700_000_001_000];
    for (const t of times) w.write(t, FRAME);
    expect(w.count).toBe(3);
    w.close();
    const p = readPcap(readFileSync(f));
    expect(p).toMatchObject({ magic: 0xa1b2c3d4, major: 2, minor: 4, snaplen: 262_144, linktype: LINKTYPE_ETHERNET });
    expect(p.packets.map((k) => [k.sec, k.usec])).toEqual([[1_700_000_000, 500], [1_700_000_000, 250_250], [1_700_000_001, 0]]);
    for (const k of p.packets) {
      expect(k.orig).toBe(FRAME.length);
      expect(k.data.equals(FRAME)).toBe(true);
    }
  });

  it.runIf(hasCommand('tcpdump'))('is readable by tcpdump', () => {
    const f = path.join(tmp.dir, 't.pcap');
    const w = openPcapWriter(f);
    w.write(Date.now(), FRAME);
    w.close();
    const out = spawnSync('tcpdump', ['-r', f, '-nn', '-v'], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/igmp v3 report/i);
    expect(out.stdout).toContain('239.1.1.1');
  });
});

describe('pcapng writer (capture --control, issue 13.3)', () => {
  it('names each port as an interface and marks direction and port on every frame; tcpdump reads it', () => {
    const file = path.join(tmp.dir, 'both.pcapng');
    const w = openPcapngWriter(file);
    w.write({ timeMs: 1_732_461_234_567.125, bytes: FRAME, port: 'eth1', direction: 'rx' });
    w.write({ timeMs: 1_732_461_234_568, bytes: FRAME, port: 'eth2', direction: 'tx' });
    w.write({ timeMs: 1_732_461_234_569, bytes: FRAME, port: 'eth1', direction: 'tx' });
    w.close();
    const packets = readCapture(readFileSync(file)).packets;
    expect(packets.map((p) => [p.interfaceName, p.direction, p.comments[0], p.origLen])).toEqual([
      ['eth1', 'in', 'rx eth1', FRAME.length], ['eth2', 'out', 'tx eth2', FRAME.length], ['eth1', 'out', 'tx eth1', FRAME.length],
    ]);
    expect(packets[0]!.timeMs).toBeCloseTo(1_732_461_234_567.125, 3);
    expect(Buffer.from(packets[2]!.bytes)).toEqual(FRAME);
  });

  it.skipIf(!hasCommand('tcpdump'))('tcpdump -r decodes it', () => {
    const file = path.join(tmp.dir, 'td.pcapng');
    const w = openPcapngWriter(file);
    w.write({ timeMs: 1_732_461_234_567, bytes: FRAME, port: 'eth1', direction: 'tx' });
    w.close();
    const r = spawnSync('tcpdump', ['-r', file, '-nn'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/igmp v3 report/i);
  });
});
