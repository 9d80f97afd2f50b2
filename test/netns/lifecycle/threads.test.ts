// Who runs first (src/dataplane/worker.ts, runFirst): the data-plane thread at nice -10, ahead of the process's other
// threads and of ordinary processes, while the control plane keeps the nice it was started with, so that its timers
// (a leave's last-member queries and expiry) keep time on a busy machine. The lab runs the daemon as root, which may
// raise a thread's priority.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { daemonStatus } from '../../../src/lab/index.js';
import { labSkipReason, useLab } from '../harness.js';

const skip = labSkipReason ?? daemonStatus().reason;

/** Niceness of every thread of a process, by thread id (/proc/PID/task/TID/stat, field 19). */
function threadNice(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 on (the name may hold spaces)
    out.set(Number(tid), Number(fields[19 - 3]));
  }
  return out;
}

describe.skipIf(skip !== null)(`thread priorities of the daemon${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const lab = useLab(() => ({ hosts: [{ name: 'h1' }, { name: 'h2' }] }));

  it('the data-plane thread runs at nice -10; the main thread (control plane) stays at 0', () => {
    const pid = lab().switch!.pid;
    const nice = threadNice(pid);
    expect(nice.get(pid), 'main thread').toBe(0);
    expect([...nice.values()].filter((n) => n === -10), 'threads at nice -10').toHaveLength(1);
    expect([...nice.values()].every((n) => n === 0 || n === -10), `every thread at 0 or -10: ${[...nice.values()]}`).toBe(true);
  });
});
