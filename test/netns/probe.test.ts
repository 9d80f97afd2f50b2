// `igmpswitch probe` against a real Linux host: two namespaces joined by a veth pair, no switch in between.
// The host joins groups with `ip addr add G/32 dev X autojoin`; its kernel answers our queries.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNetns, deleteNetns, ifName, ip, labUnavailableReason, newRunTag, nsExec, nsName, type RunResult,
} from '../../src/lab/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const skip = await labUnavailableReason();

const tag = newRunTag();
const nsA = nsName(tag, 'prober');
const nsB = nsName(tag, 'host');
const ifA = ifName(tag, 'pa');
const ifB = ifName(tag, 'pb');
const addrA = '10.201.0.1';
const addrB = '10.201.0.2';

function probe(ns: string, args: string[]): Promise<RunResult> {
  return nsExec(ns, process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'probe', ...args], { cwd: ROOT, allowFail: true, timeoutMs: 60_000 });
}

interface Answer { from: string; to: string; message: { type: string; group?: string; records?: { recordType: number; group: string; sources: string[] }[] } }

function json(r: RunResult): { answers?: Answer[]; messages?: Answer[] } {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { answers?: Answer[]; messages?: Answer[] };
}

describe.skipIf(skip !== null)(`probe against a Linux host${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    await createNetns(nsA);
    await createNetns(nsB);
    await ip(null, ['link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    await ip(nsA, ['addr', 'add', `${addrA}/24`, 'dev', ifA]);
    await ip(nsB, ['addr', 'add', `${addrB}/24`, 'dev', ifB]);
    await ip(nsA, ['link', 'set', ifA, 'up']);
    await ip(nsB, ['link', 'set', ifB, 'up']);
    await ip(nsB, ['addr', 'add', '239.1.1.1/32', 'dev', ifB, 'autojoin']);
    await ip(nsB, ['addr', 'add', '239.2.2.2/32', 'dev', ifB, 'autojoin']);
  });

  afterAll(async () => {
    await deleteNetns(nsA);
    await deleteNetns(nsB);
  });

  it('a general IGMPv3 query lists the host and its groups', async () => {
    const r = json(await probe(nsA, ['query', '--iface', ifA, '--wait', '2', '--json']));
    const fromB = r.answers!.filter((a) => a.from === addrB && a.message.type === 'v3-report');
    expect(fromB.length).toBeGreaterThan(0);
    const groups = new Set(fromB.flatMap((a) => a.message.records!.map((x) => `${x.recordType} ${x.group}`)));
    expect(groups).toContain('2 239.1.1.1'); // MODE_IS_EXCLUDE {}: "any source"
    expect(groups).toContain('2 239.2.2.2');
    expect(fromB[0]!.to).toBe('224.0.0.22');
  });

  it('a group-specific query is answered for that group only', async () => {
    const r = json(await probe(nsA, ['query', '--iface', ifA, '--group', '239.2.2.2', '--wait', '2', '--json']));
    const records = r.answers!.filter((a) => a.from === addrB).flatMap((a) => a.message.records ?? []);
    expect(records.map((x) => x.group)).toContain('239.2.2.2');
    const none = json(await probe(nsA, ['query', '--iface', ifA, '--group', '239.9.9.9', '--wait', '1.5', '--json']));
    expect(none.answers!.filter((a) => a.from === addrB)).toEqual([]);
  });

  it('joins and leaves are heard by a listener on the other side', async () => {
    const listening = probe(nsB, ['listen', '--iface', ifB, '--wait', '15', '--json']);
    // The listener is up once it has joined 224.0.0.2 for v2 leaves (the host itself is no member of it): waiting
    // for that, not for a fixed time, copes with node + tsx starting slowly on a loaded machine.
    const deadline = Date.now() + 45_000;
    while (!(await ip(nsB, ['maddr', 'show', 'dev', ifB])).stdout.includes('224.0.0.2\n')) {
      if (Date.now() > deadline) throw new Error('the listener did not join 224.0.0.2 within 45 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    // The three senders at once: each is a node start, and all must land inside the listener's window.
    const [join, leaveSsm, leaveV2] = await Promise.all([
      probe(nsA, ['join', '--iface', ifA, '--group', '239.7.7.7']),
      probe(nsA, ['leave', '--iface', ifA, '--group', '232.7.7.7', '--source', '10.9.9.9']),
      probe(nsA, ['leave', '--iface', ifA, '--group', '239.7.7.7', '--version', '2']),
    ]);
    expect(join.stdout).toBe(`sent v3 report: to_ex 239.7.7.7 {} from ${addrA} on ${ifA} to 224.0.0.22\n`);
    expect(leaveSsm.code).toBe(0);
    expect(leaveV2.code).toBe(0);
    const heard = json(await listening).messages!.filter((m) => m.from === addrA);
    expect(heard).toContainEqual(expect.objectContaining({
      to: '224.0.0.22', message: { type: 'v3-report', records: [{ recordType: 4, group: '239.7.7.7', sources: [] }] } }));
    expect(heard).toContainEqual(expect.objectContaining({
      message: { type: 'v3-report', records: [{ recordType: 6, group: '232.7.7.7', sources: ['10.9.9.9'] }] } }));
    expect(heard).toContainEqual(expect.objectContaining({ to: '224.0.0.2', message: { type: 'leave', group: '239.7.7.7' } }));
  });

  // Last: an IGMPv2 query puts the host into IGMPv2 compatibility mode for a while.
  it('an IGMPv2 group query gets an IGMPv2 report, sent to the group', async () => {
    const r = json(await probe(nsA, ['query', '--iface', ifA, '--group', '239.1.1.1', '--version', '2', '--wait', '2', '--json']));
    expect(r.answers!.filter((a) => a.from === addrB)).toContainEqual(
      expect.objectContaining({ to: '239.1.1.1', message: { type: 'report', version: 2, group: '239.1.1.1' } }));
  });

  it('human output names who answered', async () => {
    const r = await probe(nsA, ['query', '--iface', ifA, '--group', '239.1.1.1', '--wait', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^sent v3 query: group 239\\.1\\.1\\.1, max response 1\\.5s from ${addrA.replace(/\./g, '\\.')} on ${ifA}; listening 2s\\n`));
    expect(r.stdout).toMatch(new RegExp(`\\+\\d\\.\\d\\ds  ${addrB.replace(/\./g, '\\.')}\\s+v2 report: 239\\.1\\.1\\.1\\n`));
    expect(r.stdout).toMatch(new RegExp(`1 host answered: ${addrB.replace(/\./g, '\\.')}\\n$`));
  });
});
