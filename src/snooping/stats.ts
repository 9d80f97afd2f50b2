// Counters: messages by type and version, what we sent, and every refusal by reason
// (one counter per drop reason, as BSD igmpstat / FRR igmp_stats do).

import type { TxCounter } from './querier.js';

export const RX_COUNTERS = [
  'igmp_v1_query', 'igmp_v2_query', 'igmp_v3_query',
  'igmp_v1_report', 'igmp_v2_report', 'igmp_v3_report', 'igmp_v2_leave',
  'igmp_v3_record_is_in', 'igmp_v3_record_is_ex', 'igmp_v3_record_to_in', 'igmp_v3_record_to_ex',
  'igmp_v3_record_allow', 'igmp_v3_record_block', 'igmp_v3_record_unknown',
  'mld_v1_query', 'mld_v2_query', 'mld_v1_report', 'mld_v2_report', 'mld_done',
  'pim_hello', 'pim_other',
  'mrd_advertisement', 'mrd_solicitation', 'mrd_termination',
] as const;
export type RxCounter = (typeof RX_COUNTERS)[number];

export const TX_COUNTERS: readonly TxCounter[] = [
  'igmp_v2_general_query', 'igmp_v3_general_query',
  'igmp_v2_group_query', 'igmp_v3_group_query', 'igmp_v3_group_source_query',
  'mld_v1_general_query', 'mld_v2_general_query',
  'mld_v1_group_query', 'mld_v2_group_query', 'mld_v2_group_source_query',
  'mrd_solicitation',
];

export const REJECT_REASONS = [
  'unknown-port',      // a message from a port not in the configuration
  'bad-vlan',          // a VLAN id outside 0..4095 (0 = untagged)
  'disabled',          // snooping is disabled
  'local-group',       // 224.0.0.0/24 (RFC 4541 §2.1.2(2), Linux: ipv4_is_local_multicast); ff02::1 and ff00::/15 (§3)
  'invalid-group',     // not a multicast address of the engine's family
  'invalid-source',    // an IGMPv3 source that is 0.0.0.0 or multicast
  'source-limit',      // a new source past MAX_SOURCES_PER_PORT_GROUP
  'port-limit',        // a new membership past the port's maxGroups
  'global-limit',      // a new membership past the overall maxGroups
  'mdb-full',          // an MDB entry not installed (yet): the data plane's table is full (installed when space frees)
  'host-limit',        // a host past MAX_HOSTS_PER_PORT_GROUP on a fast-leave port
  'rate-limit',        // never counted: the data plane enforces reportRateLimit (drop counter report_rate_limit); kept so the metric series stays
  'untrusted',         // querierGuard: query/PIM/MRD from an untrusted port
  'router-never',      // query/PIM/MRD on a `router: never` port (not learned)
  'not-elected',       // a query from a querier that lost the election
  'invalid-querier',   // a query from 0/8 (but 0.0.0.0), 127/8, 224/4 or 240/4: never in the election
  'compat-ignored',    // ignored in IGMPv1/v2 compatibility mode (RFC 3376 §7.3.2)
  'unknown-record',    // an IGMPv3 group record of unknown type (RFC 3376 §4.2.12)
  'ipv6-not-snooped',  // an IPv6 message (MLD, PIM, MRD) given to the IPv4 engine (DualStackSnooping never does)
  'ipv4-not-snooped',  // an IPv4 message given to the IPv6 engine
  'not-link-local-source', // MLD query not from a link-local address, report not from one or :: (RFC 3810 §5.1.14, §6.2)
  'hop-limit',         // MLD message with a Hop Limit other than 1 (RFC 3810 §6.2)
  'no-router-alert',   // MLD message without the Hop-by-Hop Router Alert (RFC 3810 §6.2)
  'decode-error',      // the frame could not be decoded (noteDecodeError)
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export class Counters {
  readonly rx: Record<RxCounter, number>;
  readonly tx: Record<TxCounter, number>;
  readonly rejects: Record<RejectReason, number>;
  readonly decodeErrors: Record<string, number> = {};

  constructor() {
    this.rx = Object.fromEntries(RX_COUNTERS.map((k) => [k, 0])) as Record<RxCounter, number>;
    this.tx = Object.fromEntries(TX_COUNTERS.map((k) => [k, 0])) as Record<TxCounter, number>;
    this.rejects = Object.fromEntries(REJECT_REASONS.map((k) => [k, 0])) as Record<RejectReason, number>;
  }
}

const RECORD_COUNTERS: Record<number, RxCounter> = {
  1: 'igmp_v3_record_is_in', 2: 'igmp_v3_record_is_ex', 3: 'igmp_v3_record_to_in',
  4: 'igmp_v3_record_to_ex', 5: 'igmp_v3_record_allow', 6: 'igmp_v3_record_block',
};

export function recordCounter(recordType: number): RxCounter {
  return RECORD_COUNTERS[recordType] ?? 'igmp_v3_record_unknown';
}
