#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The manual pages and the help agree with the programs: the pages are generated
# from README.md (scripts/md2man.py, make man), every page renders without a warning,
# every object and verb `lbctl help` lists and every option `lbd --help` lists is
# in the pages, and bash completion knows them. No root needed.

load lib/assert

setup_file() {
	skip_if_missing python3 man groff || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
	export MANOUT=$BATS_FILE_TMPDIR/man
	mkdir -p "$MANOUT"
	python3 "$XLB_ROOT/scripts/md2man.py" "$XLB_ROOT/README.md" "$MANOUT"
}

# the text of a page as man renders it, 80 columns, hyphens plain, blanks squeezed
# (justified lines widen them)
page_text() {
	MANWIDTH=80 man -l "$1" 2>/dev/null | sed 's/‐/-/g; s/−/-/g' | tr -s ' '
}

@test "man pages: generated from README.md, and the check names a page that differs" {
	run -0 python3 "$XLB_ROOT/scripts/md2man.py" --check "$XLB_ROOT/README.md" "$MANOUT"
	# and the check can fail: a page that differs is named
	cp "$MANOUT"/* "$BATS_TEST_TMPDIR/"
	echo '.\" changed' >>"$BATS_TEST_TMPDIR/lbctl.8"
	run -1 python3 "$XLB_ROOT/scripts/md2man.py" --check "$XLB_ROOT/README.md" "$BATS_TEST_TMPDIR"
	[[ $output == *"lbctl.8 is not what README.md gives: run \`make man\`"* ]] || fail "$output"
}

@test "man pages: render without warnings (man --warnings, groff -ww)" {
	local f
	for f in lbd.8 lbctl.8 xlb.conf.5; do
		run --separate-stderr -0 env MANWIDTH=80 man --warnings -l "$MANOUT/$f"
		assert_equal "$stderr" "" "man --warnings $f"
		((${#lines[@]} > 20)) || fail "$f renders to ${#lines[@]} lines"
		run --separate-stderr -0 groff -man -ww -z "$MANOUT/$f"
		assert_equal "$stderr" "" "groff -ww $f"
	done
	run -0 page_text "$MANOUT/lbd.8"
	[[ ${lines[0]} == "LBD(8)"*"LBD(8)" ]] || fail "header: ${lines[0]}"
	[[ $output == *"NAME"*"lbd - the xlb agent"*"SYNOPSIS"*"OPTIONS"*"EXIT STATUS"*"SEE ALSO"* ]] ||
		fail "lbd.8 sections"
	run -0 page_text "$MANOUT/xlb.conf.5"
	[[ $output == *"XLB.CONF(5)"*"NAME"*"xlb.conf - configuration and state file format"*"/etc/xlb/xlb.conf"* ]] ||
		fail "xlb.conf.5: $output"
}

@test "lbctl(8) covers every object and verb of lbctl help" {
	local text help obj verbs v missing=()
	text=$(page_text "$MANOUT/lbctl.8")
	help=$("$XLB_ROOT/build/lbctl" help)
	# OBJECT := { vip | backend | ... }, over one or more lines
	local objects
	objects=$(sed -n '/^OBJECT := {/,/}/p' <<<"$help" | tr -d '{}|' | sed 's/OBJECT :=//' | xargs)
	[[ $objects == *vip*backend*decap* ]] || fail "cannot read the objects: $objects"
	for obj in $objects show batch apply version; do
		# the verbs: "lbctl OBJ VERB" and "lbctl OBJ { VERB | VERB }" in its help
		verbs=$("$XLB_ROOT/build/lbctl" "$obj" help | grep -oE "lbctl (\[ [^]]* \] )*$obj( \{ [a-z| -]+ \}| [a-z][a-z-]*)?" |
			sed -E "s/^lbctl (\[ [^]]* \] )*$obj ?//; s/[{}|]/ /g" | xargs -n1 | sort -u)
		grep -qE "lbctl( \[ [A-Z]+ \])* $obj\b" <<<"$text" || missing+=("$obj")
		for v in $verbs; do
			[[ $v =~ ^[a-z] ]] || continue
			grep -qE "lbctl( \[ [A-Z]+ \])* $obj( \{[^}]*)?( \| | | \{ | \[ )$v\b" <<<"$text" ||
				missing+=("$obj $v")
		done
	done
	((${#missing[@]} == 0)) || fail "not in lbctl(8): ${missing[*]}"
}

@test "lbd(8) covers every option of lbd --help" {
	local text opt missing=()
	text=$(page_text "$MANOUT/lbd.8")
	for opt in $("$XLB_ROOT/build/lbd" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
		grep -qF -- "$opt" <<<"$text" || missing+=("$opt")
	done
	((${#missing[@]} == 0)) || fail "not in lbd(8): ${missing[*]}"
}

@test "bash completion: every object of lbctl help, apply --dry-run, files after it" {
	skip_if_missing bash || return 0
	local objects
	objects=$("$XLB_ROOT/build/lbctl" help | sed -n '/^OBJECT := {/,/}/p' | tr -d '{}|' |
		sed 's/OBJECT :=//' | xargs)
	run -0 bash -c '
		source "$1"
		complete_words() { # LINE: what <TAB> offers at its end
			COMP_LINE=$1 COMP_POINT=${#1}
			read -ra COMP_WORDS <<<"$1"
			[[ $1 == *" " ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMPREPLY=()
			_lbctl 2>/dev/null
			printf "%s\n" "${COMPREPLY[@]}"
		}
		echo "objects: $(complete_words "lbctl " | xargs)"
		echo "dry: $(complete_words "lbctl apply --d" | xargs)"
		cd "$2" && touch xlb-test.conf
		echo "file: $(complete_words "lbctl apply --dry-run xlb-t" | xargs)"
	' _ "$XLB_ROOT/scripts/lbctl.bash-completion" "$BATS_TEST_TMPDIR"
	local o
	for o in $objects show batch apply version; do
		[[ ${lines[0]} == *" $o"* ]] || fail "completion misses $o: ${lines[0]}"
	done
	assert_equal "${lines[1]}" "dry: --dry-run"
	assert_equal "${lines[2]}" "file: xlb-test.conf"
}
