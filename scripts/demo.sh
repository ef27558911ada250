#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make demo`: xlb balancing real HTTP traffic in network namespaces.
# Builds client / router / lb / three backends (scripts/topo.sh), gives the backends
# the decap program and an HTTP server, starts lbd with examples/demo.conf,
# sends a few hundred requests through the VIPs and shows how they spread
# next to the weights; stops a backend's server (its breaker opens, traffic
# avoids it, it comes back), denies the client with a policy rule and lifts
# it, then shows lbctl's counters. Everything is removed on exit,
# also on Ctrl-C. Root needed; about 20 s. `make bench` runs the benchmarks.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
PREFIX=xlbdemo$$
RUN=$(mktemp -d /tmp/xlb-demo.XXXXXX)
PIN=$RUN/bpf
SOCK=$RUN/lbd.sock
N4=${XLB_DEMO_REQUESTS:-300}
N6=100

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' X=$'\e[31m' R=$'\e[0m'
else
	B='' D='' G='' X='' R=''
fi

step() { printf '  %s%-64s%s' "$B" "$*" "$R"; }
ok() { printf '%sok%s\n' "$G" "$R"; }
die() {
	printf '%sfailed%s\n  %s\n' "$X" "$R" "$*" >&2
	[ -s "$RUN/lbd.log" ] && sed 's/^/    lbd: /' "$RUN/lbd.log" | tail -n 15 >&2
	exit 1
}
lbctl() { build/lbctl -S "$SOCK" "$@"; }

# shellcheck disable=SC2317 # invoked by the traps
cleanup() {
	trap - EXIT INT TERM
	[ -f "$RUN/lbd.pid" ] && kill "$(cat "$RUN/lbd.pid")" 2>/dev/null
	bash scripts/topo.sh down "$PREFIX" >/dev/null 2>&1
	umount "$PIN" 2>/dev/null
	rm -rf "$RUN"
}
# shellcheck disable=SC2317
on_int() {
	echo
	echo "${B}demo: interrupted${R}; cleaning up"
	cleanup
	exit 130
}
trap cleanup EXIT
trap on_int INT TERM

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (BPF, network namespaces)" >&2; exit 1; }

cat <<BANNER

${B}xlb demo: an XDP load balancer in network namespaces${R}

  client --> router --> lb (xlb_xdp on its router-facing veth, run by lbd) --> be1 be2 be3
  VIPs 203.0.113.10:80/tcp (IP-in-IP, weights 1:2:1) and
       [2001:db8:100::10]:80/tcp (GUE, client affinity); config: examples/demo.conf

BANNER

step "topology: client, router, lb, three backends (namespaces)"
XLB_TOPO_ROUTER=1 bash scripts/topo.sh up "$PREFIX" >"$RUN/topo.log" 2>&1 ||
	die "$(tail -n 5 "$RUN/topo.log")"
eval "$(bash scripts/topo.sh env "$PREFIX")"
# mode 0700: lbd refuses a pin directory others may write (a bpffs root is 1777)
{ mkdir -p "$PIN" && mount -t bpf -o mode=0700 bpf "$PIN"; } || die "cannot mount bpffs at $PIN"
ok

step "backends: VIPs on lo, xlb_decap on eth0, HTTP servers"
for i in 1 2 3; do
	ns=$PREFIX-be$i
	eval "a4=\$XLB_BE${i}_4 a6=\$XLB_BE${i}_6"
	ip -n "$ns" addr add "$XLB_VIP4/32" dev lo
	ip -n "$ns" addr add "$XLB_VIP6/128" dev lo
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
	# shellcheck disable=SC2154 # a4/a6 come from the eval above
	ip netns exec "$ns" build/lbctl decap attach dev eth0 addr "$a4" addr "$a6" \
		>>"$RUN/decap.log" 2>&1 || die "decap on be$i: $(tail -n 3 "$RUN/decap.log")"
	ip netns exec "$ns" python3 tests/integration/lib/xlb_server.py "be$i" --http 80 \
		>/dev/null 2>&1 &
done
for _ in $(seq 50); do
	ip netns exec "$PREFIX-be3" python3 tests/integration/lib/xlb_client.py http 127.0.0.1 80 \
		>/dev/null 2>&1 && break
	sleep 0.1
done
ok

step "lbd: load, attach, apply examples/demo.conf"
ip netns exec "$PREFIX-lb" build/lbd --iface "$XLB_LB_IF_CLIENT" --config examples/demo.conf \
	--state "$RUN/state.conf" --socket "$SOCK" --pin-dir "$PIN" \
	--src4 10.255.0.0/24 --src6 fd00:ff::/120 >"$RUN/lbd.log" 2>&1 &
echo $! >"$RUN/lbd.pid"
for _ in $(seq 100); do
	lbctl vip show >/dev/null 2>&1 && break
	kill -0 "$(cat "$RUN/lbd.pid")" 2>/dev/null || die "lbd exited"
	sleep 0.05
done
lbctl vip show >/dev/null 2>&1 || die "lbd did not become ready"
ok

step "health checks: every IPv4 backend up (no traffic before that)"
for _ in $(seq 100); do
	[ "$(lbctl -j backend show "$XLB_VIP4:80/tcp" | python3 -c 'import json, sys
print(all(b["health"] == "up" for b in json.load(sys.stdin)))')" = True ] && break
	sleep 0.05
done
ok

echo
lbctl backend show | sed 's/^/  /'
echo

step "$N4 HTTP requests to $XLB_VIP4:80, a new connection each"
ip netns exec "$PREFIX-client" python3 tests/integration/lib/xlb_client.py many \
	"$XLB_VIP4" 80 "$N4" >"$RUN/spread4" 2>&1 || die "$(cat "$RUN/spread4")"
ok
step "$N6 HTTP requests to [$XLB_VIP6]:80"
ip netns exec "$PREFIX-client" python3 tests/integration/lib/xlb_client.py many \
	"$XLB_VIP6" 80 "$N6" >"$RUN/spread6" 2>&1 || die "$(cat "$RUN/spread6")"
ok

# name of the backend with address $1 (be1..be3)
be_name() {
	local i a4 a6
	for i in 1 2 3; do
		eval "a4=\$XLB_BE${i}_4 a6=\$XLB_BE${i}_6"
		if [ "$a4" = "$1" ] || [ "$a6" = "$1" ]; then
			echo "be$i"
			return
		fi
	done
	echo "?"
}

# table VIP N SPREADFILE: each backend's weight, expected share, requests, share
table() {
	local vip=$1 n=$2 file=$3 total_w=0 line addr w name got
	local -a rows
	mapfile -t rows < <(lbctl -j backend show "$vip" |
		python3 -c 'import json, sys
for b in json.load(sys.stdin): print(b["addr"], b["weight"])')
	for line in "${rows[@]}"; do total_w=$((total_w + ${line#* })); done
	for line in "${rows[@]}"; do
		addr=${line% *}
		w=${line#* }
		name=$(be_name "$addr")
		got=$(awk -v b="$name" '$1 == b { print $2 }' "$file")
		got=${got:-0}
		printf '  %-26s %-22s %6s %8s%% %9s %7s%%\n' "$vip" "$addr ($name)" "$w" \
			"$((100 * w / total_w))" "$got" "$((100 * got / n))"
	done
	if grep -q '^failed' "$file"; then
		printf '  %s%s: %s requests failed%s\n' "$X" "$vip" \
			"$(awk '/^failed/ { print $2 }' "$file")" "$R"
	fi
}

echo
printf '  %s%-26s %-22s %6s %9s %9s %8s%s\n' "$B" "VIP" "BACKEND" "WEIGHT" "EXPECTED" \
	"REQUESTS" "SHARE" "$R"
table "$XLB_VIP4:80/tcp" "$N4" "$RUN/spread4"
table "[$XLB_VIP6]:80/tcp" "$N6" "$RUN/spread6"
echo "  ${D}(hash src on the IPv6 VIP: one client address always reaches the same backend)${R}"

# wait_breaker ADDR STATE: until backend ADDR of the IPv4 VIP is in STATE (5 s)
wait_breaker() {
	local _
	for _ in $(seq 250); do
		[ "$(lbctl -j backend show "$XLB_VIP4:80/tcp" | python3 -c 'import json, sys
print([b["breaker"] for b in json.load(sys.stdin) if b["addr"] == sys.argv[1]][0])' "$1")" = "$2" ] &&
			return 0
		sleep 0.02
	done
	return 1
}

echo
step "be2's HTTP server stops: checks open its breaker"
t0=$(date +%s%N)
ip netns exec "$PREFIX-be2" pkill -f "xlb_server.py be2"
wait_breaker "$XLB_BE2_4" open || die "be2's breaker did not open"
printf '%sok%s %s(%d ms)%s\n' "$G" "$R" "$D" $((($(date +%s%N) - t0) / 1000000)) "$R"
step "100 more requests: none reaches be2"
ip netns exec "$PREFIX-client" python3 tests/integration/lib/xlb_client.py many \
	"$XLB_VIP4" 80 100 >"$RUN/spread_down" 2>&1 || die "$(cat "$RUN/spread_down")"
grep -q '^be2\|^failed' "$RUN/spread_down" && die "$(cat "$RUN/spread_down")"
ok
step "be2 back: half-open after eject-time, then closed"
ip netns exec "$PREFIX-be2" python3 tests/integration/lib/xlb_server.py be2 --http 80 \
	>/dev/null 2>&1 &
t0=$(date +%s%N)
wait_breaker "$XLB_BE2_4" closed || die "be2's breaker did not close"
printf '%sok%s %s(%d ms)%s\n' "$G" "$R" "$D" $((($(date +%s%N) - t0) / 1000000)) "$R"
echo
echo "  ${B}lbctl events${R}"
lbctl events | sed 's/^/  /'

echo
step "policy: deny the client's address for the IPv4 VIP"
lbctl policy add vip "$XLB_VIP4:80/tcp" deny "$XLB_CLIENT4/32" || die "policy add"
if ip netns exec "$PREFIX-client" timeout 2 python3 tests/integration/lib/xlb_client.py http \
	"$XLB_VIP4" 80 >/dev/null 2>&1; then
	die "a denied client was served"
fi
ok
echo
lbctl policy show | sed 's/^/  /'
step "policy: rule removed, the client is served again"
lbctl policy del vip "$XLB_VIP4:80/tcp" "$XLB_CLIENT4/32" || die "policy del"
ip netns exec "$PREFIX-client" python3 tests/integration/lib/xlb_client.py http "$XLB_VIP4" 80 \
	>/dev/null 2>&1 || die "the client is still refused"
ok

echo
echo "  ${B}lbctl stats show${R}"
lbctl stats show | sed 's/^/  /'
echo
if grep -q '^failed' "$RUN/spread4" "$RUN/spread6"; then
	echo "${X}demo: some requests failed${R}" >&2
	exit 1
fi
echo "${B}demo: done${R}; everything it created is removed. Next: README, 'lbctl help'."
