#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# CPU that lbd spends answering a Prometheus scrape loop: lbd on one veth pair
# in its own namespaces with VIPS VIPs x BACKENDS backends, RATE scrapes per
# second for SECS seconds, lbd's utime+stime from /proc/PID/stat before and
# after. Prints the share of one core and the scrape size; never fails on a
# figure (the target is under 10 % of a core at 50 scrapes/s).
#
#   bench/scrape_bench.sh [VIPS [BACKENDS [RATE [SECS]]]]   (root; default 100 10 50 10)
set -euo pipefail

VIPS=${1:-100} BACKENDS=${2:-10} RATE=${3:-50} SECS=${4:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LBD=$ROOT/build/lbd
[[ -x $LBD ]] || { echo "scrape_bench: build lbd first (make all)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "scrape_bench: needs root" >&2; exit 1; }

P=xlbsb$$ TMP=$(mktemp -d /tmp/xlb-scrape.XXXXXX) PORT=19849 PID=
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
ip -n "$P-lb" link set lo up
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
ip netns exec "$P-lb" ip route add 198.51.100.0/24 via 192.0.2.2
ip netns exec "$P-lb" "$LBD" --iface eth0 --config "$TMP/xlb.conf" --state "$TMP/state.conf" \
	--socket "$TMP/lbd.sock" --pin-dir "$TMP/bpf" --flow-table-size 65536 \
	--metrics "127.0.0.1:$PORT" >"$TMP/lbd.log" 2>&1 &
PID=$!
for _ in $(seq 600); do
	[[ -S $TMP/lbd.sock ]] && break
	kill -0 "$PID" 2>/dev/null || { cat "$TMP/lbd.log" >&2; exit 1; }
	sleep 0.1
done
sleep 1 # let start-up settle

ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)
idle0=$(ticks)
sleep "$SECS"
idle1=$(ticks)
t0=$(ticks)
out=$(ip netns exec "$P-lb" python3 - "$PORT" "$RATE" "$SECS" <<'EOF'
import sys, time, urllib.request
port, rate, secs = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
n, size, start = 0, 0, time.monotonic()
while time.monotonic() - start < secs:
    size = len(urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read())
    n += 1
    nxt = start + n / rate
    time.sleep(max(0.0, nxt - time.monotonic()))
print(n, size, time.monotonic() - start)
EOF
)
t1=$(ticks)
read -r n size dur <<<"$out"
python3 - "$VIPS" "$BACKENDS" "$n" "$size" "$dur" "$((t1 - t0))" "$((idle1 - idle0))" "$SECS" "$HZ" <<'EOF'
import sys
v, b, n, size, dur, busy, idle, secs, hz = sys.argv[1:]
dur, busy, idle, secs, hz = float(dur), int(busy), int(idle), float(secs), int(hz)
print("lbd with %s vips x %s backends: %s scrapes in %.1f s (%.1f/s), %d bytes each" %
      (v, b, n, dur, int(n) / dur, int(size)))
print("  lbd CPU while scraped: %.1f %% of a core (idle for comparison: %.1f %%)" %
      (100.0 * busy / hz / dur, 100.0 * idle / hz / secs))
EOF
