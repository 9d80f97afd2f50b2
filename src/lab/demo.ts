// The demo (`npm start`, `igmpswitch demo`): a lab with one sender and four receivers, the switch with IGMP
// snooping and its querier, hosts joining and leaving on a script, and a live view of what each host
// receives next to what a flooding hub would deliver. Every rate shown is measured: receivers count the
// datagrams their sockets get and read their interface counters; the sender counts what it sent.
//
//   node bin/igmpswitch.js demo [--duration S] [--short] [--switch igmpswitch|linux-bridge] [--rate PPS]
//   npx tsx src/lab/demo.ts …      (same options)

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { labUnavailableReason, isRoot } from './netns.js';
import { daemonStatus } from './daemon-process.js';
import { createLab, type GroupRow, type Lab, type LabHost } from './topology.js';
import { startReceiver, startSender, type Receiver, type ReceiverReport, type Sender, type SenderReport } from './traffic.js';

export type DemoSwitch = 'igmpswitch' | 'linux-bridge';

export interface DemoOptions {
  /** Length of the script in seconds (default 60; 15 with short). */
  durationS?: number;
  /** A 15-second version of the script, for tests and impatient people. */
  short?: boolean;
  /** Which switch to run (default igmpswitch; linux-bridge shows the same lab with the kernel's bridge). */
  switch?: DemoSwitch;
  /** Packets per second per group (default 500). */
  rate?: number;
  /** UDP payload size in bytes (default 200). */
  size?: number;
  /** Where the view goes (default process.stdout). */
  out?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraw in place with ANSI escapes (default: out.isTTY). Otherwise print plain lines. */
  tty?: boolean;
  /** Redraw period in ms (default 500). */
  refreshMs?: number;
  /** Install SIGINT/SIGTERM handlers that end the demo cleanly (default true). */
  handleSignals?: boolean;
}

export interface DemoSample {
  /** seconds since the script started */
  t: number;
  hubPps: number;
  hosts: { name: string; joined: string[]; appPps: number; wirePps: number | null }[];
  groups: GroupRow[];
}

export interface DemoResult {
  exitCode: number;
  /** Why the demo did not run or stopped early. */
  error?: string;
  samples: DemoSample[];
  events: { t: number; text: string }[];
  /** Per receiver: datagrams received by its sockets / frames on its wire, over the whole run. */
  totals: { name: string; app: number; wire: number }[];
  /** Datagrams the sender sent (= what a hub would have put on every receiver's wire). */
  hubTotal: number;
}

const G1 = '239.1.1.1';
const G2 = '239.2.2.2';
const SENDER_ADDR = '192.0.2.10';

interface Step {
  /** fraction of the duration */
  at: number;
  host: string;
  op: 'join' | 'leave';
  group: string;
  source?: string;
  text: string;
}

/** The script; times are fractions of the duration so that --short runs the same story faster. */
const SCRIPT: Step[] = [
  { at: 0.1, host: 'r1', op: 'join', group: G1, text: `r1 joins ${G1} (IGMPv2 report)` },
  { at: 0.17, host: 'r2', op: 'join', group: G1, text: `r2 joins ${G1} (IGMPv3 report)` },
  { at: 0.2, host: 'r2', op: 'join', group: G2, text: `r2 joins ${G2} (IGMPv3 report)` },
  { at: 0.27, host: 'r3', op: 'join', group: G2, source: SENDER_ADDR, text: `r3 joins ${G2} from ${SENDER_ADDR} only (IGMPv3 INCLUDE, source-specific)` },
  { at: 0.37, host: 'r4', op: 'join', group: G2, text: `r4 joins ${G2} (IGMPv2 report)` },
  { at: 0.55, host: 'r1', op: 'leave', group: G1, text: `r1 leaves ${G1} (IGMPv2 leave → the querier asks, then prunes)` },
  { at: 0.68, host: 'r2', op: 'leave', group: G2, text: `r2 leaves ${G2} (IGMPv3 TO_IN {})` },
  { at: 0.8, host: 'r4', op: 'leave', group: G2, text: `r4 leaves ${G2} (IGMPv2 leave)` },
];

