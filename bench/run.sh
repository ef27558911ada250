#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Runs both xlb benchmarks and compares them with the Katran reference:
#   pkt_bench   ns per packet by BPF_PROG_TEST_RUN, per path, against a floor
#   veth_bench  Mpps on a veth pair between two namespaces, xlb vs the floor
# Usage: bench/run.sh [--quick]   (root; about 85 s, or about 30 s with --quick)
# Method and caveats: bench/README.md.
set -euo pipefail

usage() {
	echo "Usage: bench/run.sh [--quick]"
	echo "  builds with 'make bench-build', then runs build/bench/pkt_bench and"
	echo "  build/bench/veth_bench (root) and prints the comparison with Katran"
	echo "  --quick  shorter runs (same repeat count floor of 10^6, fewer veth rounds)"
	echo "  env: XLB_BENCH_NOBUILD=1 skips the build, XLB_BENCH_CPU=N pins to CPU N"
}

quick=0
case "${1:-}" in
"") ;;
--quick) quick=1 ;;
-h | --help) usage; exit 0 ;;
*) usage >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF_PROG_TEST_RUN, XDP attach, network namespaces)" >&2
	exit 1
fi
for tool in ip make; do
	command -v "$tool" >/dev/null || { echo "bench: '$tool' not found (make deps)" >&2; exit 1; }
done

if [ -z "${XLB_BENCH_NOBUILD:-}" ]; then
	log=$(mktemp "${TMPDIR:-/tmp}/xlb-bench-build.XXXXXX")
	if ! make --no-print-directory bench-build >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		rm -f "$log"
		echo "bench: build failed (make bench-build, output above)" >&2
		exit 1
	fi
	rm -f "$log"
fi

if [ "$quick" -eq 1 ]; then
	pkt_args=(--repeat 1000000 --rounds 5)
	veth_args=(--seconds 1.5 --rounds 3)
else
	pkt_args=(--repeat 2000000 --rounds 5)
	veth_args=(--seconds 4 --rounds 6)
fi
if [ -n "${XLB_BENCH_CPU:-}" ]; then
	pkt_args+=(--cpu "$XLB_BENCH_CPU")
	veth_args+=(--cpu "$XLB_BENCH_CPU")
fi

# Topology: unique names per run, deleted on any exit (deleting a namespace
# deletes its veth end and whatever XDP program was attached to it).
id=$$
ns_gen="xlbb-$id-gen"
ns_lb="xlbb-$id-lb"
dev_gen="xbg$id" # <= 15 characters (IFNAMSIZ)
dev_lb="xbl$id"
summary=$(mktemp "${TMPDIR:-/tmp}/xlb-bench-summary.XXXXXX")

cleanup() {
	ip netns del "$ns_gen" 2>/dev/null || true
	ip netns del "$ns_lb" 2>/dev/null || true
	rm -f "$summary"
}
trap cleanup EXIT
trap 'echo; echo "bench: interrupted" >&2; exit 130' INT TERM

topo_up() {
	ip netns add "$ns_gen"
	ip netns add "$ns_lb"
	for ns in "$ns_gen" "$ns_lb"; do
		# no IPv6 autoconf chatter on the pair: only benchmark frames cross it
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add "$dev_gen" netns "$ns_gen" type veth peer name "$dev_lb" netns "$ns_lb"
	ip -n "$ns_gen" addr add 198.51.100.1/24 dev "$dev_gen"
	ip -n "$ns_lb" addr add 203.0.113.1/24 dev "$dev_lb"
	ip -n "$ns_gen" link set "$dev_gen" up
	ip -n "$ns_lb" link set "$dev_lb" up
}

rule() { printf '%s\n' "-----------------------------------------------------------------------------------"; }

echo
echo "== 1/2  ns per packet (BPF_PROG_TEST_RUN) =="
rule
pkt_rc=0
"$BUILD/bench/pkt_bench" "${pkt_args[@]}" --summary "$summary" || pkt_rc=$?
echo; echo "== policy stage: ns per packet, off / 0 / 100000 prefixes (not in the table) =="; rule
"$BUILD/bench/policy_bench" "${pkt_args[@]}" || echo "bench: policy_bench failed (exit $?)" >&2
echo
echo "== 2/2  Mpps on a veth pair (generator, xlb_xdp and counter on one CPU) =="
rule
topo_up
veth_rc=0
"$BUILD/bench/veth_bench" "${veth_args[@]}" --gen-ns "$ns_gen" --lb-ns "$ns_lb" \
	--gen-dev "$dev_gen" --lb-dev "$dev_lb" --summary "$summary" || veth_rc=$?

