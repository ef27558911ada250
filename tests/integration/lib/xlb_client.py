#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Test client. Modes:
#   http ADDR PORT            one HTTP GET, prints the body (the backend's name)
#   udp ADDR PORT             one datagram, prints the reply's first word
#   many ADDR PORT N          N HTTP GETs on fresh connections; prints
#                             "BACKEND COUNT" lines (and "failed COUNT")
#   parallel ADDR PORT N T    N HTTP GETs at once, each allowed T seconds
#                             (SYN retransmissions included); "BACKEND COUNT"
#                             lines as for many
#   hold ADDR PORT GATE       keeps one TCP connection: prints the backend once,
#                             waits until the file GATE exists, talks again and
#                             prints the backend that answered then
# Options, anywhere on the line, every mode:
#   --src ADDR                bind the socket to the source address ADDR
#                             (which must be local) before connecting/sending
#   --sport PORT              bind the first socket to source port PORT and
#                             each further one to the next port: many N uses
#                             PORT..PORT+N-1, and a second run with the same
#                             PORT reuses those 5-tuples
import socket
import sys
import time

SRC = None  # --src ADDR
SPORT = None  # --sport PORT: the next socket's source port


def sock(addr, kind):
    global SPORT
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, kind)
    port = 0
    if SPORT is not None:
        # the port of a refused connection is free again at once; one left
        # in TIME_WAIT can be bound again with SO_REUSEADDR
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        port = SPORT
        SPORT += 1
    if SRC is not None or port:
        s.bind((SRC or ("::" if fam == socket.AF_INET6 else "0.0.0.0"), port))
    return s


def conn(addr, port, timeout=3):
    s = sock(addr, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def http_get(addr, port, timeout=3):
    s = conn(addr, port, timeout)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.split(b"\r\n\r\n", 1)[1].decode().strip()


def parallel(addr, port, n, timeout):
    import threading

    counts, lock = {}, threading.Lock()

    def one():
        try:
            name = http_get(addr, port, timeout)
        except (OSError, IndexError):
            name = "failed"
        with lock:
            counts[name] = counts.get(name, 0) + 1

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, c in sorted(counts.items()):
        print(name, c)


def main():
    global SRC, SPORT
    args = sys.argv[1:]
    if "--src" in args:
        i = args.index("--src")
        if i + 1 >= len(args):
            sys.exit("--src needs an address")
        SRC = args[i + 1]
        del args[i : i + 2]
    if "--sport" in args:
        i = args.index("--sport")
        if i + 1 >= len(args):
            sys.exit("--sport needs a port")
        SPORT = int(args[i + 1])
        del args[i : i + 2]
    sys.argv[1:] = args
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "parallel":
        parallel(addr, port, int(sys.argv[4]), float(sys.argv[5]))
        return
    if mode == "http":
        print(http_get(addr, port))
    elif mode == "many":
        counts = {}
        for _ in range(int(sys.argv[4])):
            try:
                name = http_get(addr, port)
            except OSError:
                name = "failed"
            counts[name] = counts.get(name, 0) + 1
        for name, n in sorted(counts.items()):
            print(name, n)
    elif mode == "udp":
        s = sock(addr, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(b"ping", (addr, port))
        print(s.recv(4096).decode().split()[0])
    elif mode == "hold":
        gate = sys.argv[4]
        s = conn(addr, port)
        f = s.makefile("rwb")
        f.write(b"one\n")
        f.flush()
        print(f.readline().decode().split()[0], flush=True)
        deadline = time.time() + 20
        import os
        while not os.path.exists(gate):
            if time.time() > deadline:
                sys.exit("gate never opened")
            time.sleep(0.05)
        s.settimeout(3)
        f.write(b"two\n")
        f.flush()
        print(f.readline().decode().split()[0], flush=True)


if __name__ == "__main__":
    main()
