// Prometheus endpoint: GET /metrics on the configured address (loopback by default; exactly what is configured,
// never a wildcard the user did not write). At scrape time it calls collect(), which returns a MetricsSnapshot
// (the daemon fills it from the Wasm counters and the engine); nothing is counted here per packet.
// Text exposition format 0.0.4: https://prometheus.io/docs/instrumenting/exposition_formats/

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';

/** Counters may come from 64-bit Wasm memory as bigint. */
export type Count = number | bigint;

export interface PortMetrics {
  name: string;
  /** Link (and data-plane port) usable. */
  up: boolean;
  rxFrames: Count;
  rxBytes: Count;
  txFrames: Count;
  txBytes: Count;
  /** Frames the switch itself sent out of the port (its queries, MRD solicitations); not in txFrames. */
  originatedFrames?: Count;
  /** Frames received and dropped as bad or lost, by reason (the data plane's names, e.g. `ipv4_checksum`, `runt`). */
  drops: Readonly<Record<string, Count>>;
  /** Frames received and not forwarded by policy, by reason (e.g. `no_egress`, `unregistered_drop`); not faults. */
  filtered?: Readonly<Record<string, Count>>;
  /** Memberships ((VLAN, group[, source]) entries) that include this port. */
  groups: number;
  /** Currently a router port (learned or static). */
  router: boolean;
}

export type IgmpMessageType = 'query' | 'report' | 'leave';

export interface IgmpMessageCount {
  /** rx: received and accepted by the engine; tx: sent by this switch (own queries). */
  direction: 'rx' | 'tx';
  type: IgmpMessageType;
  version: 1 | 2 | 3;
  count: Count;
}

export type MldMessageType = 'query' | 'report' | 'done';

/** The MLD counterpart of IgmpMessageCount (MLDv1, RFC 2710; MLDv2, RFC 3810). */
export interface MldMessageCount {
  /** rx: received and accepted by the engine; tx: sent by this switch (own queries). */
  direction: 'rx' | 'tx';
  type: MldMessageType;
  version: 1 | 2;
  count: Count;
}

export interface QuerierMetrics {
  /** self: this switch queries; other: another querier was heard; none: no querier anywhere. */
  state: 'self' | 'other' | 'none';
  address: string | null;
  /** Port the other querier is on (null for self or none). */
  port: string | null;
  /** IGMP: 1..3; MLD: 1..2. */
  version: 1 | 2 | 3 | null;
}

/** Groups and memberships ((VLAN, group, port) entries) one address family's engine holds. */
export interface FamilyGroupCounts {
  groups: number;
  memberships: number;
}

