// Client side of the control socket (wire format: control-protocol.ts). One connection per request or stream.

import net from 'node:net';
import type { CapturedFrame, MethodResults, RequestMethod } from './api.js';
import { LineSplitter, encodeLine, type ErrorCode, type StreamEvent } from './control-protocol.js';

// Replies can be large (a full `show groups`), unlike requests; this only bounds a broken server.
const MAX_REPLY_LINE_BYTES = 256 << 20;

export type ControlErrorKind = 'connect' | 'timeout' | 'remote' | 'protocol' | 'closed';

/** Everything that goes wrong talking to the daemon; `message` is ready to print. */
export class ControlError extends Error {
  constructor(
    message: string,
    readonly kind: ControlErrorKind,
    /** For kind 'remote': the server's error code. */
    readonly code?: ErrorCode,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

function connectError(socketPath: string, err: NodeJS.ErrnoException): ControlError {
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new ControlError(`cannot connect to ${socketPath}: is igmpswitch running?`, 'connect');
    case 'EACCES':
    case 'EPERM':
      return new ControlError(`cannot connect to ${socketPath}: permission denied (run as root or as the daemon's user)`, 'connect');
    case 'ENOTSOCK':
      return new ControlError(`cannot connect to ${socketPath}: not a socket`, 'connect');
    default:
      return new ControlError(`cannot connect to ${socketPath}: ${err.message}`, 'connect');
  }
}

let nextId = 1;

/** Opens a connection and feeds each reply object to `onMessage`; `onEnd` runs once, with the error if any. */
function open(
  socketPath: string,
  onMessage: (msg: Record<string, unknown>) => void,
  onEnd: (err: ControlError | null) => void,
): net.Socket {
  const socket = net.createConnection(socketPath);
  const splitter = new LineSplitter(MAX_REPLY_LINE_BYTES);
  let isConnected = false;
  let ended = false;
  const end = (err: ControlError | null): void => {
    if (ended) return;
    ended = true;
    socket.destroy();
    onEnd(err);
  };
  socket.once('connect', () => { isConnected = true; });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    end(isConnected ? new ControlError(`connection to ${socketPath} failed: ${err.message}`, 'closed') : connectError(socketPath, err));
  });
  socket.on('close', () => end(new ControlError(`${socketPath}: the daemon closed the connection`, 'closed')));
  socket.on('data', (chunk: Buffer) => {
    const lines = splitter.push(chunk);
    if (lines === 'too-long') {
      end(new ControlError(`${socketPath}: reply line too long`, 'protocol'));
      return;
    }
    for (const line of lines) {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        end(new ControlError(`${socketPath}: the daemon sent something that is not JSON`, 'protocol'));
        return;
      }
      if (typeof msg === 'object' && msg !== null) onMessage(msg as Record<string, unknown>);
      if (ended) return;
    }
  });
  return socket;
}

function remoteError(msg: Record<string, unknown>): ControlError | null {
  if (!('error' in msg)) return null;
  const e = msg.error as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : 'the daemon reported an error';
  return new ControlError(message, 'remote', typeof e?.code === 'string' ? (e.code as ErrorCode) : undefined);
}

/**
 * Sends one request and resolves with its result. Rejects with a ControlError: 'connect' (nobody listening,
 * permission), 'timeout', 'remote' (the method failed: message is the daemon's text), 'protocol' or 'closed'.
 */
export function request<M extends RequestMethod>(socketPath: string, method: M, params?: object, timeoutMs?: number): Promise<MethodResults[M]>;
export function request(socketPath: string, method: string, params?: object, timeoutMs?: number): Promise<unknown>;
export function request(socketPath: string, method: string, params: object = {}, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    let done = false;
    const finish = (err: ControlError | null, result?: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(result);
    };
    const socket = open(
      socketPath,
      (msg) => {
        if (msg.id !== id && msg.id !== null) return;
        const err = remoteError(msg);
        if (err) finish(err);
        else if (msg.id === id && 'result' in msg) finish(null, msg.result);
      },
      (err) => finish(err ?? new ControlError(`${socketPath}: connection closed`, 'closed')),
    );
    const timer = setTimeout(
      () => finish(new ControlError(`no answer from ${socketPath} within ${timeoutMs} ms`, 'timeout')),
      timeoutMs,
    );
    socket.write(encodeLine({ id, method, params }));
  });
}

