#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An operator's view of a running lbd, on one veth pair: systemd's readiness
# protocol (READY only once the socket serves, reload, watchdog, stopping) with a
# fake NOTIFY_SOCKET, log lines (time and level; the journal's form; reads only at
# debug), `lbctl apply --dry-run`, the CLI's help, weight-0 hint, JSON without
# "\/" and permission errors, the Prometheus families, and lbd running with only
# the capabilities lbd.service grants.

load lib/assert
load lib/lbd
load lib/topo

VIP=203.0.113.10
MPORT=19842

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 jq ping setpriv || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	topo_ns_add lb peer
	topo_link lb eth0 peer eth0
	topo_addr lb eth0 192.0.2.1/24
	topo_addr peer eth0 192.0.2.2/24
	export XLB_RUN=$BATS_FILE_TMPDIR PIN=$BATS_FILE_TMPDIR/bpf
	# the socket's directory must be searchable by others (the permission test)
	OPS_DIR=$(mktemp -d /tmp/xlb-ops.XXXXXX)
	chmod 0755 "$OPS_DIR"
	export OPS_DIR SOCK=$OPS_DIR/lbd.sock STATE=$BATS_FILE_TMPDIR/state.conf
	export CONF=$BATS_FILE_TMPDIR/xlb.conf NOTIFY=$BATS_FILE_TMPDIR/notify
	mkdir -p "$PIN"
	mount -t bpf -o mode=0700 bpf "$PIN"
	printf 'vip add %s:80/tcp check tcp interval 200ms timeout 100ms\nbackend add %s:80/tcp 192.0.2.2 weight 100\n' \
		"$VIP" "$VIP" >"$CONF"
	notify_listen
	ops_lbd_start NOTIFY_SOCKET="$NOTIFY.sock" WATCHDOG_USEC=2000000
}

teardown_file() {
	ops_lbd_stop
	[[ -f $XLB_RUN/listener.pid ]] && kill "$(cat "$XLB_RUN/listener.pid")" 2>/dev/null
	topo_teardown
	umount "$PIN" 2>/dev/null || true
	[[ -n ${OPS_DIR:-} ]] && rm -rf "$OPS_DIR"
}

# A stand-in for systemd's notify socket: each datagram becomes one line of
# $NOTIFY.log (newlines as " | "), and a READY=1 is tagged with whether lbd's
# control socket accepted a connection at that moment.
notify_listen() {
	python3 - "$NOTIFY.sock" "$NOTIFY.log" "$SOCK" <<'EOF' 3>&- &
import os, socket, sys
path, log, ctl = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(log, "a") as f:
    while True:
        d = s.recv(4096).decode()
        if "READY=1" in d:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                c.connect(ctl)
                d += "\nctl=serving"
            except OSError as e:
                d += "\nctl=%s" % e.strerror
            c.close()
        f.write(d.replace("\n", " | ") + "\n")
        f.flush()
EOF
	echo $! >"$XLB_RUN/listener.pid"
	local _
	for _ in $(seq 50); do
		[[ -S $NOTIFY.sock ]] && return 0
		sleep 0.05
	done
	fail "notify listener did not start"
}

# ops_lbd_start [VAR=VALUE...]: lbd in the lb namespace with that environment;
# $OPS_WRAP (words) runs lbd (setpriv ...), $OPS_ARGS (words) are more options
ops_lbd_start() {
	# shellcheck disable=SC2086 # word lists
	env "$@" ip netns exec "$(topo_ns lb)" ${OPS_WRAP:-} "$XLB_ROOT/build/lbd" --iface eth0 \
		--config "$CONF" --state "$STATE" --socket "$SOCK" --pin-dir "$PIN" \
		--flow-table-size 65536 --metrics "127.0.0.1:$MPORT" ${OPS_ARGS:-} \
		>>"$XLB_RUN/lbd.log" 2>&1 3>&- &
	echo $! >"$XLB_RUN/lbd.pid"
	lbd_wait_ready
}

ops_lbd_stop() {
	local pid _
	pid=$(cat "$XLB_RUN/lbd.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$XLB_RUN/lbd.pid"; return 0; }
		sleep 0.05
	done
	fail "lbd (pid $pid) did not exit"
}

lbctl() {
	"$XLB_ROOT/build/lbctl" -S "$SOCK" "$@"
}

# wait_for FILE PATTERN: until a line of FILE matches PATTERN (grep -E), 5 s at most
wait_for() {
	local _
	for _ in $(seq 100); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "nothing matching '$2' in $1:" "$(cat "$1" 2>/dev/null)"
}

metrics() {
	topo_exec lb python3 -c '
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=3).read().decode())' "$MPORT"
}

