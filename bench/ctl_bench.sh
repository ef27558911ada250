#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Control-socket latency of reads while changes queue up: lbd on one veth pair
# with VIPS VIPs x BACKENDS backends; WRITERS clients each change a backend's
# weight in a loop, one reader times `vip show VIP` for SECS seconds. Prints the
# reader's p50/p99 and the changes made. Numbers only; never fails on a figure.
#
#   bench/ctl_bench.sh [WRITERS [SECS [VIPS [BACKENDS]]]]   (root; default 50 5 100 10)
set -euo pipefail

WRITERS=${1:-50} SECS=${2:-5} VIPS=${3:-100} BACKENDS=${4:-10}
# shellcheck source=bench/lbd_env.bash
. "$(dirname "$0")/lbd_env.bash"
bench_env ctl_bench
bench_config "$VIPS" "$BACKENDS" >"$TMP/xlb.conf"
bench_lbd --config "$TMP/xlb.conf"
python3 - "$TMP/lbd.sock" "$WRITERS" "$SECS" "$VIPS" "$BACKENDS" <<'EOF'
import json, socket, sys, threading, time
path, writers, secs, nv, nb = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("rb")

def req(s, f, argv):
    s.sendall((json.dumps({"v": 1, "argv": argv}) + "\n").encode())
    return json.loads(f.readline())

stop, changes = time.monotonic() + secs, [0]
def writer(i):
    s, f = conn()
    v = i % nv
    vip = "203.0.113.%d:%d/tcp" % (v % 250 + 1, 1000 + v // 250)
    n = v * nb + 1 # its first backend, as bench_backend V 0
    be = "10.%d.%d.%d" % (n >> 16 & 255, n >> 8 & 255, n & 255)
    w = 1
    while time.monotonic() < stop:
        w = w % 200 + 1
        req(s, f, ["backend", "set", vip, be, "weight", str(w)])
        changes[0] += 1

ts = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
for t in ts:
    t.start()
time.sleep(0.2)
s, f = conn()
lat = []
while time.monotonic() < stop - 0.1:
    t0 = time.monotonic()
    req(s, f, ["vip", "show", "203.0.113.1:1000/tcp"])
    lat.append(time.monotonic() - t0)
    time.sleep(0.01)
for t in ts:
    t.join()
lat.sort()
print("%d writers, %.0f s: %d changes (%.0f/s); reads while they queue: %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms" %
      (writers, secs, changes[0], changes[0] / secs, len(lat), 1000 * lat[len(lat) // 2],
       1000 * lat[int(len(lat) * 0.99)], 1000 * lat[-1]))
EOF
