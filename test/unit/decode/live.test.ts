// igmpswitch decode --live: control frames streamed by the daemon's control socket (the stream capture --control
// reads), decoded as they arrive. The daemon is the management fake (test/unit/mgmt/fake-api.ts).

import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.js';
import { buildIgmpFrame, buildIpv4Frame } from '../../../src/wire/control-frame.js';
import { useFakeDaemon } from '../mgmt/fake-api.js';

const daemon = useFakeDaemon();

const report = (group: string) => buildIgmpFrame({ srcMac: '02:00:00:00:00:03', src: '192.0.2.3', dst: group, vlan: 0, message: { type: 'report', version: 2, group } });
const udp = buildIpv4Frame({ srcMac: '02:00:00:00:00:01', src: '192.0.2.1', dst: '239.1.1.1', vlan: 0, protocol: 17, ttl: 64, routerAlert: false, payload: new Uint8Array(8) });

describe('decode --live', () => {
  it('decodes the frames of one port as they arrive, stops after --count, one JSON object per line with --json', async () => {
    let out = '';
    let err = '';
    const running = runCli(['decode', '--live', 'eth2', '--count', '2', '--json', '--socket', daemon.sock()],
      { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } } });
    await daemon.subscribed();
    const api = daemon.api();
    api.emit({ time: 1_000, direction: 'rx', port: 'eth1', bytes: report('239.1.1.1') });
    api.emit({ time: 2_000, direction: 'rx', port: 'eth2', bytes: udp });
    api.emit({ time: 3_000, direction: 'rx', port: 'eth2', bytes: report('239.2.2.2') });
    api.emit({ time: 4_000, direction: 'rx', port: 'eth2', bytes: report('239.3.3.3') });
    api.emit({ time: 5_000, direction: 'rx', port: 'eth2', bytes: report('239.4.4.4') });
    expect(await running).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((m) => [m.index, m.port, m.summary])).toEqual([
      [2, 'eth2', 'IGMPv2 Membership Report 239.2.2.2 from 192.0.2.3'], [3, 'eth2', 'IGMPv2 Membership Report 239.3.3.3 from 192.0.2.3']]);
    expect(lines[0].layers[2].fields[0]).toMatchObject({ name: 'Type', rawText: '0x16' });
    expect(err).toContain('decoding control frames from eth2, 2 messages; Ctrl-C to stop');
    expect(err).toContain('2 messages decoded');
  });

  it('usage: FILE and --live together, or --count without --live, are usage errors', async () => {
    const run = async (args: string[]) => {
      let e = '';
      const code = await runCli(args, { stdout: { write: () => {} }, stderr: { write: (s: string) => { e += s; } } });
      return { code, e };
    };
    expect(await run(['decode', 'x.pcap', '--live', 'eth1'])).toMatchObject({ code: 2, e: expect.stringContaining('either FILE or --live PORT') });
    expect(await run(['decode', 'x.pcap', '--count', '3'])).toMatchObject({ code: 2, e: expect.stringContaining('--count and --duration go with --live') });
  });
});