@test "systemd: READY=1 once the control socket serves, then the watchdog from the event loop" {
	wait_for "$NOTIFY.log" 'READY=1'
	run -0 grep -m1 'READY=1' "$NOTIFY.log"
	[[ $output == *"STATUS=ready: 1 vips, socket $SOCK"*"ctl=serving"* ]] || fail "$output"
	# nothing but readiness before it (no early READY)
	assert_equal "$(grep -c 'READY=1' "$NOTIFY.log")" 1
	# WATCHDOG_USEC=2000000: lbd pets it from its 1 s timer
	wait_for "$NOTIFY.log" '^WATCHDOG=1$'
	grep -q 'systemd watchdog every 2000 ms' "$XLB_RUN/lbd.log" || fail "$(cat "$XLB_RUN/lbd.log")"
}

@test "systemd: a reload says RELOADING=1 then READY=1 again; a failed one too" {
	run -0 lbctl agent reload
	wait_for "$NOTIFY.log" 'READY=1.*last reload applied'
	run -0 grep -B1 'last reload applied' "$NOTIFY.log"
	[[ ${lines[0]} == "RELOADING=1"* ]] || fail "$output"
	cp "$CONF" "$CONF.good"
	printf 'vip add %s:80/tcp ring-size 100\n' "$VIP" >"$CONF"
	run -2 lbctl agent reload
	cp "$CONF.good" "$CONF"
	wait_for "$NOTIFY.log" 'READY=1.*last reload failed'
	run -0 lbctl -j vip show
	assert_json_eq 'length' 1
}

@test "logs: time and level on every line; read-only requests only at debug" {
	run -0 lbctl vip show
	run -0 lbctl -j stats show
	run -0 lbctl events
	run -0 lbctl agent status
	run -0 lbctl apply --dry-run "$CONF"
	run -0 lbctl vip add "$VIP:81/tcp"
	run -0 lbctl vip del "$VIP:81/tcp"
	run -4 lbctl vip del "$VIP:81/tcp"
	local re='^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z (error|warning|info|debug): '
	run -1 grep -vE "$re" "$XLB_RUN/lbd.log"
	[[ -z $output ]] || fail "lines without time and level:" "$output"
	# the audit log: one line per request, with its outcome
	grep -qE 'Z info: ctl: uid 0 pid [0-9]+: vip add 203.0.113.10:81/tcp: ok$' "$XLB_RUN/lbd.log" ||
		fail "change not logged at info: $(cat "$XLB_RUN/lbd.log")"
	grep -qE 'Z info: ctl: uid 0 pid [0-9]+: vip del 203.0.113.10:81/tcp: exit 4: .*not found' \
		"$XLB_RUN/lbd.log" || fail "refused change not logged with its outcome: $(cat "$XLB_RUN/lbd.log")"
	run -1 grep -E 'ctl: .*: (vip show|stats show|events|agent status|apply)' "$XLB_RUN/lbd.log"
}

@test "logs: on the journal (JOURNAL_STREAM names stderr) no time, a syslog priority" {
	# a start-up refusal is enough to see the form: a pin directory others may write
	local d=$BATS_TEST_TMPDIR/open log=$BATS_TEST_TMPDIR/journal.log
	mkdir -m 0777 "$d"
	: >"$log"
	local rc=0
	env JOURNAL_STREAM="$(stat -c %d:%i "$log")" "$XLB_ROOT/build/lbd" --iface lo \
		--pin-dir "$d" --state "$BATS_TEST_TMPDIR/s.conf" --socket "$BATS_TEST_TMPDIR/s.sock" \
		2>>"$log" || rc=$?
	assert_equal "$rc" 1 "exit status"
	run -0 cat "$log"
	[[ ${lines[0]} == "<3>error: lbd: refusing pin directory $d"* ]] || fail "$output"
	# the variable inherited by a process whose stderr goes elsewhere: time again
	run -1 env JOURNAL_STREAM="$(stat -c %d:%i "$log")" "$XLB_ROOT/build/lbd" --iface lo \
		--pin-dir "$d" --state "$BATS_TEST_TMPDIR/s.conf" --socket "$BATS_TEST_TMPDIR/s.sock"
	[[ $output =~ ^20[0-9-]+T[0-9:.]+Z\ error:\ lbd:\ refusing ]] || fail "$output"
}

