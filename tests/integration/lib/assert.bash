# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Assertions and skip probes for the bats tests (bats >= 1.5: `run -0`, `run -2`).
# Load with `load lib/assert`. Probes decide skips up front and always give a reason.
#
# bats 1.8 cannot `skip` from setup_file, so a probe called there records the reason
# in XLB_SKIP_REASON and returns 1 (write `skip_if_not_root || return 0`); the default
# setup() below then skips every test of the file with that reason. A file that
# defines its own setup() calls xlb_skip_pending first.
# shellcheck disable=SC2154 # status and output are set by bats' run

# the repository root, whatever directory bats was started from
: "${XLB_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
export XLB_ROOT
# the pin subdirectory of this build's ABI (XLB_ABI_VERSION in headers/xlb/abi.h)
: "${XLB_ABI_DIR:=v$(sed -n 's/^#define XLB_ABI_VERSION \([0-9]*\)$/\1/p' "$XLB_ROOT/headers/xlb/abi.h")}"
export XLB_ABI_DIR

if declare -F bats_require_minimum_version >/dev/null; then
	bats_require_minimum_version 1.5.0
fi

# xlb_skip REASON: skip the current test, or from setup_file, every test of the file.
xlb_skip() {
	if [[ -n ${BATS_TEST_NAME:-} ]]; then
		skip "$1"
	fi
	export XLB_SKIP_REASON=$1
	return 1
}

xlb_skip_pending() {
	if [[ -n ${XLB_SKIP_REASON:-} ]]; then
		skip "$XLB_SKIP_REASON"
	fi
}

setup() {
	xlb_skip_pending
}

skip_if_not_root() {
	[[ $(id -u) -eq 0 ]] || xlb_skip "requires root"
}

skip_if_no_bpffs() {
	[[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]] ||
		xlb_skip "bpffs is not mounted at /sys/fs/bpf (sh scripts/deps.sh mounts it)"
}

# skip_if_missing CMD...: tools a test needs (package names are in scripts/deps.sh)
skip_if_missing() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null || xlb_skip "$cmd is not installed (make deps)" || return 1
	done
}

# skip_if_no_bpf: the bpf() syscall works here (root, not blocked by a sandbox)
skip_if_no_bpf() {
	skip_if_not_root || return 1
	skip_if_missing bpftool || return 1
	bpftool prog show >/dev/null 2>&1 || xlb_skip "the bpf() syscall is not available"
}

# skip_if_no_build FILE...: artefacts of `make`, relative to the repository root
skip_if_no_build() {
	local f
	for f in "$@"; do
		[[ -e $XLB_ROOT/$f ]] || xlb_skip "$f is not built (make)" || return 1
	done
}

# fail LINE...: fails the test with LINEs on stderr (bats shows it in the TAP diagnostics)
fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# assert_equal ACTUAL EXPECTED [WHAT]
assert_equal() {
	[[ $1 == "$2" ]] || fail "${3:-value}: expected '$2', got '$1'"
}

# After `run`: assert_success, assert_failure [STATUS]. Prefer `run -N` where it fits.
assert_success() {
	((status == 0)) || fail "expected success, got status $status; output:" "$output"
}

assert_failure() {
	if [[ $# -gt 0 ]]; then
		((status == $1)) || fail "expected status $1, got $status; output:" "$output"
	else
		((status != 0)) || fail "expected failure, got status 0; output:" "$output"
	fi
}

assert_output() {
	[[ $output == "$1" ]] || fail "expected output '$1', got '$output'"
}

assert_output_contains() {
	[[ $output == *"$1"* ]] || fail "expected output to contain '$1', got '$output'"
}

refute_output_contains() {
	[[ $output != *"$1"* ]] || fail "expected output without '$1', got '$output'"
}

# assert_json FILTER: jq -e FILTER holds on $output (e.g. '.[0].state == "up"')
assert_json() {
	jq -e "$1" <<<"$output" >/dev/null || fail "JSON check '$1' failed on: $output"
}

# assert_json_eq FILTER EXPECTED: jq -r FILTER on $output prints exactly EXPECTED
assert_json_eq() {
	local got
	got=$(jq -r "$1" <<<"$output") || fail "jq '$1' failed on: $output" || return 1
	[[ $got == "$2" ]] || fail "$1: expected '$2', got '$got'"
}
