#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Policy filtering and rate limiting in XDP through lbd, with real connections
# from two client addresses: deny and allow rules per VIP and global, except
# blocks, per-port rules, defaults, per-source new-flow limits and the VIP
# ceiling, a spoofed SYN flood, atomic batches, 100,000 prefixes, and a restart
# that keeps it all. Drop reasons and rule hits prove what happened.

load lib/assert
load lib/topo
load lib/lbd
load lib/hold

VIP=203.0.113.10
SVC=$VIP:0/tcp # every port: the servers answer HTTP on 80-83, echo lines on 90
C2=192.0.2.2   # the client's own address
C3=192.0.2.3   # a second client: an extra address on the same eth0
CLI=tests/integration/lib/xlb_client.py
FLOOD=tests/integration/lib/xlb_flood.py

# req SRC PORT [T]: one HTTP GET from SRC to VIP:PORT allowed T seconds (default
# 2, SYN retransmissions included); prints the backend's name or "failed"
req() {
	topo_exec client python3 "$XLB_ROOT/$CLI" --src "$1" parallel "$VIP" "$2" 1 "${3:-2}" |
		awk '{ print $1 }'
}

# both PORT: a request from .2 and one from .3 at the same time; prints
# "A B", each "served" or "failed"
both() {
	local d=$BATS_TEST_TMPDIR pid a b
	req "$C2" "$1" >"$d/req2" 3>&- &
	pid=$!
	req "$C3" "$1" >"$d/req3"
	wait "$pid"
	a=$(<"$d/req2") b=$(<"$d/req3")
	[[ $a == be[1-3] ]] && a=served
	[[ $b == be[1-3] ]] && b=served
	echo "$a $b"
}

served() { # SRC PORT
	local out
	out=$(req "$1" "$2")
	[[ $out == be[1-3] ]] || fail "$1 -> $VIP:$2: not served ($out)"
}

# ok_of OUTPUT: connections that succeeded in xlb_client.py parallel's output
ok_of() {
	awk '$1 != "failed" { n += $2 } END { print n + 0 }' <<<"$1"
}

drop_of() { # REASON: the global drop counter
	lbctl -j stats show | jq -r --arg r "$1" '.global.drops[$r] // 0'
}

counter_of() { # NAME: a global counter
	lbctl -j stats show | jq -r --arg c "$1" '.global[$c] // 0'
}

# rules_of SCOPE: the number of rules of SCOPE ("global" or a VIP)
rules_of() {
	if [[ $1 == global ]]; then
		lbctl -j policy show | jq '[.[] | select(.vip == null)] | length'
	else
		lbctl -j policy show vip "$1" |
			jq --arg v "$1" '[.[] | select(.vip == $v)] | length'
	fi
}

# hits_of SCOPE CIDR: hits of the rules of SCOPE on exactly CIDR
hits_of() {
	# shellcheck disable=SC2016 # $v and $c are jq's
	local f='[.[] | select(.vip == $v and .cidr == $c) | .hits] | add // 0'
	if [[ $1 == global ]]; then
		lbctl -j policy show | jq --argjson v null --arg c "$2" "$f"
	else
		lbctl -j policy show vip "$1" | jq --arg v "$1" --arg c "$2" "$f"
	fi
}

# flood CIDR N RATE: N spoofed SYNs to VIP:80 from CIDR; prints the tool's line
flood() {
	topo_exec client python3 "$XLB_ROOT/$FLOOD" "$VIP" 80 "$1" "$2" "$3"
}

setup_file() {
	skip_if_no_bpf || return 0
	skip_if_missing python3 ethtool jq || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	topo_up
	lbd_env_setup
	backends_up 1 2 3
	# The second client address. Backends answer it directly through the lb's
	# stack (DSR replies are routed there), and every neighbour entry of the
	# topology is static (no ARP on the test links), so the lb gets a static
	# entry for .3 too: the client's MAC on the client link.
	topo_addr client eth0 "$C3/24"
	topo_neigh lb "$XLB_LB_IF_CLIENT" "$C3" "$XLB_CLIENT_MAC"
	lbd_start
	topo_ping lb "$C3"
	lbctl vip add "$SVC"
	local n
	for n in 1 2 3; do
		eval "lbctl backend add $SVC \$XLB_BE${n}_4"
	done
	topo_wait_http be1 be2 be3
}

teardown_file() {
	lbd_env_teardown
}

