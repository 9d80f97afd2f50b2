// Interface settings changed by a switch that died without restoring them (kill -9, power loss).
// At start the originals are written next to the state file; a clean stop deletes the record. The next start
// restores what a dead predecessor left changed *before* opening the ports, so the new PortSet records the true
// originals instead of its predecessor's changes.

import { readFileSync, unlinkSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { ChangedSettings } from '../dataplane/messages.js';
import type { PacketAddon } from '../io/packet-addon.js';

export function settingsRecordPath(stateFile: string | null): string | null {
  return stateFile ? `${stateFile}.interfaces` : null;
}

/** Undo what a predecessor changed and never restored; interfaces re-created since (new ifindex) are skipped. */
export function restoreLeftovers(path: string | null, addon: PacketAddon, log: Logger): void {
  if (!path) return;
  let record: ChangedSettings;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as ChangedSettings;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ event: 'settings-record-ignored', file: path }, (err as Error).message);
    return;
  }
  for (const [name, saved] of Object.entries(record ?? {})) {
    const link = addon.linkState(name);
    if (!link || link.ifindex !== saved?.ifindex) continue;
    try {
      addon.setOffloads(name, saved.offloads);
      log.info({ event: 'settings-restored', port: name, offloads: saved.offloads },
        `restored ${name}'s interface settings left changed by a previous run that did not stop cleanly`);
    } catch (err) {
      log.warn({ event: 'settings-restore-failed', port: name }, (err as Error).message);
    }
  }
  clearRecord(path);
}

export function writeRecord(path: string | null, changed: ChangedSettings): void {
  if (!path) return;
  if (Object.keys(changed).length === 0) { clearRecord(path); return; }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(changed), { mode: 0o600 });
  renameSync(tmp, path);
}

export function clearRecord(path: string | null): void {
  if (!path) return;
  try { unlinkSync(path); } catch { /* not there */ }
}
