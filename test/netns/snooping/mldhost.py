#!/usr/bin/env python3
# IPv6 multicast listener for the MLD namespace tests: the host's kernel sends the MLD reports, this agent only makes
# the socket calls an application makes (RFC 3678 protocol-independent API):
#
#   python3 mldhost.py --iface eth0
#
# stdin, one JSON object per line, reply {"id":N,"ok":true} or {"id":N,"error":"..."}:
#   {"id":N,"op":"join","group":G}                      MCAST_JOIN_GROUP: EXCLUDE {} (any source)
#   {"id":N,"op":"join_source","group":G,"source":S}    MCAST_JOIN_SOURCE_GROUP: INCLUDE {S, ...}
#   {"id":N,"op":"block","group":G,"source":S}          MCAST_BLOCK_SOURCE on a joined group: EXCLUDE {S, ...}
#   {"id":N,"op":"leave","group":G}                     close the group's socket (MLDv1 Done / MLDv2 TO_IN {})
#   {"id":N,"op":"quit"}
# One socket per group, so a leave is exactly one group's leave.

import json
import socket
import struct
import sys

IPPROTO_IPV6 = 41
MCAST_JOIN_GROUP = 42
MCAST_BLOCK_SOURCE = 43
MCAST_JOIN_SOURCE_GROUP = 46


def sockaddr_in6(addr):
    # struct sockaddr_in6 (family, port, flowinfo, addr, scope id) padded to struct sockaddr_storage (128 bytes).
    raw = struct.pack('=HHI16sI', socket.AF_INET6, 0, 0, socket.inet_pton(socket.AF_INET6, addr), 0)
    return raw + b'\0' * (128 - len(raw))


def group_req(ifindex, group):
    # struct group_req: u32 interface, 4 bytes of padding (sockaddr_storage is 8-aligned), sockaddr_storage group.
    return struct.pack('=I4x', ifindex) + sockaddr_in6(group)


def group_source_req(ifindex, group, source):
    return struct.pack('=I4x', ifindex) + sockaddr_in6(group) + sockaddr_in6(source)


def main():
    args = sys.argv[1:]
    iface = args[args.index('--iface') + 1] if '--iface' in args else 'eth0'
    ifindex = socket.if_nametoindex(iface)
    sockets = {}

    def reply(obj):
        sys.stdout.write(json.dumps(obj, separators=(',', ':')) + '\n')
        sys.stdout.flush()

    def sock_for(group):
        s = sockets.get(group)
        if s is None:
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            sockets[group] = s
        return s

    reply({'type': 'ready', 'iface': iface, 'ifindex': ifindex})
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        cid = cmd.get('id')
        op = cmd.get('op')
        try:
            if op == 'join':
                sock_for(cmd['group']).setsockopt(IPPROTO_IPV6, MCAST_JOIN_GROUP, group_req(ifindex, cmd['group']))
            elif op == 'join_source':
                sock_for(cmd['group']).setsockopt(IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP,
                                                  group_source_req(ifindex, cmd['group'], cmd['source']))
            elif op == 'block':
                sock_for(cmd['group']).setsockopt(IPPROTO_IPV6, MCAST_BLOCK_SOURCE,
                                                  group_source_req(ifindex, cmd['group'], cmd['source']))
            elif op == 'leave':
                s = sockets.pop(cmd['group'], None)
                if s is not None:
                    s.close()
            elif op == 'quit':
                reply({'id': cid, 'ok': True})
                return
            else:
                raise ValueError('unknown op %r' % op)
            reply({'id': cid, 'ok': True})
        except (OSError, ValueError, KeyError) as e:
            reply({'id': cid, 'error': str(e)})


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
