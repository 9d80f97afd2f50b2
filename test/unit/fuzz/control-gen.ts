// Control messages for the control-plane fuzz: IGMP, PIM and MRD (and MLD for the IPv6 engine) built by the wire layer
// from small pools, so that state builds up (joins, leaves, elections, compat modes, limits), with invalid groups and
// sources mixed in.

import type { PortSnoopingConfig, SnoopingConfig } from '../../../src/snooping/config.js';
import { buildIpv4Frame, buildMldFrame } from '../../../src/wire/control-frame.js';
import * as mld from '../../../src/wire/mld.js';
import type { GroupRecord, IgmpRepr } from '../../../src/wire/igmp.js';
import * as mrd from '../../../src/wire/mrd.js';
import * as pim from '../../../src/wire/pim.js';
import { Rng } from './rng.js';

export const GROUPS = ['239.1.1.1', '239.1.1.2', '232.1.1.1', '239.255.255.250', '224.0.0.251', '224.0.0.1', '0.0.0.0',
  '10.0.0.1', '255.255.255.255', '239.0.0.7'];
export const SOURCES = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '198.51.100.1', '0.0.0.0', '239.1.1.1', '255.255.255.255'];
export const QUERIERS = ['192.0.2.250', '192.0.2.10', '10.0.0.1', '0.0.0.0', '192.0.2.254'];
export const PORTS = [1, 2, 3, 4];

export interface Preset {
  name: string;
  config: Partial<SnoopingConfig>;
  ports: Array<Partial<PortSnoopingConfig> & { index: number }>;
}

export const PRESETS: readonly Preset[] = [
  { name: 'defaults', config: {}, ports: PORTS.map((index) => ({ index })) },
  { name: 'limits', config: { maxGroups: 5 }, ports: [{ index: 1, maxGroups: 2 }, { index: 2, maxGroups: 3 }, { index: 3 }, { index: 4, maxGroups: 1 }] },
  { name: 'fast leave, own querier v3', config: { querier: { enabled: true, address: '192.0.2.100', version: 3 } }, ports: [{ index: 1, fastLeave: true }, { index: 2, fastLeave: true }, { index: 3 }, { index: 4 }] },
  { name: 'own querier v2, router modes', config: { querier: { enabled: true, address: '192.0.2.5', version: 2 }, lastMemberQueryIntervalMs: 500 }, ports: [{ index: 1, router: 'never' }, { index: 2, router: 'static' }, { index: 3 }, { index: 4 }] },
  { name: 'querier guard', config: { querierGuard: true }, ports: [{ index: 1, trusted: true }, { index: 2 }, { index: 3 }, { index: 4, trusted: true }] },
  { name: 'rate limit', config: { reportRateLimit: 3 }, ports: PORTS.map((index) => ({ index })) },
  { name: 'static groups, short timers', config: {
    staticGroups: [{ port: 3, vlan: 0, group: '239.1.1.1', source: null }, { port: 4, vlan: 0, group: '239.1.1.2', source: '192.0.2.1' }],
    robustness: 1, queryIntervalMs: 10_000, groupMembershipIntervalMs: 12_000, olderHostPresentIntervalMs: 12_000,
  }, ports: PORTS.map((index) => ({ index, maxGroups: 4 })) },
];

/** A control message of the engine's kinds, built by the wire layer from the small pools. */
export function controlMessage(r: Rng): { repr: IgmpRepr; dst: string; src: string } | { frame: (srcMac: string, vlan: number) => Uint8Array } {
  const group = (): string => (r.chance(0.8) ? GROUPS[r.int(4)]! : r.pick(GROUPS));
  const source = (): string => (r.chance(0.85) ? SOURCES[r.int(4)]! : r.pick(SOURCES));
  const host = `192.0.2.${r.range(1, 20)}`;
  switch (r.int(10)) {
    case 0: case 1: {
      const g = group();
      return { repr: { type: 'report', version: r.chance(0.7) ? 2 : 1, group: g }, dst: g, src: host };
    }
    case 2: return { repr: { type: 'leave', group: group() }, dst: '224.0.0.2', src: host };
    case 3: case 4: case 5: {
      const records: GroupRecord[] = [];
      const n = r.chance(0.05) ? r.range(20, 150) : r.range(0, 4);
      for (let i = 0; i < n; i++) {
        const sources: string[] = [];
        const ns = r.chance(0.05) ? r.range(60, 120) : r.range(0, 3);
        for (let j = 0; j < ns; j++) sources.push(ns > 10 ? `198.51.${(j >> 8) & 0xff}.${(j & 0xff) || 1}` : source());
        records.push({ recordType: r.chance(0.95) ? r.range(1, 6) : r.int(256), group: group(), sources });
      }
      return { repr: { type: 'v3-report', records }, dst: '224.0.0.22', src: host };
    }
    case 6: case 7: {
      const version = r.pick([1, 2, 3, 3] as const);
      const specific = r.chance(0.3) ? group() : '0.0.0.0';
      const q: IgmpRepr = {
        type: 'query', version, maxRespDs: version === 1 ? 0 : r.pick([1, 10, 100, 255]), group: version === 1 ? '0.0.0.0' : specific,
        suppress: version === 3 && r.chance(0.3), qrv: version === 3 ? r.int(8) : 0, qqiSec: version === 3 ? r.pick([0, 1, 10, 125, 31744]) : 0,
        sources: version === 3 && specific !== '0.0.0.0' && r.chance(0.3) ? [source(), source()] : [],
      };
      return { repr: q, dst: q.group === '0.0.0.0' ? '224.0.0.1' : q.group, src: r.pick(QUERIERS) };
    }
    case 8: {
      const holdtime = r.pick([0, 1, 105, 65535, null]);
      const src = r.pick(QUERIERS);
      return { frame: (srcMac, vlan) => buildIpv4Frame({ srcMac, src, dst: pim.ALL_PIM_ROUTERS_V4, vlan, protocol: 103, routerAlert: false,
        payload: pim.emit({ type: 'hello', holdtimeSec: holdtime, drPriority: 1, generationId: r.u32() }) }) };
    }
    default: {
      const src = r.pick(QUERIERS);
      const m: mrd.MrdRepr = r.chance(0.6)
        ? { type: 'advertisement', family: 4, advIntervalSec: r.pick([0, 1, 20, 255]), queryIntervalSec: 125, robustness: 2 } as mrd.MrdRepr
        : { type: r.chance(0.5) ? 'termination' : 'solicitation', family: 4 };
      return { frame: (srcMac, vlan) => buildIpv4Frame({ srcMac, src, dst: m.type === 'solicitation' ? mrd.ALL_ROUTERS_V4 : mrd.ALL_SNOOPERS_V4,
        vlan, protocol: 2, payload: mrd.emit(m) }) };
    }
  }
}


