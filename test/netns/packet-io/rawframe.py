#!/usr/bin/env python3
"""Raw Ethernet frames for the packet I/O namespace test, independent of the addon under test.

    rawframe.py send <ifname> <hex>...                        AF_PACKET (+vnet hdr) sender of the given frames,
                                                             prints {"type":"sent"}
    rawframe.py capture <ifname> <markerhex> <seconds> <max> prints {"type":"ready"}, then {"type":"captured",frames}
    rawframe.py tap <tapname>                                creates a TAP (IFF_VNET_HDR), prints {"type":"ready"};
                                                             stdin "send <hex>..." writes the frames *into* the TAP
                                                             (received by the switch port on it)

Each <hex> is a virtio_net_hdr followed by a frame, built by the test (test/netns/packet-io/frames.ts, with the
product's encoders); this agent only writes them.

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

def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def send(ifname, frames):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((ifname, 0))
    for f in frames:
        s.send(f)
    out({"type": "sent", "count": len(frames)})


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
            for f in parts[1:]:
                os.write(fd, bytes.fromhex(f))
            out({"type": "sent", "count": len(parts) - 1})
        # frames the switch sends to the TAP queue up in fd; nobody reads them (they are dropped when full)
    os.close(fd)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "send":
        send(sys.argv[2], [bytes.fromhex(f) for f in sys.argv[3:]])
    elif cmd == "capture":
        capture(sys.argv[2], bytes.fromhex(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "tap":
        tap(sys.argv[2])
    else:
        raise SystemExit("usage: see the module docstring")
