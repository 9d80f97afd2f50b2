// Multicast Router Discovery (RFC 4286): the same three messages over IGMP (IPv4) and ICMPv6 (IPv6).
//
// Advertisement (RFC 4286 §3), 8 octets; sent to All-Snoopers (224.0.0.106 / ff02::6a):
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |  Ad. Interval |           Checksum            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Query Interval        |      Robustness Variable      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// Solicitation and Termination (RFC 4286, the Solicitation and Termination sections), 4 octets:
//  |     Type      |   Reserved    |           Checksum            |

export const IGMP_ADVERTISEMENT: u8 = 0x30;
export const IGMP_SOLICITATION: u8 = 0x31;
export const IGMP_TERMINATION: u8 = 0x32;
export const ICMPV6_ADVERTISEMENT: u8 = 151;
export const ICMPV6_SOLICITATION: u8 = 152;
export const ICMPV6_TERMINATION: u8 = 153;

export const ADVERTISEMENT_LEN: u32 = 8;
export const SOLICITATION_LEN: u32 = 4;
export const TERMINATION_LEN: u32 = 4;

/** 0 advertisement, 1 solicitation, 2 termination, -1 not MRD: one index for both address families. */
@inline export function kindOfIgmpType(t: u8): i32 {
  return t >= IGMP_ADVERTISEMENT && t <= IGMP_TERMINATION ? <i32>(t - IGMP_ADVERTISEMENT) : -1;
}

@inline export function kindOfIcmpv6Type(t: u8): i32 {
  return t >= ICMPV6_ADVERTISEMENT && t <= ICMPV6_TERMINATION ? <i32>(t - ICMPV6_ADVERTISEMENT) : -1;
}

/** The least length of a message of this kind (advertisements carry Query Interval and Robustness Variable). */
@inline export function minLength(kind: i32): u32 {
  return kind == 0 ? ADVERTISEMENT_LEN : SOLICITATION_LEN;
}
