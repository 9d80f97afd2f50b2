import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_VERBS, runCli, type CliIo } from '../../../src/cli/cli.js';
import type { CapturedFrame } from '../../../src/mgmt/api.js';
import { startControlServer, type ControlServer } from '../../../src/mgmt/control-socket.js';
import { fakeApi, FIXTURE, type FakeApi } from '../mgmt/fake-api.js';
import { tempDir } from '../mgmt/helpers.js';
import { readCapture } from '../../../src/mgmt/pcap.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let tmp: ReturnType<typeof tempDir>;
let sock: string;
let api: FakeApi;
let server: ControlServer;

beforeEach(async () => {
  tmp = tempDir();
  sock = path.join(tmp.dir, 'ctl.sock');
  api = fakeApi();
  server = await startControlServer({ path: sock, api });
});

afterEach(async () => {
  await server.close();
  tmp.cleanup();
});

interface Run { code: number; out: string; err: string }

async function cli(args: string[], extra: Partial<CliIo> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => { out += s; } },
    stderr: { write: (s: string) => { err += s; } },
    ...extra,
  });
  return { code, out, err };
}

describe('usage', () => {
  it('prints help for every verb, and the overview', async () => {
    for (const verb of Object.keys(CLI_VERBS)) {
      const r = await cli([verb, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage:\\s+igmpswitch ${verb}`));
      expect((await cli(['help', verb])).out).toBe(r.out);
    }
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const verb of Object.keys(CLI_VERBS)) expect(top.out).toContain(`  ${verb} `);
  });

  it.each([
    [[], /no command given/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['--frob'], /unknown option --frob/],
    [['show'], /show what\?/],
    [['show', 'everything'], /cannot show "everything"/],
    [['show', 'groups', 'ports'], /one thing to show/],
    [['show', 'groups', '--colour'], /Unknown option '--colour'/],
    [['show', 'groups', '--socket'], /argument missing/],
    [['trace', '--dst', '239.1.1.1'], /--in is required/],
    [['trace', '--in', 'eth1', '--dst', 'banana'], /--dst must be an IPv4 multicast group/],
    [['trace', '--in', 'eth1', '--dst', '239.1.1.1', '--vlan', '4095'], /--vlan must be an integer from 0 to 4094/],
    [['capture'], /--control is required/],
    [['capture', '--control', 'x.pcap', '--count', '0'], /--count must be/],
    [['capture', '--control', 'x.pcap', '--duration', 'soon'], /--duration must be/],
    [['probe'], /probe what\?/],
    [['probe', 'shout', '--iface', 'lo'], /unknown probe "shout"/],
    [['probe', 'query'], /--iface is required/],
    [['probe', 'join', '--iface', 'lo'], /probe join needs --group/],
    [['probe', 'join', '--iface', 'lo', '--group', '10.0.0.1'], /--group must be an IPv4 multicast address/],
    [['probe', 'join', '--iface', 'lo', '--group', '239.1.1.1', '--source', '10.0.0.1', '--version', '2'], /--source needs IGMPv3/],
    [['probe', 'query', '--iface', 'lo', '--version', '1'], /--version must be an integer from 2 to 3/],
    [['run'], /--config is required/],
    [['run', 'extra', '--config', 'x'], /Unexpected argument 'extra'/],
  ])('%j → exit 2 with usage', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/Usage:/);
  });

  it('prints the version', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((await cli(['--version'])).out).toBe(`igmpswitch ${pkg.version}\n`);
  });
});

describe('show', () => {
  it('prints tables', async () => {
    const groups = await cli(['show', 'groups', '--socket', sock]);
    expect(groups).toEqual({
      code: 0, err: '',
      out:
        'VLAN  GROUP      PORT  MODE            VER  TIMER  SOURCES           HOSTS\n' +
        '   -  239.1.1.1  eth1  exclude         v3   4m18s  any               10.0.0.11, 10.0.0.12\n' +
        '   -  239.1.1.1  eth3  exclude static  v2       -  10.0.0.7 blocked  -\n' +
        '  10  232.1.1.1  eth2  include         v3       -  10.0.0.99 3m20s   10.0.0.21\n',
    });
    const ports = await cli(['show', 'ports', '--socket', sock]);
    expect(ports.out.split('\n')[2]).toBe('1  eth1  down  no (never)  fast-leave,flood-reports       1  18446744073709551615         0          0         0         0      7');
    expect((await cli(['show', 'routers', '--socket', sock])).out).toContain('eth0     -  query         10.0.0.1    4m14s');
    expect((await cli(['show', 'querier', '--socket', sock])).out).toContain('querier:         10.0.0.1 on eth0 (expires in 4m10s)');
    expect((await cli(['show', 'fdb', '--socket', sock])).out.split('\n')[1]).toBe('   -  02:00:00:00:00:01  eth0   12s');
    const stats = await cli(['show', 'stats', '--socket', sock]);
    expect(stats.out).toContain('eth1          3       300          9       900                 -                   2           2\n');
    expect(stats.out).toContain('Filtered by policy:\n  no_egress:  3\n');
    expect(stats.out).toContain('Dropped as bad:\n  ipv4_checksum:  2\n');
  });

  it('prints the daemon answer as JSON with --json', async () => {
    for (const what of ['groups', 'ports', 'routers', 'querier', 'fdb', 'stats'] as const) {
      const r = await cli(['show', what, '--json', '--socket', sock]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toEqual(FIXTURE[what]);
    }
  });

  it('says clearly when the daemon is not running', async () => {
    const p = path.join(tmp.dir, 'gone.sock');
    const r = await cli(['show', 'groups', '--socket', p]);
    expect(r).toEqual({ code: 1, out: '', err: `igmpswitch: cannot connect to ${p}: is igmpswitch running?\n` });
  });

  it('finds the socket through the config file (management.socket, relative to the file)', async () => {
    const cfg = path.join(tmp.dir, 'switch.yaml');
    writeFileSync(cfg, 'ports: [{ name: eth0 }]\nmanagement:\n  socket: ctl.sock\n');
    expect((await cli(['show', 'fdb', '--config', cfg])).code).toBe(0);
    expect((await cli(['show', 'fdb', '-c', cfg, '--socket', path.join(tmp.dir, 'other.sock')])).code).toBe(1); // --socket wins
    const missing = await cli(['show', 'fdb', '--config', path.join(tmp.dir, 'none.yaml')]);
    expect(missing).toMatchObject({ code: 1, err: expect.stringMatching(/cannot read .*none\.yaml: ENOENT/) });
    writeFileSync(cfg, 'management: [unclosed\n');
    expect(await cli(['show', 'fdb', '--config', cfg])).toMatchObject({ code: 1, err: expect.stringMatching(/not valid YAML/) });
  });
});

describe('trace and reload', () => {
  it('explains a forwarding decision port by port', async () => {
    const r = await cli(['trace', '--in', 'eth1', '--dst', '239.1.1.1', '--src', '10.0.0.5', '--vlan', '10', '--socket', sock]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'frame:    10.0.0.5 → 239.1.1.1 arriving on eth1 (VLAN 10)\n' +
      'verdict:  forward\n' +
      'matched:  mdb-g VLAN 10 (*, 239.1.1.1)\n' +
      '\n' +
      'sent to 1 port: eth0\n' +
      'PORT  GETS IT  WHY\n' +
      'eth0  yes      router port (query from 10.0.0.1)\n' +
      'eth1  no       ingress port\n' +
      'eth2  no       not a member\n');
    const json = await cli(['trace', '--in', 'eth2', '--dst', '239.1.1.1', '--json', '--socket', sock]);
    expect(JSON.parse(json.out).ports[1]).toEqual({ name: 'eth1', egress: true, why: 'member (exclude {})' });
  });

  it('reports a trace the daemon refuses', async () => {
    const r = await cli(['trace', '--in', 'nope', '--dst', '239.1.1.1', '--socket', sock]);
    expect(r).toEqual({ code: 1, out: '', err: 'igmpswitch: no port named nope\n' });
  });

  it('reload prints the changes, or the config error with exit 1', async () => {
    expect(await cli(['reload', '--socket', sock])).toEqual({
      code: 0, err: '', out: 'configuration reloaded, 1 change applied:\n  snooping.query_interval 125s → 60s\n',
    });
    api.reloadOutcome = [];
    expect((await cli(['reload', '--socket', sock])).out).toBe('configuration reloaded: no change applied\n');
    api.reloadOutcome = new Error('/etc/igmpswitch.yaml:3:7: ports[0].name: expected a string');
    expect(await cli(['reload', '--socket', sock])).toEqual({
      code: 1, out: '',
      err: 'igmpswitch: reload failed, the running configuration stays:\n/etc/igmpswitch.yaml:3:7: ports[0].name: expected a string\n',
    });
  });
});

describe('capture', () => {
  const frame = (i: number, port = 'eth1', direction: 'rx' | 'tx' = 'rx'): CapturedFrame => ({
    time: 1_732_000_000_000 + i * 10 + 0.5, direction, port, bytes: Uint8Array.from({ length: 60 + i }, (_, k) => (k * 7 + i) & 255),
  });

  async function whenSubscribed(): Promise<void> {
    for (let i = 0; i < 200 && api.subscribers === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(api.subscribers).toBe(1);
  }

  it('writes a pcapng with port and direction per frame, and stops after --count frames', async () => {
    const file = path.join(tmp.dir, 'c.pcapng');
    const running = cli(['capture', '--control', file, '--count', '3', '--socket', sock]);
    await whenSubscribed();
    api.emit(frame(0));
    api.emit(frame(1, 'eth2', 'tx'));
    for (let i = 2; i < 5; i++) api.emit(frame(i));
    const r = await running;
    expect(r.code).toBe(0);
    expect(r.err).toContain('3 frames written to');
    const p = readCapture(readFileSync(file)).packets;
    expect(p.map((k) => Buffer.from(k.bytes))).toEqual([0, 1, 2].map((i) => Buffer.from(frame(i).bytes)));
    expect(p.map((k) => [k.interfaceName, k.direction, k.comments])).toEqual([
      ['eth1', 'in', ['rx eth1']], ['eth2', 'out', ['tx eth2']], ['eth1', 'in', ['rx eth1']],
    ]);
    expect(p[1]!.timeMs).toBeCloseTo(1_732_000_000_010.5, 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(api.subscribers).toBe(0);
  });

  it('filters by --port and stops on the interrupt signal', async () => {
    const file = path.join(tmp.dir, 'p.pcap');
    const ac = new AbortController();
    const running = cli(['capture', '--control', file, '--port', 'eth2', '--socket', sock], { signal: ac.signal });
    await whenSubscribed();
    api.emit(frame(0, 'eth1'));
    api.emit(frame(1, 'eth2'));
    api.emit(frame(2, 'eth3'));
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    const r = await running;
    expect(r.code).toBe(0);
    expect(readCapture(readFileSync(file)).packets.map((k) => k.bytes.length)).toEqual([61]);
  });

  it('stops after --duration, writing a valid empty capture', async () => {
    const file = path.join(tmp.dir, 'd.pcap');
    const t0 = Date.now();
    const r = await cli(['capture', '--control', file, '--duration', '0.3', '--socket', sock]);
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(r.err).toContain('0 frames written');
    expect(readCapture(readFileSync(file))).toEqual({ format: 'pcapng', packets: [], error: null });
  });

  it('writes to standard output with --control -', async () => {
    const file = path.join(tmp.dir, 'stdout.pcap');
    const fd = openSync(file, 'w');
    try {
      const running = cli(['capture', '--control', '-', '--count', '1', '--socket', sock], { stdoutFd: fd });
      await whenSubscribed();
      api.emit(frame(4));
      expect((await running).code).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readCapture(readFileSync(file)).packets).toHaveLength(1);
  });

  it('fails clearly without a daemon, leaving no file behind', async () => {
    const file = path.join(tmp.dir, 'none.pcap');
    const r = await cli(['capture', '--control', file, '--socket', path.join(tmp.dir, 'x.sock')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is igmpswitch running\?/);
    expect(existsSync(file)).toBe(false);
  });

  it('exits 1 when the daemon goes away mid-capture, keeping what it wrote', async () => {
    const file = path.join(tmp.dir, 'lost.pcap');
    const running = cli(['capture', '--control', file, '--socket', sock]);
    await whenSubscribed();
    api.emit(frame(0));
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/1 frame written/);
    expect(r.err).toMatch(/the daemon closed the stream/);
    expect(readCapture(readFileSync(file)).packets).toHaveLength(1);
  });
});

describe('probe, run and demo without their environment', () => {
  it('probe names a missing interface', async () => {
    const r = await cli(['probe', 'join', '--iface', 'nosuchif0', '--group', '239.1.1.1']);
    expect(r).toEqual({ code: 1, out: '', err: 'igmpswitch: no interface named nosuchif0\n' });
  });

  it.runIf(existsSync(path.join(ROOT, 'src/lab/demo.ts')))('demo passes its options to the demo, which rejects unknown ones', async () => {
    const r = await cli(['demo', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^igmpswitch: unknown option --bogus/);
    expect(r.err).toContain('Usage: igmpswitch demo');
  });

  it.runIf(!existsSync(path.join(ROOT, 'src/lab/demo.ts')))('demo says when the demo is not in the build', async () => {
    const r = await cli(['demo']);
    expect(r).toEqual({ code: 1, out: '', err: 'igmpswitch: the demo (src/lab/demo.ts) is not part of this build\n' });
  });
});

describe('as a process (node --import tsx src/cli/main.ts)', () => {
  function main(args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    });
  }

  it('exits 0 with output, 1 on failure, 2 on usage errors', async () => {
    const ok = await main(['show', 'routers', '--socket', sock]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('LEARNED-FROM');
    expect((await main(['show', 'routers', '--socket', path.join(tmp.dir, 'no.sock')])).code).toBe(1);
    const bad = await main(['shwo']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown command "shwo"');
  });
});
