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
  const fd = typeof target === 'number' ? target : openSync(target, 'w', 0o600);
  const ownsFd = typeof target !== 'number';
  let n = 0;
  let closed = false;
  const writeAll = (b: Uint8Array): void => {
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
  };
  writeAll(pcapGlobalHeader(snaplen));
  return {
    get count() { return n; },
    write(timeMs, bytes) {
      if (closed) throw new Error('pcap writer is closed');
      writeAll(pcapRecord(timeMs, bytes, snaplen));
      n++;
    },
    close() {
      if (closed) return;
      closed = true;
      if (ownsFd) closeSync(fd);
    },
  };
}
