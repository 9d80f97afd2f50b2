// The AF_PACKET blaster of the robustness namespace tests (blaster.c, compiled once per process into a temporary
// directory). What they watch the switch with (management views, RSS, waits) is src/lab/observe.ts, shared with
// bench/soak.ts.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BLASTER_SOURCE = fileURLToPath(new URL('./blaster.c', import.meta.url));

let blasterDir: string | null = null;

/** gcc -O2 blaster.c into a temporary directory (once per process); the directory goes at exit. */
export function blasterPath(): string {
  if (blasterDir && existsSync(join(blasterDir, 'blaster'))) return join(blasterDir, 'blaster');
  blasterDir = mkdtempSync(join(tmpdir(), 'igmpswitch-blaster-'));
  const dir = blasterDir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  execFileSync('gcc', ['-O2', '-Wall', '-o', join(dir, 'blaster'), BLASTER_SOURCE], { stdio: 'pipe' });
  return join(dir, 'blaster');
}

export function hasGcc(): boolean {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return statSync(BLASTER_SOURCE).isFile();
  } catch {
    return false;
  }
}
