// `igmpswitch decode`: explain every IGMP, MLD, PIM and MRD message of a capture (or, --live, of a running switch),
// field by field, and with --switch what the switch makes of it (src/decode/replay.ts).

import { readFileSync } from 'node:fs';
import type { CapturedFrame } from '../mgmt/api.js';
import { stream } from '../mgmt/control-client.js';
import { CaptureFormatError, LINKTYPE_ETHERNET, readCapture } from '../mgmt/pcap.js';
import { renderMessage } from '../decode/render.js';
import { DecodeSession, frameInputOf, type DecodedMessage, type FrameInput } from '../decode/session.js';

/** A failure explained in one line (exit 1). */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export interface DecodeOutput {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** Attached by --switch: sees every frame (control or not) and adds what the switch did to control messages. */
export interface FrameObserver {
  observe(input: FrameInput, message: DecodedMessage | null): void;
  /** Lines (and data) for what happened after the last frame, e.g. queries sent until the end of the capture. */
  finish?(): { lines: string[]; data: Record<string, unknown> } | null;
}

export interface DecodeFileOptions {
  /** Path, or "-" for standard input. */
  file: string;
  json: boolean;
  /** Print every frame, not only control messages. */
  all: boolean;
  observer?: FrameObserver;
  /** Standard input's bytes (tests); default: read file descriptor 0. */
  stdin?: () => Uint8Array;
}

function readInput(o: DecodeFileOptions): Uint8Array {
  try {
    if (o.file === '-') return o.stdin ? o.stdin() : new Uint8Array(readFileSync(0));
    return new Uint8Array(readFileSync(o.file));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new DecodeError(`cannot read ${o.file === '-' ? 'standard input' : o.file}: ${why}`);
  }
}

/** Decodes a pcap/pcapng file; returns the exit code (1 when the file is cut or corrupt after some packets). */
export function decodeFile(o: DecodeFileOptions, out: DecodeOutput): number {
  const data = readInput(o);
  let capture;
  try {
    capture = readCapture(data);
  } catch (err) {
    if (err instanceof CaptureFormatError) throw new DecodeError(`${o.file === '-' ? 'standard input' : o.file}: ${err.message}`);
    throw err;
  }
  const session = new DecodeSession();
  const messages: DecodedMessage[] = [];
  for (const p of capture.packets) {
    const input = frameInputOf(p);
    const m = session.next(input);
    o.observer?.observe(input, m);
    if (m === null || (m.kind === null && !o.all)) continue;
    if (o.json) messages.push(m);
    else out.stdout.write(renderMessage(m) + '\n');
  }
  const end = o.observer?.finish?.() ?? null;
  const counts = { frames: capture.packets.length, controlMessages: capture.packets.length - session.skipped - session.notEthernet,
    otherFrames: session.skipped, notEthernet: session.notEthernet };
  if (o.json) {
    out.stdout.write(json({ file: o.file, format: capture.format, ...counts, messages: messages.map(jsonMessage),
      ...(end ? { switchAtEnd: end.data } : {}), error: capture.error }, 2) + '\n');
  } else {
    if (end) out.stdout.write(`after the last frame, the switch:\n${end.lines.map((l) => `  ${l}`).join('\n')}\n\n`);
    out.stdout.write(`${counts.frames} frame(s): ${counts.controlMessages} control message(s)` +
      `${counts.otherFrames ? `, ${counts.otherFrames} other frame(s)${o.all ? '' : ' not shown (--all shows them)'}` : ''}` +
      `${counts.notEthernet ? `, ${counts.notEthernet} not Ethernet (skipped)` : ''}\n`);
  }
  if (capture.error) {
    out.stderr.write(`igmpswitch: ${o.file === '-' ? 'standard input' : o.file}: ${capture.error}; the ${capture.packets.length} packet(s) before it are shown\n`);
    return 1;
  }
  return 0;
}

/** JSON text; 64-bit port masks (bigint) as decimal strings. */
function json(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}

/** The message as data: the same fields as the text, the switch's part as its data. */
export function jsonMessage(m: DecodedMessage): Record<string, unknown> {
  const { switch: sw, ...rest } = m;
  return { ...rest, ...(sw ? { switch: sw.data } : {}) };
}

export interface DecodeLiveOptions {
  socketPath: string;
  /** A port name, or "all". */
  port: string;
  json: boolean;
  all: boolean;
  /** Stop after this many messages shown (0: no limit). */
  count: number;
  /** Stop after this long (0: no limit). */
  durationMs: number;
  observer?: FrameObserver;
  signal: AbortSignal;
}

/** in/out from a streamed frame's direction (rx: received by the switch, tx: sent by it). */
function directionOf(f: CapturedFrame): FrameInput['direction'] {
  return f.direction === 'tx' ? 'out' : 'in';
}

/**
 * Decodes the control frames a running switch streams (the `subscribeControl` stream that `capture --control`
 * reads) as they arrive: text per message, or one JSON object per line.
 */
export async function decodeLive(o: DecodeLiveOptions, out: DecodeOutput): Promise<number> {
  const session = new DecodeSession();
  let shown = 0;
  let dropped = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  const h = stream(o.socketPath, 'subscribeControl', {}, (ev) => {
    if (ev.type === 'dropped') {
      dropped += ev.count;
      return;
    }
    const f = ev.frame;
    if ((o.port !== 'all' && f.port !== o.port) || (o.count > 0 && shown >= o.count)) return;
    // The bytes may be a view into a reused buffer: keep a copy.
    const input: FrameInput = { timeMs: f.time, bytes: f.bytes.slice(), port: f.port, direction: directionOf(f), linktype: LINKTYPE_ETHERNET };
    const m = session.next(input);
    o.observer?.observe(input, m);
    if (m === null || (m.kind === null && !o.all)) return;
    shown++;
    out.stdout.write(o.json ? json(jsonMessage(m)) + '\n' : renderMessage(m) + '\n');
    if (o.count > 0 && shown >= o.count) finish();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await h.ready;
    out.stderr.write(`decoding control frames from ${o.port === 'all' ? 'every port' : o.port}` +
      `${o.count ? `, ${o.count} messages` : ''}${o.durationMs ? `, ${o.durationMs / 1000}s` : ''}; Ctrl-C to stop\n`);
    if (o.durationMs) timer = setTimeout(finish, o.durationMs);
    o.signal.addEventListener('abort', finish, { once: true });
    if (o.signal.aborted) finish();
    let lost: Error | null = null;
    await Promise.race([finished, h.done.then(() => {}, (err: Error) => { lost = err; })]);
    out.stderr.write(`${shown} message${shown === 1 ? '' : 's'} decoded` +
      `${dropped ? `; ${dropped} more were not received (this client could not keep up)` : ''}\n`);
    if (lost) throw lost;
    return 0;
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener('abort', finish);
    h.close();
  }
}
