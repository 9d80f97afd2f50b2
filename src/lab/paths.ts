// Where things are: the project root (from src/lab or dist/lab alike), the agents, the daemon.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | null = null;

/** The igmpswitch project root: the nearest ancestor of this file holding package.json named igmpswitch. */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name;
        if (name === 'igmpswitch') return (cachedRoot = dir);
      } catch {
        /* not ours */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('igmpswitch lab: cannot find the project root (package.json named igmpswitch)');
    dir = up;
  }
}

/**
 * Helper scripts run with plain `node` inside host namespaces. They are JavaScript (.mjs) kept in
 * src/lab/agents/ and used from there whether the lab runs from src/ (tsx, vitest) or dist/.
 */
export function agentPath(name: string): string {
  return join(projectRoot(), 'src', 'lab', 'agents', name);
}

export function cliPath(): string {
  return join(projectRoot(), 'bin', 'igmpswitch.js');
}

/** The node binary running us; used for agents and the daemon so the same Node runs everywhere. */
export function nodeBin(): string {
  return process.execPath;
}
