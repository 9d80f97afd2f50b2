// `igmpswitch probe`: send IGMP queries, reports and leaves from one interface of this host, and list who answers.
// A diagnostic for the network around the switch, built on an AF_INET raw socket (npm raw-socket):
//
//   socket(AF_INET, SOCK_RAW, IPPROTO_IGMP)
//   IP_HDRINCL            we write the IP header: TTL 1, TOS 0xc0, Router Alert (the kernel fills id and checksum)
//   SO_BINDTODEVICE IF    send out of, and receive from, that interface only
//   IP_MULTICAST_LOOP 0   our own query must not reach this host's IGMP stack (it would answer, and pollute the list)
//   IP_ADD_MEMBERSHIP     224.0.0.22 (IGMPv3 reports), for a group query the group itself (v1/v2 reports go to
//                         it), for listen also 224.0.0.2 (v2 leaves): the kernel only delivers multicast to raw
//                         sockets for groups the host is a member of
//
// raw-socket has no bind(2); none is needed: the header carries the source address (the interface's first IPv4
// address) and SO_BINDTODEVICE picks the interface. Root (CAP_NET_RAW) is required.
//
// What a listener can and cannot hear: IGMPv3 reports (to 224.0.0.22) always; IGMPv1/v2 reports go to the group
// address, so they are heard only for a queried group (`--group G`, which makes this host a member of G while the
// probe runs) or for groups this host has joined anyway. A general IGMPv2 query therefore lists v3 hosts only, or
// v2 reports for groups the host has joined; query a group to hear its v2 members.

import { createRequire } from 'node:module';
import { endianness, networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';
import {
  ALL_ROUTERS, destinationOf, encodePacket, IGMPV3_ROUTERS, parsePacket, probeJoin, probeLeave, probeQuery, type IgmpRepr,
} from './probe.js';

// Linux socket option numbers (uapi: asm-generic/socket.h, linux/in.h).
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;

interface RawSocket {
  on(event: 'message', cb: (buf: Buffer, source: string) => void): this;
  on(event: 'error', cb: (err: Error) => void): this;
  send(buf: Buffer, offset: number, length: number, address: string, cb: (err: Error | null, bytes: number) => void): this;
  setOption(level: number, option: number, value: number): void;
  setOption(level: number, option: number, value: Buffer, length: number): void;
  close(): this;
}
interface RawSocketModule {
  createSocket(opts: { protocol: number; bufferSize?: number }): RawSocket;
}

function loadRawSocket(): RawSocketModule {
  try {
    return createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  } catch (err) {
    throw new ProbeError(`the raw-socket module is not available (${(err as Error).message}); reinstall igmpswitch`);
  }
}

/** A failure worth one line to the user (no stack). */
export class ProbeError extends Error {}

export interface Answer {
  /** Milliseconds after the query was sent. */
  afterMs: number;
  from: string;
  to: string;
  message: IgmpRepr;
}

/** The interface's first IPv4 address and index. */
export function interfaceInfo(iface: string): { address: string; ifindex: number } {
  const addrs = networkInterfaces()[iface];
  if (!addrs) throw new ProbeError(`no interface named ${iface}`);
  const v4 = addrs.find((a) => a.family === 'IPv4');
  if (!v4) throw new ProbeError(`interface ${iface} has no IPv4 address (the probe sends from it)`);
  let ifindex = 0;
  try {
    ifindex = Number(readFileSync(`/sys/class/net/${iface}/ifindex`, 'utf8').trim()) || 0;
  } catch { /* fall back to choosing the interface by address */ }
  return { address: v4.address, ifindex };
}

interface ProbeSocket {
  readonly address: string;
  send(m: IgmpRepr): Promise<void>;
  join(group: string): void;
  onMessage(cb: (from: string, to: string, m: IgmpRepr) => void): void;
  /** Rejects when the socket fails. */
  readonly failure: Promise<never>;
  close(): void;
}

// raw-socket's native object is only weakly held (a Nan::ObjectWrap that never Ref()s itself), and its poll handle
// does not root it: a socket that only a pending callback refers to can be garbage-collected mid-send, closing the
// fd and leaving the process with nothing to wait for. Open sockets are therefore held here until closed.
const openSockets = new Set<RawSocket>();

function openProbeSocket(iface: string): ProbeSocket {
  const { address, ifindex } = interfaceInfo(iface);
  const raw = loadRawSocket();
  let sock: RawSocket;
  try {
    sock = raw.createSocket({ protocol: 2, bufferSize: 65_536 });
  } catch (err) {
    const msg = (err as Error).message;
    throw new ProbeError(/permit/i.test(msg) ? `cannot open a raw IGMP socket: ${msg} (run as root)` : `cannot open a raw IGMP socket: ${msg}`);
  }
  openSockets.add(sock);
  let handler: ((from: string, to: string, m: IgmpRepr) => void) | null = null;
  // raw-socket reports a failed recv, or a poll error (as a bare libuv code such as "-9"), with 'error' and then
  // closes the socket: everything waiting on it must give up then, or the process would just run out of work.
  let fail!: (e: Error) => void;
  const failure = new Promise<never>((_resolve, reject) => { fail = reject; });
  failure.catch(() => {});
  sock.on('error', (err) => {
    const code = /^-\d+$/.test(err.message) ? ` (libuv error ${err.message})` : `: ${err.message}`;
    fail(new ProbeError(`the raw socket on ${iface} failed${code}`));
  });
  sock.on('message', (buf) => {
    const p = parsePacket(buf);
    if (p.ok && p.src !== address && handler) handler(p.src, p.dst, p.message);
  });
  try {
    const name = Buffer.from(iface + '\0');
    sock.setOption(SOL_SOCKET, SO_BINDTODEVICE, name, name.length);
    sock.setOption(IPPROTO_IP, IP_HDRINCL, 1);
    sock.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
  } catch (err) {
    sock.close();
    openSockets.delete(sock);
    throw new ProbeError(`cannot set up the raw socket on ${iface}: ${(err as Error).message}`);
  }
  return {
    address,
    send(m) {
      const dst = destinationOf(m);
      const pkt = Buffer.from(encodePacket(address, m));
      const sent = new Promise<void>((resolve, reject) => {
        sock.send(pkt, 0, pkt.length, dst, (err) => {
          if (err) reject(new ProbeError(`sending on ${iface} failed: ${err.message}`));
          else resolve();
        });
      });
      return Promise.race([sent, failure]);
    },
    join(group) {
      // struct ip_mreqn { in_addr multiaddr; in_addr address; int ifindex; }
      const mreq = Buffer.alloc(12);
      Buffer.from(group.split('.').map(Number)).copy(mreq, 0);
      Buffer.from(address.split('.').map(Number)).copy(mreq, 4);
      if (endianness() === 'LE') mreq.writeInt32LE(ifindex, 8); // an int: host byte order
      else mreq.writeInt32BE(ifindex, 8);
      try {
        sock.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, 12);
      } catch (err) {
        if (!/in use/i.test((err as Error).message)) throw new ProbeError(`cannot join ${group} on ${iface}: ${(err as Error).message}`);
      }
    },
    onMessage(cb) { handler = cb; },
    failure,
    close() {
      sock.close();
      openSockets.delete(sock);
    },
  };
}

