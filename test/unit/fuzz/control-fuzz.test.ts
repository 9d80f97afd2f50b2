// Fuzzing the control plane (issue 7, item 1, second half): frames through the real Wasm core as the daemon runs it,
// the punted ones through decodeControlFrame → engine.receive, with time steps in between; and any bytes at all
// straight into decodeControlFrame.
//
// Inputs: IGMP v1/v2/v3 reports, leaves and queries built by the wire layer from small pools (so state builds up:
// joins, leaves, elections, compat modes, limits) including invalid groups and sources (224.0.0.x, 0.0.0.0,
// unicast groups, multicast sources), unknown record types, huge source lists; PIM hellos (holdtime 0 too); MRD;
// MLD (half the runs use the IPv6 engine: MLDv1/v2 reports, Done, queries, ff02::1 / ff00::/15 / unicast groups,
// sources and queriers that RFC 3810 §5.1.14 / §6.2 policing refuses); each possibly mutated by a fuzz family (bit flips, IP field attacks, counts, cuts, tags, …). Engine
// configurations: defaults, per-port and global group limits, fast leave, own querier v2/v3, querier guard,
// report rate limit, router never/static, static groups.
//
// Invariants after every step:
//   - nothing throws (decode, receive, tick); the next deadline is a number, never NaN or in the past;
//   - the table commands the engine emitted are consistent: no delete of a missing MDB entry, and the MDB they
//     built is exactly what groups() implies (RFC 3376 §6.3 forwarding rules: INCLUDE sources, EXCLUDE minus Y,
//     statics) — no stale entry, no missing one;
//   - the router-port mask the data plane has is exactly the ports routers() lists; never a `never` port, and with
//     the querier guard never an untrusted learned one;
//   - limits hold: per-port memberships ≤ max_groups, all ≤ snooping.max_groups, ≤ 64 sources per port-group;
//     stats().memberships equals the membership rows groups() shows;
//   - only valid state exists: groups are IPv4 multicast outside 224.0.0.0/24 (IPv6: outside ff00::/15, not ff02::1),
//     sources unicast;
//   - frames the engine sends decode (checked by the harness) and go only to configured ports;
//   - at the end, with no more reports, every learned membership and router port expires: the MDB is back to the
//     static entries alone (nothing leaks).

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCore } from '../../../src/dataplane/core.js';
import { IPV4, IPV6 } from '../../../src/snooping/family.js';
import { buildIgmpFrame, decodeControlFrame } from '../../../src/wire/control-frame.js';
import { Harness } from '../snooping/harness.js';
import { FUZZ_CONTROL_FRAMES, FUZZ_SEED, Tally, timeoutFor } from './budget.js';
import { controlMessage, mldMessage, PORTS, type Preset, PRESETS, PRESETS6 } from './control-gen.js';
import { BASES, buildCase, fixChecksums, type Recipe, recipeArbitrary } from './frame-gen.js';
import { Rng } from './rng.js';

const bit = (p: number): bigint => 1n << BigInt(p);

/** The MDB groups() implies (src/snooping/forwarding.ts contract, restated from the views). */
function impliedMdb(h: Harness): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const g of h.engine.groups()) {
    if (g.ports.length === 0 && g.static.length === 0) continue;
    let staticStar = 0n;
    const staticBySource = new Map<string, bigint>();
    for (const s of g.static) {
      if (s.source === null) staticStar |= bit(s.port);
      else staticBySource.set(s.source, (staticBySource.get(s.source) ?? 0n) | bit(s.port));
    }
    let star = staticStar;
    const sources = new Set(staticBySource.keys());
    for (const p of g.ports) {
      if (p.mode === 'exclude') star |= bit(p.port);
      for (const s of p.sources) sources.add(s.address);
    }
    out.set(`${g.vlan}|${g.group}|*`, star);
    for (const s of sources) {
      let m = staticStar | (staticBySource.get(s) ?? 0n);
      for (const p of g.ports) {
        const rec = p.sources.find((x) => x.address === s);
        if (p.mode === 'include' ? rec !== undefined : rec === undefined || rec.forwarding) m |= bit(p.port);
      }
      if (m !== star) out.set(`${g.vlan}|${g.group}|${s}`, m);
    }
  }
  return out;
}

