#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Network-namespace topology for the demo, benchmarks and integration tests:
# a client, a load balancer and three backends joined by veth pairs.
#
# Usage: topo.sh up PREFIX      create PREFIX-{client,lb,be1,be2,be3} (root)
#        topo.sh down PREFIX    remove them (safe to repeat, safe after a failed up)
#        topo.sh env PREFIX     print the names, addresses, MACs and ifindexes below as
#                               shell assignments: eval "$(scripts/topo.sh env PREFIX)"
# PREFIX must be unique per run (e.g. "xlbdemo$$") so parallel runs never share a name.
# Only namespaces are created: every link lives inside them, so `down` is just deleting
# the five namespaces (processes still running inside them are killed first).
#
#   PREFIX-client                PREFIX-lb                         PREFIX-beN (N = 1..3)
#   eth0 ---------------------- to-client        to-beN -------------------------- eth0
#   192.0.2.2/24                 192.0.2.1/24     198.51.100.1/32   198.51.100.1N/24
#   2001:db8:1::2/64             2001:db8:1::1/64 2001:db8:2::1/128 2001:db8:2::1N/64
#   02:00:00:00:00:02            02:00:00:00:00:01 02:00:00:00:0N:01 02:00:00:00:0N:02
#
# - Client: routes the VIP ranges 203.0.113.0/24 and 2001:db8:100::/64 (VIP
#   203.0.113.10 / 2001:db8:100::10) and the backend range via the lb (192.0.2.1,
#   2001:db8:1::1).
# - lb: one veth per backend, so XDP_REDIRECT can target a backend by ifindex and a route
#   lookup for a backend address names that link. The lb side of every backend link has
#   the same gateway address (198.51.100.1/32, 2001:db8:2::1/128) plus a host route to
#   its backend. Forwarding is on and rp_filter off, so without XDP the lb is a router
#   and direct-server-return replies from the backends reach the client.
# - Backends: default route via 198.51.100.1 / 2001:db8:2::1. They talk to the lb and,
#   through it, to the client; backend-to-backend traffic is not supported.
# - Every neighbour entry a node needs is static (nud permanent), IPv6 addresses skip
#   DAD, and tx checksum offload is off on every veth (`ethtool -K DEV tx off`): XDP
#   sees and forwards the checksum the sender really wrote.
# - No VIP is configured on the backends and no program is attached: callers do that.
#   veth caveat: an XDP_TX or XDP_REDIRECT frame sent into a veth is dropped unless the
#   veth *peer* (the receiving end) has an XDP program attached (an XDP_PASS program or
#   xlb_decap is enough). XDP on lb:to-client doing XDP_TX needs one on client:eth0;
#   redirects into lb:to-beN need one on beN:eth0.
# - XLB_TOPO_BACKEND_MTU (default 1500) sets the MTU of the lb<->backend links, e.g.
#   1540 to let full-size client packets through IPIP/GUE encapsulation.
# - XLB_TOPO_ROUTER=1 (at `up`) puts a router PREFIX-rtr in front of the lb, as at an
#   edge: the router takes the client's place on the lb link (same addresses and MAC,
#   so the lb side is unchanged) and the client moves behind it:
#     PREFIX-client eth0 203.0.113.130/25 2001:db8:3::2/64 --- PREFIX-rtr to-client
#     203.0.113.129/25 2001:db8:3::1/64; PREFIX-rtr eth1 192.0.2.2 2001:db8:1::2 --- lb.
#   The client's default route is the router; the router routes VIPs and backends to
#   the lb; the lb routes the client's net back through the router.
set -euo pipefail

NODES=(client lb be1 be2 be3 rtr) # rtr exists only with XLB_TOPO_ROUTER=1
BACKENDS=(1 2 3)

