#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# lbd and lbctl end to end: real connections through the agent's dataplane,
# weights, drain, restarts that lose nothing, apply, show round trip, errors
# and exit codes through the real CLI, socket permissions.

load lib/assert
load lib/topo
load lib/lbd
load lib/hold

VIP=203.0.113.10
CLI=tests/integration/lib/xlb_client.py

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 ethtool jq || return 0
	skip_if_no_build build/lbd build/lbctl build/tests/tools/xlbfix || return 0
	topo_up
	lbd_env_setup
	backends_up 1 2 3
	lbd_start --metrics 127.0.0.1:9100
	lbctl vip add "$VIP:80/tcp"
	lbctl backend add "$VIP:80/tcp" "$XLB_BE1_4" weight 100
	lbctl backend add "$VIP:80/tcp" "$XLB_BE2_4" weight 300
	lbctl vip add "$VIP:90/tcp"
	lbctl backend add "$VIP:90/tcp" "$XLB_BE1_4"
	lbctl backend add "$VIP:90/tcp" "$XLB_BE2_4"
	lbctl vip add "[$XLB_VIP6]:80/tcp" encap gue
	lbctl backend add "[$XLB_VIP6]:80/tcp" "$XLB_BE1_6"
	lbctl backend add "[$XLB_VIP6]:80/tcp" "$XLB_BE3_6"
	lbctl vip add "$VIP:53/udp" encap l2
	lbctl backend add "$VIP:53/udp" "$XLB_BE3_4"
	topo_wait_http be3
}

teardown_file() {
	lbd_env_teardown
}

@test "lbctl: weights are respected (100:300 over 80 connections)" {
	local i out n1=0 n2=0
	for i in $(seq 80); do
		out=$(client_http "$VIP" 80) || fail "request $i failed"
		case $out in
		be1) n1=$((n1 + 1)) ;;
		be2) n2=$((n2 + 1)) ;;
		*) fail "request $i answered by '$out'" ;;
		esac
	done
	# be1 expects 20 of 80 (p = 1/4, sd 3.9): outside 6..36 is below 1e-4
	((n1 >= 6 && n1 <= 36)) || fail "be1 served $n1 of 80, be2 $n2 (expected ~20/60)"
	# the 80 flows are in the flow table; lbd counts it in the background each second
	local entries
	for _ in $(seq 30); do
		entries=$(lbctl -j stats show | jq -r '.global.flow_table_entries')
		[[ $entries != null ]] && ((entries >= 80)) && break
		sleep 0.1
	done
	[[ $entries != null ]] && ((entries >= 80)) || fail "flow_table_entries: $entries"
}

@test "lbctl: IPv6 VIP over GUE and a UDP VIP by L2 DSR" {
	run -0 client_http "$XLB_VIP6" 80
	[[ $output == be1 || $output == be3 ]] || fail "answered by '$output'"
	run -0 topo_exec client python3 "$XLB_ROOT/$CLI" udp "$VIP" 53
	assert_equal "$output" be3
}

@test "every encap mode, IPv4 and IPv6, TCP and UDP, through lbd" {
	local i=0 mode fam addr be ns proto out vip
	for n in 1 2 3; do # extra VIP addresses on be3's loopback, one per mode
		ns=$(topo_ns be3)
		ip -n "$ns" addr add "203.0.113.2$n/32" dev lo 2>/dev/null || true
		ip -n "$ns" addr add "2001:db8:100::2$n/128" dev lo 2>/dev/null || true
	done
	for mode in ipip gue l2; do
		i=$((i + 1))
		for fam in 4 6; do
			if [[ $fam == 4 ]]; then
				addr=203.0.113.2$i be=$XLB_BE3_4 vip=$addr
			else
				addr=2001:db8:100::2$i be=$XLB_BE3_6 vip="[$addr]"
			fi
			for proto in tcp udp; do
				local port=82
				[[ $proto == udp ]] && port=53
				lbctl vip add "$vip:$port/$proto" encap "$mode"
				lbctl backend add "$vip:$port/$proto" "$be"
				if [[ $proto == tcp ]]; then
					out=$(client_http "$addr" 82) || fail "$mode $vip tcp: request failed"
				else
					out=$(topo_exec client python3 "$XLB_ROOT/$CLI" udp "$addr" 53) ||
						fail "$mode $vip udp: request failed"
				fi
				assert_equal "$out" be3 "$mode $vip:$port/$proto answered by"
				lbctl vip del "$vip:$port/$proto"
			done
		done
	done
}

