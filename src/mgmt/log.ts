// Structured logging (pino) on standard output: JSON lines, or one readable line per record (`pretty`, a small
// built-in formatter; no pino-pretty). State changes are logged at info through SwitchEventLog, with the same
// field names everywhere; nothing is ever logged per packet.

import { styleText } from 'node:util';
import { pino, type Logger, type DestinationStream } from 'pino';
import type { ConfigChange } from '../config/diff.js';
import { describeChange, needsRestart } from '../config/diff.js';
import { formatProblem, type ConfigProblem } from '../config/errors.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';

export interface LogOptions {
  level: LogLevel;
  format: LogFormat;
}

/** Where formatted lines go; process.stdout by default. */
export interface LogSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
type Colour = Parameters<typeof styleText>[0];
const LEVEL_COLOURS: Record<string, Colour> = {
  TRACE: 'gray', DEBUG: 'cyan', INFO: 'green', WARN: 'yellow', ERROR: 'red', FATAL: 'magenta',
};
const HIDDEN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

function plainValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** One pino JSON record as a readable line: `TIME LEVEL msg key=value …` (an error's stack on the lines below). */
export function formatPretty(record: Record<string, unknown>, colour = false): string {
  const levelName = typeof record['level'] === 'number'
    ? LEVEL_NAMES[record['level']] ?? String(record['level'])
    : String(record['level'] ?? '').toUpperCase();
  const paint = (c: Colour, s: string) => (colour ? styleText(c, s) : s);
  const time = typeof record['time'] === 'string' ? record['time']
    : typeof record['time'] === 'number' ? new Date(record['time']).toISOString() : '';
  let line = `${paint('gray', time)} ${paint(LEVEL_COLOURS[levelName] ?? 'white', levelName.padEnd(5))} ${String(record['msg'] ?? '')}`;
  let stack = '';
  for (const [k, v] of Object.entries(record)) {
    if (HIDDEN_KEYS.has(k) || v === undefined) continue;
    if (k === 'err' && v && typeof v === 'object' && typeof (v as { stack?: unknown }).stack === 'string') {
      stack = `\n  ${(v as { stack: string }).stack.split('\n').join('\n  ')}`;
      continue;
    }
    line += ` ${paint('gray', `${k}=`)}${plainValue(v)}`;
  }
  return `${line}${stack}\n`;
}

/** The pino destination: passes JSON lines through or reformats them; the format can change on reload. */
class Output implements DestinationStream {
  private readonly colour: boolean;
  constructor(private readonly sink: LogSink, public format: LogFormat) {
    this.colour = sink.isTTY === true && !process.env['NO_COLOR'];
  }
  write(chunk: string): void {
    if (this.format === 'json') {
      this.sink.write(chunk);
      return;
    }
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(chunk) as Record<string, unknown>;
    } catch {
      this.sink.write(chunk);
      return;
    }
    this.sink.write(formatPretty(record, this.colour));
  }
}

const outputs = new WeakMap<Logger, Output>();