@test "policy: both clients are served with no policy" {
	assert_equal "$(both 80)" "served served" "answers to .2 and .3"
	run -0 lbctl -j policy show
	assert_equal "$(jq -r 'type, length' <<<"$output" | xargs)" "array 0"
	run -0 lbctl -j ratelimit show
	assert_equal "$(jq -r '[.[] | select(.pps + .new_flows + .ceiling > 0)] | length' \
		<<<"$output")" 0 "active rate limits"
}

@test "policy: a VIP deny rule drops one source, the other is served; del lifts it" {
	local d0 h pid t=$BATS_TEST_TMPDIR
	# an established connection from .3: rules apply to every packet, so the
	# deny cuts it too
	topo_exec client python3 "$XLB_ROOT/$CLI" --src "$C3" hold "$VIP" 90 "$t/gate" \
		>"$t/hold3" 2>&1 3>&- &
	pid=$!
	for _ in $(seq 50); do
		[[ -s $t/hold3 ]] && break
		sleep 0.1
	done
	[[ $(<"$t/hold3") == be[1-3] ]] || fail "held connection from .3: $(<"$t/hold3")"
	d0=$(drop_of policy)
	lbctl policy add vip "$SVC" deny "$C3/32"
	touch "$t/gate"
	! wait "$pid" || fail "the held connection from .3 still talks: $(xargs <"$t/hold3")"
	assert_equal "$(both 80)" "served failed" "answers to .2 and .3"
	h=$(hits_of "$SVC" "$C3/32")
	((h > 0)) || fail "hits of the deny rule: $h"
	(($(drop_of policy) > d0)) || fail "drop reason policy did not grow from $d0"
	run -0 lbctl -j policy show vip "$SVC"
	assert_json_eq '.[0] | [.vip, .action, .cidr, (.except | length), .proto, .ports] | @json' \
		"[\"$SVC\",\"deny\",\"$C3/32\",0,null,null]"
	jq -e '.[0].id | type == "number"' <<<"$output" >/dev/null || fail "no id: $output"
	# host bits are accepted and cleared, on add and on del
	lbctl policy add vip "$SVC" deny 100.64.1.77/24
	run -0 lbctl -j policy show vip "$SVC"
	assert_json_eq '[.[].cidr] | join(",")' "$C3/32,100.64.1.0/24"
	lbctl policy del vip "$SVC" 100.64.1.200/24
	lbctl policy del vip "$SVC" "$C3/32"
	assert_equal "$(rules_of "$SVC")" 0 "rules left"
	run -4 lbctl policy del vip "$SVC" "$C3/32"
	assert_equal "$(both 80)" "served served" "answers after del"
}

@test "policy: allow list with an except block under a deny default; a global deny wins" {
	local d p a
	lbctl policy default vip "$SVC" deny
	lbctl policy add vip "$SVC" allow 192.0.2.0/24 except "$C3/32"
	d=$(drop_of policy_default) a=$(counter_of pol_allow)
	assert_equal "$(both 80)" "served failed" "answers to .2 and .3"
	(($(drop_of policy_default) > d)) || fail "drop reason policy_default did not grow from $d"
	(($(counter_of pol_allow) > a)) || fail "pol_allow did not grow from $a"
	(($(hits_of "$SVC" 192.0.2.0/24) > 0)) || fail "the allow rule has no hits"
	run -0 lbctl -j policy show vip "$SVC"
	assert_json_eq '.[0] | [.action, .cidr, (.except | join(","))] | join(" ")' \
		"allow 192.0.2.0/24 $C3/32"
	# a global deny beats the VIP's allow
	p=$(drop_of policy)
	lbctl policy add deny "$C2/32"
	assert_equal "$(both 80)" "failed failed" "answers with a global deny of .2"
	(($(drop_of policy) > p)) || fail "drop reason policy did not grow from $p"
	(($(hits_of global "$C2/32") > 0)) || fail "the global deny has no hits"
	# policy show without vip: every scope, global first
	run -0 lbctl -j policy show
	assert_json_eq '[.[] | .vip // "global"] | join(",")' "global,$SVC"
	lbctl policy flush
	assert_equal "$(rules_of global)" 0 "global rules after flush"
	assert_equal "$(rules_of "$SVC")" 1 "VIP rules after a global flush"
	lbctl policy flush vip "$SVC"
	assert_equal "$(rules_of "$SVC")" 0 "VIP rules after flush vip"
	lbctl policy default vip "$SVC" allow
	assert_equal "$(both 80)" "served served" "answers after the clean-up"
}

