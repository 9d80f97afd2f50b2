// A reference model of the data plane's per-frame decision, written from the rules the core documents
// (docs/architecture.md; the RFC citations in assembly/pipeline.ts and assembly/wire/*), in plain TypeScript over
// the frame's bytes. It reads only the `length` bytes the descriptor gives: if the core looked past them, or
// classified a frame differently, the fuzz sees a different verdict.
//
// Modelled: descriptor checks, L2 (runt, inactive port, bad source MAC, reserved group, VLAN tags), FDB learning and
// lookup with aging and a capacity, IPv4 header/checksum/MAC-group checks, IGMP (fragments, length, checksum, TTL
// event, query versions, reports, v3 record walk, MRD, unknown types), PIM hellos, IPv6 header/extension walk, MLD
// and ICMPv6 MRD (length, checksum with pseudo-header), the MDB lookup ((S,G) before (*,G), placeholders),
// router/flood flags and the unregistered policy, the report token bucket, the egress mask, and every counter.

import { toHex } from '../../../src/testkit/frames.js';
import { onesSum, verifyInternetChecksum } from '../../../src/wire/checksum.js';

export type Action = 'drop' | 'forward' | 'punt' | 'punt_and_forward';
export type PuntClass = 'none' | 'igmp' | 'mld' | 'pim' | 'mrd';

export interface CoreSettings {
  active: bigint;
  routers: bigint;
  floodAll: bigint;
  floodReports: bigint;
  floodUnregistered: bigint;
  unregistered: 'routers' | 'flood' | 'drop';
  mode: 'snoop' | 'flood';
  mld: boolean;
  /** Report rate per second per port (0 = unlimited) and burst. */
  rate: number;
  burst: number;
  fdbAgingMs: number;
}

export interface Expected {
  action: Action;
  reason: string;
  punt: PuntClass;
  ports: bigint;
  l3Offset: number;
  vlan: number;
  /** Counter row (port, or 64 for port ≥ 64). */
  row: number;
  /** Message counter bumped, if any. */
  message: string | null;
  /** Events bumped (igmp_ttl, fdb_learn, fdb_move, fdb_full, punt). */
  events: string[];
}

export interface MdbModelEntry {
  ports: bigint;
  registered: boolean;
  sourceSpecific: boolean;
  sgCount: number;
}

const ZERO16 = new Uint8Array(16);


/** The 16-byte key of an address: IPv6 as is, IPv4 as ::ffff:a.b.c.d. */
export function addressKey16(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 16) return bytes;
  const k = new Uint8Array(16);
  k[10] = 0xff;
  k[11] = 0xff;
  k.set(bytes, 12);
  return k;
}

/** The MDB as the control plane programmed it (only through mdbSet in these tests; frames never change it). */
export class MdbModel {
  readonly entries = new Map<string, MdbModelEntry>();

  private key(vlan: number, g: Uint8Array, s: Uint8Array): string {
    return `${vlan & 0xfff}|${toHex(g.subarray(0, 16))}|${toHex(s.subarray(0, 16))}`;
  }

  set(vlan: number, group: Uint8Array, source: Uint8Array | null, ports: bigint): void {
    const g = addressKey16(group);
    const starKey = this.key(vlan, g, ZERO16);
    const star = this.entries.get(starKey);
    if (source === null) {
      if (star) {
        star.ports = ports;
        star.registered = true;
      } else this.entries.set(starKey, { ports, registered: true, sourceSpecific: false, sgCount: 0 });
      return;
    }
    const sKey = this.key(vlan, g, addressKey16(source));
    const sg = this.entries.get(sKey);
    if (sg) {
      sg.ports = ports;
      return;
    }
    if (star) star.sgCount++;
    else this.entries.set(starKey, { ports: 0n, registered: false, sourceSpecific: false, sgCount: 1 });
    this.entries.set(sKey, { ports, registered: false, sourceSpecific: true, sgCount: 0 });
  }

