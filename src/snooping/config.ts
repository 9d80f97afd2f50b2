// Configuration of the snooping engine, in engine units (milliseconds, port indices).
// src/config turns the YAML file (seconds, interface names) into these; the engine never sees YAML.
// Timer names: RFC 3376 §8 (IGMPv3, RFC 9776 §8) and RFC 2236 §8. Every default lives in the configuration schema
// (src/config/schema.ts); tests and benchmarks take them from there (defaultSnoopingConfig in src/config/translate.ts).

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
  robustness: number;                    // Robustness Variable, RFC 3376 §8.1
  queryIntervalMs: number;               // Query Interval, §8.2
  queryResponseIntervalMs: number;       // Query Response Interval, §8.3
  groupMembershipIntervalMs: number;     // GMI = RV·QI + QRI, §8.4
  otherQuerierPresentIntervalMs: number; // RV·QI + QRI/2, §8.5
  startupQueryIntervalMs: number;        // QI/4, §8.6
  startupQueryCount: number;             // RV, §8.7
  lastMemberQueryIntervalMs: number;     // LMQI, §8.8
  lastMemberQueryCount: number;          // LMQC = RV, §8.9
  olderHostPresentIntervalMs: number;    // RV·QI + QRI, §8.13
  routerTimeoutMs: number;               // how long a learned router port lives without refresh (= OQPI, as Linux)
  unregistered: UnregisteredPolicy;      // RFC 4541 2.1.2(3)
  noQuerier: 'flood' | 'filter';         // with no querier anywhere: flood all multicast (Linux) or keep filtering
  startupFloodMs: number;                // flood after start until this long after the first query (0 = off)
  adoptRobustnessMin: number;            // an adopted QRV (RFC 3376 §4.1.6) is raised to at least this
  adoptRobustnessMax: number;            // … and lowered to at most this
  adoptQueryIntervalMinMs: number;       // an adopted QQI (§4.1.7) is raised to at least this
  adoptQueryIntervalMaxMs: number;       // … and lowered to at most this
  maxGroups: number;                     // memberships overall; 0 = no limit
  mdbCapacity: number;                   // MDB entries the data plane holds ((*,G) and (S,G) alike); 0 = no limit
  querierGuard: boolean;                 // only trusted ports may become router ports / queriers
  reportRateLimit: number;               // reports/leaves per second per port; enforced by the data plane, not the engine
  querier: QuerierConfig;
  staticGroups: StaticGroup[];
}

/**
 * The timers RFC 3376 §8 derives from the robustness variable and the query timers (RFC 3810 §9 for MLD). The
 * defaults of the inputs are the configuration schema's (src/config/schema.ts), which calls this.
 */
export function deriveTimers(input: {
  robustness: number;
  queryIntervalMs: number;
  queryResponseIntervalMs: number;
}): Pick<SnoopingConfig,
  'robustness' | 'queryIntervalMs' | 'queryResponseIntervalMs' | 'groupMembershipIntervalMs' |
  'otherQuerierPresentIntervalMs' | 'startupQueryIntervalMs' | 'startupQueryCount' |
  'lastMemberQueryCount' | 'olderHostPresentIntervalMs' | 'routerTimeoutMs'> {
  const rv = input.robustness;
  const qi = input.queryIntervalMs;
  const qri = input.queryResponseIntervalMs;
  const gmi = rv * qi + qri;
  const oqpi = rv * qi + qri / 2;
  return {
    robustness: rv,
    queryIntervalMs: qi,
    queryResponseIntervalMs: qri,
    groupMembershipIntervalMs: gmi,                 // §8.4
    otherQuerierPresentIntervalMs: oqpi,            // §8.5
    startupQueryIntervalMs: qi / 4,                 // §8.6
    startupQueryCount: rv,                          // §8.7
    lastMemberQueryCount: rv,                       // §8.9
    olderHostPresentIntervalMs: gmi,                // §8.13
    routerTimeoutMs: oqpi,
  };
}
