// The igmpswitch command line: verb dispatch, argument parsing (node:util parseArgs, strict) and help texts.
// `runCli(argv, io)` returns the exit code: 0 done, 1 failed (one clear line on stderr), 2 usage error (the verb's
// usage on stderr). main.ts is the process entry; tests call runCli with their own io.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMulticastIPv4, isMulticastIPv6, isUnicastIPv4, isUnicastIPv6 } from '../wire/address.js';
import type { TraceParams } from '../mgmt/api.js';
import { ControlError, request, stream } from '../mgmt/control-client.js';
import { openPcapngWriter, type PcapngWriter } from '../mgmt/pcap.js';
import { DecodeError, decodeFile, decodeLive } from './decode-cmd.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { ReplayError, SwitchReplay } from '../decode/replay.js';
import { describeIgmp } from './probe.js';
import { ProbeError, probeListenRun, probeQueryRun, probeSendRun, type Answer } from './probe-cmd.js';
import {
  renderFdb, renderGroups, renderPorts, renderQuerier, renderReload, renderRouters, renderStats, renderTrace,
} from './render.js';
import { resolveSocketPath, SocketPathError } from './socket-path.js';
import { POLICY_FILTER_REASONS } from '../dataplane/core.js';

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /** Stops long-running verbs (capture, probe). Default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** File descriptor `capture --control -` writes the pcap to. Default 1. */
  stdoutFd?: number;
  /** Standard input's bytes for `decode -`. Default: read file descriptor 0. */
  stdin?: () => Uint8Array;
}

/** Wrong usage: exit 2 with the verb's usage. */
export class UsageError extends Error {
  constructor(message: string, readonly verb: string | null) {
    super(message);
  }
}

/** A failure explained in one line: exit 1. */
export class CliError extends Error {}

type OptionSpec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
type Values = Record<string, string | boolean | string[] | undefined>;

interface Verb {
  summary: string;
  help: string;
  options: OptionSpec;
  positionals?: boolean;
  /** The verb parses its own arguments (given as positionals); only --help is handled here. */
  passthrough?: boolean;
  run(values: Values, positionals: string[], io: CliIo): Promise<number>;
}

const SOCKET_OPTIONS = {
  socket: { type: 'string' },
  config: { type: 'string', short: 'c' },
} as const;

const SOCKET_HELP = `  --socket PATH      control socket of the daemon
  -c, --config FILE  use the socket named in this configuration file (management.socket)
                     (default: /run/igmpswitch/igmpswitch.sock)`;

const SHOW_TARGETS = ['groups', 'ports', 'routers', 'querier', 'fdb', 'stats'] as const;
type ShowTarget = (typeof SHOW_TARGETS)[number];

