// The data-plane worker: the only writer of the Wasm tables.
// Loop: receive a batch straight into Wasm memory → one Wasm call decides every frame → one native call sends
// every port's list → punted control frames go to the main thread in one message → control-plane messages, link
// events and timers, when no frames wait (see run()). Nothing here allocates per frame; the loop never yields to the event loop, so messages are
// drained synchronously (receiveMessageOnPort) and the main thread interrupts a blocking receive with an eventfd.

import { getPriority, setPriority } from 'node:os';
import { workerData, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { monotonicMs } from './clock.js';
import { loadCore, type Core } from './core.js';
import { loadPacketAddon } from '../io/packet-addon.js';
import { PortSet, type PortInfo } from '../io/ports.js';
import { LinkMonitor } from '../io/link-monitor.js';
import { type ChangedSettings, type FromWorker, type ToWorker, type WorkerParams, type PortOpened } from './messages.js';
import { PUNT_COALESCE_MS, PuntCollector } from './punt-batch.js';
import { applyEncodedCommands, type CommandTarget, type EncodedCommands } from './command-codec.js';
import { DESC_TIME } from '../contract/constants.js';

const params = workerData.params as WorkerParams;
const channel = workerData.port as MessagePort;

/** Longest a receive() blocks when idle; link polling and FDB aging run at least this often. Commands wake it at once. */
const IDLE_POLL_MS = 100;
/**
 * FDB aging: the table is aged in FDB_AGE_PARTS steps, one every FDB_AGE_STEP_MS (a whole pass per second), so the
 * loop never stops for a scan of every slot (16 k entries = 32 k slots) between two batches.
 */
const FDB_AGE_PARTS = 16;
const FDB_AGE_STEP_MS = 1_000 / FDB_AGE_PARTS;
/**
 * Link-state safety poll (netlink notifications make changes immediate; this only catches a lost one). Lock-free
 * ioctls only (no ETHTOOL_GLINK, which takes rtnl_lock), and rarely: nothing but forwarding on this thread's path.
 */
const LINK_POLL_MS = 2_000;
/**
 * This thread runs first: it forwards ahead of the process's other threads (control plane, V8/libuv helpers) and of
 * ordinary processes, as ovs-vswitchd does (ovs-ctl's default priority -10). The control plane stays at the nice it
 * was started with, so its timers (a leave's last-member queries and expiry) keep time on a busy machine. Raising a
 * priority needs CAP_SYS_NICE (root; the systemd unit grants it).
 */
const DATAPLANE_THREAD_NICE = -10;
/**
 * Without that privilege the other threads step back instead: the same order inside the process (nice 0 against 10
 * is the weight ratio of -10 against 0), but then the control plane also yields to every other process of the host.
 */
const CONTROL_THREADS_NICE = 10;

function send(msg: FromWorker, transfer?: ArrayBuffer[]): void {
  channel.postMessage(msg, transfer ?? []);
}

const addon = loadPacketAddon();
let core: Core;
let ports!: PortSet;
let monitor!: LinkMonitor;
/** Ports the control plane allows (it drops ports by link state too; the core gets open ∧ allowed). */
let allowedMask = (1n << 64n) - 1n;

function applyActive(): void {
  let up = 0n;
  for (const p of ports.ports) if (p.open && monitor.isUp(p.index)) up |= 1n << BigInt(p.index);
  core.setActivePorts(up & allowedMask);
}

function opened(p: PortInfo): PortOpened {
  return { index: p.index, name: p.name, ifindex: p.ifindex, mac: p.mac, mtu: p.mtu, io: p.io, ...(p.xdpMode ? { xdpMode: p.xdpMode } : {}) };
}

/** The core as the commands' target, except the set of active ports: that is the control plane's half of it. */
const commandTarget: CommandTarget = {
  mdbSetKey: (vlan, keys, groupAt, sourceAt, ports) => core.mdbSetKey(vlan, keys, groupAt, sourceAt, ports),
  mdbDeleteKey: (vlan, keys, groupAt, sourceAt) => core.mdbDeleteKey(vlan, keys, groupAt, sourceAt),
  applyCommand: (c) => {
    if (c.op !== 'activePorts') return core.applyCommand(c);
    allowedMask = c.ports;
    return 0;
  },
};

function applyCommands(batch: EncodedCommands): void {
  const failed = applyEncodedCommands(batch, commandTarget);
  applyActive();
  if (failed > 0) send({ type: 'commandsFailed', count: failed });
}

/** Punted frames held for the next message to the main thread (punt-batch.ts). */
const punts = new PuntCollector();

/** Sends the punted frames held, stamped with the oldest one's receive time. */
function sendPunts(nowMs: number): void {
  const batch = punts.take(nowMs);
  send(batch, [batch.frames, batch.meta.buffer as ArrayBuffer]);
}

function ioStats(): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const p of ports.ports) if (p.open) out[p.index] = addon.portStats(p.index);
  return out;
}