@test "policy: the longest prefix decides; same prefix: the rule with ports first" {
	# global scope: deny the /24, allow .2 alone
	lbctl policy add deny 192.0.2.0/24
	lbctl policy add allow "$C2/32"
	assert_equal "$(both 80)" "served failed" "longest prefix: answers to .2 and .3"
	lbctl policy flush
	# .3: a plain deny, then (inserted later) an allow of port 80 on the same /32
	lbctl policy add deny "$C3/32"
	lbctl policy add allow "$C3/32" proto tcp ports 80
	served "$C3" 80
	assert_equal "$(req "$C3" 81)" failed "port 81 from .3"
	run -0 lbctl -j policy show
	assert_json_eq '[.[] | "\(.action):\(.proto):\(.ports)"] | join(" ")' \
		"deny:null:null allow:tcp:80"
	lbctl policy flush
}

@test "policy: a global per-port rule: .3 reaches port 80 but not 81" {
	local d
	d=$(drop_of policy)
	lbctl policy add deny "$C3/32" proto tcp ports 81
	assert_equal "$(both 81)" "served failed" "port 81: answers to .2 and .3"
	served "$C3" 80
	(($(hits_of global "$C3/32") > 0)) || fail "the per-port rule has no hits"
	(($(drop_of policy) > d)) || fail "drop reason policy did not grow from $d"
	run -0 lbctl -j policy show
	assert_json_eq '.[0] | "\(.proto) \(.ports)"' "tcp 81"
	run -4 lbctl policy del "$C3/32" # proto and ports are part of the rule's identity
	lbctl policy del "$C3/32" proto tcp ports 81
	assert_equal "$(rules_of global)" 0 "global rules after del"
	served "$C3" 81
}

@test "policy: an IPv6 source prefix; IPv4 traffic is not affected" {
	local v6="[$XLB_VIP6]:80/tcp" n out d
	lbctl vip add "$v6"
	for n in 1 2 3; do
		eval "lbctl backend add $v6 \$XLB_BE${n}_6"
	done
	out=$(topo_exec client python3 "$XLB_ROOT/$CLI" parallel "$XLB_VIP6" 80 1 2)
	[[ $out == "be"[1-3]" 1" ]] || fail "IPv6 request before the rule: $out"
	d=$(drop_of policy)
	lbctl policy add vip "$v6" deny 2001:db8:1::/64
	run -2 lbctl policy add vip "$SVC" deny 2001:db8:1::/64 # an IPv4 VIP: no IPv6 source
	out=$(topo_exec client python3 "$XLB_ROOT/$CLI" parallel "$XLB_VIP6" 80 1 2)
	assert_equal "$out" "failed 1" "IPv6 request from 2001:db8:1::2"
	served "$C2" 80
	(($(hits_of "$v6" 2001:db8:1::/64) > 0)) || fail "the IPv6 rule has no hits"
	(($(drop_of policy) > d)) || fail "drop reason policy did not grow from $d"
	# deleting the VIP deletes its rules
	lbctl vip del "$v6"
	run -0 lbctl -j policy show
	assert_equal "$(jq length <<<"$output")" 0 "rules left after vip del"
}

@test "ratelimit: new flows per source; another source and an established flow are untouched" {
	local d out ok i n2 d2
	d2=$BATS_TEST_TMPDIR
	hold_open h "$VIP" 90 # from .2, before the limit
	d=$(drop_of rl_new_flow)
	lbctl ratelimit set vip "$SVC" new-flows 2 new-flows-burst 3
	run -0 lbctl -j ratelimit show
	assert_equal "$(jq -r --arg v "$SVC" '.[] | select(.vip == $v) |
		"\(.new_flows) \(.new_flows_burst) \(.pps)"' <<<"$output")" "2 3 0" "ratelimit show"
	# .2 meanwhile: 5 connections, one every ~0.6 s, within its own 2/s
	(
		for i in 1 2 3 4 5; do
			req "$C2" 80
			sleep 0.5
		done
	) >"$d2/paced" 3>&- &
	local pid=$!
	# .3: 10 SYNs at once, each connection given 0.5 s, so that the kernel's
	# SYN retransmission (after 1 s) cannot get a refused one through later.
	# Burst 3: about 3 succeed
	out=$(topo_exec client python3 "$XLB_ROOT/$CLI" --src "$C3" parallel "$VIP" 80 10 0.5)
	ok=$(ok_of "$out")
	wait "$pid"
	echo "# .3: $ok of 10 quick connections got through" >&3
	((ok >= 2 && ok <= 5)) || fail ".3: $ok of 10 connections succeeded: $out"
	d=$(($(drop_of rl_new_flow) - d))
	((d >= 10 - ok)) || fail "rl_new_flow grew by $d for $((10 - ok)) refused connections"
	n2=$(grep -c '^be[1-3]$' "$d2/paced" || true)
	assert_equal "$n2" 5 ".2's paced connections served ($(xargs <"$d2/paced"))"
	hold_close h
	assert_equal "$(hold_answer h 2)" "$(hold_answer h 1)" "held connection across the limit"
	lbctl ratelimit del vip "$SVC"
	run -0 topo_exec client python3 "$XLB_ROOT/$CLI" --src "$C3" parallel "$VIP" 80 10 2
	assert_equal "$(ok_of "$output")" 10 ".3 after ratelimit del: $output"
}

