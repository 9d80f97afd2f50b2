// The demo (npm start) end to end in its short form, plain-line output: the lab is built, hosts join and leave,
// the receivers' measured rates follow the script (relative to the sender's: no absolute rates, which depend on the
// machine's load), and everything is removed afterwards.

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { listNetns } from '../../src/lab/index.js';
import { runDemo, type DemoSwitch } from '../../src/lab/demo.js';
import { switchesUnderTest } from './harness.js';

describe.each(switchesUnderTest())('demo: $title', ({ kind, skip }) => {
  it.skipIf(skip !== null)('runs the script and shows filtering measured at the receivers', async () => {
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const r = await runDemo({ switch: kind as DemoSwitch, durationS: 18, out, tty: false, handleSignals: false });
    expect(r.error).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.events.map((e) => e.text).join('\n')).toContain('r3 joins 239.2.2.2 from 192.0.2.10');
    expect(r.events).toHaveLength(9);
    // At the end: r2 holds 239.1.1.1, r3 holds 239.2.2.2 from the sender; r1 left long ago.
    const last = r.samples.at(-1)!;
    const host = (n: string) => last.hosts.find((h) => h.name === n)!;
    // Rates relative to what a flooding hub puts on every port at that moment (both groups), not absolute figures:
    // a loaded machine sends and forwards fewer packets, the filtering is the same.
    const hub = last.hubPps;
    expect(hub).toBeGreaterThan(0);
    // r2 and r3 are members of one group each: they receive it (about half the hub's rate) and not the other one.
    for (const member of ['r2', 'r3']) expect(host(member).appPps, member).toBeGreaterThan(hub / 4);
    expect(host('r2').appPps).toBeLessThan((hub * 3) / 4);
    // r1 left long ago: nothing reaches its sockets, and its wire carries (almost) nothing (queries and reports only).
    expect(host('r1').appPps).toBeLessThan(hub / 50);
    expect(host('r1').wirePps ?? 0).toBeLessThan(hub / 20);
    // Totals: every receiver got less on the wire than a hub would have delivered.
    expect(r.hubTotal).toBeGreaterThan(0);
    for (const t of r.totals) expect(t.wire).toBeLessThan(r.hubTotal);
    expect(text).toContain('lab removed');
    expect((await listNetns()).filter((n) => n.startsWith(`igd-${process.pid}-`))).toEqual([]);
  });
});
