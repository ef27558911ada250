# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The VM test tier and the Vagrant box (tests/vm/README.md), included from the Makefile.
#   make test-vm       boot three Debian 12 VMs (QEMU), run xlb on virtio_net in them
#   make vm-image      only build (or find cached) the VM image
#   make vagrant-box   the same image as a libvirt Vagrant box, added as xlb/bookworm
# XLB_VM_KERNEL=stable (default, Debian 12's 6.1) or backports (bookworm-backports).
XLB_VM_KERNEL ?= stable

.PHONY: test-vm vm-image vagrant-box
test-vm: all
	$(Q)BUILD=$(abspath $(BUILD)) XLB_VM_KERNEL=$(XLB_VM_KERNEL) bash tests/vm/run.sh

vm-image:
	$(Q)XLB_VM_KERNEL=$(XLB_VM_KERNEL) bash tests/vm/image.sh >/dev/null

vagrant-box:
	$(Q)XLB_VM_KERNEL=$(XLB_VM_KERNEL) bash tests/vm/box.sh