VIP4=203.0.113.10
VIP6=2001:db8:100::10
VIP4_NET=203.0.113.0/24
VIP6_NET=2001:db8:100::/64
CLIENT4=192.0.2.2
CLIENT6=2001:db8:1::2
LB_FRONT4=192.0.2.1
LB_FRONT6=2001:db8:1::1
LB_BACK4=198.51.100.1
LB_BACK6=2001:db8:2::1
BACK4_NET=198.51.100.0/24
BACK6_NET=2001:db8:2::/64
MAC_CLIENT=02:00:00:00:00:02
MAC_LB_CLIENT=02:00:00:00:00:01
# router mode: the client behind the router
RCLIENT4=203.0.113.130
RCLIENT6=2001:db8:3::2
RTR4=203.0.113.129
RTR6=2001:db8:3::1
RCLIENT4_NET=203.0.113.128/25
RCLIENT6_NET=2001:db8:3::/64
MAC_RCLIENT=02:00:00:00:00:04
MAC_RTR=02:00:00:00:00:03
be4() { echo "198.51.100.1$1"; }
be6() { echo "2001:db8:2::1$1"; }
mac_lb_be() { echo "02:00:00:00:0$1:01"; }
mac_be() { echo "02:00:00:00:0$1:02"; }

die() {
	echo "topo: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 { up | down | env } PREFIX" >&2
	exit 2
}

ns_exists() { [[ -e /run/netns/$1 ]] || ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qxF -- "$1"; }
nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
sysctl_ns() { nsx "$1" sysctl -q -w "$2" >/dev/null; }