const RECEIVERS: { name: string; addr: string; igmp: 2 | 3 }[] = [
  { name: 'r1', addr: '192.0.2.11', igmp: 2 },
  { name: 'r2', addr: '192.0.2.12', igmp: 3 },
  { name: 'r3', addr: '192.0.2.13', igmp: 3 },
  { name: 'r4', addr: '192.0.2.14', igmp: 2 },
];

/** igmpswitch configuration for the demo (keys: docs/config.md); short timers so leaves show quickly. */
export const DEMO_IGMPSWITCH_CONFIG = {
  snooping: {
    enabled: true,
    query_interval: '20s',
    query_response_interval: '2s',
    last_member_query_interval: '1s',
    querier: { enabled: true, address: '192.0.2.254', version: 3 },
  },
  logging: { level: 'info' },
};

/** The Linux bridge with the same behaviour (times in centiseconds). */
export const DEMO_BRIDGE_OPTIONS = {
  mcast_snooping: 1,
  mcast_querier: 1,
  mcast_igmp_version: 3,
  mcast_query_interval: 2000,
  mcast_query_response_interval: 200,
  mcast_last_member_interval: 100,
  mcast_startup_query_interval: 100,
};

const DEMO_USAGE = 'options: --duration S, --short, --switch igmpswitch|linux-bridge, --rate PPS, --plain';