const VERBS: Record<string, Verb> = {
  run: {
    summary: 'run the switch (the daemon) with a configuration file',
    help: `Usage: igmpswitch run --config FILE

Runs the switch in the foreground until SIGINT or SIGTERM. SIGHUP (or \`igmpswitch reload\`) re-reads FILE.

Started through npm (\`npx igmpswitch run ...\`, \`npm start\`), the daemon asks the kernel for a SIGTERM when its
launcher exits (PR_SET_PDEATHSIG), so a SIGTERM to any process of the chain stops the switch cleanly (memberships
saved, interface settings restored, socket and locks removed). Started any other way (systemd, nohup), signal the
daemon itself.

One owner per port, state file and socket: before it reads the state file or touches an interface, run takes an
exclusive lock (flock) on each: one lock file per interface,
/run/igmpswitch/locks/netns-<namespace inode>.ifindex-<n>.lock, one next to the state file (<state.file>.lock) and
one next to the control socket (<management.socket>.lock), each holding its owner's pid. A second daemon that wants
any of them is refused before it changes anything:
  igmpswitch: cannot start: interface eth1 (ifindex 3) is in use by another igmpswitch (pid 4711; lock ...); stop that one first
The kernel releases the locks when the owner exits, also after kill -9. A port added by reload is locked the same
way. Every refusal to start prints one "igmpswitch: ..." line on standard error, besides the JSON start-failed log
line, and exits 1.

Options:
  -c, --config FILE  configuration file (YAML)
  -h, --help         this help
`,
    options: { config: { type: 'string', short: 'c' } },
    async run(v) {
      const configPath = requireString(v, 'config', 'run');
      // Loaded on use: the other verbs start without the daemon's modules.
      const { runDaemon } = await import('../daemon/run.js');
      await runDaemon({ configPath: path.resolve(configPath) });
      // runDaemon returns once the switch is forwarding (it then runs until a signal) or after a start-up failure,
      // which it reports through process.exitCode (1); keep that status.
      return typeof process.exitCode === 'number' ? process.exitCode : 0;
    },
  },

  show: {
    summary: 'show groups, ports, router ports, querier, MAC table or counters',
    help: `Usage: igmpswitch show <what> [--json] [--socket PATH | --config FILE]

Asks the running daemon over its control socket and prints a table (or, with --json, the answer as it came).

What:
  groups   memberships per VLAN, group and port: MODE (filter mode, RFC 3376 §6.2; "static": configured),
           VER (compatibility mode, RFC 3376 §7.3.2), TIMER (group timer, EXCLUDE mode), SOURCES (INCLUDE: the
           wanted sources with timers; EXCLUDE: "any", or sources with timers and "blocked" ones), HOSTS (the hosts
           heard reporting the group on the port within a Group Membership Interval, at most 128; every port)
  ports    ports with link state, ROUTER (router port now, configured mode in brackets), FLAGS, GROUPS
           (membership records), traffic counters, FILTERED (frames not forwarded by policy: ${[...POLICY_FILTER_REASONS].join(', ')})
           and DROPS (frames dropped as bad or lost: malformed, checksum, oversize, rate limit, ...)
  routers  router ports: where they were learned (query, PIM, MRD, static), from which address, expiry
  querier  the querier election: who queries (this switch, or another querier and when it expires), own querier
           settings, whether multicast is snooped or flooded and why
  fdb      learned MAC addresses with VLAN, port and age
  stats    counters, named as the daemon names them:
             Ports:   rx_frames, rx_bytes, tx_frames, tx_bytes, filter_<reason>, drop_<reason>, msg_<message>,
                      event_<event>, io_<counter> (the socket layer's losses)
             Filtered by policy / Dropped as bad: all ports, by data-plane reason
             Messages: control messages received, by kind (igmp_v3_report, igmp_v2_leave, ...)
             Engine:  rx_<message>, tx_<query kind> (queries sent), reject_<reason>, groups, memberships,
                      mdb_entries, router_ports
             Data-plane thread: away_max_ms (longest time away from receiving: nobody hands the kernel
                      buffers meanwhile), away_over_1ms, away_over_4ms, fill_low (AF_XDP fill ring found
                      nearly empty), free_chunks_min (fewest free AF_XDP buffers)
           A counter that is 0 is left out.

Options:
  --json             JSON output
${SOCKET_HELP}
  -h, --help         this help
`,
    options: { json: { type: 'boolean' }, ...SOCKET_OPTIONS },
    positionals: true,
    async run(v, pos, io) {
      if (pos.length !== 1) throw new UsageError(pos.length ? `show takes one thing to show, got ${pos.join(' ')}` : 'show what?', 'show');
      const what = pos[0] as ShowTarget;
      if (!(SHOW_TARGETS as readonly string[]).includes(what)) {
        throw new UsageError(`cannot show "${pos[0]}" (one of: ${SHOW_TARGETS.join(', ')})`, 'show');
      }
      const result = await request(socketOf(v), what, {});
      if (v.json) {
        io.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return 0;
      }
      const render: Record<ShowTarget, (r: never) => string> = {
        groups: renderGroups, ports: renderPorts, routers: renderRouters, querier: renderQuerier, fdb: renderFdb, stats: renderStats,
      };
      io.stdout.write(render[what](result as never));
      return 0;
    },
  },

  trace: {
    summary: 'explain what the switch does with a multicast frame',
    help: `Usage: igmpswitch trace --in PORT --dst GROUP [--src ADDRESS] [--vlan VLAN] [--json] [--socket PATH | --config FILE]

Asks the daemon what it would do with a multicast frame to GROUP (from ADDRESS) arriving on PORT: the verdict,
the table entry that decided it, and for every port whether it gets the frame and why (or why not).
Nothing is sent; the answer comes from the daemon's current tables.

Without --src the answer is for any source: a source that no source-specific state names, so only (*,G) state
applies (EXCLUDE-mode members get it; INCLUDE-mode members are listed with the sources they want). Give --src to
trace one source. For an unregistered group the answer names the snooping.unregistered policy and the router ports.

Options:
  --in PORT          ingress port (interface name)
  --dst GROUP        destination group address (IPv4 or IPv6 multicast)
  --src ADDRESS      source address, of the family of --dst (default: any source, see above)
  --vlan VLAN        VLAN id (default: untagged)
  --json             JSON output
${SOCKET_HELP}
  -h, --help         this help
`,
    options: {
      in: { type: 'string' }, dst: { type: 'string' }, src: { type: 'string' }, vlan: { type: 'string' },
      json: { type: 'boolean' }, ...SOCKET_OPTIONS,
    },
    async run(v, _pos, io) {
      const params: TraceParams = { in: requireString(v, 'in', 'trace'), dst: requireString(v, 'dst', 'trace') };
      const v6 = isMulticastIPv6(params.dst);
      if (!isMulticastIPv4(params.dst) && !v6) {
        throw new UsageError(`--dst must be an IPv4 multicast group or an IPv6 multicast group, got "${params.dst}"`, 'trace');
      }
      if (typeof v.src === 'string') {
        if (!(v6 ? isUnicastIPv6(v.src) : isUnicastIPv4(v.src))) {
          throw new UsageError(`--src must be an ${v6 ? 'IPv6' : 'IPv4'} unicast address (the family of --dst), got "${v.src}"`, 'trace');
        }
        params.src = v.src;
      }
      if (typeof v.vlan === 'string') params.vlan = intOption(v.vlan, '--vlan', 0, 4094, 'trace');
      const result = await request(socketOf(v), 'trace', params);
      io.stdout.write(v.json ? JSON.stringify(result, null, 2) + '\n' : renderTrace(params, result));
      return 0;
    },
  },

  reload: {
    summary: 'make the daemon re-read its configuration file',
    help: `Usage: igmpswitch reload [--json] [--socket PATH | --config FILE]

Re-reads the configuration file the daemon was started with and applies the differences (SIGHUP does the same).
Prints the changes applied; changes to keys that need a restart (dataplane.*, management.*, …; see the
configuration reference) are listed as not applied, their old values staying in force until a restart; the file's
warnings are printed as the daemon logs them at start-up. Exit code 0.
On an error in the file the daemon keeps its running configuration; the error is printed and the exit code is 1.

Options:
  --json             JSON output
${SOCKET_HELP}
  -h, --help         this help
`,
    options: { json: { type: 'boolean' }, ...SOCKET_OPTIONS },
    async run(v, _pos, io) {
      let result;
      try {
        result = await request(socketOf(v), 'reload', {}, 60_000);
      } catch (err) {
        if (err instanceof ControlError && err.kind === 'remote') throw new CliError(`reload failed, the running configuration stays:\n${err.message}`);
        throw err;
      }
      io.stdout.write(v.json ? JSON.stringify(result, null, 2) + '\n' : renderReload(result));
      return 0;
    },
  },

  capture: {
    summary: 'write the control frames the switch receives and sends (IGMP, MLD, PIM, MRD) to a pcapng file',
    help: `Usage: igmpswitch capture --control FILE [--count N] [--duration SECONDS] [--port PORT] [--socket PATH | --config FILE]

Streams every control frame the switch receives, and every one it sends itself (its queries, once per port they
leave by), from the daemon and writes them to FILE in pcapng format (Ethernet, microsecond timestamps), for
Wireshark, tshark or tcpdump -r. Each switch port is an interface of the file (named after the port); each frame
carries its direction (inbound = received, outbound = sent) in its flags and a comment "rx PORT" or "tx PORT".
FILE "-" writes to standard output, so \`igmpswitch capture --control - | tcpdump -r - -nn -v\` decodes live.
Stops on Ctrl-C, after N frames or after SECONDS; progress and the final count go to standard error.

Options:
  --control FILE       output file ("-": standard output)
  --count N            stop after N frames
  --duration SECONDS   stop after this long
  --port PORT          only frames received or sent on this port
${SOCKET_HELP}
  -h, --help           this help
`,
    options: {
      control: { type: 'string' }, count: { type: 'string' }, duration: { type: 'string' }, port: { type: 'string' },
      ...SOCKET_OPTIONS,
    },
    run: runCapture,
  },

  decode: {
    summary: 'explain every IGMP, MLD, PIM and MRD message of a capture field by field, and what the switch does with it',
    help: `Usage:
  igmpswitch decode FILE [--switch CONFIG [--in PORT]] [--all] [--json]
  igmpswitch decode --live PORT [--switch CONFIG] [--count N] [--duration SECONDS] [--json] [--socket PATH | --config FILE]

Prints each IGMP (v1, v2, v3), MLD (v1, v2), PIM and MRD message of a capture the way a textbook explains it:
every field of the Ethernet, IP and control headers with its name, raw value and meaning (IGMPv3 Max Resp Code
and QQIC floating-point codes worked out, checksums checked with the value they should have, the group address
against the IP destination, each IGMPv3/MLDv2 group record with its type, sources and auxiliary data), then the
findings, each with its RFC section:
  DISCARD    a receiver following the RFCs drops the message (bad checksum, cut short, unknown type, an MLDv2
             message with Hop Limit above 1 or without Router Alert, …)
  VIOLATION  the sender broke a rule that receivers often forgive (IGMP TTL above 1, no Router Alert, a report
             or leave sent to the wrong address, …)
  note       worth knowing (an unknown group record type that receivers skip, a 224.0.0.x group that is never
             snooped)
Other frames (data traffic) are counted and not shown unless --all.

FILE is a pcap or pcapng file (Ethernet), "-" for standard input (read to its end, then decoded):
\`tcpdump -i eth1 -c 50 -w - igmp | igmpswitch decode -\`.
A pcapng file may name the port of each frame (interface name if_name, or a packet comment "port NAME") and the
direction (epb_flags, or a comment with rx/in/received or tx/out/sent).

--switch CONFIG replays the capture through the switch itself: the real Wasm data-plane core and snooping engine
built from the configuration file CONFIG, with no sockets and no interfaces, its clock driven by the capture's
timestamps. After each message it prints what the switch decided: where the frame itself is forwarded (or why it
is dropped), membership changes per port (mode and sources), router ports and querier changes, and the queries
and solicitations the switch sends, with their times. Frames the capture marks as sent by the switch are shown
but not replayed (the replayed switch sends its own). A frame whose port the capture does not name arrives on
--in PORT (default: the first port of CONFIG).

--live PORT decodes, as they arrive, the control frames a running switch receives on PORT ("all": every port),
through the control socket (as \`capture --control\`), until Ctrl-C, N messages or SECONDS.

Options:
  --switch CONFIG      replay through the switch configured by CONFIG and print its decisions
  --in PORT            with --switch: the port of frames whose port the capture does not name
  --all                also show frames that are not control messages
  --json               the same as data: one JSON document (FILE) or one JSON object per line (--live)
  --live PORT          decode the daemon's control frames from PORT ("all": every port)
  --count N            --live: stop after N messages
  --duration SECONDS   --live: stop after this long
${SOCKET_HELP}
  -h, --help           this help

Exit status: 0 done; 1 the file is not a capture, cannot be read, or is cut short (the packets before the cut are
shown); 2 usage error.
`,
    options: {
      switch: { type: 'string' }, in: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' },
      live: { type: 'string' }, count: { type: 'string' }, duration: { type: 'string' }, ...SOCKET_OPTIONS,
    },
    positionals: true,
    run: runDecode,
  },

  probe: {
    summary: 'send IGMP queries, joins and leaves from an interface of this host and list the answers',
    help: `Usage:
  igmpswitch probe query  --iface IF [--group GROUP [--source S]...] [--version 2|3] [--wait SECONDS] [--json]
  igmpswitch probe join   --iface IF --group GROUP [--source S]... [--version 2|3]
  igmpswitch probe leave  --iface IF --group GROUP [--source S]... [--version 2|3]
  igmpswitch probe listen --iface IF [--wait SECONDS] [--json]

Tests the network around the switch from a host attached to it (root needed: raw IGMP socket). Packets go out of IF
from its first IPv4 address with TTL 1 and the Router Alert option.

  query   sends a general query (to 224.0.0.1), or with --group a group-specific query (to GROUP; with --source,
          IGMPv3 group-and-source-specific), then lists every IGMP message heard on IF for the wait time: who
          answered, the report type and its groups or records. Note: this is a real query; other queriers with a
          higher address stop querying for a while (RFC 3376 election), and IGMPv2 queries put hosts in v2 mode.
          IGMPv2 reports go to the group address: they are heard for the queried --group (this host joins it for
          the duration), not after a general v2 query.
  join    sends one membership report (IGMPv3 TO_EX {} or, with --source, ALLOW {S}; IGMPv2 a v2 report)
  leave   sends one leave (IGMPv3 TO_IN {} or, with --source, BLOCK {S}; IGMPv2 a Leave Group to 224.0.0.2)
  listen  sends nothing; prints IGMP messages heard on IF (until Ctrl-C, or for --wait)

Options:
  --iface IF         interface to send from (must have an IPv4 address)
  --group GROUP      multicast group
  --source S         source address (repeatable; IGMPv3 only)
  --version 2|3      IGMP version (default 3)
  --wait SECONDS     how long to listen after the query (default 3; listen: until Ctrl-C)
  --json             JSON output (query, listen)
  -h, --help         this help
`,
    options: {
      iface: { type: 'string' }, group: { type: 'string' }, source: { type: 'string', multiple: true },
      version: { type: 'string' }, wait: { type: 'string' }, json: { type: 'boolean' },
    },
    positionals: true,
    run: runProbe,
  },

  demo: {
    summary: 'start a self-contained demonstration lab in network namespaces',
    help: `Usage: igmpswitch demo [--short] [--duration SECONDS] [--switch igmpswitch|linux-bridge] [--rate PPS] [--plain]

Builds a lab of network namespaces (a sender, receivers, the switch with its querier), joins and leaves groups on a
script and shows, live, what each host receives next to what a flooding hub would deliver. Needs root. Everything it
creates is removed when it ends (or on Ctrl-C).

Options (handled by the demo itself):
  --short            the 15-second version of the script
  --duration S       length of the script (default 60 s)
  --switch KIND      igmpswitch (default) or linux-bridge, the kernel's bridge in the same lab
  --rate PPS         packets per second per group (default 500)
  --plain            print lines instead of redrawing the screen
  -h, --help         this help
`,
    options: {},
    passthrough: true,
    async run(_v, args) {
      const { parseDemoArgs, runDemo } = await import('../lab/demo.js');
      let opts;
      try {
        opts = parseDemoArgs(args);
      } catch (err) {
        throw new UsageError((err as Error).message, 'demo');
      }
      return (await runDemo(opts)).exitCode;
    },
  },
};

