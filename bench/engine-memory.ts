// Engine memory and absorb rate, without the daemon: how many bytes the snooping engine keeps per membership, and
// how fast it absorbs joins, for IPv4 (IGMPv3) and IPv6 (MLDv2) in one process, as the daemon runs them (one engine
// per family sharing one MDB budget).
//
// Each membership is created by one report frame built with the product's encoders (src/wire) and decoded with
// decodeControlFrame, as the daemon does: an IGMPv3 / MLDv2 report with one CHANGE_TO_EXCLUDE({}) record (a join)
// from one host per group, `--ports` ports per group. Reported per family: heap bytes per membership (after a full
// GC), reports/s absorbed (decode + receive), and the process RSS at the end.
//
//   node --expose-gc --import tsx bench/engine-memory.ts [--groups 100000] [--ports 1]
//   node --expose-gc --import tsx bench/engine-memory.ts --groups 200000 --ports 5      (1 M memberships)
//
// Targets (issue 12 item 5): ≤ 200 MB RSS with 100 k IPv4 + 100 k IPv6 groups (the daemon figure is
// bench/control-plane-e2e.ts (g)); 1 M memberships without failure; ≥ 50,000 reports/s absorbed per family.

import { parseArgs } from 'node:util';
import type { TableCommand } from '../src/dataplane/commands.js';
import { defaultPortConfig, defaultSnoopingConfig } from '../src/config/translate.js';
import { SnoopingEngine } from '../src/snooping/engine.js';
import { IPV4, IPV6, type AddressFamily } from '../src/snooping/family.js';
import { MdbBudget } from '../src/snooping/forwarding.js';
import { buildIgmpFrame, buildMldFrame, decodeControlFrame } from '../src/wire/control-frame.js';
import { RecordType } from '../src/wire/igmp.js';

const { values: args } = parseArgs({ options: { groups: { type: 'string' }, ports: { type: 'string' } }, strict: true });
const GROUPS = Number(args.groups ?? 100_000);
const PORTS = Number(args.ports ?? 1);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function heapMB(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function rssMB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

/** The i-th group and host of a family (distinct for i < 2^24). */
function groupOf(family: AddressFamily, i: number): string {
  return family.ip === 4
    ? `239.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
    : `ff05::${((i >> 16) & 0xffff).toString(16)}:${(i & 0xffff).toString(16)}`;
}

function hostOf(family: AddressFamily, i: number, port: number): string {
  return family.ip === 4 ? `10.${port}.${(i >> 8) & 255}.${(i & 255) || 1}` : `fe80::${port.toString(16)}:${(i & 0xffff).toString(16)}`;
}

function joinFrame(family: AddressFamily, i: number, port: number): Uint8Array {
  const record = { recordType: RecordType.CHANGE_TO_EXCLUDE_MODE, group: groupOf(family, i), sources: [] };
  const srcMac = '02:00:00:00:00:01';
  return family.ip === 4
    ? buildIgmpFrame({ srcMac, src: hostOf(family, i, port), dst: '224.0.0.22', vlan: 0, message: { type: 'v3-report', records: [record] } })
    : buildMldFrame({ srcMac, src: hostOf(family, i, port), dst: 'ff02::16', vlan: 0, message: { type: 'v2-report', records: [record] } });
}

const budget = new MdbBudget(1 << 24);
const ports = Array.from({ length: PORTS }, (_, i) => defaultPortConfig(i + 1, `p${i + 1}`));
const config = { ...defaultSnoopingConfig(), noQuerier: 'filter' as const, maxGroups: 0, reportRateLimit: 0, mdbCapacity: 1 << 24 };
function engineOf(family: AddressFamily): SnoopingEngine {
  return new SnoopingEngine({
    config, ports, family, mdbBudget: budget,
    tables: { apply: (_list: readonly TableCommand[]) => {} },
    frames: { send: () => {} },
    random: () => 0.5,
    querierMac: '02:00:00:00:00:fe',
  });
}

const rssStart = rssMB();
const heapStart = heapMB();
console.log(`start: heap ${heapStart.toFixed(1)} MB, RSS ${rssStart.toFixed(1)} MB; ${GROUPS} groups × ${PORTS} ports per family`);
export const engines: SnoopingEngine[] = [];
for (const family of [IPV4, IPV6]) {
  const engine = engineOf(family);
  engines.push(engine);
  const before = heapMB();
  let busyMs = 0;
  const CHUNK = 10_000;
  // Frames are built per chunk outside the timed part (the daemon receives them built).
  for (let p = 1; p <= PORTS; p++) {
    for (let first = 0; first < GROUPS; first += CHUNK) {
      const frames: Uint8Array[] = [];
      for (let i = first; i < Math.min(GROUPS, first + CHUNK); i++) frames.push(joinFrame(family, i, p));
      const t0 = performance.now();
      for (const f of frames) {
        const d = decodeControlFrame(f, 14);
        if (!d.ok) throw new Error(`bad frame: ${d.error.reason}`);
        engine.receive(d.value, p, 0, 0);
      }
      busyMs += performance.now() - t0;
    }
  }
  const memberships = engine.stats().memberships;
  if (memberships !== GROUPS * PORTS) throw new Error(`${family.protocol}: ${memberships} memberships, expected ${GROUPS * PORTS}`);
  const after = heapMB();
  const bytes = ((after - before) * 2 ** 20) / memberships;
  const rate = memberships / (busyMs / 1000);
  console.log(`${family.protocol}: ${memberships} memberships, heap +${(after - before).toFixed(1)} MB = ${bytes.toFixed(0)} B/membership; ` +
    `${Math.round(rate)} reports/s absorbed (target ≥ 50000: ${rate >= 50_000 ? 'met' : 'NOT met'}); RSS ${rssMB().toFixed(1)} MB`);
}
const total = engines.reduce((n, e) => n + e.stats().memberships, 0);
console.log(`end: ${total} memberships, heap ${heapMB().toFixed(1)} MB, RSS ${rssMB().toFixed(1)} MB`);
