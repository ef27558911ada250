#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `lbctl apply` of a file far larger than one control message (1,000 VIPs x 10
# backends, about 600 KB: sent in parts, applied as one): applied whole, shown
# back the same, compared by --dry-run, and refused whole when a line of its
# first part is invalid. One real lbd on one veth pair.

load lib/assert
load lib/lbd
load lib/topo

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 jq || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	topo_ns_add lb peer
	topo_link lb eth0 peer eth0
	topo_addr lb eth0 192.0.2.1/24
	topo_addr peer eth0 192.0.2.2/24
	topo_exec lb ip route add 198.51.100.0/24 via 192.0.2.2
	export XLB_RUN=$BATS_FILE_TMPDIR PIN=$BATS_FILE_TMPDIR/bpf
	export SOCK=$BATS_FILE_TMPDIR/lbd.sock STATE=$BATS_FILE_TMPDIR/state.conf
	export BIG=$BATS_FILE_TMPDIR/big.conf
	mkdir -p "$PIN"
	mount -t bpf -o mode=0700 bpf "$PIN"
	python3 - >"$BIG" <<'EOF'
for v in range(1000):
    vip = "203.0.113.%d:%d/tcp" % (v % 250 + 1, 1000 + v // 250)
    print("vip add %s" % vip)
    for b in range(10):
        print("backend add %s 198.51.100.%d" % (vip, b + 1))
EOF
	ip netns exec "$(topo_ns lb)" "$XLB_ROOT/build/lbd" --iface eth0 --state "$STATE" \
		--socket "$SOCK" --pin-dir "$PIN" --flow-table-size 65536 \
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

@test "apply: 1,000 VIPs x 10 backends, larger than one message, applied whole" {
	(($(stat -c %s "$BIG") > 65536)) || fail "the file is not larger than one message"
	run -0 lbctl apply --dry-run "$BIG"
	assert_output_contains "11000 added, 0 removed, 0 changed; nothing applied"
	run -0 lbctl apply "$BIG"
	run -0 lbctl -j vip show
	assert_json_eq 'length' 1000
	assert_json_eq '[.[].backends] | add' 10000
	diff <(lbctl show) "$BIG" || fail "lbctl show differs from the file applied"
	run -0 lbctl apply --dry-run "$BIG"
	assert_output_contains "no change"
}

@test "apply: an invalid line in the first part of a large file changes nothing" {
	local bad=$BATS_TEST_TMPDIR/bad.conf
	{
		echo "vip add 203.0.113.251:80/tcp"
		echo "backend add 203.0.113.251:80/tcp 198.51.100.1 weigth 5"
		cat "$BIG"
	} >"$bad"
	run -2 lbctl apply "$bad"
	assert_output_contains "line 2"
	# the audit log: one line per apply, cut to its start and size, with the outcome
	grep -qE 'info: ctl: uid 0 pid [0-9]+: apply .*\.\.\. \([0-9]+ bytes\): ok$' "$XLB_RUN/lbd.log" ||
		fail "large apply not audited in one line: $(grep 'ctl: uid' "$XLB_RUN/lbd.log" | tail -n 3)"
	grep -qE 'info: ctl: uid 0 pid [0-9]+: apply .*\([0-9]+ bytes\): exit 2: .*line 2' "$XLB_RUN/lbd.log" ||
		fail "refused apply not audited with its outcome: $(grep 'ctl: uid' "$XLB_RUN/lbd.log" | tail -n 3)"
	run -0 lbctl -j vip show
	assert_json_eq 'length' 1000
	# and a changed large file replaces the config: the last VIP goes
	head -n -11 "$BIG" >"$bad"
	run -0 lbctl apply "$bad"
	run -0 lbctl -j vip show
	assert_json_eq 'length' 999
}
