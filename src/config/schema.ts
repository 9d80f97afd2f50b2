// The configuration file's schema: the single source of truth for validation, defaults and documentation.
// docs/config.md is rendered from it (src/config/reference.ts); error messages name the same type labels;
// reload decisions read the same `restart` marks. Key names are snake_case, as in the file.
//
// What parsing produces (`Config`): every default applied (derived timers included), durations in whole
// milliseconds, port entries normalised to mappings, the metrics listen address split into host and port,
// the socket mode as a number. The object is deeply frozen.

import * as z from 'zod';
import { deriveTimers } from '../snooping/config.js';
import { DURATION_SYNTAX, MAX_TIMER_MS, formatDuration, parseDuration } from './duration.js';
import { isIPv6 } from 'node:net';
import {
  canonicalIPv6, isIPv4, isIpv4QuerierAddress, isLinkLocalMulticastIPv4, isLinkLocalUnicastIPv6, isMulticastIPv4,
  isSnoopedGroupIPv6, isUnicastIPv4, isUnicastIPv6,
} from '../wire/address.js';
import { MAX_PORTS } from '../contract/constants.js';

/** Linux interface names: 1..15 bytes (IFNAMSIZ - 1), not "." or "..", no "/", ":" or whitespace. */
function isValidIfname(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  if (Buffer.byteLength(name, 'utf8') > 15) return false;
  return !/[\s/:]/.test(name) && !name.includes('\0');
}

/** A listen address "host:port": IPv4 literal or [IPv6 literal]; port 0 asks the kernel for a free port. */
function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d+\.\d+\.\d+\.\d+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65_535) return null;
  if (m[2] !== undefined) return isIPv4(m[2]) ? { host: m[2], port } : null;
  const v6 = m[1]!;
  return isIPv6(v6) ? { host: v6, port } : null;
}

/** Documentation attached to a schema node with `.meta()`; read by the reference renderer and the error formatter. */
export interface FieldDoc {
  /** What the key does; one or more sentences of Markdown. */
  description?: string;
  /** Type label, used in docs and in error messages as "expected <type>". Derived from the schema when absent. */
  type?: string;
  /** Unit of a bare number. */
  unit?: string;
  /** The default, written out, when it is derived or otherwise not a plain value. */
  default?: string;
  /** A change to this key needs a restart of the daemon: `reload` reports it and keeps the old value. */
  restart?: boolean;
}

function doc<T extends z.ZodType>(schema: T, fieldDoc: FieldDoc): T {
  return schema.meta({ ...(schema.meta() ?? {}), ...fieldDoc });
}

/** A section: a strict mapping whose absence or empty value (`snooping:` with nothing under it) means "all defaults". */
function section<T extends z.ZodType>(schema: T, fieldDoc: FieldDoc) {
  return doc(z.preprocess((v) => v ?? {}, schema), { type: 'mapping', ...fieldDoc });
}

const int = (min: number, max: number) => z.int().min(min).max(max);

function durationLabel(minMs: number, maxMs: number): string {
  const low = minMs === 0 ? '≥ 0' : minMs === 1 ? '> 0' : `≥ ${formatDuration(minMs)}`;
  if (maxMs >= MAX_TIMER_MS) return `duration ${low}`;
  return minMs <= 1 ? `duration ${low}, ≤ ${formatDuration(maxMs)}` : `duration ${formatDuration(minMs)}..${formatDuration(maxMs)}`;
}

/** A duration (seconds as a number, or a string with a unit) → whole milliseconds within [minMs, maxMs]. */
function duration(minMs: number, maxMs: number = MAX_TIMER_MS) {
  const label = durationLabel(minMs, maxMs);
  return z.unknown().transform((value, ctx): number => {
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `expected ${label} (${DURATION_SYNTAX})`, input: value });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `expected ${label}`, input: value });
      return z.NEVER;
    }
    return ms;
  }).meta({ type: label, unit: 's' });
}

function checkedString(label: string, detail: string, ok: (s: string) => boolean) {
  return z.string().refine(ok, { message: `expected ${detail}` }).meta({ type: label });
}

/** Like checkedString, and the value is stored canonical (IPv6 in RFC 5952 form: the engine keys state by text). */
function addressString(label: string, detail: string, ok: (s: string) => boolean) {
  return z.string().refine(ok, { message: `expected ${detail}` })
    .transform((s) => (isIPv4(s) ? s : canonicalIPv6(s) ?? s)).meta({ type: label });
}

