import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { count, REQUEST_METHODS, type CapturedFrame } from '../../../src/mgmt/api.js';
import { ControlError, request, stream } from '../../../src/mgmt/control-client.js';
import { startControlServer, type ControlServer } from '../../../src/mgmt/control-socket.js';
import { fakeApi, FIXTURE, traceAnswer, type FakeApi } from './fake-api.js';
import { hasCommand, isRoot, RawConn, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
let sock: string;
let api: FakeApi;
let server: ControlServer | null;
const conns: RawConn[] = [];

function raw(): RawConn {
  const c = new RawConn(sock);
  conns.push(c);
  return c;
}

beforeEach(async () => {
  tmp = tempDir();
  sock = path.join(tmp.dir, 'ctl.sock');
  api = fakeApi();
  server = await startControlServer({ path: sock, api });
});

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await server?.close();
  server = null;
  tmp.cleanup();
});

describe('requests', () => {
  it('round-trips every method', async () => {
    expect(await request(sock, 'groups')).toEqual(FIXTURE.groups);
    expect(await request(sock, 'ports')).toEqual(FIXTURE.ports);
    expect(await request(sock, 'routers')).toEqual(FIXTURE.routers);
    expect(await request(sock, 'querier')).toEqual(FIXTURE.querier);
    expect(await request(sock, 'fdb')).toEqual(FIXTURE.fdb);
    expect(await request(sock, 'stats')).toEqual(FIXTURE.stats);
    const p = { in: 'eth1', dst: '239.1.1.1', src: '10.0.0.5', vlan: 10 };
    expect(await request(sock, 'trace', p)).toEqual(traceAnswer(p));
    expect(await request(sock, 'reload')).toEqual({ ok: true, changes: ['snooping.query_interval 125s → 60s'] });
    expect(api.calls).toEqual([...REQUEST_METHODS.filter((m) => m !== 'trace' && m !== 'reload'), 'trace', 'reload']);
  });

  it('passes method errors through as the message, and the server keeps serving', async () => {
    api.reloadOutcome = new Error('config.yaml:12:5 snooping.robustness: must be at least 1');
    const err = await request(sock, 'reload').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect(err).toMatchObject({ kind: 'remote', code: 'failed', message: 'config.yaml:12:5 snooping.robustness: must be at least 1' });
    await expect(request(sock, 'trace', { in: 'nope', dst: '239.1.1.1' })).rejects.toThrow('no port named nope');
    expect(await request(sock, 'fdb')).toEqual(FIXTURE.fdb);
  });

  it('validates trace params before calling the API', async () => {
    for (const params of [{}, { in: 'eth1' }, { in: 'eth1', dst: 5 }, { in: 'eth1', dst: '239.1.1.1', vlan: 5000 }, { in: 'eth1', dst: '239.1.1.1', src: 7 }]) {
      await expect(request(sock, 'trace', params)).rejects.toMatchObject({ kind: 'remote', code: 'invalid-params' });
    }
    expect(api.calls).toEqual([]);
  });

  it('count() keeps exact counters as numbers and larger ones as decimal strings', () => {
    expect(count(12n)).toBe(12);
    expect(count(2n ** 53n - 1n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(count(2n ** 53n)).toBe('9007199254740992');
    expect(count(7)).toBe(7);
  });

  it('turns bigints in results into decimal strings', async () => {
    api.stats = async () => ({ ...FIXTURE.stats, engine: { big: 2n ** 64n - 1n } as unknown as Record<string, number> });
    const s = await request(sock, 'stats');
    expect(s.engine.big).toBe('18446744073709551615');
  });

  it('answers a client that sends its request and shuts down its side (nc -U style)', async () => {
    const c = raw();
    await c.connected();
    c.socket.end('{"id":1,"method":"routers"}\n');
    await c.until(() => c.closed);
    expect(c.reply(1)).toEqual({ id: 1, result: FIXTURE.routers });
  });

  it('answers pipelined requests on one connection, each with its id', async () => {
    const c = raw();
    c.write(['groups', 'ports', 'fdb'].map((m, i) => JSON.stringify({ id: `r${i}`, method: m })).join('\n') + '\n');
    await c.until(() => c.lines.length === 3);
    expect(c.reply('r0')).toEqual({ id: 'r0', result: FIXTURE.groups });
    expect(c.reply('r2')).toEqual({ id: 'r2', result: FIXTURE.fdb });
  });
});

describe('results written as they are made', () => {
  const row = (i: number) => ({
    ...FIXTURE.groups[0]!, group: `239.1.${(i >> 8) & 255}.${i & 255}`, timerMs: i, big: BigInt(i),
    port: i % 1000 === 0 ? `pört "ß" \u{1f600} ${'x'.repeat(i % 3000 === 0 ? 70_000 : 1)}` : 'p1', // multi-byte; some rows longer than a piece
  });
  const expected = (n: number) => Array.from({ length: n }, (_, i) => ({ ...row(i), big: String(i) }));

  it('writes an iterable that is not an array as the same one-line array, other replies after it, never inside', async () => {
    let made = 0;
    api.groups = async () => (function* () {
      for (let i = 0; i < 20_000; i++) { made++; yield row(i) as never; }
    })();
    const c = raw();
    c.write(['groups', 'fdb', 'groups', 'ports'].map((m, i) => JSON.stringify({ id: i, method: m })).join('\n') + '\n');
    await c.until(() => c.lines.length === 4);
    expect(made).toBe(40_000);
    expect(c.reply(0)).toEqual({ id: 0, result: expected(20_000) });
    expect(c.reply(2)).toEqual({ id: 2, result: expected(20_000) });
    expect(c.reply(1)).toEqual({ id: 1, result: FIXTURE.fdb });
    expect(c.reply(3)).toEqual({ id: 3, result: FIXTURE.ports });
    expect(await request(sock, 'groups')).toHaveLength(20_000);
  });

  it('writes an empty iterable as an empty array', async () => {
    api.groups = async () => new Set();
    expect(await request(sock, 'groups')).toEqual([]);
  });

  it('closes the connection when a row fails half-way (the line cannot become an error reply), and keeps serving', async () => {
    api.groups = async () => (function* () {
      yield row(0) as never;
      throw new Error('view failed');
    })();
    const c = raw();
    c.write('{"id":1,"method":"groups"}\n');
    await c.until(() => c.closed);
    expect(c.lines).toEqual([]);
    expect(await request(sock, 'fdb')).toEqual(FIXTURE.fdb);
  });
});

describe('client errors', () => {
  it('says the daemon is not running when nothing listens', async () => {
    const p = path.join(tmp.dir, 'none.sock');
    await expect(request(p, 'groups')).rejects.toThrow(`cannot connect to ${p}: is igmpswitch running?`);
  });

  it('times out on a server that never answers', async () => {
    const p = path.join(tmp.dir, 'mute.sock');
    const mute = net.createServer(() => {}).listen(p);
    await new Promise((r) => mute.once('listening', r));
    try {
      await expect(request(p, 'groups', {}, 200)).rejects.toMatchObject({ kind: 'timeout' });
    } finally {
      mute.close();
    }
  });
});

describe('socket file and directory', () => {
  it('creates the socket with mode 0600', () => {
    expect(lstatSync(sock).isSocket()).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
  });

  it('honours a configured mode and creates a missing directory 0700', async () => {
    const p = path.join(tmp.dir, 'a', 'b', 'ctl.sock');
    const s = await startControlServer({ path: p, api, mode: 0o660 });
    try {
      expect(statSync(p).mode & 0o777).toBe(0o660);
      expect(statSync(path.dirname(p)).mode & 0o777).toBe(0o700);
      expect(await request(p, 'fdb')).toEqual(FIXTURE.fdb);
    } finally {
      await s.close();
    }
    expect(existsSync(p)).toBe(false);
  });

  it('removes a stale socket left by a dead daemon', async () => {
    const p = path.join(tmp.dir, 'stale.sock');
    // A child listens and is killed: the socket file stays, nobody answers.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(p)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(lstatSync(p).isSocket()).toBe(true);
    const s = await startControlServer({ path: p, api });
    try {
      expect(await request(p, 'routers')).toEqual(FIXTURE.routers);
    } finally {
      await s.close();
    }
  });

  it('refuses to start over a live socket or a file that is not a socket', async () => {
    await expect(startControlServer({ path: sock, api })).rejects.toThrow(/in use: is another igmpswitch running\?/);
    const f = path.join(tmp.dir, 'file');
    writeFileSync(f, 'x');
    await expect(startControlServer({ path: f, api })).rejects.toThrow(/not a socket/);
    expect(existsSync(f)).toBe(true);
    expect(await request(sock, 'fdb')).toEqual(FIXTURE.fdb); // the first server is unharmed
  });

  it('close() removes the socket file and ends open streams', async () => {
    const h = stream(sock, 'subscribeControl', {}, () => {});
    await h.ready;
    await server!.close();
    server = null;
    await expect(h.done).rejects.toMatchObject({ kind: 'closed' });
    expect(existsSync(sock)).toBe(false);
    expect(api.subscribers).toBe(0);
  });
});

describe.runIf(isRoot() && hasCommand('setpriv'))('access control (as root: connects as nobody)', () => {
  /** Tries to connect as uid/gid 65534; resolves with the error code, or 'connected'. */
  function connectAsNobody(p: string): Promise<string> {
    return new Promise((resolve) => {
      const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `
        const c = require('net').createConnection(${JSON.stringify(p)});
        c.on('connect', () => { console.log('connected'); c.destroy(); });
        c.on('error', (e) => console.log(e.code));`]);
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.on('close', () => resolve(out.trim()));
    });
  }

  it('refuses a non-root user with EACCES (mode 0600), even with the directory open', async () => {
    chmodSync(tmp.dir, 0o755); // only the socket's own mode stands in the way now
    expect(await connectAsNobody(sock)).toBe('EACCES');
  });

  it('lets the user in when the configured mode allows it (the check above is the mode, not the harness)', async () => {
    chmodSync(tmp.dir, 0o755);
    const p = path.join(tmp.dir, 'open.sock');
    const s = await startControlServer({ path: p, api, mode: 0o666 });
    try {
      expect(await connectAsNobody(p)).toBe('connected');
    } finally {
      await s.close();
    }
  });
});

