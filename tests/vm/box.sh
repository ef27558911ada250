#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make vagrant-box`: the VM tier's image (tests/vm/image.sh) as a Vagrant box for the
# libvirt provider, added to Vagrant as xlb/bookworm (XLB_VM_KERNEL=backports:
# xlb/bookworm-backports). vagrant/Vagrantfile uses it.
#
# Usage: tests/vm/box.sh     (root: it may build the image and install packages)
#
# A libvirt box is a tar of the disk (box.img, qcow2), metadata.json and a Vagrantfile
# with the box's defaults: here the `vagrant` user's own key (made with the image; not
# Vagrant's shared insecure key) and no /vagrant synced folder. The box records the
# image's digest: when the box Vagrant has is of the same image, nothing is done.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/vm/lib.sh
. "$HERE/lib.sh"

KERNEL=${XLB_VM_KERNEL:-stable}
case $KERNEL in
stable) BOX=xlb/bookworm ;;
backports) BOX=xlb/bookworm-backports ;;
*) die "XLB_VM_KERNEL must be stable or backports, not '$KERNEL'" ;;
esac

t0=$(now_ms)
IMG=$(bash "$HERE/image.sh")
digest=${IMG##*/}
bash "$HERE/../../vagrant/host-setup.sh"
# the box's default libvirt driver: kvm where KVM really runs the image's kernel
driver=qemu
kvm_works "$IMG/vmlinuz" && driver=kvm

export VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_BOX_UPDATE_CHECK_DISABLE=1 VAGRANT_NO_COLOR=1
box_dir=${VAGRANT_HOME:-$HOME/.vagrant.d}/boxes/${BOX//\//-VAGRANTSLASH-}/0/libvirt
if grep -qs "\"xlb_image\": \"$digest\", \"xlb_driver\": \"$driver\"" "$box_dir/metadata.json"; then
	say "box: $BOX is already image $digest (driver $driver)"
	exit 0
fi

STAGE=$(mktemp -d "${TMPDIR:-/var/tmp}/xlb-box.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
# compressed: the box is ~40% of the image's size; writes go to each VM's overlay
qemu-img convert -c -O qcow2 "$IMG/disk.qcow2" "$STAGE/box.img"
vsize=$(qemu-img info --output=json "$IMG/disk.qcow2" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')
cat >"$STAGE/metadata.json" <<EOF
{"provider": "libvirt", "format": "qcow2", "virtual_size": $((vsize / 1024 / 1024 / 1024)), "xlb_image": "$digest", "xlb_driver": "$driver"}
EOF
install -m 0600 "$IMG/vagrant_key" "$STAGE/vagrant_key"
cat >"$STAGE/Vagrantfile" <<EOF
# Defaults of the xlb box (tests/vm/box.sh): a Debian 12 image built from Debian's
# packages, whose \`vagrant\` user has its own key, shipped here. The driver is what
# worked on the machine that built the box: kvm, or qemu (software emulation) where
# /dev/kvm is missing or cannot run a stock kernel.
Vagrant.configure("2") do |config|
  config.ssh.username = "vagrant"
  config.ssh.private_key_path = File.expand_path("vagrant_key", File.dirname(__FILE__))
  config.ssh.insert_key = false
  config.vm.synced_folder ".", "/vagrant", disabled: true
  config.vm.provider :libvirt do |lv|
    lv.driver = "$driver"
    lv.disk_bus = "virtio"
  end
end
EOF
tar -C "$STAGE" -cf "$STAGE/xlb.box" box.img metadata.json vagrant_key Vagrantfile
rm -f "$STAGE/box.img"

vagrant box add --force --name "$BOX" "$STAGE/xlb.box" >&2
# vagrant-libvirt copies a box into its storage pool on first use, under a name with
# the box's date: a replaced box gets a new copy, and the old one stays for the VMs
# still made from it. Name them; delete them once those VMs are destroyed.
old=$(virsh -c qemu:///system -q vol-list --pool default 2>/dev/null |
	awk -v p="${BOX//\//-VAGRANTSLASH-}_vagrant_box_image_" 'index($1, p) == 1 { print $1 }')
if [[ -n $old ]]; then
	say "box: pool copies of earlier $BOX boxes, to delete once no VM uses them" \
		"(virsh -c qemu:///system vol-delete --pool default NAME):" "${old//$'\n'/ }"
fi
say "box: $BOX added ($(du -h "$STAGE/xlb.box" | cut -f1), image $digest) in $(secs "$t0") s"
