# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Network-namespace helpers for the bats tests: per-run names, veth pairs, the full
# scripts/topo.sh topology, and a teardown that removes everything of this run.
# Load with `load lib/topo` at the top of a .bats file (after `load lib/assert`).
#
# Every namespace is named "$XLB_TOPO_PREFIX-<node>", the prefix being xlbt<pid of the
# bats process running the file>: unique among runs in progress, and
# scripts/run-tests.sh deletes the leftovers of runs whose process has died.
# teardown_file() defaults to topo_teardown; bats runs it even when setup_file fails.
# A file with its own teardown_file must call topo_teardown from it.
# XLB_TEST_DEBUG=1 opens a shell in one of the namespaces before they are removed
# (XLB_TEST_DEBUG_NS=<node> picks which; default lb, else the first one).

# exported: setup_file and each test run in different processes and must agree
: "${XLB_TOPO_PREFIX:=xlbt$$}"
export XLB_TOPO_PREFIX
: "${XLB_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
export XLB_ROOT

# topo_ns NODE: the namespace name of NODE
topo_ns() {
	echo "$XLB_TOPO_PREFIX-$1"
}

# topo_exec NODE CMD...: runs CMD inside NODE's namespace
topo_exec() {
	local ns
	ns=$(topo_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# topo_wait_http NODE...: until the test HTTP server of each NODE answers on
# 127.0.0.1:80 (servers are started in the background; 5 s at most each)
topo_wait_http() {
	local node _
	for node in "$@"; do
		for _ in $(seq 50); do
			topo_exec "$node" python3 "$XLB_ROOT/tests/integration/lib/xlb_client.py" http \
				127.0.0.1 80 >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
}

# topo_list: our namespaces that exist now, one per line
topo_list() {
	ip netns list 2>/dev/null | awk -v p="$XLB_TOPO_PREFIX-" 'index($1, p) == 1 { print $1 }'
}

# topo_ns_add NODE...: new namespaces with lo up and no IPv6 DAD delay
topo_ns_add() {
	local node ns
	for node in "$@"; do
		ns=$(topo_ns "$node")
		ip netns add "$ns" || return 1
		ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 >/dev/null || return 1
		ip -n "$ns" link set lo up || return 1
	done
}

# topo_link NODE_A IF_A NODE_B IF_B: a veth pair made directly inside the two
# namespaces, tx checksum offload off on both ends (XDP sees real checksums), both up.
# A veth end receiving XDP_TX/XDP_REDIRECT frames needs an XDP program on its peer.
topo_link() {
	local a b
	a=$(topo_ns "$1")
	b=$(topo_ns "$3")
	ip -n "$a" link add "$2" type veth peer name "$4" netns "$b" || return 1
	ip netns exec "$a" ethtool -K "$2" tx off >/dev/null || return 1
	ip netns exec "$b" ethtool -K "$4" tx off >/dev/null || return 1
	ip -n "$a" link set "$2" up && ip -n "$b" link set "$4" up
}

# topo_addr NODE IF ADDR/LEN...: adds addresses (IPv6 without DAD)
topo_addr() {
	local ns dev=$2 addr
	ns=$(topo_ns "$1")
	shift 2
	for addr in "$@"; do
		if [[ $addr == *:* ]]; then
			ip -n "$ns" addr add "$addr" dev "$dev" nodad || return 1
		else
			ip -n "$ns" addr add "$addr" dev "$dev" || return 1
		fi
	done
}

# topo_mac NODE IF: the MAC address of IF
topo_mac() {
	ip -n "$(topo_ns "$1")" -br link show dev "$2" | awk '{ print $3 }'
}

# topo_neigh NODE IF ADDR MAC: a static (permanent) neighbour entry
topo_neigh() {
	ip -n "$(topo_ns "$1")" neigh replace "$3" lladdr "$4" dev "$2" nud permanent
}

# topo_ping NODE ADDR: one echo request from NODE, answered within 2 s
topo_ping() {
	local out
	out=$(topo_exec "$1" ping -c 1 -W 2 "$2" 2>&1) || fail "ping $2 from $1 failed:" "$out"
}

# topo_up: the full client/lb/be1..3 topology of scripts/topo.sh under our prefix; its
# names, addresses, MACs and ifindexes are exported as XLB_* (see `topo.sh env`).
topo_up() {
	"$XLB_ROOT/scripts/topo.sh" up "$XLB_TOPO_PREFIX" || return 1
	local env
	env=$("$XLB_ROOT/scripts/topo.sh" env "$XLB_TOPO_PREFIX") || return 1
	set -a
	eval "$env"
	set +a
}

# topo_debug_shell: with XLB_TEST_DEBUG=1 and a terminal, a shell inside the topology
topo_debug_shell() {
	[[ ${XLB_TEST_DEBUG:-0} == 1 ]] || return 0
	local ns
	ns=$(topo_list | grep -m1 -xF "$(topo_ns "${XLB_TEST_DEBUG_NS:-lb}")" || topo_list | head -n 1)
	[[ -n $ns ]] || return 0
	if ! { : </dev/tty; } 2>/dev/null; then
		echo "# XLB_TEST_DEBUG: no terminal for a shell in $ns" >&3
		return 0
	fi
	echo "# XLB_TEST_DEBUG: shell in $ns; exit it to tear down" >&3
	ip netns exec "$ns" bash -i </dev/tty >/dev/tty 2>&1 || true
}

# topo_teardown: stops whatever runs in our namespaces and deletes them; safe to call
# any number of times, from teardown_file or a test. Fails only if something is left.
# (bats runs this with errexit: every step that may fail is guarded.)
topo_teardown() {
	local ns pids
	topo_debug_shell
	for ns in $(topo_list); do
		pids=$(ip netns pids "$ns" 2>/dev/null) || true
		if [[ -n $pids ]]; then
			# shellcheck disable=SC2086 # one pid per word
			kill -TERM $pids 2>/dev/null || true
			sleep 0.2
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
	local left
	left=$(topo_list)
	[[ -z $left ]] || fail "namespaces left after teardown:" "$left"
}

teardown_file() {
	topo_teardown
}
