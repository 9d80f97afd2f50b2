// Port sets and multicast policy, set by the control plane between batches. Port sets are u64 bitmaps over port
// indices 0..63 (bit p = port p). Kept in Wasm globals: the batch loop reads them for every frame.

/** Ports whose frames are accepted and to which frames may be sent. */
export let activePorts: u64 = 0;
/** RFC 4541 2.1.1(1) / 2.1.2(1): ports with multicast routers receive reports and all snooped multicast. */
export let routerPorts: u64 = 0;
/** Ports that receive all multicast. */
export let floodAllPorts: u64 = 0;
/** Ports that also receive membership reports (RFC 4541 2.1.1(1): "an administrative control may … flood"). */
export let floodReportPorts: u64 = 0;
/** Ports that receive unregistered multicast when the policy floods it. */
export let floodUnregisteredPorts: u64 = 0;

/** What happens to multicast for a group nobody registered (RFC 4541 2.1.2(3)). */
export const UNREGISTERED_ROUTERS: u32 = 0;
export const UNREGISTERED_FLOOD: u32 = 1;
export const UNREGISTERED_DROP: u32 = 2;
export let unregisteredPolicy: u32 = UNREGISTERED_ROUTERS;
/** Names of the policy values, by value (read by the loader through names.ts). */
export const POLICY_NAMES = "routers,flood,drop";

/** Whether IPv4 multicast data is forwarded by the MDB (snoop) or flooded (no querier yet, startup grace). */
export const MODE_SNOOP: u32 = 0;
export const MODE_FLOOD: u32 = 1;
export let multicastMode: u32 = MODE_SNOOP;
export const MODE_NAMES = "snoop,flood";

/**
 * MLD snooping is a later feature: until it is switched on, IPv6 multicast is flooded (RFC 4541 2.1.2(4): IGMP
 * snooping must not affect IPv6) and MLD is punted and flooded. When on, IPv6 multicast other than ff02::1 is
 * forwarded by the MDB like IPv4 (RFC 4541 §3) and MLD reports go to router ports.
 */
export let mldSnooping: bool = false;

export function setActivePorts(mask: u64): void {
  activePorts = mask;
}

export function setRouterPorts(mask: u64): void {
  routerPorts = mask;
}

export function setPortFlags(floodAll: u64, floodReports: u64, floodUnregistered: u64): void {
  floodAllPorts = floodAll;
  floodReportPorts = floodReports;
  floodUnregisteredPorts = floodUnregistered;
}

/** Unknown values fall back to the RFC's minimum (routers) and to flooding, the safe choices. */
export function setPolicy(unregistered: u32, mode: u32): void {
  unregisteredPolicy = unregistered <= UNREGISTERED_DROP ? unregistered : UNREGISTERED_ROUTERS;
  multicastMode = mode == MODE_SNOOP ? MODE_SNOOP : MODE_FLOOD;
}

export function setMldSnooping(on: bool): void {
  mldSnooping = on;
}

@inline export function isActive(port: u32): bool {
  return ((activePorts >>> <u64>port) & 1) != 0;
}
