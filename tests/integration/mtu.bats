#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# What the interface must offer, said at attach: xlb_xdp is single-buffer XDP, so a
# jumbo-MTU interface cannot take it (lbd names the MTU and the limit, and `vip add`
# refuses such an mtu); and a veth drops what XDP sends into it unless its peer has
# an XDP program (lbd warns, naming the peer).

load lib/assert
load lib/topo

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	NS=$(topo_ns jumbo)
	export NS
	ip netns add "$NS"
	ip -n "$NS" link add j0 type veth peer name j1
	ip -n "$NS" link set j0 mtu 9000
	ip -n "$NS" link set j1 mtu 9000
	ip -n "$NS" link set j0 up
	ip -n "$NS" link set j1 up
	ip -n "$NS" link add k0 type veth peer name k1
	ip -n "$NS" link set k0 up
	ip -n "$NS" link set k1 up
	mkdir -p "$BATS_FILE_TMPDIR/bpf"
	mount -t bpf -o mode=0700 bpf "$BATS_FILE_TMPDIR/bpf"
}

teardown_file() {
	umount "$BATS_FILE_TMPDIR/bpf" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
}

lbd_jumbo() {
	lbd_on j0 "$@"
}

lbd_on() { # IFACE ARGS...: lbd in the namespace, stopped after 3 s if it starts
	local ifc=$1
	shift
	timeout 3 ip netns exec "$NS" "$XLB_ROOT/build/lbd" --iface "$ifc" \
		--pin-dir "$BATS_FILE_TMPDIR/bpf" --socket "$BATS_FILE_TMPDIR/lbd.sock" \
		--state "$BATS_FILE_TMPDIR/state.conf" --src4 10.255.0.0/24 "$@"
}

@test "attach on a 9000-byte MTU interface: refused, naming the MTU and the limit" {
	run -1 lbd_jumbo
	assert_output_contains "j0"
	assert_output_contains "mtu 9000 is above 3498"
	assert_output_contains "ip link set j0 mtu 3498"
}

@test "vip add with a jumbo mtu: refused at the grammar with the range" {
	run -2 "$XLB_ROOT/build/lbctl" -S "$BATS_FILE_TMPDIR/none.sock" vip add 192.0.2.10:80/tcp mtu 9000
	assert_output_contains "invalid mtu '9000': must be 576-3498"
}

@test "attach on a veth whose peer has no XDP program: a warning naming the peer" {
	run lbd_on k0
	assert_output_contains "k0: its veth peer k1 has no XDP program"
	assert_output_contains "xdp_tx_errors"
}
