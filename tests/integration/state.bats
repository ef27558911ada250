#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Start-up never harms what is forwarding, and acknowledged means durable: damaged
# state files (empty, cut at a line, cut mid-line, invalid, a directory, a FIFO), a
# read-only and a full state directory, pin directories others could write; each
# with the message, the exit code, the pinned maps left as they were and real TCP
# connections through the VIP. The refusals at start-up come last and run with lbd
# stopped, as after a crash: the pinned program forwards with what the last lbd left.

load lib/assert
load lib/topo
load lib/lbd

VIP=203.0.113.10

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 ethtool jq mkfifo || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	topo_up
	lbd_env_setup
	# the pins of this lbd's ABI
	# shellcheck disable=SC2153 # PIN comes from lbd_env_setup
	PINV=$PIN/v$("$XLB_ROOT/build/lbctl" -j -S "$SOCK" version | jq -r .bpf_abi)
	export PINV
	backends_up 1 2
	lbd_start
	[[ -d $PINV ]] || fail "no pin directory $PINV: $(ls "$PIN")"
	lbctl vip add "$VIP:80/tcp"
	lbctl backend add "$VIP:80/tcp" "$XLB_BE1_4"
	lbctl vip add "$VIP:82/tcp" check tcp interval 100ms timeout 50ms rise 1
	lbctl backend add "$VIP:82/tcp" "$XLB_BE1_4"
	topo_wait_http be1
	cp "$STATE" "$XLB_RUN/good.conf"
}

teardown_file() {
	local d
	for d in full ro; do
		umount "$XLB_RUN/$d" 2>/dev/null || true
	done
	umount "$XLB_RUN/bpf-open" 2>/dev/null || true
	lbd_env_teardown
}

# lbd_try [ARGS...]: lbd in the foreground as lbd_start runs it (later options win);
# a start-up that hangs (a FIFO) fails after 10 s
lbd_try() {
	timeout 10 ip netns exec "$(topo_ns lb)" "$XLB_ROOT/build/lbd" --iface "$XLB_LB_IF_CLIENT" \
		--state "$STATE" --socket "$SOCK" --pin-dir "$PIN" --src4 10.255.0.0/24 \
		--src6 fd00:ff::/120 "$@" 2>&1 3>&-
}

