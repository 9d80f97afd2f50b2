#!/usr/bin/env node
// UDP echo for round-trip latency (an alternative to ping that needs no extra package).
//
//   node udp-echo.mjs server --port 7007
//       echoes every datagram back; prints {"type":"listening"}.
//   node udp-echo.mjs client --host 192.0.2.2 --port 7007 --count 500 --interval 10 [--size 64] [--timeout 1000]
//       prints {"type":"done",sent,received,lost,rttsMs:[…]} (rtts in send order, lost ones omitted).

import dgram from 'node:dgram';
import { emit, nowMs, num, onTerminate, parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2), {
  port: { type: 'string' },
  host: { type: 'string' },
  count: { type: 'string' },
  interval: { type: 'string' },
  size: { type: 'string' },
  timeout: { type: 'string' },
});
const mode = args._[0];
const port = num(args.port, 7007);

if (mode === 'server') {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
  sock.on('error', (err) => emit({ type: 'error', message: err.message }));
  sock.bind(port, () => emit({ type: 'listening', port }));
  onTerminate(() => process.exit(0));
} else if (mode === 'client') {
  const host = String(args.host);
  const count = num(args.count, 100);
  const interval = num(args.interval, 10);
  const size = Math.max(8, num(args.size, 64));
  const timeout = num(args.timeout, 1000);
  const sock = dgram.createSocket('udp4');
  const sentAt = new Map();
  const rtts = [];
  let seq = 0;
  sock.on('message', (msg) => {
    const s = msg.readUInt32BE(0);
    const t = sentAt.get(s);
    if (t === undefined) return;
    sentAt.delete(s);
    rtts.push(nowMs() - t);
  });
  const finish = () => {
    emit({ type: 'done', sent: seq, received: rtts.length, lost: seq - rtts.length, rttsMs: rtts });
    sock.close();
    process.exit(0);
  };
  sock.bind(0, () => {
    const timer = setInterval(() => {
      if (seq >= count) {
        clearInterval(timer);
        setTimeout(finish, timeout);
        return;
      }
      const buf = Buffer.alloc(size);
      buf.writeUInt32BE(seq, 0);
      sentAt.set(seq, nowMs());
      seq++;
      sock.send(buf, port, host);
    }, interval);
  });
  onTerminate(finish);
} else {
  emit({ type: 'error', message: 'usage: udp-echo.mjs server|client …' });
  process.exit(2);
}
