// `igmpswitch decode`: explain every IGMP, MLD, PIM and MRD message of a capture (or, --live, of a running switch),
// field by field, and with --switch what the switch makes of it (src/decode/replay.ts).

import { readFileSync } from 'node:fs';
import { CaptureFormatError, readCapture } from '../mgmt/pcap.js';
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
    out.stdout.write(JSON.stringify({ file: o.file, format: capture.format, ...counts, messages: messages.map(jsonMessage),
      ...(end ? { switchAtEnd: end.data } : {}), error: capture.error }, null, 2) + '\n');
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

/** The message as data: the same fields as the text, the switch's part as its data. */
export function jsonMessage(m: DecodedMessage): Record<string, unknown> {
  const { switch: sw, ...rest } = m;
  return { ...rest, ...(sw ? { switch: sw.data } : {}) };
}
