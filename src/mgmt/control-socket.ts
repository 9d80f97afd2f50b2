// The control socket server: serves a ManagementApi as newline-delimited JSON on a Unix stream socket
// (wire format: control-protocol.ts).
//
// Who may connect. Node cannot read SO_PEERCRED, so the server does not check the peer's uid itself; the file system
// does. The socket file is created with mode 0600 (configurable, `management.socketMode`) and owned by the daemon's
// user, and connect(2) on a Unix socket needs write permission on the file: only that user and root (which bypasses
// file modes) get in; everyone else gets EACCES. The default directory /run/igmpswitch is created (or reset) to 0700
// as a second fence. A directory given in the config is created 0700 if missing and otherwise left as it is; it is
// the operator's to choose (e.g. a 0750 directory and a 0660 socket for a monitoring group).
// The socket is bound under umask 0177, so there is no moment when it exists with a looser mode than 0600.
//
// Robustness. Nothing a client sends can throw out of here: every line is parsed in a try, methods are looked up in
// an own-property table (no prototype walks), API failures become `{error}` replies, socket errors are swallowed
// per connection. Resource bounds per connection: one unfinished line ≤ maxLineBytes (then the connection is
// dropped), ≤ maxInFlight requests running (then the server stops reading until one finishes), ≤ maxWriteBuffer bytes
// of unread replies (then it stops reading until the client catches up); streamed frames beyond streamHighWater are
// dropped and counted, and the count is sent once the client catches up.

import net from 'node:net';
import { chmodSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SOCKET_PATH, REQUEST_METHODS, type CapturedFrame, type ManagementApi, type TraceParams } from './api.js';
import {
  LineSplitter, MAX_LINE_BYTES, encodeLine, encodeValue, STREAM_METHODS,
  type ControlResponse, type ErrorCode, type RequestId, type StreamEvent,
} from './control-protocol.js';

/** The subset of a pino logger the server uses. */
export interface ControlLog {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface ControlServerOptions {
  path: string;
  api: ManagementApi;
  /** File mode of the socket (default 0o600). */
  mode?: number;
  maxLineBytes?: number;
  /** Simultaneous connections (default 32); further connects are closed at once by the kernel accept path. */
  maxConnections?: number;
  /** Requests running at once per connection (default 16). */
  maxInFlight?: number;
  /** Unread reply bytes per connection before the server stops reading requests (default 8 MiB). */
  maxWriteBuffer?: number;
  /** Unread bytes per connection before streamed frames are dropped (default 1 MiB). */
  streamHighWater?: number;
  log?: ControlLog;
}

export interface ControlServer {
  readonly path: string;
  /** Connections open now. */
  readonly connections: number;
  /** Stops listening, closes every connection (ending their streams) and removes the socket file. */
  close(): Promise<void>;
}

const silentLog: ControlLog = { warn() {}, info() {}, debug() {} };

// Longest path a sockaddr_un holds on Linux (108 bytes including the terminating NUL).
const SUN_PATH_MAX = 107;

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const socketPath = path.resolve(opts.path);
  const mode = opts.mode ?? 0o600;
  const log = opts.log ?? silentLog;
  if (Buffer.byteLength(socketPath) > SUN_PATH_MAX) {
    throw new Error(`control socket path is too long (${Buffer.byteLength(socketPath)} bytes, at most ${SUN_PATH_MAX}): ${socketPath}`);
  }
  prepareDirectory(path.dirname(socketPath), log);
  await removeStaleSocket(socketPath, log);

  const limits: Limits = {
    maxLineBytes: opts.maxLineBytes ?? MAX_LINE_BYTES,
    maxInFlight: opts.maxInFlight ?? 16,
    maxWriteBuffer: opts.maxWriteBuffer ?? 8 << 20,
    streamHighWater: opts.streamHighWater ?? 1 << 20,
  };
  const connections = new Set<Connection>();
  // allowHalfOpen: a client may send its requests and shut down its side (`nc -U`, socat); replies still go out.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const conn = new Connection(socket, opts.api, limits, log, () => connections.delete(conn));
    connections.add(conn);
  });
  server.maxConnections = opts.maxConnections ?? 32;
  server.on('error', (err) => log.warn({ err }, 'control socket error'));

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`cannot listen on ${socketPath}: ${err.message}`));
    server.once('error', onError);
    // bind(2) happens synchronously inside listen(); the umask makes the socket file 0600 (or tighter) from birth.
    const oldMask = setUmask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      if (oldMask !== null) setUmask(oldMask);
    }
  });
  try {
    chmodSync(socketPath, mode);
  } catch (err) {
    server.close();
    try { unlinkSync(socketPath); } catch { /* gone */ }
    throw new Error(`cannot set mode ${mode.toString(8)} on ${socketPath}: ${(err as Error).message}`);
  }
  log.info({ path: socketPath, mode: '0' + mode.toString(8) }, 'control socket listening');

  let closing: Promise<void> | null = null;
  return {
    path: socketPath,
    get connections() { return connections.size; },
    close() {
      // libuv removes the socket file when the listening handle closes.
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of connections) c.destroy();
      });
      return closing;
    },
  };
}