/** Returns false when the worker must stop. */
function handle(msg: ToWorker, nowMs: number): boolean {
  switch (msg.type) {
    case 'commands': applyCommands(msg.batch); break;
    case 'inject':
      for (const p of ports.ports) {
        if (p.open && (msg.ports >> BigInt(p.index)) & 1n) {
          try { addon.inject(p.index, msg.frame); } catch { /* counted by the addon (injectErrors) */ }
        }
      }
      break;
    case 'addPort':
      try {
        ports.addSpec({ index: msg.index, name: msg.name, ...(msg.io ? { io: msg.io } : {}) });
        const info = ports.open(msg.index);
        monitor.check();
        applyActive();
        send({ type: 'portOpened', port: opened(info) });
      } catch (err) {
        send({ type: 'portError', index: msg.index, name: msg.name, message: (err as Error).message });
      }
      break;
    case 'removePort':
      try { ports.removeSpec(msg.index); } catch (err) { send({ type: 'warn', message: (err as Error).message }); }
      core.fdbFlush(msg.index);
      applyActive();
      break;
    case 'request': {
      let result: unknown;
      if (msg.what === 'counters') result = { core: core.counters(), io: ioStats(), rx: addon.rxStats() };
      else if (msg.what === 'fdb') result = core.fdbEntries(nowMs);
      else result = core.mdbEntries();
      send({ type: 'reply', id: msg.id, result });
      break;
    }
    case 'trace':
      try {
        send({ type: 'reply', id: msg.id, result: core.trace(msg.port, msg.frame, nowMs) });
      } catch (err) {
        send({ type: 'reply', id: msg.id, result: null, error: (err as Error).message });
      }
      break;
    case 'stop': return false;
  }
  return true;
}

/** Puts this thread ahead of the process's other threads (DATAPLANE_THREAD_NICE, else CONTROL_THREADS_NICE). */
function runFirst(): void {
  if (getPriority(0) <= DATAPLANE_THREAD_NICE) return;
  try {
    setPriority(0, DATAPLANE_THREAD_NICE); // pid 0: the calling thread (Linux niceness is per thread)
  } catch {
    addon.yieldOtherThreads(CONTROL_THREADS_NICE);
    send({ type: 'warn', message: `the data-plane thread may not raise its priority (no CAP_SYS_NICE): the control ` +
      `plane runs at nice ${CONTROL_THREADS_NICE} instead, and its timers wait when other processes keep the CPUs busy` });
  }
}