const ifname = () => checkedString('interface name',
  'interface name (1 to 15 bytes, no "/", ":" or whitespace)', isValidIfname);
const unicastSource = () => addressString('IPv4 or IPv6 unicast address',
  'IPv4 unicast address (dotted quad, not 0.0.0.0, multicast or broadcast) or IPv6 unicast address (not ::, ::1 ' +
  'or multicast)', (s) => isUnicastIPv4(s) || isUnicastIPv6(s));
const staticGroupAddress = () => addressString('IPv4 or IPv6 multicast group',
  'IPv4 multicast group in 224.0.0.0/4 outside 224.0.0.0/24 (link-local groups are always flooded), or IPv6 ' +
  'multicast group outside ff00::/15 other than ff02::1 (RFC 4541 §3)',
  (s) => (isMulticastIPv4(s) && !isLinkLocalMulticastIPv4(s)) || isSnoopedGroupIPv6(s));
const mldQuerierAddress = () => addressString('IPv6 link-local address',
  'IPv6 link-local unicast address in fe80::/10 (RFC 3810 §5.1.14: queries come from a link-local address)',
  isLinkLocalUnicastIPv6);
const querierAddress = () => checkedString('IPv4 address',
  'IPv4 address (dotted quad; 0.0.0.0 or a unicast address outside 0/8 and 127/8)',
  (s) => s === '0.0.0.0' || (isIPv4(s) && isIpv4QuerierAddress(s)));

// ---------------------------------------------------------------------------------------------------------------
// ports

/** Packet I/O method (src/io/ports.ts IoSelection; docs/packet-io.md). */
const IoSelectionSchema = z.enum(['auto', 'af_xdp', 'af_packet']);

const portOptions = {
  router: doc(z.enum(['auto', 'static', 'never']).default('auto'), {
    description: 'Router-port mode. `auto`: the port becomes a router port while queries, PIM hellos or MRD ' +
      'advertisements arrive on it (RFC 4541 2.1.1, RFC 4286); `static`: always a router port; `never`: never ' +
      'one (Linux `multicast_router` 1/2/0).',
  }),
  fast_leave: doc(z.boolean().default(false), {
    description: 'Remove a membership at once when a leave arrives, without last-member queries. Only safe ' +
      'with a single host behind the port.',
  }),
  flood_all: doc(z.boolean().default(false), {
    description: 'The port receives all multicast, registered or not (for example a monitoring port).',
  }),
  flood_reports: doc(z.boolean().default(false), {
    description: 'The port also receives membership reports and leaves from other ports (override of the ' +
      'report suppression of RFC 4541 2.1.1(1)).',
  }),
  flood_unregistered: doc(z.boolean().default(true), {
    description: 'The port receives unregistered multicast when `snooping.unregistered` is `flood`.',
  }),
  max_groups: doc(int(0, 1_000_000).default(0), {
    unit: 'memberships',
    description: 'Memberships this port may hold; reports beyond it are ignored (and counted). `0` = no ' +
      'per-port limit.',
  }),
  trusted: doc(z.boolean().default(false), {
    description: 'With `snooping.querier_guard`, queries, PIM hellos and MRD advertisements are believed only ' +
      'from trusted ports.',
  }),
  io: doc(IoSelectionSchema.optional(), {
    restart: true,
    description: 'Packet I/O method of this port (`auto`, `af_xdp`, `af_packet`); default `dataplane.io`.',
  }),
};

const PortObject = z.strictObject({
  name: doc(ifname(), { description: 'Linux interface name, for example `eth1` or `veth-a`.' }),
  ...portOptions,
});

const PortEntry = doc(z.preprocess((v) => (typeof v === 'string' ? { name: v } : v), PortObject), {
  type: 'interface name, or mapping { name, … }',
  description: 'An interface name, or a mapping with `name` and per-port options.',
});

// ---------------------------------------------------------------------------------------------------------------
// snooping

const StaticGroup = z.strictObject({
  port: doc(ifname(), { description: 'Port that always receives the group; must be listed in `ports`.' }),
  group: doc(staticGroupAddress(), { description: 'Multicast group address.' }),
  source: doc(unicastSource().nullable().default(null), {
    description: 'Source address for a source-specific entry (S,G); absent or `null` = any source (*,G).',
  }),
  vlan: doc(int(0, 4094).default(0), { description: 'VLAN id; `0` = untagged.' }),
});

