// The running switch: the data-plane worker, the snooping engines (IGMP and MLD) and the state file, wired together.
// Data flows one way: punted frames → engine → table commands → worker. Management reads through
// `SwitchManagement` (management.ts); nothing here speaks a management protocol.

import { performance } from 'node:perf_hooks';
import { monotonicMs } from '../dataplane/clock.js';
import type { Logger } from 'pino';
import { DataPlane, type PuntedFrame } from '../dataplane/dataplane.js';
import type { PortOpened } from '../dataplane/messages.js';
import { loadPacketAddon } from '../io/packet-addon.js';
import { DualStackSnooping, type FamilyEvent } from '../snooping/dual-stack.js';
import type { MembershipEventType, SnoopingSnapshot } from '../snooping/engine.js';
import { decodeControlFrame } from '../wire/control-frame.js';
import { assignPortIndices, dataplaneCommands, FALLBACK_QUERIER_MAC, toEngineConfig, toWorkerParams } from '../config/translate.js';
import { diffConfig, describeChange, reloadableConfig } from '../config/diff.js';
import type { Config } from '../config/schema.js';
import { loadState, saveState, type StateBody } from '../mgmt/state-file.js';
import { clearRecord, restoreLeftovers, settingsRecordPath, writeRecord } from './interface-settings.js';
import { STATE_SAVE_MIN_INTERVAL_MS, stateSaveInterval, stateSaveWait } from './state-save.js';


export interface ControlFrameTap {
  (frame: { time: number; direction: 'rx' | 'tx'; port: string; bytes: Uint8Array }): void;
}

export class PortStartError extends Error {
  override readonly name = 'PortStartError';
}

export class Switch {
  readonly startedAt = monotonicMs();
  config: Config;
  portIndex: Map<string, number>;
  readonly ports = new Map<number, PortOpened>();
  readonly linkUp = new Map<number, boolean>();
  readonly engine: DualStackSnooping;
  private timer: NodeJS.Timeout | null = null;
  private deadline = Infinity;
  private stateDirty = false;
  /**
   * When the state became dirty after the last write, and when the last control frame was handled. On this thread's
   * own clock, performance.now(), which is read per frame without allocating (monotonicMs makes a BigInt) and is
   * compared only with itself here: handling time, not receive time, so a backlog being worked off is not "quiet".
   */
  private stateDirtySince = 0;
  private lastControlFrameAt = -Infinity;
  private stateTimer: NodeJS.Timeout | null = null;
  private stateInterval = STATE_SAVE_MIN_INTERVAL_MS;
  private readonly taps = new Set<ControlFrameTap>();
  private stopping = false;
  /** The latest time given to the engine: its clock never goes back. */
  private engineClock = -Infinity;

  private constructor(readonly dataplane: DataPlane, config: Config, portIndex: Map<string, number>,
    opened: PortOpened[], private readonly log: Logger) {
    this.config = config;
    this.portIndex = portIndex;
    for (const p of opened) { this.ports.set(p.index, p); this.linkUp.set(p.index, true); }
    const eng = toEngineConfig(config, portIndex);
    this.engine = new DualStackSnooping({
      config: { igmp: eng.snooping, mld: eng.mld },
      ports: eng.ports,
      tables: dataplane,
      // Frames the engine originates (queries, MRD solicitations) go past the capture taps on their way out.
      frames: { send: (ports, frame) => { this.tapSent(ports, frame); dataplane.send(ports, frame); } },
      random: Math.random,
      log: (e) => this.logEngineEvent(e),
      // One per report in a storm: the engine asks before it builds one (admitMembershipLine).
      logsMembership: (type) => this.admitMembershipLine(type),
      querierMac: opened[0]?.mac ?? FALLBACK_QUERIER_MAC,
    });
  }

