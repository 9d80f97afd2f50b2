// Capture files: the classic libpcap savefile writer (pcap-savefile(5)), what tcpdump -r and Wireshark read, and a
// reader for both pcap and pcapng (IETF draft-ietf-opsawg-pcapng), what `igmpswitch decode` reads.
//
// pcap:
//   global header, 24 bytes:  magic 0xa1b2c3d4 (µs timestamps) | version 2.4 | thiszone 0 | sigfigs 0 | snaplen | linktype
//   per packet, 16 bytes:     ts_sec | ts_usec | incl_len (bytes stored) | orig_len (bytes on the wire), then the bytes
//
// All fields are written little-endian; readers recognise the byte order from the magic.
//
// pcapng: a sequence of blocks | type | total length | body | total length |, all in the byte order the Section
// Header Block's magic 0x1a2b3c4d shows. Read here: Section Header (0x0a0d0d0a), Interface Description (1: link
// type, snaplen, options if_name 2, if_tsresol 9, if_tsoffset 14), Enhanced Packet (6: interface, 64-bit
// timestamp, lengths, data, options opt_comment 1 and epb_flags 2), Simple Packet (3) and the obsolete Packet
// Block (2). Other blocks are skipped by their length.

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

export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const PcapngBlock = { IDB: 1, PB: 2, SPB: 3, EPB: 6 } as const;
const PcapngOption = { END: 0, COMMENT: 1, IF_NAME: 2, EPB_FLAGS: 2, SHB_USERAPPL: 4, IF_TSRESOL: 9, IF_TSOFFSET: 14 } as const;
/** epb_flags bits 0-1: the direction (01 inbound, 10 outbound). */
const EPB_INBOUND = 1;
const EPB_OUTBOUND = 2;
/** Fixed part of each block body read here (before options and packet data). */
const PCAPNG_MIN_BODY: Record<number, number> = { [PcapngBlock.IDB]: 8, [PcapngBlock.PB]: 20, [PcapngBlock.SPB]: 4, [PcapngBlock.EPB]: 20 };

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
  if (list.length) v.setUint16(off, PcapngOption.END, true); // and length 0
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
  return block(PCAPNG_SHB, concat([fixed, options([[PcapngOption.SHB_USERAPPL, utf8.encode(application)]])]));
}

/** Interface Description Block for one switch port (if_name = the port's interface name). */
export function pcapngInterface(name: string, snaplen = DEFAULT_SNAPLEN, linktype = LINKTYPE_ETHERNET): Uint8Array {
  const fixed = new Uint8Array(8);
  const v = new DataView(fixed.buffer);
  v.setUint16(0, linktype, true);
  v.setUint32(4, snaplen, true);
  return block(PcapngBlock.IDB, concat([fixed, options([[PcapngOption.IF_NAME, utf8.encode(name)]])]));
}

/** Enhanced Packet Block: the frame on interface `interfaceId`, with its direction as epb_flags and a comment. */
export function pcapngPacket(interfaceId: number, timeMs: number, bytes: Uint8Array,
  opts: { direction?: CaptureDirection; comment?: string; snaplen?: number } = {}): Uint8Array {
  const incl = Math.min(bytes.length, opts.snaplen ?? DEFAULT_SNAPLEN);
  const fixed = new Uint8Array(20 + pad4(incl));
  const v = new DataView(fixed.buffer);
  const us = BigInt(Math.round(timeMs * 1000));
  v.setUint32(0, interfaceId, true);
  v.setUint32(4, Number(us >> 32n), true);
  v.setUint32(8, Number(us & 0xffffffffn), true);
  v.setUint32(12, incl, true);
  v.setUint32(16, bytes.length, true);
  fixed.set(bytes.subarray(0, incl), 20);
  const list: [number, Uint8Array][] = [];
  if (opts.comment !== undefined) list.push([PcapngOption.COMMENT, utf8.encode(opts.comment)]);
  if (opts.direction !== undefined) {
    const flags = new Uint8Array(4);
    new DataView(flags.buffer).setUint32(0, opts.direction === 'rx' ? EPB_INBOUND : EPB_OUTBOUND, true);
    list.push([PcapngOption.EPB_FLAGS, flags]);
  }
  return block(PcapngBlock.EPB, concat([fixed, options(list)]));
}

