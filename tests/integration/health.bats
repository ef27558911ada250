#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Active health checks through lbd with real servers in namespaces: a stopped
# server is marked down (and its breaker opened) within fall x interval +
# timeout and new connections avoid it; started again it is up after rise
# successes, half-open at once (the checks ejected it, so the checks bring it
# back, whatever eject-time), closed after rise more, and gets traffic again;
# panic keeps a VIP serving when every check fails, and a restart of lbd keeps
# what the checks learnt. Clients reusing source ports after refusals are not
# the passive signal; lc's active flows return to zero.

load lib/assert
load lib/topo
load lib/lbd
load lib/hold

VIP=203.0.113.10
CLI=tests/integration/lib/xlb_client.py
SRV=tests/integration/lib/xlb_server.py

# servers are killed by the pid server_start saved: a pattern would also hit
# the servers of another run of this file
server_stop() { # N: stop the test server of backend N
	local pidf=$BATS_FILE_TMPDIR/server.be$1.pid
	[[ -s $pidf ]] && kill "$(cat "$pidf")" 2>/dev/null
	rm -f "$pidf"
	# the listening sockets must be gone before the caller measures anything
	sleep 0.05
}

server_start() { # N
	ip netns exec "$(topo_ns "be$1")" python3 "$XLB_ROOT/$SRV" "be$1" --http 80 93 95 --echo 90 \
		>/dev/null 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/server.be$1.pid"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

field_of() { # ADDR FIELD
	lbctl -j backend show "$VIP:80/tcp" | jq -r --arg a "$1" --arg f "$2" \
		'.[] | select(.addr == $a) | .[$f]'
}

health_of() { # ADDR
	field_of "$1" health
}

# wait_field ADDR FIELD VALUE MS: polls every 20 ms; prints the time it took
wait_field() {
	local start=$(($(date +%s%N) / 1000000)) now
	while :; do
		[[ $(field_of "$1" "$2") == "$3" ]] && break
		now=$(($(date +%s%N) / 1000000))
		if ((now - start > $4)); then
			# inside $(...) fail cannot end the test: return, the caller fails
			fail "$1: $2 not $3 after $4 ms (is $(field_of "$1" "$2"))"
			return 1
		fi
		sleep 0.02
	done
	echo $(($(date +%s%N) / 1000000 - start))
}

wait_health() { # ADDR STATE MS
	wait_field "$1" health "$2" "$3"
}

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 ethtool jq || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	topo_up
	lbd_env_setup
	local n
	for n in 1 2 3; do
		ns=$(topo_ns "be$n")
		ip -n "$ns" addr add "$VIP/32" dev lo
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
		ip netns exec "$ns" "$XLB_ROOT/build/lbctl" -q decap attach dev eth0
		server_start "$n"
	done
	lbd_start
	lbctl vip add "$VIP:80/tcp" check tcp interval 200ms timeout 100ms rise 2 fall 2 \
		eject-time 1s
	# a second checked VIP on the same servers, for long-lived connections
	lbctl vip add "$VIP:90/tcp" check tcp interval 200ms timeout 100ms rise 2 fall 2 \
		eject-time 1s
	for n in 1 2 3; do
		eval "lbctl backend add $VIP:80/tcp \$XLB_BE${n}_4"
		eval "lbctl backend add $VIP:90/tcp \$XLB_BE${n}_4"
	done
}

teardown_file() {
	lbd_env_teardown
}

@test "health: new backends are up after their first successful check" {
	wait_health "$XLB_BE1_4" up 2000 >/dev/null
	wait_health "$XLB_BE2_4" up 2000 >/dev/null
	wait_health "$XLB_BE3_4" up 2000 >/dev/null
	run -0 lbctl -j backend show "$VIP:80/tcp"
	assert_equal "$(jq -r '[.[].usable] | all' <<<"$output")" true
}

