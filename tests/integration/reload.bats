#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A reload keeps operational state: `lbctl agent reload` and SIGHUP apply the
# difference of the --config file and keep the drains made at runtime that the
# file does not mention; what a reload changed is answered and logged line by
# line. One real lbd on one veth pair.

load lib/assert
load lib/lbd
load lib/topo

VIP=203.0.113.10
VIP2=203.0.113.20

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing jq || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	topo_ns_add lb peer
	topo_link lb eth0 peer eth0
	topo_addr lb eth0 192.0.2.1/24
	topo_addr peer eth0 192.0.2.2/24
	export XLB_RUN=$BATS_FILE_TMPDIR PIN=$BATS_FILE_TMPDIR/bpf
	export SOCK=$BATS_FILE_TMPDIR/lbd.sock STATE=$BATS_FILE_TMPDIR/state.conf
	export CONF=$BATS_FILE_TMPDIR/xlb.conf
	mkdir -p "$PIN"
	mount -t bpf -o mode=0700 bpf "$PIN"
	printf 'vip add %s:80/tcp\nbackend add %s:80/tcp 192.0.2.2\nbackend add %s:80/tcp 192.0.2.3\n' \
		"$VIP" "$VIP" "$VIP" >"$CONF"
	ip netns exec "$(topo_ns lb)" "$XLB_ROOT/build/lbd" --iface eth0 --config "$CONF" \
		--state "$STATE" --socket "$SOCK" --pin-dir "$PIN" --flow-table-size 65536 \
		>>"$XLB_RUN/lbd.log" 2>&1 3>&- &
	echo $! >"$XLB_RUN/lbd.pid"
	lbd_wait_ready
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
	topo_teardown
	umount "$PIN" 2>/dev/null || true
}

lbctl() {
	"$XLB_ROOT/build/lbctl" -S "$SOCK" "$@"
}

# draining ADDR: the draining flag of backend ADDR of $VIP:80/tcp
draining() {
	lbctl -j backend show "$VIP:80/tcp" | jq -r --arg a "$1" '.[] | select(.addr == $a) | .draining'
}

# wait_log PATTERN: until a line of lbd's log matches PATTERN (grep -E), 5 s at most
wait_log() {
	local _
	for _ in $(seq 100); do
		grep -qE "$1" "$XLB_RUN/lbd.log" && return 0
		sleep 0.05
	done
	fail "no log line matching '$1':" "$(tail -n 20 "$XLB_RUN/lbd.log")"
}

@test "reload of an unchanged file keeps a runtime drain and changes nothing" {
	run -0 lbctl backend drain "$VIP:80/tcp" 192.0.2.2
	assert_equal "$(draining 192.0.2.2)" true
	run -0 lbctl -j agent reload
	assert_json_eq '.changes | length' 0
	assert_json '.kept == ["backend drain 203.0.113.10:80/tcp 192.0.2.2"]'
	assert_equal "$(draining 192.0.2.2)" true
	assert_equal "$(draining 192.0.2.3)" false
	# SIGHUP does the same
	kill -HUP "$(cat "$XLB_RUN/lbd.pid")"
	wait_log "reloaded $CONF: 0 added, 0 removed, 0 changed, 1 runtime drains kept"
	assert_equal "$(draining 192.0.2.2)" true
}

@test "reload of a changed file applies the difference, keeps the drain and lists each change" {
	printf 'vip add %s:443/tcp\n' "$VIP2" >>"$CONF"
	sed -i 's|^backend add \(.*\) 192.0.2.3$|backend add \1 192.0.2.3 weight 50|' "$CONF"
	run -0 lbctl agent reload
	assert_output_contains "+ vip add $VIP2:443/tcp"
	assert_output_contains "~ backend add $VIP:80/tcp 192.0.2.3 weight 50"
	assert_output_contains "= backend drain $VIP:80/tcp 192.0.2.2 (runtime drain kept)"
	assert_output_contains "agent reload: 1 added, 0 removed, 1 changed, 1 runtime drains kept"
	run -0 lbctl -j vip show
	assert_json "[.[].vip] | sort == [\"$VIP:80/tcp\", \"$VIP2:443/tcp\"]"
	assert_equal "$(draining 192.0.2.2)" true
	# the log says it too, a line per change
	wait_log "reload of $CONF: \+ vip add $VIP2:443/tcp$"
	wait_log "reload of $CONF: ~ backend add $VIP:80/tcp 192.0.2.3 weight 50 \(was: backend add $VIP:80/tcp 192.0.2.3\)$"
	wait_log "reload of $CONF: = backend drain $VIP:80/tcp 192.0.2.2 \(runtime drain kept\)$"
}

@test "a drain the file makes is the file's: taking it out of the file undoes it" {
	printf 'backend drain %s:80/tcp 192.0.2.3\n' "$VIP" >>"$CONF"
	run -0 lbctl -j agent reload
	assert_json "[.changes[] | .op + \" \" + .line] == [\"add backend drain $VIP:80/tcp 192.0.2.3\"]"
	assert_equal "$(draining 192.0.2.3)" true
	sed -i '/^backend drain/d' "$CONF"
	run -0 lbctl -j agent reload
	assert_json "[.changes[] | .op + \" \" + .line] == [\"del backend drain $VIP:80/tcp 192.0.2.3\"]"
	assert_equal "$(draining 192.0.2.3)" false
	assert_equal "$(draining 192.0.2.2)" true
	# and `backend enable` undoes a runtime drain; the next reload keeps it undone
	run -0 lbctl backend enable "$VIP:80/tcp" 192.0.2.2
	run -0 lbctl -j agent reload
	assert_json_eq '.kept | length' 0
	assert_equal "$(draining 192.0.2.2)" false
}