@test "lbctl -j backend show: one JSON array with the documented keys" {
	run -0 lbctl -j backend show "$VIP:80/tcp"
	assert_equal "$(jq -r 'type' <<<"$output")" array
	assert_equal "$(jq -r 'length' <<<"$output")" 2
	assert_equal "$(jq -r '.[1] | [.vip, .addr, .weight, .health, .breaker, .draining] | @tsv' \
		<<<"$output")" "$VIP:80/tcp	$XLB_BE2_4	300	up	closed	false"
	jq -e '.[0] | has("active_flows") and (.packets | type == "number") and (.bytes | type == "number")' \
		<<<"$output" >/dev/null || fail "keys missing: $output"
	run -0 lbctl -j stats show
	jq -e '(.global.rx | type == "number") and (.global.drops | type == "object") and
		(.vips[0] | has("vip") and has("packets") and has("bytes") and has("new_flows") and
		(.backends[0] | has("addr") and has("packets") and has("bytes")))' <<<"$output" \
		>/dev/null || fail "stats keys missing: $output"
}

@test "lbctl -s -s backend show: active flows and rates over a second (ipvsadm --rate)" {
	local i
	( for i in $(seq 20); do client_http "$VIP" 80 >/dev/null; sleep 0.05; done ) 3>&- &
	local loop=$!
	run -0 lbctl -j -s -s backend show "$VIP:80/tcp"
	wait "$loop"
	jq -e 'length == 2 and all(.[]; has("active_flows") and (.new_flows_per_s | type == "number")
		and (.packets_per_s | type == "number") and (.bytes_per_s | type == "number"))' \
		<<<"$output" >/dev/null || fail "keys: $output"
	jq -e 'map(.new_flows_per_s) | add > 0' <<<"$output" >/dev/null ||
		fail "no new flows per second while connections were made: $output"
	run -0 lbctl -s -s backend show "$VIP:80/tcp"
	assert_output_contains "NEWFLOW/S"
	assert_output_contains "BYTES/S"
}

@test "lbctl: errors name the token and exit with the documented codes" {
	run -2 lbctl backend add "$VIP:80/tcp" "$XLB_BE3_4" weigth 5
	[[ $output == *"'weigth'"* ]] || fail "$output"
	run -2 lbctl vip add "$VIP:70000/tcp"
	[[ $output == *70000* ]] || fail "$output"
	run -2 lbctl vip add "$VIP:85/tcp" ring-size 100
	[[ $output == *100* ]] || fail "$output"
	run -4 lbctl backend del "$VIP:80/tcp" 198.51.100.99
	[[ $output == *198.51.100.99* ]] || fail "$output"
	run -4 lbctl backend add "$VIP:99/tcp" "$XLB_BE1_4"
	run -5 lbctl vip add "$VIP:80/tcp"
	run -5 lbctl backend add "$VIP:80/tcp" "$XLB_BE1_4"
	run -3 "$XLB_ROOT/build/lbctl" -S "$XLB_RUN/nope.sock" vip show
	[[ $output == *nope.sock* ]] || fail "$output"
	run -4 lbctl -j backend drain "$VIP:80/tcp" 198.51.100.99
	assert_equal "$(jq -r '.error.code' <<<"$output")" 4
	# nothing changed
	run -0 lbctl -j vip show
	assert_equal "$(jq -r 'length' <<<"$output")" 4
}

