// Stopping the command the README gives (issue 11 item 11): `npx igmpswitch run --config FILE` is npm (node) →
// sh -c → node bin/igmpswitch.js. A SIGTERM to any process of that chain must stop the daemon cleanly: it logs
// "stopped", restores the interface settings (promiscuous mode off), removes its control socket and lock files,
// and no process of the chain is left.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  configYaml, daemonStatus, generatedConfig, hasCommand, ipJson, parseJsonLine, projectRoot, run, type LabProcess,
} from '../../../src/lab/index.js';
import { labSkipReason, useLab } from '../harness.js';

const skip = labSkipReason ?? daemonStatus().reason ?? (await hasCommand('npx') ? null : 'npx is not installed');
const echo = process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null;

/** Parent pid from /proc/PID/stat (field 4), or null once the process is gone. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** Running (not gone, not a zombie waiting for its new parent to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe.skipIf(skip !== null)(`kill -TERM to \`npx igmpswitch run\`${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const lab = useLab(() => ({ hosts: [{ name: 'h1' }, { name: 'h2' }], switch: 'none' }));
  let dir = '';
  let npx: LabProcess | null = null;
  let daemonPid = -1;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'igmpswitch-npx-'));
    // The first `npx igmpswitch` of a checkout links it into npm's npx cache (~/.npm/_npx) and runs its `prepare`
    // script (a full build) there: done once here, so the cases below time the daemon and not the build.
    await run('npx', ['igmpswitch', '--version'], { cwd: projectRoot(), timeoutMs: 600_000 });
  }, 600_000);
  afterEach(async () => {
    // Whatever the outcome, nothing we started outlives the case.
    if (daemonPid > 0 && alive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
    if (npx?.running) await npx.stop('SIGKILL', 5_000);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const target of ['npm', 'sh', 'daemon'] as const) {
    it(`SIGTERM to the ${target} process stops the daemon cleanly`, async () => {
      const l = lab();
      const caseDir = mkdtempSync(join(dir, `${target}-`));
      const config = generatedConfig(l.ports, caseDir);
      const configPath = join(caseDir, 'igmpswitch.yaml');
      writeFileSync(configPath, configYaml(config, 'started with npx'));
      npx = l.spawnSwitch('npx', ['igmpswitch', 'run', '--config', configPath], { cwd: projectRoot(), label: 'npx', echo });
      const forwarding = await npx.waitForJson((o) => o['msg'] === 'forwarding', 60_000, 'the daemon\'s "forwarding" line');
      daemonPid = Number(forwarding['pid']);
      const shPid = parentOf(daemonPid)!;
      expect(parentOf(shPid), 'the chain is npm → sh → daemon').toBe(npx.pid);
      // PACKET_MR_PROMISC counts in the interface's promiscuity (not in its flags).
      const promisc = async () => (await ipJson<{ promiscuity: number }[]>(l.switchNs, ['-d', 'link', 'show', l.ports[0]!]))[0]!.promiscuity > 0;
      expect(await promisc(), 'the daemon put its port in promiscuous mode').toBe(true);
      const locks = readdirLocks(caseDir);
      expect(locks.length, 'lock files next to the socket and the state file').toBe(2);

      process.kill({ npm: npx.pid, sh: shPid, daemon: daemonPid }[target], 'SIGTERM');
      // The chain's stdout closes only when the daemon, the last writer, has exited.
      const done = await Promise.race([npx.exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
      expect(done, `the daemon (pid ${daemonPid}) is still running 20 s after the SIGTERM: ${alive(daemonPid)}`).not.toBeNull();
      expect(alive(daemonPid)).toBe(false);
      const stopped = npx.output('stdout').split('\n').map(parseJsonLine).find((o) => o?.['event'] === 'stopped');
      expect(stopped, `the daemon logged "stopped":\n${npx.tail(10)}`).toBeDefined();
      expect(await promisc(), 'interface settings restored').toBe(false);
      expect(existsSync(join(caseDir, 'igmpswitch.sock')), 'control socket removed').toBe(false);
      expect(readdirLocks(caseDir), 'lock files removed').toEqual([]);
    });
  }
});

function readdirLocks(d: string): string[] {
  return readdirSync(d).filter((f) => f.endsWith('.lock'));
}
