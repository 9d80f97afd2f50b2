// The management API: what the daemon answers on the control socket, and what `igmpswitch show|trace|reload|capture`
// print. The daemon implements `ManagementApi`; `control-socket.ts` serves it as newline-delimited JSON and
// `control-client.ts` calls it. Every result must survive `JSON.stringify` unchanged, so there are no bigints, Maps,
// Dates or class instances in here: addresses are text, times are milliseconds, counters are `Count`.

/**
 * A counter. JSON has no 64-bit integers, so a u64 counter is a number while it is exactly representable
 * (below 2^53) and a decimal string beyond that; `count()` does the conversion. (The server also turns any stray
 * bigint into a decimal string, so a bigint never breaks a reply, but the types ask for `Count`.)
 */
export type Count = number | string;

/** u64 (bigint) or number → `Count`. */
export function count(v: bigint | number): Count {
  if (typeof v === 'number') return v;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

// ----------------------------------------------------------------------------------------------------------------
// show groups

export interface GroupSourceRow {
  address: string;
  /** Source timer; null when it does not run (a source in an EXCLUDE-mode list, or a static entry). */
  timerMs: number | null;
  /** In the "blocked" (exclude) list of an EXCLUDE-mode record: traffic from it is not wanted. */
  blocked: boolean;
}

/** One membership record: a group on one port of one VLAN (RFC 3376 §6 router-side state, as a snooper keeps it). */
export interface GroupRow {
  vlan: number;                   // 0 = untagged
  group: string;
  port: string;                   // interface name
  mode: 'include' | 'exclude';    // filter mode
  version: 1 | 2 | 3;             // group compatibility mode: IGMP version (RFC 3376 §7.3.2), MLD version for IPv6 groups (RFC 3810 §8.3.2)
  timerMs: number | null;         // group timer (EXCLUDE mode); null in INCLUDE mode or for static groups
  sources: GroupSourceRow[];
  hosts: string[];                // reporters heard for this group on this port (explicit host tracking)
  static: boolean;                // configured, never expires
}

// ----------------------------------------------------------------------------------------------------------------
// show ports

export interface PortRow {
  index: number;                  // data-plane port index 0..63
  name: string;
  up: boolean;                    // link state
  router: 'auto' | 'static' | 'never';  // configured router-port mode
  isRouter: boolean;              // currently a router port (static, or learned and not expired)
  fastLeave: boolean;
  floodAll: boolean;
  floodReports: boolean;
  groups: number;                 // membership records on this port
  rxFrames: Count;
  rxBytes: Count;
  txFrames: Count;
  txBytes: Count;
  /** Frames not forwarded on purpose: no port wants them, policy, 802.1Q filtering (not faults). */
  filtered: Count;
  /** Frames dropped as bad or lost (malformed, checksum, oversize, rate limit, inactive port). */
  drops: Count;
}

// ----------------------------------------------------------------------------------------------------------------
// show routers

export interface RouterRow {
  port: string;
  vlan: number;
  /** What made it a router port: an IGMP query, PIM hello, MRD advertisement (RFC 4286), or configuration. */
  source: 'query' | 'pim' | 'mrd' | 'static';
  address: string;                // the router's IP source address ('' for static)
  expiresInMs: number | null;     // null for static
}

// ----------------------------------------------------------------------------------------------------------------
// show querier

export interface QuerierView {
  enabled: boolean;               // our own querier configured on
  address: string;                // our query source address
  version: 2 | 3;
  state: 'querier' | 'non-querier' | 'disabled';
  /** The querier that won the election (RFC 3376 §6.6.2), when it is someone else. */
  elected: { address: string; port: string; expiresInMs: number } | null;
  robustness: number;
  queryIntervalMs: number;
  /** Whether multicast data is filtered by the MDB now (false while flooding). */
  snoopingActive: boolean;
  mode: 'snoop' | 'flood';
  /** Why the mode is what it is, for people: "querier 10.0.0.1 present", "no querier: flooding", "startup grace". */
  reason: string;
  /** MLD snooping (IPv6): the same fields for its own querier (RFC 3810 §7.6), the elected one and its mode. */
  mld?: MldQuerierView;
}

export interface MldQuerierView {
  /** MLD snooping on (`snooping.enabled` and `snooping.mld.enabled`). */
  snooping: boolean;
  enabled: boolean;
  /** Link-local source of our queries (configured, or derived from the switch's MAC). */
  address: string;
  version: 1 | 2;
  state: 'querier' | 'non-querier' | 'disabled';
  elected: { address: string; port: string; expiresInMs: number } | null;
  snoopingActive: boolean;
  mode: 'snoop' | 'flood';
  reason: string;
}

// ----------------------------------------------------------------------------------------------------------------
// show fdb

export interface FdbRow {
  vlan: number;
  mac: string;                    // aa:bb:cc:dd:ee:ff
  port: string;
  ageMs: number;                  // time since last seen
}

// ----------------------------------------------------------------------------------------------------------------
// show stats

export interface StatsView {
  ports: { name: string; counters: Record<string, Count> }[];
  /** Frames dropped as bad or lost, by reason (all ports). */
  drops: Record<string, Count>;
  /** Frames not forwarded by policy (no member port, unregistered policy, same port, reserved MAC), by reason. */
  filtered: Record<string, Count>;
  /** Control messages received, by kind (e.g. igmpv2-report, igmpv3-report, query, leave, pim-hello). */
  messages: Record<string, Count>;
  /** Snooping engine counters (groups created/expired, queries sent, …). */
  engine: Record<string, Count>;
  /**
   * The data-plane thread: the longest time it spent away from receive() (processing, transmitting, housekeeping or
   * not scheduled: nobody returns buffers to the kernel meanwhile) and how often that was over 1 and 4 ms; on AF_XDP,
   * refills that found a fill ring nearly empty and the fewest free UMEM chunks seen. Over the switch's lifetime.
   */
  dataplane?: { away_max_ms: number; away_over_1ms: Count; away_over_4ms: Count; fill_low: Count; free_chunks_min?: number };
}

// ----------------------------------------------------------------------------------------------------------------
// trace

export interface TraceParams {
  /** Ingress port name. */
  in: string;
  /** Destination (group) address. */
  dst: string;
  /** Source address; absent: "any source" (only (*,G) state can match). */
  src?: string;
  /** VLAN id; absent or 0: untagged. */
  vlan?: number;
}

export type TraceTable = 'mdb-sg' | 'mdb-g' | 'unregistered' | 'link-local' | 'flood-mode' | 'not-multicast' | (string & {});

export interface TraceResult {
  verdict: 'forward' | 'drop' | 'punt';
  /** Why, when the verdict needs a reason (drop reasons, punt classes). */
  reason?: string;
  /** Which table decided; key is the entry that matched (null for tables without keys, e.g. 'unregistered'). */
  matched: { table: TraceTable; key: { vlan: number; group: string; source: string | null } | null };
  /** For people, when the table needs one: the unregistered-multicast policy and the router ports. */
  explanation?: string;
  /** Every port of the switch, including the ingress port, with whether it gets the frame and why (or why not). */
  ports: { name: string; egress: boolean; why: string }[];
}

// ----------------------------------------------------------------------------------------------------------------
// reload

export interface ReloadResult {
  ok: true;
  /** What changed and was applied, for people: "port eth3 added", "snooping.query_interval 2m05s → 1m". */
  changes: string[];
  /** Changes in the file that need a restart: not applied, the old values stay in force until then. */
  notApplied?: string[];
  /** The file's warnings, as the daemon logs them at start-up ("FILE:LINE:COL: key: message"). */
  warnings?: string[];
}

// ----------------------------------------------------------------------------------------------------------------
// capture

export interface CapturedFrame {
  /** When the switch received or sent it: milliseconds since the epoch, with fraction (µs precision is enough). */
  time: number;
  /** rx: received on `port`; tx: sent by the switch itself (its own queries) out of `port`. */
  direction: 'rx' | 'tx';
  /** The port it was received on (rx) or sent from (tx). */
  port: string;
  /** The whole Ethernet frame as received or sent, from the destination MAC on, 802.1Q tag included if there was one. */
  bytes: Uint8Array;
}

// ----------------------------------------------------------------------------------------------------------------

/**
 * What the daemon implements. Methods may throw: the message goes to the client as `{error: {message}}`.
 * `reload()` throws with the configuration error text (file:line:col and key path) and keeps the running config.
 * `trace()` throws for an unknown port name or an address that does not parse.
 */
export interface ManagementApi {
  /** The rows in order; an iterable that is not an array is taken one row at a time (the control socket streams it). */
  groups(): Promise<Iterable<GroupRow>>;
  ports(): Promise<PortRow[]>;
  routers(): Promise<RouterRow[]>;
  querier(): Promise<QuerierView>;
  fdb(): Promise<FdbRow[]>;
  stats(): Promise<StatsView>;
  trace(params: TraceParams): Promise<TraceResult>;
  reload(): Promise<ReloadResult>;
  /**
   * Calls `onFrame` for every control frame (IGMP, MLD, PIM, MRD) the switch receives or sends (once per egress
   * port), until the returned function
   * is called. `onFrame` must not throw and is cheap (it queues the frame on a socket); the frame's bytes are not
   * kept after the call returns, so they may be a view into a reused buffer.
   */
  subscribeControl(onFrame: (frame: CapturedFrame) => void): (() => void) | Promise<() => void>;
}

/** The request/response methods of the control socket (subscribeControl is served as a stream, see control-socket). */
export const REQUEST_METHODS = ['groups', 'ports', 'routers', 'querier', 'fdb', 'stats', 'trace', 'reload'] as const;
export type RequestMethod = (typeof REQUEST_METHODS)[number];

/** Result type of each request method, for the typed client. */
export interface MethodResults {
  groups: GroupRow[];
  ports: PortRow[];
  routers: RouterRow[];
  querier: QuerierView;
  fdb: FdbRow[];
  stats: StatsView;
  trace: TraceResult;
  reload: ReloadResult;
}

/** Where the control socket lives unless the config's `management.socket` says otherwise (the schema's default). */
export { DEFAULT_SOCKET_PATH } from '../config/schema.js';
