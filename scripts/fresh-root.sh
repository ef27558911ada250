#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Builds xlb and runs its unit and packet tests inside a fresh minimal Debian root
# (mmdebstrap, variant minbase) that holds nothing but what scripts/deps.sh installs,
# so a package missing from deps.sh fails here even when the host happens to have it.
#
# Usage: bash scripts/fresh-root.sh     (root; `make test-fresh` and .ci/run run it)
#
# Phases, each timed: host tools (installs mmdebstrap if missing) -> mirror (reachable?)
# -> root (bootstrap, or the day's cached tarball) -> copy (the work tree as git sees it:
# tracked and new files with their uncommitted changes, no build/ or .git) -> deps
# (sh scripts/deps.sh inside, always from scratch) -> build (make -j2 all) -> test build
# (make -j2 tests-build) -> unit, bpf (scripts/run-tests.sh) -> package (make deb,
# apt-get install it, lbctl --version, man -w lbctl, lbd --check-config) -> cleanup. Each command in
# the root runs in a private mount namespace, with /proc, /sys, /dev and a bpffs of its
# own, so no mount is ever visible outside; the root is deleted on exit, also after a
# failure or Ctrl-C.
#
# The last line is "N passed, N failed, N skipped": the counts of the two tiers plus one
# failure for a phase that broke. The exit status is 1 on any failure. Without root,
# mmdebstrap or the mirror, the check fails when CI is set (CI=true) and is skipped,
# with the reason, otherwise.
#
# Environment:
#   XLB_FRESH_SUITE=NAME     Debian suite (default bookworm, with -updates and -security)
#   XLB_FRESH_MIRROR=URL     Debian mirror (default http://deb.debian.org/debian)
#   XLB_FRESH_SECURITY=URL   security archive (default http://deb.debian.org/debian-security)
#   XLB_FRESH_CACHE=DIR      keeps the bootstrap tarball (Debian packages only) for the
#                            day (default /var/cache/xlb/fresh-root; empty: no cache)
#   XLB_FRESH_TMPDIR=DIR     where the root is made (default /var/tmp; needs a few GB)
#   XLB_FRESH_PATCH=FILE     applies FILE (a git diff) to the copy before deps and build;
#                            the work tree is not touched. Shows that the check catches
#                            a regression, e.g. a BPF header that pulls in glibc
#   V=1                      passed to make and run-tests.sh inside the root
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
TOP=$PWD

SUITE=${XLB_FRESH_SUITE:-bookworm}
MIRROR=${XLB_FRESH_MIRROR:-http://deb.debian.org/debian}
SECURITY=${XLB_FRESH_SECURITY:-http://deb.debian.org/debian-security}
CACHE=${XLB_FRESH_CACHE-/var/cache/xlb/fresh-root}
TMPBASE=${XLB_FRESH_TMPDIR:-/var/tmp}
PATCH=${XLB_FRESH_PATCH:-}
SRC=/src/xlb # the copy, as seen inside the root

SUMMARY_RE='^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$'
PASSED=0
FAILED=0
SKIPPED=0
WORK=""
ROOT=""
TIMES=()
T0=$SECONDS
REPORTED=0

case ${1:-} in
"") ;;
-h | --help) sed -n '3,/^set -uo/{ /^set -uo/d; s/^# \{0,1\}//; p }' "$0"; exit 0 ;;
*) echo "usage: $0    (no arguments; see the comment at its top)" >&2; exit 2 ;;
esac

say() { echo "fresh-root: $*"; }

in_ci() { [[ -n ${CI:-} && ${CI:-} != false && ${CI:-} != 0 ]]; }

