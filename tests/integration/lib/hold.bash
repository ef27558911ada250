# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Long-lived client connections for the bats suites: open one, read which
# backend answered, let it talk once more and close it (its FIN ends the flow).
# Load after lib/assert and lib/topo.

# hold_open NAME ADDR PORT: a connection from the client namespace that stays
# open; fails unless its first answer arrives within 5 s
hold_open() {
	local d=$BATS_TEST_TMPDIR
	topo_exec client python3 "$XLB_ROOT/tests/integration/lib/xlb_client.py" hold "$2" "$3" \
		"$d/gate.$1" >"$d/hold.$1" 2>&1 3>&- &
	echo $! >"$d/hold.$1.pid"
	for _ in $(seq 50); do
		[[ -s $d/hold.$1 ]] && return 0
		sleep 0.1
	done
	fail "held connection $1 to $2:$3 got no answer: $(cat "$d/hold.$1")"
}

# hold_answer NAME N: the backend that gave the connection's Nth answer
hold_answer() {
	sed -n "$2p" "$BATS_TEST_TMPDIR/hold.$1"
}

# hold_close NAME: one more exchange, then close; fails if the connection broke
hold_close() {
	local d=$BATS_TEST_TMPDIR
	touch "$d/gate.$1"
	wait "$(cat "$d/hold.$1.pid")" || fail "held connection $1 broke: $(cat "$d/hold.$1")"
}

# hold_once ADDR PORT: the backend a new, short connection reaches
hold_once() {
	topo_exec client python3 "$XLB_ROOT/tests/integration/lib/xlb_client.py" hold "$1" "$2" \
		/dev/null | head -n 1
}
