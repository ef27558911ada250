#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Control-socket admission: idle clients cannot lock root out (64 held-open
# connections, then lbctl as root answers within a second), and one uid other
# than 0 gets at most 16 connections. One real lbd on one veth pair.

load lib/assert
load lib/lbd
load lib/topo

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 jq setpriv || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	getent group nogroup >/dev/null || xlb_skip "no group 'nogroup'" || return 0
	topo_ns_add lb peer
	topo_link lb eth0 peer eth0
	topo_addr lb eth0 192.0.2.1/24
	topo_addr peer eth0 192.0.2.2/24
	export XLB_RUN=$BATS_FILE_TMPDIR PIN=$BATS_FILE_TMPDIR/bpf
	# the socket's directory must be searchable by uid 65534
	ADM_DIR=$(mktemp -d /tmp/xlb-adm.XXXXXX)
	chmod 0755 "$ADM_DIR"
	export ADM_DIR SOCK=$ADM_DIR/lbd.sock STATE=$BATS_FILE_TMPDIR/state.conf
	mkdir -p "$PIN"
	mount -t bpf -o mode=0700 bpf "$PIN"
	ip netns exec "$(topo_ns lb)" "$XLB_ROOT/build/lbd" --iface eth0 --state "$STATE" \
		--socket "$SOCK" --socket-group nogroup --pin-dir "$PIN" --flow-table-size 65536 \
		>>"$XLB_RUN/lbd.log" 2>&1 3>&- &
	echo $! >"$XLB_RUN/lbd.pid"
	lbd_wait_ready
}

teardown_file() {
	local pid _
	[[ -f $XLB_RUN/idle.pid ]] && kill "$(cat "$XLB_RUN/idle.pid")" 2>/dev/null
	if pid=$(cat "$XLB_RUN/lbd.pid" 2>/dev/null); then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
	fi
	topo_teardown
	umount "$PIN" 2>/dev/null || true
	[[ -n ${ADM_DIR:-} ]] && rm -rf "$ADM_DIR"
}

lbctl() {
	"$XLB_ROOT/build/lbctl" -S "$SOCK" "$@"
}

# idle_clients N OUT: N connections to lbd held open without a request (in the
# background, pid in idle.pid); OUT gets one line per connection once all are
# made: "ok", or the refusal lbd sent. $IDLE_WRAP (words) runs $IDLE_PYTHON
idle_clients() {
	# shellcheck disable=SC2086 # word list
	${IDLE_WRAP:-} "${IDLE_PYTHON:-python3}" - "$SOCK" "$1" "$2" <<'EOF' 3>&- &
import os, select, socket, sys, time
path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
time.sleep(0.3)
ready, _, _ = select.select(socks, [], [], 0)
res = [s.recv(4096).decode().strip() or "closed" if s in ready else "ok" for s in socks]
with open(out + ".tmp", "w") as f:
    f.write("\n".join(res) + "\n")
os.rename(out + ".tmp", out)
time.sleep(120)
EOF
	echo $! >"$XLB_RUN/idle.pid"
	local _
	for _ in $(seq 100); do
		[[ -f $2 ]] && return 0
		sleep 0.1
	done
	fail "the idle clients did not connect"
}

@test "64 idle clients do not keep root out: lbctl answers within a second" {
	idle_clients 64 "$XLB_RUN/idle64"
	assert_equal "$(grep -c '^ok$' "$XLB_RUN/idle64")" 64
	local t0 t1
	t0=$(date +%s%N)
	run -0 timeout 1 "$XLB_ROOT/build/lbctl" -S "$SOCK" -j agent status
	t1=$(date +%s%N)
	assert_json '.pid > 0'
	(((t1 - t0) / 1000000 < 1000)) || fail "lbctl took $(((t1 - t0) / 1000000)) ms"
	grep -q 'ctl: uid 0 pid [0-9]*: closed to make room for uid 0' "$XLB_RUN/lbd.log" ||
		fail "$(tail -n 5 "$XLB_RUN/lbd.log")"
	kill "$(cat "$XLB_RUN/idle.pid")"
	rm -f "$XLB_RUN/idle.pid"
}

@test "one uid other than 0 gets at most 16 connections; root still answers" {
	local out=$ADM_DIR/nobody/out
	mkdir "$ADM_DIR/nobody" && chown 65534 "$ADM_DIR/nobody"
	# as uid 65534 (the socket's group nogroup lets it in)
	IDLE_WRAP="setpriv --reuid 65534 --regid 65534 --clear-groups" IDLE_PYTHON=/usr/bin/python3 \
		idle_clients 20 "$out"
	assert_equal "$(grep -c '^ok$' "$out")" 16
	assert_equal "$(grep -c 'too many connections from uid 65534 (at most 16)' "$out")" 4
	run -0 timeout 1 "$XLB_ROOT/build/lbctl" -S "$SOCK" -j agent status
	kill "$(cat "$XLB_RUN/idle.pid")"
	rm -f "$XLB_RUN/idle.pid"
}
