#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Several lbd instances on one host: two complete topologies, each with its own
# lbd (socket, pin dir, state file), configured differently and serving at once.

load lib/assert
load lib/topo

CLI=tests/integration/lib/xlb_client.py

# inst I: the topology prefix of instance I (a or b)
inst() { echo "$XLB_TOPO_PREFIX-$1"; }

lbctl_i() { # I ARGS...
	local i=$1
	shift
	"$XLB_ROOT/build/lbctl" -S "$BATS_FILE_TMPDIR/$i.sock" "$@"
}

start_lbd() { # I
	local i=$1 p
	p=$(inst "$i")
	ip netns exec "$p-lb" "$XLB_ROOT/build/lbd" --iface to-client --pin-dir "$BATS_FILE_TMPDIR/bpf-$i" \
		--socket "$BATS_FILE_TMPDIR/$i.sock" --state "$BATS_FILE_TMPDIR/$i.state" \
		--src4 10.255.0.0/24 >>"$BATS_FILE_TMPDIR/$i.log" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/$i.pid"
	for _ in $(seq 100); do
		lbctl_i "$i" vip show >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "lbd $i did not become ready: $(tail -n 5 "$BATS_FILE_TMPDIR/$i.log")"
}

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 ethtool jq || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	local i p n
	for i in a b; do
		p=$(inst "$i")
		"$XLB_ROOT/scripts/topo.sh" up "$p" >/dev/null
		mkdir -p "$BATS_FILE_TMPDIR/bpf-$i"
		mount -t bpf -o mode=0700 bpf "$BATS_FILE_TMPDIR/bpf-$i" # lbd: not 1777
		for n in 1 2; do
			ip -n "$p-be$n" addr add 203.0.113.10/32 dev lo
			ip netns exec "$p-be$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
				net.ipv4.conf.eth0.rp_filter=0
			ip netns exec "$p-be$n" "$XLB_ROOT/build/lbctl" -q decap attach dev eth0
			ip netns exec "$p-be$n" python3 "$XLB_ROOT/tests/integration/lib/xlb_server.py" \
				"$i-be$n" --http 80 >/dev/null 2>&1 3>&- &
		done
		start_lbd "$i"
	done
	# the same VIP, a different backend behind each instance
	lbctl_i a vip add 203.0.113.10:80/tcp
	lbctl_i a backend add 203.0.113.10:80/tcp 198.51.100.11
	lbctl_i b vip add 203.0.113.10:80/tcp encap gue
	lbctl_i b backend add 203.0.113.10:80/tcp 198.51.100.12
	for _ in $(seq 50); do
		ip netns exec "$(inst b)-be2" python3 "$XLB_ROOT/$CLI" http 127.0.0.1 80 \
			>/dev/null 2>&1 && break
		sleep 0.1
	done
}

teardown_file() {
	local i
	for i in a b; do
		[[ -f $BATS_FILE_TMPDIR/$i.pid ]] && kill "$(cat "$BATS_FILE_TMPDIR/$i.pid")" 2>/dev/null
	done
	topo_teardown
	for i in a b; do
		umount "$BATS_FILE_TMPDIR/bpf-$i" 2>/dev/null || true
	done
}

@test "two lbd instances: each serves its own config and traffic" {
	run -0 lbctl_i a -j backend show
	assert_equal "$(jq -r '.[].addr' <<<"$output")" 198.51.100.11
	run -0 lbctl_i b -j vip show
	assert_equal "$(jq -r '.[0].encap' <<<"$output")" gue
	run -0 ip netns exec "$(inst a)-client" python3 "$XLB_ROOT/$CLI" http 203.0.113.10 80
	assert_equal "$output" a-be1
	run -0 ip netns exec "$(inst b)-client" python3 "$XLB_ROOT/$CLI" http 203.0.113.10 80
	assert_equal "$output" b-be2
}

@test "two lbd instances: restarting one leaves the other untouched" {
	kill "$(cat "$BATS_FILE_TMPDIR/a.pid")"
	for _ in $(seq 50); do
		kill -0 "$(cat "$BATS_FILE_TMPDIR/a.pid")" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$(cat "$BATS_FILE_TMPDIR/a.pid")" 2>/dev/null || fail "lbd a did not exit"
	run -0 lbctl_i b vip show
	run -0 ip netns exec "$(inst b)-client" python3 "$XLB_ROOT/$CLI" http 203.0.113.10 80
	assert_equal "$output" b-be2
	start_lbd a
	run -0 lbctl_i a show
	[[ $output == *"backend add 203.0.113.10:80/tcp 198.51.100.11"* ]] || fail "$output"
	run -0 ip netns exec "$(inst a)-client" python3 "$XLB_ROOT/$CLI" http 203.0.113.10 80
	assert_equal "$output" a-be1
}