@test "health: a stopped server is down within fall x interval + timeout; new connections avoid it" {
	local took out i h first=""
	# held connections, some on the healthy backends: they must not notice
	for h in 1 2 3 4 5 6; do
		hold_open "h$h" "$VIP" 90
		[[ $(hold_answer "h$h" 1) != be2 ]] && first+=" h$h"
	done
	[[ -n $first ]] || skip "every held connection landed on be2"
	server_stop 2
	# fall 2 x interval 200 ms + timeout 100 ms = 500 ms, plus jitter and polling slack
	took=$(wait_health "$XLB_BE2_4" down 900)
	echo "# detected down in ${took} ms" >&3
	# the same failures opened its breaker, and the dataplane enforces it
	assert_equal "$(field_of "$XLB_BE2_4" breaker)" open
	assert_equal "$(field_of "$XLB_BE2_4" dp_breaker)" open
	for i in $(seq 20); do
		out=$(client_http "$VIP" 80) || fail "connection $i failed after be2 went down"
		[[ $out != be2 ]] || fail "connection $i went to the down backend"
	done
	run -0 lbctl -j backend show "$VIP:80/tcp"
	assert_equal "$(jq -r '.[] | select(.health == "down") | .usable' <<<"$output")" false
	sleep 0.5 # VIP :90 sees be2 down too (same checks): its table is rebuilt
	for h in $first; do # connections to healthy backends: untouched, same backend
		hold_close "$h"
		assert_equal "$(hold_answer "$h" 2)" "$(hold_answer "$h" 1)"
	done
	for h in 1 2 3 4 5 6; do # those on be2 died with its server
		[[ " $first " == *" h$h "* ]] || kill "$(cat "$BATS_TEST_TMPDIR/hold.h$h.pid")" 2>/dev/null || true
	done
}

@test "health: the server back up: up, half-open, closed, and gets traffic again" {
	local took closed out seen="" t0 seq
	t0=$(($(date +%s%N) / 1000000))
	server_start 2
	took=$(wait_health "$XLB_BE2_4" up 1500)
	echo "# health up in ${took} ms" >&3
	# the checks that ejected it bring it back: half-open as it comes up,
	# closed after rise more (while the server was down, eject-time 1 s may
	# have run out first: a half-open trial that failed and reopened it)
	wait_field "$XLB_BE2_4" breaker closed 8000 >/dev/null
	closed=$(($(date +%s%N) / 1000000 - t0))
	echo "# breaker closed ${closed} ms after the restart" >&3
	# while the server was still down, each half-open trial failed and reopened
	run -0 lbctl -j events
	seq=$(jq -r --arg a "$XLB_BE2_4" --arg v "$VIP:80/tcp" \
		'[.[] | select(.vip == $v and .backend == $a and .kind == "state") | .to] | join(",")' \
		<<<"$output")
	[[ $seq =~ ^open(,half-open,open)*,half-open,closed$ ]] || fail "breaker went $seq"
	assert_equal "$(field_of "$XLB_BE2_4" dp_breaker)" closed
	for _ in $(seq 30); do
		out=$(client_http "$VIP" 80) || fail "request failed"
		seen+=" $out"
	done
	[[ $seen == *be2* ]] || fail "be2 got no new connection after coming back:$seen"
}

@test "health: changing check settings live keeps what the checks learnt" {
	lbctl vip set "$VIP:80/tcp" interval 250ms eject-time 10s
	# right after the change: still up and usable, no gap for new connections
	run -0 lbctl -j backend show "$VIP:80/tcp"
	assert_equal "$(jq -r '[.[].health] | unique | join(",")' <<<"$output")" up
	assert_equal "$(jq -r '[.[].usable] | all' <<<"$output")" true
	run -0 client_http "$VIP" 80
	run -0 lbctl -j vip show "$VIP:80/tcp"
	assert_equal "$(jq -r '.[0] | [.interval, .eject_time] | join(" ")' <<<"$output")" "250ms 10s"
}

