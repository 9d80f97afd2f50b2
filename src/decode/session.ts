// A decode run: captured packets in, DecodedMessages out (numbered, timed, with port and direction), and, when a
// replay is attached (--switch), what the switch did after each one.

import type { CapturedPacket } from '../mgmt/pcap.js';
import { LINKTYPE_ETHERNET } from '../mgmt/pcap.js';
import { decodeFrame, type DecodedFrame } from './frame.js';

/** What the switch did around one message (src/decode/replay.ts). */
export interface SwitchStep {
  /** Text lines, as printed. */
  lines: string[];
  /** The same as data (--json). */
  data: Record<string, unknown>;
}

export interface DecodedMessage extends DecodedFrame {
  /** 1-based position in the capture. */
  index: number;
  timeMs: number;
  /** Since the first packet of the capture. */
  offsetMs: number;
  /** The switch port it was captured on, when the capture says. */
  port: string | null;
  /** in: received by the switch (or the capturing interface); out: sent. */
  direction: 'in' | 'out' | null;
  length: number;
  switch?: SwitchStep;
}

/** A frame to decode, from a capture file or from the daemon (--live). */
export interface FrameInput {
  timeMs: number;
  bytes: Uint8Array;
  port: string | null;
  direction: 'in' | 'out' | null;
  linktype: number;
}

/**
 * Port and direction from a pcapng packet: the interface name (if_name), epb_flags, or a comment such as
 * "port eth1 rx" / "eth1 out" (what `capture --control` writes; the words rx/in/received and tx/out/sent).
 */
export function frameInputOf(p: CapturedPacket): FrameInput {
  let port = p.interfaceName;
  let direction = p.direction;
  for (const c of p.comments) {
    const m = /\bport[ =:]+([^\s,;]+)/i.exec(c);
    if (m) port = m[1]!;
    if (direction === null) {
      if (/\b(tx|out|outbound|sent|egress)\b/i.test(c)) direction = 'out';
      else if (/\b(rx|in|inbound|received|ingress)\b/i.test(c)) direction = 'in';
    }
  }
  return { timeMs: p.timeMs, bytes: p.bytes, port, direction, linktype: p.linktype };
}

export class DecodeSession {
  private count = 0;
  private firstMs: number | null = null;
  /** Frames that were not control messages, and frames that were not Ethernet. */
  skipped = 0;
  notEthernet = 0;

  /** Decodes the next frame; null for frames that are not Ethernet. */
  next(input: FrameInput): DecodedMessage | null {
    this.count++;
    if (input.linktype !== LINKTYPE_ETHERNET) {
      this.notEthernet++;
      return null;
    }
    if (this.firstMs === null && Number.isFinite(input.timeMs)) this.firstMs = input.timeMs;
    const d = decodeFrame(input.bytes);
    if (d.kind === null) this.skipped++;
    return {
      ...d,
      index: this.count,
      timeMs: input.timeMs,
      offsetMs: Number.isFinite(input.timeMs) ? input.timeMs - (this.firstMs ?? input.timeMs) : 0,
      port: input.port,
      direction: input.direction,
      length: input.bytes.length,
    };
  }
}