function checkInvariants(h: Harness, preset: Preset, where: () => string): void {
  const fail = (what: string): never => {
    throw new Error(`${what}\n  at ${where()}\n  groups ${JSON.stringify(h.engine.groups())}\n  mdb ${JSON.stringify([...h.dp.mdb], (_k, v) => (typeof v === 'bigint' ? v.toString(2) : v))}`);
  };
  // MDB = what the memberships imply.
  const want = impliedMdb(h);
  const have = h.dp.mdb;
  if (want.size !== have.size) fail(`MDB has ${have.size} entries, memberships imply ${want.size}`);
  for (const [k, v] of want) if (have.get(k) !== v) fail(`MDB entry ${k}: ${have.get(k)?.toString(2)} instead of ${v.toString(2)}`);
  // Router ports.
  const routers = h.engine.routers();
  let mask = 0n;
  for (const r of routers) if (r.static || r.learned.length > 0) mask |= bit(r.port);
  if (h.dp.routerPorts !== mask) fail(`router ports ${h.dp.routerPorts.toString(2)}, routers() says ${mask.toString(2)}`);
  for (const r of routers) {
    const pc = h.ports.find((p) => p.index === r.port);
    if (!pc) fail(`router port ${r.port} is not configured`);
    if (pc!.router === 'never' && (r.static || r.learned.length > 0)) fail(`port ${r.port} (router: never) is a router port`);
    if (h.config.querierGuard && !pc!.trusted && r.learned.length > 0) fail(`untrusted port ${r.port} learned as a router port with the querier guard on`);
  }
  // Limits and validity.
  const perPort = new Map<number, number>();
  let memberships = 0;
  for (const g of h.engine.groups()) {
    // IPv4: multicast outside 224.0.0.0/24; IPv6: multicast outside ff00::/15, not ff02::1 (src/wire/address.ts).
    if (h.family.classifyGroup(g.group) !== 'snooped') fail(`invalid group ${g.group} in the table`);
    for (const p of g.ports) {
      memberships++;
      perPort.set(p.port, (perPort.get(p.port) ?? 0) + 1);
      if (p.sources.length > 64) fail(`${p.sources.length} sources on ${g.group} port ${p.port}`);
      for (const s of p.sources) if (!h.family.validSource(s.address)) fail(`invalid source ${s.address} on ${g.group}`);
    }
  }
  for (const pc of h.ports) if (pc.maxGroups > 0 && (perPort.get(pc.index) ?? 0) > pc.maxGroups) fail(`port ${pc.index} holds ${perPort.get(pc.index)} > max_groups ${pc.maxGroups}`);
  if (h.config.maxGroups > 0 && memberships > h.config.maxGroups) fail(`${memberships} memberships > snooping.max_groups ${h.config.maxGroups}`);
  if (h.engine.stats().memberships !== memberships) fail(`stats().memberships ${h.engine.stats().memberships}, groups() shows ${memberships}`);
  // Deadlines.
  const next = h.engine.nextDeadline();
  if (Number.isNaN(next) || next < h.now) fail(`next deadline ${next} at now ${h.now}`);
  // Sent frames go to configured ports only.
  const all = h.ports.reduce((m, p) => m | bit(p.index), 0n);
  for (const s of h.sent) if ((s.ports & ~all) !== 0n || s.ports === 0n) fail(`frame sent to ports ${s.ports.toString(2)}`);
  void preset;
}

type Step =
  | { kind: 'igmp'; seed: number; port: number; vlan: number; mutate: Recipe | null }
  | { kind: 'fuzz'; recipe: Recipe; port: number }
  | { kind: 'tick'; ms: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('igmp' as const), seed: fc.integer({ min: 0, max: 0xffffffff }), port: fc.constantFrom(...PORTS),
    vlan: fc.constantFrom(0, 0, 0, 10), mutate: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: recipeArbitrary(['flip', 'cut']) }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fuzz' as const), recipe: recipeArbitrary(), port: fc.constantFrom(...PORTS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 300_000 })) }) },
);

