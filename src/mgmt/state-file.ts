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

/** Characters of JSON gathered before one write and one hash update while the file is written. */
const WRITE_CHUNK_CHARS = 1 << 16;

/**
 * Writes `value` as JSON.stringify would, in pieces: long arrays element by element and the outer objects field by
 * field, so no string of the whole body (tens of MB with 200 k groups, twice: digest and file) is ever built. That
 * string, made every few seconds while reports arrive, was what grew the daemon's heap (src/snooping/README.md,
 * Memory). Only plain objects and arrays are taken apart; anything else (toJSON, Map, …) is one JSON.stringify.
 * A generator is written as the array of what it yields, made one element at a time (the engine's lazy snapshot:
 * its 200 k port-group entries are then never all in memory either).
 */
function writeJson(value: unknown, put: (piece: string) => void, depth = 0): void {
  const plainObject = typeof value === 'object' && value !== null && !Array.isArray(value)
    && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
    && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
  const generator = Object.prototype.toString.call(value) === '[object Generator]';
  if ((Array.isArray(value) && value.length > 0) || generator) {
    put('[');
    let i = 0;
    for (const item of value as Iterable<unknown>) {
      if (i++ > 0) put(',');
      const leaf = JSON.stringify(item) as string | undefined;
      put(leaf === undefined ? 'null' : leaf); // as JSON.stringify does for undefined and functions in arrays
    }
    put(']');
  } else if (plainObject && depth < 2) {
    put('{');
    let first = true;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue; // omitted, as JSON.stringify does
      put(`${first ? '' : ','}${JSON.stringify(k)}:`);
      first = false;
      writeJson(v, put, depth + 1);
    }
    put('}');
  } else {
    put(JSON.stringify(value));
  }
}

export function saveState(path: string, body: StateBody): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    // The file is JSON.stringify(envelope) byte for byte; the digest (over the body's JSON) comes before the body,
    // so its place is written with zeros first and filled in once the body has been written and hashed.
    const digestPlaceholder = '0'.repeat(64);
    const head = JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION, digest: digestPlaceholder, body: 0 } satisfies Omit<Envelope, 'body'> & { body: number }).slice(0, -2);
    writeSync(fd, head);
    const hash = createHash('sha256');
    let pending = '';
    const flush = (): void => {
      writeSync(fd, pending);
      hash.update(pending);
      pending = '';
    };
    writeJson(body, (piece) => {
      pending += piece;
      if (pending.length >= WRITE_CHUNK_CHARS) flush();
    });
    flush();
    writeSync(fd, '}');
    writeSync(fd, hash.digest('hex'), head.length - digestPlaceholder.length - '","body":'.length);
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
