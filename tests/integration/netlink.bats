#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Next-hop resolution through the agent's netlink.c (the nhlookup fixture) in the lb
# namespace of scripts/topo.sh: direct and gateway neighbours, no route, IPv4 and IPv6,
# resolving a missing neighbour, and following a neighbour MAC change.

load lib/assert
load lib/topo

TOOL=build/tests/tools/nhlookup
GW4=203.0.113.77
GW6=2001:db8:ff::7
NEW_MAC=02:00:00:00:0a:0b

nh() { topo_exec lb "$XLB_ROOT/$TOOL" "$@"; }

setup_file() {
	skip_if_not_root || return 0
	skip_if_missing ip ethtool || return 0
	skip_if_no_build "$TOOL" || return 0
	topo_up
	# an address behind a gateway: a backend acts as the router
	ip -n "$XLB_NS_LB" route add "$GW4/32" via "$XLB_BE2_4" dev "$XLB_LB_IF_BE2"
	ip -n "$XLB_NS_LB" -6 route add "$GW6/128" via "$XLB_BE2_6" dev "$XLB_LB_IF_BE2"
}

# expect_direct ADDR N: the line nhlookup prints for backend N's own address ADDR
expect_direct() {
	local ifindex mac lbmac
	eval "ifindex=\$XLB_LB_IFINDEX_BE$2 mac=\$XLB_BE$2_MAC lbmac=\$XLB_LB_MAC_BE$2"
	echo "$1 ifindex $ifindex ifname to-be$2 dmac $mac smac $lbmac via $1"
}

# resolve_within ADDR TENTHS: nhlookup ADDR succeeds within TENTHS tenths of a second
resolve_within() {
	local i
	for ((i = 0; i < $2; i++)); do
		if output=$(nh "$1"); then
			return 0
		fi
		sleep 0.1
	done
	fail "$1 not resolved after $2 tries; last output: $output"
}

@test "direct IPv4 neighbour: egress link, backend MAC and link MAC" {
	run -0 nh "$XLB_BE1_4"
	assert_output "$(expect_direct "$XLB_BE1_4" 1)"
}

@test "direct IPv6 neighbour: egress link, backend MAC and link MAC" {
	run -0 nh "$XLB_BE2_6"
	assert_output "$(expect_direct "$XLB_BE2_6" 2)"
}

@test "several addresses at once, one line each in order" {
	run -0 nh "$XLB_BE3_4" "$XLB_BE1_6"
	assert_output "$(expect_direct "$XLB_BE3_4" 3)"$'\n'"$(expect_direct "$XLB_BE1_6" 1)"
}

@test "IPv4 address behind a gateway resolves to the gateway's MAC" {
	run -0 nh "$GW4"
	assert_output "$GW4 ifindex $XLB_LB_IFINDEX_BE2 ifname to-be2 dmac $XLB_BE2_MAC smac $XLB_LB_MAC_BE2 via $XLB_BE2_4 gateway"
}

@test "IPv6 address behind a gateway resolves to the gateway's MAC" {
	run -0 nh "$GW6"
	assert_output "$GW6 ifindex $XLB_LB_IFINDEX_BE2 ifname to-be2 dmac $XLB_BE2_MAC smac $XLB_LB_MAC_BE2 via $XLB_BE2_6 gateway"
}

@test "no route: ENETUNREACH for IPv4 and IPv6, exit status 1" {
	run -1 nh 10.9.9.9
	assert_output "10.9.9.9 error ENETUNREACH: Network is unreachable"
	run -1 nh 2001:db8:ffff::1
	assert_output "2001:db8:ffff::1 error ENETUNREACH: Network is unreachable"
	# one failure among successes still fails the run, the others are printed
	run -1 nh "$XLB_BE1_4" 10.9.9.9
	assert_output "$(expect_direct "$XLB_BE1_4" 1)"$'\n'"10.9.9.9 error ENETUNREACH: Network is unreachable"
}

@test "a local address is not a next hop" {
	run -1 nh "$XLB_LB_FRONT4"
	assert_output "$XLB_LB_FRONT4 error EINVAL: Invalid argument"
}

