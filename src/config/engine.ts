// From the file's terms (interface names, snake_case, ms) to the engine's and the data plane's
// (port indices, camelCase). Port indices are stable across reloads: see assignPortIndices.

import type { PortSnoopingConfig, SnoopingConfig } from '../snooping/config.js';
import type { WorkerParams } from '../dataplane/messages.js';
import { ConfigError } from './errors.js';
import { MAX_PORTS, type Config } from './schema.js';

/**
 * Port indices for a (new) list of port names: a port that stays keeps its index; a new port takes the lowest
 * free index (in list order). Indices are 0..63; more than 64 ports throws ConfigError.
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

/** The snooping engine's configuration (milliseconds, port indices). */
export function toEngineConfig(config: Config, portIndex: ReadonlyMap<string, number>):
  { snooping: SnoopingConfig; ports: PortSnoopingConfig[] } {
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
    // 0 means "as many as the data plane can hold": the engine must never accept memberships the MDB cannot
    // install (it would list groups whose traffic the data plane treats as unregistered).
    maxGroups: s.max_groups > 0 ? Math.min(s.max_groups, config.dataplane.mdb_capacity) : config.dataplane.mdb_capacity,
    querierGuard: s.querier_guard,
    reportRateLimit: s.report_rate_limit,
    querier: { enabled: s.querier.enabled, address: s.querier.address, version: s.querier.version },
    staticGroups: s.static_groups.map((g) => ({
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
  return { snooping, ports };
}

/** Start parameters of the data-plane worker. */
export function toWorkerParams(config: Config, portIndex: ReadonlyMap<string, number>): WorkerParams {
  const d = config.dataplane;
  return {
    maxBatch: d.batch,
    fdbCapacity: d.fdb_capacity,
    mdbCapacity: d.mdb_capacity,
    fdbAgingMs: d.fdb_aging,
    ports: config.ports.map((p) => ({ index: indexOf(portIndex, p.name), name: p.name })),
    cpu: d.cpu,
    busyPollUs: d.busy_poll_us,
    rxRing: d.rx_ring,
  };
}