@test "health: restarting lbd keeps a down backend out (no burst to it)" {
	local out i
	server_stop 3
	wait_health "$XLB_BE3_4" down 900 >/dev/null
	lbd_stop TERM
	lbd_start
	# right after the restart: be3 is still known down, the others still up
	assert_equal "$(health_of "$XLB_BE3_4")" down
	for i in $(seq 20); do
		out=$(client_http "$VIP" 80) || fail "connection $i failed right after the restart"
		[[ $out != be3 ]] || fail "connection $i went to the down backend after restart"
	done
	server_start 3
	wait_health "$XLB_BE3_4" up 1500 >/dev/null
}

@test "breaker: a backend that drops clients' SYNs is ejected by the passive signal" {
	local ns out took t0
	lbctl vip set "$VIP:80/tcp" syn-burst 3 eject-time 30s
	wait_field "$XLB_BE1_4" breaker closed 2000 >/dev/null
	# be1 stops taking encapsulated traffic: the VIP's SYNs die there, while
	# the checks (straight to its own address) keep passing
	ns=$(topo_ns be1)
	ip netns exec "$ns" "$XLB_ROOT/build/lbctl" -q decap detach dev eth0
	t0=$(($(date +%s%N) / 1000000))
	out=$(topo_exec client python3 "$XLB_ROOT/$CLI" parallel "$VIP" 80 30 12)
	took=$(($(date +%s%N) / 1000000 - t0))
	ip netns exec "$ns" "$XLB_ROOT/build/lbctl" -q decap attach dev eth0
	echo "# 30 parallel connections done in ${took} ms: $(tr '\n' ' ' <<<"$out")" >&3
	[[ $out != *failed* ]] || fail "connections failed: $out"
	[[ $out != *be1* ]] || fail "be1 answered without decap: $out"
	assert_equal "$(field_of "$XLB_BE1_4" breaker)" open
	assert_equal "$(field_of "$XLB_BE1_4" dp_breaker)" open
	assert_equal "$(health_of "$XLB_BE1_4")" up # the checks never saw a problem
	# a first ejection is the dataplane map's alone: the table keeps be1
	assert_equal "$(field_of "$XLB_BE1_4" usable)" true
	(($(field_of "$XLB_BE1_4" syn_retx) >= 3)) || fail "syn_retx $(field_of "$XLB_BE1_4" syn_retx)"
	run -0 lbctl -j events
	[[ $(jq -r --arg a "$XLB_BE1_4" '.[] | select(.backend == $a and .to == "open") | .reason' \
		<<<"$output") == *"SYN retransmissions"* ]] || fail "no passive open event: $output"
	# other backends' connections were never touched: all of them closed
	assert_equal "$(field_of "$XLB_BE2_4" breaker)" closed
	assert_equal "$(field_of "$XLB_BE3_4" breaker)" closed
}

@test "events: text, JSON and follow show the same changes" {
	local n
	run -0 lbctl events
	[[ $output == *"$XLB_BE1_4 state: closed -> open"* ]] || fail "no text line: $output"
	n=$(lbctl -j events | jq length)
	((n > 0)) || fail "no events in JSON"
	# follow prints what lbd remembers, then waits for more
	run timeout 1 "$XLB_ROOT/build/lbctl" -S "$SOCK" events follow
	assert_equal "$status" 124
	(($(grep -c ' -> ' <<<"$output") >= n)) || fail "follow printed fewer than $n: $output"
	# back to a short eject-time for the tests below (a new breaker, closed)
	lbctl vip set "$VIP:80/tcp" eject-time 1s syn-burst 8
	wait_field "$XLB_BE1_4" breaker closed 2000 >/dev/null
}