const QuerierSchema = z.strictObject({
  enabled: doc(z.boolean().default(false), {
    description: 'Send general queries when no other querier with a lower address is present (RFC 3376 §6.6.2 ' +
      'election). Needed on a network without a multicast router, otherwise memberships age out.',
  }),
  address: doc(querierAddress().default('0.0.0.0'), {
    description: 'IPv4 source address of own queries. `0.0.0.0` makes a proxy querier that loses every ' +
      'election (as Linux does when the bridge has no address).',
  }),
  version: doc(z.literal([2, 3]).default(3), {
    description: 'IGMP version of own queries. With `2`, `query_response_interval` and ' +
      '`last_member_query_interval` must fit the 8-bit Max Resp Time (≤ 25.5s).',
  }),
});

const MldQuerierSchema = z.strictObject({
  enabled: doc(z.boolean().default(false), {
    description: 'Send MLD general queries when no other MLD querier with a lower link-local address is present ' +
      '(RFC 3810 §7.6.2 election).',
  }),
  address: doc(mldQuerierAddress().nullable().default(null), {
    default: 'the EUI-64 link-local address of the first port\'s MAC (RFC 4291 §2.5.1)',
    description: 'IPv6 link-local source address of own MLD queries (RFC 3810 §5.1.14).',
  }),
  version: doc(z.literal([1, 2]).default(2), {
    description: 'MLD version of own queries: `1` (RFC 2710) or `2` (RFC 3810).',
  }),
});

const MldSchema = z.strictObject({
  enabled: doc(z.boolean().default(true), {
    description: 'MLD snooping on (RFC 4541 §3): IPv6 multicast other than ff02::1 is forwarded by MLD ' +
      'memberships. When off, all IPv6 multicast is flooded. Needs `snooping.enabled`. The timers, limits and ' +
      'policies above apply to MLD too (RFC 3810 §9 uses the same defaults as RFC 3376 §8).',
  }),
  querier: section(MldQuerierSchema, { description: 'Own MLD querier (RFC 3810 §7.6).' }),
});

/**
 * Bounds on the QRV and QQI a non-querier adopts from the elected querier (RFC 3376 §4.1.6, §4.1.7).
 * One query must not set the switch's timers to anything: QRV 7 with QQIC 0xff would make the Other
 * Querier Present Interval about 62 hours (our querier silenced, stale memberships kept that long), and
 * a QQI of 1 s would make the Group Membership Interval shorter than a real querier's cycle (members
 * black-holed between queries). Values outside the bounds are clamped towards them: 4 × 600 s still
 * covers every querier interval met in practice (Cisco 60 s, RFC default 125 s, Linux 125 s), and
 * raising a small value only makes memberships outlive a silent host a little longer.
 */
const ADOPTION_BOUNDS = {
  robustnessMin: 2,
  robustnessMax: 4,
  queryIntervalMinMs: 10_000,
  queryIntervalMaxMs: 600_000,
} as const;

