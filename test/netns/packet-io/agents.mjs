// Host-side helpers run inside a host namespace (ip netns exec <ns> node agents.mjs ...). One JSON line out.
//
//   tcp-server <bindIp> <port>               {"type":"listening"} then {"type":"received",bytes,sha256}
//   tcp-client <ip> <port> <bytes> [hex]     {"type":"sent",bytes,sha256,ms}   (hex: a marker every 4 KiB of data)
//   udp-send   <ip> <port> <count> <hex>     {"type":"sent",count}   (payload = hex marker + index; ip may be a broadcast)

import { createHash, randomFillSync } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { positionals } = parseArgs({ args: process.argv.slice(2), options: {}, allowPositionals: true, strict: true });
const [mode, ...args] = positionals;
const out = (m) => process.stdout.write(JSON.stringify(m) + '\n');
const fail = (e) => {
  out({ type: 'error', message: String(e?.message ?? e) });
  process.exit(1);
};

if (mode === 'tcp-server') {
  const [host, port] = args;
  const server = net.createServer((sock) => {
    server.close();
    const hash = createHash('sha256');
    let bytes = 0;
    sock.on('data', (b) => {
      bytes += b.length;
      hash.update(b);
    });
    sock.on('end', () => {
      out({ type: 'received', bytes, sha256: hash.digest('hex') });
      sock.end(() => process.exit(0));
    });
    sock.on('error', fail);
  });
  server.on('error', fail);
  server.listen(Number(port), host, () => out({ type: 'listening' }));
} else if (mode === 'tcp-client') {
  const [host, port, total, hex] = args;
  const want = Number(total);
  // 8 MiB of random data sent over and over (cheaper than fresh randomness, so the sender measures the path, not
  // the RNG); the hash still covers every byte, so any corruption or loss changes it.
  const block = randomFillSync(Buffer.alloc(8 << 20));
  // A marker every 4 KiB lets a capture pick the transfer's frames out of the host's traffic.
  if (hex) for (let at = 0; at < block.length; at += 4096) Buffer.from(hex, 'hex').copy(block, at);
  const piece = 256 * 1024;
  const hash = createHash('sha256');
  const t0 = performance.now();
  const sock = net.connect(Number(port), host);
  let sent = 0;
  const pump = () => {
    while (sent < want) {
      const at = sent % block.length;
      const n = Math.min(piece, want - sent, block.length - at);
      const buf = block.subarray(at, at + n); // never modified: safe to hand to write() without a copy
      hash.update(buf);
      sent += n;
      if (!sock.write(buf)) return sock.once('drain', pump);
    }
    sock.end();
  };
  sock.on('connect', pump);
  sock.on('error', fail);
  sock.on('close', () => out({ type: 'sent', bytes: sent, sha256: hash.digest('hex'), ms: performance.now() - t0 }));
} else if (mode === 'udp-send') {
  const [host, port, count, hex] = args;
  const sock = dgram.createSocket('udp4');
  const marker = Buffer.from(hex, 'hex');
  let i = 0;
  const next = () => {
    if (i >= Number(count)) {
      sock.close();
      out({ type: 'sent', count: i });
      return;
    }
    const idx = Buffer.alloc(4);
    idx.writeUInt32BE(i++);
    sock.send(Buffer.concat([marker, idx]), Number(port), host, (e) => (e ? fail(e) : setImmediate(next)));
  };
  sock.bind(() => {
    sock.setBroadcast(true); // a broadcast destination draws no ICMP reply (which would quote the marker back)
    next();
  });
} else {
  fail(`unknown mode ${mode}`);
}
