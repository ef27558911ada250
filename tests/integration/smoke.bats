#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Smoke test of the integration harness itself: two namespaces joined by a veth pair,
# ping across it over IPv4 and IPv6, and a teardown that leaves nothing of ours behind.

load lib/assert
load lib/topo

setup_file() {
	skip_if_not_root || return 0
	skip_if_missing ip ethtool ping || return 0

	topo_ns_add a b
	topo_link a veth0 b veth0
	topo_addr a veth0 192.0.2.1/24 2001:db8:1::1/64
	topo_addr b veth0 192.0.2.2/24 2001:db8:1::2/64
	# static neighbours, as every integration topology uses
	topo_neigh a veth0 192.0.2.2 "$(topo_mac b veth0)"
	topo_neigh a veth0 2001:db8:1::2 "$(topo_mac b veth0)"
	topo_neigh b veth0 192.0.2.1 "$(topo_mac a veth0)"
	topo_neigh b veth0 2001:db8:1::1 "$(topo_mac a veth0)"
}

@test "smoke: both namespaces exist under this run's prefix" {
	run -0 topo_list
	assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "$(topo_ns a) $(topo_ns b) " "namespaces"
}

@test "smoke: ping over IPv4 across the veth pair" {
	topo_ping a 192.0.2.2
	topo_ping b 192.0.2.1
}

@test "smoke: ping over IPv6 across the veth pair" {
	topo_ping a 2001:db8:1::2
	topo_ping b 2001:db8:1::1
}

@test "smoke: tx checksum offload is off on the veth" {
	run -0 topo_exec a ethtool -k veth0
	assert_output_contains "tx-checksumming: off"
}

@test "smoke: teardown leaves no namespace of ours" {
	topo_teardown
	run -0 ip netns list
	refute_output_contains "$XLB_TOPO_PREFIX-"
	# and it is safe to run again (teardown_file does)
	topo_teardown
}
