#!/usr/bin/env python3
"""Raw Ethernet frames for the packet I/O namespace test, independent of the addon under test.

    rawframe.py send <ifname> <kind> <count> <markerhex>     AF_PACKET (+vnet hdr) sender, prints {"type":"sent"}
    rawframe.py capture <ifname> <markerhex> <seconds> <max> prints {"type":"ready"}, then {"type":"captured",frames}
    rawframe.py tap <tapname>                                creates a TAP (IFF_VNET_HDR), prints {"type":"ready"};
                                                             stdin "send <kind> <count> <markerhex>" writes frames
                                                             *into* the TAP (received by the switch port on it)

kinds:
    vlan       802.1Q VID 100 PCP 5, IPv4/UDP
    qinq       802.1ad VID 200 outer, 802.1Q VID 300 inner, IPv4/UDP
    vlan-csum  802.1Q VID 100, IPv4/TCP with CHECKSUM_PARTIAL (vnet NEEDS_CSUM, csum_start counted on the tagged frame)
    vlan-gso   802.1Q VID 100, IPv4/TCP super-frame, 3000 B payload, gso_size 1000 (vnet TCPV4 + NEEDS_CSUM)

The capture records, for each frame containing the marker, the tag the kernel reports (PACKET_AUXDATA; the kernel
strips the outer tag on receive) and the virtio_net_hdr (PACKET_VNET_HDR), so the test can check that the switch
put the tag back and kept csum_start pointing at the L4 header.
"""
import fcntl
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_VNET_HDR = 15
ETH_P_ALL = 0x0003
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
# A capture ends this long after the last frame with its marker (the sender's burst is over).
CAPTURE_IDLE_S = 1.0

DST = bytes.fromhex("020000000099")
SRC = bytes.fromhex("020000000011")
SIP = socket.inet_aton("10.99.0.1")
DIP = socket.inet_aton("10.99.0.2")


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ipv4(proto, payload_len):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 1, 0, 64, proto, 0, SIP, DIP)
    return hdr[:10] + struct.pack("!H", 0xFFFF - csum(hdr)) + hdr[12:]


def vnet(flags=0, gso_type=0, hdr_len=0, gso_size=0, csum_start=0, csum_offset=0):
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, csum_start, csum_offset)


def build(kind, marker, index):
    """Returns (vnet_header, frame)."""
    if kind in ("vlan", "qinq"):
        payload = marker + struct.pack("!I", index)
        udp = struct.pack("!HHHH", 4000, 4001, 8 + len(payload), 0) + payload
        l3 = ipv4(17, len(udp)) + udp
        if kind == "vlan":
            tags = struct.pack("!HH", 0x8100, (5 << 13) | 100)
        else:
            tags = struct.pack("!HHHH", 0x88A8, 200, 0x8100, 300)
        return vnet(), DST + SRC + tags + struct.pack("!H", 0x0800) + l3
    if kind in ("vlan-csum", "vlan-gso"):
        size = 3000 if kind == "vlan-gso" else 200
        payload = (marker * (size // len(marker) + 1))[:size]
        l4_len = 20 + len(payload)
        # CHECKSUM_PARTIAL convention: the checksum field holds the (uncomplemented) pseudo-header sum.
        pseudo = csum(SIP + DIP + struct.pack("!BBH", 0, 6, l4_len))
        tcp = struct.pack("!HHIIBBHHH", 4242, 4243, index * 100000, 0, 5 << 4, 0x18, 65535, pseudo, 0)
        tag = struct.pack("!HH", 0x8100, (5 << 13) | 100)
        frame = DST + SRC + tag + struct.pack("!H", 0x0800) + ipv4(6, l4_len) + tcp + payload
        l4 = 14 + 4 + 20
        if kind == "vlan-gso":
            return vnet(1, 1, l4 + 20, 1000, l4, 16), frame
        return vnet(1, 0, 0, 0, l4, 16), frame
    raise SystemExit("unknown kind " + kind)


def send(ifname, kind, count, marker):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((ifname, 0))
    for i in range(count):
        v, f = build(kind, marker, i)
        s.send(v + f)
    out({"type": "sent", "count": count})


def capture(ifname, marker, seconds, limit):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((ifname, 0))
    s.setblocking(False)
    out({"type": "ready"})
    frames = []
    deadline = end = time.time() + seconds
    # Stops at `limit` marked frames, or CAPTURE_IDLE_S after the last marked one (a burst is over), or at `seconds`:
    # the window is not counted from "ready", so a sender that starts slowly on a loaded machine is still seen.
    while time.time() < end and len(frames) < limit:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if not r:
            continue
        data, anc, _, _ = s.recvmsg(70000, socket.CMSG_SPACE(20))
        v, frame = data[:10], data[10:]
        if marker not in frame:
            continue
        flags, gso_type, hdr_len, gso_size, cstart, coff = struct.unpack("<BBHHHH", v)
        rec = {"len": len(frame), "ethertype": struct.unpack("!H", frame[12:14])[0],
               "vnet": {"flags": flags, "gsoType": gso_type, "hdrLen": hdr_len, "gsoSize": gso_size,
                        "csumStart": cstart, "csumOffset": coff},
               "payloadMarkers": frame.count(marker), "tag": None}
        for level, typ, body in anc:
            if level == SOL_PACKET and typ == PACKET_AUXDATA:
                status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", body[:20])
                if status & TP_STATUS_VLAN_VALID or tci:
                    rec["tag"] = {"tci": tci, "tpid": tpid if status & TP_STATUS_VLAN_TPID_VALID else 0x8100}
        if rec["ethertype"] in (0x8100, 0x88A8):  # a second (inner) tag stays in the frame
            rec["innerTci"] = struct.unpack("!H", frame[14:16])[0]
        frames.append(rec)
        end = min(deadline, time.time() + CAPTURE_IDLE_S)
    out({"type": "captured", "frames": frames})


def tap(name):
    TUNSETIFF = 0x400454CA
    IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
    subprocess.run(["ip", "link", "set", name, "up"], check=True)
    out({"type": "ready"})
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        if parts[0] == "send":
            kind, count, marker = parts[1], int(parts[2]), bytes.fromhex(parts[3])
            for i in range(count):
                v, f = build(kind, marker, i)
                os.write(fd, v + f)
            out({"type": "sent", "count": count})
        # frames the switch sends to the TAP queue up in fd; nobody reads them (they are dropped when full)
    os.close(fd)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "send":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]), bytes.fromhex(sys.argv[5]))
    elif cmd == "capture":
        capture(sys.argv[2], bytes.fromhex(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "tap":
        tap(sys.argv[2])
    else:
        raise SystemExit("usage: see the module docstring")
