// `decode --switch CONFIG`: the capture replayed through the switch itself — the Wasm data-plane core and the
// snooping engine, built from CONFIG as the daemon builds them (src/daemon/switch.ts), with no sockets: frames go
// into the core's slot 0, punted control frames into the engine, the engine's table commands into the core and its
// frames (queries, solicitations) into a list. The clock is the capture's: milliseconds since its first frame,
// given to the core (nowMs) and the engine (now), whose timers run in between frames at their own deadlines.

import { assignPortIndices, dataplaneCommands, FALLBACK_QUERIER_MAC, toEngineConfig } from '../config/translate.js';
import type { Config } from '../config/schema.js';
import type { PortMask, TableCommand } from '../dataplane/commands.js';
import { loadCore, type Core } from '../dataplane/core.js';
import { type GroupView, SnoopingEngine, type SnoopingEvent } from '../snooping/engine.js';
import { decodeControlFrame } from '../wire/control-frame.js';
import { decodeFrame } from './frame.js';
import type { DecodedMessage, FrameInput, SwitchStep } from './session.js';

/** A frame the switch sends (a query, an MRD solicitation), with when and where. */
interface Sent {
  atMs: number;
  ports: string[];
  summary: string;
}

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

function seconds(ms: number): string {
  return `+${(ms / 1000).toFixed(3)} s`;
}

/** One port-group's membership in a line: "EXCLUDE {} (IGMPv3)", "INCLUDE {192.0.2.1} (IGMPv3)". */
function membershipText(p: GroupView['ports'][number]): string {
  const on = p.sources.filter((s) => s.forwarding).map((s) => s.address);
  const off = p.sources.filter((s) => !s.forwarding).map((s) => `!${s.address}`);
  return `${p.mode.toUpperCase()} {${[...on, ...off].join(', ')}} (IGMPv${p.compat})`;
}

function memberships(groups: GroupView[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const g of groups) {
    for (const p of g.ports) out.set(`${g.group} on ${p.portName}${g.vlan ? ` (VLAN ${g.vlan})` : ''}`, membershipText(p));
  }
  return out;
}

function eventText(e: SnoopingEvent): string {
  switch (e.type) {
    case 'join': return `joined: ${e.group} on ${e.portName}`;
    case 'leave': return `left: ${e.group} on ${e.portName} (${e.reason})`;
    case 'compat': return `${e.group} on ${e.portName}: IGMPv${e.version} compatibility mode (RFC 3376 §7.3.2)`;
    case 'router-port': return `router port ${e.portName} ${e.state}`;
    case 'querier-elected': return `querier: ${e.address} on ${e.portName} wins the election`;
    case 'querier-lost': return `querier ${e.address} is gone (Other Querier Present timer expired)`;
    case 'querier-timers': return `querier ${e.address} timers adopted: QRV ${e.qrv}, QQI ${e.qqiSec} s${e.bounded ? ' (bounded)' : ''}`;
    case 'mdb-full': return e.state === 'full' ? `the MDB is full (${e.capacity} entries): new entries wait for space` : 'every pending MDB entry is installed again';
    case 'own-querier': return `own querier ${e.address}: ${e.role}`;
    case 'policy': return `multicast is ${e.mode === 'snoop' ? 'filtered by the group table' : 'flooded'} (${e.reason}); unregistered groups: ${e.unregistered}`;
    case 'limit': return `membership limit ${e.limit} reached on ${e.scope === 'port' ? e.portName : 'the switch'}`;
    case 'mdb-full': return e.state === 'full' ? `the MDB is full (${e.capacity} entries): new entries wait` : 'every pending MDB entry is installed';
  }
}

export class SwitchReplay {
  private readonly core: Core;
  private readonly engine: SnoopingEngine;
  private readonly portIndex: Map<string, number>;
  private readonly portNames: Map<number, string>;
  private readonly defaultPort: string;
  private t0: number | null = null;
  private lastMs = 0;
  private deadline = Infinity;
  private events: SnoopingEvent[] = [];
  private sent: Sent[] = [];
  private commands: TableCommand[] = [];

