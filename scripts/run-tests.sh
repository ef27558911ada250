#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Runs the test tiers, shows their TAP as it comes and counts it; the last line printed
# is always "N passed, N failed, N skipped", and the exit status is 1 if anything failed.
#
# Usage: scripts/run-tests.sh [ all | unit | bpf | integration | fuzz ]     (default: all)
#   unit         every build/tests/unit/test_* (cmocka, CMOCKA_MESSAGE_OUTPUT=TAP)
#   bpf          build/tests/bpf/xlb_pkt_test (BPF_PROG_RUN; root, else skipped)
#   integration  bats --tap tests/integration (network namespaces; root, else skipped)
#   fuzz         every build/tests/fuzz/*_fuzz (libFuzzer) for a bounded time against a
#                scratch copy of tests/fuzz/corpus/<name>/ under build/tests/fuzz/run/;
#                skipped with the reason when clang cannot build libFuzzer targets
# Environment:
#   V=1                  show every line the runners print, not only the TAP lines
#   XLB_TEST_LONG=1      long randomized runs and soaks (passed to the runners)
#   XLB_TEST_TIMEOUT=S   limit for each runner invocation (default 240 s, the whole
#                        integration tier 600 s; with XLB_TEST_LONG=1 1800 s and 3600 s)
#   BATS_TEST_TIMEOUT=S  limit for each bats test (default 120 s, 900 s long)
#   XLB_FUZZ_TIME=S      how long each fuzz target runs (default 15 s, 300 s long)
#   BUILD=DIR            build directory (default build); logs go to DIR/tests/logs
#
# A runner that exits non-zero, crashes or times out without printing a `not ok` line
# counts as one failure named after it; so does one that prints no TAP result at all.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

BUILD=${BUILD:-build}
V=${V:-0}
XLB_TEST_LONG=${XLB_TEST_LONG:-0}
export XLB_TEST_LONG
if [[ $XLB_TEST_LONG == 1 ]]; then
	TIMEOUT=${XLB_TEST_TIMEOUT:-1800}
	IT_TIMEOUT=${XLB_TEST_TIMEOUT:-3600}
	export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-900}
	FUZZ_TIME=${XLB_FUZZ_TIME:-300}
else
	TIMEOUT=${XLB_TEST_TIMEOUT:-240}
	IT_TIMEOUT=${XLB_TEST_TIMEOUT:-600}
	export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
	FUZZ_TIME=${XLB_FUZZ_TIME:-15}
fi
LOGDIR=$BUILD/tests/logs
export CMOCKA_MESSAGE_OUTPUT=TAP
# stdbuf preloads a tiny library; tell ASan (SAN=1 builds) that this is fine
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
STDBUF=()
command -v stdbuf >/dev/null && STDBUF=(stdbuf -oL -eL)

PASSED=0
FAILED=0
SKIPPED=0

