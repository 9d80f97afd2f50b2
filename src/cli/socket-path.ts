// Which control socket the CLI talks to: --socket, else the config file's `management.socket`, else the default.
// Only that one key is read from the config (with the loader's rule that a relative path is relative to the config
// file's directory), so `show` works with a config the running daemon accepted even if this CLI build is older.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_SOCKET_PATH } from '../mgmt/api.js';

export class SocketPathError extends Error {}

export function resolveSocketPath(opts: { socket?: string; config?: string }): string {
  if (opts.socket) return path.resolve(opts.socket);
  if (!opts.config) return DEFAULT_SOCKET_PATH;
  let text: string;
  try {
    text = readFileSync(opts.config, 'utf8');
  } catch (err) {
    throw new SocketPathError(`cannot read ${opts.config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new SocketPathError(`${opts.config}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const mgmt = (doc as { management?: unknown } | null)?.management;
  const socket = (mgmt as { socket?: unknown } | null | undefined)?.socket;
  if (typeof socket !== 'string' || socket === '') return DEFAULT_SOCKET_PATH;
  return path.resolve(path.dirname(path.resolve(opts.config)), socket);
}
