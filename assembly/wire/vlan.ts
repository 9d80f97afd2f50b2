// VLAN tags: IEEE 802.1Q customer tag (TPID 0x8100) and IEEE 802.1ad service tag (TPID 0x88a8), possibly stacked
// (QinQ: S-tag then C-tag). A tag sits where the EtherType was:
//
//   0       2   (3b) (1b)   (12b)    4
//  +-------+-----+---+-------------+
//  | TPID  | PCP |DEI|     VID     |  followed by the next TPID or the EtherType
//  +-------+-----+---+-------------+
//
// The switch keys its tables by the outermost tag's VID: 0 for untagged frames and for priority-tagged ones
// (IEEE 802.1Q Table 9-2: VID 0 is the null VID, "the tag header contains only priority information").

import { ETHERTYPE } from "./ethernet";

/** Offsets within a tag, relative to its TPID. */
const TCI: usize = 2;
export const TAG_LEN: u32 = 4;

export const TPID_CTAG: u16 = 0x8100;
export const TPID_STAG: u16 = 0x88a8;

/** Tags walked at most; a third TPID is left as the EtherType, so the frame is bridged as non-IP. */
export const MAX_TAGS: u32 = 2;

const VID_MASK: u16 = 0x0fff;

@inline export function isTagTpid(t: u16): bool {
  return t == TPID_CTAG || t == TPID_STAG;
}

/** The VID of the tag whose TPID is at `p + off`. */
@inline export function tagVid(p: usize, off: u32): u16 {
  return bswap<u16>(load<u16>(p + <usize>off, TCI)) & VID_MASK;
}

/**
 * Walk the tags of a frame of `len` bytes (len ≥ 14). Returns `(outerVid << 16) | etherTypeOffset`, where
 * etherTypeOffset is where the final EtherType field sits (12 when untagged; L3 starts 2 bytes later), or -1 when a
 * tag is cut short by the end of the frame.
 */
export function walkTags(p: usize, len: u32): i32 {
  // Straight-line: most frames are untagged, and the engine keeps a loop's stack check and counter even for two
  // iterations.
  const outer = bswap<u16>(load<u16>(p + <usize>ETHERTYPE));
  if (!isTagTpid(outer)) return <i32>ETHERTYPE;
  // The tag itself and the field after it must both be inside the frame.
  let off = <u32>ETHERTYPE;
  if (off + TAG_LEN + 2 > len) return -1;
  const vid = <u32>tagVid(p, off);
  off += TAG_LEN;
  // At most MAX_TAGS (2) tags: a third TPID is left as the EtherType.
  if (isTagTpid(bswap<u16>(load<u16>(p + <usize>off)))) {
    if (off + TAG_LEN + 2 > len) return -1;
    off += TAG_LEN;
  }
  return <i32>((vid << 16) | off);
}