  /** Opens the ports, starts the worker and the engine, restores persisted memberships. */
  static async start(config: Config, log: Logger): Promise<Switch> {
    const portIndex = assignPortIndices(null, config.ports.map((p) => p.name));
    const addon = loadPacketAddon();
    const missing = config.ports.filter((p) => addon.linkState(p.name) === null).map((p) => p.name);
    if (missing.length > 0) {
      throw new PortStartError(`${missing.length === 1 ? 'interface' : 'interfaces'} not found: ${missing.join(', ')} ` +
        '(every name under `ports` must be an existing network interface)');
    }
    const record = settingsRecordPath(config.state.file);
    restoreLeftovers(record, addon, log);
    const { dataplane, ports } = await DataPlane.start(toWorkerParams(config, portIndex));
    for (const m of dataplane.startWarnings.splice(0)) log.warn(m);
    for (const p of ports) {
      log.info({ event: 'port-io', port: p.name, index: p.index, io: p.io, xdpMode: p.xdpMode ?? null },
        `port ${p.name}: ${p.io === 'af_xdp' ? `AF_XDP (${p.xdpMode} XDP)` : 'AF_PACKET'}`);
    }
    try { writeRecord(record, dataplane.changedSettings); } catch (err) { log.warn((err as Error).message); }
    const sw = new Switch(dataplane, config, portIndex, ports, log);
    sw.wire();
    sw.applyDataplaneSettings();
    sw.restoreState();
    sw.schedule(sw.engine.tick(sw.engineNow()));
    return sw;
  }

  private wire(): void {
    const dp = this.dataplane;
    dp.on('punt', (f) => this.onPunt(f));
    dp.on('warn', (m) => this.log.warn(m));
    dp.on('commandsFailed', (n) => this.noteTableFull(n));
    dp.on('portOpened', (p) => {
      this.ports.set(p.index, p);
      this.linkUp.set(p.index, true);
      this.log.info({ event: 'port-up', port: p.name, index: p.index, mac: p.mac, mtu: p.mtu, io: p.io },
        `port ${p.name} added (${p.io === 'af_xdp' ? 'AF_XDP' : 'AF_PACKET'})`);
    });
    dp.on('portError', (e) => this.log.error({ event: 'port-error', port: e.name, index: e.index }, e.message));
    dp.on('link', (c) => this.onLink(c));
    dp.on('fatal', (m) => {
      if (this.stopping) return;
      this.log.fatal({ event: 'dataplane-fatal' }, m);
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    });
  }

  private tableFullCount = 0;
  private tableFullLoggedAt = -Infinity;

  /** MDB full: logged at most every 10 s with the count since the last line (a flood must not flood the log). */
  private noteTableFull(n: number): void {
    this.tableFullCount += n;
    const now = monotonicMs();
    if (now - this.tableFullLoggedAt < 10_000) return;
    this.log.warn({ event: 'table-full', commands: this.tableFullCount },
      `${this.tableFullCount} table update(s) refused: the MDB is full (dataplane.mdb_capacity)`);
    this.tableFullLoggedAt = now;
    this.tableFullCount = 0;
  }

  /** Settings the data plane enforces by itself (no engine involved). */
  private applyDataplaneSettings(): void {
    this.dataplane.apply(dataplaneCommands(this.config));
  }

  // ---- control frames ----

  private onPunt(f: PuntedFrame): void {
    this.lastControlFrameAt = performance.now();
    if (this.taps.size > 0) {
      const name = this.ports.get(f.port)?.name ?? `#${f.port}`;
      const time = performance.timeOrigin + performance.now();
      for (const tap of this.taps) tap({ time, direction: 'rx', port: name, bytes: f.bytes });
    }
    const decoded = decodeControlFrame(f.bytes, f.l3Offset);
    // From the frame's reception, not from when this thread got to it (the two differ on a busy machine):
    // RFC 3376 §6.4 / RFC 3810 §7.4 timers start when the message is received.
    const now = this.engineNow(f.receivedAtMs);
    if (!decoded.ok) {
      this.engine.noteDecodeError(decoded.error);
      return;
    }
    this.schedule(this.engine.receive(decoded.value, f.port, f.vlan, now));
    this.markDirty();
  }