/** The top-level usage (igmpswitch --help); docs/cli.md starts with it. */
export function mainUsage(): string {
  const w = Math.max(...Object.keys(VERBS).map((k) => k.length));
  return `Usage: igmpswitch <command> [options]

A software Ethernet switch with IGMP snooping.

Commands:
${Object.entries(VERBS).map(([k, v]) => `  ${k.padEnd(w)}  ${v.summary}`).join('\n')}

\`igmpswitch <command> --help\` describes a command. \`igmpswitch --version\` prints the version.
`;
}

function version(): string {
  try {
    // src/cli/ and dist/cli/ are both two levels below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [verbName, ...rest] = argv;
  try {
    if (verbName === undefined) throw new UsageError('no command given', null);
    if (verbName === '--help' || verbName === '-h') {
      io.stdout.write(mainUsage());
      return 0;
    }
    if (verbName === 'help') {
      const topic = rest[0];
      if (topic === undefined) io.stdout.write(mainUsage());
      else if (Object.hasOwn(VERBS, topic)) io.stdout.write(VERBS[topic]!.help);
      else throw new UsageError(`no command "${topic}"`, null);
      return 0;
    }
    if (verbName === '--version' || verbName === '-V') {
      io.stdout.write(`igmpswitch ${version()}\n`);
      return 0;
    }
    if (!Object.hasOwn(VERBS, verbName)) {
      throw new UsageError(verbName.startsWith('-') ? `unknown option ${verbName}` : `unknown command "${verbName}"`, null);
    }
    const verb = VERBS[verbName]!;
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(verb.help);
      return 0;
    }
    if (verb.passthrough) return await verb.run({}, [...rest], io);
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({ args: [...rest], options: verb.options, allowPositionals: verb.positionals ?? false, strict: true }) as typeof parsed;
    } catch (err) {
      throw new UsageError((err as Error).message.split('\n')[0]!, verbName);
    }
    return await verb.run(parsed.values, parsed.positionals, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`igmpswitch: ${err.message}\n\n${err.verb ? VERBS[err.verb]!.help : mainUsage()}`);
      return 2;
    }
    if (err instanceof ControlError || err instanceof CliError || err instanceof ProbeError || err instanceof SocketPathError ||
      err instanceof DecodeError) {
      io.stderr.write(`igmpswitch: ${err.message}\n`);
      return 1;
    }
    // Anything else is a failure of the daemon or a bug: the message, and the stack when asked for.
    const e = err as Error;
    io.stderr.write(`igmpswitch: ${e?.message ?? String(err)}\n`);
    if (process.env.IGMPSWITCH_DEBUG && e?.stack) io.stderr.write(e.stack + '\n');
    return 1;
  }
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function requireString(v: Values, name: string, verb: string): string {
  const s = v[name];
  if (typeof s !== 'string' || s === '') throw new UsageError(`--${name} is required`, verb);
  return s;
}