/** `igmpswitch demo` / `npm start` arguments, parsed with node:util parseArgs as the rest of the CLI. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  const o: DemoOptions = {};
  // Not strict, so that a value may start with a dash ("--duration -1" is refused as not positive rather than as a
  // missing value); unknown options and stray words are refused here instead.
  const { tokens } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' }, short: { type: 'boolean' }, rate: { type: 'string' }, switch: { type: 'string' },
      plain: { type: 'boolean' },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind === 'positional') throw new Error(`unknown option ${t.value} (${DEMO_USAGE})`);
    if (t.kind !== 'option') continue;
    const val = (): string => {
      if (t.value === undefined) throw new Error(`${t.rawName} needs a value`);
      return t.value;
    };
    if (t.name === 'duration') o.durationS = positive(val(), '--duration');
    else if (t.name === 'short') o.short = true;
    else if (t.name === 'rate') o.rate = positive(val(), '--rate');
    else if (t.name === 'switch') {
      const v = val();
      if (v !== 'igmpswitch' && v !== 'linux-bridge') throw new Error(`--switch: expected igmpswitch or linux-bridge, got "${v}"`);
      o.switch = v;
    } else if (t.name === 'plain') o.tty = false;
    else throw new Error(`unknown option ${t.rawName} (${DEMO_USAGE})`);
  }
  return o;
}

function positive(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got "${v}"`);
  return n;
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const out = opts.out ?? process.stdout;
  const tty = opts.tty ?? Boolean(out.isTTY);
  const duration = opts.durationS ?? (opts.short ? 15 : 60);
  const rate = opts.rate ?? 500;
  const kind: DemoSwitch = opts.switch ?? 'igmpswitch';
  const result: DemoResult = { exitCode: 0, samples: [], events: [], totals: [], hubTotal: 0 };
  const say = (s: string): void => {
    out.write(`${s}\n`);
  };

  // Preconditions, said plainly.
  if (!isRoot()) {
    const msg =
      'igmpswitch demo must run as root: it creates network namespaces and veth pairs.\n' +
      '  Run it with root rights, for example:  sudo npm start   (or sudo npx igmpswitch demo)';
    say(msg);
    return { ...result, exitCode: 1, error: 'not root' };
  }
  const unavailable = await labUnavailableReason();
  if (unavailable) {
    say(`igmpswitch demo cannot build its lab: ${unavailable}`);
    return { ...result, exitCode: 1, error: unavailable };
  }
  if (kind === 'igmpswitch') {
    const st = daemonStatus();
    if (!st.available) {
      say(`igmpswitch demo: ${st.reason}.\n  To see the same lab with the Linux bridge instead: --switch linux-bridge`);
      return { ...result, exitCode: 1, error: st.reason ?? 'daemon missing' };
    }
  }

  // Signals: stop the script, clean up, return 130/143.
  let stopReason: string | null = null;
  let wake: (() => void) | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopReason) {
      process.exit(sig === 'SIGINT' ? 130 : 143); // second Ctrl-C: the exit hook still removes the lab
    }
    stopReason = sig;
    wake?.();
  };
  const sigHandlers = (['SIGINT', 'SIGTERM'] as const).map((s) => [s, () => onSignal(s)] as const);
  if (opts.handleSignals ?? true) for (const [s, h] of sigHandlers) process.on(s, h);

  let lab: Lab | null = null;
  const receivers = new Map<string, Receiver>();
  let sender: Sender | null = null;
  const t0 = Date.now();
  const now = (): number => (Date.now() - t0) / 1000;
  const event = (text: string): void => {
    const e = { t: now(), text };
    result.events.push(e);
    if (!tty) say(`[${e.t.toFixed(1).padStart(5)} s] ${text}`);
  };

  try {
    say(`igmpswitch demo: building the lab (1 sender, ${RECEIVERS.length} receivers, switch: ${kind}) …`);
    lab = await createLab({
      hosts: [
        { name: 'src', ipv4: `${SENDER_ADDR}/24` },
        ...RECEIVERS.map((r) => ({ name: r.name, ipv4: `${r.addr}/24`, igmpVersion: r.igmp })),
      ],
      switch: kind,
      prefix: 'igd',
      igmpswitch: { config: DEMO_IGMPSWITCH_CONFIG },
      linuxBridge: { options: DEMO_BRIDGE_OPTIONS },
    });
    for (const r of RECEIVERS) receivers.set(r.name, await startReceiver(lab.host(r.name), { intervalMs: 500 }));
    const wireAtStart = new Map<string, number>();
    for (const r of RECEIVERS) wireAtStart.set(r.name, (await lab.host(r.name).counters()).rxPackets);
    if (stopReason) throw new Interrupted();
    sender = await startSender(lab.host('src'), { groups: [G1, G2], rate, size: opts.size ?? 200, ttl: 4, intervalMs: 500 });
    event(`src starts streaming ${G1} and ${G2}, ${rate} packets/s each`);

    const view = new View(lab, receivers, sender, { tty, out, duration, kind, rate });
    let groups: GroupRow[] = [];
    let groupsError: string | null = null;
    let lastGroups = 0;
    const pending = [...SCRIPT];
    const refresh = opts.refreshMs ?? 500;
    let lastPlain = 0;
    while (now() < duration && !stopReason) {
      while (pending.length && pending[0]!.at * duration <= now()) {
        const step = pending.shift()!;
        const rx = receivers.get(step.host)!;
        if (step.op === 'join') await rx.join(step.group, step.source ?? null);
        else await rx.leave(step.group, step.source ?? null);
        event(step.text);
      }
      if (Date.now() - lastGroups >= 1000) {
        lastGroups = Date.now();
        try {
          groups = await lab.groupTable();
          groupsError = null;
        } catch (e) {
          groupsError = (e as Error).message.split('\n')[0] ?? 'error';
        }
      }
      const sample = view.sample(now(), groups);
      result.samples.push(sample);
      if (tty) view.draw(sample, result.events, groupsError);
      else if (sample.t - lastPlain >= 2 || lastPlain === 0) {
        lastPlain = sample.t;
        say(view.plainLine(sample));
      }
      await new Promise<void>((r) => {
        const timer = setTimeout(r, refresh);
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      wake = null;
    }
    if (stopReason) throw new Interrupted();

    // Totals over the whole run, measured.
    const sent = await sender.stop();
    result.hubTotal = sent.total.totalSent;
    await new Promise((r) => setTimeout(r, 200)); // the last datagrams in flight
    for (const [name, rx] of receivers) {
      const r = await rx.reportNow().catch(() => rx.latest());
      const app = (r ? r.groups.reduce((a, g) => a + g.totalPackets, 0) : 0) + retired(rx);
      const wire = (await lab.host(name).counters()).rxPackets - (wireAtStart.get(name) ?? 0);
      result.totals.push({ name, app, wire });
    }
    if (tty) out.write('\x1b[?25h');
    say('');
    say(summary(result, kind));
  } catch (e) {
    if (tty) out.write('\x1b[?25h');
    if (e instanceof Interrupted || stopReason) {
      say(`\ninterrupted (${stopReason ?? 'signal'}): cleaning up the lab …`);
      result.exitCode = stopReason === 'SIGTERM' ? 143 : 130;
      result.error = 'interrupted';
    } else {
      say(`\nigmpswitch demo failed: ${(e as Error).message}`);
      result.exitCode = 1;
      result.error = (e as Error).message;
    }
  } finally {
    for (const rx of receivers.values()) await rx.stop().catch(() => {});
    if (sender) await sender.stop().catch(() => {});
    if (lab) await lab.destroy();
    for (const [s, h] of sigHandlers) process.removeListener(s, h);
    say('lab removed (namespaces, veth pairs and processes).');
  }
  return result;
}

class Interrupted extends Error {}

/** Packets counted by memberships that were left during the run (they drop out of later reports). */
function retired(rx: Receiver): number {
  let n = 0;
  const lefts = rx.process.json().filter((o) => o['type'] === 'left');
  for (const l of lefts) n += Number(l['totalPackets'] ?? 0);
  return n;
}

