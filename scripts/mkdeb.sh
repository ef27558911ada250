#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Builds build/xlb_<version>_<arch>.deb from an already built tree (`make deb` runs
# `make all` first), with dpkg-deb and no network: the binaries (stripped), the
# systemd unit, the man pages, bash completion, /etc/xlb/xlb.conf and
# /etc/default/lbd as conffiles. Depends comes from dpkg-shlibdeps, which reads the
# shared libraries the binaries link against.
# Environment: BUILD (default build), XLB_DEB_MAINTAINER (Maintainer field).
# Prints the path of the package on its last line.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MAINTAINER=${XLB_DEB_MAINTAINER:-xlb maintainers <xlb@localhost>}

die() {
	echo "mkdeb: $*" >&2
	exit 1
}

for tool in dpkg-deb dpkg-shlibdeps strip; do
	command -v "$tool" >/dev/null || die "$tool not found: install 'dpkg-dev' (make deps)"
done
for f in "$BUILD/lbd" "$BUILD/lbctl"; do
	[[ -x $f ]] || die "$f is not built (make)"
done

version=$(sed -n 's/^#define XLB_VERSION "\(.*\)"$/\1/p' userspace/agent/control/agent.h)
[[ -n $version ]] || die "no XLB_VERSION in userspace/agent/control/agent.h"
arch=$(dpkg --print-architecture)
work=$BUILD/deb
root=$work/debian/xlb
deb=$BUILD/xlb_${version}_${arch}.deb

rm -rf "$work"
mkdir -p "$root"
# Debian 12 paths: /usr/sbin, and units in /lib/systemd/system as debhelper puts them
make --no-print-directory -s install DESTDIR="$PWD/$root" PREFIX=/usr \
	UNITDIR=/lib/systemd/system >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$root/usr/sbin/lbd" "$root/usr/sbin/lbctl"
gzip -9n "$root"/usr/share/man/man*/*
doc=$root/usr/share/doc/xlb
mkdir -p "$doc"
cat >"$doc/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: xlb

Files: *
License: GPL-2.0-only or BSD-2-Clause
 xlb is dual-licensed: the GNU General Public License version 2 only, or the
 BSD 2-Clause license, at your option (SPDX: GPL-2.0-only OR BSD-2-Clause).
 On Debian systems the GPL version 2 is in /usr/share/common-licenses/GPL-2
 and the BSD license in /usr/share/common-licenses/BSD.
EOF

# Depends: dpkg-shlibdeps wants a debian/control to exist; a minimal one will do
mkdir -p "$work/debian"
printf 'Source: xlb\n\nPackage: xlb\nArchitecture: any\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O debian/xlb/usr/sbin/lbd debian/xlb/usr/sbin/lbctl |
	sed -n 's/^shlibs:Depends=//p')
[[ -n $depends ]] || die "dpkg-shlibdeps found no shared libraries"

mkdir -p "$root/DEBIAN"
# shellcheck disable=SC2016 # the scripts expand their own variables
{
	printf '#!/bin/sh\nset -e\n'
	printf '# a new or changed lbd.service: systemd must re-read its units\n'
	printf 'if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi\n'
} >"$root/DEBIAN/postinst"
cp "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: xlb
Version: $version
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $size
Depends: $depends
Recommends: bpftool
Suggests: bash-completion
Section: net
Priority: optional
Description: XDP L4 load balancer: agent lbd and CLI lbctl
 xlb forwards TCP and UDP traffic for virtual services to backends from the
 kernel's XDP hook, with sticky flows, weighted Maglev consistent hashing,
 health checks and circuit breakers, source policy and rate limits, and
 IP-in-IP, GUE or L2 direct server return. lbd runs as a systemd service
 (lbd.service; set the interfaces in /etc/default/lbd); lbctl controls it.
EOF
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "mkdeb: built $deb ($(du -k "$deb" | cut -f1) KiB, Depends: $depends)" >&2
echo "$deb"