/** A pino logger writing to `sink` (standard output by default) with the configured level and format. */
export function createLogger(options: LogOptions, sink: LogSink = process.stdout): Logger {
  const output = new Output(sink, options.format);
  const logger = pino({
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, output);
  outputs.set(logger, output);
  return logger;
}

/** Applies a reloaded `logging` section to a logger made by createLogger (children follow their parent's output). */
export function reconfigureLogger(logger: Logger, options: LogOptions): void {
  logger.level = options.level;
  const output = outputs.get(logger);
  if (output) output.format = options.format;
}

// ---------------------------------------------------------------------------------------------------------------
// state-change events

export type QuerierRole = 'self' | 'other';

/** Every state change the daemon reports, with its structured fields. */
export type SwitchEvent =
  | { event: 'join'; port: string; vlan: number; group: string; source?: string | null; host?: string; version?: 1 | 2 | 3 }
  | { event: 'leave'; port: string; vlan: number; group: string; source?: string | null; host?: string }
  | { event: 'expiry'; port: string; vlan: number; group: string; source?: string | null }
  | { event: 'router-port-learned'; port: string; via: 'query' | 'pim' | 'mrd' | 'static' }
  | { event: 'router-port-lost'; port: string; reason: 'timeout' | 'config' | 'port-down' }
  | { event: 'querier-elected'; role: QuerierRole; address: string; port: string | null; version: 1 | 2 | 3 }
  | { event: 'querier-lost'; address: string; port: string | null }
  | { event: 'port-up'; port: string; index: number; mtu?: number; mac?: string }
  | { event: 'port-down'; port: string; index: number; reason?: string }
  | { event: 'config-reloaded'; file: string; changes: string[]; restartNeeded: boolean };

function where(e: { port: string; vlan: number; group: string; source?: string | null }): string {
  const what = e.source ? `(${e.source}, ${e.group})` : e.group;
  return `${what} on ${e.port}${e.vlan ? ` vlan ${e.vlan}` : ''}`;
}

/** The human part of an event's log line (the fields carry the same facts for machines). */
export function eventMessage(e: SwitchEvent): string {
  switch (e.event) {
    case 'join': return `join ${where(e)}`;
    case 'leave': return `leave ${where(e)}`;
    case 'expiry': return `membership expired: ${where(e)}`;
    case 'router-port-learned': return `router port learned: ${e.port} (${e.via})`;
    case 'router-port-lost': return `router port lost: ${e.port} (${e.reason})`;
    case 'querier-elected':
      return e.role === 'self' ? `this switch is the querier (${e.address}, IGMPv${e.version})`
        : `querier ${e.address} on ${e.port ?? '?'} (IGMPv${e.version})`;
    case 'querier-lost': return `querier ${e.address} lost`;
    case 'port-up': return `port ${e.port} up`;
    case 'port-down': return `port ${e.port} down${e.reason ? ` (${e.reason})` : ''}`;
    case 'config-reloaded':
      return `configuration reloaded: ${e.changes.length} change${e.changes.length === 1 ? '' : 's'}` +
        `${e.restartNeeded ? ' (some need a restart)' : ''}`;
  }
}

/** Logs one state change at info. */
export function logEvent(logger: Logger, e: SwitchEvent): void {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (v !== undefined) fields[k] = v;
  logger.info(fields, eventMessage(e));
}

/** Typed shortcuts for the daemon: `events.join({ port, vlan, group })`. */
export class SwitchEventLog {
  constructor(readonly logger: Logger) {}
  private emit(e: SwitchEvent): void { logEvent(this.logger, e); }
  join(f: Omit<Extract<SwitchEvent, { event: 'join' }>, 'event'>): void { this.emit({ event: 'join', ...f }); }
  leave(f: Omit<Extract<SwitchEvent, { event: 'leave' }>, 'event'>): void { this.emit({ event: 'leave', ...f }); }
  expiry(f: Omit<Extract<SwitchEvent, { event: 'expiry' }>, 'event'>): void { this.emit({ event: 'expiry', ...f }); }
  routerPortLearned(f: Omit<Extract<SwitchEvent, { event: 'router-port-learned' }>, 'event'>): void {
    this.emit({ event: 'router-port-learned', ...f });
  }
  routerPortLost(f: Omit<Extract<SwitchEvent, { event: 'router-port-lost' }>, 'event'>): void {
    this.emit({ event: 'router-port-lost', ...f });
  }
  querierElected(f: Omit<Extract<SwitchEvent, { event: 'querier-elected' }>, 'event'>): void {
    this.emit({ event: 'querier-elected', ...f });
  }
  querierLost(f: Omit<Extract<SwitchEvent, { event: 'querier-lost' }>, 'event'>): void {
    this.emit({ event: 'querier-lost', ...f });
  }
  portUp(f: Omit<Extract<SwitchEvent, { event: 'port-up' }>, 'event'>): void { this.emit({ event: 'port-up', ...f }); }
  portDown(f: Omit<Extract<SwitchEvent, { event: 'port-down' }>, 'event'>): void {
    this.emit({ event: 'port-down', ...f });
  }
  /** A reload was applied; every change is also logged on its own line (at info) for grep-ability. */
  configReloaded(file: string, changes: readonly ConfigChange[]): void {
    this.emit({ event: 'config-reloaded', file, changes: changes.map(describeChange),
      restartNeeded: needsRestart(changes) });
  }
  /** Configuration warnings (accepted, but probably not meant), at warn. */
  configWarnings(problems: readonly ConfigProblem[]): void {
    for (const p of problems) {
      this.logger.warn({ event: 'config-warning', file: p.file, line: p.line, col: p.col, key: p.keyPath },
        formatProblem(p));
    }
  }
}
