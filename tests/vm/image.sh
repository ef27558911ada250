#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Builds the Debian 12 VM image of the VM test tier and of the Vagrant box from Debian's
# packages alone, and caches it outside the repository.
#
# Usage: tests/vm/image.sh          (root) prints the image's directory on stdout
#
#   XLB_VM_KERNEL  stable (default): Debian 12's own kernel (linux-image-amd64, 6.1);
#                  backports: the newer one of bookworm-backports
#   XLB_VM_CACHE   cache directory (default /var/cache/xlb/vm)
#   XLB_VM_MIRROR  Debian mirror (default http://deb.debian.org/debian; the security
#                  archive is XLB_VM_SECURITY_MIRROR, default .../debian-security)
#
# The image is keyed by a digest of its inputs: this script, tests/vm/packages,
# tests/vm/image-init and the kernel flavour. When the digest's directory exists it is
# used as it is; otherwise the image is built (about 2-3 minutes) and older images of
# the same flavour are removed. The directory holds:
#   disk.qcow2     one ext4 filesystem without a partition table, bootable by extlinux
#                  (root=/dev/vda); the VM tier boots it directly with:
#   vmlinuz, initrd.img, kernel-release   the image's kernel
#   vagrant_key, vagrant_key.pub          the key of the image's `vagrant` user
#   packages.txt   name and version of every installed package
#   inputs         what the digest was computed from
#
# Contents: the packages of tests/vm/packages and the kernel; root without password on
# the console; a `vagrant` user (sudo without password, the key above); systemd-networkd
# with DHCP on eth0 (net.ifnames=0); /usr/local/sbin/xlb-vm-init (tests/vm/image-init).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/vm/lib.sh
. "$HERE/lib.sh"

KERNEL=${XLB_VM_KERNEL:-stable}
CACHE=${XLB_VM_CACHE:-/var/cache/xlb/vm}
MIRROR=${XLB_VM_MIRROR:-http://deb.debian.org/debian}
SECURITY=${XLB_VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
IMAGE_SIZE=4G # sparse: the qcow2 holds only what is used (~0.8 GiB)

suites=("$SUITE" "$SUITE-updates" "$SUITE-security")
case $KERNEL in
stable) kpkg=linux-image-amd64 ;;
backports)
	suites+=("$SUITE-backports")
	kpkg=linux-image-amd64/$SUITE-backports
	;;
*) die "XLB_VM_KERNEL must be stable or backports, not '$KERNEL'" ;;
esac

[[ $(id -u) -eq 0 ]] || die "building the image needs root (mmdebstrap, loop mount)"

pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$HERE/packages" | tr -s ' \t\n' ' ')
inputs=$(
	echo "suites: ${suites[*]}"
	echo "kernel: $kpkg"
	echo "size: $IMAGE_SIZE"
	sha256sum "$HERE/image.sh" "$HERE/packages" "$HERE/image-init" | sed "s|$HERE/||"
)
digest=$(sha256sum <<<"$inputs" | cut -c1-16)
OUT=$CACHE/$KERNEL-$digest

if [[ -f $OUT/disk.qcow2 ]]; then
	say "image: cached $OUT"
	echo "$OUT"
	exit 0
fi

need_pkgs mmdebstrap e2fsprogs qemu-utils extlinux
mkdir -p "$CACHE"
# one build per flavour at a time; a second caller waits and then finds it cached
exec 9>"$CACHE/.lock-$KERNEL"
flock 9
if [[ -f $OUT/disk.qcow2 ]]; then
	echo "$OUT"
	exit 0
fi

t0=$(now_ms)
WORK=$(mktemp -d "$CACHE/.build-$KERNEL.XXXXXX")
MNT=$WORK/mnt
cleanup() {
	mountpoint -q "$MNT" 2>/dev/null && umount "$MNT"
	rm -rf "$WORK"
}
trap cleanup EXIT
ROOT=$WORK/root
mkdir -p "$ROOT" "$MNT"

say "image: building $KERNEL-$digest (mmdebstrap $SUITE, kernel $kpkg; log in $WORK/build.log)"
src=()
for s in "${suites[@]}"; do
	if [[ $s == *-security ]]; then
		src+=("deb $SECURITY $s main")
	else
		src+=("deb $MIRROR $s main")
	fi
done
# shellcheck disable=SC2086 # $pkgs is a word list
if ! mmdebstrap --mode=root --variant=minbase --format=directory \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$(echo $pkgs | tr ' ' ','),$kpkg" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
	"$SUITE" "$ROOT" "${src[@]}" >"$WORK/build.log" 2>&1 </dev/null; then
	tail -n 30 "$WORK/build.log" >&2
	die "mmdebstrap failed"