@test "metrics: Prometheus text with per-VIP and per-backend counters" {
	client_http "$VIP" 80 >/dev/null
	run -0 topo_exec lb python3 -c '
import urllib.request
r = urllib.request.urlopen("http://127.0.0.1:9100/metrics", timeout=3)
print(r.headers["Content-Type"])
print(r.read().decode())'
	[[ ${lines[0]} == "text/plain; version=0.0.4"* ]] || fail "content type: ${lines[0]}"
	local pk
	pk=$(awk -v v="xlb_packets_total{vip=\"$VIP:80/tcp\"}" '$1 == v { print $2 }' <<<"$output")
	((${pk:-0} > 0)) || fail "no packets for $VIP:80/tcp in: $(grep xlb_packets_total <<<"$output")"
	grep -q "^xlb_backend_packets_total{vip=\"$VIP:80/tcp\",backend=\"$XLB_BE2_4\"} " \
		<<<"$output" || fail "backend series missing"
	grep -q '^# TYPE xlb_drops_by_reason_total counter' <<<"$output" || fail "drops family missing"
}

@test "drain keeps the established connection and sends new ones elsewhere" {
	local first i
	hold_open h "$VIP" 90
	first=$(hold_answer h 1)
	eval "lbctl backend drain $VIP:90/tcp \$XLB_${first^^}_4"
	for i in $(seq 6); do
		[[ $(hold_once "$VIP" 90) != "$first" ]] || fail "new connection $i went to the draining $first"
	done
	hold_close h
	assert_equal "$(hold_answer h 2)" "$first" "backend of the held connection after drain"
	eval "lbctl backend enable $VIP:90/tcp \$XLB_${first^^}_4"
}

@test "next hops: a neighbour change reaches the dataplane without a restart" {
	run -0 lbctl -j backend show "$VIP:80/tcp"
	assert_equal "$(jq -r '.[0] | [.next_hop, .next_hop_mac, .egress] | @tsv' <<<"$output")" \
		"resolved	$XLB_BE1_MAC	to-be1"
	local ns
	ns=$(topo_ns lb)
	ip -n "$ns" neigh replace "$XLB_BE1_4" lladdr 02:00:00:00:0a:0a dev to-be1 nud permanent
	local _ mac
	for _ in $(seq 30); do
		mac=$(lbctl -j backend show "$VIP:80/tcp" | jq -r '.[0].next_hop_mac')
		[[ $mac == 02:00:00:00:0a:0a ]] && break
		sleep 0.1
	done
	assert_equal "$mac" 02:00:00:00:0a:0a "next-hop MAC after the neighbour change"
	ip -n "$ns" neigh replace "$XLB_BE1_4" lladdr "$XLB_BE1_MAC" dev to-be1 nud permanent
	for _ in $(seq 30); do
		mac=$(lbctl -j backend show "$VIP:80/tcp" | jq -r '.[0].next_hop_mac')
		[[ $mac == "$XLB_BE1_MAC" ]] && break
		sleep 0.1
	done
	assert_equal "$mac" "$XLB_BE1_MAC" "next-hop MAC after restoring it"
}