  /** A frame the engine sends, once per egress port that is up, to the capture taps. */
  private tapSent(ports: bigint, frame: Uint8Array): void {
    if (this.taps.size === 0) return;
    const time = performance.timeOrigin + performance.now();
    for (const [index, p] of this.ports) {
      if (((ports >> BigInt(index)) & 1n) === 0n || this.linkUp.get(index) === false) continue;
      for (const tap of this.taps) tap({ time, direction: 'tx', port: p.name, bytes: frame });
    }
  }

  tap(fn: ControlFrameTap): () => void {
    this.taps.add(fn);
    return () => { this.taps.delete(fn); };
  }

  // ---- timers ----

  /** Runs what is due now and re-arms the timer (management views call it so remaining times are current). */
  tick(): void {
    this.schedule(this.engine.tick(this.engineNow()));
  }

  /** The engine's time: `at` (default: now), but never before a time it was already given. */
  private engineNow(at = monotonicMs()): number {
    if (at > this.engineClock) this.engineClock = at;
    return this.engineClock;
  }

  private schedule(deadline: number): void {
    if (this.stopping) return;
    if (deadline >= this.deadline && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.deadline = deadline;
    if (!Number.isFinite(deadline)) { this.timer = null; return; }
    const delay = Math.max(0, Math.ceil(deadline - monotonicMs()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.deadline = Infinity;
      this.schedule(this.engine.tick(this.engineNow()));
      this.markDirty();
    }, Math.min(delay, 2 ** 31 - 1));
  }

  // ---- ports ----

  private onLink(c: { kind: 'down' | 'up' | 'gone' | 'back'; index: number; name: string }): void {
    const up = c.kind === 'up' || c.kind === 'back';
    this.linkUp.set(c.index, up);
    if (up) this.log.info({ event: 'port-up', port: c.name, index: c.index, reason: c.kind }, `port ${c.name} up`);
    else this.log.warn({ event: 'port-down', port: c.name, index: c.index, reason: c.kind },
      `port ${c.name} ${c.kind === 'gone' ? 'disappeared (interface removed); the other ports keep forwarding' : 'down'}`);
  }

  // ---- state file ----

  private restoreState(): void {
    const path = this.config.state.file;
    if (!path) return;
    const r = loadState(path);
    if (!r.ok) {
      if (!r.missing) this.log.warn({ event: 'state-ignored', file: path }, `state file ignored: ${r.reason}`);
      return;
    }
    const downMs = Math.max(0, Date.now() - r.body.savedAtMs);
    try {
      const snapshot = agedSnapshot(r.body.snooping as SnoopingSnapshot, downMs);
      // A state younger than the group membership interval is still true: forward by it at once (warm restart).
      this.schedule(this.engine.restore(snapshot, this.engineNow(), { downtimeMs: downMs }));
      const n = this.engine.stats().memberships;
      this.log.info({ event: 'state-restored', file: path, memberships: n, downMs },
        `restored ${n} membership(s) from ${path} (down ${Math.round(downMs)} ms)`);
    } catch (err) {
      this.log.warn({ event: 'state-ignored', file: path }, `state file ignored: ${(err as Error).message}`);
    }
  }

  private markDirty(): void {
    if (!this.config.state.file || this.stopping) return;
    if (!this.stateDirty) this.stateDirtySince = performance.now();
    this.stateDirty = true;
    if (this.stateTimer) return;
    this.armStateSave(this.stateInterval);
  }

  private armStateSave(delayMs: number): void {
    this.stateTimer = setTimeout(() => {
      this.stateTimer = null;
      const wait = stateSaveWait(performance.now(), this.lastControlFrameAt, this.stateDirtySince);
      if (wait > 0) this.armStateSave(wait);
      else this.saveStateNow();
    }, delayMs);
  }

  saveStateNow(): void {
    const path = this.config.state.file;
    if (!path || !this.stateDirty) return;
    this.stateDirty = false;
    const t0 = monotonicMs();
    const body: StateBody = {
      savedAtMs: Date.now(),
      ports: [...this.ports.values()].map((p) => p.name),
      snooping: this.engine.snapshotLazily(), // port-groups made as they are written (state-file.ts)
    };
    try {
      saveState(path, body);
    } catch (err) {
      this.log.error({ event: 'state-save-failed', file: path }, `cannot save state: ${(err as Error).message}`);
    }
    this.stateInterval = stateSaveInterval(monotonicMs() - t0);
  }

  // ---- reload ----

  /**
   * Applies a new configuration as far as it can without a restart; learned memberships and FDB entries of remaining
   * ports are kept. Returns the changes applied and those that wait for a restart (their old values stay in force).
   */
  reload(file: Config): { applied: string[]; notApplied: string[] } {
    const changes = diffConfig(this.config, file);
    const next = reloadableConfig(this.config, file, changes);
    const oldIndex = this.portIndex;
    const newIndex = assignPortIndices(oldIndex, next.ports.map((p) => p.name));
    const addon = loadPacketAddon();
    const missing = next.ports.filter((p) => !oldIndex.has(p.name) && addon.linkState(p.name) === null).map((p) => p.name);
    if (missing.length > 0) throw new Error(`interface not found: ${missing.join(', ')}`);
    for (const [name, index] of oldIndex) {
      if (!newIndex.has(name)) { this.dataplane.removePort(index); this.ports.delete(index); this.linkUp.delete(index); }
    }
    for (const [name, index] of newIndex) {
      if (!oldIndex.has(name)) this.dataplane.addPort(index, name, next.ports.find((p) => p.name === name)?.io ?? next.dataplane.io);
    }
    this.config = next;
    this.portIndex = newIndex;
    this.applyDataplaneSettings();
    const eng = toEngineConfig(next, newIndex);
    this.schedule(this.engine.reconfigure({ igmp: eng.snooping, mld: eng.mld }, eng.ports, this.engineNow()));
    this.markDirty();
    return { applied: changes.filter((c) => !c.restart).map(describeChange), notApplied: changes.filter((c) => c.restart).map(describeChange) };
  }

  // ---- stop ----

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.saveStateNow();
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.stateTimer) clearTimeout(this.stateTimer);
    await this.dataplane.stop(); // the worker restores interface settings as it closes the ports
    clearRecord(settingsRecordPath(this.config.state.file));
  }

  portName(index: number): string {
    for (const [name, i] of this.portIndex) if (i === index) return name;
    return `#${index}`;
  }

  // Membership churn (join/leave/compat) is logged one line per change up to MEMBERSHIP_LOG_PER_SECOND lines per
  // second; past that, one summary line per second says how many were not logged one by one. A report storm
  // (thousands of joins per second) must not turn the log into the bottleneck or bury the other events.
  private churnWindowStart = -Infinity;
  private churnLogged = 0;
  private churnSuppressed: Record<string, number> = {};

  /**
   * Whether a join/leave/compat line is logged (info, within the second's budget); the others are counted. Asked per
   * event, so the window is on performance.now() (no allocation; compared only with itself).
   */
  private admitMembershipLine(type: MembershipEventType): boolean {
    if (!this.log.isLevelEnabled('info')) return false;
    const now = performance.now();
    if (now - this.churnWindowStart >= 1_000) this.flushChurn(now);
    if (this.churnLogged >= MEMBERSHIP_LOG_PER_SECOND) {
      this.churnSuppressed[type] = (this.churnSuppressed[type] ?? 0) + 1;
      return false;
    }
    this.churnLogged++;
    return true;
  }

  private logEngineEvent(e: FamilyEvent): void {
    const type = e.type;
    const { type: _type, ...fields } = e;
    const msg = engineEventMessage(e);
    if (type === 'limit' || (type === 'mdb-full' && e.state === 'full') || (type === 'querier-timers' && e.bounded)) this.log.warn({ event: type, ...fields }, msg);
    else this.log.info({ event: type, ...fields }, msg);
  }

  private flushChurn(now: number): void {
    const counts = Object.entries(this.churnSuppressed);
    if (counts.length > 0) {
      this.log.info({ event: 'membership-summary', ...this.churnSuppressed },
        `membership changes not logged one by one in the last second: ${counts.map(([k, v]) => `${v} ${k}`).join(', ')}`);
    }
    this.churnWindowStart = now;
    this.churnLogged = 0;
    this.churnSuppressed = {};
  }
}

