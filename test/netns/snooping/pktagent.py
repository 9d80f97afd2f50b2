#!/usr/bin/env python3
# Packet agent for the snooping namespace tests (test/netns/snooping/helpers.ts drives it).
#
#   python3 pktagent.py --iface eth0
#
# Runs inside a host namespace. It
#   * captures every IPv4 and IPv6 frame on the interface (AF_PACKET, both directions) with a kernel receive
#     timestamp and keeps a compact record per frame;
#   * sends complete Ethernet frames given as hex (AF_PACKET, so source addresses, TTL, options and checksums
#     are exactly what the test built: spoofed sources, IGMP without Router Alert, bad checksums, ...);
#   * does what an application does (the differential harness, test/differential/): opens UDP sockets and changes
#     their multicast filters with the socket calls of RFC 3678 / ip(7) (IP_ADD_MEMBERSHIP, IP_BLOCK_SOURCE,
#     MCAST_JOIN_SOURCE_GROUP, ...), so that the host's kernel decides which IGMP messages to send, and sends real
#     UDP datagrams from a socket.
#
# stdin, one JSON object per line:  {"id":N,"op":"send","frames":[hex,...],"gapUs":0}
#                                   {"id":N,"op":"events","since":K}   {"id":N,"op":"quit"}
#   sockets (ifaddr: the host's address):  {"id":N,"op":"sock-open","sock":K}   {"id":N,"op":"sock-close","sock":K}
#     {"id":N,"op":"sock-call","sock":K,"opt":"IP_BLOCK_SOURCE","group":G,"source":S,"ifaddr":A}
#     {"id":N,"op":"udp-send","groups":[G,...],"count":C,"port":P,"gapMs":1,"ifaddr":A}
# stdout: {"type":"ready",...} once, then one {"id":N,...} reply per command.
# An event is [t_ms, out, src, dst, proto, info, ttl]: t_ms wall-clock ms (kernel timestamp), out 1 for frames this
# host sent, info = IGMP type (proto 2), UDP destination port (proto 17), PIM type (proto 103), ICMPv6 type (proto 58,
# MLD and neighbour discovery), else 0. For IPv6, proto is the upper-layer header after Hop-by-Hop, Routing and
# Destination Options headers, ttl the Hop Limit, and addresses are in RFC 5952 form.

import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
IPV6_EXT_HEADERS = (0, 43, 60)
ETH_P_ALL = 0x0003
SOL_SOCKET = 1
SO_TIMESTAMPNS = 35
SO_RCVBUF = 8
PACKET_OUTGOING = 4

# <linux/in.h>: the multicast socket calls, with the argument structure each takes.
IP_MULTICAST_IF = 32
IP_MULTICAST_TTL = 33
IP_MULTICAST_LOOP = 34
SOCKET_CALLS = {
    'IP_ADD_MEMBERSHIP': (35, 'ip_mreq'),
    'IP_DROP_MEMBERSHIP': (36, 'ip_mreq'),
    'IP_UNBLOCK_SOURCE': (37, 'ip_mreq_source'),
    'IP_BLOCK_SOURCE': (38, 'ip_mreq_source'),
    'IP_ADD_SOURCE_MEMBERSHIP': (39, 'ip_mreq_source'),
    'IP_DROP_SOURCE_MEMBERSHIP': (40, 'ip_mreq_source'),
    'MCAST_JOIN_GROUP': (42, 'group_req'),
    'MCAST_BLOCK_SOURCE': (43, 'group_source_req'),
    'MCAST_UNBLOCK_SOURCE': (44, 'group_source_req'),
    'MCAST_LEAVE_GROUP': (45, 'group_req'),
    'MCAST_JOIN_SOURCE_GROUP': (46, 'group_source_req'),
    'MCAST_LEAVE_SOURCE_GROUP': (47, 'group_source_req'),
}


def upper_info(data, proto, l4):
    # The event's info field: IGMP or ICMPv6 type, UDP destination port, PIM type.
    if proto in (2, 58) and len(data) > l4:
        return data[l4]
    if proto == 17 and len(data) >= l4 + 4:
        return struct.unpack('!H', data[l4 + 2:l4 + 4])[0]
    if proto == 103 and len(data) > l4:
        return data[l4] & 0x0F
    return 0


def sockaddr_storage(addr):
    # struct sockaddr_in (family in host order, port, address) padded to struct sockaddr_storage (128 bytes)
    return struct.pack('=HH4s', socket.AF_INET, 0, socket.inet_aton(addr)).ljust(128, b'\0')


def socket_call_argument(kind, group, source, ifaddr, ifindex):
    if kind == 'ip_mreq':          # { imr_multiaddr, imr_interface }
        return socket.inet_aton(group) + socket.inet_aton(ifaddr)
    if kind == 'ip_mreq_source':   # { imr_multiaddr, imr_interface, imr_sourceaddr }
        return socket.inet_aton(group) + socket.inet_aton(ifaddr) + socket.inet_aton(source)
    # group_req / group_source_req: u32 interface index, padding to 8 bytes, then sockaddr_storage(s)
    head = struct.pack('=I4x', ifindex)
    if kind == 'group_req':
        return head + sockaddr_storage(group)
    return head + sockaddr_storage(group) + sockaddr_storage(source)


