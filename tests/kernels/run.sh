#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Kernel matrix: does each BPF program load on the Debian kernels we claim, and how much
# of the verifier's 1M-instruction budget does it take? For each suite it downloads
# Debian's kernel package (cached), boots that kernel under QEMU (TCG: no KVM needed)
# with a tiny initramfs holding a static build/tests/tools/verifier_stats and the
# objects from build/, and reads the result off the serial console. No disk image, no
# network in the guest: about 25 s per kernel once the package is cached.
#
# Usage: tests/kernels/run.sh          (root only to install qemu/cpio when missing)
# Environment:
#   XLB_KERNELS="bookworm trixie"   Debian suites whose linux-image-amd64 to boot
#                                   (bookworm = Debian 12, 6.1: the oldest we support)
#   XLB_KERNEL_BUDGET=500000        most processed instructions a program may take
#                                   (half the verifier's limit: room for what comes)
#   XLB_DEBIAN_MIRROR=http://deb.debian.org/debian
#   XLB_CACHE=/var/cache/xlb        kernel packages are kept in $XLB_CACHE/kernels
#   BUILD=build
# Output: TAP, then "N passed, N failed, N skipped"; exit 1 if anything failed.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
KERNELS=${XLB_KERNELS:-bookworm trixie}
BUDGET=${XLB_KERNEL_BUDGET:-500000}
MIRROR=${XLB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${XLB_CACHE:-/var/cache/xlb}/kernels
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xlb-kernels.XXXXXX")
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
QEMU_PID=""

cleanup() {
	[[ -n $QEMU_PID ]] && kill "$QEMU_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASSED=0 FAILED=0 SKIPPED=0 N=0
ok() { N=$((N + 1)); PASSED=$((PASSED + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
finish() {
	echo "1..$N"
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	exit $((FAILED > 0))
}
die() {
	not_ok "kernel matrix: $*"
	finish
}
phase_start=$SECONDS
phase() { echo "# $1 ($((SECONDS - phase_start)) s)"; phase_start=$SECONDS; }

# --- tools -------------------------------------------------------------------------
need=""
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
command -v cpio >/dev/null || need="$need cpio"
if [[ -n $need ]]; then
	[[ $(id -u) -eq 0 ]] || die "missing packages:$need (run as root to install them)"
	echo "# installing:$need"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $need; } >"$WORK/apt.log" 2>&1 </dev/null ||
		{ tail -n 20 "$WORK/apt.log" | sed 's/^/# /'; die "apt-get install$need failed"; }
fi
for obj in xlb_xdp xlb_decap; do
	[[ -f $BUILD/$obj.bpf.o ]] || die "$BUILD/$obj.bpf.o missing: run make first"
done

# static verifier_stats and init: the initramfs has no libraries
mkdir -p "$WORK/initrd/proc"
cflags=$(pkg-config --cflags libbpf 2>/dev/null)
# shellcheck disable=SC2086 # word lists
gcc -O2 -static -o "$WORK/initrd/verifier_stats" tests/tools/verifier_stats.c $cflags \
	-lbpf -lelf -lz >"$WORK/cc.log" 2>&1 ||
	{ sed 's/^/# /' "$WORK/cc.log"; die "cannot link verifier_stats statically (libbpf-dev, libelf-dev, zlib1g-dev)"; }
gcc -O2 -static -o "$WORK/initrd/init" tests/kernels/init.c >"$WORK/cc.log" 2>&1 ||
	{ sed 's/^/# /' "$WORK/cc.log"; die "cannot build the initramfs init"; }
cp "$BUILD/xlb_xdp.bpf.o" "$BUILD/xlb_decap.bpf.o" "$WORK/initrd/"
(cd "$WORK/initrd" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$WORK/initrd.gz" ||
	die "cannot pack the initramfs"
phase "initramfs built"

# --- kernels -----------------------------------------------------------------------
# A private apt configuration per suite: the host's own sources stay untouched.
apt_for() {
	local suite=$1 dir=$WORK/apt-$1
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	{
		echo "deb [signed-by=$KEYRING] $MIRROR $suite main"
		echo "deb [signed-by=$KEYRING] $MIRROR $suite-updates main"
		echo "deb [signed-by=$KEYRING] ${MIRROR%/debian}/debian-security $suite-security main"
	} >"$dir/sources.list"
	APT_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -q)
}

# vmlinuz of the newest linux-image-amd64 of @suite, downloaded into the cache once
fetch_kernel() {
	local suite=$1 pkg deb
	apt_for "$suite"
	apt-get "${APT_OPTS[@]}" update >"$WORK/apt.log" 2>&1 ||
		{ tail -n 5 "$WORK/apt.log" | sed 's/^/# /'; return 1; }
	pkg=$(apt-cache "${APT_OPTS[@]}" depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
	[[ -n $pkg ]] || { echo "# $suite: no linux-image-amd64 dependency found"; return 1; }
	mkdir -p "$CACHE"
	deb=$(ls "$CACHE/${pkg}_"*.deb 2>/dev/null | head -n 1)
	if [[ -z $deb ]]; then
		(cd "$CACHE" && apt-get "${APT_OPTS[@]}" download "$pkg" >"$WORK/apt.log" 2>&1) ||
			{ tail -n 5 "$WORK/apt.log" | sed 's/^/# /'; return 1; }
		deb=$(ls "$CACHE/${pkg}_"*.deb | head -n 1)
		# keep only the newest package of each suite's kernel line
		find "$CACHE" -name 'linux-image-*.deb' ! -name "$(basename "$deb")" -mtime +30 -delete
	fi
	mkdir -p "$WORK/k-$suite"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$WORK/k-$suite" --wildcards './boot/vmlinuz-*' ||
		return 1
	KERNEL=$(ls "$WORK/k-$suite"/boot/vmlinuz-* | head -n 1)
}

boot() {
	local kernel=$1 log=$2
	timeout 300 qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$WORK/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet rdinit=/init" >"$log" 2>&1 </dev/null &
	QEMU_PID=$!
	wait "$QEMU_PID"
	local rc=$?
	QEMU_PID=""
	return $rc
}

for suite in $KERNELS; do
	if ! fetch_kernel "$suite"; then
		not_ok "$suite: cannot download its kernel package from $MIRROR"
		continue
	fi
	phase "$suite: kernel $(basename "$KERNEL")"
	log=$WORK/console-$suite.log
	boot "$KERNEL" "$log"
	phase "$suite: booted and checked"
	if ! grep -aq 'XLB-KERNELS-DONE' "$log"; then
		not_ok "$suite: the VM did not report (console tail below)"
		tail -n 20 "$log" | tr -d '\r' | sed 's/^/# /'
		continue
	fi
	for prog in xlb_xdp xlb_decap; do
		line=$(grep -a " $prog: " "$log" | tr -d '\r' | sed 's/^.*\(xlb_[a-z]*\.bpf\.o\)/\1/' | head -n 1)
		if [[ $line =~ :\ ok,\ processed\ ([0-9]+)\ insns,\ kernel\ (.*)$ ]]; then
			n=${BASH_REMATCH[1]} rel=${BASH_REMATCH[2]}
			pct=$((n * 100 / 1000000))
			if ((n <= BUDGET)); then
				ok "$prog loads on $rel ($suite): verifier processed $n insns ($pct% of 1M)"
			else
				not_ok "$prog loads on $rel ($suite) but takes $n insns ($pct% of 1M), over the budget of $BUDGET"
			fi
		else
			not_ok "$prog does not load on the $suite kernel: ${line:-no result line}"
			grep -a -A 14 " $prog: FAILED" "$log" | tail -n +2 | tr -d '\r' | sed 's/^/# /'
		fi
	done
done
finish
