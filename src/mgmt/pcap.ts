// Classic libpcap savefile writer (pcap-savefile(5)), what tcpdump -r and Wireshark read.
//
//   global header, 24 bytes:  magic 0xa1b2c3d4 (µs timestamps) | version 2.4 | thiszone 0 | sigfigs 0 | snaplen | linktype
//   per packet, 16 bytes:     ts_sec | ts_usec | incl_len (bytes stored) | orig_len (bytes on the wire), then the bytes
//
// All fields are written little-endian; readers recognise the byte order from the magic.

import { closeSync, openSync, writeSync } from 'node:fs';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
export const DEFAULT_SNAPLEN = 262_144; // tcpdump's default

export function pcapGlobalHeader(snaplen = DEFAULT_SNAPLEN, linktype = LINKTYPE_ETHERNET): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, PCAP_MAGIC_USEC, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  return b;
}

/** One record (header + bytes, cut to snaplen). `timeMs`: milliseconds since the epoch, fraction kept to the µs. */
export function pcapRecord(timeMs: number, bytes: Uint8Array, snaplen = DEFAULT_SNAPLEN): Uint8Array {
  const incl = Math.min(bytes.length, snaplen);
  const out = new Uint8Array(16 + incl);
  const v = new DataView(out.buffer);
  const totalUs = Math.round(timeMs * 1000);
  const sec = Math.floor(totalUs / 1e6);
  v.setUint32(0, sec >>> 0, true);
  v.setUint32(4, totalUs - sec * 1e6, true);
  v.setUint32(8, incl, true);
  v.setUint32(12, bytes.length, true);
  out.set(bytes.subarray(0, incl), 16);
  return out;
}

export interface PcapWriter {
  /** Frames written so far. */
  readonly count: number;
  write(timeMs: number, bytes: Uint8Array): void;
  close(): void;
}

/**
 * Writes a pcap file synchronously (control traffic is a few frames per second; a sync write keeps every frame on
 * disk even if the process is killed). `target` is a path, or a file descriptor such as 1 for stdout.
 */
export function openPcapWriter(target: string | number, snaplen = DEFAULT_SNAPLEN): PcapWriter {
  const sink = openSyncSink(target);
  let n = 0;
  sink.write(pcapGlobalHeader(snaplen));
  return {
    get count() { return n; },
    write(timeMs, bytes) {
      if (sink.closed) throw new Error('pcap writer is closed');
      sink.write(pcapRecord(timeMs, bytes, snaplen));
      n++;
    },
    close: () => sink.close(),
  };
}

/**
 * A file (path, or a descriptor such as 1 for stdout) written synchronously and completely: control traffic is a few
 * frames per second, and a sync write keeps every frame on disk even if the process is killed.
 */
