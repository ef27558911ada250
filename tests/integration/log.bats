#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A log nobody reads does not stop lbd: with stderr a FIFO whose reader never
# reads (a one-page pipe), lbd (at -vv, libbpf's output too) starts, answers
# lbctl and keeps checking its backends (a 4 KiB --log-buffer); the lines it could not write are
# counted (agent status, metrics) and, once the FIFO is read again, a warning
# says how many were dropped.

load lib/assert
load lib/topo

VIP=203.0.113.10
MPORT=19843

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 jq curl || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	topo_ns_add lb peer
	topo_link lb eth0 peer eth0
	topo_addr lb eth0 192.0.2.1/24
	topo_addr peer eth0 192.0.2.2/24
	export XLB_RUN=$BATS_FILE_TMPDIR PIN=$BATS_FILE_TMPDIR/bpf
	export SOCK=$BATS_FILE_TMPDIR/lbd.sock STATE=$BATS_FILE_TMPDIR/state.conf
	export CONF=$BATS_FILE_TMPDIR/xlb.conf FIFO=$BATS_FILE_TMPDIR/log.fifo
	mkdir -p "$PIN"
	mount -t bpf -o mode=0700 bpf "$PIN"
	printf 'vip add %s:80/tcp check tcp check-port 8080 interval 100ms timeout 50ms rise 1 fall 1\nbackend add %s:80/tcp 192.0.2.2\n' \
		"$VIP" "$VIP" >"$CONF"
	mkfifo "$FIFO"
	# the reader that never reads: holds the FIFO open with a one-page buffer
	python3 - "$FIFO" <<'EOF' 3>&- &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
while True:
    time.sleep(60)
EOF
	echo $! >"$XLB_RUN/holder.pid"
	ip netns exec "$(topo_ns lb)" "$XLB_ROOT/build/lbd" -vv --iface eth0 --config "$CONF" \
		--state "$STATE" --socket "$SOCK" --pin-dir "$PIN" --flow-table-size 65536 \
		--metrics "127.0.0.1:$MPORT" --log-buffer 4096 >"$FIFO" 2>&1 3>&- &
	echo $! >"$XLB_RUN/lbd.pid"
}

teardown_file() {
	local pid _
	if pid=$(cat "$XLB_RUN/lbd.pid" 2>/dev/null); then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
	fi
	for pid in holder server reader; do
		[[ -f $XLB_RUN/$pid.pid ]] && kill "$(cat "$XLB_RUN/$pid.pid")" 2>/dev/null
	done
	topo_teardown
	umount "$PIN" 2>/dev/null || true
}

lbctl() {
	"$XLB_ROOT/build/lbctl" -S "$SOCK" "$@"
}

# health_is STATE: within 5 s, the backend's check says STATE
health_is() {
	local _ h
	for _ in $(seq 100); do
		h=$(lbctl -j backend show "$VIP:80/tcp" | jq -r '.[0].health')
		[[ $h == "$1" ]] && return 0
		sleep 0.05
	done
	fail "backend health: expected $1, got $h"
}

@test "stderr not read: lbd starts, answers and keeps checking; drops are counted" {
	local _ ok=
	for _ in $(seq 100); do
		lbctl agent status >/dev/null 2>&1 && ok=1 && break
		sleep 0.05
	done
	[[ -n $ok ]] || fail "lbd does not answer with its stderr not read"
	health_is down
	# a check target comes and goes: the checks run while nothing is logged
	ip netns exec "$(topo_ns peer)" python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 8080)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' 3>&- &
	echo $! >"$XLB_RUN/server.pid"
	health_is up
	kill "$(cat "$XLB_RUN/server.pid")"
	health_is down
	run -0 lbctl -j events
	assert_json 'length >= 2'
	run -0 lbctl -j agent status
	assert_json '.log_lines_dropped > 0'
}

@test "stderr read again: the lines lost are reported in the log" {
	run -0 ip netns exec "$(topo_ns lb)" curl -sf "http://127.0.0.1:$MPORT/metrics"
	[[ $output =~ xlb_log_lines_dropped_total\ ([1-9][0-9]*) ]] || fail "no drop count: $output"
	# a reader that reads, before the one that does not goes away
	cat "$FIFO" >"$XLB_RUN/log.out" 3>&- &
	echo $! >"$XLB_RUN/reader.pid"
	sleep 0.2
	kill "$(cat "$XLB_RUN/holder.pid")"
	local _
	for _ in $(seq 100); do
		grep -qE 'warning: log: [0-9]+ lines dropped: stderr was not read fast enough' \
			"$XLB_RUN/log.out" && break
		lbctl agent status >/dev/null # a line to log (-vv): the report comes first
		sleep 0.05
	done
	grep -qE 'warning: log: [0-9]+ lines dropped' "$XLB_RUN/log.out" ||
		fail "no report of dropped lines:" "$(tail -n 5 "$XLB_RUN/log.out")"
	run -0 lbctl -j agent status
	assert_json '.log_lines_dropped > 0'
}
