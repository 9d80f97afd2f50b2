// Start igmpswitch as a child process inside the switch namespace:
//
//   ip netns exec NS [taskset -c CPU] node [nodeArgs…] <root>/bin/igmpswitch.js run --config <dir>/igmpswitch.yaml
//
// with a generated config (ports = the switch-side interfaces, management.socket and state.file in a fresh
// temporary directory, plus whatever the caller passes), wait for its JSON log line with "msg":"forwarding",
// stop it with SIGTERM and collect its output.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { nsExec, nsSpawn } from './netns.js';
import { cliPath, nodeBin, projectRoot } from './paths.js';
import { parseJsonLine, type ExitStatus, type LabProcess } from './proc.js';

export type ConfigObject = Record<string, unknown>;

export interface IgmpswitchOptions {
  /**
   * Extra configuration, deep-merged over the generated one (objects merge, arrays and scalars replace),
   * or a function that receives the generated config and returns the one to write.
   */
  config?: ConfigObject | ((generated: ConfigObject) => ConfigObject);
  /** Pin the daemon to this CPU (taskset -c). */
  cpu?: number | null;
  /** How long to wait for the "forwarding" line (default 30 s). */
  readyTimeoutMs?: number;
  /** Extra arguments for node, e.g. ['--cpu-prof']. */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Mirror the daemon's output to this stream (e.g. process.stderr) while it runs. */
  echo?: NodeJS.WritableStream | null;
  /** Keep the temporary directory (config, socket, state, log) after stop. */
  keepDir?: boolean;
  /**
   * Script run by node instead of <root>/bin/igmpswitch.js, with the same arguments (`run --config FILE`).
   * For tests of the harness itself with a stand-in daemon; the daemon-built check is skipped.
   */
  cli?: string;
}

export interface SwitchStop extends ExitStatus {
  /** Everything the daemon printed, stdout and stderr interleaved. */
  output: string;
}