function intOption(text: string, flag: string, min: number, max: number, verb: string): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`, verb);
  }
  return Number(text);
}

function secondsOption(text: string, flag: string, verb: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0) || n > 86_400) {
    throw new UsageError(`${flag} must be a number of seconds above 0 (at most 86400), got "${text}"`, verb);
  }
  return Math.round(n * 1000);
}

function socketOf(v: Values): string {
  return resolveSocketPath({ socket: v.socket as string | undefined, config: v.config as string | undefined });
}

/** Imports a module that another part of the build provides, with a clear error if this build lacks it. */
/** The caller's signal, or one that fires on SIGINT/SIGTERM (handlers removed by the returned cleanup). */
function interruptSignal(io: CliIo): { signal: AbortSignal; dispose(): void } {
  if (io.signal) return { signal: io.signal, dispose() {} };
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// capture

async function runCapture(v: Values, _pos: string[], io: CliIo): Promise<number> {
  const file = requireString(v, 'control', 'capture');
  const count = typeof v.count === 'string' ? intOption(v.count, '--count', 1, 2 ** 31, 'capture') : 0;
  const durationMs = typeof v.duration === 'string' ? secondsOption(v.duration, '--duration', 'capture') : 0;
  const port = typeof v.port === 'string' ? v.port : null;
  const socketPath = socketOf(v);
  const target = file === '-' ? io.stdoutFd ?? 1 : file;
  const where = file === '-' ? 'standard output' : file;

  let writer: PcapngWriter | null = null;
  let writeError: Error | null = null;
  let dropped = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  const ensureWriter = (): PcapngWriter => {
    writer ??= openPcapngWriter(target);
    return writer;
  };

  const h = stream(socketPath, 'subscribeControl', {}, (ev) => {
    if (ev.type === 'dropped') {
      dropped += ev.count;
      return;
    }
    if (port !== null && ev.frame.port !== port) return;
    if (writeError || (count > 0 && (writer?.count ?? 0) >= count)) return;
    try {
      ensureWriter().write({ timeMs: ev.frame.time, bytes: ev.frame.bytes, port: ev.frame.port, direction: ev.frame.direction });
    } catch (err) {
      writeError = err as Error;
      finish();
      return;
    }
    if (count > 0 && writer!.count >= count) finish();
  });
  const intr = interruptSignal(io);
  let timer: NodeJS.Timeout | undefined;
  try {
    await h.ready;
    try {
      ensureWriter();
    } catch (err) {
      throw new CliError(`cannot write ${where}: ${(err as Error).message}`);
    }
    io.stderr.write(`capturing control frames${port ? ` from ${port}` : ''} to ${where}` +
      `${count ? `, ${count} frames` : ''}${durationMs ? `, ${durationMs / 1000}s` : ''}; Ctrl-C to stop\n`);
    if (durationMs) timer = setTimeout(finish, durationMs);
    intr.signal.addEventListener('abort', finish, { once: true });
    if (intr.signal.aborted) finish();
    let lost: Error | null = null;
    await Promise.race([finished, h.done.then(() => {}, (err: Error) => { lost = err; })]);
    if (writeError) throw new CliError(`cannot write ${where}: ${(writeError as Error).message}`);
    const n = (writer as PcapngWriter | null)?.count ?? 0;
    io.stderr.write(`${n} frame${n === 1 ? '' : 's'} written to ${where}` +
      `${dropped ? `; ${dropped} more were not received (this capture could not keep up)` : ''}\n`);
    if (lost) throw lost;
    return 0;
  } finally {
    clearTimeout(timer);
    intr.signal.removeEventListener('abort', finish);
    intr.dispose();
    h.close();
    (writer as PcapngWriter | null)?.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// decode

async function runDecode(v: Values, pos: string[], io: CliIo): Promise<number> {
  const live = typeof v.live === 'string' ? v.live : null;
  if (live !== null && pos.length > 0) throw new UsageError('give either FILE or --live PORT, not both', 'decode');
  if (live === null && pos.length !== 1) throw new UsageError(pos.length ? `decode takes one file, got ${pos.join(' ')}` : 'decode what? (FILE, - or --live PORT)', 'decode');
  if (live === null && (v.count !== undefined || v.duration !== undefined)) throw new UsageError('--count and --duration go with --live', 'decode');
  if (v.in !== undefined && v.switch === undefined) throw new UsageError('--in goes with --switch', 'decode');
  const observer = typeof v.switch === 'string' ? await switchReplay(v.switch, v.in as string | undefined) : undefined;
  if (live !== null) {
    const count = typeof v.count === 'string' ? intOption(v.count, '--count', 1, 2 ** 31, 'decode') : 0;
    const durationMs = typeof v.duration === 'string' ? secondsOption(v.duration, '--duration', 'decode') : 0;
    const intr = interruptSignal(io);
    try {
      return await decodeLive({ socketPath: socketOf(v), port: live, json: v.json === true, all: v.all === true, count, durationMs,
        observer, signal: intr.signal }, io);
    } finally {
      intr.dispose();
    }
  }
  return decodeFile({ file: pos[0]!, json: v.json === true, all: v.all === true, stdin: io.stdin, observer }, io);
}

/** The switch of --switch CONFIG (the Wasm core and engine), or a CliError naming what is wrong. */
async function switchReplay(configPath: string, inPort: string | undefined): Promise<SwitchReplay> {
  let config;
  try {
    config = loadConfig(configPath).config;
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`--switch ${configPath}: ${err.message}`);
    throw err;
  }
  try {
    return new SwitchReplay(config, { defaultPort: inPort });
  } catch (err) {
    if (err instanceof ReplayError) throw new CliError(err.message);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// probe

const PROBE_SUBCOMMANDS = ['query', 'join', 'leave', 'listen'] as const;

function describeAnswer(a: Answer): string {
  return `+${(a.afterMs / 1000).toFixed(2)}s  ${a.from.padEnd(15)}  ${describeIgmp(a.message)}`;
}

function answerJson(a: Answer): object {
  return { afterMs: a.afterMs, from: a.from, to: a.to, message: a.message };
}

async function runProbe(v: Values, pos: string[], io: CliIo): Promise<number> {
  const sub = pos[0] as (typeof PROBE_SUBCOMMANDS)[number] | undefined;
  if (!sub || !(PROBE_SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(sub ? `unknown probe "${sub}" (one of: ${PROBE_SUBCOMMANDS.join(', ')})` : 'probe what? (query, join, leave, listen)', 'probe');
  }
  if (pos.length > 1) throw new UsageError(`unexpected argument "${pos[1]}"`, 'probe');
  const iface = requireString(v, 'iface', 'probe');
  const version = typeof v.version === 'string' ? intOption(v.version, '--version', 2, 3, 'probe') as 2 | 3 : 3;
  const group = typeof v.group === 'string' ? v.group : null;
  const sources = (v.source as string[] | undefined) ?? [];
  if (group !== null && !isMulticastIPv4(group)) throw new UsageError(`--group must be an IPv4 multicast address, got "${group}"`, 'probe');
  for (const s of sources) {
    if (!isUnicastIPv4(s)) throw new UsageError(`--source must be an IPv4 unicast address, got "${s}"`, 'probe');
  }
  if (sources.length && version !== 3) throw new UsageError('--source needs IGMPv3 (--version 3)', 'probe');
  if (sources.length && group === null) throw new UsageError('--source needs --group', 'probe');

  if (sub === 'join' || sub === 'leave') {
    if (group === null) throw new UsageError(`probe ${sub} needs --group`, 'probe');
    const r = await probeSendRun(sub, { iface, version, group, sources });
    io.stdout.write(`sent ${describeIgmp(r.sent)} from ${r.from} on ${iface} to ${r.to}\n`);
    return 0;
  }

  const intr = interruptSignal(io);
  try {
    if (sub === 'listen') {
      const waitMs = typeof v.wait === 'string' ? secondsOption(v.wait, '--wait', 'probe') : 0;
      if (!v.json) io.stderr.write(`listening for IGMP on ${iface}${waitMs ? ` for ${waitMs / 1000}s` : ''}; Ctrl-C to stop\n`);
      const seen = await probeListenRun({
        iface, waitMs, signal: intr.signal, onMessage: v.json ? undefined : (a) => io.stdout.write(describeAnswer(a) + '\n'),
      });
      if (v.json) io.stdout.write(JSON.stringify({ iface, messages: seen.map(answerJson) }, null, 2) + '\n');
      return 0;
    }
    const waitMs = typeof v.wait === 'string' ? secondsOption(v.wait, '--wait', 'probe') : 3000;
    const r = await probeQueryRun({
      iface, version, group, sources, waitMs, signal: intr.signal,
      onSent: v.json ? undefined : (sent, from) =>
        io.stdout.write(`sent ${describeIgmp(sent)} from ${from} on ${iface}; listening ${waitMs / 1000}s\n`),
      onAnswer: v.json ? undefined : (a) => io.stdout.write(describeAnswer(a) + '\n'),
    });
    if (v.json) {
      io.stdout.write(JSON.stringify({ iface: r.iface, from: r.from, sent: r.sent, answers: r.answers.map(answerJson) }, null, 2) + '\n');
      return 0;
    }
    io.stdout.write(summary(r.answers));
    return 0;
  } finally {
    intr.dispose();
  }
}

function summary(answers: Answer[]): string {
  const hosts = new Set(answers.filter((a) => a.message.type !== 'query').map((a) => a.from));
  const queriers = new Set(answers.filter((a) => a.message.type === 'query').map((a) => a.from));
  const lines = [`${hosts.size} host${hosts.size === 1 ? '' : 's'} answered${hosts.size ? ': ' + [...hosts].join(', ') : ''}`];
  if (queriers.size) lines.push(`other queriers heard: ${[...queriers].join(', ')}`);
  return lines.join('\n') + '\n';
}

/** For tests and the daemon's own docs: the verbs and their help. */
export const CLI_VERBS: Readonly<Record<string, { summary: string; help: string }>> = VERBS;
