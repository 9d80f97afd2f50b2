#!/usr/bin/env python3
# Membership and sender agent of the differential harness (test/differential/harness.ts drives it), one per host
# namespace:
#
#   python3 member-agent.py --iface eth0 --addr 192.0.2.1
#
# It does what an application does: opens UDP sockets and changes their multicast filters with the socket calls of
# RFC 3678 / ip(7) (IP_ADD_MEMBERSHIP, IP_BLOCK_SOURCE, MCAST_JOIN_SOURCE_GROUP, ...), so that the host's kernel
# decides which IGMP messages to send (TO_IN/TO_EX/ALLOW/BLOCK or IGMPv2 reports and leaves), and it sends real UDP
# datagrams from a socket (the kernel's own multicast sending path).
#
# stdin, one JSON object per line, one reply {"id":N,"ok":true} or {"id":N,"error":"..."} each:
#   {"id":N,"op":"open","sock":K}                         a new UDP socket K (not bound: it never receives)
#   {"id":N,"op":"call","sock":K,"opt":"IP_BLOCK_SOURCE","group":G,"source":S}
#   {"id":N,"op":"close","sock":K}                        the kernel drops K's memberships (as a process exit does)
#   {"id":N,"op":"send","groups":[G,...],"count":C,"port":P,"gapMs":0.5}
#   {"id":N,"op":"quit"}
# stdout: {"type":"ready",...} once, then the replies.

import json
import socket
import struct
import sys
import time

# <linux/in.h>
IP_ADD_MEMBERSHIP = 35
IP_DROP_MEMBERSHIP = 36
IP_UNBLOCK_SOURCE = 37
IP_BLOCK_SOURCE = 38
IP_ADD_SOURCE_MEMBERSHIP = 39
IP_DROP_SOURCE_MEMBERSHIP = 40
MCAST_JOIN_GROUP = 42
MCAST_BLOCK_SOURCE = 43
MCAST_UNBLOCK_SOURCE = 44
MCAST_LEAVE_GROUP = 45
MCAST_JOIN_SOURCE_GROUP = 46
MCAST_LEAVE_SOURCE_GROUP = 47
IP_MULTICAST_IF = 32
IP_MULTICAST_TTL = 33
IP_MULTICAST_LOOP = 34

# Which argument structure each option takes: ip_mreq, ip_mreq_source, group_req, group_source_req.
OPTIONS = {
    'IP_ADD_MEMBERSHIP': (IP_ADD_MEMBERSHIP, 'mreq'),
    'IP_DROP_MEMBERSHIP': (IP_DROP_MEMBERSHIP, 'mreq'),
    'IP_BLOCK_SOURCE': (IP_BLOCK_SOURCE, 'mreq_source'),
    'IP_UNBLOCK_SOURCE': (IP_UNBLOCK_SOURCE, 'mreq_source'),
    'IP_ADD_SOURCE_MEMBERSHIP': (IP_ADD_SOURCE_MEMBERSHIP, 'mreq_source'),
    'IP_DROP_SOURCE_MEMBERSHIP': (IP_DROP_SOURCE_MEMBERSHIP, 'mreq_source'),
    'MCAST_JOIN_GROUP': (MCAST_JOIN_GROUP, 'group_req'),
    'MCAST_LEAVE_GROUP': (MCAST_LEAVE_GROUP, 'group_req'),
    'MCAST_BLOCK_SOURCE': (MCAST_BLOCK_SOURCE, 'group_source_req'),
    'MCAST_UNBLOCK_SOURCE': (MCAST_UNBLOCK_SOURCE, 'group_source_req'),
    'MCAST_JOIN_SOURCE_GROUP': (MCAST_JOIN_SOURCE_GROUP, 'group_source_req'),
    'MCAST_LEAVE_SOURCE_GROUP': (MCAST_LEAVE_SOURCE_GROUP, 'group_source_req'),
}


def sockaddr_storage(addr):
    # struct sockaddr_in (family in host order, port, address) padded to struct sockaddr_storage (128 bytes)
    return struct.pack('=HH4s', socket.AF_INET, 0, socket.inet_aton(addr)).ljust(128, b'\0')


def argument(kind, group, source, ifaddr, ifindex):
    if kind == 'mreq':            # struct ip_mreq { imr_multiaddr, imr_interface }
        return socket.inet_aton(group) + socket.inet_aton(ifaddr)
    if kind == 'mreq_source':     # struct ip_mreq_source { imr_multiaddr, imr_interface, imr_sourceaddr }
        return socket.inet_aton(group) + socket.inet_aton(ifaddr) + socket.inet_aton(source)
    # struct group_req / group_source_req: u32 interface index, padding to 8, then sockaddr_storage(s)
    head = struct.pack('=I4x', ifindex)
    if kind == 'group_req':
        return head + sockaddr_storage(group)
    return head + sockaddr_storage(group) + sockaddr_storage(source)


def main():
    args = sys.argv[1:]
    iface = args[args.index('--iface') + 1] if '--iface' in args else 'eth0'
    ifaddr = args[args.index('--addr') + 1]
    ifindex = socket.if_nametoindex(iface)
    socks = {}
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_IF, socket.inet_aton(ifaddr))
    sender.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_TTL, 1)
    sender.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_LOOP, 0)

    def reply(obj):
        sys.stdout.write(json.dumps(obj, separators=(',', ':')) + '\n')
        sys.stdout.flush()

    reply({'type': 'ready', 'iface': iface, 'ifindex': ifindex})
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        cid = cmd.get('id')
        op = cmd.get('op')
        try:
            if op == 'open':
                socks[cmd['sock']] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            elif op == 'close':
                socks.pop(cmd['sock']).close()
            elif op == 'call':
                name = cmd['opt']
                if name not in OPTIONS:
                    raise ValueError('unknown option %s' % name)
                opt, kind = OPTIONS[name]
                arg = argument(kind, cmd['group'], cmd.get('source') or '0.0.0.0', ifaddr, ifindex)
                socks[cmd['sock']].setsockopt(socket.IPPROTO_IP, opt, arg)
            elif op == 'send':
                payload = b'igmpswitch-differential'
                gap = float(cmd.get('gapMs', 0)) / 1000.0
                for _ in range(int(cmd['count'])):
                    for g in cmd['groups']:
                        sender.sendto(payload, (g, int(cmd['port'])))
                        if gap > 0:
                            time.sleep(gap)
            elif op == 'quit':
                reply({'id': cid, 'ok': True})
                return
            else:
                raise ValueError('unknown op %r' % op)
            reply({'id': cid, 'ok': True})
        except (OSError, ValueError, KeyError) as e:
            reply({'id': cid, 'error': '%s: %s' % (op, e)})


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