export interface SwitchProcess {
  readonly kind: 'igmpswitch';
  readonly pid: number;
  readonly ns: string | null;
  readonly ports: readonly string[];
  /** Temporary directory with the config, the management socket and the state file. */
  readonly dir: string;
  readonly configPath: string;
  readonly config: ConfigObject;
  readonly socketPath: string;
  readonly stateFile: string;
  /** The exact argv used to start it. */
  readonly argv: readonly string[];
  readonly process: LabProcess;
  output(): string;
  /** The daemon's JSON log lines (pino). */
  logs(): Record<string, unknown>[];
  /** CPU time used so far (user, system), in seconds, from /proc/PID/stat. */
  cpuTime(): CpuTime | null;
  /** A management request (control-client if present, else the CLI). */
  request(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
  /** The group table (control socket method "groups", i.e. what `show groups --json` prints). */
  showGroups(): Promise<unknown>;
  /** SIGTERM, wait (then SIGKILL after timeoutMs, default 10 s); returns exit status and output. */
  stop(timeoutMs?: number): Promise<SwitchStop>;
}

export interface CpuTime {
  user: number;
  system: number;
  total: number;
}

export interface DaemonStatus {
  available: boolean;
  /** Why it cannot be started, when it cannot. */
  reason: string | null;
}

/**
 * The CLI script the harness runs: IGMPSWITCH_LAB_CLI if set (e.g. a build in another directory, such as
 * `tsc --outDir .lab-dist` → .lab-dist/cli/main.js), else <root>/bin/igmpswitch.js.
 */
export function labCliPath(): string {
  return process.env['IGMPSWITCH_LAB_CLI'] || cliPath();
}

/** Is the daemon built? It needs dist/daemon/run.js (the daemon) and dist/cli/main.js (what bin/ loads). */
export function daemonStatus(): DaemonStatus {
  const alt = process.env['IGMPSWITCH_LAB_CLI'];
  if (alt) {
    return existsSync(alt)
      ? { available: true, reason: null }
      : { available: false, reason: `IGMPSWITCH_LAB_CLI=${alt} does not exist` };
  }
  const root = projectRoot();
  const missing = ['dist/daemon/run.js', 'dist/cli/main.js'].filter((f) => !existsSync(join(root, f)));
  if (missing.length === 0) return { available: true, reason: null };
  return {
    available: false,
    reason: `igmpswitch daemon not built: ${missing.join(', ')} missing (run \`npm run build\` once the daemon exists)`,
  };
}

/** The config the harness writes before merging the caller's options. */
export function generatedConfig(ports: readonly string[], dir: string): ConfigObject {
  const io = labIo();
  return {
    ports: [...ports],
    management: { socket: join(dir, 'igmpswitch.sock') },
    state: { file: join(dir, 'state.json') },
    ...(io ? { dataplane: { io } } : {}),
  };
}

/**
 * The packet I/O method every lab switch runs on: `IGS_DATAPLANE_IO=af_xdp|af_packet|auto` (unset: the config
 * default). The namespace tests run once per method this way, not as copies: vitest project `netns-af_xdp`
 * (vitest.config.ts) sets it for the files of its back-end matrix.
 */
export function labIo(): string | undefined {
  const io = process.env['IGS_DATAPLANE_IO'];
  if (io === undefined || io === '') return undefined;
  if (io !== 'auto' && io !== 'af_xdp' && io !== 'af_packet') {
    throw new Error(`IGS_DATAPLANE_IO must be auto, af_xdp or af_packet, got "${io}"`);
  }
  return io;
}

/** The YAML text written for a config object. */
export function configYaml(config: ConfigObject, comment = ''): string {
  return `# written by src/lab/daemon-process.ts${comment ? ` ${comment}` : ''}\n${stringify(config)}`;
}

export function deepMerge(base: ConfigObject, extra: ConfigObject): ConfigObject {
  const out: ConfigObject = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    if (isPlainObject(b) && isPlainObject(v)) out[k] = deepMerge(b, v);
    else if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

function isPlainObject(v: unknown): v is ConfigObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isForwardingLine(line: string): boolean {
  const obj = parseJsonLine(line);
  if (obj) return obj['msg'] === 'forwarding';
  return line.includes('"msg":"forwarding"');
}

/** Start the daemon in namespace ns (null = current) bridging ports; resolves once it logs "forwarding". */
export async function startIgmpswitch(
  ns: string | null,
  ports: readonly string[],
  opts: IgmpswitchOptions = {},
): Promise<SwitchProcess> {
  if (!opts.cli) {
    const st = daemonStatus();
    if (!st.available) throw new Error(st.reason!);
  }
  const dir = mkdtempSync(join(tmpdir(), 'igmpswitch-lab-'));
  const base = generatedConfig(ports, dir);
  const config =
    typeof opts.config === 'function' ? opts.config(base) : opts.config ? deepMerge(base, opts.config) : base;
  const configPath = join(dir, 'igmpswitch.yaml');
  writeFileSync(configPath, configYaml(config, `for a namespace lab${ns ? ` (switch namespace ${ns})` : ''}`));
  const args = [...(opts.nodeArgs ?? []), opts.cli ?? labCliPath(), 'run', '--config', configPath];
  const proc = nsSpawn(ns, nodeBin(), args, {
    cpu: opts.cpu ?? null,
    cwd: opts.nodeArgs?.some((a) => a.startsWith('--cpu-prof')) ? dir : projectRoot(),
    env: opts.env ?? process.env,
    echo: opts.echo ?? null,
    label: 'igmpswitch',
  });
  const socketPath = String((config['management'] as ConfigObject | undefined)?.['socket'] ?? join(dir, 'igmpswitch.sock'));
  const stateFile = String((config['state'] as ConfigObject | undefined)?.['file'] ?? join(dir, 'state.json'));

  let stopped: Promise<SwitchStop> | null = null;
  const sw: SwitchProcess = {
    kind: 'igmpswitch',
    pid: proc.pid,
    ns,
    ports: [...ports],
    dir,
    configPath,
    config,
    socketPath,
    stateFile,
    argv: proc.argv,
    process: proc,
    output: () => proc.output(),
    logs: () => proc.json(),
    cpuTime: () => readCpuTime(proc.pid),
    request: (method, params = {}, timeoutMs = 5_000) => managementRequest(socketPath, method, params, timeoutMs, ns),
    showGroups: () => managementRequest(socketPath, 'groups', {}, 5_000, ns),
    stop: (timeoutMs = 10_000) => {
      stopped ??= (async () => {
        const status = await proc.stop('SIGTERM', timeoutMs);
        const output = proc.output();
        if (!opts.keepDir) {
          try {
            writeFileSync(join(dir, 'daemon.log'), output);
          } catch {
            /* dir gone */
          }
          rmSync(dir, { recursive: true, force: true });
        } else {
          writeFileSync(join(dir, 'daemon.log'), output);
        }
        return { ...status, output };
      })();
      return stopped;
    },
  };

  try {
    await proc.waitFor((line) => isForwardingLine(line) || undefined, opts.readyTimeoutMs ?? 30_000, 'the "forwarding" log line');
  } catch (e) {
    await sw.stop(2_000);
    throw new Error(
      `igmpswitch did not start (command: ${proc.argv.join(' ')})\nconfig ${configPath}:\n${stringify(config)}` +
        `${(e as Error).message}`,
    );
  }
  return sw;
}

/** utime/stime of a process, in seconds. */
export function readCpuTime(pid: number): CpuTime | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after the closing parenthesis are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const hz = 100; // USER_HZ is 100 on every Linux architecture Node supports
    const user = Number(rest[11]) / hz;
    const system = Number(rest[12]) / hz;
    return { user, system, total: user + system };
  } catch {
    return null;
  }
}