/** Everything one scrape shows; returned by the collect() callback. */
export interface MetricsSnapshot {
  ports: readonly PortMetrics[];
  igmp: readonly IgmpMessageCount[];
  querier: QuerierMetrics;
  /** MLD messages (igmpswitch_mld_messages_total); absent: not shown. */
  mld?: readonly MldMessageCount[];
  /** The MLD querier (igmpswitch_mld_querier_state, igmpswitch_mld_querier_info); absent: not shown. */
  mldQuerier?: QuerierMetrics;
  /** Groups and memberships per family (igmpswitch_groups{family}, igmpswitch_memberships{family}). */
  families?: { igmp: FamilyGroupCounts; mld: FamilyGroupCounts };
  /**
   * Control messages the engine refused, per family (the IGMP engine, the MLD engine) and by reason (bad checksum,
   * max_groups, untrusted query, not-link-local-source, …): igmpswitch_engine_rejects_total{family,reason}.
   */
  engineRejects: Readonly<Record<'igmp' | 'mld', Readonly<Record<string, Count>>>>;
  /** MDB entries in use (all ports). */
  mdbEntries?: number;
  /** FDB entries in use. */
  fdbEntries?: number;
  /** Seconds since the daemon started. */
  uptimeSeconds?: number;
  /** Software version, exposed as igmpswitch_build_info{version}. */
  version?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// exposition format

export type MetricType = 'counter' | 'gauge' | 'untyped';

export interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: Count;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function formatValue(v: Count): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Renders families in the text format; throws on an invalid metric or label name (a programming error). */
export function renderFamilies(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new Error(`invalid metric name ${JSON.stringify(f.name)}`);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const entries = Object.entries(s.labels ?? {});
      for (const [k] of entries) {
        if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${JSON.stringify(k)}`);
      }
      const labels = entries.length === 0 ? ''
        : `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
      lines.push(`${f.name}${labels} ${formatValue(s.value)}`);
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The metric families of a snapshot. */
export function snapshotFamilies(s: MetricsSnapshot): MetricFamily[] {
  const perPort = (name: string, help: string, type: MetricType, value: (p: PortMetrics) => Count): MetricFamily =>
    ({ name, help, type, samples: s.ports.map((p) => ({ labels: { port: p.name }, value: value(p) })) });
  const perPortReason = (name: string, help: string, counts: (p: PortMetrics) => Readonly<Record<string, Count>>): MetricFamily => ({
    name, help, type: 'counter',
    samples: s.ports.flatMap((p) => Object.entries(counts(p))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, value]) => ({ labels: { port: p.name, reason }, value }))),
  });
  const families: MetricFamily[] = [
    perPort('igmpswitch_port_up', 'Whether the port is up and in use by the data plane (1) or not (0).', 'gauge',
      (p) => (p.up ? 1 : 0)),
    perPort('igmpswitch_port_rx_frames_total', 'Frames received on the port.', 'counter', (p) => p.rxFrames),
    perPort('igmpswitch_port_rx_bytes_total', 'Bytes received on the port.', 'counter', (p) => p.rxBytes),
    perPort('igmpswitch_port_tx_frames_total',
      'Frames forwarded out of the port (frames the switch originates are in igmpswitch_port_originated_frames_total).',
      'counter', (p) => p.txFrames),
    perPort('igmpswitch_port_tx_bytes_total', 'Bytes of the frames forwarded out of the port.', 'counter', (p) => p.txBytes),
    perPort('igmpswitch_port_originated_frames_total',
      'Frames the switch itself sent out of the port: its own queries and MRD solicitations.', 'counter',
      (p) => p.originatedFrames ?? 0),
    perPortReason('igmpswitch_port_drops_total', 'Frames received on the port and dropped as bad or lost, by reason.',
      (p) => p.drops),
    perPortReason('igmpswitch_port_filtered_total',
      'Frames received on the port and not forwarded by policy (no port wants them, unregistered policy, same port, ' +
      'reserved MAC), by reason. Not faults.', (p) => p.filtered ?? {}),
    perPort('igmpswitch_port_groups', 'Multicast memberships that include the port.', 'gauge', (p) => p.groups),
    perPort('igmpswitch_port_router', 'Whether the port is currently a multicast router port (1) or not (0).',
      'gauge', (p) => (p.router ? 1 : 0)),
    {
      name: 'igmpswitch_router_ports', help: 'Number of multicast router ports.', type: 'gauge',
      samples: [{ value: s.ports.filter((p) => p.router).length }],
    },
    {
      name: 'igmpswitch_igmp_messages_total', help: 'IGMP messages received (rx) or sent (tx), by type and version.',
      type: 'counter',
      samples: s.igmp.map((m) => ({
        labels: { direction: m.direction, type: m.type, version: String(m.version) }, value: m.count,
      })),
    },
    ...querierFamilies('igmpswitch_querier', 'IGMP', s.querier),
    {
      name: 'igmpswitch_engine_rejects_total',
      help: 'Control messages the snooping engine refused, by family (igmp, mld) and reason.',
      type: 'counter',
      samples: (['igmp', 'mld'] as const).flatMap((family) => Object.entries(s.engineRejects[family])
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([reason, value]) => ({ labels: { family, reason }, value }))),
    },
  ];
  if (s.mld !== undefined) {
    families.push({
      name: 'igmpswitch_mld_messages_total', help: 'MLD messages received (rx) or sent (tx), by type and version.',
      type: 'counter',
      samples: s.mld.map((m) => ({
        labels: { direction: m.direction, type: m.type, version: String(m.version) }, value: m.count,
      })),
    });
  }
  if (s.mldQuerier !== undefined) families.push(...querierFamilies('igmpswitch_mld_querier', 'MLD', s.mldQuerier));
  if (s.families !== undefined) {
    const perFamily = (pick: (c: FamilyGroupCounts) => number) => (['igmp', 'mld'] as const)
      .map((family) => ({ labels: { family }, value: pick(s.families![family]) }));
    families.push(
      { name: 'igmpswitch_groups', help: 'Multicast groups ((VLAN, group) entries) snooped, by family (igmp, mld).',
        type: 'gauge', samples: perFamily((c) => c.groups) },
      { name: 'igmpswitch_memberships', help: 'Memberships ((VLAN, group, port) entries) snooped, by family (igmp, mld).',
        type: 'gauge', samples: perFamily((c) => c.memberships) },
    );
  }
  if (s.mdbEntries !== undefined) {
    families.push({ name: 'igmpswitch_mdb_entries', help: 'Multicast table entries in use.', type: 'gauge',
      samples: [{ value: s.mdbEntries }] });
  }
  if (s.fdbEntries !== undefined) {
    families.push({ name: 'igmpswitch_fdb_entries', help: 'MAC table entries in use.', type: 'gauge',
      samples: [{ value: s.fdbEntries }] });
  }
  if (s.uptimeSeconds !== undefined) {
    families.push({ name: 'igmpswitch_uptime_seconds', help: 'Seconds since the daemon started.', type: 'gauge',
      samples: [{ value: s.uptimeSeconds }] });
  }
  if (s.version !== undefined) {
    families.push({ name: 'igmpswitch_build_info', help: 'Software version (always 1).', type: 'gauge',
      samples: [{ labels: { version: s.version }, value: 1 }] });
  }
  return families;
}