# ---- the comparison table ----
declare -A R
while read -r k val; do R[$k]=$val; done <"$summary"
for k in pkt_floor pkt_estab pkt_new pkt_nonvip pkt_udp pkt_ipv6 veth_ratio; do
	if [ -z "${R[$k]:-}" ]; then
		echo "bench: no result for '$k' (pkt_bench exit $pkt_rc, veth_bench exit $veth_rc)" >&2
		exit 1
	fi
done

# Katran, 100 backends, measured on this machine kind the same way (from the issue)
k_estab=88 k_new=404 k_nonvip=35 k_floor=5 k_veth_lb=5.3 k_veth_floor=10.8
target=0.80 veth_target=0.65

row() { # name ours katran  (ns; ratio and verdict against the target)
	awk -v n="$1" -v o="$2" -v k="$3" -v t="$target" -v f="${R[pkt_floor]}" -v kf="$k_floor" 'BEGIN {
		r = o / k; net = (o - f) / (k - kf)
		printf "  %-26s %6d ns %6d ns %8.2f %9.2f   <= %.2f   %s\n", n, o, k, r, net, t,
			(r <= t ? "met" : "MISSED")
	}'
}
row_ours() { # name ours (no Katran figure)
	printf "  %-26s %6d ns %9s %8s %9s   %7s   %s\n" "$1" "$2" "-" "-" "-" "-" "(no reference)"
}

echo
echo "== xlb vs Katran (reference: Katran, 100 backends, same machine kind, same method) =="
rule
printf "  %-26s %9s %9s %8s %9s   %7s   %s\n" "path" "xlb" "Katran" "ratio" "net ratio" "target" "result"
row "established TCP flow" "${R[pkt_estab]}" "$k_estab"
row "new flow (SYN, full table)" "${R[pkt_new]}" "$k_new"
row "non-VIP packet" "${R[pkt_nonvip]}" "$k_nonvip"
row_ours "UDP (established)" "${R[pkt_udp]}"
row_ours "IPv6 TCP (established)" "${R[pkt_ipv6]}"
awk -v o="${R[pkt_floor]}" -v k="$k_floor" 'BEGIN {
	printf "  %-26s %6d ns %6d ns %8.2f %9s   %7s   %s\n", "floor (XDP_TX only)", o, k, o / k, "-", "-", "(context)" }'
awk -v x="${R[veth_xlb_mpps]}" -v f="${R[veth_floor_mpps]}" -v r="${R[veth_ratio]}" \
	-v kx="$k_veth_lb" -v kf="$k_veth_floor" -v t="$veth_target" 'BEGIN {
	printf "  %-26s %9s %9s\n", "veth Mpps, xlb / floor", sprintf("%.2f/%.2f", x, f), sprintf("%.1f/%.1f", kx, kf)
	printf "  %-26s %9.2f %9.2f %8s %9s   >= %.2f   %s\n", "veth ratio xlb/floor", r, kx / kf, "-", "-", t,
		(r >= t ? "met" : "MISSED")
}'
rule
echo "  ratio = xlb / Katran (target <= 0.80); net ratio = (xlb - floor) / (Katran - floor),"
echo "  each net of its own floor, for context when the floors differ. ns figures: median of"
echo "  ${R[pkt_rounds]} runs x ${R[pkt_repeat]} repeats; flow table ${R[pkt_flows]} entries; veth: median of"
echo "  ${R[veth_rounds]} alternating ${R[veth_seconds]} s xlb/floor pairs."
echo "  path checks (counters grew by exactly the repeat count, frames came back as expected):"
echo "  test_run ${R[pkt_checks]}, veth ${R[veth_checks]}"
if [ "${R[pkt_checks]}" != ok ] || [ "${R[veth_checks]}" != ok ]; then
	echo "bench: a path check failed: the figures above did not all time their path" >&2
	exit 1
fi