function summary(r: DemoResult, kind: DemoSwitch): string {
  const lines = [`Over the whole run the sender sent ${r.hubTotal} datagrams; a flooding hub would have put all of them on every port.`];
  let wire = 0;
  for (const t of r.totals) {
    wire += t.wire;
    lines.push(`  ${t.name}: its sockets received ${t.app}, its wire carried ${t.wire} frames (${pct(t.wire, r.hubTotal)} of the hub's)`);
  }
  const hub = r.hubTotal * r.totals.length;
  const verdict = wire < hub * 0.98 ? `${pct(hub - wire, hub)} less` : 'as much as a hub (it was flooding: no querier yet, or no filtering)';
  lines.push(`  ${kind} delivered ${wire} frames to the receivers where a hub would have delivered ${hub}: ${verdict}.`);
  return lines.join('\n');
}

function pct(a: number, b: number): string {
  return b > 0 ? `${((100 * a) / b).toFixed(0)}%` : '-';
}

// ---------------------------------------------------------------------------------------------------------

class View {
  constructor(
    private readonly lab: Lab,
    private readonly receivers: Map<string, Receiver>,
    private readonly sender: Sender,
    private readonly o: { tty: boolean; out: NodeJS.WritableStream & { columns?: number }; duration: number; kind: DemoSwitch; rate: number },
  ) {
    if (o.tty) o.out.write('\x1b[?25l');
  }

  sample(t: number, groups: GroupRow[]): DemoSample {
    const s: SenderReport | null = this.sender.latest();
    const hubPps = s && s.type === 'report' ? s.total.pps : 0;
    const hosts = [...this.receivers].map(([name, rx]) => {
      const r: ReceiverReport | null = rx.latest();
      return {
        name,
        joined: rx.memberships().map((m) => (m.source ? `${m.group} from ${m.source}` : m.group)),
        appPps: r ? r.total.pps : 0,
        wirePps: r?.wire ? r.wire.pps : null,
      };
    });
    return { t, hubPps, hosts, groups };
  }

  private hostOfPort(port: string): string {
    const h: LabHost | undefined = this.lab.hosts.find((x) => x.port === port);
    return h ? h.name : port;
  }

