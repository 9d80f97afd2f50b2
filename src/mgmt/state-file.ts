// Persisted membership state, so that a restart (even after kill -9) restores forwarding at once instead of
// waiting for the next query round. Written atomically (temp file, fsync, rename, fsync of the directory),
// versioned, and validated on load: a file that fails any check is reported and ignored, never trusted.

import { openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { createHash } from 'node:crypto';

export const STATE_FORMAT = 'igmpswitch-state';
export const STATE_VERSION = 1;

/** What is on disk. `digest` is SHA-256 over the JSON of `body`, so a torn or edited file is detected. */
interface Envelope {
  format: typeof STATE_FORMAT;
  version: number;
  digest: string;
  body: StateBody;
}

export interface StateBody {
  /** Wall-clock time of the save (ms since the epoch): timers are restored minus the time spent down. */
  savedAtMs: number;
  /** Interface names by port index at save time: memberships are re-mapped by name, not by index. */
  ports: string[];
  /** The snooping engine's own snapshot (validated again by the engine). */
  snooping: unknown;
}

export type LoadResult =
  | { ok: true; body: StateBody }
  | { ok: false; missing: boolean; reason: string };

function digestOf(body: StateBody): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

export function saveState(path: string, body: StateBody): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const envelope: Envelope = { format: STATE_FORMAT, version: STATE_VERSION, digest: digestOf(body), body };
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(envelope));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* nothing to clean */ }
    throw err;
  }
  const dfd = openSync(dir, 'r');
  try { fsyncSync(dfd); } finally { closeSync(dfd); }
}

export function loadState(path: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT', reason: `cannot read ${path}: ${(err as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, missing: false, reason: `${path} is not valid JSON: ${(err as Error).message}` };
  }
  const e = parsed as Partial<Envelope> | null;
  if (typeof e !== 'object' || e === null || e.format !== STATE_FORMAT) {
    return { ok: false, missing: false, reason: `${path} is not an igmpswitch state file` };
  }
  if (e.version !== STATE_VERSION) {
    return { ok: false, missing: false, reason: `${path} has state version ${String(e.version)}, this build reads ${STATE_VERSION}` };
  }
  const body = e.body as StateBody | undefined;
  if (typeof body !== 'object' || body === null || typeof body.savedAtMs !== 'number' || !Array.isArray(body.ports)
      || !body.ports.every((p) => typeof p === 'string')) {
    return { ok: false, missing: false, reason: `${path} has a malformed body` };
  }
  if (typeof e.digest !== 'string' || e.digest !== digestOf(body)) {
    return { ok: false, missing: false, reason: `${path} failed its integrity check (digest mismatch)` };
  }
  return { ok: true, body };
}