@test "apply --dry-run: lists what would change, changes nothing" {
	local before state_before f=$BATS_TEST_TMPDIR/next.conf
	before=$(lbctl show)
	state_before=$(cat "$STATE")
	cat >"$f" <<EOF
vip add $VIP:80/tcp check tcp interval 200ms timeout 100ms mtu 1400
backend add $VIP:80/tcp 192.0.2.2 weight 100
backend drain $VIP:80/tcp 192.0.2.2
vip add $VIP:443/tcp
policy add deny 198.51.100.0/24
EOF
	run --separate-stderr -0 lbctl apply --dry-run "$f"
	assert_equal "$output" "~ vip add $VIP:80/tcp mtu 1400 check tcp interval 200ms timeout 100ms
    (was: vip add $VIP:80/tcp check tcp interval 200ms timeout 100ms)
+ backend drain $VIP:80/tcp 192.0.2.2
+ vip add $VIP:443/tcp
+ policy add deny 198.51.100.0/24"
	[[ $stderr == *"3 added, 0 removed, 1 changed; nothing applied"* ]] || fail "$stderr"
	assert_equal "$(lbctl show)" "$before"
	assert_equal "$(cat "$STATE")" "$state_before"
	run -0 lbctl -j apply --dry-run "$f"
	assert_json_eq '[.added, .removed, .changed] | @tsv' "3	0	1"
	assert_json_eq '.changes[0] | [.op, .object, .old != null] | @tsv' "change	vip	true"
	# the running config against itself: no change
	lbctl show >"$BATS_TEST_TMPDIR/same.conf"
	run --separate-stderr -0 lbctl apply --dry-run "$BATS_TEST_TMPDIR/same.conf"
	assert_equal "$output" ""
	[[ $stderr == *"no change"* ]] || fail "$stderr"
	# an invalid file: exit 2 naming the line, as apply itself
	printf 'vip add %s:82/tcp\nbackend add %s:99/tcp 192.0.2.9\n' "$VIP" "$VIP" >"$f"
	run -2 lbctl apply --dry-run "$f"
	[[ $output == *"line 2"* ]] || fail "$output"
	run -2 lbctl apply "$f"
	assert_equal "$(lbctl show)" "$before"
}

@test "lbctl: help for apply, show, batch and version; weight 0 points to drain" {
	local w
	for w in apply show batch version; do
		run --separate-stderr -0 "$XLB_ROOT/build/lbctl" "$w" help
		[[ ${lines[0]} == "Usage: lbctl "*"$w"* ]] || fail "$w help: $output"
		assert_equal "$stderr" ""
	done
	run -2 lbctl backend set "$VIP:80/tcp" 192.0.2.2 weight 0
	[[ $output == *"invalid weight '0'"*"lbctl backend drain VIP ADDR"* ]] || fail "$output"
	run -2 lbctl -j backend add "$VIP:80/tcp" 192.0.2.3 weight 0
	assert_json_eq '.error.code' 2
}

@test "lbctl -j: slashes are never escaped, in any command" {
	local cmd
	for cmd in "show" "vip show" "backend show" "stats show" "events" "agent status" \
		"flow lookup $VIP:80/tcp 192.0.2.2:1000" "vip show $VIP:99/tcp"; do
		# shellcheck disable=SC2086 # words
		run lbctl -j $cmd
		[[ $output == *"/"* && $output != *'\/'* ]] || fail "lbctl -j $cmd: $output"
		# shellcheck disable=SC2086
		run lbctl -p $cmd
		[[ $output != *'\/'* ]] || fail "lbctl -p $cmd: $output"
	done
}

@test "lbctl: permission denied names the socket's owner, group and mode" {
	run -3 setpriv --reuid=65534 --regid=65534 --clear-groups "$XLB_ROOT/build/lbctl" \
		-S "$SOCK" vip show
	[[ $output == *"$SOCK: Permission denied"*"socket owner root (uid 0), group root (gid 0), mode 0660; you are nobody (uid 65534), not in group root"* ]] ||
		fail "$output"
	run -3 setpriv --reuid=65534 --regid=65534 --clear-groups "$XLB_ROOT/build/lbctl" -j \
		-S "$SOCK" vip show
	assert_json_eq '.error.errno' EACCES
}