@test "health: panic keeps the VIP serving when every check fails" {
	local n
	lbctl vip set "$VIP:80/tcp" check http path /health-does-not-matter
	# the test server answers 200 to any path; make checks fail with a port nobody serves
	lbctl vip set "$VIP:80/tcp" check tcp
	for n in 1 2 3; do
		eval "lbctl backend set $VIP:80/tcp \$XLB_BE${n}_4 port 81"
	done
	# every check fails (fall 2 x 200 ms): wait until all three are down, well
	# past the point where panic starts (2 of 3 down is already below 50%)
	for _ in $(seq 100); do
		[[ $(lbctl -j backend show "$VIP:80/tcp" | jq -r '[.[].health] | unique | join(",")') == down ]] &&
			break
		sleep 0.05
	done
	run -0 lbctl -j vip show "$VIP:80/tcp"
	assert_equal "$(jq -r '.[0].panic' <<<"$output")" true
	run -0 lbctl -j backend show "$VIP:80/tcp"
	assert_equal "$(jq -r '[.[].health] | unique | join(",")' <<<"$output")" down
	assert_equal "$(jq -r '[.[].usable] | all' <<<"$output")" true
	run -0 client_http "$VIP" 80 # served although every check fails
}

@test "health: per-backend check overrides: check-port, then check none" {
	# panic above left every backend on port 81; put them back
	for n in 1 2 3; do
		eval "lbctl backend set $VIP:80/tcp \$XLB_BE${n}_4 port 80"
	done
	wait_health "$XLB_BE3_4" up 2000 >/dev/null
	lbctl backend set "$VIP:80/tcp" "$XLB_BE3_4" check-port 81 # nobody listens there
	wait_health "$XLB_BE3_4" down 900 >/dev/null
	lbctl backend set "$VIP:80/tcp" "$XLB_BE3_4" check none # exempt: always up
	wait_health "$XLB_BE3_4" up 500 >/dev/null
	assert_equal "$(field_of "$XLB_BE3_4" check)" none
	run -0 lbctl show
	[[ $output == *"backend add $VIP:80/tcp $XLB_BE3_4 port 80 check none check-port 81"* ]] ||
		fail "overrides not shown: $output"
}

@test "health: init-state up lets a new backend take traffic before its first success" {
	local v
	# checks to a port nobody serves: the first fails at once, the second in 10 s
	for v in up down; do
		lbctl vip add "$VIP:9$([[ $v == up ]] && echo 1 || echo 2)/tcp" check tcp \
			interval 10s timeout 5s fall 2 check-port 81 init-state "$v"
	done
	lbctl backend add "$VIP:91/tcp" "$XLB_BE1_4"
	lbctl backend add "$VIP:92/tcp" "$XLB_BE1_4"
	sleep 0.3
	run -0 lbctl -j backend show "$VIP:91/tcp"
	assert_equal "$(jq -r '.[0] | [.health, .usable] | join(" ")' <<<"$output")" "unknown true"
	run -0 lbctl -j backend show "$VIP:92/tcp"
	assert_equal "$(jq -r '.[0] | [.health, .usable] | join(" ")' <<<"$output")" "unknown false"
	lbctl vip del "$VIP:91/tcp"
	lbctl vip del "$VIP:92/tcp"
}

# field_on VIP ADDR FIELD: a backend's field in another VIP than $VIP:80/tcp
field_on() {
	lbctl -j backend show "$1" | jq -r --arg a "$2" --arg f "$3" \
		'.[] | select(.addr == $a) | .[$f]'
}

# wait_on VIP ADDR FIELD VALUE MS: polls every 20 ms; prints the time it took.
# Returns on failure too: inside $(...) errexit does not stop the loop.
wait_on() {
	local start=$(($(date +%s%N) / 1000000)) now
	while :; do
		[[ $(field_on "$1" "$2" "$3") == "$4" ]] && break
		now=$(($(date +%s%N) / 1000000))
		if ((now - start > $5)); then
			fail "$1 $2: $3 not $4 after $5 ms (is $(field_on "$1" "$2" "$3"))"
			return 1
		fi
		sleep 0.02
	done
	echo $(($(date +%s%N) / 1000000 - start))
}

