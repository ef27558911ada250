#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The VM test tier (`make test-vm`): xlb on a real NIC driver (virtio_net) and a stock
# Debian kernel, in three QEMU VMs that boot the image of tests/vm/image.sh.
#
#   VM client (client + router)      VM lb                          VM be (two backends)
#   netns client eth0 203.0.113.130/25                              root ns = be1:
#     | veth                                                         eth0 198.51.100.11/24
#   to-client 203.0.113.129/25       to-be1 198.51.100.1/32 ------- (02:00:00:00:01:02)
#   eth1 192.0.2.2/24 ------------- to-client 192.0.2.1/24          netns be2:
#   (02:00:00:00:00:02)              (02:00:00:00:00:01)             eth0 198.51.100.12/24
#                                    to-be2 198.51.100.1/32 ------- (02:00:00:00:02:02)
#
# Names, addresses and MACs are those of scripts/topo.sh with XLB_TOPO_ROUTER=1. Each
# line is a pair of virtio_net NICs joined by QEMU's `-netdev dgram` over unix sockets
# in the run directory: no host interface, address or bridge is involved. The lb runs
# lbd with xlb_xdp in native mode on its three virtio NICs (a virtio_net device sends
# XDP_REDIRECT frames only while it has an XDP program itself); the backends have
# xlb_decap in native mode on theirs, the VIP 203.0.113.10 on lo and the test HTTP
# server (tests/integration/lib/xlb_server.py). The client sends real HTTP requests
# (tests/integration/lib/xlb_client.py) to the VIPs (IPv4 and IPv6; the topology has
# topo.sh's IPv6 addresses too): with ipip, gue and l2 (DSR) encapsulation, while a backend's server is stopped (HTTP checks take it out), and
# with a policy rule denying the client.
#
# VMs boot with init=/usr/local/sbin/xlb-vm-init (no systemd) and a read-only share disk
# holding build/lbd, build/lbctl and tests/vm/guest/; tests/vm/vmctl.py runs commands in
# them over a virtio-serial port. The VMs' disks are snapshots (nothing is written to the
# image), and an EXIT trap kills every QEMU and removes the run directory.
#
# Usage: tests/vm/run.sh           (root; `make test-vm` builds first)
#   XLB_VM_KERNEL=stable|backports  the image's kernel (see tests/vm/image.sh); several
#                                   ("stable backports", or all) run one after the other,
#                                   with one summary line
#   XLB_VM_ACCEL=kvm|tcg            QEMU's accelerator (default: kvm if it boots the image's
#                                   kernel, else software emulation, tcg)
#   XLB_VM_MEM=MiB                  memory per VM (default 640)
#   XLB_VM_IMAGE=DIR                use this image directory (from image.sh) as it is
#   XLB_VM_TIMEOUT=SECONDS          end the run (as a failure) after this long (1500)
#   XLB_VM_KEEP=1                   keep the run directory (consoles, logs) after the run
#   V=1                             print every command sent to a VM and its output
# Output: TAP lines, "# phase ...: N s" timings, and last "N passed, N failed, N skipped";
# the exit status is non-zero if anything failed.
# shellcheck disable=SC2016 # single-quoted commands are sent to a VM and expand there
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$HERE/lib.sh"

KERNEL=${XLB_VM_KERNEL:-stable}
MEM=${XLB_VM_MEM:-640}
BUILD=${BUILD:-$ROOT/build}
BOOT_TIMEOUT=${XLB_VM_BOOT_TIMEOUT:-300}

VIP4=203.0.113.10
VIP6=2001:db8:100::10
VIP=$VIP4
SVC=$VIP:80/tcp
CLIENT=203.0.113.130
BE1=198.51.100.11
BE2=198.51.100.12
BE1_6=2001:db8:2::11
BE2_6=2001:db8:2::12
VMS=(client lb be)

