#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# SYN flood for the policy tests: N TCP SYNs to ADDR:PORT from random spoofed
# IPv4 sources inside CIDR, random source ports, at most RATE packets per second
# (raw socket, IP_HDRINCL; the kernel fills the IP checksum and length).
#   xlb_flood.py ADDR PORT CIDR N RATE
# Prints "sent N in S s, P pps". Bounded: N <= 1000000, RATE <= 1000000, and it
# refuses to run outside a namespace made by `ip netns add` (run it with
# `topo_exec client ...`, inside the test topology).
import ipaddress
import os
import random
import socket
import struct
import sys
import time

N_MAX = 1000000
RATE_MAX = 1000000


def csum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def in_named_netns():
    """Is this process in a namespace made by `ip netns add` (/run/netns)?"""
    me = os.stat("/proc/self/ns/net")
    try:
        names = os.listdir("/run/netns")
    except OSError:
        return False
    for name in names:
        try:
            st = os.stat(os.path.join("/run/netns", name))
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (me.st_dev, me.st_ino):
            return True
    return False


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: xlb_flood.py ADDR PORT CIDR N RATE")
    dst = ipaddress.IPv4Address(sys.argv[1])
    dport = int(sys.argv[2])
    net = ipaddress.IPv4Network(sys.argv[3], strict=False)
    n, rate = int(sys.argv[4]), int(sys.argv[5])
    if not 1 <= dport <= 65535:
        sys.exit("xlb_flood: port %d: must be 1-65535" % dport)
    if not 1 <= n <= N_MAX:
        sys.exit("xlb_flood: N %d: must be 1-%d" % (n, N_MAX))
    if not 1 <= rate <= RATE_MAX:
        sys.exit("xlb_flood: RATE %d: must be 1-%d" % (rate, RATE_MAX))
    if not in_named_netns():
        sys.exit("xlb_flood: refusing to run outside a named network namespace (ip netns exec)")

    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    base, size = int(net.network_address), net.num_addresses
    dst_b, rnd = dst.packed, random.Random()
    # TCP pseudo-header without the source address: dst, zero, proto, length 20
    pseudo = dst_b + struct.pack("!BBH", 0, socket.IPPROTO_TCP, 20)
    start = time.monotonic()
    for i in range(n):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        src_b = struct.pack("!I", base + rnd.randrange(size))
        sport = rnd.randrange(1024, 65536)
        seq = rnd.getrandbits(32)
        # SYN, data offset 5 words, window 64240, checksum 0 for now
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
        tcp = tcp[:16] + struct.pack("!H", csum(src_b + pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, rnd.getrandbits(16), 0, 64,
                         socket.IPPROTO_TCP, 0, src_b, dst_b)
        s.sendto(ip + tcp, (str(dst), 0))
    took = time.monotonic() - start
    print("sent %d in %.2f s, %d pps" % (n, took, n / took if took > 0 else n))


if __name__ == "__main__":
    main()