@test "metrics: build info, weight, drain, check latency and durations, flow-table entries, summable families" {
	topo_exec peer ping -c 3 -i 0.2 -W 1 192.0.2.1 >/dev/null || fail "ping"
	run -0 lbctl backend drain "$VIP:80/tcp" 192.0.2.2
	local _
	for _ in $(seq 40); do # the flow table is counted in the background: one pass
		run -0 metrics
		grep -q '^xlb_flow_table_entries ' <<<"$output" && break
		sleep 0.1
	done
	lbctl backend enable "$VIP:80/tcp" 192.0.2.2
	local be="{vip=\"$VIP:80/tcp\",backend=\"192.0.2.2\"}"
	grep -qE '^xlb_build_info\{version="[^"]+",bpf_abi="[0-9]+",json_schema="[0-9]+",systemd="(yes|no)"\} 1$' \
		<<<"$output" || fail "build info: $(grep build_info <<<"$output")"
	grep -qx "xlb_backend_weight$be 100" <<<"$output" || fail "weight"
	grep -qx "xlb_backend_draining$be 1" <<<"$output" || fail "draining"
	grep -qE "^xlb_backend_check_latency_seconds\\$be [0-9]+\.[0-9]{6}$" <<<"$output" ||
		fail "latency: $(grep latency <<<"$output")"
	grep -qE '^xlb_flow_table_entries [0-9]+$' <<<"$output" || fail "no xlb_flow_table_entries"
	# the old catch-all family is gone; every family has its TYPE line
	! grep -q 'xlb_dataplane_total' <<<"$output" || fail "xlb_dataplane_total still exported"
	# the check durations: a histogram whose +Inf bucket is its count
	local inf cnt
	inf=$(grep -F "xlb_backend_check_duration_seconds_bucket{vip=\"$VIP:80/tcp\",backend=\"192.0.2.2\",le=\"+Inf\"} " <<<"$output" | cut -d' ' -f2)
	cnt=$(grep -F "xlb_backend_check_duration_seconds_count$be " <<<"$output" | cut -d' ' -f2)
	[[ $inf =~ ^[0-9]+$ ]] && ((inf > 0)) && [[ $inf == "$cnt" ]] ||
		fail "histogram: +Inf '$inf', count '$cnt': $(grep check_duration <<<"$output")"
	grep -qx '# TYPE xlb_backend_check_duration_seconds histogram' <<<"$output" ||
		fail "no histogram TYPE"
	local fam base
	for fam in $(grep -oE '^xlb_[a-z_]+' <<<"$output" | sort -u); do
		base=${fam%_bucket}
		base=${base%_sum}
		base=${base%_count}
		grep -qE "^# TYPE ($fam (counter|gauge)|$base histogram)$" <<<"$output" ||
			fail "no TYPE for $fam"
	done
	# verdicts sum to the packets seen (the pings were passed to the host)
	local rx sum
	rx=$(awk '$1 == "xlb_dataplane_packets_total" { print $2 }' <<<"$output")
	sum=$(awk '$1 ~ /^xlb_dataplane_verdicts_total\{/ { s += $2 } END { print s + 0 }' <<<"$output")
	((rx > 0)) || fail "no packets counted"
	assert_equal "$sum" "$rx" "sum of xlb_dataplane_verdicts_total"
}

@test "systemd: STOPPING=1 on SIGTERM; without NOTIFY_SOCKET lbd runs as before" {
	ops_lbd_stop
	wait_for "$NOTIFY.log" 'STOPPING=1'
	: >"$NOTIFY.log"
	ops_lbd_start
	run -0 lbctl -j vip show
	assert_json_eq 'length' 1
	sleep 1.2 # a watchdog tick would have come by now
	assert_equal "$(cat "$NOTIFY.log")" ""
}

@test "capabilities: the unit's CapabilityBoundingSet is enough; less fails to load" {
	local caps set c
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$XLB_ROOT/packaging/systemd/lbd.service.in")
	[[ $caps == *CAP_BPF* ]] || fail "no capabilities in the unit"
	set=-all
	for c in $caps; do
		set+=",+$(tr '[:upper:]' '[:lower:]' <<<"${c#CAP_}")"
	done
	ops_lbd_stop
	# root with every other capability dropped, the control socket given to a group
	OPS_WRAP="setpriv --bounding-set=$set --inh-caps=-all" OPS_ARGS="--socket-group daemon" \
		ops_lbd_start
	run -0 lbctl vip add "$VIP:85/tcp" check tcp check-via vip interval 200ms timeout 100ms
	run -0 lbctl backend add "$VIP:85/tcp" 192.0.2.2
	run -0 lbctl vip del "$VIP:85/tcp"
	assert_equal "$(stat -c %G "$SOCK")" daemon
	ops_lbd_stop
	# CAP_BPF and CAP_NET_ADMIN without CAP_PERFMON: the verifier refuses xlb_xdp
	run -1 timeout 20 ip netns exec "$(topo_ns lb)" setpriv --bounding-set=-all,+bpf,+net_admin \
		--inh-caps=-all "$XLB_ROOT/build/lbd" --iface eth0 --state "$STATE" --socket "$SOCK" \
		--pin-dir "$PIN"
	[[ $output == *"cannot load the dataplane"* ]] || fail "$output"
	ops_lbd_start
}