const SnoopingObject = z.strictObject({
  enabled: doc(z.boolean().default(true), {
    description: 'IGMP snooping on. When off, all multicast is flooded like broadcast.',
  }),
  robustness: doc(int(1, 7).default(2), {
    description: 'Robustness Variable (RFC 3376 §8.1): how many lost messages the timers tolerate. The ' +
      'derived defaults below follow it (Linux hard-codes 2). `1` is accepted but unsafe: a single lost report ' +
      'ends a membership.',
  }),
  query_interval: doc(duration(1_000, 31_744_000).prefault('125s'), {
    description: 'Query Interval (RFC 3376 §8.2): time between general queries of the querier.',
  }),
  query_response_interval: doc(duration(100, 3_174_400).prefault('10s'), {
    description: 'Query Response Interval (RFC 3376 §8.3): Max Resp Time of general queries. Must be less ' +
      'than `query_interval`.',
  }),
  group_membership_interval: doc(duration(1).nullable().default(null), {
    default: 'robustness × query_interval + query_response_interval',
    description: 'Group Membership Interval (RFC 3376 §8.4): a membership without reports expires after it.',
  }),
  other_querier_present_interval: doc(duration(1).nullable().default(null), {
    default: 'robustness × query_interval + query_response_interval / 2',
    description: 'Other Querier Present Interval (RFC 3376 §8.5): a querier not heard from for this long is ' +
      'considered gone.',
  }),
  startup_query_interval: doc(duration(1).nullable().default(null), {
    default: 'query_interval / 4',
    description: 'Startup Query Interval (RFC 3376 §8.6): interval between the first queries of our own querier.',
  }),
  startup_query_count: doc(int(1, 255).nullable().default(null), {
    default: 'robustness', unit: 'queries',
    description: 'Startup Query Count (RFC 3376 §8.7).',
  }),
  last_member_query_interval: doc(duration(100, 3_174_400).prefault('1s'), {
    description: 'Last Member Query Interval (RFC 3376 §8.8): Max Resp Time of group-specific queries after a ' +
      'leave. At most `query_interval`.',
  }),
  last_member_query_count: doc(int(1, 255).nullable().default(null), {
    default: 'robustness', unit: 'queries',
    description: 'Last Member Query Count (RFC 3376 §8.9): group-specific queries sent after a leave.',
  }),
  older_host_present_interval: doc(duration(1).nullable().default(null), {
    default: 'robustness × query_interval + query_response_interval',
    description: 'Older Host Present Interval (RFC 3376 §8.13): how long a group stays in IGMPv1/v2 ' +
      'compatibility mode after an old report.',
  }),
  router_timeout: doc(duration(1).nullable().default(null), {
    default: 'other_querier_present_interval',
    description: 'How long a learned router port stays without a new query, PIM hello or MRD advertisement. ' +
      'Never less than the other querier present interval computed from the QRV and QQI adopted from the ' +
      'elected querier, so a querier with a long interval keeps its router port between queries.',
  }),
  unregistered: doc(z.enum(['routers', 'flood', 'drop']).default('routers'), {
    description: 'Multicast for a group nobody joined (RFC 4541 2.1.2(3)): `routers` forwards it to router ' +
      'ports only, `flood` to every port with `flood_unregistered`, `drop` discards it.',
  }),
  no_querier: doc(z.enum(['flood', 'filter']).default('flood'), {
    description: 'While no querier exists anywhere: `flood` all multicast (as Linux does, since memberships ' +
      'cannot be refreshed) or `filter` by the memberships learned so far.',
  }),
  startup_flood: doc(duration(0).nullable().default(null), {
    default: 'query_response_interval',
    description: 'After a cold start, multicast is flooded until the first General Query (sent, or heard from the ' +
      'elected querier) has had its Max Resp Time to be answered, so hosts can report before filtering begins. ' +
      '`0` disables this. With `no_querier: filter`, flooding also stops this long after start when no General ' +
      'Query comes.',
  }),
  adopt_robustness_min: doc(int(1, 7).default(ADOPTION_BOUNDS.robustnessMin), {
    description: 'Least Robustness Variable taken over from the elected querier\'s QRV (RFC 3376 §4.1.6); a ' +
      'smaller QRV is raised to it, so that one query cannot shorten memberships below what the network needs.',
  }),
  adopt_robustness_max: doc(int(1, 7).default(ADOPTION_BOUNDS.robustnessMax), {
    description: 'Greatest Robustness Variable taken over from the elected querier\'s QRV; a larger QRV is ' +
      'lowered to it (and logged), so that one query cannot silence our querier for hours.',
  }),
  adopt_query_interval_min: doc(duration(1_000, 31_744_000).prefault(`${ADOPTION_BOUNDS.queryIntervalMinMs / 1000}s`), {
    description: 'Least Query Interval taken over from the elected querier\'s QQI (RFC 3376 §4.1.7); a ' +
      'smaller QQI is raised to it (and logged).',
  }),
  adopt_query_interval_max: doc(duration(1_000, 31_744_000).prefault(`${ADOPTION_BOUNDS.queryIntervalMaxMs / 1000}s`), {
    description: 'Greatest Query Interval taken over from the elected querier\'s QQI; a larger QQI is lowered ' +
      'to it (and logged). Raise it if your multicast router really queries less often.',
  }),
  max_groups: doc(int(0, 16_777_216).default(0), {
    unit: 'memberships',
    description: 'Memberships overall; past it new joins are refused and counted (snooping stays on). `0` = ' +
      'no limit. The data plane\'s table is budgeted separately, in entries (`dataplane.mdb_capacity`): a ' +
      'membership whose entries do not fit is kept, counted (`mdb-full`) and installed as soon as entries are freed.',
  }),
  querier_guard: doc(z.boolean().default(false), {
    description: 'Believe queries, PIM hellos and MRD advertisements only from ports with `trusted: true` ' +
      '(others cannot become router ports or win the querier election).',
  }),
  report_rate_limit: doc(int(0, 1_000_000).default(0), {
    unit: 'messages/s per port',
    description: 'Membership reports and leaves (IGMP and MLD together) accepted per second per port, by a token ' +
      'bucket in the data plane that holds one second\'s worth; excess is dropped (neither learned nor forwarded) ' +
      'and counted (`report_rate_limit`). `0` = no limit.',
  }),
  querier: section(QuerierSchema, { description: 'Own querier (RFC 3376 §6.6, RFC 4541 2.1.1(4)).' }),
  mld: section(MldSchema, { description: 'MLD snooping, the IPv6 counterpart of IGMP snooping (RFC 4541 §3).' }),
  static_groups: doc(z.preprocess((v) => v ?? [], z.array(StaticGroup).max(4096)), {
    type: 'list of mappings', default: '`[]` (none)',
    description: 'Memberships that never expire, for receivers that cannot report.',
  }),
});