export interface QueryOptions {
  iface: string;
  version: 2 | 3;
  group: string | null;
  sources: string[];
  waitMs: number;
  /** Called once the query is out. */
  onSent?: (sent: IgmpRepr, from: string) => void;
  /** Called for each answer as it arrives (for live output). */
  onAnswer?: (a: Answer) => void;
  signal?: AbortSignal;
}

export interface QueryResult {
  iface: string;
  from: string;
  sent: IgmpRepr;
  answers: Answer[];
}

/** Max response time for a wait: leave the hosts half a second for the answer to arrive (at least 1 s, at most 25.5 s for v2). */
export function maxRespFor(waitMs: number, version: 2 | 3): number {
  const ms = Math.max(1000, waitMs - 500);
  return version === 2 ? Math.min(ms, 25_500) : ms;
}

/** Sends a query and collects the IGMP messages heard on the interface until the wait is over. */
export async function probeQueryRun(o: QueryOptions): Promise<QueryResult> {
  const s = openProbeSocket(o.iface);
  try {
    s.join(IGMPV3_ROUTERS);
    // IGMPv1/v2 answers (also from v3 hosts in v2 compatibility mode) go to the group address.
    if (o.group) s.join(o.group);
    const sent = probeQuery({ version: o.version, group: o.group, sources: o.sources, maxRespMs: maxRespFor(o.waitMs, o.version) });
    const answers: Answer[] = [];
    let t0 = 0;
    s.onMessage((from, to, message) => {
      if (t0 === 0) return; // before our query went out
      const a = { afterMs: Math.round(performance.now() - t0), from, to, message };
      answers.push(a);
      o.onAnswer?.(a);
    });
    await s.send(sent);
    t0 = performance.now();
    o.onSent?.(sent, s.address);
    await Promise.race([sleep(o.waitMs, o.signal), s.failure]);
    return { iface: o.iface, from: s.address, sent, answers };
  } finally {
    s.close();
  }
}

export interface ListenOptions {
  iface: string;
  waitMs: number;
  onMessage?: (a: Answer) => void;
  signal?: AbortSignal;
}

/** Listens (without sending anything) for IGMP on the interface; waitMs 0 = until the signal aborts. */
export async function probeListenRun(o: ListenOptions): Promise<Answer[]> {
  const s = openProbeSocket(o.iface);
  try {
    s.join(IGMPV3_ROUTERS);
    s.join(ALL_ROUTERS); // IGMPv2 leaves
    const seen: Answer[] = [];
    const t0 = performance.now();
    s.onMessage((from, to, message) => {
      const a = { afterMs: Math.round(performance.now() - t0), from, to, message };
      seen.push(a);
      o.onMessage?.(a);
    });
    await Promise.race([sleep(o.waitMs > 0 ? o.waitMs : 2 ** 31 - 1, o.signal), s.failure]);
    return seen;
  } finally {
    s.close();
  }
}

export interface ReportOptions {
  iface: string;
  version: 2 | 3;
  group: string;
  sources: string[];
}

/** Sends one join (report) or leave; resolves with what was sent and from where. */
export async function probeSendRun(what: 'join' | 'leave', o: ReportOptions): Promise<{ from: string; to: string; sent: IgmpRepr }> {
  const s = openProbeSocket(o.iface);
  try {
    const m = what === 'join' ? probeJoin(o) : probeLeave(o);
    await s.send(m);
    return { from: s.address, to: destinationOf(m), sent: m };
  } finally {
    s.close();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
