#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A real lbd at scale: VIPS VIPs x BACKENDS backends (distinct addresses in
# 10.0.0.0/8, one next hop), lbd on one veth pair with --max-backends sized to
# the config. Prints, for the whole config:
#   first start   lbd started with the config until its socket answers
#   apply         `lbctl apply` of the same file with every weight changed
#                 (every table rebuilt), then of a file with one weight changed
#   one change    `backend set ... weight` over one socket connection: p50 and
#                 max of 20, as seen by the client (lbd's own share is less)
#   restart       SIGTERM, then lbd on the pins and the state file until its
#                 socket answers
#   memory        lbd's peak RSS (VmHWM) and the pinned maps' kernel memory
# Numbers only; never fails on a figure.
#
#   bench/scale_bench.sh [VIPS [BACKENDS]]   (root; default 1000 10)
set -euo pipefail

VIPS=${1:-1000} BACKENDS=${2:-10}
# shellcheck source=bench/lbd_env.bash
. "$(dirname "$0")/lbd_env.bash"
((VIPS >= 1 && VIPS <= 1024 && BACKENDS >= 1 && BACKENDS <= 65000)) ||
	{ echo "scale_bench: VIPS 1-1024, BACKENDS 1-65000" >&2; exit 2; }
bench_env scale_bench

now() { date +%s.%N; }
ms() { python3 -c "import sys; print('%8.0f ms' % (1000 * (float(sys.argv[2]) - float(sys.argv[1]))))" "$1" "$2"; }
start() { bench_lbd --max-backends "$MAXBE" "$@"; }

# memlock: the bytes of the maps pinned in our bpffs and of the tables (inner
# maps) xlb_rings holds
memlock() {
	python3 - "$TMP/bpf/" <(bpftool -j map dump pinned "$TMP/bpf/v$ABI/xlb_rings") \
		<(bpftool -j -f map show) <<-'EOF'
		import json, sys
		d, rings, maps = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
		inner = {int("".join(reversed([b[2:] for b in e["value"]])), 16) for e in rings}
		print(sum(m.get("bytes_memlock", 0) for m in maps
		          if m["id"] in inner or any(p.startswith(d) for p in m.get("pinned", []))))
	EOF
}
MAXBE=$((VIPS * BACKENDS > 16384 ? VIPS * BACKENDS : 16384))
bench_config "$VIPS" "$BACKENDS" 100 100 >"$TMP/a.conf"
bench_config "$VIPS" "$BACKENDS" 150 150 >"$TMP/b.conf"
bench_config "$VIPS" "$BACKENDS" 150 151 >"$TMP/c.conf"
echo "$VIPS VIPs x $BACKENDS backends ($((VIPS * BACKENDS)) backends, $(wc -c <"$TMP/a.conf") bytes of config), --max-backends $MAXBE:"

t0=$(now)
start --config "$TMP/a.conf"
echo "  first start  $(ms "$t0" "$(now)")"
t0=$(now)
lbctl apply "$TMP/b.conf" >/dev/null
echo "  apply, all   $(ms "$t0" "$(now)")   (every weight changed: every table rebuilt)"
t0=$(now)
lbctl apply "$TMP/c.conf" >/dev/null
echo "  apply, one   $(ms "$t0" "$(now)")   (one weight changed)"
python3 - "$TMP/lbd.sock" "$(bench_backend 0 0)" <<-'EOF'
	import json, socket, sys, time
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.connect(sys.argv[1])
	f = s.makefile("rb")
	lat = []
	for i in range(20):
	    time.sleep(0.05)
	    t0 = time.monotonic()
	    s.sendall((json.dumps({"v": 1, "argv": ["backend", "set", "203.0.113.1:1000/tcp",
	               sys.argv[2], "weight", str(10 + i)]}) + "\n").encode())
	    r = json.loads(f.readline())
	    lat.append(time.monotonic() - t0)
	    if r.get("error"):
	        sys.exit("scale_bench: %s" % r["error"])
	lat.sort()
	print("  one change   %8.1f ms p50, %.1f ms max (of 20, client side)" %
	      (1000 * lat[10], 1000 * lat[-1]))
EOF
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=
t0=$(now)
start
echo "  restart      $(ms "$t0" "$(now)")   (pins and state file; no table rebuilt)"
ABI=$(lbctl -j version | jq -r .bpf_abi)
kmem=$(memlock)
echo "  lbd memory   $((rss / 1024)) MiB peak RSS"
echo "  kernel maps  $((kmem / 1048576)) MiB (memlock of the pinned maps and the tables)"
exit 0