@test "missing IPv4 neighbour: EAGAIN, then resolved by the kernel" {
	ip -n "$XLB_NS_LB" neigh del "$XLB_BE3_4" dev "$XLB_LB_IF_BE3"
	run -1 nh "$XLB_BE3_4"
	assert_output "$XLB_BE3_4 error EAGAIN: Resource temporarily unavailable"
	resolve_within "$XLB_BE3_4" 30
	assert_output "$(expect_direct "$XLB_BE3_4" 3)"
	# learnt through ARP, not a static entry
	run -0 ip -n "$XLB_NS_LB" neigh show "$XLB_BE3_4" dev "$XLB_LB_IF_BE3"
	refute_output_contains PERMANENT
	assert_output_contains "lladdr $XLB_BE3_MAC"
}

@test "missing IPv6 neighbour: EAGAIN, then resolved by the kernel" {
	ip -n "$XLB_NS_LB" neigh del "$XLB_BE3_6" dev "$XLB_LB_IF_BE3"
	run -1 nh "$XLB_BE3_6"
	assert_output "$XLB_BE3_6 error EAGAIN: Resource temporarily unavailable"
	resolve_within "$XLB_BE3_6" 30
	assert_output "$(expect_direct "$XLB_BE3_6" 3)"
	run -0 ip -n "$XLB_NS_LB" neigh show "$XLB_BE3_6" dev "$XLB_LB_IF_BE3"
	refute_output_contains PERMANENT
	assert_output_contains "lladdr $XLB_BE3_MAC"
}

@test "--watch reports a neighbour MAC change and re-resolves to the new MAC" {
	local out=$BATS_TEST_TMPDIR/watch.out pid i
	nh --watch 3 "$XLB_BE1_4" "$GW4" >"$out" 2>&1 3>&- &
	pid=$!
	for ((i = 0; i < 30; i++)); do
		grep -qx watching "$out" && break
		sleep 0.1
	done
	grep -qx watching "$out" || fail "watch did not start:" "$(cat "$out")"
	ip -n "$XLB_NS_LB" neigh replace "$XLB_BE1_4" lladdr "$NEW_MAC" \
		dev "$XLB_LB_IF_BE1" nud permanent
	wait "$pid" || fail "watch failed:" "$(cat "$out")"
	output=$(cat "$out")
	# before the change: the old MAC; after the event: the new one
	[[ $(head -n 1 "$out") == "$(expect_direct "$XLB_BE1_4" 1)" ]] ||
		fail "first line is not the initial resolution:" "$output"
	sed -n '/^watching$/,$p' "$out" | grep -qx "event neigh $XLB_BE1_4" ||
		fail "no neighbour event for $XLB_BE1_4:" "$output"
	sed -n "/^event neigh $XLB_BE1_4\$/,\$p" "$out" |
		grep -qx "$XLB_BE1_4 ifindex $XLB_LB_IFINDEX_BE1 ifname to-be1 dmac $NEW_MAC smac $XLB_LB_MAC_BE1 via $XLB_BE1_4" ||
		fail "new MAC not reported after the event:" "$output"
	ip -n "$XLB_NS_LB" neigh replace "$XLB_BE1_4" lladdr "$XLB_BE1_MAC" \
		dev "$XLB_LB_IF_BE1" nud permanent
}

@test "--watch reports a new route and resolves the address through it" {
	local out=$BATS_TEST_TMPDIR/watch.out pid i addr=203.0.113.88
	nh --watch 2 "$addr" >"$out" 2>&1 3>&- &
	pid=$!
	for ((i = 0; i < 30; i++)); do
		grep -qx watching "$out" && break
		sleep 0.1
	done
	grep -qx watching "$out" || fail "watch did not start:" "$(cat "$out")"
	ip -n "$XLB_NS_LB" route add "$addr/32" via "$XLB_BE3_4" dev "$XLB_LB_IF_BE3"
	wait "$pid" || fail "watch failed:" "$(cat "$out")"
	output=$(cat "$out")
	[[ $(head -n 1 "$out") == "$addr error ENETUNREACH: Network is unreachable" ]] ||
		fail "first line is not the initial failure:" "$output"
	sed -n '/^event route$/,$p' "$out" |
		grep -qx "$addr ifindex $XLB_LB_IFINDEX_BE3 ifname to-be3 dmac $XLB_BE3_MAC smac $XLB_LB_MAC_BE3 via $XLB_BE3_4 gateway" ||
		fail "no route event followed by the resolution:" "$output"
	ip -n "$XLB_NS_LB" route del "$addr/32"
}
