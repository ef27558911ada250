# shellcheck shell=bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers shared by tests/vm/*.sh (sourced, bash).

# say MSG...: a progress line on stderr (stdout is kept for results)
say() { printf 'vm: %s\n' "$*" >&2; }
die() {
	printf 'vm: error: %s\n' "$*" >&2
	exit 1
}

# now_ms: milliseconds since the epoch
now_ms() { date +%s%3N; }

# secs START_MS: seconds elapsed since START_MS, one decimal
secs() {
	local d=$(($(now_ms) - $1))
	printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

# need_pkgs PKG...: installs the Debian packages that are missing (root)
need_pkgs() {
	local pkg missing=() log
	for pkg in "$@"; do
		[[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] ||
			missing+=("$pkg")
	done
	((${#missing[@]})) || return 0
	[[ $(id -u) -eq 0 ]] || die "missing packages: ${missing[*]} (run as root to install them)"
	say "installing ${missing[*]}"
	log=$(mktemp "${TMPDIR:-/tmp}/xlb-vm-apt.XXXXXX")
	if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
		tail -n 20 "$log" >&2
		rm -f "$log"
		die "apt-get failed installing ${missing[*]}"
	fi
	rm -f "$log"
}

# kvm_works VMLINUZ: KVM can run this kernel. /dev/kvm may exist and open, yet run only
# kernels built for its paravirtual flavour (a stock kernel stops in its real-mode
# setup, before "Linux version"), so boot VMLINUZ with KVM for a few seconds and look
# for the kernel's first console line.
kvm_works() {
	local out rc
	[[ -r /dev/kvm && -w /dev/kvm ]] || return 1
	out=$(mktemp "${TMPDIR:-/tmp}/xlb-kvm.XXXXXX")
	timeout 5 qemu-system-x86_64 -accel kvm -m 256 -display none -nodefaults -no-user-config \
		-no-reboot -kernel "$1" -append "console=ttyS0 panic=-1" -serial "file:$out" \
		</dev/null >/dev/null 2>&1
	grep -q "Linux version" "$out"
	rc=$?
	rm -f "$out"
	return "$rc"
}