function resolveSnooping(s: z.output<typeof SnoopingObject>) {
  const d = deriveTimers({
    robustness: s.robustness,
    queryIntervalMs: s.query_interval,
    queryResponseIntervalMs: s.query_response_interval,
  });
  const oqpi = s.other_querier_present_interval ?? Math.round(d.otherQuerierPresentIntervalMs);
  return {
    ...s,
    group_membership_interval: s.group_membership_interval ?? Math.round(d.groupMembershipIntervalMs),
    other_querier_present_interval: oqpi,
    startup_query_interval: s.startup_query_interval ?? Math.round(d.startupQueryIntervalMs),
    startup_query_count: s.startup_query_count ?? d.startupQueryCount,
    last_member_query_count: s.last_member_query_count ?? d.lastMemberQueryCount,
    older_host_present_interval: s.older_host_present_interval ?? Math.round(d.olderHostPresentIntervalMs),
    router_timeout: s.router_timeout ?? oqpi,
    startup_flood: s.startup_flood ?? s.query_response_interval,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// the rest

const DataplaneSchema = z.strictObject({
  batch: doc(int(1, 256).default(64), {
    unit: 'frames', restart: true,
    description: 'Frames received per call and decided per Wasm call.',
  }),
  fdb_capacity: doc(int(16, 16_777_216).default(16_384), {
    unit: 'entries', restart: true,
    description: 'Size of the MAC forwarding table.',
  }),
  mdb_capacity: doc(int(16, 16_777_216).default(131_072), {
    unit: 'entries', restart: true,
    description: 'Size of the multicast table ((VLAN, group[, source]) entries): each group takes one entry, plus ' +
      'one per source with its own forwarding (INCLUDE sources, excluded sources).',
  }),
  fdb_aging: doc(duration(1_000, 1_000_000_000).prefault('300s'), {
    restart: true,
    description: 'A learned MAC address is forgotten after this long without a frame from it.',
  }),
  cpu: doc(int(0, 4095).nullable().default(null), {
    restart: true,
    description: 'CPU to pin the data-plane worker thread to; `null` = no pinning.',
  }),
  io: doc(IoSelectionSchema.default('auto'), {
    restart: true,
    description: 'Packet I/O method. `af_xdp`: an AF_XDP socket whose frames land in the data plane\'s memory, plus an XDP ' +
      'program on the port (the port\'s AF_PACKET socket keeps TCP and frames longer than 1792 bytes); the port ' +
      'fails to open when that cannot be set up, or when another XDP program is attached. `af_packet`: AF_PACKET ' +
      'sockets only. `auto`: AF_XDP where it can be set up and frames arrive with complete checksums (not on veth or ' +
      'tun/tap, whose local senders leave them to offload), else AF_PACKET with a warning that says why.' + ' A port\'s own `io` wins.',
  }),
  rx_ring: doc(z.boolean().default(true), {
    restart: true,
    description: 'Receive through a TPACKET_V2 ring per port (per-frame status, bounded to 4 batches) instead of ' +
      '`recvmmsg`; frames longer than 2 KiB (GSO) are still read whole. Measured faster on this path ' +
      '(docs/packet-io.md).',
  }),
  busy_poll_us: doc(int(0, 1_000_000).default(0), {
    unit: 'µs', restart: true,
    description: 'Most the data-plane thread keeps polling its ports without sleeping after the last received frame ' +
      '(AF_PACKET: non-blocking polls; AF_XDP: reads of its rings, no syscall). Adaptive: it polls only while frames ' +
      'arrive densely (the recent gap between batches at most this long), for twice that gap, so idle ports and sparse ' +
      'traffic cost no polling. Trades CPU for the wake-up latency of a blocking poll; 0 = sleep at once ' +
      '(docs/packet-io.md has the measurements).',
  }),
});

/** Where the control socket is when the file does not say; also the CLI's when it is given no file. */
export const DEFAULT_SOCKET_PATH = '/run/igmpswitch/igmpswitch.sock';

const ManagementSchema = z.strictObject({
  socket: doc(z.string().min(1).default(DEFAULT_SOCKET_PATH), {
    type: 'path', restart: true,
    description: 'Unix socket of the control interface (`igmpswitch show`, `reload`, …). A relative path is ' +
      'relative to the directory of the configuration file.',
  }),
  socket_mode: doc(
    z.string().regex(/^0?[0-7]{3}$/).transform((s) => Number.parseInt(s, 8)).prefault('0600'),
    {
      type: 'octal mode string, such as "0660"', restart: true,
      description: 'File mode of the socket. Quote it: YAML reads an unquoted `0600` as the decimal number 600.',
    },
  ),
});

const MetricsSchema = z.strictObject({
  enabled: doc(z.boolean().default(false), {
    description: 'Serve Prometheus metrics over HTTP at `/metrics`.',
  }),
  listen: doc(
    z.string().transform((s, ctx) => {
      const parsed = parseListen(s);
      if (parsed) return parsed;
      ctx.addIssue({ code: 'custom', message: 'expected host:port with an IPv4 address or [IPv6 address] ' +
        'and a port 0..65535, such as "127.0.0.1:9464"', input: s });
      return z.NEVER;
    }).prefault('127.0.0.1:9464'),
    {
      type: 'host:port',
      description: 'Address to bind, exactly as given (an IP literal; no name lookup). The default stays on ' +
        'loopback; use `0.0.0.0:9464` or a specific address to expose it.',
    },
  ),
});

const LoggingSchema = z.strictObject({
  level: doc(z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'), {
    description: 'Least severe level written. State changes (joins, leaves, router ports, querier, links, ' +
      'reloads) are `info`; nothing is logged per packet.',
  }),
  format: doc(z.enum(['json', 'pretty']).default('json'), {
    description: '`json`: one JSON object per line (pino). `pretty`: one readable line per event.',
  }),
});

const StateSchema = z.strictObject({
  file: doc(z.string().min(1).nullable().default('/var/lib/igmpswitch/state.json'), {
    type: 'path or null',
    description: 'Memberships are saved here so that a restart restores forwarding at once; `null` (or an ' +
      'empty value) disables it. A relative path is relative to the directory of the configuration file.',
  }),
});

// ---------------------------------------------------------------------------------------------------------------
// the whole file

const ConfigObject = z.strictObject({
  ports: doc(z.array(PortEntry).min(2).max(MAX_PORTS), {
    type: `list of 2..${MAX_PORTS} ports`,
    description: 'The switch ports: at least two interfaces, each at most once. A port is an interface name or ' +
      'a mapping with `name` and the per-port options below.',
  }),
  snooping: section(SnoopingObject.transform(resolveSnooping), { description: 'IGMP snooping (RFC 4541).' }),
  dataplane: section(DataplaneSchema, { description: 'Wasm data plane; changes need a restart.' }),
  management: section(ManagementSchema, { description: 'Control socket.' }),
  metrics: section(MetricsSchema, { description: 'Prometheus endpoint.' }),
  logging: section(LoggingSchema, { description: 'Logs on standard output.' }),
  state: section(StateSchema, { description: 'Warm-restart state.' }),
});

/** The configuration file: structure, defaults, cross-field rules. */
export const ConfigSchema = doc(ConfigObject.superRefine(checkConfig), { type: "mapping with a ports list" });

/** Cross-field rules, run once every key has the right type (paths are the file's key paths). */
function checkConfig(c: z.output<typeof ConfigObject>, ctx: z.RefinementCtx): void {
  const problem = (path: (string | number)[], message: string, input: unknown, found?: string) =>
    ctx.addIssue({ code: 'custom', path, message, input, ...(found === undefined ? {} : { params: { found } }) });

  const firstIndex = new Map<string, number>();
  c.ports.forEach((p, i) => {
    const first = firstIndex.get(p.name);
    if (first === undefined) firstIndex.set(p.name, i);
    else problem(['ports', i, 'name'], `expected each interface once (already listed as ports[${first}])`, p.name);
  });

  const s = c.snooping;
  const seen = new Map<string, number>();
  s.static_groups.forEach((g, i) => {
    if (!firstIndex.has(g.port)) {
      problem(['snooping', 'static_groups', i, 'port'],
        `expected one of the listed ports (${[...firstIndex.keys()].join(', ')})`, g.port);
    }
    if (g.source !== null && isIPv4(g.source) !== isIPv4(g.group)) {
      problem(['snooping', 'static_groups', i, 'source'], 'expected a source of the same address family as the group',
        g.source);
    }
    if (g.source !== null && g.source === g.group) {
      problem(['snooping', 'static_groups', i, 'source'], 'expected a source different from the group', g.source);
    }
    const key = `${g.port}|${g.vlan}|${g.group}|${g.source ?? '*'}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else {
      problem(['snooping', 'static_groups', i],
        `expected each static group once (same port, vlan, group and source as static_groups[${first}])`,
        g, `a duplicate of static_groups[${first}]`);
    }
  });

  const qi = formatDuration(s.query_interval);
  if (s.query_response_interval >= s.query_interval) {
    problem(['snooping', 'query_response_interval'],
      `expected less than query_interval (${qi}) (RFC 3376 §8.3)`, s.query_response_interval,
      formatDuration(s.query_response_interval));
  }
  if (s.last_member_query_interval > s.query_interval) {
    problem(['snooping', 'last_member_query_interval'],
      `expected at most query_interval (${qi})`, s.last_member_query_interval,
      formatDuration(s.last_member_query_interval));
  }
  if (s.adopt_robustness_min > s.adopt_robustness_max) {
    problem(['snooping', 'adopt_robustness_min'], `expected at most adopt_robustness_max (${s.adopt_robustness_max})`,
      s.adopt_robustness_min);
  }
  if (s.adopt_query_interval_min > s.adopt_query_interval_max) {
    problem(['snooping', 'adopt_query_interval_min'],
      `expected at most adopt_query_interval_max (${formatDuration(s.adopt_query_interval_max)})`,
      s.adopt_query_interval_min, formatDuration(s.adopt_query_interval_min));
  }
  if (s.querier.enabled && s.querier.version === 2) {
    for (const key of ['query_response_interval', 'last_member_query_interval'] as const) {
      if (s[key] > 25_500) {
        problem(['snooping', key], 'expected at most 25.5s with querier.version 2 (8-bit Max Resp Time)',
          s[key], formatDuration(s[key]));
      }
    }
  }
}

type DeepReadonly<T> =
  T extends (infer E)[] ? readonly DeepReadonly<E>[] :
  T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The validated, normalised configuration (durations in ms). */
export type Config = DeepReadonly<z.output<typeof ConfigSchema>>;
/** What the file may contain (before defaults and normalisation). */
export type ConfigInput = z.input<typeof ConfigSchema>;
export type PortConfig = Config['ports'][number];
export type SnoopingSettings = Config['snooping'];
export type StaticGroupConfig = SnoopingSettings['static_groups'][number];
export type QuerierSettings = SnoopingSettings['querier'];
export type MldSettings = SnoopingSettings['mld'];
export type DataplaneSettings = Config['dataplane'];
export type ManagementSettings = Config['management'];
export type MetricsSettings = Config['metrics'];
export type LoggingSettings = Config['logging'];
export type StateSettings = Config['state'];
/** Per-port option keys (everything except `name`). */
export type PortOptionKey = keyof typeof portOptions;
export const PORT_OPTION_KEYS = Object.keys(portOptions) as PortOptionKey[];

/** Maximum number of ports (port indices are 0..MAX_PORTS-1, a bit each in the data plane's u64 masks). */
export { MAX_PORTS };
