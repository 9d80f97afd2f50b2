// One port on the packet I/O addon with nobody forwarding: frames queue in its socket until the test asks this
// process to receive. For checks of the receive path itself (buffer bound and counted drops, drain without poll).
//
//   ip netns exec <ns> node --import tsx receiver.ts '<json config>'
//   stdin:  "drain" | "once <timeoutMs>" | "quit"
//   stdout: {"type":"ready",rcvbuf} | {"type":"drained",frames,port,rx} | {"type":"received",n,ms,rx,port} (JSON lines;
//           ms: how long the receive() call took)

import { createInterface } from 'node:readline';
import { loadPacketAddon, type OpenPortOptions } from '../../../src/io/packet-addon.js';
import { loadCore } from '../../../src/dataplane/core.js';

export interface ReceiverConfig {
  port: string;
  maxBatch?: number;
  socket?: OpenPortOptions;
  busyPollUs?: number;
}

const out = (msg: unknown) => process.stdout.write(JSON.stringify(msg) + '\n');
const cfg = JSON.parse(process.argv[2] ?? '{}') as ReceiverConfig;
const addon = loadPacketAddon();
const maxBatch = cfg.maxBatch ?? 64;
const { memory, layout } = loadCore({ maxBatch, fdbCapacity: 16, mdbCapacity: 16 });
addon.attach(memory.buffer, layout);
if (cfg.busyPollUs !== undefined) addon.receiveTuning({ busyPollUs: cfg.busyPollUs });
const opened = addon.openPort(cfg.port, 0, cfg.socket);
out({ type: 'ready', rcvbuf: opened.rcvbuf, rxRingFrames: opened.rxRingFrames });

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'drain') {
    let frames = 0;
    for (let idle = 0; idle < 3;) {
      const n = addon.receive(maxBatch, 0);
      frames += n;
      idle = n === 0 ? idle + 1 : 0;
    }
    out({ type: 'drained', frames, port: addon.portStats(0), rx: addon.rxStats() });
  } else if (cmd === 'once') {
    const t0 = performance.now();
    const n = addon.receive(maxBatch, Number(arg ?? 0));
    const ms = performance.now() - t0;
    out({ type: 'received', n, ms, rx: addon.rxStats(), port: addon.portStats(0) });
  } else if (cmd === 'quit') {
    addon.closePort(0);
    process.exit(0);
  }
});