  /** (S,G) first when the group has any, else the (*,G) (or its placeholder); null = unregistered. */
  resolve(vlan: number, g: Uint8Array, s: Uint8Array): MdbModelEntry | null {
    const star = this.entries.get(this.key(vlan, g, ZERO16));
    if (!star || star.sgCount === 0) return star ?? null;
    return this.entries.get(this.key(vlan, g, s)) ?? star;
  }
}

interface FdbModelEntry {
  port: number;
  lastSeen: number;
}

export class FdbModel {
  readonly entries = new Map<string, FdbModelEntry>();
  /** A known address on the same port is re-stamped only when its stamp is at least this old (assembly/fdb.ts). */
  refreshMs = 1000;
  constructor(readonly capacity: number) {}

  setAging(agingMs: number): void {
    this.refreshMs = Math.min(1000, agingMs >>> 4);
  }

  static key(vlan: number, b: Uint8Array, at: number): string {
    return `${vlan}|${b[at]},${b[at + 1]},${b[at + 2]},${b[at + 3]},${b[at + 4]},${b[at + 5]}`;
  }

  learn(key: string, port: number, now: number): 'refreshed' | 'new' | 'moved' | 'full' {
    const e = this.entries.get(key);
    if (e) {
      if (e.port === port) {
        if (((now - e.lastSeen) >>> 0) >= this.refreshMs) e.lastSeen = now;
        return 'refreshed';
      }
      e.lastSeen = now;
      e.port = port;
      return 'moved';
    }
    if (this.entries.size >= this.capacity) return 'full';
    this.entries.set(key, { port, lastSeen: now });
    return 'new';
  }

  lookup(key: string, now: number, agingMs: number): number {
    const e = this.entries.get(key);
    if (!e) return -1;
    if (agingMs !== 0 && ((now - e.lastSeen) >>> 0) > agingMs) return -1;
    return e.port;
  }

  age(now: number, agingMs: number): number {
    let n = 0;
    if (agingMs === 0) return 0;
    for (const [k, e] of this.entries) {
      if (((now - e.lastSeen) >>> 0) > agingMs) {
        this.entries.delete(k);
        n++;
      }
    }
    return n;
  }
}

/** Token buckets, milli-tokens, exactly as documented in assembly/ratelimit.ts. */
export class BucketModel {
  tokens: number[] = new Array<number>(64).fill(0);
  last: number[] = new Array<number>(64).fill(0);
  rate = 0;
  burstMilli = 1000;

  set(rate: number, burst: number): void {
    this.rate = rate >>> 0;
    this.burstMilli = Math.min(Math.max(burst >>> 0, 1) * 1000, 0xffffffff);
    this.tokens.fill(this.burstMilli);
    this.last.fill(0);
  }

  take(port: number, now: number, take: boolean): boolean {
    if (this.rate === 0) return true;
    const refill = ((now - this.last[port]!) >>> 0) * this.rate;
    let tokens = Math.min(this.tokens[port]! + refill, this.burstMilli);
    const ok = tokens >= 1000;
    if (!take) return ok;
    if (ok) tokens -= 1000;
    this.last[port] = now >>> 0;
    this.tokens[port] = tokens;
    return ok;
  }
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

/** RFC 1071: the whole span (checksum field included) sums to all ones (src/wire/checksum.ts). */
function checksumOk(b: Uint8Array, from: number, to: number): boolean {
  return verifyInternetChecksum(b, from, to);
}

/** ICMPv6 over the RFC 8200 §8.1 pseudo-header: source and destination, upper-layer length, next header 58. */
function icmpv6ChecksumOk(b: Uint8Array, ip: number, msg: number, len: number): boolean {
  const pseudo = onesSum(b, ip + 8, ip + 40, (len >>> 16) + (len & 0xffff) + 58);
  return verifyInternetChecksum(b, msg, msg + len, pseudo);
}

const bit = (p: number): bigint => 1n << BigInt(p);

export interface DescriptorView {
  /** The frame's bytes (exactly `length` of them when the descriptor is sane). */
  bytes: Uint8Array;
  length: number;
  port: number;
  flags: number;
  /** frameInSlot: the descriptor's range lies inside its own slot. */
  inSlot: boolean;
}

export class CoreOracle {
  constructor(
    public settings: CoreSettings,
    readonly fdb: FdbModel,
    readonly mdb: MdbModel,
    readonly buckets: BucketModel,
  ) {}

