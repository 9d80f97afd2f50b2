// Table commands: the only way the control plane changes the data plane's tables.
// The control plane emits them; the data-plane worker applies them between batches (single writer).
// Addresses are text (IPv4 dotted quad or IPv6); the loader turns them into the 16-byte keys
// (IPv4-mapped for IPv4) the Wasm tables use.

/** Port sets are bitmaps over port indices 0..63. */
export type PortMask = bigint;

/** What happens to multicast for a group nobody registered (RFC 4541 2.1.2(3)). */
export type UnregisteredPolicy = 'routers' | 'flood' | 'drop';

/** Whether multicast data of a family is filtered by the MDB at all, or flooded (no querier, startup grace). */
export type McastMode = 'snoop' | 'flood';

export type TableCommand =
  /** Create or replace the entry for (vlan, group[, source]); ports may be empty (registered, nobody on it). */
  | { op: 'mdbSet'; vlan: number; group: string; source: string | null; ports: PortMask }
  /** Remove the entry for (vlan, group[, source]). */
  | { op: 'mdbDelete'; vlan: number; group: string; source: string | null }
  /** Remove every MDB entry. */
  | { op: 'mdbClear' }
  /** Ports that receive all snooped multicast and membership reports (RFC 4541 2.1.1, 2.1.2(1)). */
  | { op: 'routerPorts'; ports: PortMask }
  | { op: 'policy'; unregistered: UnregisteredPolicy; mode: McastMode }
  /**
   * IPv6 multicast (other than ff02::1) filtered by the MDB ('snoop', MLD reports to router ports, RFC 4541 §3) or
   * flooded ('flood': MLD snooping off, no MLD querier, start-up window). The unregistered policy is the `policy` one.
   */
  | { op: 'mldMode'; mode: McastMode }
  /**
   * Per-port flags. floodAll: receives all multicast. floodReports: also receives membership reports.
   * floodUnregistered: receives unregistered multicast when the policy floods it.
   */
  | { op: 'portFlags'; floodAll: PortMask; floodReports: PortMask; floodUnregistered: PortMask }
  /** Ports whose frames the data plane accepts and to which it may send (others are down or removed). */
  | { op: 'activePorts'; ports: PortMask }
  /** Membership reports/leaves accepted per port per second in the data plane (token bucket); 0 = no limit. */
  | { op: 'reportRate'; perSecond: number; burst: number }
  /** Forget learned MAC addresses, on one port or everywhere. */
  | { op: 'fdbFlush'; port: number | null };

/** Where the control plane writes table changes. */
export interface TableSink {
  apply(commands: readonly TableCommand[]): void;
}

/** Where the control plane sends frames it originates (queries, MRD solicitations). */
export interface FrameSink {
  send(ports: PortMask, frame: Uint8Array): void;
}
