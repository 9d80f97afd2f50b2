// One owner per port, per state file and per control socket (issue 11 items 10 and 12). A second `igmpswitch run`
// on a port, state file or control socket that a running daemon holds is refused: exit 1, one plain
// `igmpswitch: cannot start: …` line on stderr naming what is in use and the holder's pid, a JSON `start-failed`
// log line, and nothing of the first daemon touched (its state file and interface-settings record stay byte for
// byte; it keeps forwarding, once per frame). A daemon killed with SIGKILL leaves no lock behind.
//
//   h1 ── p1 ┐
//            ├── igmpswitch (first) … and the refused second one on the same ports
//   h2 ── p2 ┘

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  configYaml, daemonStatus, labCliPath, nodeBin, startIgmpswitch, type ConfigObject, type Lab, type SwitchProcess,
} from '../../../src/lab/index.js';
import { labSkipReason, useLab } from '../harness.js';

const skip = labSkipReason ?? daemonStatus().reason;
/** Two ports (both ends of one veth pair in the switch namespace) that only the second instances use. */
const SPARE = ['igsspare0', 'igsspare1'];
const echo = process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null;

interface Refusal {
  /** null when it did not exit on its own (it started: the defect). */
  code: number | null;
  stderr: string;
  stdout: string;
}

/** Runs `igmpswitch run` in the switch namespace with this config; a daemon that starts anyway is stopped. */
async function runSecond(l: Lab, dir: string, config: ConfigObject): Promise<Refusal> {
  const configPath = join(dir, `second-${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(configPath, configYaml(config, 'second instance'));
  const p = l.spawnSwitch(nodeBin(), [labCliPath(), 'run', '--config', configPath], { label: 'second', echo });
  // A refusal exits within a second on a quiet machine; 30 s leaves room for node + tsx on a loaded one.
  const exited = await Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
  if (!exited) await p.stop('SIGTERM', 10_000);
  return { code: exited ? exited.code : null, stderr: p.output('stderr'), stdout: p.output('stdout') };
}

/** The plain lines of stderr (the JSON log goes to stdout). */
function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '');
}

/** Every file of a directory with its bytes (what the first daemon owns must not change). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isFile()) out[f] = readFileSync(p, 'latin1');
  }
  return out;
}

async function pingNoDuplicates(l: Lab): Promise<string> {
  const r = await l.host('h1').exec('ping', ['-n', '-c', '5', '-i', '0.2', '-W', '2', l.host('h2').addr], { allowFail: true, timeoutMs: 15_000 });
  expect(r.stdout + r.stderr, 'ping h1 → h2').toMatch(/5 packets transmitted, 5 received/);
  expect(r.stdout, 'every echo reply arrives once').not.toMatch(/DUP!|duplicates/);
  return r.stdout;
}

describe.skipIf(skip !== null)(`one igmpswitch per port, state file and control socket${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const lab = useLab(() => ({ hosts: [{ name: 'h1' }, { name: 'h2' }], igmpswitch: { echo } }));
  let dir = '';
  let replacement: SwitchProcess | null = null;
  let foreign: net.Server | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'igmpswitch-instances-'));
    // Ports only the second instances use (both ends of one veth pair), so the state-file and socket cases do not hit the interface lock first.
    await lab().execSwitch('ip', ['link', 'add', 'igsspare0', 'type', 'veth', 'peer', 'name', 'igsspare1']);
    for (const port of SPARE) await lab().execSwitch('ip', ['link', 'set', port, 'up']);
  });

  afterAll(async () => {
    await replacement?.stop().catch(() => {});
    foreign?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const first = (): SwitchProcess => lab().switch!;

  it('same ports: refused with the first one\'s pid named; the first keeps forwarding, once per frame', async () => {
    const l = lab();
    await pingNoDuplicates(l);
    const r = await runSecond(l, dir, { ports: [...l.ports], management: { socket: join(dir, 'a.sock') }, state: { file: join(dir, 'a.json') } });
    expect(r.code, `the second instance must not start:\n${r.stdout}\n${r.stderr}`).toBe(1);
    const lines = plainLines(r.stderr);
    expect(lines, `one plain line on stderr: ${r.stderr}`).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^igmpswitch: cannot start: interface ${l.ports[0]} \\(ifindex \\d+\\) is in use by another igmpswitch \\(pid ${first().pid};`));
    expect(r.stdout).toMatch(/"event":"start-failed"/);
    expect(existsSync(join(dir, 'a.json')), 'the refused instance wrote no state file').toBe(false);
    await pingNoDuplicates(l);
  });

  it('same configuration (socket and state file): refused; the first one\'s files are untouched', async () => {
    const l = lab();
    // The first daemon has saved its state by now (written within ~0.5 s of any change; the learning switch has
    // none, so there may be no file: then there must still be none).
    const before = snapshot(first().dir);
    const r = await runSecond(l, dir, first().config);
    expect(r.code, `the second instance must not start:\n${r.stdout}\n${r.stderr}`).toBe(1);
    const lines = plainLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^igmpswitch: cannot start: control socket ${first().socketPath} is in use by another igmpswitch \\(pid ${first().pid};`));
    const after = snapshot(first().dir);
    delete before['daemon.log'];
    delete after['daemon.log'];
    expect(after, 'the first daemon\'s directory (config, state file, interface-settings record)').toEqual(before);
    expect(await first().request('ports'), 'the first daemon still answers').toHaveLength(2);
    await pingNoDuplicates(l);
  });

  it('same state file, other ports and socket: refused naming the state file', async () => {
    const l = lab();
    const r = await runSecond(l, dir, { ports: SPARE, management: { socket: join(dir, 'b.sock') }, state: { file: first().stateFile } });
    expect(r.code, `the second instance must not start:\n${r.stdout}\n${r.stderr}`).toBe(1);
    const lines = plainLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^igmpswitch: cannot start: state file ${first().stateFile} is in use by another igmpswitch \\(pid ${first().pid};`));
  });

  it('a control socket another program listens on: refused with one plain line on stderr (item 12)', async () => {
    const l = lab();
    const path = join(dir, 'foreign.sock');
    foreign = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => foreign!.listen(path, resolve));
    const r = await runSecond(l, dir, { ports: SPARE, management: { socket: path }, state: { file: null } });
    expect(r.code, `must not start:\n${r.stdout}\n${r.stderr}`).toBe(1);
    const lines = plainLines(r.stderr);
    expect(lines, `one plain line on stderr: ${r.stderr}`).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^igmpswitch: cannot start: ${path} is in use`));
    expect(r.stdout).toMatch(/"event":"start-failed"/);
  });

  it('after kill -9 of the first, a new one starts on the same ports, state file and socket', async () => {
    const l = lab();
    const killed = first();
    killed.process.signal('SIGKILL');
    expect((await killed.process.exited).signal).toBe('SIGKILL');
    replacement = await startIgmpswitch(l.switchNs, l.ports, {
      config: { management: { socket: killed.socketPath }, state: { file: killed.stateFile } }, echo,
    });
    expect(await replacement.request('ports')).toHaveLength(2);
    await pingNoDuplicates(l);
  });
});