fi
say "image: mmdebstrap done in $(secs "$t0") s"

# --- configure the root ---------------------------------------------------------------
kver=$(find "$ROOT/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
[[ -f $ROOT/boot/vmlinuz-$kver && -f $ROOT/boot/initrd.img-$kver ]] ||
	die "no kernel or initrd for $kver in the image"
echo xlb >"$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\txlb\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
	>"$ROOT/etc/hosts"
echo "/dev/vda / ext4 errors=remount-ro 0 1" >"$ROOT/etc/fstab"
chroot "$ROOT" passwd -q -d root
install -m 0755 "$HERE/image-init" "$ROOT/usr/local/sbin/xlb-vm-init"

# Vagrant: a sudoer with its own key (not Vagrant's shared insecure one); the box
# names it in its Vagrantfile (tests/vm/box.sh)
chroot "$ROOT" useradd -m -s /bin/bash vagrant
chroot "$ROOT" passwd -q -d vagrant
echo 'vagrant ALL=(ALL) NOPASSWD: ALL' >"$ROOT/etc/sudoers.d/vagrant"
chmod 0440 "$ROOT/etc/sudoers.d/vagrant"
chroot "$ROOT" ssh-keygen -q -t ed25519 -N '' -C xlb-vagrant -f /root/vagrant_key
mv "$ROOT/root/vagrant_key" "$ROOT/root/vagrant_key.pub" "$WORK/"
install -d -m 0700 -o 1000 -g 1000 "$ROOT/home/vagrant/.ssh"
install -m 0600 -o 1000 -g 1000 "$WORK/vagrant_key.pub" "$ROOT/home/vagrant/.ssh/authorized_keys"
echo "UseDNS no" >"$ROOT/etc/ssh/sshd_config.d/xlb.conf"

# networking for Vagrant: DHCP on the first NIC (its management network); Vagrant adds
# its own .network files for the private networks
cat >"$ROOT/etc/systemd/network/10-eth0.network" <<'EOF'
[Match]
Name=eth0

[Network]
DHCP=ipv4
EOF
chroot "$ROOT" systemctl -q enable systemd-networkd
# nothing periodic in a lab VM
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
	chroot "$ROOT" systemctl -q mask "$u" 2>/dev/null || true
done

# extlinux (for Vagrant/libvirt, which boot from the disk)
mkdir -p "$ROOT/boot/extlinux"
cat >"$ROOT/boot/extlinux/extlinux.conf" <<EOF
DEFAULT debian
TIMEOUT 0
LABEL debian
	KERNEL /boot/vmlinuz-$kver
	INITRD /boot/initrd.img-$kver
	APPEND root=/dev/vda rw console=tty0 console=ttyS0,115200 net.ifnames=0
EOF

# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
chroot "$ROOT" dpkg-query -W -f='${Package} ${Version}\n' >"$WORK/packages.txt"
cp "$ROOT/boot/vmlinuz-$kver" "$WORK/vmlinuz"
cp "$ROOT/boot/initrd.img-$kver" "$WORK/initrd.img"
echo "$kver" >"$WORK/kernel-release"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/log/*.log

# --- filesystem image -------------------------------------------------------------------
# A bare ext4 filesystem (no partition table: loop partitions cannot be mapped on every
# host). syslinux cannot boot ext4 with the 64bit feature.
t1=$(now_ms)
mkfs.ext4 -q -F -L xlbroot -O ^64bit -E root_owner=0:0 -d "$ROOT" "$WORK/disk.raw" "$IMAGE_SIZE" \
	>>"$WORK/build.log" 2>&1 || die "mkfs.ext4 failed"
rm -rf "$ROOT"
mount -o loop "$WORK/disk.raw" "$MNT"
extlinux --install "$MNT/boot/extlinux" >>"$WORK/build.log" 2>&1 || die "extlinux failed"
umount "$MNT"
qemu-img convert -f raw -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2"
rm -f "$WORK/disk.raw"
say "image: filesystem and qcow2 in $(secs "$t1") s"

echo "$inputs" >"$WORK/inputs"
rmdir "$MNT"
# publish, then remove older images of this flavour
chmod 0755 "$WORK"
mv "$WORK" "$OUT"
trap - EXIT
for old in "$CACHE/$KERNEL"-*; do
	[[ $old == "$OUT" ]] || rm -rf "$old"
done
say "image: built $OUT in $(secs "$t0") s ($(du -sh --apparent-size "$OUT/disk.qcow2" | cut -f1) qcow2, kernel $kver)"
echo "$OUT"