# veth NS_A IF_A MAC_A NS_B IF_B MAC_B [MTU]: creates the pair straight inside the two
# namespaces (no name ever appears in the caller's namespace), checksum offload off, up.
veth() {
	local mtu=${7:-1500}
	ip -n "$1" link add "$2" address "$3" mtu "$mtu" type veth \
		peer name "$5" address "$6" mtu "$mtu" netns "$4"
	nsx "$1" ethtool -K "$2" tx off >/dev/null
	nsx "$4" ethtool -K "$5" tx off >/dev/null
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

neigh() { ip -n "$1" neigh replace "$2" lladdr "$3" dev "$4" nud permanent; }

topo_down() {
	local node ns pids
	for node in "${NODES[@]}"; do
		ns=$PREFIX-$node
		ns_exists "$ns" || continue
		# a namespace lives on while processes use it: stop what runs inside first
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [[ -n $pids ]]; then
			# shellcheck disable=SC2086 # one pid per word
			kill -TERM $pids 2>/dev/null || true
			sleep 0.2
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" || die "$ns: cannot delete namespace"
	done
}

topo_up() {
	local node ns n mtu=${XLB_TOPO_BACKEND_MTU:-1500}
	local C=$PREFIX-client L=$PREFIX-lb

	[[ $mtu =~ ^[0-9]+$ ]] || die "XLB_TOPO_BACKEND_MTU '$mtu' is not a number"
	for node in "${NODES[@]}"; do
		ns_exists "$PREFIX-$node" &&
			die "namespace $PREFIX-$node already exists: pick another prefix or run '$0 down $PREFIX'"
	done
	# from here on a failure (set -e) removes whatever was made
	trap 'up_failed' EXIT

	local -a nodes=(client lb be1 be2 be3)
	[[ ${XLB_TOPO_ROUTER:-0} == 1 ]] && nodes+=(rtr)
	for node in "${nodes[@]}"; do
		ns=$PREFIX-$node
		ip netns add "$ns"
		# before any link exists, so link-local addresses skip DAD too
		sysctl_ns "$ns" net.ipv6.conf.all.accept_dad=0
		sysctl_ns "$ns" net.ipv6.conf.default.accept_dad=0
		sysctl_ns "$ns" net.ipv6.conf.all.accept_ra=0
		sysctl_ns "$ns" net.ipv6.conf.default.accept_ra=0
		ip -n "$ns" link set lo up
	done

	# lb routes between its links; DSR and asymmetric replies must pass rp_filter
	sysctl_ns "$L" net.ipv4.ip_forward=1
	sysctl_ns "$L" net.ipv6.conf.all.forwarding=1
	sysctl_ns "$L" net.ipv4.conf.all.rp_filter=0
	sysctl_ns "$L" net.ipv4.conf.default.rp_filter=0

	# client (or, in router mode, the router's eth1) <-> lb
	local F=$C fdev=eth0
	if [[ ${XLB_TOPO_ROUTER:-0} == 1 ]]; then
		F=$PREFIX-rtr fdev=eth1
	fi
	veth "$F" "$fdev" "$MAC_CLIENT" "$L" to-client "$MAC_LB_CLIENT"
	ip -n "$F" addr add "$CLIENT4/24" dev "$fdev"
	ip -n "$F" addr add "$CLIENT6/64" dev "$fdev" nodad
	ip -n "$L" addr add "$LB_FRONT4/24" dev to-client
	ip -n "$L" addr add "$LB_FRONT6/64" dev to-client nodad
	neigh "$F" "$LB_FRONT4" "$MAC_LB_CLIENT" "$fdev"
	neigh "$F" "$LB_FRONT6" "$MAC_LB_CLIENT" "$fdev"
	neigh "$L" "$CLIENT4" "$MAC_CLIENT" to-client
	neigh "$L" "$CLIENT6" "$MAC_CLIENT" to-client
	ip -n "$F" route add "$VIP4_NET" via "$LB_FRONT4" dev "$fdev"
	ip -n "$F" -6 route add "$VIP6_NET" via "$LB_FRONT6" dev "$fdev"
	ip -n "$F" route add "$BACK4_NET" via "$LB_FRONT4" dev "$fdev"
	ip -n "$F" -6 route add "$BACK6_NET" via "$LB_FRONT6" dev "$fdev"

	if [[ ${XLB_TOPO_ROUTER:-0} == 1 ]]; then
		# client <-> router; the router forwards, the lb routes the client net back
		sysctl_ns "$F" net.ipv4.ip_forward=1
		sysctl_ns "$F" net.ipv6.conf.all.forwarding=1
		veth "$C" eth0 "$MAC_RCLIENT" "$F" to-client "$MAC_RTR"
		ip -n "$C" addr add "$RCLIENT4/25" dev eth0
		ip -n "$C" addr add "$RCLIENT6/64" dev eth0 nodad
		ip -n "$F" addr add "$RTR4/25" dev to-client
		ip -n "$F" addr add "$RTR6/64" dev to-client nodad
		neigh "$C" "$RTR4" "$MAC_RTR" eth0
		neigh "$C" "$RTR6" "$MAC_RTR" eth0
		neigh "$F" "$RCLIENT4" "$MAC_RCLIENT" to-client
		neigh "$F" "$RCLIENT6" "$MAC_RCLIENT" to-client
		ip -n "$C" route add default via "$RTR4" dev eth0
		ip -n "$C" -6 route add default via "$RTR6" dev eth0
		ip -n "$L" route add "$RCLIENT4_NET" via "$CLIENT4" dev to-client
		ip -n "$L" -6 route add "$RCLIENT6_NET" via "$CLIENT6" dev to-client
	fi

	# lb <-> each backend
	for n in "${BACKENDS[@]}"; do
		ns=$PREFIX-be$n
		veth "$L" "to-be$n" "$(mac_lb_be "$n")" "$ns" eth0 "$(mac_be "$n")" "$mtu"
		# a backend decapsulating in the stack (tunl0/ip6tnl0) fails strict rp_filter
		sysctl_ns "$ns" net.ipv4.conf.all.rp_filter=0
		sysctl_ns "$ns" net.ipv4.conf.default.rp_filter=0
		ip -n "$L" addr add "$LB_BACK4/32" dev "to-be$n"
		ip -n "$L" addr add "$LB_BACK6/128" dev "to-be$n" nodad
		ip -n "$L" route add "$(be4 "$n")/32" dev "to-be$n" src "$LB_BACK4"
		ip -n "$L" -6 route add "$(be6 "$n")/128" dev "to-be$n" src "$LB_BACK6"
		neigh "$L" "$(be4 "$n")" "$(mac_be "$n")" "to-be$n"
		neigh "$L" "$(be6 "$n")" "$(mac_be "$n")" "to-be$n"

		ip -n "$ns" addr add "$(be4 "$n")/24" dev eth0
		ip -n "$ns" addr add "$(be6 "$n")/64" dev eth0 nodad
		neigh "$ns" "$LB_BACK4" "$(mac_lb_be "$n")" eth0
		neigh "$ns" "$LB_BACK6" "$(mac_lb_be "$n")" eth0
		ip -n "$ns" route add default via "$LB_BACK4" dev eth0
		ip -n "$ns" -6 route add default via "$LB_BACK6" dev eth0
	done
	trap - EXIT
}

up_failed() {
	echo "topo: up $PREFIX failed, removing what it made" >&2
	topo_down
	exit 1
}

ifindex() { ip -n "$1" -o link show dev "$2" | cut -d: -f1; }

topo_env() {
	local n L=$PREFIX-lb
	local c4=$CLIENT4 c6=$CLIENT6 cmac=$MAC_CLIENT
	for node in "${NODES[@]}"; do
		[[ $node == rtr ]] && continue
		ns_exists "$PREFIX-$node" || die "namespace $PREFIX-$node does not exist (run '$0 up $PREFIX')"
	done
	if ns_exists "$PREFIX-rtr"; then
		c4=$RCLIENT4 c6=$RCLIENT6 cmac=$MAC_RCLIENT
		echo "XLB_NS_RTR=$PREFIX-rtr"
	fi
	cat <<-EOF
		XLB_NS_CLIENT=$PREFIX-client
		XLB_NS_LB=$L
		XLB_VIP4=$VIP4
		XLB_VIP6=$VIP6
		XLB_CLIENT4=$c4
		XLB_CLIENT6=$c6
		XLB_CLIENT_MAC=$cmac
		XLB_CLIENT_IFINDEX=$(ifindex "$PREFIX-client" eth0)
		XLB_LB_FRONT4=$LB_FRONT4
		XLB_LB_FRONT6=$LB_FRONT6
		XLB_LB_BACK4=$LB_BACK4
		XLB_LB_BACK6=$LB_BACK6
		XLB_LB_IF_CLIENT=to-client
		XLB_LB_MAC_CLIENT=$MAC_LB_CLIENT
		XLB_LB_IFINDEX_CLIENT=$(ifindex "$L" to-client)
	EOF
	for n in "${BACKENDS[@]}"; do
		cat <<-EOF
			XLB_NS_BE$n=$PREFIX-be$n
			XLB_BE${n}_4=$(be4 "$n")
			XLB_BE${n}_6=$(be6 "$n")
			XLB_BE${n}_MAC=$(mac_be "$n")
			XLB_BE${n}_IFINDEX=$(ifindex "$PREFIX-be$n" eth0)
			XLB_LB_IF_BE$n=to-be$n
			XLB_LB_MAC_BE$n=$(mac_lb_be "$n")
			XLB_LB_IFINDEX_BE$n=$(ifindex "$L" "to-be$n")
		EOF
	done
}

[[ $# -eq 2 ]] || usage
CMD=$1
PREFIX=$2
# netns names are file names under /run/netns; keep them short and shell-safe
[[ $PREFIX =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$ ]] ||
	die "invalid prefix '$PREFIX': use 1-40 letters, digits, '.', '_' or '-'"

case $CMD in
up | down) [[ $(id -u) -eq 0 ]] || die "'$CMD' needs root (network namespaces)" ;;
env) ;;
*) usage ;;
esac
case $CMD in
up) topo_up ;;
down) topo_down ;;
env) topo_env ;;
esac
