// From the file's terms (interface names, snake_case, ms) to the engine's and the data plane's
// (port indices, camelCase). Port indices are stable across reloads: see assignPortIndices.

import type { PortSnoopingConfig, SnoopingConfig } from '../snooping/config.js';
import type { WorkerParams } from '../dataplane/messages.js';
import type { TableCommand } from '../dataplane/commands.js';
import { ConfigError } from './errors.js';
import { ConfigSchema, MAX_PORTS, type Config } from './schema.js';

/**
 * Port indices for a (new) list of port names: a port that stays keeps its index; a new port takes the lowest
 * free index (in list order). Indices are 0..MAX_PORTS-1; more than MAX_PORTS ports throws ConfigError.
 */
export function assignPortIndices(old: ReadonlyMap<string, number> | null,
  names: readonly string[]): Map<string, number> {
  const wanted = new Set(names);
  if (wanted.size > MAX_PORTS) {
    throw new ConfigError([{ severity: 'error', file: '(configuration)', line: null, col: null, keyPath: 'ports',
      message: `expected at most ${MAX_PORTS} ports, found ${wanted.size}` }]);
  }
  const out = new Map<string, number>();
  const used = new Set<number>();
  for (const name of wanted) {
    const index = old?.get(name);
    if (index !== undefined && index >= 0 && index < MAX_PORTS && !used.has(index)) {
      out.set(name, index);
      used.add(index);
    }
  }
  let next = 0;
  for (const name of wanted) {
    if (out.has(name)) continue;
    while (used.has(next)) next++;
    out.set(name, next);
    used.add(next);
  }
  // In list order, for readable logs and management output.
  return new Map(names.filter((n, i) => names.indexOf(n) === i).map((n) => [n, out.get(n)!]));
}

function indexOf(portIndex: ReadonlyMap<string, number>, name: string): number {
  const index = portIndex.get(name);
  if (index === undefined) throw new Error(`port ${name} has no index (assignPortIndices was not given it)`);
  return index;
}

/**
 * The snooping engines' configuration (milliseconds, port indices): `snooping` for IGMP, `mld` for MLD. The MLD engine
 * uses the same timers, limits and policies (RFC 3810 §9 has the RFC 3376 §8 defaults), its own `enabled` and querier,
 * and the IPv6 static groups. Its querier version is the engine's generation (MLDv1 = 2, MLDv2 = 3, see
 * src/snooping/family.ts); an absent querier address is '' (derived from the switch's MAC by the engine's owner).
 */
export function toEngineConfig(config: Config, portIndex: ReadonlyMap<string, number>):
  { snooping: SnoopingConfig; mld: SnoopingConfig; ports: PortSnoopingConfig[] } {
  const s = config.snooping;
  const snooping: SnoopingConfig = {
    enabled: s.enabled,
    robustness: s.robustness,
    queryIntervalMs: s.query_interval,
    queryResponseIntervalMs: s.query_response_interval,
    groupMembershipIntervalMs: s.group_membership_interval,
    otherQuerierPresentIntervalMs: s.other_querier_present_interval,
    startupQueryIntervalMs: s.startup_query_interval,
    startupQueryCount: s.startup_query_count,
    lastMemberQueryIntervalMs: s.last_member_query_interval,
    lastMemberQueryCount: s.last_member_query_count,
    olderHostPresentIntervalMs: s.older_host_present_interval,
    routerTimeoutMs: s.router_timeout,
    unregistered: s.unregistered,
    noQuerier: s.no_querier,
    startupFloodMs: s.startup_flood,
    adoptRobustnessMin: s.adopt_robustness_min,
    adoptRobustnessMax: s.adopt_robustness_max,
    adoptQueryIntervalMinMs: s.adopt_query_interval_min,
    adoptQueryIntervalMaxMs: s.adopt_query_interval_max,
    maxGroups: s.max_groups,
    // The MDB budget is counted in entries, not memberships: one port-group with N INCLUDE sources takes N + 1.
    mdbCapacity: config.dataplane.mdb_capacity,
    querierGuard: s.querier_guard,
    reportRateLimit: s.report_rate_limit,
    querier: { enabled: s.querier.enabled, address: s.querier.address, version: s.querier.version },
    staticGroups: s.static_groups.filter((g) => !g.group.includes(':')).map((g) => ({
      port: indexOf(portIndex, g.port), vlan: g.vlan, group: g.group, source: g.source,
    })),
  };
  const mld: SnoopingConfig = {
    ...snooping,
    enabled: s.enabled && s.mld.enabled,
    querier: { enabled: s.mld.querier.enabled, address: s.mld.querier.address ?? '', version: s.mld.querier.version === 1 ? 2 : 3 },
    staticGroups: s.static_groups.filter((g) => g.group.includes(':')).map((g) => ({
      port: indexOf(portIndex, g.port), vlan: g.vlan, group: g.group, source: g.source,
    })),
  };
  const ports: PortSnoopingConfig[] = config.ports.map((p) => ({
    index: indexOf(portIndex, p.name),
    name: p.name,
    router: p.router,
    fastLeave: p.fast_leave,
    floodAll: p.flood_all,
    floodReports: p.flood_reports,
    floodUnregistered: p.flood_unregistered,
    maxGroups: p.max_groups,
    trusted: p.trusted,
  }));
  return { snooping, mld, ports };
}

