#!/usr/bin/env node
// Churning multicast receiver for the soak (bench/soak.ts): joins and leaves groups with real sockets (so the host
// kernel sends the IGMP reports and leaves) every --churn-ms, and counts what arrives per group with the lab
// sender's sequence numbers (src/lab/agents/mcast-send.mjs), across membership lifetimes.
//
//   node soak-agent.mjs --iface 192.0.2.3 --groups 239.20.0.1,239.20.0.2 --port 5001 --churn-ms 5 --seed 7 [--stable]
//
// --stable joins every group at start and never churns (the reference receiver).
// stdin, one JSON object per line:
//   {"op":"hold","set":[G…]}   stop churning, join exactly these groups (leave the others), then {"type":"holding"}
//   {"op":"churn"}             resume churning
//   {"op":"report"}            print a report now
//   {"op":"gaps"}              print every sequence gap seen: {"type":"gaps","gaps":[{group, wall, from, to, sinceJoinMs}]}
//                              (wall: epoch ms when the packet after the gap arrived)
//   {"op":"quit"}
// Report: {"type":"report", t, joins, leaves, groups:{G:{joined, received, lost, lifetimes, lastSeq}}, gapEvents} where
// lost is the sum of sequence gaps seen while the socket was joined (a packet skipped inside one membership lifetime).
// Whether the switch is to blame depends on what the host's kernel had told it by then (its reports lag the socket
// calls under fast churn): bench/soak.ts decides that from a capture of the host's IGMP.

import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { emit, list, MAGIC, nowMs, num, onTerminate, parseArgs } from '../src/lab/agents/common.mjs';

const args = parseArgs(process.argv.slice(2), {
  groups: { type: 'string', multiple: true },
  port: { type: 'string' },
  iface: { type: 'string' },
  'churn-ms': { type: 'string' },
  seed: { type: 'string' },
  stable: { type: 'boolean' },
});
const groups = list(args.groups);
const port = num(args.port, 5001);
const iface = String(args.iface);
const churnMs = num(args['churn-ms'], 5);
const stable = args.stable === true;
let seed = num(args.seed, 1) >>> 0 || 1;

function rnd() {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 0x100000000;
}

const t0 = nowMs();
/** Per group: the socket while joined, and counters over all lifetimes. */
const state = new Map(groups.map((g) => [g, { sock: null, received: 0, lost: 0, lifetimes: 0, lastSeq: -1, pending: false }]));
const gaps = [];
let joins = 0;
let leaves = 0;
let churning = !stable;

function join(group) {
  const s = state.get(group);
  if (s.sock || s.pending) return;
  s.pending = true;
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  let lastSeq = -1;
  let joinedAt = 0;
  sock.on('message', (buf) => {
    if (s.sock !== sock) return;
    s.received++;
    if (buf.length >= 8 && buf.readUInt32BE(0) === MAGIC) {
      const seq = buf.readUInt32BE(4);
      if (lastSeq >= 0 && seq > lastSeq + 1) {
        s.lost += seq - lastSeq - 1;
        // Every gap, for the soak to judge against what this host's kernel had reported (bench/soak.ts).
        if (gaps.length < 100_000) gaps.push({ group, wall: nowMs(), from: lastSeq + 1, to: seq - 1, sinceJoinMs: Math.round(nowMs() - joinedAt) });
      }
      if (seq > lastSeq) lastSeq = seq;
      if (seq > s.lastSeq) s.lastSeq = seq;
    }
  });
  sock.on('error', (err) => emit({ type: 'error', group, message: err.message }));
  sock.bind({ port, address: group, exclusive: false }, () => {
    s.pending = false;
    try {
      sock.addMembership(group, iface);
    } catch (err) {
      emit({ type: 'error', group, message: err.message });
      sock.close();
      return;
    }
    s.sock = sock;
    joinedAt = nowMs();
    s.lifetimes++;
    joins++;
    if (holdWaiting) checkHold();
  });
}

function leave(group) {
  const s = state.get(group);
  if (!s.sock) return;
  const sock = s.sock;
  s.sock = null;
  try {
    sock.dropMembership(group, iface);
  } catch {
    /* closing drops it anyway */
  }
  sock.close();
  leaves++;
}

function churn() {
  if (!churning) return;
  const g = groups[Math.floor(rnd() * groups.length)];
  const s = state.get(g);
  if (s.sock) leave(g);
  else join(g);
}

let holdSet = null;
let holdWaiting = false;
function checkHold() {
  if (!holdSet) return;
  const ok = groups.every((g) => (holdSet.has(g) ? state.get(g).sock !== null : state.get(g).sock === null && !state.get(g).pending));
  if (ok) {
    holdWaiting = false;
    emit({ type: 'holding', set: [...holdSet], t: nowMs() - t0 });
  }
}

function report() {
  const out = {};
  for (const [g, s] of state) out[g] = { joined: s.sock !== null, received: s.received, lost: s.lost, lifetimes: s.lifetimes, lastSeq: s.lastSeq };
  emit({ type: 'report', t: nowMs() - t0, joins, leaves, churning, groups: out, gapEvents: gaps.length });
}

if (stable) for (const g of groups) join(g);
const churner = setInterval(churn, churnMs);
emit({ type: 'ready', groups, stable, churnMs });

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    return;
  }
  if (cmd.op === 'hold') {
    churning = false;
    holdSet = new Set(cmd.set);
    holdWaiting = true;
    for (const g of groups) if (!holdSet.has(g)) leave(g);
    for (const g of holdSet) join(g);
    checkHold();
  } else if (cmd.op === 'churn') {
    holdSet = null;
    churning = !stable;
  } else if (cmd.op === 'report') report();
  else if (cmd.op === 'gaps') emit({ type: 'gaps', gaps });
  else if (cmd.op === 'quit') quit();
});
rl.on('close', () => quit());

function quit() {
  clearInterval(churner);
  report();
  for (const g of groups) leave(g);
  setTimeout(() => process.exit(0), 20);
}
onTerminate(quit);
