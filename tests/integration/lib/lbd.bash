# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers for suites that run the real agent: backends with xlb_decap and test
# servers, lbd in the lb namespace, lbctl against its socket.
# Load after lib/assert and lib/topo; call lbd_env_setup from setup_file.

# lbd_env_setup: bpffs for pins, per-run socket/state paths (exported)
lbd_env_setup() {
	export XLB_RUN=$BATS_FILE_TMPDIR
	export PIN=$XLB_RUN/bpf
	export SOCK=$XLB_RUN/lbd.sock
	export STATE=$XLB_RUN/state.conf
	mkdir -p "$PIN"
	# lbd refuses a pin directory others may write (a bpffs root is 1777 by default)
	mount -t bpf -o mode=0700 bpf "$PIN"
}

lbd_env_teardown() {
	lbd_stop 2>/dev/null || true
	topo_teardown
	umount "$PIN" 2>/dev/null || true
}

# backends_up N...: backend N gets the VIPs on lo, xlb_decap on eth0 and the
# test server (HTTP on 80-83, line echo on 90, UDP echo on 53)
backends_up() {
	local i ns a4 a6
	for i in "$@"; do
		eval "a4=\$XLB_BE${i}_4 a6=\$XLB_BE${i}_6"
		ns=$(topo_ns "be$i")
		ip -n "$ns" addr add "$XLB_VIP4/32" dev lo
		ip -n "$ns" addr add "$XLB_VIP6/128" dev lo
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.eth0.rp_filter=0
		ip netns exec "$ns" "$XLB_ROOT/build/lbctl" -q decap attach dev eth0 addr "$a4" addr "$a6"
		ip netns exec "$ns" python3 "$XLB_ROOT/tests/integration/lib/xlb_server.py" "be$i" \
			--http 80 81 82 83 --echo 90 --udp 53 >/dev/null 2>&1 3>&- &
	done
}

# lbd_start [ARGS...]: lbd in the lb namespace; waits until its socket answers
lbd_start() {
	# not topo_exec: $! must be lbd itself (ip netns exec execs it), not a subshell
	ip netns exec "$(topo_ns lb)" "$XLB_ROOT/build/lbd" --iface "$XLB_LB_IF_CLIENT" --state "$STATE" \
		--socket "$SOCK" --pin-dir "$PIN" --src4 10.255.0.0/24 --src6 fd00:ff::/120 "$@" \
		>>"$XLB_RUN/lbd.log" 2>&1 3>&- &
	echo $! >"$XLB_RUN/lbd.pid"
	lbd_wait_ready
}

# lbd_wait_ready: lbd, started in the background with its pid in $XLB_RUN/lbd.pid and
# its output in $XLB_RUN/lbd.log, answers on $SOCK within 5 s (or the test fails with
# the log's tail). Without lib/topo: usable by any suite that sets those.
lbd_wait_ready() {
	local _
	for _ in $(seq 100); do
		"$XLB_ROOT/build/lbctl" -S "$SOCK" agent status >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$XLB_RUN/lbd.pid")" 2>/dev/null || break
		sleep 0.05
	done
	fail "lbd did not become ready:" "$(tail -n 20 "$XLB_RUN/lbd.log")"
}

# lbd_stop [SIGNAL]: stops lbd and waits for it to exit
lbd_stop() {
	local pid
	pid=$(cat "$XLB_RUN/lbd.pid" 2>/dev/null) || return 0
	kill -"${1:-TERM}" "$pid" 2>/dev/null || return 0
	local _
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$XLB_RUN/lbd.pid"; return 0; }
		sleep 0.05
	done
	fail "lbd (pid $pid) did not exit"
}

lbctl() {
	"$XLB_ROOT/build/lbctl" -S "$SOCK" "$@"
}

# client_http ADDR PORT: the name of the backend that answered
client_http() {
	topo_exec client python3 "$XLB_ROOT/tests/integration/lib/xlb_client.py" http "$1" "$2"
}