def main():
    args = sys.argv[1:]
    iface = 'eth0'
    if '--iface' in args:
        iface = args[args.index('--iface') + 1]

    cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    cap.bind((iface, ETH_P_ALL))
    cap.setsockopt(SOL_SOCKET, SO_TIMESTAMPNS, 1)
    try:
        cap.setsockopt(SOL_SOCKET, SO_RCVBUF, 4 * 1024 * 1024)
    except OSError:
        pass
    cap.setblocking(False)

    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((iface, 0))
    ifindex = socket.if_nametoindex(iface)
    app_socks = {}
    udp_tx = None

    events = []
    stdin_fd = sys.stdin.fileno()
    buf = b''
    out = sys.stdout

    def reply(obj):
        out.write(json.dumps(obj, separators=(',', ':')) + '\n')
        out.flush()

    def drain():
        while True:
            try:
                data, anc, _flags, addr = cap.recvmsg(256, socket.CMSG_SPACE(16))
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            now = time.time() * 1000.0
            t = now
            for level, typ, cdata in anc:
                if level == SOL_SOCKET and typ == SO_TIMESTAMPNS and len(cdata) >= 16:
                    sec, nsec = struct.unpack('qq', cdata[:16])
                    kt = sec * 1000.0 + nsec / 1e6
                    # Use the kernel timestamp unless it is on another clock (some TX paths).
                    if abs(kt - now) < 5000:
                        t = kt
            if len(data) < 34:
                continue
            etype = struct.unpack('!H', data[12:14])[0]
            off = 14
            if etype == 0x8100 and len(data) >= 38:
                etype = struct.unpack('!H', data[16:18])[0]
                off = 18
            if etype == ETH_P_IPV6:
                if len(data) < off + 40:
                    continue
                ttl = data[off + 7]
                proto = data[off + 6]
                src = socket.inet_ntop(socket.AF_INET6, data[off + 8:off + 24])
                dst = socket.inet_ntop(socket.AF_INET6, data[off + 24:off + 40])
                l4 = off + 40
                for _ in range(8):
                    if proto not in IPV6_EXT_HEADERS or len(data) < l4 + 2:
                        break
                    proto, l4 = data[l4], l4 + (data[l4 + 1] + 1) * 8
                events.append([round(t, 3), 1 if addr[2] == PACKET_OUTGOING else 0, src, dst, proto, upper_info(data, proto, l4), ttl])
                continue
            if etype != ETH_P_IP:
                continue
            ihl = (data[off] & 0x0F) * 4
            ttl = data[off + 8]
            proto = data[off + 9]
            src = socket.inet_ntoa(data[off + 12:off + 16])
            dst = socket.inet_ntoa(data[off + 16:off + 20])
            l4 = off + ihl
            info = upper_info(data, proto, l4)
            events.append([round(t, 3), 1 if addr[2] == PACKET_OUTGOING else 0, src, dst, proto, info, ttl])

    reply({'type': 'ready', 'iface': iface, 'pid': os.getpid()})
    while True:
        r, _, _ = select.select([cap, stdin_fd], [], [], 1.0)
        if cap in r:
            drain()
        if stdin_fd in r:
            chunk = os.read(stdin_fd, 1 << 20)
            if not chunk:
                return
            buf += chunk
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                if not line.strip():
                    continue
                cmd = json.loads(line)
                op = cmd.get('op')
                cid = cmd.get('id')
                if op == 'send':
                    gap = float(cmd.get('gapUs', 0)) / 1e6
                    sent = 0
                    t0 = time.time() * 1000.0
                    for i, h in enumerate(cmd['frames']):
                        if i and gap > 0:
                            time.sleep(gap)
                        tx.send(bytes.fromhex(h))
                        sent += 1
                    drain()
                    reply({'id': cid, 'sent': sent, 't0': t0, 't1': time.time() * 1000.0})
                elif op == 'events':
                    drain()
                    since = int(cmd.get('since', 0))
                    reply({'id': cid, 'events': events[since:], 'next': len(events), 'now': time.time() * 1000.0})
                elif op in ('sock-open', 'sock-close', 'sock-call', 'udp-send'):
                    try:
                        if op == 'sock-open':
                            app_socks[cmd['sock']] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        elif op == 'sock-close':
                            app_socks.pop(cmd['sock']).close()
                        elif op == 'sock-call':
                            if cmd['opt'] not in SOCKET_CALLS:
                                raise ValueError('unknown socket call %s' % cmd['opt'])
                            opt, kind = SOCKET_CALLS[cmd['opt']]
                            arg = socket_call_argument(kind, cmd['group'], cmd.get('source') or '0.0.0.0', cmd['ifaddr'], ifindex)
                            app_socks[cmd['sock']].setsockopt(socket.IPPROTO_IP, opt, arg)
                        else:
                            if udp_tx is None:
                                udp_tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                                udp_tx.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_IF, socket.inet_aton(cmd['ifaddr']))
                                udp_tx.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_TTL, 1)
                                udp_tx.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_LOOP, 0)
                            gap = float(cmd.get('gapMs', 0)) / 1000.0
                            for _ in range(int(cmd['count'])):
                                for g in cmd['groups']:
                                    udp_tx.sendto(b'igmpswitch-differential', (g, int(cmd['port'])))
                                    if gap > 0:
                                        time.sleep(gap)
                            drain()
                        reply({'id': cid, 'ok': True})
                    except (OSError, ValueError, KeyError) as e:
                        reply({'id': cid, 'error': '%s: %s' % (op, e)})
                elif op == 'quit':
                    reply({'id': cid, 'ok': True})
                    return
                else:
                    reply({'id': cid, 'error': 'unknown op %r' % op})


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
