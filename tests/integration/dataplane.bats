#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The dataplane end to end: real TCP and UDP connections from a client namespace
# through xlb_xdp (native XDP on the lb's veth) to backends running xlb_decap,
# in every forwarding mode and both families. Maps are set through the agent's
# own code (maps.c, maglev.c) by the xlbfix fixture until lbd exists.

load lib/assert
load lib/topo
load lib/hold

FIX=build/tests/tools/xlbfix
SRV=tests/integration/lib/xlb_server.py
CLI=tests/integration/lib/xlb_client.py

lb() { topo_exec lb "$XLB_ROOT/$FIX" "$@"; }

# vip ID ADDR PORT PROTO MODE BACKEND_ID...: a VIP with an equal-weight Maglev table
vip() {
	local id=$1 addr=$2 port=$3 proto=$4 mode=$5 ids=() b
	shift 5
	for b in "$@"; do ids+=("$b:1"); done
	lb vip "$PIN" "$id" "$addr" "$port" "$proto" "$mode" &&
		lb ring "$PIN" "$id" 65537 "${ids[@]}"
}

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 ethtool || return 0
	skip_if_no_build "$FIX" build/xlb_xdp.bpf.o || return 0
	topo_up
	export PIN=$BATS_FILE_TMPDIR/bpf
	mkdir -p "$PIN"
	mount -t bpf bpf "$PIN"

	lb attach "$PIN" "$XLB_LB_IF_CLIENT"
	lb config "$PIN" 10.255.0.0 fd00:ff:: 8
	local i ns a4 a6 mac
	for i in 1 2 3; do
		eval "a4=\$XLB_BE${i}_4 a6=\$XLB_BE${i}_6 mac=\$XLB_BE${i}_MAC"
		lb backend "$PIN" "$i" "$a4" "to-be$i" "$mac"
		lb backend "$PIN" "1$i" "$a6" "to-be$i" "$mac"
		ns=$(topo_ns "be$i")
		ip -n "$ns" addr add "$XLB_VIP4/32" dev lo
		ip -n "$ns" addr add "$XLB_VIP6/128" dev lo
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.eth0.rp_filter=0
		# xlb_decap strips tunnels to the backend's own addresses, passes the rest
		ip netns exec "$ns" "$XLB_ROOT/build/lbctl" -q decap attach dev eth0 addr "$a4" addr "$a6"
		ip netns exec "$ns" python3 "$XLB_ROOT/$SRV" "be$i" --http 80 81 82 83 \
			--echo 90 --udp 53 >/dev/null 2>&1 3>&- &
	done
	vip 0 "$XLB_VIP4" 80 tcp ipip 1 2
	vip 1 "$XLB_VIP4" 81 tcp gue 1 2
	vip 2 "$XLB_VIP4" 82 tcp l2 1 2
	vip 3 "$XLB_VIP4" 83 tcp ipip 11 12 # IPv4 VIP, IPv6 backends (4in6)
	vip 4 "$XLB_VIP6" 80 tcp ipip 11 12
	vip 5 "$XLB_VIP6" 81 tcp gue 11 12
	vip 6 "$XLB_VIP6" 82 tcp l2 11 12
	vip 7 "$XLB_VIP4" 53 udp ipip 1 2
	vip 8 "$XLB_VIP6" 53 udp gue 11 12
	vip 9 "$XLB_VIP4" 90 tcp ipip 1 2
	topo_wait_http be3 # servers up (the first request may race their start)
}

teardown_file() {
	topo_teardown
	if [[ -n ${PIN:-} ]]; then
		umount "$PIN" 2>/dev/null || true
	fi
}

# spread MODE ADDR PORT N EXPECTED...: N connections, every answer is one of
# EXPECTED and each of EXPECTED answered at least once
spread() {
	local mode=$1 addr=$2 port=$3 n=$4 i out seen=" "
	shift 4
	for i in $(seq "$n"); do
		out=$(topo_exec client python3 "$XLB_ROOT/$CLI" "$mode" "$addr" "$port") ||
			fail "$mode $addr:$port: request $i failed"
		[[ " $* " == *" $out "* ]] || fail "$mode $addr:$port: answered by '$out', expected one of: $*"
		seen+="$out "
	done
	for i in "$@"; do
		[[ $seen == *" $i "* ]] || fail "$mode $addr:$port: $i never answered in $n requests ($seen)"
	done
}

@test "ipip: TCP over IPv4 reaches both backends" {
	spread http "$XLB_VIP4" 80 16 be1 be2
}