describe('garbage and misbehaving clients', () => {
  it('answers malformed lines with errors and keeps the connection', async () => {
    const c = raw();
    c.write('this is not json\n[1,2]\n{"method":"groups"}\n{"id":{},"method":"groups"}\n{"id":1}\n' +
      '{"id":2,"method":"nope"}\n{"id":3,"method":"__proto__"}\n{"id":4,"method":"constructor"}\n' +
      '{"id":5,"method":"groups","params":[1]}\n{"id":6,"method":"toString"}\n\n\r\n{"id":7,"method":"fdb"}\r\n');
    await c.until(() => c.reply(7) !== undefined);
    expect(c.lines[0]).toMatchObject({ id: null, error: { code: 'parse' } });
    expect(c.lines[1]).toMatchObject({ id: null, error: { code: 'invalid-request' } });
    expect(c.lines[2]).toMatchObject({ id: null, error: { code: 'invalid-request' } });
    expect(c.lines[3]).toMatchObject({ id: null, error: { code: 'invalid-request' } });
    expect(c.reply(1)).toMatchObject({ error: { code: 'invalid-request' } });
    for (const id of [2, 3, 4, 6]) expect(c.reply(id)).toMatchObject({ error: { code: 'unknown-method' } });
    expect(c.reply(5)).toMatchObject({ error: { code: 'invalid-params' } });
    expect(c.reply(7)).toEqual({ id: 7, result: FIXTURE.fdb });
    expect(c.closed).toBe(false);
  });

  it('drops a connection whose line exceeds the limit, and serves others', async () => {
    const c = raw();
    const big = Buffer.alloc(1.5 * 1024 * 1024, 0x61); // 1.5 MiB, no newline
    c.write(big);
    await c.until(() => c.closed);
    expect(c.lines).toEqual([{ id: null, error: { code: 'line-too-long', message: expect.any(String) } }]);
    expect(await request(sock, 'ports')).toEqual(FIXTURE.ports);
  });

  it('survives API methods that throw synchronously, return junk or return unserialisable values', async () => {
    api.groups = (() => { throw 'plain string'; }) as never;
    api.ports = (() => { throw { toString() { throw new Error('nested'); } }; }) as never;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    api.routers = async () => cyclic as never;
    await expect(request(sock, 'groups')).rejects.toThrow('plain string');
    await expect(request(sock, 'ports')).rejects.toMatchObject({ kind: 'remote' });
    await expect(request(sock, 'routers')).rejects.toThrow(/not JSON-serialisable/);
    expect(await request(sock, 'fdb')).toEqual(FIXTURE.fdb);
  });

  it('a client that sends many requests and reads nothing stalls only itself, and loses nothing', async () => {
    // Replies of ~100 kB each: the socket buffers fill quickly and the server must stop reading this client.
    const bigRows = Array.from({ length: 1000 }, (_, i) => ({ ...FIXTURE.fdb[0]!, mac: `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}` }));
    api.fdb = async () => bigRows;
    const greedy = raw();
    await greedy.connected();
    greedy.socket.pause();
    const n = 400;
    greedy.write(Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, method: 'fdb' })).join('\n') + '\n');
    await new Promise((r) => setTimeout(r, 300));
    // Another client is served meanwhile.
    expect(await request(sock, 'querier')).toEqual(FIXTURE.querier);
    expect(api.calls.filter((c) => c === 'fdb').length).toBeLessThan(n); // the server stopped reading the greedy one
    greedy.socket.resume();
    await greedy.until(() => greedy.lines.length === n, 20_000);
    expect(new Set(greedy.lines.map((l) => (l as { id: number }).id)).size).toBe(n);
  });

  it('fuzz: random byte lines never break the server or the connection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), async (chunks) => {
        const c = raw();
        for (const ch of chunks) c.write(ch);
        c.write('\n{"id":"alive","method":"querier"}\n');
        await c.until(() => c.reply('alive') !== undefined);
        expect(c.reply('alive')).toEqual({ id: 'alive', result: FIXTURE.querier });
        c.close();
      }),
      { numRuns: 150 },
    );
  });

  it('fuzz: random JSON requests get one well-formed reply each', async () => {
    const method = fc.oneof(
      fc.constantFrom(...REQUEST_METHODS, 'cancel', '__proto__', 'constructor', 'hasOwnProperty', 'subscribeControl'),
      fc.string(),
    );
    const req = fc.record({
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 })),
      method,
      params: fc.oneof(fc.constant(undefined), fc.object(), fc.anything()),
    }, { requiredKeys: ['id'] });
    await fc.assert(
      fc.asyncProperty(fc.oneof(req, fc.jsonValue()), async (value) => {
        const c = raw();
        const line = JSON.stringify(value);
        c.write(`${line}\n{"id":"alive","method":"fdb"}\n`);
        await c.until(() => c.reply('alive') !== undefined);
        for (const l of c.lines) {
          const o = l as Record<string, unknown>;
          expect('result' in o || 'error' in o || 'event' in o).toBe(true);
        }
        c.close();
      }),
      { numRuns: 200 },
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(api.subscribers).toBe(0); // streams opened by the fuzz ended with their connections
  });
});