function openSyncSink(target: string | number): { write(b: Uint8Array): void; close(): void; readonly closed: boolean } {
  const fd = typeof target === 'number' ? target : openSync(target, 'w', 0o600);
  const ownsFd = typeof target !== 'number';
  let closed = false;
  return {
    get closed() { return closed; },
    write(b) {
      let off = 0;
      while (off < b.length) {
        try {
          off += writeSync(fd, b, off, b.length - off);
        } catch (err) {
          // A non-blocking pipe (stdout piped into tcpdump) that is full: wait a moment and retry.
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
      }
    },
    close() {
      if (closed) return;
      closed = true;
      if (ownsFd) closeSync(fd);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pcapng (IETF draft-ietf-opsawg-pcapng; what `capture --control` writes): one Interface Description Block per switch
// port, so Wireshark and tshark name the port of every frame, and per frame an Enhanced Packet Block whose epb_flags
// give the direction (inbound: received by the switch; outbound: sent by it) and whose comment says the same in words
// ("rx eth1", "tx eth2"). All blocks little-endian; timestamps in microseconds (the default if_tsresol).
//
//   block:  type u32 | total length u32 | body … (padded to 32 bits) | total length u32
//   option: code u16 | length u16 | value (padded to 32 bits); list ends with opt_endofopt (0, 0)

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_EPB = 0x00000006;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const EPB_FLAGS = 2;
const SHB_USERAPPL = 4;
/** epb_flags bits 0-1: the direction (01 inbound, 10 outbound). */
const EPB_INBOUND = 1;
const EPB_OUTBOUND = 2;

export type CaptureDirection = 'rx' | 'tx';

const pad4 = (n: number): number => (n + 3) & ~3;
const utf8 = new TextEncoder();

function options(list: readonly [number, Uint8Array][]): Uint8Array {
  const size = list.reduce((n, [, v]) => n + 4 + pad4(v.length), 0) + (list.length ? 4 : 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let off = 0;
  for (const [code, value] of list) {
    v.setUint16(off, code, true);
    v.setUint16(off + 2, value.length, true);
    out.set(value, off + 4);
    off += 4 + pad4(value.length);
  }
  if (list.length) v.setUint16(off, OPT_ENDOFOPT, true); // and length 0
  return out;
}

function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + pad4(body.length);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  out.set(body, 8);
  v.setUint32(total - 4, total, true);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

/** Section Header Block: byte-order magic, version 1.0, section length unknown (-1), the writing application. */
export function pcapngSectionHeader(application = 'igmpswitch'): Uint8Array {
  const fixed = new Uint8Array(16);
  const v = new DataView(fixed.buffer);
  v.setUint32(0, PCAPNG_BYTE_ORDER_MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint16(6, 0, true);
  v.setBigInt64(8, -1n, true);
  return block(PCAPNG_SHB, concat([fixed, options([[SHB_USERAPPL, utf8.encode(application)]])]));
}

/** Interface Description Block for one switch port (if_name = the port's interface name). */
export function pcapngInterface(name: string, snaplen = DEFAULT_SNAPLEN, linktype = LINKTYPE_ETHERNET): Uint8Array {
  const fixed = new Uint8Array(8);
  const v = new DataView(fixed.buffer);
  v.setUint16(0, linktype, true);
  v.setUint32(4, snaplen, true);
  return block(PCAPNG_IDB, concat([fixed, options([[IF_NAME, utf8.encode(name)]])]));
}

/** Enhanced Packet Block: the frame on interface `interfaceId`, with its direction as epb_flags and a comment. */
export function pcapngPacket(interfaceId: number, timeMs: number, bytes: Uint8Array, direction: CaptureDirection,
  comment: string, snaplen = DEFAULT_SNAPLEN): Uint8Array {
  const incl = Math.min(bytes.length, snaplen);
  const fixed = new Uint8Array(20 + pad4(incl));
  const v = new DataView(fixed.buffer);
  const us = BigInt(Math.round(timeMs * 1000));
  v.setUint32(0, interfaceId, true);
  v.setUint32(4, Number(us >> 32n), true);
  v.setUint32(8, Number(us & 0xffffffffn), true);
  v.setUint32(12, incl, true);
  v.setUint32(16, bytes.length, true);
  fixed.set(bytes.subarray(0, incl), 20);
  const flags = new Uint8Array(4);
  new DataView(flags.buffer).setUint32(0, direction === 'rx' ? EPB_INBOUND : EPB_OUTBOUND, true);
  return block(PCAPNG_EPB, concat([fixed, options([[OPT_COMMENT, utf8.encode(comment)], [EPB_FLAGS, flags]])]));
}

export interface CapturedFrame {
  timeMs: number;
  bytes: Uint8Array;
  /** Switch port the frame was received on (rx) or sent from (tx). */
  port: string;
  direction: CaptureDirection;
}

export interface PcapngWriter {
  /** Frames written so far. */
  readonly count: number;
  write(frame: CapturedFrame): void;
  close(): void;
}

/**
 * Writes a pcapng file synchronously, like openPcapWriter; an interface block is written the first time a port
 * appears (a reader meets it before the packets that name it). Each packet's comment is "<direction> <port>".
 */
export function openPcapngWriter(target: string | number, snaplen = DEFAULT_SNAPLEN): PcapngWriter {
  const sink = openSyncSink(target);
  const interfaces = new Map<string, number>();
  let n = 0;
  sink.write(pcapngSectionHeader());
  return {
    get count() { return n; },
    write(f) {
      if (sink.closed) throw new Error('pcapng writer is closed');
      let id = interfaces.get(f.port);
      const parts: Uint8Array[] = [];
      if (id === undefined) {
        id = interfaces.size;
        interfaces.set(f.port, id);
        parts.push(pcapngInterface(f.port, snaplen));
      }
      parts.push(pcapngPacket(id, f.timeMs, f.bytes, f.direction, `${f.direction} ${f.port}`, snaplen));
      sink.write(concat(parts));
      n++;
    },
    close: () => sink.close(),
  };
}

export interface PcapngPacket {
  /** if_name of the packet's interface ('' when the file does not name it). */
  interface: string;
  direction: CaptureDirection | null;
  comment: string | null;
  timeMs: number;
  /** Length on the wire (data may be cut to the snap length). */
  origLength: number;
  data: Uint8Array;
}

/**
 * Reads the Enhanced Packet Blocks of a pcapng file (either byte order; microsecond timestamps assumed, as every
 * igmpswitch and tcpdump file has). Throws on a file that is not pcapng or is cut inside a block.
 */
export function readPcapng(file: Uint8Array): PcapngPacket[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 28 || v.getUint32(0, true) !== PCAPNG_SHB) throw new Error('not a pcapng file (no section header block)');
  const magic = v.getUint32(8, true);
  if (magic !== PCAPNG_BYTE_ORDER_MAGIC && magic !== 0x4d3c2b1a) throw new Error('not a pcapng file (bad byte-order magic)');
  const le = magic === PCAPNG_BYTE_ORDER_MAGIC;
  const text = new TextDecoder();
  const interfaces: string[] = [];
  const packets: PcapngPacket[] = [];
  const readOptions = (from: number, to: number): Map<number, Uint8Array> => {
    const out = new Map<number, Uint8Array>();
    for (let off = from; off + 4 <= to;) {
      const code = v.getUint16(off, le);
      const len = v.getUint16(off + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (!out.has(code)) out.set(code, file.subarray(off + 4, off + 4 + len));
      off += 4 + pad4(len);
    }
    return out;
  };
  for (let off = 0; off < file.length;) {
    if (off + 12 > file.length) throw new Error(`pcapng cut short at byte ${off}`);
    const type = v.getUint32(off, le);
    const total = v.getUint32(off + 4, le);
    if (total < 12 || total % 4 !== 0 || off + total > file.length) throw new Error(`pcapng block at byte ${off} has a bad length ${total}`);
    const body = off + 8;
    const end = off + total - 4;
    if (type === PCAPNG_IDB) {
      interfaces.push(text.decode(readOptions(body + 8, end).get(IF_NAME) ?? new Uint8Array()));
    } else if (type === PCAPNG_EPB) {
      const id = v.getUint32(body, le);
      const us = (BigInt(v.getUint32(body + 4, le)) << 32n) | BigInt(v.getUint32(body + 8, le));
      const incl = v.getUint32(body + 12, le);
      const opts = readOptions(body + 20 + pad4(incl), end);
      const flags = opts.get(EPB_FLAGS);
      const dirBits = flags && flags.length >= 4 ? new DataView(flags.buffer, flags.byteOffset, 4).getUint32(0, le) & 3 : 0;
      const comment = opts.get(OPT_COMMENT);
      packets.push({
        interface: interfaces[id] ?? '',
        direction: dirBits === EPB_INBOUND ? 'rx' : dirBits === EPB_OUTBOUND ? 'tx' : null,
        comment: comment ? text.decode(comment) : null,
        timeMs: Number(us) / 1000,
        origLength: v.getUint32(body + 16, le),
        data: file.subarray(body + 20, body + 20 + incl),
      });
    }
    off += total;
  }
  return packets;
}
