#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# lbctl decap: xlb_decap attached by lbctl alone (no lbd, no pins) inside several
# backend namespaces at once, real connections through xlb_xdp (set up by the
# xlbfix fixture) into them, counters, show/JSON, replace, refuse, detach, errors.

load lib/assert
load lib/topo

FIX=build/tests/tools/xlbfix
LBCTL=build/lbctl
SRV=tests/integration/lib/xlb_server.py
CLI=tests/integration/lib/xlb_client.py

lb() { topo_exec lb "$XLB_ROOT/$FIX" "$@"; }

# dcap NODE ARGS...: lbctl inside NODE's namespace (where /sys/fs/bpf is no bpffs)
dcap() {
	local node=$1
	shift
	topo_exec "$node" "$XLB_ROOT/$LBCTL" "$@"
}

# (tests loop with be_n, not i: bats' run clobbers a variable named i)

# xdp_prog NODE IFACE: "id name" of the XDP program on IFACE, empty if none
xdp_prog() {
	ip -n "$(topo_ns "$1")" -d link show dev "$2" |
		sed -n 's/.*prog\/xdp id \([0-9]*\) name \([^ ]*\).*/\1 \2/p'
}

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 ethtool jq || return 0
	skip_if_no_build "$FIX" "$LBCTL" build/xlb_xdp.bpf.o build/xdp_floor.bpf.o || return 0
	topo_up
	export PIN=$BATS_FILE_TMPDIR/bpf
	mkdir -p "$PIN"
	mount -t bpf bpf "$PIN"

	lb attach "$PIN" "$XLB_LB_IF_CLIENT"
	lb config "$PIN" 10.255.0.0 fd00:ff:: 8
	local i ns a4 a6 mac pids=()
	for i in 1 2; do
		eval "a4=\$XLB_BE${i}_4 a6=\$XLB_BE${i}_6 mac=\$XLB_BE${i}_MAC"
		lb backend "$PIN" "$i" "$a4" "to-be$i" "$mac"
		lb backend "$PIN" "1$i" "$a6" "to-be$i" "$mac"
		ns=$(topo_ns "be$i")
		ip -n "$ns" addr add "$XLB_VIP4/32" dev lo
		ip -n "$ns" addr add "$XLB_VIP6/128" dev lo
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.eth0.rp_filter=0
		ip netns exec "$ns" python3 "$XLB_ROOT/$SRV" "be$i" --http 80 81 >/dev/null 2>&1 3>&- &
	done
	# both backends at once, default addresses, each lbctl exits right away
	for i in 1 2; do
		ip netns exec "$(topo_ns "be$i")" "$XLB_ROOT/$LBCTL" decap attach dev eth0 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || fail "lbctl decap attach (pid $i) failed"
	done
	lb vip "$PIN" 0 "$XLB_VIP4" 80 tcp ipip && lb ring "$PIN" 0 65537 1:1 2:1
	lb vip "$PIN" 1 "$XLB_VIP6" 81 tcp gue && lb ring "$PIN" 1 65537 11:1 12:1
	topo_wait_http be2
}

teardown_file() {
	topo_teardown
	if [[ -n ${PIN:-} ]]; then
		umount "$PIN" 2>/dev/null || true
	fi
}

# spread ADDR PORT N: N HTTP requests, both backends answer, nobody else
spread() {
	local i out seen=" "
	for i in $(seq "$3"); do
		out=$(topo_exec client python3 "$XLB_ROOT/$CLI" http "$1" "$2") ||
			fail "$1:$2: request $i failed"
		[[ $out == be1 || $out == be2 ]] || fail "$1:$2: answered by '$out'"
		seen+="$out "
	done
	[[ $seen == *" be1 "* && $seen == *" be2 "* ]] || fail "$1:$2: not both backends: $seen"
}

@test "decap attach: in two namespaces at once, stays after lbctl exits" {
	local be_n
	for be_n in 1 2; do
		run -0 xdp_prog "be$be_n" eth0
		[[ $output == *" xlb_decap" ]] || fail "be$be_n eth0: '$output'"
	done
}

@test "decap show -j: the backend's own addresses, not the VIPs on lo" {
	local be_n a4 a6
	for be_n in 1 2; do
		eval "a4=\$XLB_BE${be_n}_4 a6=\$XLB_BE${be_n}_6"
		run -0 dcap "be$be_n" -j decap show
		assert_equal "$(jq -r 'length' <<<"$output")" 1
		assert_equal "$(jq -r '.[0] | [.dev, .mode] | @tsv' <<<"$output")" "eth0	native"
		assert_equal "$(jq -r '.[0].prog_id' <<<"$output")" "$(xdp_prog "be$be_n" eth0 | cut -d' ' -f1)"
		assert_equal "$(jq -r '.[0].addrs | sort | join(" ")' <<<"$output")" "$a4 $a6"
		jq -e '.[0].counters | (.rx | type == "number") and has("ipip4") and has("gue6")' \
			<<<"$output" >/dev/null || fail "counters: $output"
	done
}