@test "gue: TCP over IPv4 reaches both backends" {
	spread http "$XLB_VIP4" 81 16 be1 be2
}

@test "l2: TCP over IPv4 by MAC rewrite (DSR)" {
	spread http "$XLB_VIP4" 82 16 be1 be2
}

@test "ipip: IPv4 VIP to IPv6 backends (4in6)" {
	spread http "$XLB_VIP4" 83 16 be1 be2
}

@test "ipip: TCP over IPv6 (6in6)" {
	spread http "$XLB_VIP6" 80 16 be1 be2
}

@test "gue: TCP over IPv6" {
	spread http "$XLB_VIP6" 81 16 be1 be2
}

@test "l2: TCP over IPv6 by MAC rewrite (DSR)" {
	spread http "$XLB_VIP6" 82 16 be1 be2
}

@test "ipip: UDP over IPv4" {
	spread udp "$XLB_VIP4" 53 16 be1 be2
}

@test "gue: UDP over IPv6" {
	spread udp "$XLB_VIP6" 53 16 be1 be2
}

@test "non-VIP traffic passes to the host: ping and TCP to a backend address" {
	topo_ping client "$XLB_LB_FRONT4"
	topo_ping client "$XLB_BE1_4"
	run -0 topo_exec client python3 "$XLB_ROOT/$CLI" http "$XLB_BE1_4" 80
	assert_equal "$output" be1
}

@test "an established connection keeps its backend when the table changes" {
	local first other i
	hold_open h "$XLB_VIP4" 90
	first=$(hold_answer h 1)
	[[ $first == be1 || $first == be2 ]] || fail "first answer: '$first'"
	# a table without the flow's backend: new flows can no longer reach it
	if [[ $first == be1 ]]; then other=2; else other=1; fi
	lb ring "$PIN" 9 65537 "$other:1" 3:1
	hold_close h
	assert_equal "$(hold_answer h 2)" "$first" "backend after the table change"
	# and new connections now avoid it
	for i in $(seq 8); do
		[[ $(hold_once "$XLB_VIP4" 90) != "$first" ]] ||
			fail "new connection $i went to the removed backend $first"
	done
}

# xdp_prog_id NODE IFACE: id of the XDP program attached to IFACE, empty if none
xdp_prog_id() {
	ip -n "$(topo_ns "$1")" -d link show dev "$2" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

@test "upgrade in place: a new program swaps in under a live connection" {
	local old new
	old=$(xdp_prog_id lb "$XLB_LB_IF_CLIENT")
	[[ -n $old ]] || fail "no program attached before the upgrade"
	hold_open h "$XLB_VIP4" 90
	# a second attach loads a new program and swaps it into the pinned link
	lb attach "$PIN" "$XLB_LB_IF_CLIENT"
	new=$(xdp_prog_id lb "$XLB_LB_IF_CLIENT")
	[[ -n $new && $new != "$old" ]] || fail "program id before $old, after '$new'"
	hold_close h
	assert_equal "$(hold_answer h 2)" "$(hold_answer h 1)" "backend after the upgrade (flow table kept)"
}

@test "counters: forwarded in every mode, nothing dropped" {
	run -0 lb counters "$PIN"
	local c
	declare -A c
	while read -r k v; do c[$k]=$v; done <<<"$output"
	((c[encap_ipip] > 0)) || fail "encap_ipip is ${c[encap_ipip]}"
	((c[encap_gue] > 0)) || fail "encap_gue is ${c[encap_gue]}"
	((c[l2_dsr] > 0)) || fail "l2_dsr is ${c[l2_dsr]}"
	((c[redirect] > 0)) || fail "redirect is ${c[redirect]}"
	assert_equal "${c[drop]}" 0 "dropped packets"
	assert_equal "$((c[pass] + c[tx] + c[redirect] + c[drop]))" "${c[rx]}" "rx = pass+tx+redirect+drop"
}

@test "detach: removing the link pin detaches the program, the maps stay" {
	lb unlink "$PIN" "$XLB_LB_IF_CLIENT"
	assert_equal "$(xdp_prog_id lb "$XLB_LB_IF_CLIENT")" "" "program after detach"
	[[ -e $PIN/$XLB_ABI_DIR/xlb_flows ]] || fail "flow table pin gone after detach"
	# without the balancer the VIP is just an unrouted address on the lb
	run topo_exec client python3 "$XLB_ROOT/$CLI" http "$XLB_VIP4" 80
	((status != 0)) || fail "VIP still answered after detach: $output"
}
