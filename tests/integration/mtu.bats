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
	ip -n "$NS" link set lo up
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

# A VIP whose backend is reached back out of k0: xlb_xdp sends each SYN out of k0
# with XDP_TX, the veth drops it (k1 has no XDP program), and lbctl stats shows the
# driver's count of that, which no counter of xlb_xdp can see.
@test "lbctl stats and metrics show the driver's XDP transmit errors of the interface" {
	local conf=$BATS_FILE_TMPDIR/xdp-tx.conf sock=$BATS_FILE_TMPDIR/xdp-tx.sock n
	ip -n "$NS" addr add 192.0.2.2/32 dev k1
	ip -n "$NS" route add 203.0.113.77/32 dev k1 src 192.0.2.2
	ip -n "$NS" neigh add 203.0.113.77 lladdr "$(ip -n "$NS" -j link show k0 | jq -r '.[0].address')" \
		dev k1 nud permanent
	ip -n "$NS" route add 198.18.0.5/32 dev k0
	ip -n "$NS" neigh add 198.18.0.5 lladdr 02:00:00:00:00:05 dev k0 nud permanent
	ip netns exec "$NS" ethtool -K k1 tx off >/dev/null 2>&1 || true
	printf 'vip add 203.0.113.77:80/tcp check none\nbackend add 203.0.113.77:80/tcp 198.18.0.5\n' >"$conf"
	ip netns exec "$NS" "$XLB_ROOT/build/lbd" --iface k0 --config "$conf" \
		--pin-dir "$BATS_FILE_TMPDIR/bpf" --socket "$sock" --state "$BATS_FILE_TMPDIR/xdp-tx.state" \
		--src4 10.255.0.0/24 --metrics 127.0.0.1:19843 >"$BATS_FILE_TMPDIR/xdp-tx.log" 2>&1 3>&- &
	local pid=$!
	local up=0
	for _ in $(seq 100); do
		"$XLB_ROOT/build/lbctl" -S "$sock" agent status >/dev/null 2>&1 && up=1 && break
		sleep 0.05
	done
	((up)) || fail "lbd did not start: $(cat "$BATS_FILE_TMPDIR/xdp-tx.log")"
	# a connection that cannot succeed: its SYN and the retransmissions are XDP_TX'd
	ip netns exec "$NS" python3 -c 'import socket; s = socket.socket(); s.settimeout(1.5)
try: s.connect(("203.0.113.77", 80))
except OSError: pass' || true
	run -0 "$XLB_ROOT/build/lbctl" -S "$sock" -j stats show
	n=$(jq -r '.interfaces[0] | select(.interface == "k0") | .xdp_tx_errors' <<<"$output")
	[[ $n =~ ^[0-9]+$ ]] && ((n > 0)) || fail "xdp_tx_errors of k0: '$n' ($output)"
	run -0 "$XLB_ROOT/build/lbctl" -S "$sock" stats show
	assert_output_contains "k0"
	assert_output_contains "xdp_tx_errors $n"
	run -0 ip netns exec "$NS" python3 -c 'import urllib.request as u
print(u.urlopen("http://127.0.0.1:19843/metrics").read().decode())'
	assert_output_contains "xlb_interface_xdp_tx_errors_total{interface=\"k0\"} $n"
	kill "$pid"
	wait "$pid" || true
}
