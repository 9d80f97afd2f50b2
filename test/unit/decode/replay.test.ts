// igmpswitch decode --switch: a capture replayed through the real Wasm core and snooping engine, clocked by the
// capture's timestamps. Frames built with the product's own emit code.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.js';
import { pcapngHeader, pcapngPacket } from '../../../src/mgmt/pcap.js';
import { buildIgmpFrame, buildIpv4Frame } from '../../../src/wire/control-frame.js';

const CONFIG = `ports: [eth1, eth2, eth3]
snooping:
  querier: { enabled: true, address: 192.0.2.254 }
  query_interval: 10s
  query_response_interval: 2s
  last_member_query_interval: 500ms
  startup_flood: 0
state: { file: null }
`;

const T0 = 1_700_000_000_000;
const v3 = (recordType: number, group: string, src = '192.0.2.3') =>
  buildIgmpFrame({ srcMac: '02:00:00:00:00:03', src, dst: '224.0.0.22', vlan: 0, message: { type: 'v3-report', records: [{ recordType, group, sources: [] }] } });
const data = (group: string) =>
  buildIpv4Frame({ srcMac: '02:00:00:00:00:01', src: '192.0.2.1', dst: group, vlan: 0, protocol: 17, ttl: 64, routerAlert: false, payload: new Uint8Array(8) });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'replay-'));
  writeFileSync(path.join(dir, 'switch.yaml'), CONFIG);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } } });
  return { code, out, err };
}

/** The "the switch:" block of message #n. */
function switchBlock(out: string, n: number): string[] {
  const msg = out.split(/\n(?=#\d+ )/).find((b) => b.startsWith(`#${n} `))!;
  return msg.split('\n  the switch:\n')[1]!.trimEnd().split('\n').map((l) => l.trim());
}

describe('decode --switch', () => {
  it('prints membership changes, the queries the switch sends and where frames go, on the capture\'s clock', async () => {
    const file = path.join(dir, 'c.pcapng');
    writeFileSync(file, Buffer.concat([
      pcapngHeader(['eth1', 'eth2', 'eth3']),
      pcapngPacket(2, T0, v3(4, '239.3.3.3')),                   // eth3 joins (TO_EX {})
      pcapngPacket(0, T0 + 1000, data('239.3.3.3')),              // data from eth1
      pcapngPacket(2, T0 + 3000, v3(3, '239.3.3.3')),             // eth3 leaves (TO_IN {})
      pcapngPacket(0, T0 + 3500, v3(4, '239.9.9.9', '192.0.2.1'), { comment: 'port eth1 tx' }), // marked as sent
    ]));
    const r = await cli(['decode', file, '--switch', path.join(dir, 'switch.yaml'), '--all']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(switchBlock(r.out, 1)).toEqual([
      'before it, own querier 192.0.2.254: querier',
      'before it, multicast is filtered by the group table (snooping); unregistered groups: routers',
      'before it, sends at +0.000 s: IGMPv3 Membership Query (General Query) from 192.0.2.254 to eth1, eth2, eth3',
      'arrives on eth3; taken by the switch, not forwarded',
      'joined: 239.3.3.3 on eth3',
      'membership 239.3.3.3 on eth3: none → EXCLUDE {} (IGMPv3)',
    ]);
    expect(switchBlock(r.out, 2)).toContain('arrives on eth1; forwarded to eth3');
    const leave = switchBlock(r.out, 3);
    expect(leave).toContain('arrives on eth3; taken by the switch, not forwarded');
    // RFC 3376 §6.6.3.1: a Group-Specific Query to the port, at once (the capture's +3 s).
    expect(leave).toContain('sends at +3.000 s: IGMPv3 Membership Query (Group-Specific Query) 239.3.3.3 from 192.0.2.254 to eth3');
    // The retransmission one Last Member Query Interval later (RFC 3376 §6.6.3.1), told before the next frame.
    expect(switchBlock(r.out, 4)).toEqual(expect.arrayContaining([
      'before it, sends at +3.500 s: IGMPv3 Membership Query (Group-Specific Query) 239.3.3.3 from 192.0.2.254 to eth3',
      'sent by the switch in the capture: shown, not replayed',
    ]));
    expect(r.out).toContain('after the last frame, the switch:\n  member: 239.3.3.3 on eth3: EXCLUDE {} (IGMPv3)');
  });

  it('a frame larger than a data-plane slot is shown and not replayed', async () => {
    // The largest IPv4 datagram, then trailing bytes up to 100 000: more than any slot holds.
    const big = new Uint8Array(100_000);
    big.set(buildIpv4Frame({ srcMac: '02:00:00:00:00:01', src: '192.0.2.1', dst: '239.3.3.3', vlan: 0, protocol: 17, ttl: 64, routerAlert: false, payload: new Uint8Array(65_000) }));
    const file = path.join(dir, 'big.pcapng');
    writeFileSync(file, Buffer.concat([pcapngHeader(['eth1']), pcapngPacket(0, T0, big)]));
    const r = await cli(['decode', file, '--switch', path.join(dir, 'switch.yaml'), '--all']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(switchBlock(r.out, 1)).toContainEqual(expect.stringMatching(/^100000 bytes: larger than a data-plane frame slot \(\d+\); not replayed$/));
  });

  it('--json carries the same as data; a bad configuration or --in port is a one-line error', async () => {
    const file = path.join(dir, 'c.pcapng');
    writeFileSync(file, Buffer.concat([pcapngHeader(['eth2']), pcapngPacket(0, T0, v3(4, '239.3.3.3'))]));
    const j = await cli(['decode', file, '--switch', path.join(dir, 'switch.yaml'), '--json']);
    const doc = JSON.parse(j.out);
    expect(doc.messages[0].switch).toMatchObject({
      forwarding: 'arrives on eth2; taken by the switch, not forwarded',
      membershipChanges: [{ membership: '239.3.3.3 on eth2', before: null, after: 'EXCLUDE {} (IGMPv3)' }],
      events: [{ type: 'join', group: '239.3.3.3', portName: 'eth2' }],
    });
    expect(doc.switchAtEnd.groups[0]).toMatchObject({ group: '239.3.3.3' });
    writeFileSync(path.join(dir, 'bad.yaml'), 'ports: 3\n');
    const bad = await cli(['decode', file, '--switch', path.join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^igmpswitch: --switch .*bad\.yaml: /);
    const badIn = await cli(['decode', file, '--switch', path.join(dir, 'switch.yaml'), '--in', 'eth9']);
    expect(badIn).toMatchObject({ code: 1, err: 'igmpswitch: --in eth9: not a port of the configuration (eth1, eth2, eth3)\n' });
    expect((await cli(['decode', file, '--in', 'eth1'])).code).toBe(2);
  });
});