/** A Section Header Block and one Ethernet interface per name: the start of a pcapng file (tests and tools). */
export function pcapngHeader(interfaceNames: readonly string[], snaplen = DEFAULT_SNAPLEN): Uint8Array {
  return concat([pcapngSectionHeader(), ...interfaceNames.map((name) => pcapngInterface(name, snaplen))]);
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
      parts.push(pcapngPacket(id, f.timeMs, f.bytes, { direction: f.direction, comment: `${f.direction} ${f.port}`, snaplen }));
      sink.write(concat(parts));
      n++;
    },
    close: () => sink.close(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading pcap and pcapng

export interface CapturedPacket {
  /** Milliseconds since the epoch, with fraction. */
  timeMs: number;
  /** The bytes stored (cut at the snaplen). */
  bytes: Uint8Array;
  /** Length on the wire (more than bytes.length when the capture cut the frame). */
  origLen: number;
  /** LINKTYPE_* of the packet's interface (1 = Ethernet). */
  linktype: number;
  /** pcapng: the interface's if_name; null when the file does not say. */
  interfaceName: string | null;
  /** pcapng epb_flags direction: 'in' (inbound) or 'out' (outbound); null when the file does not say. */
  direction: 'in' | 'out' | null;
  /** pcapng: the packet's opt_comment texts. */
  comments: string[];
}

export interface CaptureFile {
  format: 'pcap' | 'pcapng';
  packets: CapturedPacket[];
  /** Why reading stopped before the end (a cut or corrupt file); the packets before it are kept. Null: read to the end. */
  error: string | null;
}

/** Not a capture file at all (the first bytes are neither a pcap nor a pcapng magic). */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
}

/** Reads a whole pcap or pcapng file held in memory. */
export function readCapture(data: Uint8Array): CaptureFile {
  if (data.length < 4) throw new CaptureFormatError(`${data.length} bytes: too short for a pcap or pcapng file`);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (v.getUint32(0, false) === PCAPNG_SHB) return readPcapng(data, v);
  const le = v.getUint32(0, true);
  const be = v.getUint32(0, false);
  for (const magic of [PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC]) {
    if (le === magic) return readPcap(data, v, true, magic === PCAP_MAGIC_NSEC);
    if (be === magic) return readPcap(data, v, false, magic === PCAP_MAGIC_NSEC);
  }
  throw new CaptureFormatError(`not a pcap or pcapng file (magic 0x${be.toString(16).padStart(8, '0')})`);
}

function readPcap(data: Uint8Array, v: DataView, le: boolean, nanos: boolean): CaptureFile {
  const packets: CapturedPacket[] = [];
  if (data.length < 24) return { format: 'pcap', packets, error: 'the global header is cut short' };
  const linktype = v.getUint32(20, le) & 0x0fffffff; // the upper bits may carry FCS information
  const fraction = nanos ? 1e6 : 1e3;
  let off = 24;
  while (off < data.length) {
    if (off + 16 > data.length) return { format: 'pcap', packets, error: `packet ${packets.length + 1}: record header cut short` };
    const incl = v.getUint32(off + 8, le);
    if (off + 16 + incl > data.length) {
      return { format: 'pcap', packets, error: `packet ${packets.length + 1}: ${incl} bytes announced, ${data.length - off - 16} present` };
    }
    packets.push({
      timeMs: v.getUint32(off, le) * 1000 + v.getUint32(off + 4, le) / fraction,
      bytes: data.subarray(off + 16, off + 16 + incl),
      origLen: v.getUint32(off + 12, le),
      linktype, interfaceName: null, direction: null, comments: [],
    });
    off += 16 + incl;
  }
  return { format: 'pcap', packets, error: null };
}

interface PcapngInterface {
  linktype: number;
  name: string | null;
  /** Timestamp units per second. */
  unitsPerSec: bigint;
  offsetSec: bigint;
  snaplen: number;
}

/** pcapng options: | code u16 | length u16 | value, padded to 32 bits |, up to opt_endofopt or `end`. */
function pcapngOptions(v: DataView, off: number, end: number, le: boolean): Array<{ code: number; at: number; length: number }> {
  const out: Array<{ code: number; at: number; length: number }> = [];
  while (off + 4 <= end) {
    const code = v.getUint16(off, le);
    const length = v.getUint16(off + 2, le);
    if (code === PcapngOption.END || off + 4 + length > end) break;
    out.push({ code, at: off + 4, length });
    off += 4 + ((length + 3) & ~3);
  }
  return out;
}