function run(): void {
  core = loadCore({ maxBatch: params.maxBatch, fdbCapacity: params.fdbCapacity, mdbCapacity: params.mdbCapacity });
  core.setFdbAgingMs(params.fdbAgingMs);
  addon.attach(core.memory.buffer, core.layout);
  if (params.cpu !== null) addon.pinThread(params.cpu);
  // The main thread's timers and garbage collection wait while this thread has frames (they share the CPU budget).
  runFirst();
  ports = new PortSet(params.ports, {
    addon, io: params.io, socket: { rxRing: params.rxRing ?? false }, warn: (message) => send({ type: 'warn', message }),
  });
  ports.openAll(); // all or nothing: a missing interface is a start-up error that names it
  monitor = new LinkMonitor(ports, { intervalMs: 0, netlink: true, carrier: false });
  monitor.on('change', (c) => {
    send({ type: 'link', kind: c.kind, index: c.index, name: c.name });
    if (c.kind === 'gone') core.fdbFlush(c.index);
  });
  monitor.on('reopenFailed', (e) => send({ type: 'warn', message: e.message }));
  monitor.start();
  applyActive();
  send({ type: 'ready', wakeFd: addon.wakeFd(), ports: ports.ports.map(opened),
    changedSettings: ports.savedSettings() as ChangedSettings });

  if (params.busyPollUs !== undefined) addon.receiveTuning({ busyPollUs: params.busyPollUs });
  // A batch's time is the one receive() wrote into its descriptors (the same coarse clock as nowMs()): read from
  // memory, so a batch costs no clock call. After a wake-up every call into the addon is a cold path of its own.
  const batchTimeMs = new Uint32Array(core.memory.buffer, core.layout.desc + DESC_TIME, 1);
  let lastSweep = addon.nowMs();
  let lastLinkPoll = lastSweep;
  /** Everything that is not forwarding: messages, link events, the link poll and an FDB aging step. */
  const housekeeping = (now: number): boolean => {
    addon.takeWake(); // what the wake-up announced is read now
    for (let m = receiveMessageOnPort(channel); m !== undefined; m = receiveMessageOnPort(channel)) {
      if (!handle(m.message as ToWorker, now)) return false;
    }
    if (monitor.service().length > 0 || ((now - lastLinkPoll) >>> 0) >= LINK_POLL_MS) {
      if (((now - lastLinkPoll) >>> 0) >= LINK_POLL_MS) { monitor.check(); lastLinkPoll = now; }
      applyActive();
    }
    if (((now - lastSweep) >>> 0) >= FDB_AGE_STEP_MS) {
      core.fdbAgeStep(now, FDB_AGE_PARTS);
      lastSweep = now;
    }
    return true;
  };
  // Housekeeping is kept off the path of frames that are on their way: it runs when nothing waits on the rings
  // (the thread is about to sleep or spin), at most once per millisecond, and while frames keep coming, once per
  // millisecond tick after the first one (never in the batches right after a wake-up: a ping's reply is on the
  // XSK ring when the kick's sendto returns, and is forwarded before it). Messages and netlink wake a blocking
  // receive (it returns 0: housekeeping at once), so a message waits at most one millisecond while frames flow.
  let now = lastSweep;
  let lastHousekeeping = now - 1;
  let wokeAt = now;
  let waited = true;
  let timeoutMs = IDLE_POLL_MS;
  const maxBatch = params.maxBatch;
  /**
   * One turn of the loop: batches until nothing waits on the rings (a ping's request and its reply, which is on the
   * ring when the request's kick returns, in one call), then housekeeping; false when the worker must stop. A
   * function of its own rather than the body of a loop that never returns: V8 optimises a function by its calls,
   * but such a loop only by on-stack replacement, and the first deoptimisation on a path not taken before (a punt,
   * a message, a link event) sent it back to unoptimised code for good at the rates of idle traffic (measured: an
   * idle ping then paid ≈ 15 µs more in the loop, and ≈ 4 µs for each return to an unoptimised caller between
   * request and reply).
   */
  const turn = (): boolean => {
    for (;;) {
      const n = addon.receive(maxBatch, timeoutMs);
      now = n > 0 ? batchTimeMs[0]! : addon.nowMs();
      if (waited) wokeAt = now;
      // The clock is read only where punted frames are involved (it allocates: process.hrtime.bigint), once.
      let receivedAtMs = 0;
      if (n > 0) {
        const punted = core.process(n, now);
        addon.transmit();
        // The control plane times a message's effects from its reception (RFC 3376 §6.4), not from whenever its
        // thread gets the CPU: the batch's receive time travels with it.
        if (punted > 0) punts.collect(core, receivedAtMs = monotonicMs());
      }
      timeoutMs = IDLE_POLL_MS;
      if (punts.count > 0) {
        const t = receivedAtMs || monotonicMs();
        if (punts.due(t, n === 0)) sendPunts(t);
        // Punted frames held: look without waiting (if nothing comes they go at once: a lone leave is not delayed),
        // or in a storm wait for more at most PUNT_COALESCE_MS (punt-batch.ts).
        else timeoutMs = punts.inStorm(t) ? PUNT_COALESCE_MS : 0;
      }
      waited = n === 0 || !addon.rxPending();
      // A wake-up that came with frames is not lost: receive() returned the frames, takeWake() says messages wait
      // (without it they waited for the next wake-up or the idle poll's 100 ms, e.g. a table command under traffic).
      if (waited ? n === 0 || now !== lastHousekeeping || addon.takeWake() : now !== lastHousekeeping && now !== wokeAt) {
        lastHousekeeping = now;
        if (!housekeeping(now)) return false;
      }
      if (waited) return true;
    }
  };
  while (turn());
}

try {
  run();
} catch (err) {
  send({ type: 'fatal', message: (err as Error).message });
} finally {
  try { (monitor as LinkMonitor | undefined)?.stop(); } catch { /* ignore */ }
  try { (ports as PortSet | undefined)?.closeAll(); } catch (err) { send({ type: 'warn', message: (err as Error).message }); }
  send({ type: 'stopped' });
}
