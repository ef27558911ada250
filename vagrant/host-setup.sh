#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Makes this host ready for `vagrant up` with the libvirt provider (root; idempotent).
# `make vagrant-box` runs it. On a Debian 12 host:
#   - installs vagrant, vagrant-libvirt, libvirt, QEMU and dnsmasq (the management
#     network's DHCP) if missing (apt);
#   - makes /dev/kvm group kvm, mode 0660, as udev does on a normal host: libvirt
#     probes QEMU as its own user, and without access it probes again (30 s) on every
#     connection;
#   - starts virtlogd and libvirtd if they do not answer: systemd starts them on demand,
#     but in a container or a CI runner PID 1 is something else;
#   - defines the storage pool `default` (/var/lib/libvirt/images), where
#     vagrant-libvirt keeps boxes and disks, if it is missing.
set -euo pipefail

say() { echo "host-setup: $*" >&2; }
die() {
	echo "host-setup: error: $*" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "run as root"

missing=()
for p in vagrant vagrant-libvirt libvirt-daemon-system qemu-system-x86 qemu-utils dnsmasq-base; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	say "installing ${missing[*]}"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"; } >/dev/null </dev/null ||
		die "apt-get failed"
fi

if [[ -e /dev/kvm ]]; then
	chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi

if ! virsh -c qemu:///system -q version >/dev/null 2>&1; then
	if [[ $(cat /proc/1/comm 2>/dev/null) == systemd ]]; then
		systemctl start virtlogd.socket libvirtd.socket libvirtd.service
	else
		say "starting virtlogd and libvirtd (PID 1 is not systemd)"
		pgrep -x virtlogd >/dev/null || virtlogd -d
		pgrep -x libvirtd >/dev/null || libvirtd -d
	fi
	for _ in $(seq 60); do
		virsh -c qemu:///system -q version >/dev/null 2>&1 && break
		sleep 0.5
	done
	virsh -c qemu:///system -q version >/dev/null 2>&1 || die "libvirtd does not answer"
fi

if ! virsh -c qemu:///system -q pool-info default >/dev/null 2>&1; then
	say "defining the storage pool 'default' in /var/lib/libvirt/images"
	virsh -c qemu:///system -q pool-define-as default dir --target /var/lib/libvirt/images >/dev/null
	virsh -c qemu:///system -q pool-build default >/dev/null 2>&1 || true
	virsh -c qemu:///system -q pool-autostart default >/dev/null
fi
if [[ $(virsh -c qemu:///system -q pool-info default) != *State:*running* ]]; then
	virsh -c qemu:///system -q pool-start default >/dev/null
fi
say "libvirt ready ($(virsh -c qemu:///system -q version 2>/dev/null | awk '/Running hypervisor/ { print $3, $4 }'))"