describe('control frame stream', () => {
  const frame = (i: number, size = 64): CapturedFrame => ({
    time: 1_732_000_000_000 + i + 0.25, direction: i % 2 ? 'tx' : 'rx', port: `eth${i % 3}`, bytes: Uint8Array.from({ length: size }, (_, k) => (i + k) & 255),
  });

  it('delivers frames as sent, and unsubscribes when the client closes', async () => {
    const got: CapturedFrame[] = [];
    const h = stream(sock, 'subscribeControl', {}, (ev) => { if (ev.type === 'frame') got.push(ev.frame); });
    await h.ready;
    expect(api.subscribers).toBe(1);
    for (let i = 0; i < 5; i++) api.emit(frame(i));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([0, 1, 2, 3, 4].map((i) => frame(i)));
    h.close();
    await h.done;
    await new Promise((r) => setTimeout(r, 100));
    expect(api.subscribers).toBe(0);
  });

  it('cancel ends one stream and leaves the connection up', async () => {
    const c = raw();
    c.write('{"id":"s","method":"subscribeControl"}\n');
    await c.until(() => c.reply('s') !== undefined);
    expect(c.reply('s')).toEqual({ id: 's', result: { streaming: true } });
    c.write('{"id":"s","method":"subscribeControl"}\n'); // same id twice: refused
    c.write('{"id":"c","method":"cancel","params":{"id":"s"}}\n');
    c.write('{"id":"c2","method":"cancel","params":{"id":"s"}}\n');
    await c.until(() => c.reply('c2') !== undefined);
    expect(c.lines).toContainEqual({ id: 's', error: { code: 'invalid-request', message: expect.any(String) } });
    expect(c.reply('c')).toEqual({ id: 'c', result: { cancelled: true } });
    expect(c.reply('c2')).toEqual({ id: 'c2', result: { cancelled: false } });
    expect(api.subscribers).toBe(0);
  });

  it('drops frames for a client that does not read, and tells it how many', async () => {
    await server!.close();
    server = await startControlServer({ path: sock, api, streamHighWater: 64 * 1024 });
    const c = raw();
    c.write('{"id":1,"method":"subscribeControl"}\n');
    await c.until(() => c.reply(1) !== undefined);
    c.socket.pause();
    const total = 3000;
    for (let i = 0; i < total; i++) api.emit(frame(i, 1500));
    c.socket.resume();
    const count = (): { frames: number; dropped: number } => {
      let frames = 0;
      let dropped = 0;
      for (const l of c.lines) {
        const ev = (l as { event?: { type: string; count?: number } }).event;
        if (ev?.type === 'frame') frames++;
        if (ev?.type === 'dropped') dropped += ev.count!;
      }
      return { frames, dropped };
    };
    await c.until(() => { const k = count(); return k.frames + k.dropped === total; }, 10_000);
    expect(count().dropped).toBeGreaterThan(0);
  });
});
