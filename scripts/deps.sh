#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Installs the Debian packages that the build and every test tier need (idempotent:
# apt runs only when something is missing) and mounts bpffs at /sys/fs/bpf.
# Usage: sh scripts/deps.sh    (root when a package is missing; `make deps` runs it)
set -eu

# build: toolchain, BPF, libraries found by scripts/configure.sh; check: make check
# tests: cmocka, bats, the libFuzzer runtime (tests/fuzz), namespaces and packet tools
# used by tests/integration and bench; packaging: dpkg-dev (make deb: dpkg-shlibdeps),
# man-db (man pages rendered and checked by tests/integration/docs.bats)
PKGS="
	make gcc libc6-dev linux-libc-dev pkg-config git
	clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	libnl-3-dev libnl-route-3-dev libjson-c-dev libsystemd-dev
	clang-format clang-tidy cppcheck
	libcmocka-dev bats jq python3 libclang-rt-14-dev
	iproute2 ethtool iputils-ping procps tcpdump netcat-openbsd
	dpkg-dev man-db
"

say() { echo "deps: $*"; }
die() { echo "deps: $*" >&2; exit 1; }

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script supports Debian and Ubuntu only"

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

# prints the packages of $PKGS that dpkg does not list as installed, each after a space
missing_pkgs() {
	for pkg in $PKGS; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = "install ok installed" ] || printf ' %s' "$pkg"
	done
}

missing=$(missing_pkgs)
missing=${missing# }

if [ -n "$missing" ]; then
	[ "$is_root" -eq 1 ] ||
		die "missing packages: $missing; run as root: sudo sh scripts/deps.sh"
	say "installing: $missing"
	log=$(mktemp "${TMPDIR:-/tmp}/xlb-deps.XXXXXX")
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086 # $missing is a word list
	if ! { apt-get update -q &&
		apt-get install -y -q --no-install-recommends \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
			$missing; } >"$log" 2>&1 </dev/null; then
		tail -n 20 "$log" >&2
		rm -f "$log"
		die "apt-get failed installing: $missing (its last lines are above)"
	fi
	rm -f "$log"
	# apt-get exits 0 when dpkg is interrupted part way ("W: Operation was interrupted
	# before it could finish"), so believe dpkg, not apt's exit status
	still=$(missing_pkgs)
	[ -z "$still" ] || die "still not installed after apt-get:$still"
else
	say "all packages present"
fi

# bpffs: lbd pins its maps under /sys/fs/bpf/xlb; systemd mounts it on most hosts,
# but containers and minimal CI images often do not.
bpffs_type=$(stat -f -c %T /sys/fs/bpf 2>/dev/null || echo none)
if [ "$bpffs_type" != bpf_fs ]; then
	if [ "$is_root" -eq 1 ]; then
		if mount -t bpf bpf /sys/fs/bpf 2>/dev/null; then
			say "mounted bpffs at /sys/fs/bpf"
		else
			echo "deps: warning: cannot mount bpffs at /sys/fs/bpf; tests that pin maps will be skipped" >&2
		fi
	else
		echo "deps: warning: bpffs is not mounted at /sys/fs/bpf (mounting needs root)" >&2
	fi
fi
exit 0
