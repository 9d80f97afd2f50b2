// Stopping what the user started. `npx igmpswitch run` (the README's command) is a chain of three processes:
//
//   npm exec (node) ── sh -c 'igmpswitch run …' ── node bin/igmpswitch.js run …   (the daemon; it starts no child)
//
// A SIGTERM to npm makes npm exit at once (it passes the signal to the shell, which dies of it): without more, the
// daemon is left orphaned, still holding its ports, locks and socket. So when npm (or any npm script) launched the
// daemon, it asks the kernel for a SIGTERM when the process that started it exits (PR_SET_PDEATHSIG) — the same
// signal and the same clean stop as a direct `kill -TERM`, whichever process of the chain got the signal.
//
// Only under npm: a daemon started by systemd (examples/igmpswitch.service runs node directly) or by a shell with
// `nohup … &` must not die with its parent; systemd signals the daemon itself.

import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { PacketAddon } from '../io/packet-addon.js';

/** Was this process started by npm (`npx`, `npm exec`, `npm start`, `npm run …`)? npm sets these for its children. */
export function launchedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['npm_lifecycle_event'] !== undefined || env['npm_command'] !== undefined;
}

/**
 * Under npm: SIGTERM this process when its parent exits. Returns whether the watch is on. A parent that is
 * already gone (it exited before the watch was set) gets the same answer at once.
 */
export function stopWithLauncher(addon: Pick<PacketAddon, 'parentDeathSignal'>, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!launchedByNpm(env)) return false;
  addon.parentDeathSignal(constants.signals.SIGTERM);
  const now = currentParentPid();
  // process.ppid is read once at start-up; /proc has the parent now (1 or a subreaper once it has exited).
  if (now !== null && now !== process.ppid) process.kill(process.pid, 'SIGTERM');
  return true;
}

/** The parent pid as the kernel sees it now (field 4 of /proc/self/stat), or null. */
function currentParentPid(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return null;
  }
}
