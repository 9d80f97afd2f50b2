// The demo (npm start) end to end in its short form, plain-line output: the lab is built, hosts join and leave,
// the receivers' measured rates follow the script, and everything is removed afterwards.

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
    expect(last.hubPps).toBeGreaterThan(800);
    expect(host('r2').appPps).toBeGreaterThan(350);
    expect(host('r2').appPps).toBeLessThan(650);
    expect(host('r3').appPps).toBeGreaterThan(350);
    expect(host('r1').appPps).toBeLessThan(20);
    // Filtering: r1's wire carries (almost) nothing once it has left (queries and reports only).
    expect(host('r1').wirePps ?? 0).toBeLessThan(20);
    // Totals: every receiver got less on the wire than a hub would have delivered.
    expect(r.hubTotal).toBeGreaterThan(10_000);
    for (const t of r.totals) expect(t.wire).toBeLessThan(r.hubTotal);
    expect(text).toContain('lab removed');
    expect((await listNetns()).filter((n) => n.startsWith(`igd-${process.pid}-`))).toEqual([]);
  });
});
