// The control socket's wire format, shared by the server (control-socket.ts) and the client (control-client.ts).
//
// Newline-delimited JSON over a Unix stream socket, one object per line, UTF-8:
//
//   → {"id": 1, "method": "groups", "params": {}}
//   ← {"id": 1, "result": [ …GroupRow… ]}
//   ← {"id": 1, "error": {"code": "internal", "message": "…"}}
//
// `id` is a number or string chosen by the client and echoed back; replies to different ids may come in any order.
// A line that is not a request gets an error with `"id": null`. A long result array (`groups`) is the same one line,
// written a piece at a time as the rows are made (no other reply is written inside it). Streaming (only `subscribeControl`):
//
//   → {"id": 7, "method": "subscribeControl", "params": {}}
//   ← {"id": 7, "result": {"streaming": true}}
//   ← {"id": 7, "event": {"type": "frame", "time": 1732461234567.123, "direction": "rx", "port": "eth1", "bytes": "<base64>"}}
//   ← {"id": 7, "event": {"type": "dropped", "count": 12}}        (frames not sent: the client read too slowly)
//   → {"id": 8, "method": "cancel", "params": {"id": 7}}          (or just close the connection)
//   ← {"id": 8, "result": {"cancelled": true}}

export type RequestId = number | string;

export interface ControlRequest {
  id: RequestId;
  method: string;
  params?: unknown;
}

export type ErrorCode =
  | 'parse'            // the line is not JSON
  | 'invalid-request'  // JSON, but not {id, method, params?}
  | 'unknown-method'
  | 'invalid-params'
  | 'busy'             // too many requests in flight on this connection (the server stops reading instead, normally)
  | 'line-too-long'    // sent just before the server drops the connection
  | 'failed';          // the method threw: message is its error text

export type StreamEvent =
  | { type: 'frame'; time: number; direction: 'rx' | 'tx'; port: string; bytes: string }
  | { type: 'dropped'; count: number };

export type ControlResponse =
  | { id: RequestId; result: unknown }
  | { id: RequestId | null; error: { code: ErrorCode; message: string } }
  | { id: RequestId; event: StreamEvent };

export const STREAM_METHODS = ['subscribeControl'] as const;

/** Longest request line the server accepts; a longer one gets `line-too-long` and the connection is closed. */
export const MAX_LINE_BYTES = 1 << 20;

/** JSON.stringify that writes bigints as decimal strings instead of throwing. */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** One reply or event line: encodeValue and the newline. */
export function encodeLine(value: unknown): string {
  return encodeValue(value) + '\n';
}

/**
 * Splits a byte stream into lines (without the `\n`, a trailing `\r` removed), never holding more than `maxBytes`
 * of an unfinished line. Empty lines are skipped.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The complete lines in `chunk` (with what was pending), or 'too-long' once a line exceeds the limit. */
  push(chunk: Buffer): string[] | 'too-long' {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      if (this.pendingBytes + (nl - start) > this.maxBytes) return 'too-long';
      let line: Buffer = chunk.subarray(start, nl);
      if (this.pending.length > 0) {
        line = Buffer.concat([...this.pending, line]);
        this.pending = [];
        this.pendingBytes = 0;
      }
      const text = line.toString('utf8');
      const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
      if (trimmed.length > 0) lines.push(trimmed);
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > this.maxBytes) return 'too-long';
      this.pending.push(chunk.subarray(start));
    }
    return lines;
  }
}