  /** The verdict and counts for one frame; learning and token use happen here (unless tracing). */
  decide(d: DescriptorView, now: number, tracing = false): Expected {
    const port = d.port;
    const out: Expected = {
      action: 'drop', reason: 'none', punt: 'none', ports: 0n, l3Offset: 0, vlan: 0, row: Math.min(port, 64), message: null, events: [],
    };
    const S = this.settings;
    let egress = 0n;
    const drop = (reason: string): Expected => {
      out.action = 'drop';
      out.reason = reason;
      out.punt = 'none';
      out.ports = 0n;
      return out;
    };
    const forward = (ports: bigint): void => {
      out.action = 'forward';
      egress = ports;
    };
    const punt = (cls: PuntClass, ports: bigint): void => {
      out.action = 'punt_and_forward';
      out.punt = cls;
      egress = ports;
    };
    const finish = (): Expected => {
      if (out.action === 'drop') return out;
      const ports = egress & S.active & ~bit(port);
      if (ports === 0n) {
        if (out.action === 'forward') return drop('no_egress');
        out.action = 'punt';
      }
      out.ports = ports;
      if ((out.action === 'punt' || out.action === 'punt_and_forward') && !tracing) out.events.push('punt');
      return out;
    };

    if (port >= 64) return drop('port_inactive');
    if ((d.flags & 1) !== 0) return drop('oversize');
    if (!d.inSlot) return drop('bad_descriptor');
    const b = d.bytes;
    const len = d.length;
    if (len < 14) return drop('runt');
    if (((S.active >> BigInt(port)) & 1n) === 0n) return drop('port_inactive');
    if ((b[6]! & 1) !== 0 || (b[6]! | b[7]! | b[8]! | b[9]! | b[10]! | b[11]!) === 0) return drop('bad_src_mac');
    if (b[0] === 0x01 && b[1] === 0x80 && b[2] === 0xc2 && b[3] === 0 && b[4] === 0 && (b[5]! & 0xf0) === 0) return drop('reserved_l2');
    // Tags (802.1Q / 802.1ad), at most two; VID of the outermost.
    let off = 12;
    let vid = 0;
    for (let t = 0; t < 2; t++) {
      const tpid = u16(b, off);
      if (tpid !== 0x8100 && tpid !== 0x88a8) break;
      if (off + 6 > len) return drop('vlan_header');
      if (t === 0) vid = u16(b, off + 2) & 0xfff;
      off += 4;
    }
    out.vlan = vid;
    out.l3Offset = off + 2;
    if (!tracing) {
      const r = this.fdb.learn(FdbModel.key(vid, b, 6), port, now);
      if (r === 'new') out.events.push('fdb_learn');
      else if (r === 'moved') out.events.push('fdb_move');
      else if (r === 'full') out.events.push('fdb_full');
    }
    const etherType = u16(b, off);
    const ip = off + 2;
    const avail = len - ip;
    const flood = (): void => forward(S.active);

    const byGroup = (g: Uint8Array, s: Uint8Array): void => {
      const e = this.mdb.resolve(vid, g, s);
      if (e) return forward(e.ports | S.routers | S.floodAll);
      if (S.unregistered === 'drop') {
        if ((S.floodAll & S.active) === 0n) {
          drop('unregistered_drop');
          return;
        }
        return forward(S.floodAll);
      }
      let ports = S.routers | S.floodAll;
      if (S.unregistered === 'flood') ports |= S.floodUnregistered;
      forward(ports);
    };

    const report = (cls: PuntClass): void => {
      if (!this.buckets.take(port, now, !tracing)) {
        drop('report_rate_limit');
        return;
      }
      punt(cls, S.routers | S.floodReports);
    };

    const ipv4Multicast = (): Expected => {
      if (avail < 20) return drop('ipv4_header');
      const ihl = (b[ip]! & 0xf) * 4;
      const total = u16(b, ip + 2);
      if (b[ip]! >> 4 !== 4 || ihl < 20 || total < ihl || total > avail) return drop('ipv4_header');
      if (!checksumOk(b, ip, ip + ihl)) return drop('ipv4_checksum');
      const dst = b.subarray(ip + 16, ip + 20);
      if ((dst[0]! & 0xf0) !== 0xe0) {
        if (b[0] === 0x01 && b[1] === 0x00 && b[2] === 0x5e && (b[3]! & 0x80) === 0) return drop('mac_ip_mismatch');
        flood();
        return finish();
      }
      if (!(b[0] === 0x01 && b[1] === 0x00 && b[2] === 0x5e && b[3] === (dst[1]! & 0x7f) && b[4] === dst[2] && b[5] === dst[3])) {
        if (b[0] === 0x01 && b[1] === 0x00 && b[2] === 0x5e) return drop('mac_ip_mismatch');
        flood();                                                 // broadcast or another group MAC: bridged by MAC
        return finish();
      }
      const proto = b[ip + 9];
      const fragment = (u16(b, ip + 6) & 0x3fff) !== 0;
      const msg = ip + ihl;
      const mlen = total - ihl;
      if (proto === 2) {
        if (fragment) return drop('igmp_fragment');
        if (mlen < 4) return drop('igmp_length');
        if ((d.flags & 2) === 0 && !checksumOk(b, msg, msg + mlen)) return drop('igmp_checksum');
        if (b[ip + 8] !== 1) out.events.push('igmp_ttl');
        const type = b[msg]!;
        if (type === 0x11) {
          let version = 0;
          if (mlen === 8) version = b[msg + 1] === 0 ? 1 : 2;
          else if (mlen >= 12 && 12 + 4 * u16(b, msg + 10) <= mlen) version = 3;
          if (version === 0) return drop('igmp_length');
          out.message = `igmp_v${version}_query`;
          punt('igmp', S.active);
          return finish();
        }
        if (type === 0x12 || type === 0x16 || type === 0x17) {
          if (mlen < 8) return drop('igmp_length');
          out.message = type === 0x12 ? 'igmp_v1_report' : type === 0x16 ? 'igmp_v2_report' : 'igmp_v2_leave';
          report('igmp');
          return finish();
        }
        if (type === 0x22) {
          if (!v3Fits(b, msg, mlen, 8, 4)) return drop('igmp_length');
          out.message = 'igmp_v3_report';
          report('igmp');
          return finish();
        }
        if (type >= 0x30 && type <= 0x32) {
          if (mlen < (type === 0x30 ? 8 : 4)) return drop('igmp_length');
          out.message = ['mrd_advertisement', 'mrd_solicitation', 'mrd_termination'][type - 0x30]!;
          punt('mrd', S.active);
          return finish();
        }
        out.message = 'igmp_unknown';
        flood();
        return finish();
      }
      if (proto === 103 && dst[0] === 224 && dst[1] === 0 && dst[2] === 0 && dst[3] === 13) {
        if (fragment) {
          flood();
          return finish();
        }
        if (mlen < 4) return drop('pim_length');
        if (b[msg] !== 0x20) {
          flood();
          return finish();
        }
        if (!checksumOk(b, msg, msg + mlen)) return drop('pim_checksum');
        out.message = 'pim_hello';
        punt('pim', S.active);
        return finish();
      }
      if (dst[0] === 224 && dst[1] === 0 && dst[2] === 0) {
        flood();
        return finish();
      }
      if (S.mode === 'flood') {
        flood();
        return finish();
      }
      byGroup(addressKey16(dst), addressKey16(b.subarray(ip + 12, ip + 16)));
      return finish();
    };

    const ipv6Multicast = (): Expected => {
      if (avail < 40 || b[ip]! >> 4 !== 6 || 40 + u16(b, ip + 4) > avail) return drop('ipv6_header');
      if (b[ip + 24] !== 0xff || !(b[0] === 0x33 && b[1] === 0x33 && b[2] === b[ip + 36] && b[3] === b[ip + 37] &&
        b[4] === b[ip + 38] && b[5] === b[ip + 39])) return drop('mac_ip_mismatch');
      const end = 40 + u16(b, ip + 4);
      let nh = b[ip + 6]!;
      let o = 40;
      for (let i = 0; i < 8; i++) {
        if (!(nh === 60 || nh === 43 || (nh === 0 && i === 0))) break;
        if (o + 2 > end) return drop('ipv6_header');
        const l = (b[ip + o + 1]! + 1) * 8;
        nh = b[ip + o]!;
        o += l;
        if (o > end) return drop('ipv6_header');
      }
      if (nh === 58) {
        const msg = ip + o;
        const mlen = end - o;
        if (mlen < 4) return drop('icmpv6_length');
        const type = b[msg]!;
        const mldType = type === 130 || type === 131 || type === 132 || type === 143;
        const mrdKind = type >= 151 && type <= 153 ? type - 151 : -1;
        if (mldType || mrdKind >= 0) {
          if ((d.flags & 2) === 0 && !icmpv6ChecksumOk(b, ip, msg, mlen)) return drop('icmpv6_checksum');
          if (mrdKind >= 0) {
            if (mlen < (mrdKind === 0 ? 8 : 4)) return drop('icmpv6_length');
            out.message = ['mrd_advertisement', 'mrd_solicitation', 'mrd_termination'][mrdKind]!;
            punt('mrd', S.active);
            return finish();
          }
          if (type === 130) {
            const ok = mlen === 24 || (mlen >= 28 && 28 + 16 * u16(b, msg + 26) <= mlen);
            if (!ok) return drop('icmpv6_length');
            out.message = 'mld_query';
            punt('mld', S.active);
            return finish();
          }
          if (type === 143) {
            if (!v3Fits(b, msg, mlen, 20, 16)) return drop('icmpv6_length');
            out.message = 'mld_v2_report';
          } else {
            if (mlen < 24) return drop('icmpv6_length');
            out.message = type === 131 ? 'mld_v1_report' : 'mld_done';
          }
          if (S.mld) report('mld');
          else punt('mld', S.active);
          return finish();
        }
      }
      const allNodes = b[ip + 24] === 0xff && b[ip + 25] === 0x02 && b.subarray(ip + 26, ip + 39).every((x) => x === 0) && b[ip + 39] === 1;
      if (!S.mld || allNodes) {
        flood();
        return finish();
      }
      byGroup(b.subarray(ip + 24, ip + 40), b.subarray(ip + 8, ip + 24));
      return finish();
    };

    if ((b[0]! & 1) === 0) {
      // Known unicast to its port, unknown (or stale, or to an inactive port) flooded.
      const to = this.fdb.lookup(FdbModel.key(vid, b, 0), now, S.fdbAgingMs);
      if (to < 0 || ((S.active >> BigInt(to)) & 1n) === 0n) flood();
      else if (to === port) return drop('same_port');
      else forward(bit(to));
      return finish();
    }
    if (etherType === 0x0800) return ipv4Multicast();
    if (etherType === 0x86dd && b[0] === 0x33 && b[1] === 0x33) return ipv6Multicast();
    flood();
    return finish();
  }
}

/**
 * RFC 3376 §4.2 / RFC 3810 §5.2: the records a report announces all lie inside it. `header` is the record header
 * (8 for IGMPv3, 20 for MLDv2), `addr` the source address size.
 */
function v3Fits(b: Uint8Array, msg: number, len: number, header: number, addr: number): boolean {
  if (len < 8) return false;
  let records = u16(b, msg + 6);
  let o = 8;
  while (records > 0) {
    if (o + header > len) return false;
    o += header + addr * u16(b, msg + o + 2) + 4 * b[msg + o + 1]!;
    records--;
  }
  return o <= len;
}
