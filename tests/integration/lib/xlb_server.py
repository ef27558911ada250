#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A backend for the integration tests: answers with its own name so a test can
# tell which backend served it. Dual-stack ([::], v4-mapped) on every port:
#   TCP --http PORT...  one HTTP/1.0 response "NAME\n" per connection
#   TCP --echo PORT     line protocol: each line read is answered "NAME LINE"
#   UDP --udp PORT      each datagram is answered "NAME DATAGRAM"
import argparse
import socket
import socketserver
import threading


class V6Threaded(socketserver.ThreadingMixIn, socketserver.TCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True


class V6Udp(socketserver.UDPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--http", type=int, nargs="*", default=[])
    ap.add_argument("--echo", type=int)
    ap.add_argument("--udp", type=int)
    args = ap.parse_args()
    name = args.name.encode()

    class Http(socketserver.StreamRequestHandler):
        def handle(self):
            self.rfile.readline()
            body = name + b"\n"
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    class Echo(socketserver.StreamRequestHandler):
        def handle(self):
            for line in self.rfile:
                self.wfile.write(name + b" " + line)
                self.wfile.flush()

    class Udp(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            sock.sendto(name + b" " + data, self.client_address)

    servers = [V6Threaded(("::", p), Http) for p in args.http]
    if args.echo:
        servers.append(V6Threaded(("::", args.echo), Echo))
    if args.udp:
        servers.append(V6Udp(("::", args.udp), Udp))
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