  draw(s: DemoSample, events: { t: number; text: string }[], groupsError: string | null): void {
    const bold = (x: string): string => `\x1b[1m${x}\x1b[22m`;
    const dim = (x: string): string => `\x1b[2m${x}\x1b[22m`;
    const green = (x: string): string => `\x1b[32m${x}\x1b[39m`;
    const L: string[] = [];
    const title = this.o.kind === 'igmpswitch' ? 'igmpswitch (IGMP snooping + querier)' : 'Linux bridge (mcast_snooping 1, mcast_querier 1)';
    L.push(`${bold('igmpswitch demo')}  lab ${this.lab.id}   switch: ${title}   t = ${s.t.toFixed(1)} s / ${this.o.duration} s`);
    L.push(`src ${SENDER_ADDR} streams ${G1} and ${G2} at ${this.o.rate} pps each; measured at the sender: ${s.hubPps.toFixed(0)} pps`);
    L.push('');
    L.push(bold(`${'host'.padEnd(5)}${'igmp'.padEnd(6)}${'joined'.padEnd(36)}${'app rx pps'.padStart(11)}${'wire pps'.padStart(11)}${'hub pps'.padStart(11)}`));
    let app = 0;
    let wire = 0;
    for (const h of s.hosts) {
      const spec = RECEIVERS.find((r) => r.name === h.name)!;
      app += h.appPps;
      wire += h.wirePps ?? 0;
      const joined = h.joined.length ? h.joined.join(', ') : dim('-');
      const pad = h.joined.length ? 36 : 36 + dim('').length;
      L.push(
        `${h.name.padEnd(5)}${`v${spec.igmp}`.padEnd(6)}${joined.padEnd(pad)}${fmt(h.appPps).padStart(11)}${fmt(h.wirePps).padStart(11)}${fmt(s.hubPps).padStart(11)}`,
      );
    }
    const hub = s.hubPps * s.hosts.length;
    L.push(`${''.padEnd(47)}${'─'.repeat(33)}`);
    L.push(`${'all receivers'.padEnd(47)}${fmt(app).padStart(11)}${fmt(wire).padStart(11)}${fmt(hub).padStart(11)}`);
    if (hub > 0) L.push(green(`the switch puts ${pct(wire, hub)} of what a hub would on the receivers' wires`));
    L.push(dim('app rx: datagrams the host\'s sockets received; wire: frames on its port (joined or not); hub: what a hub would deliver'));
    L.push('');
    L.push(bold(this.o.kind === 'igmpswitch' ? 'switch group table (igmpswitch show groups)' : 'switch group table (bridge mdb show)'));
    if (groupsError) L.push(`  (not available: ${groupsError})`);
    else if (!s.groups.length) L.push(dim('  (empty)'));
    else {
      const byGroup = new Map<string, string[]>();
      for (const g of s.groups) {
        const key = g.source ? `${g.group} from ${g.source}` : g.group;
        const who = `${this.hostOfPort(g.port)}${g.state ? ` [${g.state}${g.sources.length ? ` ${g.sources.join(',')}` : ''}]` : ''}`;
        byGroup.set(key, [...(byGroup.get(key) ?? []), who]);
      }
      for (const [k, v] of [...byGroup].sort()) L.push(`  ${k.padEnd(28)} → ${v.join('  ')}`);
    }
    L.push('');
    L.push(bold('events'));
    for (const e of events.slice(-6)) L.push(`  ${e.t.toFixed(1).padStart(5)} s  ${e.text}`);
    L.push('');
    L.push(dim('Ctrl-C stops the demo and removes the lab.'));
    const cols = terminalColumns(this.o.out);
    this.o.out.write(`\x1b[H\x1b[J${L.map((l) => clip(l, cols)).join('\n')}\n`);
  }

  plainLine(s: DemoSample): string {
    const parts = s.hosts.map((h) => `${h.name}[${h.joined.length ? h.joined.join('+') : '-'}] ${fmt(h.appPps)}/${fmt(h.wirePps)}`);
    const groups = new Map<string, string[]>();
    for (const g of s.groups) groups.set(g.group, [...(groups.get(g.group) ?? []), this.hostOfPort(g.port)]);
    const table = [...groups].map(([g, hs]) => `${g}:${[...new Set(hs)].join(',')}`).join(' ');
    return `[${s.t.toFixed(1).padStart(5)} s] hub ${fmt(s.hubPps)} pps | app/wire pps ${parts.join(' | ')} | table ${table || '-'}`;
  }
}

/** Columns to draw in: what the terminal reports, or 80 when it reports none or 0 (`script`, CI logs, some PTYs). */
export function terminalColumns(out: { columns?: number }): number {
  const c = out.columns;
  return typeof c === 'number' && Number.isFinite(c) && c > 0 ? c : FALLBACK_COLUMNS;
}

/** The classic terminal width, used when the terminal does not say. */
const FALLBACK_COLUMNS = 80;

function fmt(n: number | null): string {
  return n === null ? '-' : Math.round(n).toString();
}

/** Clip a line with ANSI escapes to cols visible characters. */
function clip(line: string, cols: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b') {
      const m = /^\x1b\[[0-9;?]*[A-Za-z]/.exec(line.slice(i));
      if (m) {
        out += m[0];
        i += m[0].length - 1;
        continue;
      }
    }
    if (visible >= cols) continue;
    out += line[i];
    visible++;
  }
  return out;
}

// Run directly: npx tsx src/lab/demo.ts [options]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let opts: DemoOptions;
  try {
    opts = parseDemoArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`igmpswitch demo: ${(e as Error).message}`);
    process.exit(2);
  }
  const r = await runDemo(opts);
  process.exit(r.exitCode);
}
