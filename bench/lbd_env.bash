# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Sourced by the benchmarks that run a real lbd (scale_bench.sh, ctl_bench.sh,
# scrape_bench.sh): lbd on one veth pair between the namespaces $P-lb
# (192.0.2.1/24) and $P-peer (192.0.2.2/24, the router every backend is behind),
# with a private bpffs, and a cleanup at exit that stops lbd and removes all of
# it whatever fails. Numbers only; no function here judges a figure.
#
#   bench_env NAME       checks root and the build; sets ROOT LBD LBCTL P TMP PID,
#                        builds the topology and arms the cleanup (XLB_BENCH_LBD: another
#                        lbd, e.g. one built with SAN=1, whose reports are printed)
#   bench_config VIPS BACKENDS [WEIGHT [WEIGHT_OF_FIRST]]
#                        the config on stdout: VIPs 203.0.113.1-250 on ports 1000 up,
#                        backends distinct in 10.0.0.0/8 (bench_backend V B)
#   bench_backend V B    the address of backend B of VIP V (from 0)
#   bench_lbd ARGS...    lbd in $P-lb (state, socket, pins, log in $TMP; ARGS
#                        after ours); returns once it answers, sets PID
#   lbctl ARGS...        build/lbctl on its socket

bench_env() {
	BENCH=$1
	ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	LBD=${XLB_BENCH_LBD:-$ROOT/build/lbd} LBCTL=$ROOT/build/lbctl
	[[ -x $LBD && -x $LBCTL ]] || { echo "$BENCH: build first (make all)" >&2; exit 1; }
	[[ $(id -u) == 0 ]] || { echo "$BENCH: needs root" >&2; exit 1; }
	P=xlbb$$ TMP=$(mktemp -d "/tmp/xlb-$BENCH.XXXXXX") PID=
	trap bench_cleanup EXIT
	ip netns add "$P-lb"
	ip netns add "$P-peer"
	ip -n "$P-lb" link add eth0 type veth peer name eth0 netns "$P-peer"
	ip -n "$P-lb" addr add 192.0.2.1/24 dev eth0
	ip -n "$P-peer" addr add 192.0.2.2/24 dev eth0
	ip -n "$P-lb" link set eth0 up
	ip -n "$P-peer" link set eth0 up
	ip -n "$P-lb" link set lo up
	ip -n "$P-lb" route add 10.0.0.0/8 via 192.0.2.2
	mkdir -p "$TMP/bpf"
	mount -t bpf -o mode=0700 bpf "$TMP/bpf"
}

bench_cleanup() {
	set +e # every step, whatever the one before it did
	[[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	# an lbd built with SAN=1 reports here
	grep -q "Sanitizer" "$TMP/lbd.log" 2>/dev/null && grep -A30 "Sanitizer" "$TMP/lbd.log" >&2
	ip netns del "$P-lb" 2>/dev/null
	ip netns del "$P-peer" 2>/dev/null
	umount "$TMP/bpf" 2>/dev/null
	rm -rf "$TMP"
}

bench_backend() {
	local n=$(($1 * BENCH_NB + $2 + 1))
	echo "10.$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
}

bench_config() {
	BENCH_NB=$2
	python3 - "$1" "$2" "${3:-100}" "${4:-${3:-100}}" <<-'PY'
		import sys
		nv, nb, w, w0 = (int(a) for a in sys.argv[1:])
		out = []
		for v in range(nv):
		    vip = "203.0.113.%d:%d/tcp" % (v % 250 + 1, 1000 + v // 250)
		    out.append("vip add %s" % vip)
		    for b in range(nb):
		        n = v * nb + b + 1
		        line = "backend add %s 10.%d.%d.%d" % (vip, n >> 16 & 255, n >> 8 & 255, n & 255)
		        wb = w0 if v == 0 and b == 0 else w
		        out.append(line if wb == 100 else "%s weight %d" % (line, wb))
		print("\n".join(out))
	PY
}

bench_lbd() {
	ip netns exec "$P-lb" "$LBD" --iface eth0 --state "$TMP/state.conf" \
		--socket "$TMP/lbd.sock" --pin-dir "$TMP/bpf" --flow-table-size 65536 "$@" \
		>>"$TMP/lbd.log" 2>&1 &
	PID=$!
	until lbctl -j vip show >/dev/null 2>&1; do
		kill -0 "$PID" 2>/dev/null || { cat "$TMP/lbd.log" >&2; exit 1; }
		sleep 0.02
	done
}

lbctl() { "$LBCTL" -S "$TMP/lbd.sock" "$@"; }
