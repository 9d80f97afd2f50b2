#!/usr/bin/env node
// UDP multicast receiver. Joins groups (any-source, or source-specific with addSourceSpecificMembership),
// counts packets/bytes per group and prints a JSON line every --interval ms.
//
//   node mcast-recv.mjs --port 5001 --iface 192.0.2.3 [--ifname eth0] [--interval 1000]
//                       [--join 239.1.1.1] [--join 232.1.1.1@192.0.2.1] …
//
// stdin, one JSON object per line: {"op":"join","group":G,"source":S?} {"op":"leave","group":G,"source":S?}
// {"op":"report"} (print a report now) {"op":"quit"}.
// stdout: {"type":"ready"}, {"type":"joined"|"left",group,source}, {"type":"report",…}, {"type":"error",…},
// {"type":"exit",…}. A report carries, per membership: packets/bytes in the interval and in total, pps,
// bit/s, and sequence gaps (lost); plus "wire": the interface's rx counters, i.e. every frame the switch
// delivered to this port, joined or not.

import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { emit, ifCounters, list, MAGIC, nowMs, num, onTerminate, parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2), {
  port: { type: 'string' },
  iface: { type: 'string' },
  ifname: { type: 'string' },
  interval: { type: 'string' },
  duration: { type: 'string' },
  join: { type: 'string', multiple: true },
});
const port = num(args.port, 5001);
const iface = args.iface === undefined ? undefined : String(args.iface);
const ifname = args.ifname === undefined ? undefined : String(args.ifname);
const interval = num(args.interval, 1000);
const duration = num(args.duration, 0); // seconds; 0 = until quit/SIGTERM/stdin closes

/** key "group|source" → membership */
const members = new Map();
const t0 = nowMs();
let lastReport = t0;
let lastWire = ifCounters(ifname);

function key(group, source) {
  return `${group}|${source ?? '*'}`;
}

function join(group, source) {
  const k = key(group, source);
  if (members.has(k)) return;
  const v6 = group.includes(':');
  const sock = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true });
  const m = { group, source: source ?? null, sock, packets: 0, bytes: 0, totalPackets: 0, totalBytes: 0, lost: 0, lastSeq: -1, latencySum: 0, latencyN: 0 };
  members.set(k, m);
  sock.on('message', (buf) => {
    m.packets++;
    m.bytes += buf.length;
    if (buf.length >= 20 && buf.readUInt32BE(0) === MAGIC) {
      const seq = buf.readUInt32BE(4);
      if (m.lastSeq >= 0 && seq > m.lastSeq + 1) m.lost += seq - m.lastSeq - 1;
      if (seq > m.lastSeq) m.lastSeq = seq;
      const sent = buf.readDoubleBE(12);
      const lat = nowMs() - sent;
      if (lat >= 0 && lat < 10_000) {
        m.latencySum += lat;
        m.latencyN++;
      }
    }
  });
  sock.on('error', (err) => emit({ type: 'error', group, source: m.source, message: err.message }));
  // Bind to the group itself (IPv4) so that this socket sees only its group's datagrams.
  sock.bind({ port, address: v6 ? '::' : group, exclusive: false }, () => {
    try {
      const itf = v6 ? (ifname ? `::%${ifname}` : undefined) : iface;
      if (source) sock.addSourceSpecificMembership(source, group, itf);
      else sock.addMembership(group, itf);
      emit({ type: 'joined', group, source: m.source, t: nowMs() - t0 });
    } catch (err) {
      emit({ type: 'error', group, source: m.source, message: err.message });
    }
  });
}

function leave(group, source) {
  const k = key(group, source);
  const m = members.get(k);
  if (!m) return;
  members.delete(k);
  try {
    if (m.source) m.sock.dropSourceSpecificMembership(m.source, group, group.includes(':') ? undefined : iface);
    else m.sock.dropMembership(group, group.includes(':') ? undefined : iface);
  } catch {
    /* closing drops it anyway */
  }
  m.sock.close();
  emit({ type: 'left', group, source: m.source, t: nowMs() - t0, totalPackets: m.totalPackets + m.packets });
}

function report() {
  const now = nowMs();
  const dt = (now - lastReport) / 1000;
  lastReport = now;
  const groups = [];
  let packets = 0;
  let bytes = 0;
  for (const m of members.values()) {
    m.totalPackets += m.packets;
    m.totalBytes += m.bytes;
    packets += m.packets;
    bytes += m.bytes;
    groups.push({
      group: m.group,
      source: m.source,
      packets: m.packets,
      bytes: m.bytes,
      pps: dt > 0 ? m.packets / dt : 0,
      bps: dt > 0 ? (m.bytes * 8) / dt : 0,
      totalPackets: m.totalPackets,
      totalBytes: m.totalBytes,
      lost: m.lost,
      latencyMs: m.latencyN ? m.latencySum / m.latencyN : null,
    });
    m.packets = 0;
    m.bytes = 0;
    m.latencySum = 0;
    m.latencyN = 0;
  }
  const w = ifCounters(ifname);
  let wire = null;
  if (w && lastWire && dt > 0) {
    wire = {
      rxPackets: w.rxPackets,
      rxBytes: w.rxBytes,
      pps: (w.rxPackets - lastWire.rxPackets) / dt,
      bps: ((w.rxBytes - lastWire.rxBytes) * 8) / dt,
    };
  }
  lastWire = w;
  emit({ type: 'report', t: now - t0, dt, groups, total: { packets, bytes, pps: dt > 0 ? packets / dt : 0 }, wire });
}

for (const spec of list(args.join)) {
  const [group, source] = spec.split('@');
  join(group, source || null);
}

const timer = setInterval(report, interval);

let quitting = false;
function quit(reason) {
  if (quitting) return;
  quitting = true;
  clearInterval(timer);
  report();
  for (const m of [...members.values()]) leave(m.group, m.source);
  emit({ type: 'exit', reason });
  // Give the kernel's leave messages a moment, then go.
  setTimeout(() => process.exit(0), 50);
}

onTerminate(() => quit('signal'));

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    emit({ type: 'error', message: `bad command: ${line}` });
    return;
  }
  if (cmd.op === 'join') join(String(cmd.group), cmd.source ? String(cmd.source) : null);
  else if (cmd.op === 'leave') leave(String(cmd.group), cmd.source ? String(cmd.source) : null);
  else if (cmd.op === 'report') report();
  else if (cmd.op === 'quit') quit('quit');
  else emit({ type: 'error', message: `unknown op: ${cmd.op}` });
});
rl.on('close', () => {
  if (!duration) quit('stdin closed');
});
if (duration) setTimeout(() => quit('duration'), duration * 1000);

emit({ type: 'ready', port, iface: iface ?? null, ifname: ifname ?? null, pid: process.pid });
