#!/usr/bin/env node
// UDP multicast sender at a given rate, size and TTL, to one or more groups.
//
//   node mcast-send.mjs --group 239.1.1.1 [--group 239.2.2.2] --port 5001 --rate 500 --size 100 --ttl 1
//                       [--iface 192.0.2.1] [--count N] [--duration S] [--interval 1000]
//
// --rate is packets per second per group; --size is the UDP payload in bytes (at least 20: the lab header
// of magic, sequence number, group index and send time). --count N stops after N packets per group;
// --duration S after S seconds; neither: until SIGTERM or stdin closes.
// stdout: {"type":"started"}, {"type":"report",t,dt,groups:[{group,sent,pps,totalSent,errors}],total}, {"type":"done",…}.

import dgram from 'node:dgram';
import { emit, HEADER_BYTES, list, MAGIC, nowMs, num, onTerminate, parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2), {
  group: { type: 'string', multiple: true },
  port: { type: 'string' },
  rate: { type: 'string' },
  size: { type: 'string' },
  ttl: { type: 'string' },
  count: { type: 'string' },
  duration: { type: 'string' },
  interval: { type: 'string' },
  iface: { type: 'string' },
});
const groups = list(args.group);
if (!groups.length) {
  emit({ type: 'error', message: '--group is required' });
  process.exit(2);
}
const port = num(args.port, 5001);
const rate = num(args.rate, 100);
const size = Math.max(HEADER_BYTES, num(args.size, 64));
const ttl = num(args.ttl, 1);
const count = num(args.count, 0);
const duration = num(args.duration, 0);
const interval = num(args.interval, 1000);
const iface = args.iface === undefined ? undefined : String(args.iface);

const v6 = groups[0].includes(':');
const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4' });
const state = groups.map((group, index) => ({ group, index, seq: 0, sent: 0, errors: 0, intervalSent: 0, inflight: 0 }));

let t0 = 0;
let lastReport = 0;
let finished = false;
let ticker = null;
let reporter = null;

function report(final = false) {
  const now = nowMs();
  const dt = (now - lastReport) / 1000;
  lastReport = now;
  let sent = 0;
  const gs = state.map((s) => {
    const r = { group: s.group, sent: s.intervalSent, pps: dt > 0 ? s.intervalSent / dt : 0, totalSent: s.sent, errors: s.errors };
    sent += s.intervalSent;
    s.intervalSent = 0;
    return r;
  });
  emit({ type: final ? 'done' : 'report', t: now - t0, dt, groups: gs, total: { sent, pps: dt > 0 ? sent / dt : 0, totalSent: state.reduce((a, s) => a + s.sent, 0) } });
}

function sendOne(s) {
  const buf = Buffer.alloc(size);
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeUInt32BE(s.seq++ >>> 0, 4);
  buf.writeUInt32BE(s.index, 8);
  buf.writeDoubleBE(nowMs(), 12);
  s.inflight++;
  sock.send(buf, port, s.group, (err) => {
    s.inflight--;
    if (err) s.errors++;
  });
  s.sent++;
  s.intervalSent++;
}

function tick() {
  const elapsed = (nowMs() - t0) / 1000;
  if (duration && elapsed >= duration) return finish('duration');
  let allDone = count > 0;
  for (const s of state) {
    let due = Math.floor(elapsed * rate) + 1;
    if (count) due = Math.min(due, count);
    // Cap a burst after a stall (GC, descheduling) at 50 ms worth of packets.
    let n = Math.min(due - s.sent, Math.max(1, Math.ceil(rate / 20)));
    // Do not let libuv's queue grow without bound if the kernel is slower than the asked rate.
    if (s.inflight > 2000) n = 0;
    while (n-- > 0) sendOne(s);
    if (!count || s.sent < count) allDone = false;
  }
  if (allDone) finish('count');
}

function finish(reason) {
  if (finished) return;
  finished = true;
  clearInterval(ticker);
  clearInterval(reporter);
  const wait = () => {
    if (state.some((s) => s.inflight > 0)) return setTimeout(wait, 5);
    report(true);
    emit({ type: 'exit', reason });
    sock.close();
    setTimeout(() => process.exit(0), 10);
  };
  wait();
}

sock.on('error', (err) => emit({ type: 'error', message: err.message }));
sock.bind({ port: 0, address: v6 ? undefined : iface }, () => {
  sock.setMulticastTTL(ttl);
  sock.setMulticastLoopback(false);
  if (iface) sock.setMulticastInterface(iface);
  t0 = nowMs();
  lastReport = t0;
  emit({ type: 'started', groups, port, rate, size, ttl, pid: process.pid });
  ticker = setInterval(tick, 2);
  reporter = setInterval(() => report(false), interval);
  tick();
});

onTerminate(() => finish('signal'));
// Without --count/--duration the sender runs until SIGTERM or until its parent closes stdin.
if (!count && !duration) {
  process.stdin.on('end', () => finish('stdin closed'));
  process.stdin.resume();
}