function setUmask(mask: number): number | null {
  try {
    return process.umask(mask);
  } catch {
    return null; // worker threads cannot change the umask; the chmod after listen still applies
  }
}

function prepareDirectory(dir: string, log: ControlLog): void {
  let created = false;
  try {
    statSync(dir);
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    created = true;
  }
  if (!statSync(dir).isDirectory()) throw new Error(`control socket directory ${dir} is not a directory`);
  if (created || dir === path.dirname(DEFAULT_SOCKET_PATH)) {
    const st = statSync(dir);
    if ((st.mode & 0o777) !== 0o700 && st.uid === (process.getuid?.() ?? st.uid)) {
      chmodSync(dir, 0o700);
      if (!created) log.info({ dir }, 'control socket directory reset to mode 0700');
    }
  }
}

/** A socket file left behind by a daemon that died is removed; one that still answers means a second daemon. */
async function removeStaleSocket(socketPath: string, log: ControlLog): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new Error(`${socketPath} exists and is not a socket; not removing it`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.createConnection(socketPath);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${socketPath} is in use: is another igmpswitch running?`);
  unlinkSync(socketPath);
  log.info({ path: socketPath }, 'removed stale control socket');
}

interface Limits {
  maxLineBytes: number;
  maxInFlight: number;
  maxWriteBuffer: number;
  streamHighWater: number;
}

type Handler = (api: ManagementApi, params: unknown) => Promise<unknown>;

// Own-property table: a method name like "__proto__" or "constructor" finds nothing.
const HANDLERS: Readonly<Record<string, Handler>> = Object.freeze(Object.assign(Object.create(null) as Record<string, Handler>, {
  groups: (api: ManagementApi) => api.groups(),
  ports: (api: ManagementApi) => api.ports(),
  routers: (api: ManagementApi) => api.routers(),
  querier: (api: ManagementApi) => api.querier(),
  fdb: (api: ManagementApi) => api.fdb(),
  stats: (api: ManagementApi) => api.stats(),
  reload: (api: ManagementApi) => api.reload(),
  trace: (api: ManagementApi, params: unknown) => api.trace(traceParams(params)),
} satisfies Record<(typeof REQUEST_METHODS)[number], Handler>));

class ParamsError extends Error {}

/** Bytes of a streamed result written at a time (sendRows; a longer row gets a piece of its own). */
const ROWS_PIECE_BYTES = 64 * 1024;

/** Resolves when `socket` has written what it holds (or closed). */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

function traceParams(p: unknown): TraceParams {
  if (typeof p !== 'object' || p === null) throw new ParamsError('trace needs params {in, dst, src?, vlan?}');
  const o = p as Record<string, unknown>;
  if (typeof o.in !== 'string' || o.in === '') throw new ParamsError('trace: "in" (ingress port name) is required');
  if (typeof o.dst !== 'string' || o.dst === '') throw new ParamsError('trace: "dst" (destination address) is required');
  if (o.src !== undefined && o.src !== null && typeof o.src !== 'string') throw new ParamsError('trace: "src" must be a string');
  if (o.vlan !== undefined && o.vlan !== null && !(Number.isInteger(o.vlan) && (o.vlan as number) >= 0 && (o.vlan as number) <= 4094)) {
    throw new ParamsError('trace: "vlan" must be an integer 0..4094');
  }
  const out: TraceParams = { in: o.in, dst: o.dst };
  if (typeof o.src === 'string') out.src = o.src;
  if (typeof o.vlan === 'number') out.vlan = o.vlan;
  return out;
}

function isRequestId(v: unknown): v is RequestId {
  return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 256);
}

function messageOf(err: unknown): string {
  try {
    if (err instanceof Error) return String(err.message);
    return String(err);
  } catch {
    return 'unknown error';
  }
}

class Connection {
  private readonly splitter: LineSplitter;
  private readonly queue: string[] = [];
  private inFlight = 0;
  private closed = false;
  private readEnded = false;
  private readonly streams = new Map<RequestId, { unsubscribe: (() => void) | null; dropped: number }>();
  /** A result written a piece at a time (sendRows) is under way: other lines wait in `held` until it ends. */
  private writing: Promise<void> | null = null;
  private held: string[] = [];

  constructor(
    private readonly socket: net.Socket,
    private readonly api: ManagementApi,
    private readonly limits: Limits,
    private readonly log: ControlLog,
    private readonly onClosed: () => void,
  ) {
    this.splitter = new LineSplitter(limits.maxLineBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => { this.flushDropped(); this.pump(); });
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => log.debug({ err }, 'control connection error'));
    socket.on('close', () => this.cleanup());
  }

  destroy(): void {
    this.cleanup();
    this.socket.destroy();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    for (const s of this.streams.values()) this.unsubscribe(s);
    this.streams.clear();
    this.onClosed();
  }

  private unsubscribe(s: { unsubscribe: (() => void) | null }): void {
    const u = s.unsubscribe;
    s.unsubscribe = null;
    if (u) {
      try { u(); } catch (err) { this.log.warn({ err }, 'control stream unsubscribe failed'); }
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const lines = this.splitter.push(chunk);
    if (lines === 'too-long') {
      this.log.warn({ limit: this.limits.maxLineBytes }, 'control request line too long; dropping the connection');
      const line = encodeLine({ id: null, error: { code: 'line-too-long', message: `request line longer than ${this.limits.maxLineBytes} bytes` } });
      const socket = this.socket;
      this.cleanup();
      socket.end(line);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    for (const l of lines) this.queue.push(l);
    this.pump();
  }

  /** Runs queued lines while under the limits; stops reading from the socket while over them. */
  private pump(): void {
    while (!this.closed && this.queue.length > 0 && this.canRun()) {
      this.handleLine(this.queue.shift()!);
    }
    if (this.closed) return;
    if (this.queue.length > 0) this.socket.pause();
    else this.socket.resume();
    this.maybeEnd();
  }

  /**
   * The client shut down its sending side (or went away: a Unix socket shows both the same way). Streams end here,
   * so a streaming client must keep its side open; pending replies still go out, then the connection closes.
   */
  private onEnd(): void {
    this.readEnded = true;
    for (const s of this.streams.values()) this.unsubscribe(s);
    this.streams.clear();
    this.maybeEnd();
  }

  /** After the client shut down its sending side: close ours once every reply is out. */
  private maybeEnd(): void {
    if (this.readEnded && !this.closed && this.inFlight === 0 && this.queue.length === 0) {
      this.socket.end();
    }
  }

  private canRun(): boolean {
    return this.inFlight < this.limits.maxInFlight && this.socket.writableLength < this.limits.maxWriteBuffer;
  }

  private send(msg: ControlResponse): void {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return;
    let line: string;
    try {
      line = encodeLine(msg);
    } catch (err) {
      const id = 'id' in msg ? msg.id : null;
      line = encodeLine({ id, error: { code: 'failed', message: `result is not JSON-serialisable: ${messageOf(err)}` } });
    }
    if (this.writing !== null) this.held.push(line);
    else this.socket.write(line);
  }

  /** A result: an iterable that is not an array (a large table's rows) is written as it is made (sendRows). */
  private async reply(id: RequestId, result: unknown): Promise<void> {
    if (result !== null && typeof result === 'object' && !Array.isArray(result) && Symbol.iterator in result) {
      await this.sendRows(id, result as Iterable<unknown>);
    } else {
      this.send({ id, result });
    }
  }

  /**
   * `{"id": …, "result": [rows…]}` as one line, written in pieces of ROWS_PIECE_BYTES while the rows are made,
   * waiting for the client to read whenever more than streamHighWater bytes are unread: the rows are never all in
   * memory at once, as objects or as text (issue 12, item 5: `show groups` with 200 k groups was ~65 MB of garbage).
   * Each row's text is copied into the piece at once, so it dies young instead of living in a string being built.
   * A row that fails mid-line cannot become an error reply, so the connection is closed instead.
   */
  private async sendRows(id: RequestId, rows: Iterable<unknown>): Promise<void> {
    while (this.writing !== null) await this.writing;
    let finished!: () => void;
    this.writing = new Promise<void>((resolve) => { finished = resolve; });
    try {
      let piece = Buffer.allocUnsafe(ROWS_PIECE_BYTES);
      let at = piece.write(`{"id":${encodeValue(id)},"result":[`);
      let first = true;
      for (const row of rows) {
        if (this.closed || this.socket.destroyed) return;
        const text = first ? encodeValue(row) : `,${encodeValue(row)}`;
        first = false;
        if (at + Buffer.byteLength(text) > piece.length) {
          this.socket.write(piece.subarray(0, at));
          piece = Buffer.allocUnsafe(Math.max(ROWS_PIECE_BYTES, Buffer.byteLength(text)));
          at = 0;
          if (this.socket.writableLength > this.limits.streamHighWater) await drained(this.socket);
          if (this.closed || this.socket.destroyed) return;
        }
        at += piece.write(text, at);
      }
      if (this.closed || this.socket.destroyed) return;
      this.socket.write(piece.subarray(0, at));
      this.socket.write(']}\n');
    } catch (err) {
      this.log.warn({ err }, 'control reply failed while being written; connection closed');
      this.destroy();
    } finally {
      this.writing = null;
      finished();
      if (!this.closed && !this.socket.destroyed) for (const line of this.held) this.socket.write(line);
      this.held = [];
    }
  }

  private fail(id: RequestId | null, code: ErrorCode, message: string): void {
    this.send({ id, error: { code, message } });
  }

  private handleLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.fail(null, 'parse', 'request is not valid JSON');
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.fail(null, 'invalid-request', 'request must be an object {id, method, params}');
      return;
    }
    const req = msg as Record<string, unknown>;
    if (!isRequestId(req.id)) {
      this.fail(null, 'invalid-request', 'request needs an "id" (number or string)');
      return;
    }
    const id = req.id;
    if (typeof req.method !== 'string') {
      this.fail(id, 'invalid-request', 'request needs a "method" (string)');
      return;
    }
    const params = req.params;
    if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
      this.fail(id, 'invalid-params', '"params" must be an object');
      return;
    }
    const method = req.method;
    if ((STREAM_METHODS as readonly string[]).includes(method)) {
      this.subscribe(id);
      return;
    }
    if (method === 'cancel') {
      this.cancel(id, params);
      return;
    }
    const handler = Object.hasOwn(HANDLERS, method) ? HANDLERS[method] : undefined;
    if (!handler) {
      this.fail(id, 'unknown-method', `unknown method ${JSON.stringify(method.slice(0, 64))}`);
      return;
    }
    this.inFlight++;
    Promise.resolve()
      .then(() => handler(this.api, params))
      .then(
        (result) => this.reply(id, result),
        (err: unknown) => this.fail(id, err instanceof ParamsError ? 'invalid-params' : 'failed', messageOf(err)),
      )
      .catch((err: unknown) => this.log.warn({ err }, 'control reply failed'))
      .finally(() => {
        this.inFlight--;
        this.pump();
      });
  }

  private subscribe(id: RequestId): void {
    if (this.streams.has(id)) {
      this.fail(id, 'invalid-request', `a stream with id ${JSON.stringify(id)} is already open on this connection`);
      return;
    }
    const state = { unsubscribe: null as (() => void) | null, dropped: 0 };
    this.streams.set(id, state);
    const onFrame = (frame: CapturedFrame): void => {
      try {
        if (this.closed || this.streams.get(id) !== state) return;
        if (this.writing !== null || this.socket.writableLength > this.limits.streamHighWater) {
          state.dropped++;
          return;
        }
        this.flushDropped();
        const event: StreamEvent = {
          type: 'frame', time: frame.time, direction: frame.direction, port: frame.port,
          bytes: Buffer.from(frame.bytes.buffer, frame.bytes.byteOffset, frame.bytes.byteLength).toString('base64'),
        };
        this.send({ id, event });
      } catch (err) {
        this.log.debug({ err }, 'control stream frame not sent');
      }
    };
    Promise.resolve()
      .then(() => this.api.subscribeControl(onFrame))
      .then(
        (unsubscribe) => {
          if (typeof unsubscribe !== 'function') throw new Error('subscribeControl did not return an unsubscribe function');
          state.unsubscribe = unsubscribe;
          if (this.closed || this.streams.get(id) !== state) {
            this.unsubscribe(state); // the client went away (or cancelled) while we were subscribing
            return;
          }
          this.send({ id, result: { streaming: true } });
        },
        (err: unknown) => {
          if (this.streams.get(id) === state) this.streams.delete(id);
          this.fail(id, 'failed', messageOf(err));
          this.maybeEnd();
        },
      )
      .catch((err: unknown) => this.log.warn({ err }, 'control stream setup failed'));
  }

  private cancel(id: RequestId, params: unknown): void {
    const target = (params as { id?: unknown } | null | undefined)?.id;
    if (!isRequestId(target)) {
      this.fail(id, 'invalid-params', 'cancel needs params {id}');
      return;
    }
    const s = this.streams.get(target);
    if (s) {
      this.streams.delete(target);
      this.unsubscribe(s);
    }
    this.send({ id, result: { cancelled: s !== undefined } });
    this.maybeEnd();
  }

  /** Tells each stream how many frames it lost while the client was slow, once there is room again. */
  private flushDropped(): void {
    if (this.socket.writableLength > this.limits.streamHighWater) return;
    for (const [id, s] of this.streams) {
      if (s.dropped > 0) {
        const event: StreamEvent = { type: 'dropped', count: s.dropped };
        s.dropped = 0;
        this.send({ id, event });
      }
    }
  }
}