@test "ratelimit: the VIP ceiling limits new flows of every source together" {
	local d out ok
	run -2 lbctl ratelimit set ceiling 5 # a ceiling is per VIP only
	lbctl ratelimit set vip "$SVC" ceiling 2 ceiling-burst 3
	d=$(drop_of rl_ceiling)
	out=$(topo_exec client python3 "$XLB_ROOT/$CLI" parallel "$VIP" 80 10 0.5)
	ok=$(ok_of "$out")
	echo "# ceiling: $ok of 10 quick connections got through" >&3
	((ok >= 2 && ok <= 5)) || fail "$ok of 10 connections succeeded: $out"
	d=$(($(drop_of rl_ceiling) - d))
	((d >= 10 - ok)) || fail "rl_ceiling grew by $d for $((10 - ok)) refused connections"
	lbctl ratelimit del vip "$SVC"
	run -0 lbctl -j ratelimit show
	assert_equal "$(jq --arg v "$SVC" '[.[] | select(.vip == $v)] | length' <<<"$output")" 0
}

@test "ratelimit: a spoofed SYN flood leaves established and new real flows alone" {
	local s0 nb0 rx0 out ns nb rx pid d=$BATS_TEST_TMPDIR
	lbctl ratelimit set vip "$SVC" new-flows 5
	hold_open h "$VIP" 90
	s0=$(counter_of rl_new_source) nb0=$(counter_of rl_no_bucket) rx0=$(counter_of rx)
	flood 10.99.0.0/16 50000 20000 >"$d/flood" 2>&1 3>&- &
	pid=$!
	sleep 1
	served "$C2" 80 # in the middle of the flood
	wait "$pid" || fail "flood failed: $(cat "$d/flood")"
	out=$(<"$d/flood")
	ns=$(($(counter_of rl_new_source) - s0))
	nb=$(($(counter_of rl_no_bucket) - nb0))
	rx=$(($(counter_of rx) - rx0))
	echo "# flood: $out; rl_new_source +$ns, rl_no_bucket +$nb, rx +$rx" >&3
	hold_close h
	assert_equal "$(hold_answer h 2)" "$(hold_answer h 1)" "held connection across the flood"
	served "$C2" 80
	((rx >= 50000)) || fail "the lb saw $rx packets"
	# about 35,000 distinct sources among 50,000 random picks from a /16
	((ns >= 20000)) || fail "only $ns new rate-limit buckets"
	lbctl ratelimit del vip "$SVC"
}

@test "batch: policy lines are all or nothing" {
	local f=$BATS_TEST_TMPDIR/b i
	lbctl policy add deny 100.64.0.0/24 # what the batch's flush would remove
	lbctl policy add vip "$SVC" deny 100.64.1.0/24
	# gen BAD: the batch, with BAD as line 502 if given
	gen() {
		echo "policy flush"
		for ((i = 0; i < 1000; i++)); do
			((i == 500)) && [[ -n $1 ]] && echo "$1"
			echo "policy add vip $SVC deny 10.200.$((i / 256)).$((i % 256))/32"
		done
	}
	# the agent refuses it: an except block outside its CIDR
	gen "policy add vip $SVC deny 10.201.0.0/24 except 10.202.0.0/24" >"$f"
	run lbctl -q batch "$f"
	assert_failure
	assert_output_contains "line 502"
	assert_equal "$(rules_of global) $(rules_of "$SVC")" "1 1" \
		"global and VIP rules after a failed batch"
	# the same with a syntax error
	gen "policy add vip $SVC deny 10.300.0.0/24" >"$f"
	run -2 lbctl -q batch "$f"
	assert_equal "$(rules_of global) $(rules_of "$SVC")" "1 1" "after a batch with a bad word"
	gen "" >"$f"
	run -0 lbctl -q batch "$f"
	assert_equal "$(rules_of global) $(rules_of "$SVC")" "0 1001" "after the good batch"
	lbctl policy flush vip "$SVC"
	assert_equal "$(rules_of "$SVC")" 0
}