# decap_rx N COUNTER: tunnel packets of one kind (ipip4, gue6...) be N's
# xlb_decap stripped so far
decap_rx() {
	ip netns exec "$(topo_ns "be$1")" "$XLB_ROOT/build/lbctl" -j decap show dev eth0 |
		jq -r --arg k "$2" '.[0].counters[$k]'
}

# check_via_vip VIP FAM ENCAP COUNTER: the via-VIP checks of VIP (backends
# $XLB_BEn_<FAM>) come up through the tunnel (be2's decap COUNTER grows); be2
# without decap is down there within about a second, while the direct checks
# of $VIP:80/tcp keep it up
check_via_vip() {
	local vv=$1 fam=$2 encap=$3 key=$4 n a1 a2 took before t0
	lbctl vip add "$vv" encap "$encap" check tcp check-via vip interval 200ms timeout 100ms \
		rise 1 fall 2
	for n in 1 2 3; do
		eval "lbctl backend add $vv \$XLB_BE${n}_$fam"
	done
	eval "a1=\$XLB_BE1_$fam a2=\$XLB_BE2_$fam"
	run -0 lbctl -j vip show "$vv"
	assert_equal "$(jq -r '.[0].check_via' <<<"$output")" vip
	run -0 lbctl show
	[[ $output == *"vip add $vv "*"check tcp check-via vip interval 200ms timeout 100ms"* ]] ||
		fail "check-via vip not in lbctl show: $output"
	for n in 1 2 3; do
		eval "wait_on $vv \$XLB_BE${n}_$fam health up 2000 >/dev/null"
	done
	# the checks really take the tunnel: be2's decap strips them
	before=$(decap_rx 2 "$key")
	sleep 0.5
	(($(decap_rx 2 "$key") > before)) || fail "be2's decap saw no $key check packets ($before)"
	assert_equal "$(health_of "$XLB_BE2_4")" up
	# be2 stops taking encapsulated traffic: down through the VIP (a probe
	# that went straight to be2, where port 93 is served, would stay up)
	ip netns exec "$(topo_ns be2)" "$XLB_ROOT/build/lbctl" -q decap detach dev eth0
	t0=$(($(date +%s%N) / 1000000))
	took=$(wait_on "$vv" "$a2" health down 1000)
	echo "# $vv ($encap): be2 without decap down in ${took} ms" >&3
	assert_equal "$(field_on "$vv" "$a1" health)" up
	assert_equal "$(health_of "$XLB_BE2_4")" up # direct checks see nothing wrong
	ip netns exec "$(topo_ns be2)" "$XLB_ROOT/build/lbctl" -q decap attach dev eth0
	took=$(wait_on "$vv" "$a2" health up 1500)
	echo "# $vv ($encap): be2 up again ${took} ms after decap attach" \
		"($(($(date +%s%N) / 1000000 - t0)) ms after detach)" >&3
	assert_equal "$(health_of "$XLB_BE2_4")" up
	lbctl vip del "$vv"
}

@test "health: check-via vip checks through the IPIP tunnel: be2 without decap is down there only" {
	check_via_vip "$VIP:93/tcp" 4 ipip ipip4
}

@test "health: check-via vip over GUE and IPv6: be2 without decap is down there only" {
	local n
	for n in 1 2 3; do
		ip -n "$(topo_ns "be$n")" addr add "$XLB_VIP6/128" dev lo
	done
	check_via_vip "[$XLB_VIP6]:93/tcp" 6 gue gue6
	for n in 1 2 3; do
		ip -n "$(topo_ns "be$n")" addr del "$XLB_VIP6/128" dev lo
	done
}

