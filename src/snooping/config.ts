// Configuration of the snooping engine, in engine units (milliseconds, port indices).
// src/config turns the YAML file (seconds, interface names) into these; the engine never sees YAML.
// Timer names and defaults: RFC 3376 §8 (IGMPv3, RFC 9776 §8) and RFC 2236 §8.

import type { UnregisteredPolicy } from '../dataplane/commands.js';

/** How a port takes part in router-port detection (Linux `mcast_router` 1/2/0). */
export type RouterMode = 'auto' | 'static' | 'never';

export interface PortSnoopingConfig {
  index: number;                 // 0..63, the data plane's port index
  name: string;                  // interface name, for logs and management
  router: RouterMode;            // auto: learned from queries/PIM/MRD; static: always; never: never a router port
  fastLeave: boolean;            // remove membership on leave at once (with explicit host tracking)
  floodAll: boolean;             // receive all multicast, registered or not
  floodReports: boolean;         // also receive membership reports and leaves (RFC 4541 2.1.1(1) override)
  floodUnregistered: boolean;    // receive unregistered multicast when the policy floods it
  maxGroups: number;             // memberships this port may hold; 0 = no per-port limit
  trusted: boolean;              // with querierGuard: queries/PIM/MRD from this port are believed
}

export interface StaticGroup {
  port: number;
  vlan: number;
  group: string;
  source: string | null;
}

export interface QuerierConfig {
  enabled: boolean;
  address: string;               // IPv4 source of own queries; 0.0.0.0 = proxy querier (loses every election)
  version: 2 | 3;                // IGMP version of own queries
}

export interface SnoopingConfig {
  enabled: boolean;
  robustness: number;                    // Robustness Variable, RFC 3376 §8.1 (default 2)
  queryIntervalMs: number;               // Query Interval, §8.2 (125 s)
  queryResponseIntervalMs: number;       // Query Response Interval, §8.3 (10 s)
  groupMembershipIntervalMs: number;     // GMI = RV·QI + QRI, §8.4 (260 s)
  otherQuerierPresentIntervalMs: number; // RV·QI + QRI/2, §8.5 (255 s)
  startupQueryIntervalMs: number;        // QI/4, §8.6 (31.25 s)
  startupQueryCount: number;             // RV, §8.7
  lastMemberQueryIntervalMs: number;     // LMQI, §8.8 (1 s)
  lastMemberQueryCount: number;          // LMQC = RV, §8.9
  olderHostPresentIntervalMs: number;    // RV·QI + QRI, §8.13 (260 s)
  routerTimeoutMs: number;               // how long a learned router port lives without refresh (= OQPI, as Linux)
  unregistered: UnregisteredPolicy;      // RFC 4541 2.1.2(3); default 'routers'
  noQuerier: 'flood' | 'filter';         // with no querier anywhere: flood all multicast (Linux) or keep filtering
  startupFloodMs: number;                // flood after start until this long after the first query (0 = off)
  adoptRobustnessMin: number;            // an adopted QRV (RFC 3376 §4.1.6) is raised to at least this
  adoptRobustnessMax: number;            // … and lowered to at most this
  adoptQueryIntervalMinMs: number;       // an adopted QQI (§4.1.7) is raised to at least this
  adoptQueryIntervalMaxMs: number;       // … and lowered to at most this
  maxGroups: number;                     // memberships overall; 0 = no limit
  mdbCapacity: number;                   // MDB entries the data plane holds ((*,G) and (S,G) alike); 0 = no limit
  querierGuard: boolean;                 // only trusted ports may become router ports / queriers
  reportRateLimit: number;               // membership messages per second per port accepted; 0 = no limit
  querier: QuerierConfig;
  staticGroups: StaticGroup[];
}

/** RFC 3376 §8 defaults, derived from the robustness variable and the query timers. */
export function deriveTimers(input: {
  robustness?: number;
  queryIntervalMs?: number;
  queryResponseIntervalMs?: number;
}): Pick<SnoopingConfig,
  'robustness' | 'queryIntervalMs' | 'queryResponseIntervalMs' | 'groupMembershipIntervalMs' |
  'otherQuerierPresentIntervalMs' | 'startupQueryIntervalMs' | 'startupQueryCount' |
  'lastMemberQueryIntervalMs' | 'lastMemberQueryCount' | 'olderHostPresentIntervalMs' | 'routerTimeoutMs'> {
  const rv = input.robustness ?? 2;
  const qi = input.queryIntervalMs ?? 125_000;
  const qri = input.queryResponseIntervalMs ?? 10_000;
  const gmi = rv * qi + qri;
  const oqpi = rv * qi + qri / 2;
  return {
    robustness: rv,
    queryIntervalMs: qi,
    queryResponseIntervalMs: qri,
    groupMembershipIntervalMs: gmi,
    otherQuerierPresentIntervalMs: oqpi,
    startupQueryIntervalMs: qi / 4,
    startupQueryCount: rv,
    lastMemberQueryIntervalMs: 1_000,
    lastMemberQueryCount: rv,
    olderHostPresentIntervalMs: gmi,
    routerTimeoutMs: oqpi,
  };
}

/**
 * Bounds on the QRV and QQI a non-querier adopts from the elected querier (RFC 3376 §4.1.6, §4.1.7).
 * One query must not set the switch's timers to anything: QRV 7 with QQIC 0xff would make the Other
 * Querier Present Interval about 62 hours (our querier silenced, stale memberships kept that long), and
 * a QQI of 1 s would make the Group Membership Interval shorter than a real querier's cycle (members
 * black-holed between queries). Values outside the bounds are clamped towards them: 4 × 600 s still
 * covers every querier interval met in practice (Cisco 60 s, RFC default 125 s, Linux 125 s), and
 * raising a small value only makes memberships outlive a silent host a little longer.
 */
export const ADOPTION_BOUNDS = {
  robustnessMin: 2,
  robustnessMax: 4,
  queryIntervalMinMs: 10_000,
  queryIntervalMaxMs: 600_000,
} as const;

export function defaultSnoopingConfig(): SnoopingConfig {
  return {
    enabled: true,
    ...deriveTimers({}),
    unregistered: 'routers',
    noQuerier: 'flood',
    startupFloodMs: 10_000,
    adoptRobustnessMin: ADOPTION_BOUNDS.robustnessMin,
    adoptRobustnessMax: ADOPTION_BOUNDS.robustnessMax,
    adoptQueryIntervalMinMs: ADOPTION_BOUNDS.queryIntervalMinMs,
    adoptQueryIntervalMaxMs: ADOPTION_BOUNDS.queryIntervalMaxMs,
    maxGroups: 0,
    mdbCapacity: 0,
    querierGuard: false,
    reportRateLimit: 0,
    querier: { enabled: false, address: '0.0.0.0', version: 3 },
    staticGroups: [],
  };
}

export function defaultPortConfig(index: number, name: string): PortSnoopingConfig {
  return {
    index, name, router: 'auto', fastLeave: false, floodAll: false, floodReports: false,
    floodUnregistered: true, maxGroups: 0, trusted: false,
  };
}