/** `<prefix>_state` and `<prefix>_info` for one family's querier (IGMP: igmpswitch_querier_*; MLD: igmpswitch_mld_querier_*). */
function querierFamilies(prefix: string, protocol: 'IGMP' | 'MLD', q: QuerierMetrics): MetricFamily[] {
  // The IGMP texts are the ones igmpswitch_querier_* always had.
  const name = protocol === 'IGMP' ? { cap: 'Querier', low: 'querier' } : { cap: 'MLD querier', low: 'MLD querier' };
  return [
    {
      name: `${prefix}_state`, help: `${name.cap} state: 1 for the current one of self, other, none.`,
      type: 'gauge',
      samples: (['self', 'other', 'none'] as const).map((state) => ({
        labels: { state }, value: q.state === state ? 1 : 0,
      })),
    },
    {
      name: `${prefix}_info`, help: `The current ${name.low} (1 while there is one).`, type: 'gauge',
      samples: q.state === 'none' ? [] : [{
        labels: {
          address: q.address ?? '', port: q.port ?? '',
          version: q.version === null ? '' : String(q.version),
        },
        value: 1,
      }],
    },
  ];
}

/** The /metrics body for a snapshot. */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  return renderFamilies(snapshotFamilies(snapshot));
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP server

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsServer {
  /** The bound address (the configured host; the port the kernel gave when 0 was configured). */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  /** Scrape failures are logged here at warn. */
  logger?: Logger;
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {},
  head = false): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers,
    'Content-Length': String(Buffer.byteLength(body)) });
  res.end(head ? undefined : body);
}

/**
 * Serves `/metrics` on exactly `listen.host:listen.port` (an IPv6 host binds IPv6 only). Resolves once bound;
 * rejects when the address cannot be bound (EADDRINUSE, EADDRNOTAVAIL, …).
 */
export async function startMetricsServer(listen: { host: string; port: number },
  collect: () => MetricsSnapshot | Promise<MetricsSnapshot>, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return reply(res, 404, 'not found; metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return reply(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    }
    let body: string;
    try {
      body = renderMetrics(await collect());
    } catch (err) {
      options.logger?.warn({ err }, 'metrics collection failed');
      return reply(res, 500, 'metrics collection failed\n');
    }
    reply(res, 200, body, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' },
      req.method === 'HEAD');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger?.warn({ err }, 'metrics request failed');
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host: listen.host, port: listen.port, exclusive: true, ipv6Only: isIPv6(listen.host) }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => options.logger?.warn({ err }, 'metrics server error'));
  const bound = server.address() as AddressInfo;
  return {
    host: bound.address,
    port: bound.port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