@test "next hops: a neighbour entry deleted under traffic loses no segment" {
	local lb be ip mac r0 r1 _
	lb=$(topo_ns lb)
	hold_open n "$VIP" 90
	be=$(hold_answer n 1) # be1 or be2
	eval "ip=\$XLB_${be^^}_4 mac=\$XLB_${be^^}_MAC"
	r0=$(topo_exec client nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
	# the balancer sends no ARP to the backend for a while, so re-resolving takes as
	# long as we like (on a veth it would take a millisecond, hiding any window)
	local mcast ucast
	mcast=$(ip netns exec "$lb" sysctl -n "net.ipv4.neigh.to-$be.mcast_solicit")
	ucast=$(ip netns exec "$lb" sysctl -n "net.ipv4.neigh.to-$be.ucast_solicit")
	ip netns exec "$lb" sysctl -qw "net.ipv4.neigh.to-$be.mcast_solicit=0" \
		"net.ipv4.neigh.to-$be.ucast_solicit=0"
	# what the kernel's garbage collector does to an entry XDP traffic never refreshes
	ip -n "$lb" neigh del "$ip" dev "to-$be"
	sleep 0.3 # lbd has heard of it and is re-resolving
	assert_equal "$(lbctl -j backend show "$VIP:90/tcp" | jq -r --arg a "$ip" \
		'.[] | select(.addr == $a) | .next_hop_mac')" "$mac" "next-hop MAC while re-resolving"
	hold_close n # one more exchange on the established connection, meanwhile
	ip netns exec "$lb" sysctl -qw "net.ipv4.neigh.to-$be.mcast_solicit=$mcast" \
		"net.ipv4.neigh.to-$be.ucast_solicit=$ucast"
	r1=$(topo_exec client nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
	assert_equal "$((r1 - r0))" 0 "client TCP retransmissions across the neighbour loss"
	# the entry lbd asked for is managed: the kernel keeps it resolved from now on
	for _ in $(seq 30); do
		ip -n "$lb" neigh show "$ip" dev "to-$be" | grep -q managed && break
		sleep 0.1
	done
	ip -n "$lb" neigh show "$ip" dev "to-$be" | grep -q managed ||
		fail "no managed entry: $(ip -n "$lb" neigh show "$ip" dev "to-$be")"
	ip -n "$lb" neigh replace "$ip" lladdr "$mac" dev "to-$be" nud permanent
}

@test "adding a backend does not move established connections" {
	hold_open h "$VIP" 90
	lbctl backend add "$VIP:90/tcp" "$XLB_BE3_4" weight 1000 # most new flows go to be3
	hold_close h
	assert_equal "$(hold_answer h 2)" "$(hold_answer h 1)" "backend after adding be3"
	lbctl backend del "$VIP:90/tcp" "$XLB_BE3_4"
}

@test "restart: SIGTERM keeps forwarding, a new lbd restores the state, no request lost" {
	local before after i fails=0
	before=$(lbctl show)
	# a request every 100 ms across the stop/start
	(
		for i in $(seq 30); do
			client_http "$VIP" 80 >/dev/null 2>&1 || echo fail
			sleep 0.1
		done
	) >"$BATS_TEST_TMPDIR/loop" 3>&- &
	local loop=$!
	sleep 0.5
	lbd_stop TERM
	run -3 lbctl vip show # lbd is gone...
	sleep 0.5             # ...and traffic still flows meanwhile
	lbd_start
	wait "$loop"
	fails=$(grep -c fail "$BATS_TEST_TMPDIR/loop" || true)
	assert_equal "$fails" 0 "requests lost across the restart"
	after=$(lbctl show)
	assert_equal "$after" "$before" "running config after restart"
	grep -q "loaded 4 vips from $STATE" "$XLB_RUN/lbd.log" || fail "state not restored"
}

@test "show round trip: lbctl show fed to apply changes nothing" {
	local before
	before=$(lbctl show)
	# what setup_file made is really there (an empty show would round-trip too)
	[[ $before == *"backend add $VIP:80/tcp $XLB_BE2_4"* ]] || fail "show lacks be2: $before"
	lbctl show >"$BATS_TEST_TMPDIR/cfg"
	run -0 lbctl apply "$BATS_TEST_TMPDIR/cfg"
	assert_equal "$(lbctl show)" "$before"
}

@test "apply: a changed file replaces the config; untouched backends keep their flows" {
	hold_open h "$VIP" 90
	lbctl show | grep -v "^vip add $VIP:53/udp\|^backend add $VIP:53/udp" >"$BATS_TEST_TMPDIR/cfg"
	echo "backend add $VIP:90/tcp $XLB_BE3_4" >>"$BATS_TEST_TMPDIR/cfg"
	run -0 lbctl apply "$BATS_TEST_TMPDIR/cfg"
	run -0 lbctl -j vip show
	assert_equal "$(jq -r '[.[].vip] | sort | join(",")' <<<"$output")" \
		"$VIP:80/tcp,$VIP:90/tcp,[$XLB_VIP6]:80/tcp"
	run -0 lbctl -j backend show "$VIP:90/tcp"
	assert_equal "$(jq -r 'length' <<<"$output")" 3
	hold_close h
	assert_equal "$(hold_answer h 2)" "$(hold_answer h 1)" "backend after apply"
	# a bad file changes nothing and names the line
	printf 'vip add %s:91/tcp\nbackend add %s:91/tcp 198.51.100.11 weight 0\n' "$VIP" "$VIP" \
		>"$BATS_TEST_TMPDIR/bad"
	run -2 lbctl apply "$BATS_TEST_TMPDIR/bad"
	[[ $output == *"line 2"* ]] || fail "$output"
	run -0 lbctl -j vip show
	assert_equal "$(jq -r 'length' <<<"$output")" 3
}

@test "batch: stops at the first failing line and names it" {
	printf '# a comment\n\nvip add %s:92/tcp\nvip add %s:92/tcp\nvip add %s:93/tcp\n' \
		"$VIP" "$VIP" "$VIP" >"$BATS_TEST_TMPDIR/b"
	run -5 lbctl batch "$BATS_TEST_TMPDIR/b"
	[[ $output == *"line 4"* ]] || fail "blank and comment lines must count: $output"
	run -4 lbctl vip show "$VIP:93/tcp"
	lbctl vip del "$VIP:92/tcp"
	# -j: one array of {line, command, output}; -f goes on and exits 1
	run -1 lbctl -j -f batch "$BATS_TEST_TMPDIR/b"
	assert_equal "$(jq -r 'map("\(.line):\(.output.error.code // 0)") | join(",")' <<<"$output")" \
		"3:0,4:5,5:0"
	assert_equal "$(jq -r '.[0].command | join(" ")' <<<"$output")" "vip add $VIP:92/tcp"
	lbctl vip del "$VIP:92/tcp"
	lbctl vip del "$VIP:93/tcp"
}

@test "ring-size change under traffic: no connection fails, no packet dropped as bad_vip" {
	local i fails before after
	before=$(lbctl -j stats show | jq -r '.global.drops.bad_vip // 0')
	# new connections keep coming while the table shrinks and grows (13 <-> 7)
	(
		for i in $(seq 60); do
			client_http "$VIP" 80 >/dev/null || echo fail
		done
	) >"$BATS_TEST_TMPDIR/clients" &
	local clients=$!
	for i in 1 2 3 4 5 6; do
		lbctl vip set "$VIP:80/tcp" ring-size "$((i % 2 ? 7 : 13))"
		sleep 0.1
	done
	wait "$clients"
	fails=$(grep -c fail "$BATS_TEST_TMPDIR/clients" || true)
	after=$(lbctl -j stats show | jq -r '.global.drops.bad_vip // 0')
	lbctl vip set "$VIP:80/tcp" ring-size 65537
	assert_equal "$fails" 0 "failed connections"
	assert_equal "$((after - before))" 0 "packets dropped as bad_vip"
}

@test "sched wrr: new flows follow the weights round robin (100:300 over 40)" {
	lbctl vip add "$VIP:81/tcp" sched wrr
	lbctl backend add "$VIP:81/tcp" "$XLB_BE1_4" weight 100
	lbctl backend add "$VIP:81/tcp" "$XLB_BE2_4" weight 300
	run -0 topo_exec client python3 "$XLB_ROOT/$CLI" many "$VIP" 81 40
	local n1
	n1=$(awk '$1 == "be1" { print $2 }' <<<"$output")
	# each CPU walks the exact 1:3 sequence: be1 gets 10, give or take one
	# partial window of 4 per CPU (2 here)
	((${n1:-0} >= 8 && ${n1:-0} <= 12)) || fail "be1 served ${n1:-0} of 40: $output"
	[[ $output != *failed* ]] || fail "$output"
	lbctl vip del "$VIP:81/tcp"
}

active_flows() { # ADDR: active_flows of that backend of the lc VIP
	lbctl -j backend show 203.0.113.30:90/tcp | jq -r --arg a "$1" '.[] | select(.addr == $a) | .active_flows'
}

@test "sched lc: new flows go to the backend with the fewest active flows" {
	local n ns c
	for n in 1 2; do
		ns=$(topo_ns "be$n")
		ip -n "$ns" addr add 203.0.113.30/32 dev lo 2>/dev/null || true
	done
	lbctl vip add 203.0.113.30:90/tcp sched lc
	lbctl backend add 203.0.113.30:90/tcp "$XLB_BE1_4"
	lbctl backend add 203.0.113.30:90/tcp "$XLB_BE2_4"
	for c in a b c d; do hold_open "$c" 203.0.113.30 90; done
	# least connections alternates: two each, whatever the first pick was
	assert_equal "$(for c in a b c d; do hold_answer "$c" 1; done | sort | uniq -c | awk '{ print $1 }' | xargs)" \
		"2 2" "held connections per backend"
	assert_equal "$(active_flows "$XLB_BE1_4") $(active_flows "$XLB_BE2_4")" "2 2" "active_flows"
	# end both flows of be1: its count drops to 0, so the next two new flows go there
	for c in a b c d; do
		[[ $(hold_answer "$c" 1) == be1 ]] && hold_close "$c"
	done
	# closed flows leave the count at once (their FINs are seen); allow for a slow lbd
	for _ in $(seq 100); do
		[[ $(active_flows "$XLB_BE1_4") == 0 ]] && break
		sleep 0.1
	done
	assert_equal "$(active_flows "$XLB_BE1_4")" 0 "be1 active flows after its clients closed"
	hold_open e 203.0.113.30 90
	hold_open f 203.0.113.30 90
	assert_equal "$(hold_answer e 1) $(hold_answer f 1)" "be1 be1" "new flows after be1 emptied"
	for c in a b c d e f; do
		[[ -e $BATS_TEST_TMPDIR/gate.$c ]] || hold_close "$c"
	done
	lbctl vip del 203.0.113.30:90/tcp
}

@test "agent reload: refused with a reason when lbd has no --config" {
	run -1 lbctl agent reload
	[[ $output == *"without --config"* ]] || fail "$output"
	run -0 lbctl -j agent status
	assert_equal "$(jq -r '.ifaces[0]' <<<"$output")" "$XLB_LB_IF_CLIENT"
}

@test "socket: an unprivileged user is refused (exit 3)" {
	skip_if_missing setpriv || return 0
	run -3 setpriv --reuid=65534 --regid=65534 --clear-groups "$XLB_ROOT/build/lbctl" \
		-S "$SOCK" vip show
	[[ $output == *"$SOCK"* ]] || fail "$output"
	assert_equal "$(stat -c %a "$SOCK")" 660
}

@test "agent stop detach removes the program" {
	run -0 lbctl agent stop detach
	local _
	for _ in $(seq 50); do
		kill -0 "$(cat "$XLB_RUN/lbd.pid")" 2>/dev/null || break
		sleep 0.1
	done
	run -0 ip -n "$(topo_ns lb)" -d link show dev "$XLB_LB_IF_CLIENT"
	[[ $output != *"prog/xdp"* ]] || fail "program still attached: $output"
	[[ ! -e $PIN/$XLB_ABI_DIR/xlb_flows && ! -e $PIN/$XLB_ABI_DIR ]] || fail "pins left: $(ls "$PIN/$XLB_ABI_DIR")"
	[[ -s $STATE ]] || fail "the state file must be kept"
}
