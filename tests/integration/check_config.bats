#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `lbd --check-config FILE`: the whole file parsed and validated as lbd loads it,
# the configuration printed canonically, exit 0 / 1 (unreadable) / 2 (invalid),
# and nothing touched: no pin directory, socket or state file appears. Needs no
# root, no BPF and no namespace.

load lib/assert

setup_file() {
	skip_if_no_build build/lbd || return 0
}

lbd() {
	"$XLB_ROOT/build/lbd" "$@"
}

@test "check-config: a valid file prints its configuration canonically and exits 0" {
	local f=$BATS_TEST_TMPDIR/ok.conf
	cat >"$f" <<'EOF'
# a comment, blank lines and defaults spelled out
vip add 203.0.113.10:80/tcp   sched maglev mtu 1400

backend add 203.0.113.10:80/tcp 198.51.100.11 weight 100
backend add 203.0.113.10:80/tcp 198.51.100.12 weight 200
backend drain 203.0.113.10:80/tcp 198.51.100.12
policy add vip 203.0.113.10:80/tcp deny 192.0.2.0/24
EOF
	run --separate-stderr -0 lbd --check-config "$f"
	assert_equal "$output" "vip add 203.0.113.10:80/tcp mtu 1400
backend add 203.0.113.10:80/tcp 198.51.100.11
backend add 203.0.113.10:80/tcp 198.51.100.12 weight 200
backend drain 203.0.113.10:80/tcp 198.51.100.12
policy add vip 203.0.113.10:80/tcp deny 192.0.2.0/24"
	[[ $stderr == *"$f: valid: 1 vips, 2 backends, 1 policy rules"* ]] || fail "stderr: $stderr"
	# what it prints is itself valid, and prints the same
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/again.conf"
	run --separate-stderr -0 lbd --check-config "$BATS_TEST_TMPDIR/again.conf"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/again.conf")" "$output"
}

@test "check-config: semantic errors exit 2 and name the line, as lbd would refuse them" {
	local f=$BATS_TEST_TMPDIR/bad.conf
	printf 'vip add 203.0.113.10:80/tcp\nvip add 203.0.113.11:80/tcp ring-size 100\n' >"$f"
	run -2 lbd --check-config "$f"
	[[ $output == *"invalid: line 2: "*"100"* ]] || fail "$output"
	# a backend of a VIP the file does not define
	printf 'backend add 203.0.113.10:80/tcp 198.51.100.11\n' >"$f"
	run -2 lbd --check-config "$f"
	[[ $output == *"line 1: "*"203.0.113.10:80/tcp"* ]] || fail "$output"
	# a syntax error, and weight 0 pointing at drain
	printf 'vip add 203.0.113.10:80/tcp\nbackend add 203.0.113.10:80/tcp 198.51.100.11 weight 0\n' >"$f"
	run -2 lbd --check-config "$f"
	[[ $output == *"line 2: "*"backend drain"* ]] || fail "$output"
	# read-only commands do not belong in a config file
	printf 'vip show\n' >"$f"
	run -2 lbd --check-config "$f"
	[[ $output == *"line 1"* ]] || fail "$output"
}

@test "check-config: a state file's end line is checked too" {
	local f=$BATS_TEST_TMPDIR/state.conf
	# a whole state file: the end line counts the lines and bytes before it and their CRC-32
	printf '# xlb state: test\nvip add 203.0.113.10:80/tcp\n' >"$f"
	local crc bytes
	bytes=$(wc -c <"$f")
	crc=$(python3 -c 'import sys, zlib; print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read()))' "$f")
	printf '# xlb-state-end lines 2 bytes %d crc32 %s\n' "$bytes" "$crc" >>"$f"
	run --separate-stderr -0 lbd --check-config "$f"
	assert_equal "$output" "vip add 203.0.113.10:80/tcp"
	# damaged after it was sealed: refused as start-up would refuse it
	sed -i 's/203.0.113.10/203.0.113.99/' "$f"
	run -2 lbd --check-config "$f"
	[[ $output == *"not whole"* ]] || fail "$output"
}

@test "check-config: an unreadable file exits 1; a FIFO is refused, never waited on" {
	run -1 lbd --check-config "$BATS_TEST_TMPDIR/missing.conf"
	[[ $output == *"missing.conf: cannot read"* ]] || fail "$output"
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	run -1 timeout 5 "$XLB_ROOT/build/lbd" --check-config "$BATS_TEST_TMPDIR/fifo"
	[[ $output == *"not a regular file"* ]] || fail "$output"
}

@test "check-config: touches nothing (no pin directory, socket or state file) and needs no --iface" {
	local d=$BATS_TEST_TMPDIR/untouched
	printf 'vip add 203.0.113.10:80/tcp\n' >"$BATS_TEST_TMPDIR/c.conf"
	run -0 lbd --check-config "$BATS_TEST_TMPDIR/c.conf" --state "$d/state.conf" \
		--socket "$d/lbd.sock" --pin-dir "$d/bpf" --metrics 127.0.0.1:1
	[[ ! -e $d ]] || fail "created: $(find "$d")"
	# and is usage-checked like any run: a bad option is still exit 2
	run -2 lbd --check-config "$BATS_TEST_TMPDIR/c.conf" --xdp-mode turbo
}

@test "usage errors: one line with time and level, exit 2" {
	local re='^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z error: lbd: '
	run -2 lbd --no-such-option
	[[ $output =~ ${re}"unknown option '--no-such-option'; try 'lbd --help'"$ ]] || fail "$output"
	run -2 lbd --check-config
	[[ $output =~ ${re}"option '--check-config' needs a value" ]] || fail "$output"
	run -2 lbd --state /tmp/x.conf
	[[ $output =~ ${re}"missing --iface; try 'lbd --help'"$ ]] || fail "$output"
}

@test "check-config: --max-backends is the limit it checks against (default 16384)" {
	local f=$BATS_TEST_TMPDIR/three.conf
	printf '%s\n' "vip add 203.0.113.10:80/tcp" "backend add 203.0.113.10:80/tcp 198.51.100.11" \
		"vip add 203.0.113.11:80/tcp" "backend add 203.0.113.11:80/tcp 198.51.100.12" \
		"backend add 203.0.113.11:80/tcp 198.51.100.13" >"$f"
	run -0 lbd --check-config "$f"
	run -0 lbd --check-config "$f" --max-backends 3
	run -2 lbd --check-config "$f" --max-backends 2
	assert_output_contains "line 5: backend 198.51.100.13: too many backends (at most 2 in all: lbd --max-backends)"
	run -2 lbd --check-config "$f" --max-backends 0
	assert_output_contains "max backends"
	run -2 lbd --check-config "$f" --max-backends 1048577
	assert_output_contains "1048577"
}