// ---- MLD (the IPv6 engine) ----

export const GROUPS6 = ['ff0e::1:1', 'ff0e::1:2', 'ff3e::1:1', 'ff02::1:ff00:1', 'ff02::1', 'ff01::1', '::', '2001:db8::1',
  'ff00::7', 'ff02::cc'];
export const SOURCES6 = ['2001:db8::1', '2001:db8::2', '2001:db8::3', 'fe80::9', '::', 'ff0e::1:1', '::1'];
/** Link-local queriers (and :: and a global address, which policing refuses). */
export const QUERIERS6 = ['fe80::fa', 'fe80::a', 'fe80::1', '::', '2001:db8::fe'];

/** PRESETS for the IPv6 engine: the same configurations with IPv6 querier addresses and static groups. */
export const PRESETS6: readonly Preset[] = PRESETS.map((p) => ({
  ...p,
  name: `MLD: ${p.name}`,
  config: {
    ...p.config,
    ...(p.config.querier ? { querier: { ...p.config.querier, address: `fe80::${p.config.querier.address.split('.')[3]}` } } : {}),
    ...(p.config.staticGroups ? {
      staticGroups: p.config.staticGroups.map((sg, i) => ({ ...sg, group: GROUPS6[i]!, source: sg.source === null ? null : SOURCES6[0]! })),
    } : {}),
  },
}));

/** An MLD message (MLDv1 report/Done, MLDv2 report, v1/v2 query) as a complete frame; sometimes breaking RFC 3810 §6.2. */
export function mldMessage(r: Rng): (srcMac: string, vlan: number) => Uint8Array {
  const group = (): string => (r.chance(0.8) ? GROUPS6[r.int(4)]! : r.pick(GROUPS6));
  const source = (): string => (r.chance(0.85) ? SOURCES6[r.int(4)]! : r.pick(SOURCES6));
  let src = r.chance(0.05) ? '::' : r.chance(0.05) ? '2001:db8::77' : `fe80::${r.range(1, 20).toString(16)}`;
  let message: mld.MldRepr;
  let dst: string;
  switch (r.int(8)) {
    case 0: case 1: { const g = group(); message = { type: 'report', version: 1, group: g }; dst = g; break; }
    case 2: message = { type: 'done', group: group() }; dst = mld.ALL_ROUTERS; break;
    case 3: case 4: case 5: {
      const records: GroupRecord[] = [];
      for (let i = 0, n = r.range(0, 4); i < n; i++) {
        const sources: string[] = [];
        for (let j = 0, ns = r.range(0, 3); j < ns; j++) sources.push(source());
        records.push({ recordType: r.chance(0.95) ? r.range(1, 6) : r.int(256), group: group(), sources });
      }
      message = { type: 'v2-report', records };
      dst = mld.ALL_MLDV2_ROUTERS;
      break;
    }
    default: {
      const version = r.pick([1, 2, 2] as const);
      const specific = r.chance(0.3) ? group() : mld.UNSPECIFIED;
      message = {
        type: 'query', version, maxRespMs: r.pick([0, 100, 1_000, 10_000, 3_000_000]), group: specific,
        suppress: version === 2 && r.chance(0.3), qrv: version === 2 ? r.int(8) : 0, qqiSec: version === 2 ? r.pick([0, 1, 10, 125, 31744]) : 0,
        sources: version === 2 && specific !== mld.UNSPECIFIED && r.chance(0.3) ? [source(), source()] : [],
      };
      src = r.pick(QUERIERS6);
      dst = specific === mld.UNSPECIFIED ? mld.ALL_NODES : specific;
    }
  }
  const hopLimit = r.chance(0.9) ? 1 : 64;
  const routerAlert = r.chance(0.9);
  // A destination that is not multicast would not reach the engine (the core drops it): use all-nodes instead.
  const to = dst.startsWith('ff') ? dst : mld.ALL_NODES;
  return (srcMac, vlan) => buildMldFrame({ srcMac, src, dst: to, vlan, hopLimit, routerAlert, message });
}