type RequestFn = (socketPath: string, method: string, params: unknown, timeoutMs: number) => Promise<unknown>;
let controlClient: RequestFn | null | undefined;

async function loadControlClient(): Promise<RequestFn | null> {
  if (controlClient !== undefined) return controlClient;
  try {
    // Written by the management work (src/mgmt/control-client.ts); optional here.
    const modPath = '../mgmt/control-client.js';
    const mod = (await import(modPath)) as { request?: RequestFn };
    controlClient = typeof mod.request === 'function' ? mod.request : null;
  } catch {
    controlClient = null;
  }
  return controlClient;
}

/**
 * A management request over the daemon's Unix socket (methods of src/mgmt/api.ts: groups, ports, routers,
 * querier, fdb, stats, trace, reload). Uses src/mgmt/control-client.ts when it loads (Unix sockets are
 * path-based, so no namespace switch is needed); otherwise runs `igmpswitch show <method> --json --socket …`
 * inside the switch namespace.
 */
export async function managementRequest(
  socketPath: string,
  method: string,
  params: Record<string, unknown> = {},
  timeoutMs = 5_000,
  ns: string | null = null,
): Promise<unknown> {
  const client = await loadControlClient();
  if (client) return client(socketPath, method, params, timeoutMs);
  const m = /^(?:show[._ ]?)?(groups|ports|routers|querier|fdb|stats)$/.exec(method);
  if (!m) throw new Error(`no control client (src/mgmt/control-client.ts) and no CLI mapping for method "${method}"`);
  return cliJson(ns, ['show', m[1]!, '--json', '--socket', socketPath], timeoutMs);
}

/** Run `node bin/igmpswitch.js ARGS` inside ns and parse its stdout as JSON. */
export async function cliJson(ns: string | null, args: readonly string[], timeoutMs = 10_000): Promise<unknown> {
  const r = await nsExec(ns, nodeBin(), [labCliPath(), ...args], { timeoutMs });
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`igmpswitch ${args.join(' ')}: output is not JSON:\n${r.stdout.slice(0, 500)}`);
  }
}
