// Network namespaces: unique per-run names, create/delete, exec inside, sysctl, and a sweep for leftovers
// of crashed runs. Everything goes through iproute2's `ip` (and procps' `sysctl`).
//
// Naming (so that two runs never collide and a crashed run can be recognised):
//   namespace  `<prefix>-<pid>-<rand>-<role>`      e.g. igs-48213-k3-sw, igs-48213-k3-h1
//   interface  `<prefix><pid base36><rand>p<n>`    e.g. igs11aak3p1 (at most 15 characters)
// <rand> is two base-36 characters; the pid tells sweepStale whether the owner is still alive.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { LabProcess, run, type RunOptions, type RunResult, type SpawnOptions } from './proc.js';

export const DEFAULT_PREFIX = 'igs';
const IFNAMSIZ = 15;

export interface RunTag {
  prefix: string;
  pid: number;
  rand: string;
  /** Short tag used in interface names: prefix + pid in base 36 + rand. */
  short: string;
}

let counter = 0;

/** A fresh tag for one lab. prefix: 1–4 lower-case letters/digits, starting with a letter. */
export function newRunTag(prefix = DEFAULT_PREFIX): RunTag {
  if (!/^[a-z][a-z0-9]{0,3}$/.test(prefix)) {
    throw new Error(`lab prefix must be 1-4 lower-case letters/digits starting with a letter, got "${prefix}"`);
  }
  // Random, plus a per-process counter so that two labs of the same process differ too.
  const n = (Math.floor(Math.random() * 36 * 36) + counter++ * 37) % (36 * 36);
  const rand = n.toString(36).padStart(2, '0');
  const short = `${prefix}${process.pid.toString(36)}${rand}`;
  return { prefix, pid: process.pid, rand, short };
}

export function nsName(tag: RunTag, role: string): string {
  if (!/^[A-Za-z0-9_.]+$/.test(role)) throw new Error(`bad namespace role "${role}" (letters, digits, _ and . only)`);
  return `${tag.prefix}-${tag.pid}-${tag.rand}-${role}`;
}

/** Interface name `<short><suffix>`; throws if longer than the kernel's 15 characters. */
export function ifName(tag: RunTag, suffix: string): string {
  const name = `${tag.short}${suffix}`;
  if (name.length > IFNAMSIZ) throw new Error(`interface name "${name}" is longer than ${IFNAMSIZ} characters`);
  return name;
}

// ---------------------------------------------------------------------------------------------------------

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Run a command inside a namespace (`ip netns exec NS cmd …`), or in the current one if ns is null. */
export function nsExec(ns: string | null, cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
  if (ns === null) return run(cmd, args, opts);
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** `ip [-n NS] args…` */
export function ip(ns: string | null, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
  return run('ip', ns === null ? args : ['-n', ns, ...args], opts);
}

/** `ip [-n NS] -j args…`, parsed. */
export async function ipJson<T = unknown>(ns: string | null, args: readonly string[]): Promise<T> {
  const r = await run('ip', ns === null ? ['-j', ...args] : ['-n', ns, '-j', ...args]);
  return JSON.parse(r.stdout || '[]') as T;
}

/**
 * Start a long-running process in a namespace. `ip netns exec` and `taskset` both exec, so the returned
 * process's pid is the command's own pid (usable for /proc/PID/stat and signals).
 */
export function nsSpawn(
  ns: string | null,
  cmd: string,
  args: readonly string[],
  opts: SpawnOptions & { cpu?: number | null } = {},
): LabProcess {
  let argv = [cmd, ...args];
  if (opts.cpu !== undefined && opts.cpu !== null) argv = ['taskset', '-c', String(opts.cpu), ...argv];
  if (ns !== null) argv = ['ip', 'netns', 'exec', ns, ...argv];
  return new LabProcess(argv[0]!, argv.slice(1), { label: opts.label ?? `${ns ?? 'root'}:${cmd}`, ...opts });
}

export async function createNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await ip(name, ['link', 'set', 'lo', 'up']);
}

export async function listNetns(): Promise<string[]> {
  // /run/netns is where `ip netns add` keeps its bind mounts; reading it avoids one exec.
  const dir = '/run/netns';
  if (!existsSync(dir)) return [];
  return readdirSync(dir);
}