# extra_start PORT N...: an HTTP server on PORT in backend N's namespace (on
# top of server_start's), answering once ready; extra_stop N... ends them
extra_start() {
	local port=$1 n
	shift
	for n in "$@"; do
		ip netns exec "$(topo_ns "be$n")" python3 "$XLB_ROOT/$SRV" "be$n" --http "$port" \
			>/dev/null 2>&1 3>&- &
		echo $! >"$BATS_FILE_TMPDIR/extra.be$n.pid"
	done
	for n in "$@"; do
		for _ in $(seq 50); do
			ip netns exec "$(topo_ns "be$n")" python3 "$XLB_ROOT/$CLI" http 127.0.0.1 "$port" \
				>/dev/null 2>&1 && break
			sleep 0.05
		done
	done
}

extra_stop() {
	local n pidf
	for n in "$@"; do
		pidf=$BATS_FILE_TMPDIR/extra.be$n.pid
		[[ -s $pidf ]] && kill "$(cat "$pidf")" 2>/dev/null
		rm -f "$pidf"
	done
}

# checked_vip VIP OPTIONS...: a VIP with tcp checks every 200 ms (timeout as
# long as the interval), rise 2, fall 2, default ejection settings, be1-be3,
# all up
checked_vip() {
	local vv=$1 n
	shift
	lbctl vip add "$vv" check tcp interval 200ms timeout 200ms rise 2 fall 2 "$@"
	for n in 1 2 3; do
		eval "lbctl backend add $vv \$XLB_BE${n}_4"
	done
	for n in 1 2 3; do
		eval "wait_on $vv \$XLB_BE${n}_4 health up 2000 >/dev/null"
	done
}

@test "breaker: a client reusing 48 source ports after refused connections leaves it closed" {
	local vv=$VIP:94/tcp out took t0 be a n
	# checks to port 80 pass; nobody listens on 94 yet. hash src: every
	# connection of the client goes to the same backend
	checked_vip "$vv" hash src check-port 80
	# 48 connections from ports 41000-41047, each refused (the backend's RST
	# goes straight to the client: the flows never get past their SYN)
	t0=$(now_ms)
	out=$(topo_exec client python3 "$XLB_ROOT/$CLI" --sport 41000 many "$VIP" 94 48)
	took=$(($(now_ms) - t0))
	assert_equal "$out" "failed 48"
	((took < 2500)) || fail "48 refusals took ${took} ms: timeouts, not refusals"
	# the service starts; the client tries again from the same 48 ports: a
	# new SYN (another sequence number) on each 5-tuple, well within one
	# second, six times syn-burst (8)
	extra_start 94 1 2 3
	out=$(topo_exec client python3 "$XLB_ROOT/$CLI" --sport 41000 many "$VIP" 94 48)
	[[ $out =~ ^be[123]\ 48$ ]] || fail "the reused ports were not all served by one backend: $out"
	be=${out%% *}
	eval "a=\$XLB_${be^^}_4"
	sleep 1.3 # lbd reads the passive counters once a second: one reading after the reuses
	echo "# 48 refusals in ${took} ms, then the 48 ports reused: all served by $be" >&3
	assert_equal "$(field_on "$vv" "$a" syn_retx)" 0 "syn_retx of $be"
	(($(field_on "$vv" "$a" established) >= 48)) ||
		fail "established $(field_on "$vv" "$a" established): the reuses were not new flows"
	assert_equal "$(field_on "$vv" "$a" breaker)" closed
	assert_equal "$(field_on "$vv" "$a" dp_breaker)" closed
	assert_equal "$(field_on "$vv" "$a" ejections)" 0
	run -0 lbctl -j events
	assert_equal "$(jq --arg v "$vv" '[.[] | select(.vip == $v and .kind != "health")] | length' \
		<<<"$output")" 0 "breaker events of $vv"
	extra_stop 1 2 3
	lbctl vip del "$vv"
}

