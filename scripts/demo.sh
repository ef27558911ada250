#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make demo`: until the agent (lbd) exists, the demo is the benchmark. Prints
# what it is about to do, then runs `bench/run.sh --quick` (about 30 s, root).
# Ctrl-C stops it; bench/run.sh removes its namespaces on any exit.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' R=$'\e[0m'
else
	B='' D='' R=''
fi

# Ctrl-C reaches the whole foreground process group: the benchmark binary stops,
# bench/run.sh's own trap deletes the namespaces, then this trap reports it.
# shellcheck disable=SC2317 # invoked by the trap
on_int() {
	trap - INT TERM
	echo
	echo "${B}demo: interrupted${R}; the benchmark stopped and its namespaces were removed"
	exit 130
}
trap on_int INT TERM

cat <<EOF

${B}xlb demo: the XDP data plane, measured${R}
${D}(the agent lbd is not written yet, so the demo is the benchmark)${R}

  1. ns per packet of xlb_xdp by BPF_PROG_TEST_RUN for five paths -- established
     TCP flow, new flow into a full 4M-entry flow table, UDP, IPv6, non-VIP --
     against a program that only returns XDP_TX, each run proven by xlb's counters
  2. Mpps forwarded on a veth pair between two throw-away namespaces, xlb_xdp
     against the same XDP_TX-only program, alternated round by round
  3. a table against Katran (100 backends) on this machine kind, with the targets

  Setup: 100 backends per VIP, IPIP, Maglev ring M=65537. Root needed; about 30 s.

EOF

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: the benchmark needs root (BPF_PROG_TEST_RUN, XDP, namespaces): sudo make demo" >&2
	exit 1
fi

bash bench/run.sh --quick
rc=$?
echo
if [ "$rc" -eq 0 ]; then
	echo "${B}demo: done${R}. Full run: bench/run.sh (about 85 s); method: bench/README.md"
else
	echo "${B}demo: the benchmark failed (exit $rc)${R}; see the messages above" >&2
fi
exit "$rc"