function readPcapng(data: Uint8Array, v: DataView): CaptureFile {
  const packets: CapturedPacket[] = [];
  const text = new TextDecoder();
  let interfaces: PcapngInterface[] = [];
  let le = true;
  let off = 0;
  const fail = (why: string): CaptureFile => ({ format: 'pcapng', packets, error: `block at byte ${off}: ${why}` });
  while (off < data.length) {
    if (off + 12 > data.length) return fail('block header cut short');
    if (v.getUint32(off, false) === PCAPNG_SHB) {
      // A new section: its own byte order and interfaces.
      const magic = v.getUint32(off + 8, true);
      if (magic === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (v.getUint32(off + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
      else return fail('section header without the byte-order magic');
      interfaces = [];
    }
    const type = v.getUint32(off, le);
    const total = v.getUint32(off + 4, le);
    if (total < 12 || total % 4 !== 0) return fail(`block length ${total}`);
    if (off + total > data.length) return fail(`${total} bytes announced, ${data.length - off} present`);
    const body = off + 8;
    const end = off + total - 4;
    if (end - body < (PCAPNG_MIN_BODY[type] ?? 0)) return fail(`block type ${type} of ${total} bytes is too short`);
    if (type === PcapngBlock.IDB) {
      const iface: PcapngInterface = { linktype: v.getUint16(body, le), name: null, unitsPerSec: 1_000_000n, offsetSec: 0n, snaplen: v.getUint32(body + 4, le) };
      for (const o of pcapngOptions(v, body + 8, end, le)) {
        if (o.code === PcapngOption.IF_NAME) iface.name = text.decode(data.subarray(o.at, o.at + o.length)).replace(/\0+$/, '');
        else if (o.code === PcapngOption.IF_TSRESOL && o.length >= 1) {
          const r = data[o.at]!;
          iface.unitsPerSec = (r & 0x80) !== 0 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
        } else if (o.code === PcapngOption.IF_TSOFFSET && o.length >= 8) iface.offsetSec = v.getBigInt64(o.at, le);
      }
      interfaces.push(iface);
    } else if (type === PcapngBlock.EPB || type === PcapngBlock.PB) {
      const id = type === PcapngBlock.EPB ? v.getUint32(body, le) : v.getUint16(body, le);
      const iface = interfaces[id];
      if (!iface) return fail(`packet on interface ${id}, which no Interface Description Block describes`);
      const ts = (BigInt(v.getUint32(body + 4, le)) << 32n) | BigInt(v.getUint32(body + 8, le));
      const caplen = v.getUint32(body + 12, le);
      if (body + 20 + caplen > end) return fail(`packet of ${caplen} bytes runs past its block`);
      const comments: string[] = [];
      let direction: CapturedPacket['direction'] = null;
      for (const o of pcapngOptions(v, body + 20 + ((caplen + 3) & ~3), end, le)) {
        if (o.code === PcapngOption.COMMENT) comments.push(text.decode(data.subarray(o.at, o.at + o.length)));
        else if (type === PcapngBlock.EPB && o.code === PcapngOption.EPB_FLAGS && o.length >= 4) {
          const d = v.getUint32(o.at, le) & 3; // bits 0-1: 0 unknown, 1 inbound, 2 outbound
          direction = d === EPB_INBOUND ? 'in' : d === EPB_OUTBOUND ? 'out' : null;
        }
      }
      const whole = ts / iface.unitsPerSec;
      const rest = ts % iface.unitsPerSec;
      packets.push({
        timeMs: Number(whole + iface.offsetSec) * 1000 + (Number(rest) * 1000) / Number(iface.unitsPerSec),
        bytes: data.subarray(body + 20, body + 20 + caplen),
        origLen: v.getUint32(body + 16, le),
        linktype: iface.linktype, interfaceName: iface.name, direction, comments,
      });
    } else if (type === PcapngBlock.SPB) {
      const iface = interfaces[0];
      if (!iface) return fail('simple packet before any Interface Description Block');
      const origLen = v.getUint32(body, le);
      const caplen = Math.min(origLen, iface.snaplen || origLen, end - body - 4);
      packets.push({
        timeMs: Number.NaN, bytes: data.subarray(body + 4, body + 4 + caplen), origLen,
        linktype: iface.linktype, interfaceName: iface.name, direction: null, comments: [],
      });
    }
    off += total;
  }
  return { format: 'pcapng', packets, error: null };
}