const tally = new Tally();
afterAll(() => tally.print('control plane (decode + engine)'));

describe('control plane under fuzzed punted frames', () => {
  const core = loadCore({ maxBatch: 1, fdbCapacity: 256, mdbCapacity: 16 });
  core.setActivePorts(0b11110n);
  core.setPolicy('routers', 'snoop');
  core.setMldSnooping(true);
  const L = core.layout;
  let frames = 0;
  let punted = 0;
  let decodeErrors = 0;
  let maxMemberships = 0;

  it(`decode + engine keep their invariants: ${FUZZ_CONTROL_FRAMES} frames`, () => {
    const t0 = performance.now();
    // Each run snoops one family: IGMP (the IPv4 engine) or MLD (the IPv6 engine), with the same presets.
    const runArb = fc.record({ preset: fc.nat(PRESETS.length - 1), v6: fc.boolean(), steps: fc.array(stepArb, { minLength: 1, maxLength: 60 }) });
    let round = 0;
    while (frames < FUZZ_CONTROL_FRAMES) {
      fc.assert(fc.property(runArb, ({ preset: pi, v6, steps }) => {
        const preset = (v6 ? PRESETS6 : PRESETS)[pi]!;
        const h = new Harness({ config: preset.config, ports: preset.ports, start: 1_000, family: v6 ? IPV6 : IPV4 });
        let stepNo = 0;
        const where = (): string => `preset "${preset.name}", step ${stepNo}: ${JSON.stringify(steps[stepNo])}`;
        for (; stepNo < steps.length; stepNo++) {
          const s = steps[stepNo]!;
          if (s.kind === 'tick') {
            h.advance(s.ms);
            checkInvariants(h, preset, where);
            continue;
          }
          let bytes: Uint8Array;
          let length: number;
          if (s.kind === 'fuzz') {
            const c = buildCase(s.recipe, L.slotStride, L.slotHeadroom);
            bytes = c.bytes;
            length = Math.min(c.length, c.bytes.length);
          } else {
            const r = new Rng(s.seed);
            const m = v6 ? { frame: mldMessage(r) } : controlMessage(r);
            const srcMac = `02:00:00:00:00:${s.port.toString(16).padStart(2, '0')}`;
            bytes = 'frame' in m ? m.frame(srcMac, s.vlan)
              : buildIgmpFrame({ srcMac, src: m.src, dst: m.dst, vlan: s.vlan, routerAlert: r.chance(0.8), ttl: r.chance(0.9) ? 1 : 64, message: m.repr });
            length = bytes.length;
            if (s.mutate) {
              // Cut it short, or flip bits (and usually fix the checksums so the flip reaches the decoder).
              const mr = new Rng(s.mutate.seed);
              if (s.mutate.family === 'cut') length = mr.int(bytes.length + 1);
              else {
                bytes = bytes.slice();
                for (let i = 0, n = mr.range(1, 6); i < n; i++) bytes[mr.int(bytes.length)] ^= 1 << mr.int(8);
                if (mr.chance(0.7)) fixChecksums(bytes);
              }
            }
          }
          frames++;
          core.writeFrame(0, bytes.subarray(0, Math.min(bytes.length, L.slotSize)), s.port);
          if (length < bytes.length) core.writeDescriptor(0, core.slotAddress(0) + L.slotHeadroom, length, s.port);
          if (core.process(1, h.now >>> 0) === 0) continue;
          punted++;
          // As the daemon does (src/daemon/switch.ts onPunt): decode, count errors, else receive.
          const d = decodeControlFrame(core.puntBytes(0), core.puntL3Offset(0));
          if (!d.ok) {
            decodeErrors++;
            h.engine.noteDecodeError(d.error);
            continue;
          }
          h.next = h.engine.receive(d.value, s.port, core.puntVlan(0), h.now);
          checkInvariants(h, preset, where);
          maxMemberships = Math.max(maxMemberships, h.engine.stats().memberships);
        }
        // No more reports: everything learned expires; only static entries stay. A querier may have raised the
        // timers (RFC 3376 §4.1.6/§4.1.7: QRV up to 7, QQIC up to 31744 s, so a membership interval of ~62 h).
        h.clearSent();
        h.advance(2 * 3600_000);
        if (h.engine.stats().memberships > 0 || h.engine.routers().some((r) => r.learned.length > 0)) {
          h.clearSent();
          h.advance(3 * 24 * 3600_000);
        }
        checkInvariants(h, preset, () => `preset "${preset.name}", after 3 days of silence`);
        const staticKeys = new Set((preset.config.staticGroups ?? []).flatMap((sg) => [`${sg.vlan}|${sg.group}|*`, ...(sg.source ? [`${sg.vlan}|${sg.group}|${sg.source}`] : [])]));
        for (const k of h.dp.mdb.keys()) if (!staticKeys.has(k)) throw new Error(`MDB entry ${k} outlived every timer (preset "${preset.name}")`);
        if (h.engine.stats().memberships !== 0) throw new Error(`${h.engine.stats().memberships} memberships outlived every timer`);
        for (const r of h.engine.routers()) if (r.learned.length > 0) throw new Error(`router port ${r.port} outlived its timer`);
      }), { numRuns: Math.max(1, Math.ceil((FUZZ_CONTROL_FRAMES - frames) / 20)), seed: FUZZ_SEED === undefined ? undefined : FUZZ_SEED + round });
      round++;
    }
    tally.add(`engine: ${punted} punted, ${decodeErrors} undecodable, ≤${maxMemberships} memberships`, frames, performance.now() - t0);
    expect(punted).toBeGreaterThan(frames / 4);
  }, timeoutFor(FUZZ_CONTROL_FRAMES * 5));

  it(`decodeControlFrame never throws on any bytes at any L3 offset: ${FUZZ_CONTROL_FRAMES} frames`, () => {
    const t0 = performance.now();
    let n = 0;
    const arb = fc.record({ recipe: recipeArbitrary(), l3: fc.oneof(fc.constantFrom(14, 18, 22), fc.integer({ min: -5, max: 200 }), fc.double()) });
    while (n < FUZZ_CONTROL_FRAMES) {
      fc.assert(fc.property(arb, ({ recipe, l3 }) => {
        const c = buildCase(recipe, L.slotStride, L.slotHeadroom);
        const bytes = c.bytes.subarray(0, Math.min(c.length, c.bytes.length));
        const r = decodeControlFrame(bytes, l3);
        n++;
        return typeof r === 'object' && r !== null && typeof r.ok === 'boolean';
      }), { numRuns: FUZZ_CONTROL_FRAMES - n });
    }
    tally.add('decodeControlFrame on raw bytes', n, performance.now() - t0);
  }, timeoutFor(FUZZ_CONTROL_FRAMES));

  it('every base frame kind of the generator is a control or data frame the core accepts whole', () => {
    // A guard on the generator itself: valid bases are not dropped (so the mutations start from valid frames).
    core.setActivePorts(0b1111n);
    core.setPolicy('flood', 'snoop');
    core.setPortFlags(0n, 0n, 0b1111n);
    for (let b = 0; b < BASES.length; b++) {
      if (BASES[b]!.name.startsWith('pim, message cut')) continue;
      for (let seed = 0; seed < 30; seed++) {
        const c = buildCase({ family: 'valid', base: b, seed }, L.slotStride, L.slotHeadroom);
        core.writeFrame(0, c.bytes, 0);
        core.process(1, 1_000);
        const v = core.verdict(0);
        if (v.action === 'drop') expect(`${BASES[b]!.name} seed ${seed}: ${v.reason}`).toMatch(/mac_ip_mismatch|no_egress|same_port/);
      }
    }
  });
});