# Without root, mmdebstrap or the mirror the check cannot run: a failure in CI, where
# that must not pass unnoticed, else a skip with the reason.
cannot_run() {
	REPORTED=1
	if in_ci; then
		echo "not ok - fresh-root: $*"
		echo "0 passed, 1 failed, 0 skipped"
		exit 1
	fi
	echo "ok - fresh-root # SKIP $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

# Processes still running inside the root (a daemon a test left behind). The root's
# path is unique to this run, so these are ours.
kill_leftovers() {
	local p pids=()
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/root" 2>/dev/null) == "$ROOT" ]] && pids+=("${p#/proc/}")
	done
	((${#pids[@]} == 0)) && return 0
	say "killing processes left in the root: ${pids[*]}"
	kill -KILL "${pids[@]}" 2>/dev/null
	sleep 1
}

# Removes the work directory. Mounts exist only in the commands' private namespaces,
# but the directory is never deleted while anything below it shows up as mounted here.
cleanup() {
	[[ -n $WORK && -d $WORK ]] || return 0
	[[ -n $ROOT ]] && kill_leftovers
	if awk -v w="$WORK" 'index($5, w "/") == 1 || $5 == w { found = 1 } END { exit !found }' \
		/proc/self/mountinfo; then
		say "something is still mounted under $WORK; not deleting it" >&2
		return 1
	fi
	rm -rf --one-file-system "$WORK"
	WORK=""
}

on_exit() {
	local rc=$?
	trap - EXIT INT TERM HUP
	cleanup
	# stopped before report() (interrupted, or a bug here): still end with a summary
	if ((!REPORTED)); then
		((rc != 0)) || rc=1
		echo "$PASSED passed, $((FAILED + 1)) failed, $SKIPPED skipped"
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'echo; say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM HUP

# phase NAME CMD...: runs CMD, records and prints how long it took; returns its status.
phase() {
	local name=$1 start=$SECONDS rc=0
	shift
	echo "==> fresh-root: $name"
	"$@" || rc=$?
	TIMES+=("$name $((SECONDS - start))s")
	echo "# fresh-root: $name: $((SECONDS - start))s$( ((rc == 0)) || echo ", exit status $rc")"
	return "$rc"
}

# A phase the later ones depend on broke: count one failure, report, stop.
broken() {
	echo "not ok - fresh-root: $1"
	((FAILED++))
	report
	exit 1
}

report() {
	local t
	REPORTED=1
	phase cleanup cleanup || ((FAILED++))
	echo "# fresh-root: times: $(
		for t in "${TIMES[@]}"; do printf '%s, ' "$t"; done
	)total $((SECONDS - T0))s"
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
}

ensure_mmdebstrap() {
	local log=$TMPBASE/xlb-fresh-apt.$$.log
	command -v mmdebstrap >/dev/null && command -v unshare >/dev/null && return 0
	say "installing mmdebstrap on the host"
	export DEBIAN_FRONTEND=noninteractive
	if ! { apt-get install -y -q --no-install-recommends mmdebstrap ||
		{ apt-get update -q && apt-get install -y -q --no-install-recommends mmdebstrap; }; } \
		>"$log" 2>&1 </dev/null; then
		tail -n 10 "$log"
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	command -v mmdebstrap >/dev/null
}

# The mirror answers for the suite (apt's own HTTP client: nothing else to install).
mirror_ok() {
	local url=$MIRROR/dists/$SUITE/InRelease
	/usr/lib/apt/apt-helper -o Acquire::http::Timeout=20 -o Acquire::Retries=1 \
		-o APT::Sandbox::User=root download-file "$url" "$WORK/InRelease" >/dev/null 2>&1 ||
		{ say "cannot fetch $url"; return 1; }
}

sources() {
	printf '%s\n' "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" \
		"deb $SECURITY $SUITE-security main"
}

# The bootstrap tarball: Debian's packages only (nothing of ours), so it may be reused
# for the day it was made; keyed on suite, architecture, date and the mirror lines.
make_root() {
	local key tarball tmp lines
	key=$SUITE-minbase-$(dpkg --print-architecture)-$(date -u +%Y%m%d)-$(sources | sha256sum | cut -c1-8)
	if [[ -n $CACHE ]]; then
		mkdir -p "$CACHE" || return 1
		find "$CACHE" -maxdepth 1 -name '*.tar' -mtime +1 -delete
		tarball=$CACHE/$key.tar
	else
		tarball=$WORK/$key.tar
	fi
	if [[ -s $tarball ]]; then
		say "reusing $tarball"
	else
		say "bootstrapping $SUITE (minbase) from $MIRROR"
		tmp=$(mktemp "${tarball%/*}/.$key.XXXXXX") || return 1
		# its own mount namespace: whatever mmdebstrap mounts dies with it
		mapfile -t lines < <(sources)
		if ! TMPDIR=$WORK unshare --mount --propagation private -- \
			mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
			"$SUITE" "$tmp" "${lines[@]}" </dev/null; then
			rm -f "$tmp"
			return 1
		fi
		mv -f "$tmp" "$tarball" || return 1
	fi
	mkdir "$ROOT" && tar -C "$ROOT" --numeric-owner --xattrs --xattrs-include='*' -xpf "$tarball" ||
		return 1
	rm -f "$ROOT/etc/resolv.conf"
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
}

# The tree to test: what git lists (tracked, plus new files not ignored) as it is in the
# work tree, uncommitted changes included; without git, everything but build/ and .git.
copy_tree() {
	local dst=$ROOT$SRC f
	mkdir -p "$dst" || return 1
	if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$TOP" ls-files -z -co --exclude-standard |
			while IFS= read -r -d '' f; do
				# a tracked file deleted in the work tree is listed but not copied
				[[ -e $f || -L $f ]] && printf '%s\0' "$f"
			done |
			tar -C "$TOP" --null --no-recursion -T - --owner=0 --group=0 -cf - |
			tar -C "$dst" -xf - || return 1
	else
		tar -C "$TOP" --exclude=./build --exclude=./.git --owner=0 --group=0 -cf - . |
			tar -C "$dst" -xf - || return 1
	fi
	say "copied $(find "$dst" -type f | wc -l) files to $SRC"
	if [[ -n $PATCH ]]; then
		say "applying $PATCH to the copy"
		# the ceiling keeps git from taking a repository above the copy for its own
		(cd "$dst" && GIT_CEILING_DIRECTORIES=${dst%/*} git apply -v "$PATCH") || return 1
	fi
}

# in_root CMD: runs the shell command CMD as root in the copy inside the root, with a
# clean environment, in a private mount namespace that holds its /proc, /sys, /dev
# and bpffs: they vanish with it, however it ends.
in_root() {
	# shellcheck disable=SC2016 # the inner script expands its own arguments
	unshare --mount --propagation private -- /bin/sh -c '
		r=$1
		shift
		mount -t proc proc "$r/proc" &&
			mount -t sysfs sysfs "$r/sys" &&
			mount --rbind /dev "$r/dev" || exit 1
		mount -t bpf bpf "$r/sys/fs/bpf" ||
			echo "fresh-root: warning: cannot mount bpffs in the root" >&2
		exec chroot "$r" "$@"
	' sh "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" V="${V:-0}" \
		DEBIAN_FRONTEND=noninteractive /bin/bash -c "cd $SRC && $1" </dev/null
}

# run_tier TIER: one tier of scripts/run-tests.sh in the root; its TAP is shown as it
# comes, its summary line is relabelled (only this script's last line is a summary)
# and its counts are added to ours.
run_tier() {
	local tier=$1 file line rc summary
	file=$WORK/$tier.summary
	in_root "bash scripts/run-tests.sh $tier" 2>&1 | while IFS= read -r line; do
		if [[ $line =~ $SUMMARY_RE ]]; then
			printf '%s\n' "$line" >"$file"
			echo "# fresh-root: $tier: $line"
		else
			printf '%s\n' "$line"
		fi
	done
	rc=${PIPESTATUS[0]}
	summary=$(cat "$file" 2>/dev/null)
	if [[ $summary =~ $SUMMARY_RE ]]; then
		((PASSED += BASH_REMATCH[1], FAILED += BASH_REMATCH[2], SKIPPED += BASH_REMATCH[3]))
		if ((rc != 0 && BASH_REMATCH[2] == 0)); then
			echo "not ok - fresh-root: $tier tier exited with status $rc"
			((FAILED++))
		fi
	else
		echo "not ok - fresh-root: $tier tier printed no summary (exit status $rc)"
		((FAILED++))
	fi
	return "$rc"
}

# package_check: make deb in the root, install it with apt (its Depends come from
# Debian's archive), and use what it installed: lbctl --version, man -w lbctl, the
# example config through lbd --check-config. One TAP line per check.
package_check() {
	local n=0 name cmd rc=0
	for name in "make deb" "apt-get install the package" "lbctl --version" \
		"man -w lbctl" "lbd --check-config /etc/xlb/xlb.conf"; do
		n=$((n + 1))
		case $n in
		1) cmd="make --no-print-directory deb >/dev/null" ;;
		2) cmd="apt-get install -y -q --no-install-recommends ./build/xlb_*.deb >/tmp/apt.log 2>&1 || { tail -n 20 /tmp/apt.log; false; }" ;;
		3) cmd="/usr/sbin/lbctl --version" ;;
		4) cmd="man -w lbctl" ;;
		5) cmd="/usr/sbin/lbd --check-config /etc/xlb/xlb.conf" ;;
		esac
		if in_root "$cmd" 2>&1 | sed 's/^/# /'; [[ ${PIPESTATUS[0]} -eq 0 ]]; then
			echo "ok - fresh-root: package: $name"
			((PASSED++))
		else
			echo "not ok - fresh-root: package: $name"
			((FAILED++))
			rc=1
			((n > 1)) || break # no package: nothing to install
		fi
	done
	return $rc
}

[[ $(id -u) -eq 0 ]] || cannot_run "needs root (chroot, mounts, BPF_PROG_RUN)"
if [[ -n $PATCH && ! -f $PATCH ]]; then
	echo "fresh-root: XLB_FRESH_PATCH: no such file: $PATCH" >&2
	REPORTED=1
	exit 2
fi
[[ -z $PATCH ]] || PATCH=$(realpath "$PATCH")

phase "host tools" ensure_mmdebstrap || cannot_run "mmdebstrap is missing and apt-get cannot install it"
WORK=$(mktemp -d "$TMPBASE/xlb-fresh.XXXXXX") || exit 1
ROOT=$WORK/root
phase mirror mirror_ok || cannot_run "the Debian mirror $MIRROR is unreachable"

phase root make_root || broken "cannot make the $SUITE root"
phase copy copy_tree || broken "cannot copy the tree into the root"
phase deps in_root "sh scripts/deps.sh" || broken "scripts/deps.sh failed in a fresh root"
phase build in_root "make -j2 all" ||
	broken "make all failed in a fresh root (a package missing from scripts/deps.sh? a header only some machines have?)"
phase "test build" in_root "make -j2 tests-build" || broken "make tests-build failed in a fresh root"
phase unit run_tier unit
phase bpf run_tier bpf
phase package package_check
report
((FAILED == 0))