  constructor(config: Config, opts: { defaultPort?: string } = {}) {
    this.portIndex = assignPortIndices(null, config.ports.map((p) => p.name));
    this.portNames = new Map([...this.portIndex].map(([name, i]) => [i, name]));
    if (this.portIndex.size === 0) throw new ReplayError('the configuration has no ports');
    const first = config.ports[0]!.name;
    if (opts.defaultPort !== undefined && !this.portIndex.has(opts.defaultPort)) {
      throw new ReplayError(`--in ${opts.defaultPort}: not a port of the configuration (${[...this.portIndex.keys()].join(', ')})`);
    }
    this.defaultPort = opts.defaultPort ?? first;
    // One frame at a time: a batch of one slot.
    this.core = loadCore({ maxBatch: 1, fdbCapacity: config.dataplane.fdb_capacity, mdbCapacity: config.dataplane.mdb_capacity });
    this.core.setFdbAgingMs(config.dataplane.fdb_aging);
    let all = 0n;
    for (const i of this.portIndex.values()) all |= 1n << BigInt(i);
    this.core.setActivePorts(all);
    this.core.applyCommands(dataplaneCommands(config));
    const eng = toEngineConfig(config, this.portIndex);
    this.engine = new SnoopingEngine({
      config: eng.snooping,
      ports: eng.ports,
      tables: { apply: (list) => { this.commands.push(...list); this.core.applyCommands(list.filter((c) => c.op !== 'activePorts')); } },
      frames: { send: (ports, frame) => this.sent.push({ atMs: this.lastMs, ports: this.names(ports), summary: decodeFrame(frame).summary }) },
      // The only randomness is the start-up MRD solicitation delay: the middle of its range, so runs repeat.
      random: () => 0.5,
      log: (e) => this.events.push(e),
      querierMac: FALLBACK_QUERIER_MAC,
    });
  }

  private names(mask: PortMask): string[] {
    const out: string[] = [];
    for (const [i, name] of this.portNames) if ((mask >> BigInt(i)) & 1n) out.push(name);
    return out;
  }

  /** Runs the engine's timers due up to `nowMs`, each at its own deadline. */
  private runTimers(nowMs: number): void {
    while (this.deadline <= nowMs) {
      this.lastMs = this.deadline;
      this.deadline = this.engine.tick(this.deadline);
    }
    this.lastMs = nowMs;
  }

  private rejects(): Record<string, number> {
    return { ...this.engine.stats().rejects };
  }

