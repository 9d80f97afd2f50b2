#!/usr/bin/env node
// TCP transfer with a SHA-256 check on both ends.
//
//   node tcp-xfer.mjs server --port 5201 [--bind 192.0.2.2]
//       prints {"type":"listening"}, then for the first connection {"type":"received",bytes,sha256,ms,mbps} and exits.
//   node tcp-xfer.mjs client --host 192.0.2.2 --port 5201 --bytes 8388608 [--chunk 65536]
//       sends that many random bytes, prints {"type":"sent",bytes,sha256,ms,mbps} and exits.
// The harness compares the two digests.

import { createHash, randomFillSync } from 'node:crypto';
import net from 'node:net';
import { emit, nowMs, num, parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2), {
  port: { type: 'string' },
  bind: { type: 'string' },
  bytes: { type: 'string' },
  chunk: { type: 'string' },
  host: { type: 'string' },
});
const mode = args._[0];
const port = num(args.port, 5201);

if (mode === 'server') {
  const server = net.createServer((sock) => {
    server.close();
    const hash = createHash('sha256');
    let bytes = 0;
    let t0 = 0;
    sock.on('data', (b) => {
      if (!t0) t0 = nowMs();
      bytes += b.length;
      hash.update(b);
    });
    sock.on('end', () => {
      const ms = nowMs() - t0;
      emit({ type: 'received', bytes, sha256: hash.digest('hex'), ms, mbps: ms > 0 ? (bytes * 8) / ms / 1000 : 0 });
      sock.end();
      setTimeout(() => process.exit(0), 10);
    });
    sock.on('error', (err) => {
      emit({ type: 'error', message: err.message, bytes });
      process.exit(1);
    });
  });
  server.on('error', (err) => {
    emit({ type: 'error', message: err.message });
    process.exit(1);
  });
  server.listen({ port, host: args.bind ? String(args.bind) : undefined }, () => emit({ type: 'listening', port }));
} else if (mode === 'client') {
  const total = num(args.bytes, 4 * 1024 * 1024);
  const chunkSize = num(args.chunk, 64 * 1024);
  const hash = createHash('sha256');
  const sock = net.connect({ host: String(args.host), port });
  let sent = 0;
  let t0 = 0;
  const chunk = Buffer.alloc(chunkSize);
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunkSize, total - sent);
      randomFillSync(chunk, 0, n);
      const piece = Buffer.from(chunk.subarray(0, n)); // the socket keeps a reference until written
      hash.update(piece);
      sent += n;
      if (!sock.write(piece)) return sock.once('drain', pump);
    }
    sock.end();
  };
  sock.on('connect', () => {
    t0 = nowMs();
    pump();
  });
  sock.on('error', (err) => {
    emit({ type: 'error', message: err.message, sent });
    process.exit(1);
  });
  sock.on('close', () => {
    const ms = nowMs() - t0;
    emit({ type: 'sent', bytes: sent, sha256: hash.digest('hex'), ms, mbps: ms > 0 ? (sent * 8) / ms / 1000 : 0 });
    process.exit(0);
  });
  // The server closes after reading everything; wait for that so "ms" covers delivery, not just buffering.
  sock.on('data', () => {});
} else {
  emit({ type: 'error', message: 'usage: tcp-xfer.mjs server|client …' });
  process.exit(2);
}
