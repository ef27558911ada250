#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# PID 1 of a test VM after xlb-vm-init (tests/vm/image-init) has mounted this share on
# /xlb: loads the drivers, then serves tests/vm/run.sh's commands (guest/agent.py) on
# the virtio-serial port "xlb.ctl". Everything else (addresses, programs, servers) is
# done by run.sh through that port. Output goes to the serial console (ttyS0), which
# run.sh keeps in its run directory.
exec </dev/null >/dev/console 2>&1
export PATH=/xlb/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

modprobe virtio_net
modprobe virtio_console
ip link set lo up
mkdir -p /run/xlb /var/lib/xlb
echo "xlb-guest: $(hostname) up, kernel $(uname -r), $(nproc) CPU"

python3 /xlb/guest/agent.py &
# PID 1 reaps every orphan (servers and lbd started in the background)
while :; do
	wait -n 2>/dev/null || sleep 1
done
