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
PORT=19849
# shellcheck source=bench/lbd_env.bash
. "$(dirname "$0")/lbd_env.bash"
bench_env scrape_bench
bench_config "$VIPS" "$BACKENDS" >"$TMP/xlb.conf"
bench_lbd --config "$TMP/xlb.conf" --metrics "127.0.0.1:$PORT"
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