export interface StreamHandle {
  /** Resolves when the daemon accepted the subscription; rejects like `request` (connect, remote, timeout). */
  readonly ready: Promise<void>;
  /** Resolves when the stream ends: after close(), or with a ControlError when the daemon goes away. */
  readonly done: Promise<void>;
  /** Ends the stream (closes the connection). */
  close(): void;
}

/**
 * Opens a stream (`subscribeControl`) and calls `onEvent` for each event until close(). Frames arrive decoded
 * (base64 → bytes); `{type:'dropped', count}` reports frames the daemon dropped because this client read too slowly.
 */
export function stream(
  socketPath: string,
  method: 'subscribeControl',
  params: object,
  onEvent: (event: { type: 'frame'; frame: CapturedFrame } | { type: 'dropped'; count: number }) => void,
  timeoutMs = 10_000,
): StreamHandle {
  const id = nextId++;
  let accepted = false;
  let closedByUs = false;
  let resolveReady!: () => void;
  let rejectReady!: (e: ControlError) => void;
  let resolveDone!: () => void;
  let rejectDone!: (e: ControlError) => void;
  const ready = new Promise<void>((res, rej) => { resolveReady = res; rejectReady = rej; });
  const done = new Promise<void>((res, rej) => { resolveDone = res; rejectDone = rej; });
  // A caller that awaits only one of them must not get an unhandled rejection from the other.
  ready.catch(() => {});
  done.catch(() => {});

  const socket = open(
    socketPath,
    (msg) => {
      if (msg.id !== id && msg.id !== null) return;
      const err = remoteError(msg);
      if (err) {
        socket.destroy();
        clearTimeout(timer);
        rejectReady(err);
        rejectDone(err);
        return;
      }
      if (!accepted && 'result' in msg) {
        accepted = true;
        clearTimeout(timer);
        resolveReady();
        return;
      }
      const ev = msg.event as StreamEvent | undefined;
      if (!ev || typeof ev !== 'object') return;
      if (ev.type === 'frame' && typeof ev.bytes === 'string') {
        const buf = Buffer.from(ev.bytes, 'base64');
        onEvent({
          type: 'frame',
          frame: {
            time: Number(ev.time), direction: ev.direction === 'tx' ? 'tx' : 'rx', port: String(ev.port),
            bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
          },
        });
      } else if (ev.type === 'dropped') {
        onEvent({ type: 'dropped', count: Number(ev.count) });
      }
    },
    (err) => {
      clearTimeout(timer);
      if (closedByUs) {
        resolveReady();
        resolveDone();
        return;
      }
      const e = err ?? new ControlError(`${socketPath}: connection closed`, 'closed');
      rejectReady(e);
      if (accepted && e.kind === 'closed') rejectDone(new ControlError(`${socketPath}: the daemon closed the stream (did it stop?)`, 'closed'));
      else rejectDone(e);
    },
  );
  const timer = setTimeout(() => {
    const e = new ControlError(`no answer from ${socketPath} within ${timeoutMs} ms`, 'timeout');
    closedByUs = false;
    socket.destroy();
    rejectReady(e);
    rejectDone(e);
  }, timeoutMs);
  socket.write(encodeLine({ id, method, params }));
  return {
    ready,
    done,
    close() {
      closedByUs = true;
      clearTimeout(timer);
      socket.destroy();
      resolveReady();
      resolveDone();
    },
  };
}