usage() {
	echo "usage: $0 [ all | unit | bpf | integration | fuzz ]" >&2
	exit 2
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Prints a TAP line of our own (a tier that cannot run, a runner that crashed).
tap_skip() {
	echo "ok - $1 # SKIP $2"
	((SKIPPED++))
}

tap_fail() {
	echo "not ok - $1"
	((FAILED++))
}

TAP_RE='^(not )?ok([[:space:]]|$)|^1\.\.|^Bail out!|^[[:space:]]*#'

# Shows the runner's output as it arrives: everything with V=1, else the TAP lines
# (results, plans, bail-outs and `#` diagnostics).
show() {
	if [[ $V == 1 ]]; then
		cat
	else
		grep --line-buffered -E "$TAP_RE" || true
	fi
}

# Counts one TAP log. Prints "passed failed skipped results planned skip_all bail".
# `ok`/`not ok` lines with a `# SKIP` directive (any case) are skipped, `not ok ... # TODO`
# is an expected failure (skipped); indented (nested) lines are not counted.
count_tap() {
	awk '
	function directive(line, word) {
		line = tolower(line)
		return line ~ ("#[ \t]*" word)
	}
	/^ok([ \t]|$)/ {
		res++
		if (directive($0, "skip")) skip++; else pass++
		next
	}
	/^not ok([ \t]|$)/ {
		res++
		if (directive($0, "skip") || directive($0, "todo")) skip++; else fail++
		next
	}
	/^1\.\.[0-9]+/ {
		n = $0; sub(/^1\.\./, "", n); sub(/[^0-9].*$/, "", n)
		plan += n
		if (n + 0 == 0) skipall = 1
		next
	}
	/^Bail out!/ { bail = 1 }
	END { printf "%d %d %d %d %d %d %d\n", pass, fail, skip, res, plan, skipall, bail }
	' "$1"
}

# run_tap NAME CMD... : runs one TAP producer under the timeout ($RUN_TIMEOUT if set,
# else $TIMEOUT), shows and counts it.
run_tap() {
	local name=$1 limit=${RUN_TIMEOUT:-$TIMEOUT}
	local log rcfile rc start pass fail skip res plan skipall bail why=""
	shift
	log=$LOGDIR/${name//\//_}.log
	rcfile=$log.rc
	echo "# $name"
	start=$SECONDS
	# The subshell keeps bash's own "Segmentation fault" job report out of the log (its
	# stderr is /dev/null); the runner's stderr is merged into the TAP stream. stdbuf
	# line-buffers C stdio so CI logs show progress, not one burst at exit.
	(
		timeout -k 10 "$limit" "${STDBUF[@]}" "$@" </dev/null 2>&1
		echo $? >"$rcfile"
	) 2>/dev/null | tee "$log" | show
	rc=$(cat "$rcfile" 2>/dev/null || echo 255)
	rm -f "$rcfile"
	read -r pass fail skip res plan skipall bail < <(count_tap "$log")

	if ((rc == 124 || (rc == 137 && SECONDS - start >= limit))); then
		why="timed out after ${limit}s"
	elif ((rc > 128)); then
		why="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
	elif ((rc != 0)); then
		why="exited with status $rc"
	fi
	if [[ -n $why ]] && ((fail == 0)); then
		echo "not ok - $name: $why without a failing test"
		fail=1
		# the runner's last words that the TAP filter hid explain most crashes
		[[ $V == 1 ]] || grep -v -E "$TAP_RE" "$log" | tail -n 20 | sed 's/^/#   /'
	elif ((bail && fail == 0)); then
		echo "not ok - $name: bailed out"
		fail=1
	elif ((res == 0 && !skipall)); then
		echo "not ok - $name: printed no TAP results"
		fail=1
	elif ((res == 0 && skipall)); then
		echo "ok - $name # SKIP the runner skipped all its tests"
		skip=1
	elif ((plan > 0 && res != plan && fail == 0)); then
		echo "not ok - $name: planned $plan tests, ran $res"
		fail=1
	elif [[ -n $why ]]; then
		echo "# $name: $why"
	fi
	((PASSED += pass, FAILED += fail, SKIPPED += skip))
	echo "# $name: $pass passed, $fail failed, $skip skipped (log: $log)"
}

tier_unit() {
	local bin found=0
	for bin in "$BUILD"/tests/unit/test_*; do
		[[ -f $bin && -x $bin ]] || continue
		found=1
		run_tap "unit/${bin##*/}" "$bin"
	done
	if ((!found)); then
		if compgen -G 'tests/unit/test_*.c' >/dev/null; then
			tap_fail "unit: tests/unit has sources but no binary in $BUILD/tests/unit (make tests-build)"
		else
			echo "# unit: no unit tests"
		fi
	fi
}

tier_bpf() {
	local bin=$BUILD/tests/bpf/xlb_pkt_test
	if [[ ! -x $bin ]]; then
		if compgen -G 'tests/bpf/*.c' >/dev/null; then
			tap_fail "bpf: $bin was not built (make tests-build)"
		else
			echo "# bpf: no packet tests"
		fi
		return
	fi
	if ! is_root; then
		tap_skip "bpf" "requires root for BPF_PROG_RUN"
		return
	fi
	run_tap "bpf/xlb_pkt_test" "$bin"
}

# Namespaces are named xlbt<pid>-*, <pid> being the bats process that made them
# (tests/integration/lib/topo.bash). Ones whose process is gone were leaked by a run
# that was killed; remove them so they cannot clash with or slow down later runs.
sweep_stale_netns() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		[[ $ns =~ ^xlbt([0-9]+)- ]] || continue
		pid=${BASH_REMATCH[1]}
		kill -0 "$pid" 2>/dev/null && continue
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null && echo "# integration: removed stale namespace $ns"
	done
}

tier_integration() {
	if ! compgen -G 'tests/integration/*.bats' >/dev/null; then
		echo "# integration: no bats files"
		return
	fi
	if ! command -v bats >/dev/null; then
		tap_skip "integration" "bats is not installed (make deps)"
		return
	fi
	if ! is_root; then
		tap_skip "integration" "requires root for network namespaces"
		return
	fi
	sweep_stale_netns
	RUN_TIMEOUT=$IT_TIMEOUT run_tap "integration" bats --tap tests/integration
	sweep_stale_netns
}

# Longest input each target is given (its line buffer; the control socket's request limit)
declare -A FUZZ_MAX_LEN=([ctl_fuzz]=70000 [grammar_fuzz]=4096)

# fuzz_one N NAME: runs one target for $FUZZ_TIME seconds on a scratch copy of its seed
# corpus (libFuzzer adds new inputs to that copy, never to the repo), prints one TAP line.
# Crash artifacts are kept in build/tests/fuzz/run/NAME/artifacts/.
fuzz_one() {
	local n=$1 name=$2
	local bin=$BUILD/tests/fuzz/$name seeds=tests/fuzz/corpus/${name%_fuzz}
	local run=$BUILD/tests/fuzz/run/$name log=$LOGDIR/fuzz_$name.log
	local rc runs artifact maxlen=${FUZZ_MAX_LEN[$name]:-4096}

	if [[ ! -x $bin ]]; then
		echo "not ok $n - fuzz $name: $bin was not built (make tests-build)"
		((FAILED++))
		return
	fi
	if ! { rm -rf "$run/corpus" && mkdir -p "$run/corpus" "$run/artifacts"; }; then
		echo "not ok $n - fuzz $name: cannot make $run"
		((FAILED++))
		return
	fi
	[[ -d $seeds ]] && cp -R "$seeds/." "$run/corpus/"
	echo "# fuzz $name: ${FUZZ_TIME}s, seeds from $seeds"
	timeout -k 10 $((FUZZ_TIME + 60)) "$bin" -max_total_time="$FUZZ_TIME" -max_len="$maxlen" \
		-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$run/artifacts/" \
		"$run/corpus" </dev/null >"$log" 2>&1
	rc=$?
	[[ $V == 1 ]] && cat "$log"
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	if ((rc == 0)) && [[ -n $runs ]]; then
		echo "ok $n - fuzz $name: $runs runs, no crash"
		((PASSED++))
		return
	fi
	artifact=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
	if [[ -n $artifact ]]; then
		echo "not ok $n - fuzz $name: crash input $artifact; reproduce: $bin $artifact"
	elif ((rc == 124 || rc == 137)); then
		echo "not ok $n - fuzz $name: did not finish within $((FUZZ_TIME + 60))s (log: $log)"
	else
		echo "not ok $n - fuzz $name: exited with status $rc, no crash input written (log: $log)"
	fi
	((FAILED++))
	# the sanitizer report: what crashed and where
	[[ $V == 1 ]] || grep -E '^(==[0-9]+==|SUMMARY|[^ ]*runtime error|    #[0-9] )' "$log" |
		head -n 25 | sed 's/^/#   /'
	echo "# fuzz $name: log $log"
}

tier_fuzz() {
	local status=$BUILD/tests/fuzz/libfuzzer.status src n=0 names=()

	for src in tests/fuzz/*_fuzz.c; do
		[[ -f $src ]] && names+=("$(basename "$src" .c)")
	done
	if ((${#names[@]} == 0)); then
		echo "# fuzz: no fuzz targets"
		return
	fi
	if [[ ! -f $status ]]; then
		tap_fail "fuzz: $status is missing: the fuzz targets were not configured (make tests-build)"
		return
	fi
	if [[ $(cat "$status") != ok ]]; then
		tap_skip "fuzz" "$(cat "$status")"
		return
	fi
	echo "1..${#names[@]}"
	for src in "${names[@]}"; do
		((n++))
		fuzz_one "$n" "$src"
	done
	echo "# fuzz: ${#names[@]} targets, ${FUZZ_TIME}s each"
}

TIER=${1:-all}
[[ $# -le 1 ]] || usage
case $TIER in
all) tiers=(unit bpf integration fuzz) ;;
unit | bpf | integration | fuzz) tiers=("$TIER") ;;
-h | --help | help) usage ;;
*) usage ;;
esac

mkdir -p "$LOGDIR" || exit 2
for t in "${tiers[@]}"; do
	echo "# ---- tier: $t ----"
	"tier_$t"
done

echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
((FAILED == 0))