# dp_snapshot [MAP...]: a digest of pinned maps (default: all that hold the configuration)
dp_snapshot() {
	local m out="" maps=("$@")
	((${#maps[@]})) || maps=(xlb_vips xlb_vip_addrs xlb_backends xlb_config xlb_rings)
	for m in "${maps[@]}"; do
		out+=$(bpftool -j map dump pinned "$PINV/$m") || fail "cannot dump $PINV/$m" || return 1
	done
	md5sum <<<"$out"
}

# dp_vips: digest of the VIP entries and addresses, without the table bank in use:
# lbd may swap a VIP to a rebuilt table of the same inputs at any time (after a
# start, or a check of :82 flapping under load); a refused change is what must not
# show here
dp_vips() {
	local out
	out=$(bpftool -j map dump pinned "$PINV/xlb_vips" |
		jq -c 'map(.formatted // error("no BTF in the dump") | del(.value.ring_bank))') ||
		fail "cannot dump $PINV/xlb_vips" || return 1
	out+=$(bpftool -j map dump pinned "$PINV/xlb_vip_addrs") ||
		fail "cannot dump $PINV/xlb_vip_addrs" || return 1
	md5sum <<<"$out"
}

# vip_answers [N]: N (default 1) new TCP connections through the VIP, all answered by be1
vip_answers() {
	local i out
	for i in $(seq "${1:-1}"); do
		out=$(client_http "$VIP" 80) || fail "connection $i through $VIP:80 failed" || return 1
		assert_equal "$out" be1 "connection $i answered by" || return 1
	done
}

# refused REASON [ARGS...]: lbd exits 1 naming the state file and REASON, writes no
# map (the digest stays $BASE, taken first with `BASE=$(dp_snapshot)`), and the VIP
# keeps answering
refused() {
	local reason=$1 after
	shift
	[[ -n ${BASE:-} ]] || fail "refused: no BASE digest" || return 1
	run -1 lbd_try "$@"
	assert_output_contains "$STATE"
	assert_output_contains "$reason"
	assert_output_contains "nothing applied"
	after=$(dp_snapshot) || return 1
	assert_equal "$after" "$BASE" "pinned maps after the refused start"
	vip_answers
}

# lbd_ensure: a running lbd (on the good state if the last test left none)
lbd_ensure() {
	lbctl vip show >/dev/null 2>&1 && return 0
	rm -rf "$STATE" "$STATE.prev"
	cp "$XLB_RUN/good.conf" "$STATE"
	lbd_start
}

# reseal FILE: a correct end line for whatever FILE now holds before it
reseal() {
	python3 - "$1" <<-'EOF'
		import sys, zlib
		p = sys.argv[1]
		body = "".join(l for l in open(p).readlines() if not l.startswith("# xlb-state-end "))
		b = body.encode()
		end = "# xlb-state-end lines %d bytes %d crc32 %08x\n" % (b.count(b"\n"), len(b), zlib.crc32(b))
		open(p, "w").write(body + end)
	EOF
}

@test "the state file ends with an end line that proves it whole" {
	lbd_ensure
	vip_answers
	run -0 tail -n 1 "$STATE"
	[[ $output =~ ^"# xlb-state-end lines "[0-9]+" bytes "[0-9]+" crc32 "[0-9a-f]{8}$ ]] ||
		fail "last line: $output"
	cp "$STATE" "$BATS_TEST_TMPDIR/s"
	reseal "$BATS_TEST_TMPDIR/s" # python's zlib agrees with lbd's CRC
	cmp "$STATE" "$BATS_TEST_TMPDIR/s" || fail "end line differs from zlib's: $(tail -n 1 "$BATS_TEST_TMPDIR/s")"
	assert_equal "$(stat -c %a "$STATE")" 600 "state file mode"
}

@test "the health file is written by the durable writer, mode 0600" {
	lbd_ensure
	local _
	for _ in $(seq 50); do
		[[ -s $STATE.health ]] && break
		sleep 0.1
	done
	[[ -s $STATE.health ]] || fail "no $STATE.health"
	assert_equal "$(stat -c %a "$STATE.health")" 600 "health file mode"
	grep -q "^$VIP:82/tcp $XLB_BE1_4 up$" "$STATE.health" || fail "$(cat "$STATE.health")"
	[[ ! -e $STATE.health.tmp ]] || fail "temporary file left"
}

@test "--use-previous-state starts from <state>.prev, only when asked" {
	lbd_ensure
	lbctl vip add "$VIP:83/tcp" # the state before this change becomes .prev
	[[ -s $STATE.prev ]] || fail "no $STATE.prev after a change"
	cmp "$STATE.prev" "$XLB_RUN/good.conf" || fail ".prev is not the state before the change"
	lbd_stop
	BASE=$(dp_snapshot)
	head -c 100 "$XLB_RUN/good.conf" >"$STATE"
	refused "--use-previous-state"
	# a missing state file beside a .prev is not a fresh start either
	rm -f "$STATE"
	refused "does not exist, but $STATE.prev does"
	lbd_start --use-previous-state
	grep -q "previous state (--use-previous-state)" "$XLB_RUN/lbd.log" || fail "not logged"
	run -4 lbctl vip show "$VIP:83/tcp"
	cmp "$STATE" "$XLB_RUN/good.conf" || fail "state file is not the previous state"
	vip_answers
}

@test "full disk: a change is refused with ENOSPC and rolled back, then succeeds" {
	lbd_ensure
	local full=$XLB_RUN/full
	mkdir -p "$full"
	mount -t tmpfs -o size=64k,mode=0700 tmpfs "$full"
	cp "$XLB_RUN/good.conf" "$full/state.conf"
	lbd_stop
	STATE=$full/state.conf lbd_start
	dd if=/dev/zero of="$full/fill" bs=4k 2>/dev/null || true
	# (a rolled-back table change leaves a new inner map and a freed backend slot
	# behind, so only the VIP maps compare; traffic shows the rest)
	local before after
	before=$(dp_vips)
	# a new VIP: refused with the cause, not in the model nor in the maps
	run -1 lbctl vip add "$VIP:81/tcp"
	assert_output_contains "No space left on device"
	assert_output_contains "nothing changed"
	run -1 lbctl -j vip add "$VIP:81/tcp"
	assert_json '.error.message | test("No space left on device")'
	assert_json '.error.errno == "ENOSPC"'
	run -4 lbctl vip show "$VIP:81/tcp"
	after=$(dp_vips)
	assert_equal "$after" "$before" "VIP maps after the refused change"
	# a second backend: if it stayed in the tables, about half the new flows would go to be2
	run -1 lbctl backend add "$VIP:80/tcp" "$XLB_BE2_4"
	assert_output_contains "No space left on device"
	vip_answers 8
	# a policy that would deny the client: taken back out of the dataplane
	run -1 lbctl policy add vip "$VIP:80/tcp" deny "$XLB_CLIENT4/32"
	assert_output_contains "No space left on device"
	vip_answers
	after=$(dp_vips)
	assert_equal "$after" "$before" "VIP maps after the refused changes"
	grep -q "xlb-state-end" "$full/state.conf" || fail "the state file was damaged"
	# room again: the same change succeeds (nothing of it stayed behind)
	rm -f "$full/fill"
	run -0 lbctl vip add "$VIP:81/tcp"
	run -0 lbctl backend add "$VIP:81/tcp" "$XLB_BE1_4"
	assert_equal "$(client_http "$VIP" 81)" be1 "connection to the new VIP answered by"
	grep -q "^vip add $VIP:81/tcp" "$full/state.conf" || fail "not saved: $(cat "$full/state.conf")"
	lbd_stop
	umount "$full"
}

@test "damaged state files are never applied: empty, cut at a line, cut mid-line, invalid" {
	lbd_stop # the dataplane keeps forwarding with what the last lbd left
	local n
	BASE=$(dp_snapshot)
	: >"$STATE"
	refused "empty"
	# cut after "vip add": a valid, smaller config (the VIP would lose its backend)
	head -n 2 "$XLB_RUN/good.conf" >"$STATE"
	refused "no end line after line 2"
	# cut inside the backend's address: 198.51.100.11 would become 198.51.100.1
	n=$(grep -n "^backend add $VIP:80/tcp" "$XLB_RUN/good.conf" | cut -d: -f1)
	{ head -n $((n - 1)) "$XLB_RUN/good.conf"; sed -n "${n}p" "$XLB_RUN/good.conf" | head -c -2; } \
		>"$STATE"
	refused "ends inside a line"
	# whole, but a line the grammar refuses
	sed "s|^backend add $VIP:80/tcp .*|& weight 0|" "$XLB_RUN/good.conf" >"$STATE"
	reseal "$STATE"
	refused "line $n: "
	# one flipped character: 80 -> 81
	sed "s|^backend add $VIP:80/tcp|backend add $VIP:81/tcp|" "$XLB_RUN/good.conf" >"$STATE"
	refused "damaged: CRC-32"
	cp "$XLB_RUN/good.conf" "$STATE"
}

@test "a state path that is a directory or a FIFO is refused at once" {
	lbd_stop
	BASE=$(dp_snapshot)
	rm -f "$STATE"
	mkdir "$STATE"
	refused "not a regular file (a directory)"
	rmdir "$STATE"
	mkfifo "$STATE"
	local start=$SECONDS
	refused "not a regular file (a FIFO)"
	((SECONDS - start < 5)) || fail "start-up waited on the FIFO"
	rm -f "$STATE"
	cp "$XLB_RUN/good.conf" "$STATE"
}

@test "read-only state directory at start-up: refused before any map write" {
	lbd_stop
	local ro=$XLB_RUN/ro
	mkdir -p "$ro"
	mount -t tmpfs -o size=64k,mode=0700 tmpfs "$ro"
	# a whole, valid state that moves the VIP to be2: it must not reach the maps
	sed "s|$XLB_BE1_4|$XLB_BE2_4|" "$XLB_RUN/good.conf" >"$ro/state.conf"
	reseal "$ro/state.conf"
	mount -o remount,ro "$ro"
	BASE=$(dp_snapshot)
	STATE=$ro/state.conf refused "Read-only file system"
	umount "$ro"
}

@test "an interface that cannot be attached: refused before any map write" {
	[[ -e $XLB_ROOT/build/xdp_floor.bpf.o ]] || skip "build/xdp_floor.bpf.o is not built (make)"
	lbd_stop
	local ns
	ns=$(topo_ns lb)
	# another XDP program, attached without a link: lbd's bpf_link cannot replace it
	ip -n "$ns" link set dev "$XLB_LB_IF_BE2" xdp obj "$XLB_ROOT/build/xdp_floor.bpf.o" sec xdp
	# a whole, valid state that moves the VIP to be2: it must not reach the maps
	sed "s|$XLB_BE1_4|$XLB_BE2_4|" "$XLB_RUN/good.conf" >"$STATE"
	reseal "$STATE"
	BASE=$(dp_snapshot)
	refused "$XLB_LB_IF_BE2" --iface "$XLB_LB_IF_BE2"
	ip -n "$ns" link set dev "$XLB_LB_IF_BE2" xdp off
	cp "$XLB_RUN/good.conf" "$STATE"
}

@test "--max-backends: fixed once pinned; another size is refused before any map write" {
	lbd_ensure
	run -0 bpftool -j map show pinned "$PINV/xlb_backends"
	assert_json '.max_entries == 16385' # slot 0 is never used
	lbd_stop
	BASE=$(dp_snapshot)
	run -1 lbd_try --max-backends 100000
	assert_output_contains "xlb_backends is pinned with room for 16384 (--max-backends 16384); --max-backends 100000 asks for another size"
	assert_output_contains "nothing applied"
	assert_equal "$(dp_snapshot)" "$BASE" "pinned maps after the refused start"
	vip_answers
	# the same size given, or none: the pinned one
	lbd_start --max-backends 16384
	lbd_stop
	: >"$XLB_RUN/lbd.log"
	lbd_start
	grep -q "room for 16384 backends, as pinned" "$XLB_RUN/lbd.log" ||
		fail "not logged: $(cat "$XLB_RUN/lbd.log")"
	vip_answers
}

@test "pin directory not owned by root, or writable by others: refused with a reason" {
	lbd_stop
	local d=$XLB_RUN/pins-user
	mkdir -m 0700 "$d"
	chown 65534 "$d"
	run -1 lbd_try --pin-dir "$d"
	assert_output_contains "refusing pin directory $d: owner uid 65534, mode 0700"
	d=$XLB_RUN/pins-open
	mkdir -m 0700 "$d"
	chmod 0777 "$d"
	run -1 lbd_try --pin-dir "$d"
	assert_output_contains "$d: owner uid 0, mode 0777"
	# a bpffs mounted with the default mode is 1777: sticky does not make it private
	d=$XLB_RUN/bpf-open
	mkdir -p "$d"
	mount -t bpf bpf "$d"
	run -1 lbd_try --pin-dir "$d"
	assert_output_contains "$d: owner uid 0, mode 1777"
	umount "$d"
	# the pins the running program uses: a v<ABI> others may write
	chmod 0777 "$PINV"
	run -1 lbd_try
	assert_output_contains "$PINV: owner uid 0, mode 0777"
	chmod 0700 "$PINV"
	vip_answers
}