@test "health: a restarted server gets new connections within rise x interval + 1 s (default eject-time)" {
	local vv=$VIP:95/tcp a=$XLB_BE2_4 round t0 took out limit seq
	# eject-time is the default (30 s, 60 s for a second ejection in a row)
	checked_vip "$vv"
	run -0 lbctl -j vip show "$vv"
	assert_equal "$(jq -r '.[0] | [.interval, .timeout, .eject_time] | join(" ")' <<<"$output")" \
		"200ms 200ms 30s"
	limit=$((2 * 200 + 1000)) # rise x interval + 1 s
	for round in 1 2; do
		server_stop 2
		wait_on "$vv" "$a" breaker open 1500 >/dev/null
		assert_equal "$(field_on "$vv" "$a" ejections)" "$round"
		t0=$(now_ms)
		server_start 2
		took=
		while (($(now_ms) - t0 < limit + 1500)); do
			out=$(topo_exec client python3 "$XLB_ROOT/$CLI" many "$VIP" 95 6)
			[[ $out != *failed* ]] || fail "connections failed while be2 came back: $out"
			if [[ $out == *be2* ]]; then
				took=$(($(now_ms) - t0))
				break
			fi
		done
		[[ -n $took ]] || fail "round $round: no new connection reached be2 in $((limit + 1500)) ms"
		echo "# restart $round (ejection $round): be2 served a new connection ${took} ms" \
			"after its server started (bound ${limit} ms)" >&3
		((took <= limit)) || fail "round $round: be2 got new connections only after ${took} ms"
		wait_on "$vv" "$a" breaker closed 2000 >/dev/null
	done
	# never waited out an open time: open, half-open by the checks, closed; twice
	run -0 lbctl -j events
	seq=$(jq -r --arg a "$a" --arg v "$vv" \
		'[.[] | select(.vip == $v and .backend == $a and .kind == "state") | .to] | join(",")' \
		<<<"$output")
	assert_equal "$seq" "open,half-open,closed,open,half-open,closed" "breaker states of be2"
	[[ $(jq -r --arg a "$a" --arg v "$vv" \
		'[.[] | select(.vip == $v and .backend == $a and .to == "half-open") | .reason] | unique | join(",")' \
		<<<"$output") == "checks up after 2 successes, half-open budget 3" ]] ||
		fail "half-open not by the checks: $output"
	lbctl vip del "$vv"
}

@test "sched lc: active_flows of every backend back to 0 after all connections close" {
	local lv=203.0.113.31 vv=203.0.113.31:90/tcp n c i a took t0 sum
	for n in 1 2 3; do
		ip -n "$(topo_ns "be$n")" addr add "$lv/32" dev lo
	done
	checked_vip "$vv" sched lc
	# six held connections (two per backend: least connections spreads them)
	# and six short ones, each ended by the client's FIN
	for c in a b c d e f; do
		hold_open "lc$c" "$lv" 90
	done
	assert_equal "$(for c in a b c d e f; do hold_answer "lc$c" 1; done | sort | uniq -c |
		awk '{ print $1 }' | xargs)" "2 2 2" "held connections per backend"
	for n in 1 2 3; do
		eval "a=\$XLB_BE${n}_4"
		(($(field_on "$vv" "$a" active_flows) > 0)) || fail "be$n: no active flow counted"
	done
	for i in $(seq 6); do
		hold_once "$lv" 90 >/dev/null
	done
	for c in a b c d e f; do
		hold_close "lc$c"
	done
	# closed flows leave the count at once (the balancer sees their FINs)
	t0=$(now_ms)
	while :; do
		sum=0
		for n in 1 2 3; do
			eval "a=\$XLB_BE${n}_4"
			sum=$((sum + $(field_on "$vv" "$a" active_flows)))
		done
		((sum == 0)) && break
		(($(now_ms) - t0 < 10000)) || fail "active_flows still $sum 10 s after the last close"
		sleep 0.2
	done
	took=$(($(now_ms) - t0))
	echo "# lc: active_flows of all backends 0 ${took} ms after the last connection closed" >&3
	lbctl vip del "$vv"
	for n in 1 2 3; do
		ip -n "$(topo_ns "be$n")" addr del "$lv/32" dev lo
	done
}