let defaults: Config | null = null;

/** A configuration file that names two ports and sets nothing else: every value is the schema's default. */
function defaultConfig(): Config {
  defaults ??= ConfigSchema.parse({ ports: ['p0', 'p1'] }) as Config;
  return defaults;
}

/**
 * The IGMP engine's configuration with every default of the schema (src/config/schema.ts, the one place defaults
 * are stated), for code that runs an engine without a file: tests and benchmarks. A fresh object on every call.
 */
export function defaultSnoopingConfig(): SnoopingConfig {
  return toEngineConfig(defaultConfig(), new Map([['p0', 0], ['p1', 1]])).snooping;
}

/** A port's engine configuration with the schema's per-port defaults. */
export function defaultPortConfig(index: number, name: string): PortSnoopingConfig {
  const port = toEngineConfig(defaultConfig(), new Map([['p0', 0], ['p1', 1]])).ports[0]!;
  return { ...port, index, name };
}

/** Start parameters of the data-plane worker. */
export function toWorkerParams(config: Config, portIndex: ReadonlyMap<string, number>): WorkerParams {
  const d = config.dataplane;
  return {
    maxBatch: d.batch,
    fdbCapacity: d.fdb_capacity,
    mdbCapacity: d.mdb_capacity,
    fdbAgingMs: d.fdb_aging,
    ports: config.ports.map((p) => ({ index: indexOf(portIndex, p.name), name: p.name, ...(p.io ? { io: p.io } : {}) })),
    cpu: d.cpu,
    io: d.io,
    busyPollUs: d.busy_poll_us,
    rxRing: d.rx_ring,
  };
}

/** Settings the data plane enforces by itself, as table commands. */
export function dataplaneCommands(config: Config): TableCommand[] {
  return [reportRateCommand(config.snooping.report_rate_limit)];
}

/**
 * The report rate limit (`snooping.report_rate_limit`, per port, IGMP and MLD reports and leaves together): a token
 * bucket in the data plane (assembly/ratelimit.ts) that refills `perSecond` tokens a second and holds at most one
 * second's worth, so no port gets more than `perSecond` messages through in any burst. It is the only place the limit
 * is enforced: the excess is dropped (counter `report_rate_limit`) and reaches neither the engine nor other ports.
 */
export function reportRateCommand(perSecond: number): TableCommand {
  return { op: 'reportRate', perSecond, burst: perSecond };
}

/** Ethernet source of the switch's own queries when it has no port MAC to use (no port opened yet, or a replay). */
export const FALLBACK_QUERIER_MAC = '02:00:00:00:00:01';