  /** What happened since `before` was taken: the frame's fate, the engine's reaction, queries sent (with their times). */
  private step(before: Map<string, string>, fate: string | null, rejected: string[]): SwitchStep {
    const after = memberships(this.engine.groups());
    const changes: Array<{ membership: string; before: string | null; after: string | null }> = [];
    for (const [k, v] of after) if (before.get(k) !== v) changes.push({ membership: k, before: before.get(k) ?? null, after: v });
    for (const [k, v] of before) if (!after.has(k)) changes.push({ membership: k, before: v, after: null });
    const lines: string[] = [];
    if (fate) lines.push(fate);
    for (const r of rejected) lines.push(`the snooping engine ignored it: ${r}`);
    for (const e of this.events) lines.push(eventText(e));
    for (const c of changes) lines.push(`membership ${c.membership}: ${c.before ?? 'none'} → ${c.after ?? 'none'}`);
    for (const s of this.sent) lines.push(`sends at ${seconds(s.atMs)}: ${s.summary} to ${s.ports.join(', ') || 'no port'}`);
    if (lines.length === 0) lines.push('no change');
    const data = {
      forwarding: fate, ignored: rejected, events: this.events, membershipChanges: changes, sent: this.sent,
      tableCommands: this.commands.map((c) => JSON.parse(JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? this.names(v) : v)))),
    };
    this.events = [];
    this.sent = [];
    this.commands = [];
    return { lines, data };
  }

  /** Replays one frame; for a control message (or any frame shown with --all), attaches what the switch did. */
  observe(input: FrameInput, message: DecodedMessage | null): void {
    const time = Number.isFinite(input.timeMs) ? input.timeMs : (this.t0 ?? 0) + this.lastMs;
    if (this.t0 === null) {
      this.t0 = time;
      this.deadline = this.engine.tick(0);
    }
    const now = Math.max(this.lastMs, time - this.t0);
    const beforeTimers = memberships(this.engine.groups());
    this.runTimers(now);
    // What the timers did since the previous frame (expiries, queries), told before this frame's own effects.
    const timers = this.step(beforeTimers, null, []);
    const attach = (s: SwitchStep): void => {
      if (message === null) return;
      const earlier = timers.lines.filter((l) => l !== 'no change').map((l) => `before it, ${l}`);
      message.switch = { lines: [...earlier, ...s.lines], data: { ...s.data, beforeIt: timers.data } };
    };
    const before = memberships(this.engine.groups());
    if (input.direction === 'out') {
      attach(this.step(before, 'sent by the switch in the capture: shown, not replayed', []));
      return;
    }
    const portName = input.port ?? this.defaultPort;
    const port = this.portIndex.get(portName);
    if (port === undefined) {
      attach(this.step(before, `port ${portName} is not in the configuration: not replayed`, []));
      return;
    }
    if (input.bytes.length > this.core.layout.slotSize) {
      attach(this.step(before, `${input.bytes.length} bytes: larger than a data-plane frame slot (${this.core.layout.slotSize}); not replayed`, []));
      return;
    }
    const rejectsBefore = this.rejects();
    this.core.writeFrame(0, input.bytes, port);
    this.core.process(1, now);
    const v = this.core.verdict(0);
    const to = this.names(v.ports);
    const egress = to.length ? `forwarded to ${to.join(', ')}` : 'forwarded to no port';
    let fate: string;
    switch (v.action) {
      case 'drop': fate = `dropped by the data plane on ${portName}: ${v.reason}`; break;
      case 'punt': fate = `arrives on ${portName}; taken by the switch, not forwarded`; break;
      case 'punt_and_forward': fate = `arrives on ${portName}; read by the switch and ${egress}`; break;
      default: fate = `arrives on ${portName}; ${egress}`;
    }
    if (this.core.puntCount() > 0) {
      const decoded = decodeControlFrame(this.core.puntBytes(0), this.core.puntL3Offset(0));
      // receive() returns the next deadline of all timers.
      if (decoded.ok) this.deadline = this.engine.receive(decoded.value, port, this.core.puntVlan(0), now);
      else this.engine.noteDecodeError(decoded.error);
    }
    const after = this.rejects();
    const rejected = Object.entries(after).filter(([k, n]) => n > (rejectsBefore[k] ?? 0)).map(([k]) => k);
    attach(this.step(before, fate, rejected));
  }

  /** The state after the last frame: memberships, router ports, querier. */
  finish(): { lines: string[]; data: Record<string, unknown> } {
    const groups = this.engine.groups();
    const lines = [...memberships(groups)].map(([k, v]) => `member: ${k}: ${v}`);
    const routers = this.engine.routers().map((r) => r.portName);
    lines.push(`router ports: ${routers.length ? routers.join(', ') : 'none'}`);
    for (const q of this.engine.querier()) {
      lines.push(`querier${q.vlan ? ` (VLAN ${q.vlan})` : ''}: ${q.role === 'querier' ? `this switch (${q.own.address})` : q.other ? `${q.other.address} on ${q.other.portName}` : 'none'}`);
    }
    if (this.events.length || this.sent.length) lines.push(...this.step(new Map(memberships(groups)), null, []).lines.filter((l) => l !== 'no change'));
    return { lines, data: { groups, routers: this.engine.routers(), querier: this.engine.querier(), stats: this.engine.stats() } };
  }
}