/** Pids of processes inside a namespace. */
export async function netnsPids(name: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', name], { allowFail: true });
  return r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * Delete a namespace: SIGTERM the processes still inside (they were started by the lab), SIGKILL them
 * after graceMs, then `ip netns del`. The veth pairs inside die with the namespace.
 */
export async function deleteNetns(name: string, graceMs = 2_000): Promise<void> {
  let pids = await netnsPids(name);
  if (pids.length) {
    for (const p of pids) killQuiet(p, 'SIGTERM');
    const until = Date.now() + graceMs;
    while (Date.now() < until && (pids = pids.filter(alive)).length) await new Promise((r) => setTimeout(r, 50));
    for (const p of pids) killQuiet(p, 'SIGKILL');
  }
  await run('ip', ['netns', 'del', name], { allowFail: true });
}

/** Synchronous variant for the process 'exit' hook. */
export function deleteNetnsSync(name: string): void {
  const r = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
  for (const p of (r.stdout ?? '').split(/\s+/).filter(Boolean).map(Number)) killQuiet(p, 'SIGKILL');
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
}

function killQuiet(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** Is a process alive (a zombie waiting to be reaped counts as dead)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Write sysctls inside a namespace (`sysctl -q -w k=v …`). */
export async function sysctl(ns: string | null, settings: Record<string, string | number>): Promise<void> {
  const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  if (args.length) await nsExec(ns, 'sysctl', ['-q', '-w', ...args]);
}

export async function readSysctl(ns: string | null, key: string): Promise<string> {
  return (await nsExec(ns, 'sysctl', ['-n', key])).stdout.trim();
}

// ---------------------------------------------------------------------------------------------------------

export interface SweepResult {
  namespaces: string[];
  links: string[];
}

/**
 * Remove leftovers of crashed runs: namespaces named `<prefix>-<pid>-…` and root-namespace interfaces
 * named `<prefix><pid36>…p<n>`/`…br` whose owning pid is no longer alive (or all of them with
 * { all: true }). Processes still inside such a namespace are killed first.
 */
export async function sweepStale(prefix = DEFAULT_PREFIX, opts: { all?: boolean } = {}): Promise<SweepResult> {
  const out: SweepResult = { namespaces: [], links: [] };
  const nsRe = new RegExp(`^${escapeRe(prefix)}-(\\d+)-[0-9a-z]{2}-`);
  for (const name of await listNetns()) {
    const m = nsRe.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (!opts.all && (pid === process.pid || alive(pid))) continue;
    await deleteNetns(name, 500);
    out.namespaces.push(name);
  }
  const linkRe = new RegExp(`^${escapeRe(prefix)}([0-9a-z]+)[0-9a-z]{2}(?:p\\d+|br)$`);
  let links: { ifname: string }[] = [];
  try {
    links = await ipJson<{ ifname: string }[]>(null, ['link', 'show']);
  } catch {
    /* no ip -j: nothing to sweep */
  }
  for (const { ifname } of links) {
    const m = linkRe.exec(ifname);
    if (!m) continue;
    const pid = parseInt(m[1]!, 36);
    if (!opts.all && (pid === process.pid || alive(pid))) continue;
    await ip(null, ['link', 'del', ifname], { allowFail: true });
    out.links.push(ifname);
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Can this process build labs? Returns null if so, else the reason (not root, not Linux, no `ip`, no netns).
 * Probes by creating and deleting a throw-away namespace.
 */
export async function labUnavailableReason(): Promise<string | null> {
  if (process.platform !== 'linux') return `network-namespace labs need Linux (this is ${process.platform})`;
  if (!isRoot()) return 'network-namespace labs need root (ip netns, veth pairs); run as root, e.g. sudo';
  try {
    await run('ip', ['-V']);
  } catch {
    return '`ip` (iproute2) is not installed; .ci/run installs it';
  }
  const probe = nsName(newRunTag(), 'probe');
  try {
    await run('ip', ['netns', 'add', probe]);
  } catch (e) {
    return `cannot create a network namespace: ${(e as Error).message.split('\n').slice(-1)[0]}`;
  } finally {
    await run('ip', ['netns', 'del', probe], { allowFail: true });
  }
  try {
    await run('sysctl', ['-n', 'kernel.ostype']);
  } catch {
    return '`sysctl` (procps) is not installed; .ci/run installs it';
  }
  return null;
}

/** Can this kernel create 802.1Q sub-interfaces (ip link type vlan)? Probed in a throw-away namespace. */
export async function vlanSupported(): Promise<boolean> {
  const ns = nsName(newRunTag(), 'vlanprobe');
  try {
    await run('ip', ['netns', 'add', ns]);
    await ip(ns, ['link', 'add', 'd0', 'type', 'dummy']).catch(() =>
      ip(ns, ['link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1']),
    );
    const r = await ip(ns, ['link', 'add', 'link', 'd0', 'name', 'd0.10', 'type', 'vlan', 'id', '10'], { allowFail: true });
    return r.code === 0;
  } catch {
    return false;
  } finally {
    await run('ip', ['netns', 'del', ns], { allowFail: true });
  }
}