/** Membership events logged one per line each second before they are summarised. */
const MEMBERSHIP_LOG_PER_SECOND = 200;

function engineEventMessage(e: FamilyEvent): string {
  const at = (g: { group: string; vlan: number; portName: string }) =>
    `${g.group} on ${g.portName}${g.vlan ? ` vlan ${g.vlan}` : ''}`;
  // IGMP events read as before; MLD ones name their protocol where the address does not say it.
  const mld = e.family === 6 ? 'MLD ' : '';
  switch (e.type) {
    case 'join': return `join ${at(e)}`;
    case 'leave': return `leave ${at(e)} (${e.reason})`;
    case 'compat': return `${at(e)}: ${e.family === 6 ? `MLDv${e.version - 1}` : `IGMPv${e.version}`} compatibility mode`;
    case 'router-port': return `router port ${e.state === 'added' ? 'learned' : 'lost'}: ${e.portName}`;
    case 'querier-elected': return `${mld}querier ${e.address} on ${e.portName}${e.vlan ? ` vlan ${e.vlan}` : ''}`;
    case 'querier-timers': return `querier ${e.address}${e.vlan ? ` vlan ${e.vlan}` : ''} sends QRV ${e.qrv}, QQI ${e.qqiSec}s: ` +
      `using robustness ${e.robustness}, query interval ${e.queryIntervalMs / 1000}s${e.bounded ? ' (clamped to snooping.adopt_* bounds)' : ''}`;
    case 'querier-lost': return `${mld}querier ${e.address} lost${e.vlan ? ` on vlan ${e.vlan}` : ''}`;
    case 'own-querier': return `own ${mld}querier ${e.address}: ${e.role}${e.vlan ? ` on vlan ${e.vlan}` : ''}`;
    case 'policy': return `${e.family === 6 ? 'IPv6 ' : ''}multicast ${e.mode === 'snoop' ? 'filtering' : 'flooding'} (${e.reason}); unregistered → ${e.unregistered}`;
    case 'mdb-full': return e.state === 'full'
      ? `the MDB is full (dataplane.mdb_capacity ${e.capacity} entries): new entries wait until space frees (mdb-full in stats)`
      : 'every pending MDB entry is installed again';
    case 'limit': return `${e.scope === 'port' ? `port ${e.portName}` : 'switch'} reached its group limit (${e.limit}); new joins refused`;
  }
}

/** The snapshot with every remaining time shortened by the time the switch was down. */
export function agedSnapshot(s: SnoopingSnapshot, downMs: number): SnoopingSnapshot {
  const left = (ms: number) => (ms > 0 ? Math.max(1, ms - downMs) : ms);
  return {
    ...s,
    groups: s.groups.map((g) => ({
      ...g,
      groupTimerMs: left(g.groupTimerMs),
      v1HostMs: left(g.v1HostMs),
      v2HostMs: left(g.v2HostMs),
      sources: g.sources.map(([a, ms]) => [a, left(ms)] as [string, number]),
      hosts: g.hosts.map(([h, mode, src, age]) => [h, mode, src, age + downMs] as typeof g.hosts[number]),
      ...(g.hostsIncompleteMs ? { hostsIncompleteMs: left(g.hostsIncompleteMs) } : {}),
    })),
    routers: s.routers.map((r) => ({ ...r, remainingMs: left(r.remainingMs) })),
    ...(s.queriers ? { queriers: s.queriers.map((q) => ({ ...q, remainingMs: Math.max(0, q.remainingMs - downMs) })) } : {}),
  };
}
