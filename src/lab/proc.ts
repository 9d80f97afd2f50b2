// Child processes for the lab: one-shot commands (run) and long-running ones (LabProcess) whose stdout is
// read as lines (the agents print JSON lines). Every long-running process is tracked so that the lab's
// exit/signal hook can end it even when the caller forgets to.

import { execFile, spawn, type ChildProcess } from 'node:child_process';

export interface RunOptions {
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number;
  /** Text written to the command's stdin. */
  input?: string;
  /** Do not throw on a non-zero exit status. */
  allowFail?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    super(`command failed (exit ${result.code}): ${argv.join(' ')}${tail ? `\n${tail}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Run a command to completion; throws CommandError on a non-zero exit unless allowFail. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args as string[],
      {
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        let code = 0;
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
          if (e.code === 'ENOENT') {
            reject(new Error(`${cmd}: command not found (is it installed? .ci/run and bench/setup.sh install the lab's tools)`));
            return;
          }
          code = typeof e.code === 'number' ? e.code : e.killed ? 124 : 1;
        }
        const result = { code, stdout: String(stdout), stderr: String(stderr) };
        if (code !== 0 && !opts.allowFail) reject(new CommandError([cmd, ...args], result));
        else resolve(result);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Mirror the process's output (prefixed with its label) to this stream. */
  echo?: NodeJS.WritableStream | null;
  label?: string;
  /** Keep at most this many lines of output in memory (default 20 000). */
  maxLines?: number;
  /**
   * Run in its own process group and signal the whole group (for tools that fork workers and do not pass
   * signals on, such as trafgen).
   */
  processGroup?: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type LineListener = (line: string, stream: 'stdout' | 'stderr') => void;

/** A long-running child process whose output is collected as lines. */
export class LabProcess {
  readonly child: ChildProcess;
  readonly label: string;
  readonly argv: readonly string[];
  readonly exited: Promise<ExitStatus>;
  private readonly lines: { stream: 'stdout' | 'stderr'; line: string }[] = [];
  private readonly listeners = new Set<LineListener>();
  private status: ExitStatus | null = null;
  private readonly maxLines: number;
  private readonly group: boolean;

  constructor(cmd: string, args: readonly string[], opts: SpawnOptions = {}) {
    this.argv = [cmd, ...args];
    this.label = opts.label ?? cmd;
    this.maxLines = opts.maxLines ?? 20_000;
    this.group = opts.processGroup ?? false;
    this.child = spawn(cmd, args as string[], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: this.group,
    });
    liveProcesses.add(this);
    ensureHooks();
    const echo = opts.echo ?? null;
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      const source = this.child[stream];
      source?.setEncoding('utf8');
      source?.on('data', (chunk: string) => {
        partial += chunk;
        let nl: number;
        while ((nl = partial.indexOf('\n')) >= 0) {
          const line = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          this.push(stream, line, echo);
        }
      });
      source?.on('end', () => {
        if (partial) this.push(stream, partial, echo);
        partial = '';
      });
    }
    this.child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.status) return;
        this.status = { code, signal };
        liveProcesses.delete(this);
        resolve(this.status);
      };
      this.child.on('error', (err) => {
        this.push('stderr', `spawn error: ${err.message}`, echo);
        done(127, null);
      });
      // 'close' waits for stdio to drain, so every line has been seen when exited resolves.
      this.child.on('close', (code, signal) => done(code, signal));
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.status === null;
  }

  get exitStatus(): ExitStatus | null {
    return this.status;
  }

  private push(stream: 'stdout' | 'stderr', line: string, echo: NodeJS.WritableStream | null): void {
    this.lines.push({ stream, line });
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
    if (echo) echo.write(`[${this.label}] ${line}\n`);
    for (const l of this.listeners) l(line, stream);
  }

  /** Collected output, both streams interleaved in arrival order. */
  output(stream?: 'stdout' | 'stderr'): string {
    return this.lines
      .filter((l) => !stream || l.stream === stream)
      .map((l) => l.line)
      .join('\n');
  }

  /** Lines of stdout that parse as JSON objects. */
  json<T = Record<string, unknown>>(): T[] {
    const out: T[] = [];
    for (const l of this.lines) {
      if (l.stream !== 'stdout') continue;
      const v = parseJsonLine(l.line);
      if (v) out.push(v as T);
    }
    return out;
  }

  onLine(fn: LineListener): () => boolean {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Write one line to the process's stdin. */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /**
   * Resolve with the first line (already seen or future) for which pred returns a value other than
   * undefined/false. Rejects if the process exits first or the timeout passes.
   */
  waitFor<T>(
    pred: (line: string, stream: 'stdout' | 'stderr') => T | undefined | false,
    timeoutMs: number,
    what = 'expected output',
  ): Promise<T> {
    for (const l of this.lines) {
      const v = pred(l.line, l.stream);
      if (v !== undefined && v !== false) return Promise.resolve(v);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`));
      }, timeoutMs);
      const off = this.onLine((line, stream) => {
        const v = pred(line, stream);
        if (v !== undefined && v !== false) {
          clearTimeout(timer);
          off();
          resolve(v);
        }
      });
      void this.exited.then((st) => {
        clearTimeout(timer);
        if (off()) {
          reject(new Error(`${this.label}: exited (code ${st.code}, signal ${st.signal}) before ${what}\n${this.tail()}`));
        }
      });
    });
  }

  /** Wait for a JSON line on stdout matching pred. */
  waitForJson<T = Record<string, unknown>>(
    pred: (obj: Record<string, unknown>) => boolean,
    timeoutMs: number,
    what = 'a JSON line',
  ): Promise<T> {
    return this.waitFor((line, stream) => {
      if (stream !== 'stdout') return undefined;
      const v = parseJsonLine(line);
      return v && pred(v) ? (v as T) : undefined;
    }, timeoutMs, what);
  }

  tail(n = 15): string {
    return this.lines.slice(-n).map((l) => `  ${l.line}`).join('\n');
  }

  signal(sig: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.child.pid) return;
    if (this.group) {
      // The group may outlive its leader (forked workers): signal it even after the leader exited.
      try {
        process.kill(-this.child.pid, sig);
        return;
      } catch {
        /* no such group: fall through */
      }
    }
    if (this.running) {
      try {
        process.kill(this.child.pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** Send sig (default SIGTERM), wait up to timeoutMs, then SIGKILL. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 5_000): Promise<ExitStatus> {
    if (!this.running) return this.exitStatus!;
    this.signal(sig);
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    const st = await this.exited;
    clearTimeout(timer);
    return st;
  }
}

export function parseJsonLine(line: string): Record<string, unknown> | null {
  const s = line.trim();
  if (!s.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Clean-up registry: labs and processes that must not outlive this process.

const liveProcesses = new Set<LabProcess>();

export interface Cleanup {
  /** Best effort, asynchronous, graceful (SIGTERM, then delete). */
  cleanup(): Promise<void>;
  /** Last resort from the 'exit' hook: synchronous only (SIGKILL, spawnSync). */
  cleanupSync(): void;
}

const cleanups = new Set<Cleanup>();
let hooksInstalled = false;
let signalled = false;

export function registerCleanup(c: Cleanup): () => void {
  cleanups.add(c);
  ensureHooks();
  return () => cleanups.delete(c);
}

function killAllSync(): void {
  for (const p of liveProcesses) p.signal('SIGKILL');
  for (const c of [...cleanups]) {
    try {
      c.cleanupSync();
    } catch {
      /* keep going: the other labs must still go */
    }
  }
  cleanups.clear();
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function onSignal(sig: NodeJS.Signals): void {
  if (signalled) return;
  signalled = true;
  const others = process.listeners(sig).filter((l) => l !== signalHandlers.get(sig));
  const deadline = setTimeout(() => killAllSync(), 8_000);
  void (async () => {
    await Promise.allSettled([...cleanups].map((c) => c.cleanup()));
    clearTimeout(deadline);
    killAllSync();
    // If nobody else handles this signal, behave as the default action would: die by it.
    if (others.length === 0) {
      for (const s of SIGNALS) process.removeListener(s, signalHandlers.get(s)!);
      process.kill(process.pid, sig);
    }
  })();
}

const signalHandlers = new Map<NodeJS.Signals, () => void>();

function ensureHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const s of SIGNALS) {
    const h = (): void => onSignal(s);
    signalHandlers.set(s, h);
    process.on(s, h);
  }
}

/** True once SIGINT/SIGTERM/SIGHUP has been received (the labs are being torn down). */
export function interrupted(): boolean {
  return signalled;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