# gen_100k: 100,000 disjoint deny prefixes /16-/32 in 10.0.0.0/8 (none nested,
# so every chain has one rule), as policy add lines: 10.0-49.0.0/16-23; 10,000
# /24s of 10.128.0.0/9 each cut into /25 /26 ... /32 /32 (9 prefixes); 9,950
# whole /24s after them
gen_100k() {
	awk 'BEGIN {
		for (i = 0; i < 50; i++)
			printf "policy add deny 10.%d.0.0/%d\n", i, 16 + i % 8
		for (s = 0; s < 10000; s++) {
			a = 128 + int(s / 256); b = s % 256; off = 0
			for (l = 25; l <= 32; l++) {
				printf "policy add deny 10.%d.%d.%d/%d\n", a, b, off, l
				off += 2 ^ (32 - l)
			}
			printf "policy add deny 10.%d.%d.255/32\n", a, b
		}
		for (s = 10000; s < 19950; s++)
			printf "policy add deny 10.%d.%d.0/24\n", 128 + int(s / 256), s % 256
	}'
}

@test "scale: 100,000 prefixes in one batch; lookups stay right" {
	local f=$BATS_TEST_TMPDIR/100k t0 ms d h out
	gen_100k >"$f"
	assert_equal "$(sort -u "$f" | wc -l)" 100000 "distinct lines generated"
	t0=$(date +%s%N)
	run -0 lbctl -q batch "$f"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# 100000 prefixes loaded in $ms ms" >&3
	assert_equal "$(rules_of global)" 100000 "rules after the batch"
	assert_equal "$(both 80)" "served served" "answers with 100,000 prefixes"
	# spoofed SYNs from inside a /16, a /32 and a /24 of the set are dropped
	# and counted on their rules; from outside it, not
	d=$(drop_of policy)
	flood 10.0.0.0/16 100 10000 >/dev/null
	flood 10.128.0.254/32 100 10000 >/dev/null
	flood 10.200.0.0/24 100 10000 >/dev/null
	assert_equal "$(($(drop_of policy) - d))" 300 "drops of 300 SYNs from denied prefixes"
	assert_equal "$(hits_of global 10.128.0.254/32)" 100 "hits of 10.128.0.254/32"
	d=$(drop_of policy)
	flood 10.99.0.0/16 100 10000 >/dev/null
	assert_equal "$(($(drop_of policy) - d))" 0 "policy drops of SYNs from outside the set"
	t0=$(date +%s%N)
	lbctl policy flush
	echo "# flushed in $((($(date +%s%N) - t0) / 1000000)) ms" >&3
	assert_equal "$(rules_of global)" 0 "rules after flush"
}

@test "restart: lbd keeps policy and rate limits, and enforces them" {
	local before pol rl
	lbctl policy default vip "$SVC" deny
	lbctl policy add vip "$SVC" allow 192.0.2.0/24 except "$C3/32" proto tcp ports 80-83,90
	lbctl policy add vip "$SVC" deny "$C3/32"
	lbctl policy add deny 100.64.0.0/10
	lbctl ratelimit set vip "$SVC" pps 1000 burst 2000 new-flows 50 prefix-len 24
	lbctl ratelimit set pps 100000
	before=$(lbctl show)
	[[ $(grep -c '^policy ' <<<"$before") -ge 4 ]] || fail "policy lines missing: $before"
	[[ $(grep -c '^ratelimit ' <<<"$before") -eq 2 ]] || fail "ratelimit lines missing: $before"
	pol=$(lbctl -j policy show | jq -c 'map(del(.hits, .id))')
	rl=$(lbctl -j ratelimit show | jq -c .)
	lbd_stop TERM
	lbd_start
	assert_equal "$(lbctl show)" "$before" "running config after restart"
	assert_equal "$(lbctl -j policy show | jq -c 'map(del(.hits, .id))')" "$pol" \
		"policy show after restart"
	assert_equal "$(lbctl -j ratelimit show | jq -c .)" "$rl" "ratelimit show after restart"
	assert_equal "$(both 80)" "served failed" "answers after restart"
	# the restarted agent changes the policy it restored
	lbctl policy flush
	lbctl policy flush vip "$SVC"
	lbctl policy default vip "$SVC" allow
	lbctl ratelimit del vip "$SVC"
	lbctl ratelimit del
	assert_equal "$(both 80)" "served served" "answers after the clean-up"
	run -0 lbctl show
	refute_output_contains policy
	refute_output_contains ratelimit
}
