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
#   * does what an application does (the differential harness, test/differential/): opens UDP sockets (IPv4 or
#     IPv6) and changes their multicast filters with the socket calls of RFC 3678 / ip(7) / ipv6(7)
#     (IP_ADD_MEMBERSHIP, IP_BLOCK_SOURCE, IPV6_JOIN_GROUP, MCAST_JOIN_SOURCE_GROUP, ...), so that the host's kernel
#     decides which IGMP or MLD messages to send, and sends real UDP datagrams from a socket.
#
# stdin, one JSON object per line:  {"id":N,"op":"send","frames":[hex,...],"gapUs":0}
#                                   {"id":N,"op":"events","since":K}   {"id":N,"op":"quit"}
#   sockets (family "ipv4" or "ipv6", default ipv4; ifaddr: the host's address of that family):
#     {"id":N,"op":"sock-open","sock":K,"family":F}   {"id":N,"op":"sock-close","sock":K}
#     {"id":N,"op":"sock-call","sock":K,"opt":"IP_BLOCK_SOURCE","group":G,"source":S,"ifaddr":A}
#     {"id":N,"op":"udp-send","groups":[G,...],"count":C,"port":P,"gapMs":1,"ifaddr":A,"family":F}
#   The MCAST_* calls go to the socket's own level (IPPROTO_IP or IPPROTO_IPV6) with sockaddrs of its family.
# stdout: {"type":"ready",...} once, then one {"id":N,...} reply per command.
# An event is [t_ms, out, src, dst, proto, info, ttl, record]: t_ms wall-clock ms (kernel timestamp), out 1 for frames
# this host sent, info = IGMP type (proto 2), UDP destination port (proto 17), PIM type (proto 103), ICMPv6 type
# (proto 58, MLD and neighbour discovery), else 0. For IPv6, proto is the upper-layer header after Hop-by-Hop, Routing
# and Destination Options headers, ttl the Hop Limit, and addresses are in RFC 5952 form. record is the type of the
# first group record of an IGMPv3 or MLDv2 report (RFC 3376 §4.2.12, RFC 3810 §5.2.12), else 0: a host's leave
# (CHANGE_TO_INCLUDE_MODE, 3) and its answer to a query (MODE_IS_*, 1 or 2) share the message type.

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
    # <linux/in6.h>: IPV6_ADD_MEMBERSHIP / IPV6_DROP_MEMBERSHIP, RFC 3493's IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP.
    'IPV6_JOIN_GROUP': (20, 'ipv6_mreq'),
    'IPV6_LEAVE_GROUP': (21, 'ipv6_mreq'),
}
IPPROTO_IPV6 = 41
IPV6_MULTICAST_IF = 17
IPV6_MULTICAST_HOPS = 18
IPV6_MULTICAST_LOOP = 19


def upper_info(data, proto, l4):
    # The event's info field: IGMP or ICMPv6 type, UDP destination port, PIM type.
    if proto in (2, 58) and len(data) > l4:
        return data[l4]
    if proto == 17 and len(data) >= l4 + 4:
        return struct.unpack('!H', data[l4 + 2:l4 + 4])[0]
    if proto == 103 and len(data) > l4:
        return data[l4] & 0x0F
    return 0


IGMPV3_REPORT = 0x22
MLDV2_REPORT = 143
REPORT_FIRST_RECORD = 8  # type, reserved, checksum, reserved (2), number of records (2); then the records


def first_record_type(data, proto, l4):
    # The event's record field: the first group record's type of an IGMPv3 or MLDv2 report with records, else 0.
    if len(data) <= l4 + REPORT_FIRST_RECORD:
        return 0
    if (proto, data[l4]) not in ((2, IGMPV3_REPORT), (58, MLDV2_REPORT)):
        return 0
    return data[l4 + REPORT_FIRST_RECORD] if struct.unpack('!H', data[l4 + 6:l4 + 8])[0] > 0 else 0


def sockaddr_storage(addr):
    # struct sockaddr_in (family in host order, port, address) or struct sockaddr_in6 (family, port, flowinfo,
    # address, scope id), padded to struct sockaddr_storage (128 bytes)
    if ':' in addr:
        return struct.pack('=HHI16sI', socket.AF_INET6, 0, 0, socket.inet_pton(socket.AF_INET6, addr), 0).ljust(128, b'\0')
    return struct.pack('=HH4s', socket.AF_INET, 0, socket.inet_aton(addr)).ljust(128, b'\0')


def socket_call_argument(kind, group, source, ifaddr, ifindex):
    if kind == 'ipv6_mreq':        # { ipv6mr_multiaddr, ipv6mr_interface (index) }
        return socket.inet_pton(socket.AF_INET6, group) + struct.pack('=I', ifindex)
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
    udp_tx = {}  # family → the sending socket

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
                events.append([round(t, 3), 1 if addr[2] == PACKET_OUTGOING else 0, src, dst, proto, upper_info(data, proto, l4), ttl,
                               first_record_type(data, proto, l4)])
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
            events.append([round(t, 3), 1 if addr[2] == PACKET_OUTGOING else 0, src, dst, proto, info, ttl,
                           first_record_type(data, proto, l4)])

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
                        v6 = cmd.get('family') == 'ipv6'
                        if op == 'sock-open':
                            app_socks[cmd['sock']] = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
                        elif op == 'sock-close':
                            app_socks.pop(cmd['sock']).close()
                        elif op == 'sock-call':
                            if cmd['opt'] not in SOCKET_CALLS:
                                raise ValueError('unknown socket call %s' % cmd['opt'])
                            s = app_socks[cmd['sock']]
                            opt, kind = SOCKET_CALLS[cmd['opt']]
                            level = IPPROTO_IPV6 if s.family == socket.AF_INET6 else socket.IPPROTO_IP
                            none = '::' if s.family == socket.AF_INET6 else '0.0.0.0'
                            arg = socket_call_argument(kind, cmd['group'], cmd.get('source') or none, cmd['ifaddr'], ifindex)
                            s.setsockopt(level, opt, arg)
                        else:
                            family = 'ipv6' if v6 else 'ipv4'
                            tx_sock = udp_tx.get(family)
                            if tx_sock is None:
                                if v6:
                                    tx_sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                                    tx_sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex)
                                    tx_sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1)
                                    tx_sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0)
                                    # The source is the host's global address also for link-scope groups (source
                                    # address selection would pick the link-local one, RFC 6724 rule 2).
                                    tx_sock.bind((cmd['ifaddr'], 0))
                                else:
                                    tx_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                                    tx_sock.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_IF, socket.inet_aton(cmd['ifaddr']))
                                    tx_sock.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_TTL, 1)
                                    tx_sock.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_LOOP, 0)
                                udp_tx[family] = tx_sock
                            gap = float(cmd.get('gapMs', 0)) / 1000.0
                            for _ in range(int(cmd['count'])):
                                for g in cmd['groups']:
                                    tx_sock.sendto(b'igmpswitch-differential', (g, int(cmd['port']), 0, ifindex) if v6 else (g, int(cmd['port'])))
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