@test "decap: TCP through xlb_xdp reaches both backends (IPIP over IPv4, GUE over IPv6)" {
	spread "$XLB_VIP4" 80 12
	spread "$XLB_VIP6" 81 12
}

@test "decap show: counters move with encapsulated traffic" {
	local before after
	before=$(dcap be1 -j decap show dev eth0 | jq '.[0].counters.ipip4')
	spread "$XLB_VIP4" 80 8
	run -0 dcap be1 -j decap show dev eth0
	after=$(jq '.[0].counters.ipip4' <<<"$output")
	((after > before)) || fail "ipip4 $before -> $after"
	jq -e '.[0].counters | .gue6 > 0 and .drop_malformed == 0 and .drop_adjust_failed == 0 and
		.rx >= .ipip4 + .gue6 + .pass' <<<"$output" >/dev/null ||
		fail "counters: $output"
}

@test "decap show: text view is aligned columns with a header" {
	run -0 dcap be1 decap show
	[[ ${lines[0]} == "DEV"*"PROG_ID"*"MODE"*"ADDRS" ]] || fail "header: ${lines[0]}"
	[[ ${lines[1]} == "eth0 "*native*"$XLB_BE1_4"* ]] || fail "row: ${lines[1]}"
	[[ ${lines[2]} == *" rx "* ]] || fail "counters: ${lines[2]}"
}

@test "decap attach again: replaces xlb_decap in place, explicit addr and generic mode" {
	local old new
	old=$(xdp_prog be2 eth0 | cut -d' ' -f1)
	run -0 dcap be2 decap attach dev eth0 addr "$XLB_BE2_4" addr "$XLB_BE2_6"
	new=$(xdp_prog be2 eth0 | cut -d' ' -f1)
	[[ -n $new && $new != "$old" ]] || fail "prog id $old -> '$new'"
	run -0 dcap be2 -j decap show
	assert_equal "$(jq -r '.[0].prog_id' <<<"$output")" "$new"
	# a mode change detaches and attaches again
	run -0 dcap be2 decap attach dev eth0 mode generic
	run -0 dcap be2 -j decap show dev eth0
	assert_equal "$(jq -r '.[0].mode' <<<"$output")" generic
	run -0 dcap be2 decap attach dev eth0
	run -0 dcap be2 -j decap show dev eth0
	assert_equal "$(jq -r '.[0].mode' <<<"$output")" native
	spread "$XLB_VIP4" 80 12
}

@test "decap attach: refuses another XDP program and names it" {
	ip -n "$(topo_ns be3)" link set dev eth0 xdp obj "$XLB_ROOT/build/xdp_floor.bpf.o" sec xdp
	run -1 dcap be3 decap attach dev eth0
	assert_output_contains "'xdp_floor'"
	run -1 dcap be3 decap detach dev eth0
	assert_output_contains "'xdp_floor'"
	run -4 dcap be3 decap show dev eth0
	run -0 dcap be3 -j decap show
	assert_equal "$output" "[]"
	[[ $(xdp_prog be3 eth0) == *" xdp_floor" ]] || fail "xdp_floor was touched"
	ip -n "$(topo_ns be3)" link set dev eth0 xdp off
}

@test "decap: usage errors exit 2 and name the token; JSON errors are one object" {
	run -2 dcap be1 decap attach dev eth9
	assert_output_contains "Error: decap: dev 'eth9': no such interface"
	run -2 dcap be1 decap attach
	assert_output_contains "missing 'dev IFACE'"
	run -2 dcap be1 decap attach dev eth0 weigth 1
	assert_output_contains "unknown keyword 'weigth'"
	run -2 dcap be1 decap attach dev eth0 dev eth0
	run -2 dcap be1 decap attach dev eth0 gue-port 70000
	run -2 dcap be1 decap attach dev eth0 addr 300.1.1.1
	run -2 dcap be1 decap attach dev eth0 mode turbo
	run -2 dcap be1 decap frob
	run -2 dcap be1 -j decap detach dev eth9
	assert_equal "$(jq -r '.error | [.code, .errno] | @tsv' <<<"$output")" "2	ENODEV"
	run -0 dcap be1 decap help
	assert_output_contains "lbctl decap attach dev IFACE"
	# nothing changed on be1
	[[ $(xdp_prog be1 eth0) == *" xlb_decap" ]] || fail "be1 lost its program"
}

@test "decap detach: removes it; again exits 4; show is empty" {
	local be_n
	for be_n in 1 2; do
		run -0 dcap "be$be_n" -j decap detach dev eth0
		assert_equal "$output" null
		assert_equal "$(xdp_prog "be$be_n" eth0)" ""
		run -0 ip -n "$(topo_ns "be$be_n")" link show dev eth0
		refute_output_contains "xdp"
		run -4 dcap "be$be_n" decap detach dev eth0
		assert_output_contains "not attached"
		run -0 dcap "be$be_n" -j decap show
		assert_equal "$output" "[]"
		run -0 dcap "be$be_n" decap show
		assert_equal "$output" ""
	done
}
