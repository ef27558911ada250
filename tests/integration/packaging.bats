#!/usr/bin/env bats
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Installing xlb: the systemd unit passes `systemd-analyze verify` (its man:
# references resolve to our pages), `make install` puts every file where its
# consumer looks (PREFIX, DESTDIR, never over an edited config), and `make deb`
# builds a package with the right files, conffiles and Depends. No root needed;
# nothing is installed on this machine.

load lib/assert

setup_file() {
	skip_if_missing make install sed || return 0
	skip_if_no_build build/lbd build/lbctl || return 0
}

# the unit as `make install` writes it, into $1, for binaries in $2
unit_for() {
	sed -e "s|@SBINDIR@|$2|g" -e 's|@DEFAULTDIR@|/etc/default|g' \
		"$XLB_ROOT/packaging/systemd/lbd.service.in" >"$1/lbd.service"
}

@test "systemd unit: systemd-analyze verify is clean, man: references included" {
	command -v systemd-analyze >/dev/null ||
		skip "systemd-analyze is not installed (Debian package 'systemd')"
	local d=$BATS_TEST_TMPDIR
	unit_for "$d" "$XLB_ROOT/build"
	# Documentation=man:lbd(8)...: verify runs man; give it our pages
	mkdir -p "$d/man/man8" "$d/man/man5"
	python3 "$XLB_ROOT/scripts/md2man.py" "$XLB_ROOT/README.md" "$d/man"
	mv "$d"/man/*.8 "$d/man/man8/"
	mv "$d/man/xlb.conf.5" "$d/man/man5/"
	run --separate-stderr -0 env MANPATH="$d/man" systemd-analyze verify "$d/lbd.service"
	# verify exits 0 on mere warnings ("Unknown key name", "Failed to parse"): none allowed
	assert_equal "$stderr" "" "systemd-analyze verify"
	# and it does see mistakes: a misspelt directive is reported
	sed -i 's/^ProtectSystem=strict/ProtectSystem=strcit/' "$d/lbd.service"
	run --separate-stderr env MANPATH="$d/man" systemd-analyze verify "$d/lbd.service"
	[[ $stderr == *"lbd.service:"*"strcit"* ]] || fail "a bad value went unnoticed: $stderr"
}

@test "systemd unit: notify type, reload, restart policy, the capabilities lbd needs" {
	local u=$XLB_ROOT/packaging/systemd/lbd.service.in
	grep -qx 'Type=notify' "$u"
	grep -qx 'ExecReload=@SBINDIR@/lbctl -S /run/xlb/lbd.sock agent reload' "$u"
	grep -qx 'Restart=on-failure' "$u"
	grep -qx 'CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW CAP_CHOWN' "$u"
	grep -qx 'ReadWritePaths=/sys/fs/bpf' "$u"
	grep -qx 'ProtectSystem=strict' "$u"
	grep -qx 'StateDirectory=xlb' "$u"
	grep -qx 'RuntimeDirectory=xlb' "$u"
	# the paths the unit relies on are lbd's defaults
	run -0 "$XLB_ROOT/build/lbd" --help
	[[ $output == *"/var/lib/xlb/state.conf"* && $output == *"/run/xlb/lbd.sock"* &&
		$output == *"/sys/fs/bpf/xlb"* ]] || fail "lbd's defaults changed: $output"
}

@test "make install: PREFIX and DESTDIR, completion where bash-completion looks, config kept" {
	local root=$BATS_TEST_TMPDIR/root f
	run -0 make -s -C "$XLB_ROOT" install DESTDIR="$root" PREFIX=/usr
	for f in usr/sbin/lbd usr/sbin/lbctl usr/share/man/man8/lbd.8 usr/share/man/man8/lbctl.8 \
		usr/share/man/man5/xlb.conf.5 usr/share/bash-completion/completions/lbctl \
		usr/lib/systemd/system/lbd.service etc/xlb/xlb.conf etc/default/lbd; do
		[[ -f $root/$f ]] || fail "not installed: /$f"
	done
	[[ -x $root/usr/sbin/lbd ]] || fail "lbd not executable"
	grep -qx 'ExecStart=/usr/sbin/lbd --config /etc/xlb/xlb.conf $LBD_OPTS' \
		"$root/usr/lib/systemd/system/lbd.service" || fail "unit paths"
	run -0 env MANPATH="$root/usr/share/man" man -w lbctl
	assert_equal "$output" "$root/usr/share/man/man8/lbctl.8"
	# the example config is valid, and an edited one survives a reinstall
	run -0 "$root/usr/sbin/lbd" --check-config "$root/etc/xlb/xlb.conf"
	echo "vip add 203.0.113.10:80/tcp" >"$root/etc/xlb/xlb.conf"
	run -0 make -s -C "$XLB_ROOT" install DESTDIR="$root" PREFIX=/usr
	assert_equal "$(cat "$root/etc/xlb/xlb.conf")" "vip add 203.0.113.10:80/tcp"
	run -0 make -s -C "$XLB_ROOT" uninstall DESTDIR="$root" PREFIX=/usr
	[[ ! -e $root/usr/sbin/lbd && ! -e $root/usr/share/man/man8/lbctl.8 &&
		-e $root/etc/xlb/xlb.conf ]] || fail "uninstall: $(find "$root" -type f)"
	# the default PREFIX is /usr/local, and make help mentions install
	run -0 make -s -C "$XLB_ROOT" install DESTDIR="$BATS_TEST_TMPDIR/local"
	[[ -f $BATS_TEST_TMPDIR/local/usr/local/share/bash-completion/completions/lbctl ]] ||
		fail "completion under /usr/local"
	run -0 make -s -C "$XLB_ROOT" help
	[[ $output == *"install "*"PREFIX"*"DESTDIR"* && $output == *"deb "* ]] || fail "$output"
}

@test "make deb: files, conffiles, Depends from the shared libraries, runnable lbctl" {
	command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null ||
		skip "dpkg-deb or dpkg-shlibdeps is missing (Debian package 'dpkg-dev')"
	run --separate-stderr -0 make -s -C "$XLB_ROOT" deb
	local deb=$XLB_ROOT/${lines[-1]}
	[[ -f $deb ]] || fail "no package: $output / $stderr"
	run -0 dpkg-deb -c "$deb"
	local f
	for f in ./usr/sbin/lbd ./usr/sbin/lbctl ./lib/systemd/system/lbd.service \
		./usr/share/man/man8/lbd.8.gz ./usr/share/man/man8/lbctl.8.gz \
		./usr/share/man/man5/xlb.conf.5.gz ./usr/share/bash-completion/completions/lbctl \
		./etc/xlb/xlb.conf ./etc/default/lbd ./usr/share/doc/xlb/copyright; do
		grep -qE " $f\$" <<<"$output" || fail "not in the package: $f"
	done
	# owned by root, whoever built it
	run -0 bash -c "dpkg-deb -c '$deb' | awk '\$2 != \"root/root\"'"
	assert_equal "$output" ""
	run -0 dpkg-deb -f "$deb" Package Version Architecture Depends
	[[ $output == *"Package: xlb"* && $output == *"Architecture: $(dpkg --print-architecture)"* ]] ||
		fail "$output"
	local lib
	for lib in libbpf1 libjson-c5 libc6; do
		[[ $output == *"Depends:"*"$lib"* ]] || fail "Depends lacks $lib: $output"
	done
	if grep -q '^SYSTEMD_LDLIBS := -l' "$XLB_ROOT/build/config.mk"; then
		[[ $output == *libsystemd0* ]] || fail "Depends lacks libsystemd0: $output"
	fi
	run -0 bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles"
	assert_equal "$output" "/etc/default/lbd
/etc/xlb/xlb.conf"
	# what it holds runs, and its man pages render
	local x=$BATS_TEST_TMPDIR/x
	dpkg-deb -x "$deb" "$x"
	run -0 "$x/usr/sbin/lbctl" --version
	[[ ${lines[0]} == "lbctl "* ]] || fail "$output"
	run --separate-stderr -0 env MANWIDTH=80 man --warnings -l "$x/usr/share/man/man8/lbctl.8.gz"
	assert_equal "$stderr" ""
}
