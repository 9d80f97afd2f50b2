// The frames the packet I/O namespace test sends through rawframe.py (which only writes the bytes it is given):
// built here with the test kit on the product's encoders, each behind the virtio_net_hdr the kernel takes with
// PACKET_VNET_HDR / IFF_VNET_HDR (include/uapi/linux/virtio_net.h).
//
// kinds:
//   vlan       802.1Q VID 100 PCP 5, IPv4/UDP
//   qinq       802.1ad VID 200 outer, 802.1Q VID 300 inner, IPv4/UDP
//   vlan-csum  802.1Q VID 100, IPv4/TCP with CHECKSUM_PARTIAL (vnet NEEDS_CSUM, csum_start counted on the tagged frame)
//   vlan-gso   802.1Q VID 100, IPv4/TCP super-frame, 3000 B payload, gso_size 1000 (vnet TCPV4 + NEEDS_CSUM)

import {
  concat, ETHERTYPE_IPV4, ethernet, hex, ipv4, PROTO_TCP, PROTO_UDP, tcpSegmentPartial, toHex, type VlanTag,
} from '../../../src/testkit/frames.js';
import { writeU32 } from '../../../src/wire/common.js';
import * as udp from '../../../src/wire/udp.js';

export type RawKind = 'vlan' | 'qinq' | 'vlan-csum' | 'vlan-gso';

const DST_MAC = '02:00:00:00:00:99';
const SRC_MAC = '02:00:00:00:00:11';
const SRC_IP = '10.99.0.1';
const DST_IP = '10.99.0.2';

/** virtio_net_hdr flags / gso_type. */
const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
/** Offset of the TCP checksum within the TCP header. */
const TCP_CHECKSUM_OFFSET = 16;

/** struct virtio_net_hdr (10 octets, little-endian as the host). */
function vnetHeader(v: { flags?: number; gsoType?: number; hdrLen?: number; gsoSize?: number; csumStart?: number; csumOffset?: number } = {}): Uint8Array {
  const b = new Uint8Array(10);
  const d = new DataView(b.buffer);
  d.setUint8(0, v.flags ?? 0);
  d.setUint8(1, v.gsoType ?? 0);
  d.setUint16(2, v.hdrLen ?? 0, true);
  d.setUint16(4, v.gsoSize ?? 0, true);
  d.setUint16(6, v.csumStart ?? 0, true);
  d.setUint16(8, v.csumOffset ?? 0, true);
  return b;
}

function frame(tags: VlanTag[], protocol: number, l4: Uint8Array): Uint8Array {
  return ethernet({
    dst: DST_MAC, src: SRC_MAC, type: ETHERTYPE_IPV4, tags,
    payload: ipv4({ src: SRC_IP, dst: DST_IP, protocol, ttl: 64, ident: 1, payload: l4 }),
  });
}

/** Frame `index` of a kind, carrying `markerHex`: the virtio_net_hdr then the frame. */
export function rawFrame(kind: RawKind, markerHex: string, index: number): Uint8Array {
  const marker = hex(markerHex);
  if (kind === 'vlan' || kind === 'qinq') {
    const seq = new Uint8Array(4);
    writeU32(seq, 0, index);
    const datagram = udp.emit({ srcPort: 4000, dstPort: 4001 }, concat(marker, seq));
    const tags: VlanTag[] = kind === 'vlan' ? [{ vid: 100, pcp: 5 }] : [{ tpid: 0x88a8, vid: 200 }, { vid: 300 }];
    return concat(vnetHeader(), frame(tags, PROTO_UDP, datagram));
  }
  const size = kind === 'vlan-gso' ? 3000 : 200;
  const payload = new Uint8Array(size).map((_, i) => marker[i % marker.length]!);
  const tcp = tcpSegmentPartial({ src: SRC_IP, dst: DST_IP, srcPort: 4242, dstPort: 4243, seq: index * 100_000, payload });
  const l4Start = 14 + 4 + 20; // Ethernet, one tag, IPv4 without options
  const csum = { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: l4Start, csumOffset: TCP_CHECKSUM_OFFSET };
  const vnet = kind === 'vlan-gso'
    ? vnetHeader({ ...csum, gsoType: VIRTIO_NET_HDR_GSO_TCPV4, hdrLen: l4Start + 20, gsoSize: 1000 })
    : vnetHeader(csum);
  return concat(vnet, frame([{ vid: 100, pcp: 5 }], PROTO_TCP, tcp));
}

/** `count` frames of a kind as hex, for rawframe.py's command line or stdin. */
export function rawFramesHex(kind: RawKind, count: number, markerHex: string): string[] {
  return Array.from({ length: count }, (_, i) => toHex(rawFrame(kind, markerHex, i)));
}