# --- TAP ------------------------------------------------------------------------------
n_test=0 n_pass=0 n_fail=0 n_skip=0
ok() {
	n_test=$((n_test + 1)) n_pass=$((n_pass + 1))
	echo "ok $n_test - $1"
}
not_ok() {
	n_test=$((n_test + 1)) n_fail=$((n_fail + 1))
	echo "not ok $n_test - $1"
	shift
	[[ $# -gt 0 ]] && printf '%s\n' "$@" | sed 's/^/#   /'
	return 0
}
skip() {
	n_test=$((n_test + 1)) n_skip=$((n_skip + 1))
	echo "ok $n_test - $1 # SKIP $2"
}
note() { echo "# $*"; }

phase_t=0 phase_name=""
phase() {
	[[ -n $phase_name ]] && note "phase $phase_name: $(secs "$phase_t") s"
	phase_name=$1
	phase_t=$(now_ms)
}

# shellcheck disable=SC2317 # summary and teardown run from the EXIT trap
summary() {
	echo "1..$n_test"
	echo "$n_pass passed, $n_fail failed, $n_skip skipped"
}

# --- VMs ------------------------------------------------------------------------------
RUN=""
WATCHDOG=""
declare -A QPID=()

# shellcheck disable=SC2317
teardown() {
	local rc=$? vm
	trap - EXIT INT TERM
	exec >&7 2>&8
	[[ -n $WATCHDOG ]] && kill "$WATCHDOG" 2>/dev/null
	phase teardown
	for vm in "${!QPID[@]}"; do
		kill "${QPID[$vm]}" 2>/dev/null
	done
	for vm in "${!QPID[@]}"; do
		for _ in $(seq 50); do
			kill -0 "${QPID[$vm]}" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "${QPID[$vm]}" 2>/dev/null
	done
	if [[ -n $RUN && -d $RUN ]]; then
		if [[ ${XLB_VM_KEEP:-0} == 1 ]]; then
			note "run directory kept: $RUN"
		else
			rm -rf "$RUN"
		fi
	fi
	note "phase teardown: $(secs "$phase_t") s"
	note "total: $(secs "$T0") s"
	summary
	((n_fail == 0)) || exit 1
	exit "$rc"
}

# vm NAME [-t SECONDS] CMD...: runs CMD (joined with spaces, as shell text) in VM NAME;
# prints its output and returns its status. vmctl runs in the background and is waited
# for with `wait`, which a signal interrupts: called outside $(...), as the long waits
# (boot, lbd) are, a TERM tears the run down at once instead of after the command.
vm() {
	local name=$1 t=60
	shift
	if [[ $1 == -t ]]; then
		t=$2
		shift 2
	fi
	local outf=$RUN/.vm.$BASHPID.out rc
	XLB_VMCTL_PID=${QPID[$name]:-} python3 "$HERE/vmctl.py" "$RUN/$name.ctl" "$t" "$*" \
		>"$outf" 2>&1 &
	wait $!
	rc=$?
	if [[ ${V:-0} == 1 ]]; then
		printf '# [%s rc=%d] %s\n' "$name" "$rc" "$*" >&2
		sed 's/^/#   | /' "$outf" >&2
	fi
	cat "$outf"
	rm -f "$outf"
	return "$rc"
}

# console_tail NAME: the last lines of a VM's serial console, for failure reports
console_tail() {
	tail -n "${2:-15}" "$RUN/$1.console" 2>/dev/null | tr -d '\r'
}

# qemu_start NAME NIC... where NIC is MAC=LOCAL:REMOTE (socket names in $RUN)
qemu_start() {
	local name=$1 i=0 nic mac ends
	shift
	local -a args=(
		-name "xlb-$name" -machine q35 -accel "$ACCEL" -cpu "$CPU" -smp 1 -m "$MEM"
		-nodefaults -no-user-config -display none -no-reboot
		-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img"
		-append "root=/dev/vda rw console=ttyS0,115200 init=/usr/local/sbin/xlb-vm-init net.ifnames=0 xlb.role=$name quiet"
		-drive "file=$IMG/disk.qcow2,if=virtio,format=qcow2,snapshot=on"
		-drive "file=$RUN/share.img,if=virtio,format=raw,readonly=on"
		-serial "file:$RUN/$name.console" -pidfile "$RUN/$name.pid"
		-device virtio-serial-pci
		-chardev "socket,id=ctl,path=$RUN/$name.ctl,server=on,wait=off"
		-device "virtserialport,chardev=ctl,name=xlb.ctl"
	)
	for nic in "$@"; do
		mac=${nic%%=*} ends=${nic#*=}
		args+=(-netdev "dgram,id=n$i,local.type=unix,local.path=$RUN/${ends%%:*},remote.type=unix,remote.path=$RUN/${ends#*:}"
			-device "virtio-net-pci,netdev=n$i,mac=$mac")
		i=$((i + 1))
	done
	# killed with this script even if it is killed itself (SIGKILL skips the trap)
	setpriv --pdeathsig KILL qemu-system-x86_64 "${args[@]}" </dev/null >"$RUN/$name.qemu.log" 2>&1 &
	QPID[$name]=$!
}

# ---------------------------------------------------------------------------------------
# Several kernels (XLB_VM_KERNEL="stable backports", or all): one run each, one summary
if [[ $KERNEL == all || $KERNEL == *" "* ]]; then
	[[ $KERNEL == all ]] && KERNEL="stable backports"
	sumf=$(mktemp "${TMPDIR:-/tmp}/xlb-vm-sum.XXXXXX")
	tp=0 tf=0 ts=0 rc=0
	for k in $KERNEL; do
		echo "# kernel flavour $k"
		: >"$sumf"
		XLB_VM_KERNEL=$k bash "${BASH_SOURCE[0]}" | while IFS= read -r line; do
			if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
				echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}" >"$sumf"
			else
				printf '%s\n' "$line"
			fi
		done
		((PIPESTATUS[0] == 0)) || rc=1
		read -r p f s <"$sumf" || { p=0 f=1 s=0; }
		tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	done
	rm -f "$sumf"
	((tf == 0)) || rc=1
	echo "$tp passed, $tf failed, $ts skipped"
	exit "$rc"
fi

T0=$(now_ms)
[[ $(id -u) -eq 0 ]] || {
	echo "ok 1 - VM tier # SKIP needs root (image build, QEMU)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}
# the traps may fire while a command's output is redirected: they print to these
exec 7>&1 8>&2
trap teardown EXIT
trap 'exec >&7 2>&8; not_ok "the run ends by itself (interrupted, or over XLB_VM_TIMEOUT)"; exit 130' INT TERM
RUN=$(mktemp -d /tmp/xlbvm.XXXXXX) # short: unix socket paths are limited to 107 bytes
# A watchdog: whatever hangs, the run ends (as a failure, torn down) after
# XLB_VM_TIMEOUT seconds. It stops the VMs first: the trap runs once the command in
# progress returns. If this script is killed outright (SIGKILL: no trap), its QEMUs die
# with it (--pdeathsig) and the watchdog removes the run directory.
LIMIT=${XLB_VM_TIMEOUT:-1500}
(
	end=$((SECONDS + LIMIT))
	while ((SECONDS < end)); do
		sleep 2
		if ! kill -0 $$ 2>/dev/null; then
			rm -rf "$RUN"
			exit 0
		fi
	done
	echo "# vm: the run took longer than $LIMIT s; stopping it"
	for f in "$RUN"/*.pid; do
		[[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null
	done
	kill -TERM $$
) </dev/null &
WATCHDOG=$!

phase image
need_pkgs qemu-system-x86 qemu-utils python3 jq
IMG=${XLB_VM_IMAGE:-}
[[ -n $IMG ]] || IMG=$(bash "$HERE/image.sh") || {
	not_ok "image: Debian 12 image ($KERNEL kernel) built"
	exit 1
}
KVER=$(cat "$IMG/kernel-release")
note "image: $IMG (kernel $KVER)"
ACCEL=${XLB_VM_ACCEL:-auto} CPU=max
if [[ $ACCEL == auto ]]; then
	ACCEL=tcg
	kvm_works "$IMG/vmlinuz" && ACCEL=kvm
fi
[[ $ACCEL == kvm ]] && CPU=host
note "accelerator: $ACCEL"

phase share
for f in lbd lbctl; do
	[[ -x $BUILD/$f ]] || {
		not_ok "share: $BUILD/$f is built (make all)"
		exit 1
	}
done
mkdir -p "$RUN/share/bin" "$RUN/share/guest" "$RUN/share/lib"
cp "$BUILD/lbd" "$BUILD/lbctl" "$RUN/share/bin/"
cp -r "$HERE/guest/." "$RUN/share/guest/"
cp "$HERE"/guest/bin/* "$RUN/share/bin/"
cp "$ROOT"/tests/integration/lib/xlb_server.py "$ROOT"/tests/integration/lib/xlb_client.py \
	"$RUN/share/lib/"
mkfs.ext4 -q -F -O ^has_journal -L xlbshare -d "$RUN/share" "$RUN/share.img" 64M >/dev/null ||
	die "mkfs.ext4 of the share failed"

phase boot
# one socket per NIC end: the two ends of a line name each other
qemu_start client 02:00:00:00:00:02=c0:l0
qemu_start lb 02:00:00:00:00:01=l0:c0 02:00:00:00:01:01=l1:b0 02:00:00:00:02:01=l2:b1
qemu_start be 02:00:00:00:01:02=b0:l1 02:00:00:00:02:02=b1:l2
boot_fail=0
for name in "${VMS[@]}"; do
	if ! vm "$name" -t "$BOOT_TIMEOUT" 'uname -r' >"$RUN/boot.out"; then
		boot_fail=1
		not_ok "boot: VM $name answers" "$(cat "$RUN/boot.out")" "console:" \
			"$(console_tail "$name")" "qemu: $(cat "$RUN/$name.qemu.log")"
	fi
done
((boot_fail)) && exit 1
ok "boot: VMs client, lb, be answer (kernel $KVER, $(secs "$phase_t") s)"

phase topology
# scripts/topo.sh's router layout, on real NICs (static neighbours, no DAD, no ARP waits)
# shellcheck disable=SC2034 # SETUP_* are read as ${!var}
read -r -d '' SETUP_CLIENT <<'SH'
set -e
nic 02:00:00:00:00:02 eth1
sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
ip addr add 192.0.2.2/24 dev eth1
ip neigh replace 192.0.2.1 lladdr 02:00:00:00:00:01 dev eth1 nud permanent
ip netns add client
ip -n client link set lo up
ip link add to-client address 02:00:00:00:00:03 type veth peer name eth0 address 02:00:00:00:00:04 netns client
ethtool -K to-client tx off >/dev/null
ip netns exec client ethtool -K eth0 tx off >/dev/null
ip link set to-client up
ip -n client link set eth0 up
ip addr add 203.0.113.129/25 dev to-client
ip -n client addr add 203.0.113.130/25 dev eth0
ip -n client neigh replace 203.0.113.129 lladdr 02:00:00:00:00:03 dev eth0 nud permanent
ip neigh replace 203.0.113.130 lladdr 02:00:00:00:00:04 dev to-client nud permanent
ip -n client route add default via 203.0.113.129
ip route add 203.0.113.0/24 via 192.0.2.1 dev eth1
ip route add 198.51.100.0/24 via 192.0.2.1 dev eth1
# IPv6: the same with 2001:db8:1::/64 (router-lb), 2001:db8:3::/64 (client-router)
sysctl -qw net.ipv6.conf.all.forwarding=1
ip addr add 2001:db8:1::2/64 dev eth1 nodad
ip neigh replace 2001:db8:1::1 lladdr 02:00:00:00:00:01 dev eth1 nud permanent
ip addr add 2001:db8:3::1/64 dev to-client nodad
ip -n client addr add 2001:db8:3::2/64 dev eth0 nodad
ip -n client neigh replace 2001:db8:3::1 lladdr 02:00:00:00:00:03 dev eth0 nud permanent
ip neigh replace 2001:db8:3::2 lladdr 02:00:00:00:00:04 dev to-client nud permanent
ip -n client -6 route add default via 2001:db8:3::1
ip -6 route add 2001:db8:100::/64 via 2001:db8:1::1 dev eth1
ip -6 route add 2001:db8:2::/64 via 2001:db8:1::1 dev eth1
SH
# shellcheck disable=SC2034
read -r -d '' SETUP_LB <<'SH'
set -e
nic 02:00:00:00:00:01 to-client
nic 02:00:00:00:01:01 to-be1
nic 02:00:00:00:02:01 to-be2
sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
ip addr add 192.0.2.1/24 dev to-client
ip neigh replace 192.0.2.2 lladdr 02:00:00:00:00:02 dev to-client nud permanent
ip route add 203.0.113.128/25 via 192.0.2.2 dev to-client
sysctl -qw net.ipv6.conf.all.forwarding=1
ip addr add 2001:db8:1::1/64 dev to-client nodad
ip neigh replace 2001:db8:1::2 lladdr 02:00:00:00:00:02 dev to-client nud permanent
ip -6 route add 2001:db8:3::/64 via 2001:db8:1::2 dev to-client
for n in 1 2; do
	sysctl -qw net.ipv4.conf.to-be$n.rp_filter=0
	ip addr add 198.51.100.1/32 dev to-be$n
	ip route add 198.51.100.1$n/32 dev to-be$n src 198.51.100.1
	ip neigh replace 198.51.100.1$n lladdr 02:00:00:00:0$n:02 dev to-be$n nud permanent
	ip addr add 2001:db8:2::1/128 dev to-be$n nodad
	ip -6 route add 2001:db8:2::1$n/128 dev to-be$n src 2001:db8:2::1
	ip neigh replace 2001:db8:2::1$n lladdr 02:00:00:00:0$n:02 dev to-be$n nud permanent
done
SH
# be1 is the VM's own stack, be2 a namespace holding the second NIC
# shellcheck disable=SC2034
read -r -d '' SETUP_BE <<'SH'
set -e
nic 02:00:00:00:01:02 eth0
nic 02:00:00:00:02:02 eth0 be2
for n in 1 2; do
	x=()
	[ $n = 2 ] && x=(ip netns exec be2)
	"${x[@]}" ip link set lo up
	"${x[@]}" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.eth0.rp_filter=0
	"${x[@]}" ip addr add 198.51.100.1$n/24 dev eth0
	"${x[@]}" ip addr add 203.0.113.10/32 dev lo
	"${x[@]}" ip neigh replace 198.51.100.1 lladdr 02:00:00:00:0$n:01 dev eth0 nud permanent
	"${x[@]}" ip route add default via 198.51.100.1 dev eth0
	"${x[@]}" ip addr add 2001:db8:2::1$n/64 dev eth0 nodad
	"${x[@]}" ip addr add 2001:db8:100::10/128 dev lo nodad
	"${x[@]}" ip neigh replace 2001:db8:2::1 lladdr 02:00:00:00:0$n:01 dev eth0 nud permanent
	"${x[@]}" ip -6 route add default via 2001:db8:2::1 dev eth0
done
SH
topo_ok=1
for name in "${VMS[@]}"; do
	var=SETUP_${name^^}
	out=$(vm "$name" "${!var}") || {
		topo_ok=0
		not_ok "topology: $name configured" "$out"
	}
done
if ((topo_ok)); then
	# routed through the router and the lb's kernel (no XDP yet), both ways
	if out=$(vm client 'set -e; for a in 198.51.100.11 198.51.100.12 2001:db8:2::11 2001:db8:2::12; do
		ip netns exec client ping -c 1 -W 5 $a; done' 2>&1); then
		ok "topology: the client reaches be1 and be2 (IPv4, IPv6) through the router and the lb"
	else
		not_ok "topology: the client reaches be1 and be2 (IPv4, IPv6) through the router and the lb" "$out"
		topo_ok=0
	fi
fi
((topo_ok)) || exit 1

phase backends
# xlb_decap in native mode on each backend's virtio NIC, the test HTTP server
out=$(vm be 'set -e
lbctl decap attach dev eth0 addr 198.51.100.11 addr 2001:db8:2::11
ip netns exec be2 lbctl decap attach dev eth0 addr 198.51.100.12 addr 2001:db8:2::12
lbctl -j decap show dev eth0
ip netns exec be2 lbctl -j decap show dev eth0' 2>&1)
rc=$?
modes=$(jq -rs '[.[][] | .mode] | join(" ")' <<<"$(sed -n '/^\[/p' <<<"$out")" 2>/dev/null)
if ((rc == 0)) && [[ $modes == "native native" ]]; then
	ok "decap: xlb_decap attached in native mode on virtio_net (be1, be2)"
else
	not_ok "decap: xlb_decap attached in native mode on virtio_net (be1, be2)" "$out"
fi
DECAP_INSNS=$(vm be 'proginfo xlb_decap' | jq -r '.verified_insns' | head -n 1)
note "xlb_decap on $KVER: loaded, verified_insns ${DECAP_INSNS:-?}"

if out=$(vm be 'set -e
start srv-be1 python3 /xlb/lib/xlb_server.py be1 --http 80
start srv-be2 --netns be2 python3 /xlb/lib/xlb_server.py be2 --http 80
for i in $(seq 100); do
	python3 /xlb/lib/xlb_client.py http 127.0.0.1 80 >/dev/null 2>&1 &&
		ip netns exec be2 python3 /xlb/lib/xlb_client.py http 127.0.0.1 80 >/dev/null 2>&1 &&
		exit 0
	sleep 0.2
done
exit 1' 2>&1); then
	ok "backends: HTTP servers answer on be1 and be2"
else
	not_ok "backends: HTTP servers answer on be1 and be2" "$out"
fi

phase lbd
# lbd attaches xlb_xdp to the three virtio NICs. The verifier may take minutes under
# TCG on a large program: wait for the socket, or for lbd to exit.
XDP_LOADED=0
vm lb -t 600 'start lbd lbd --iface to-client --iface to-be1 --iface to-be2 \
	--src4 10.255.0.0/24 --src6 fd00:ff::/120 -v || exit 1
for i in $(seq 2400); do
	lbctl vip show >/dev/null 2>&1 && exit 0
	kill -0 "$(cat /run/xlb/lbd.pid)" 2>/dev/null || break
	sleep 0.25
done
echo "lbd did not become ready; its log ends with:"
grep -v "^[0-9]*: \|^; \|^mark_precise\|^from [0-9]* to" /run/xlb/lbd.log | tail -n 25
exit 1' >"$RUN/lbd.out" 2>&1
lbd_rc=$?
out=$(cat "$RUN/lbd.out")
if ((lbd_rc == 0)); then
	modes=$(vm lb 'ip -j link show' | jq -r '[.[] | select(.ifname | test("^to-")) |
		"\(.ifname)=\(.xdp.mode // 0)"] | join(" ")')
	insns=$(vm lb 'proginfo xlb_xdp' | jq -r '.verified_insns' | sort -u | tr '\n' ' ')
	note "xlb_xdp on $KVER: loaded, verified_insns ${insns% }"
	# XDP_ATTACHED_DRV (1): the driver's own hook, not generic XDP
	if [[ $modes == "to-client=1 to-be1=1 to-be2=1" ]]; then
		XDP_LOADED=1
		ok "lbd: xlb_xdp loads on $KVER and attaches in native mode on virtio_net"
	else
		not_ok "lbd: xlb_xdp loads on $KVER and attaches in native mode on virtio_net" \
			"attach modes (1 = native): $modes"
	fi
else
	# the verifier's summary: "processed N insns (limit 1000000) ..." when the log has it
	processed=$(grep -o 'processed [0-9]* insns[^,]*' <<<"$out" | tail -n 1)
	note "xlb_xdp on $KVER: NOT loaded${processed:+ ($processed)}"
	not_ok "lbd: xlb_xdp loads on $KVER and attaches in native mode on virtio_net" "$out"
fi

# lbctl on the lb
lbctl() { vm lb "lbctl $(printf '%q ' "$@")"; }

# wait_health ADDR STATE [SECONDS]: until backend ADDR of $SVC has health STATE
wait_health() {
	local t0 js
	t0=$(now_ms)
	while (($(now_ms) - t0 < ${3:-30} * 1000)); do
		js=$(lbctl -j backend show "$SVC" 2>/dev/null)
		[[ $(jq -r --arg a "$1" '.[] | select(.addr == $a) | .health' <<<"$js" 2>/dev/null) == "$2" ]] &&
			return 0
		sleep 0.5
	done
	echo "backend $1 did not become $2 within ${3:-30} s: $js"
	return 1
}

# traffic N: N HTTP requests from the client namespace, each on a new connection;
# prints "BACKEND COUNT" lines (and "failed COUNT")
traffic() {
	vm client -t 300 "ip netns exec client python3 /xlb/lib/xlb_client.py many $VIP 80 $1"
}

# count NAME OUTPUT: requests NAME (be1, be2, failed) got in traffic's OUTPUT
count() { awk -v n="$1" '$1 == n { print $2 }' <<<"$2" | grep . || echo 0; }

# stat KEY: the global dataplane counter KEY (lbctl -j stats show)
stat() { lbctl -j stats show | jq -r --arg k "$1" '.global[$k] // .global.drops[$k] // 0'; }

CHECK=(check http interval 1s timeout 500ms rise 1 fall 2 eject-time 1s)
N=${XLB_VM_REQUESTS:-40}
declare -A ENCAP_STAT=([ipip]=encap_ipip [gue]=encap_gue [l2]=l2_dsr)

for case in "4 ipip" "4 gue" "4 l2" "6 ipip" "6 gue" "6 l2"; do
	fam=${case% *} encap=${case#* }
	if [[ $fam == 6 ]]; then
		VIP=$VIP6 SVC=[$VIP6]:80/tcp B1=$BE1_6 B2=$BE2_6
	else
		VIP=$VIP4 SVC=$VIP4:80/tcp B1=$BE1 B2=$BE2
	fi
	phase "traffic-ipv$fam-$encap"
	name="traffic: $N HTTP requests through $SVC with encap $encap reach be1 and be2"
	if ((!XDP_LOADED)); then
		skip "$name" "xlb_xdp is not attached"
		continue
	fi
	if ! out=$(lbctl vip add "$SVC" encap "$encap" "${CHECK[@]}" &&
		lbctl backend add "$SVC" "$B1" && lbctl backend add "$SVC" "$B2" &&
		wait_health "$B1" up && wait_health "$B2" up); then
		not_ok "$name" "$out"
		lbctl vip del "$SVC" >/dev/null 2>&1
		continue
	fi
	before=$(stat "${ENCAP_STAT[$encap]}")
	res=$(traffic "$N")
	after=$(stat "${ENCAP_STAT[$encap]}")
	b1=$(count be1 "$res") b2=$(count be2 "$res") failed=$(count failed "$res")
	if ((b1 > 0 && b2 > 0 && b1 + b2 == N && after > before)); then
		ok "$name (be1 $b1, be2 $b2; ${ENCAP_STAT[$encap]} +$((after - before)))"
	else
		not_ok "$name" "be1 $b1, be2 $b2, failed $failed; ${ENCAP_STAT[$encap]} $before -> $after" \
			"client: $res" "stats: $(lbctl -j stats show)"
	fi
	# decap counted the tunnels on both backends' virtio NICs
	if [[ $encap != l2 ]]; then
		dc=$(vm be 'lbctl -j decap show dev eth0; ip netns exec be2 lbctl -j decap show dev eth0')
		note "decap counters after ipv$fam $encap (be1, be2): $(jq -c '.[] | .counters |
			with_entries(select(.value > 0))' <<<"$dc" 2>/dev/null | tr '\n' ' ')"
	fi
	lbctl vip del "$SVC" >/dev/null || not_ok "traffic: vip del after $encap"
done
VIP=$VIP4 SVC=$VIP4:80/tcp

phase health
name="health: be2's server stops, HTTP checks mark it down, every request goes to be1"
if ((!XDP_LOADED)); then
	skip "$name" "xlb_xdp is not attached"
	skip "health: be2's server restarts, checks bring it back and it serves again" \
		"xlb_xdp is not attached"
else
	out=$(lbctl vip add "$SVC" encap ipip "${CHECK[@]}" &&
		lbctl backend add "$SVC" $BE1 && lbctl backend add "$SVC" $BE2 &&
		wait_health $BE1 up && wait_health $BE2 up && vm be 'stop srv-be2')
	rc=$?
	t=$(now_ms)
	if ((rc == 0)) && out=$(wait_health $BE2 down 30); then
		down_s=$(secs "$t")
		res=$(traffic "$N")
		b1=$(count be1 "$res") b2=$(count be2 "$res") failed=$(count failed "$res")
		if ((b1 == N)); then
			ok "$name (down after $down_s s)"
		else
			not_ok "$name" "be1 $b1, be2 $b2, failed $failed" "$(lbctl backend show "$SVC")"
		fi
	else
		not_ok "$name" "$out" "$(lbctl backend show "$SVC")"
	fi
	name="health: be2's server restarts, checks bring it back and it serves again"
	t=$(now_ms)
	if out=$(vm be 'start srv-be2 --netns be2 python3 /xlb/lib/xlb_server.py be2 --http 80' &&
		wait_health $BE2 up 30); then
		up_s=$(secs "$t")
		sleep 1.5 # past eject-time: the breaker half-opens, then closes
		res=$(traffic "$N")
		b2=$(count be2 "$res") failed=$(count failed "$res")
		if ((b2 > 0 && failed == 0)); then
			ok "$name (up after $up_s s; be2 $b2 of $N)"
		else
			not_ok "$name" "client: $res" "$(lbctl backend show "$SVC")"
		fi
	else
		not_ok "$name" "$out"
	fi
fi

phase policy
name="policy: a deny rule for the client's address drops its requests; another source is served"
if ((!XDP_LOADED)); then
	skip "$name" "xlb_xdp is not attached"
	skip "policy: the rule removed, the client is served again" "xlb_xdp is not attached"
else
	before=$(stat policy)
	if ! out=$(lbctl policy add vip "$SVC" deny $CLIENT/32); then
		not_ok "$name" "$out"
	else
		# the router's own address (192.0.2.2) is not denied
		denied=$(vm client -t 30 "ip netns exec client timeout 10 python3 /xlb/lib/xlb_client.py http $VIP 80" 2>&1)
		denied_rc=$?
		other=$(vm client -t 30 "python3 /xlb/lib/xlb_client.py http $VIP 80" 2>&1)
		other_rc=$?
		after=$(stat policy)
		if ((denied_rc != 0 && other_rc == 0 && after > before)); then
			ok "$name (policy drops +$((after - before)); router served by $other)"
		else
			not_ok "$name" "denied client: rc $denied_rc: $denied" "router: rc $other_rc: $other" \
				"drops.policy $before -> $after" "$(lbctl policy show)"
		fi
	fi
	name="policy: the rule removed, the client is served again"
	if out=$(lbctl policy del vip "$SVC" $CLIENT/32 &&
		vm client -t 30 "ip netns exec client python3 /xlb/lib/xlb_client.py http $VIP 80"); then
		ok "$name (by $out)"
	else
		not_ok "$name" "$out"
	fi
fi

# lbd's log, for the record when something failed
if ((n_fail > 0)); then
	note "lbd log (last lines):"
	vm lb 'grep -v "^[0-9]*: \|^; " /run/xlb/lbd.log | tail -n 20' 2>&1 | sed 's/^/#   /'
fi
exit 0
