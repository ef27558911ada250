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
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LBD=$ROOT/build/lbd
[[ -x $LBD ]] || { echo "ctl_bench: build lbd first (make all)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "ctl_bench: needs root" >&2; exit 1; }

P=xlbcb$$ TMP=$(mktemp -d /tmp/xlb-ctlb.XXXXXX) PID=
cleanup() {
	set +e # every step, whatever the one before it did
	[[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	ip netns del "$P-lb" 2>/dev/null || true
	ip netns del "$P-peer" 2>/dev/null || true
	umount "$TMP/bpf" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$P-lb"
ip netns add "$P-peer"
ip -n "$P-lb" link add eth0 type veth peer name eth0 netns "$P-peer"
ip -n "$P-lb" addr add 192.0.2.1/24 dev eth0
ip -n "$P-peer" addr add 192.0.2.2/24 dev eth0
ip -n "$P-lb" link set eth0 up
ip -n "$P-peer" link set eth0 up
ip -n "$P-lb" route add 198.51.100.0/24 via 192.0.2.2
mkdir -p "$TMP/bpf"
mount -t bpf -o mode=0700 bpf "$TMP/bpf"
python3 - "$VIPS" "$BACKENDS" >"$TMP/xlb.conf" <<'EOF'
import sys
nv, nb = int(sys.argv[1]), int(sys.argv[2])
for v in range(nv):
    vip = "203.0.113.%d:%d/tcp" % (v % 250 + 1, 1000 + v // 250)
    print("vip add %s" % vip)
    for b in range(nb):
        print("backend add %s 198.51.100.%d" % (vip, b + 1))
EOF
ip netns exec "$P-lb" "$LBD" --iface eth0 --config "$TMP/xlb.conf" --state "$TMP/state.conf" \
	--socket "$TMP/lbd.sock" --pin-dir "$TMP/bpf" --flow-table-size 65536 \
	>"$TMP/lbd.log" 2>&1 &
PID=$!
for _ in $(seq 600); do
	[[ -S $TMP/lbd.sock ]] && break
	kill -0 "$PID" 2>/dev/null || { cat "$TMP/lbd.log" >&2; exit 1; }
	sleep 0.1
done
python3 - "$TMP/lbd.sock" "$WRITERS" "$SECS" "$VIPS" <<'EOF'
import json, socket, sys, threading, time
path, writers, secs, nv = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])

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
    vip = "203.0.113.%d:%d/tcp" % (i % nv % 250 + 1, 1000 + i % nv // 250)
    w = 1
    while time.monotonic() < stop:
        w = w % 200 + 1
        req(s, f, ["backend", "set", vip, "198.51.100.1", "weight", str(w)])
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
