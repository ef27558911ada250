#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Provisions one VM of the xlb lab (vagrant/Vagrantfile runs it as root after copying
# build/lbd, build/lbctl and the test client and server to /tmp/xlb): names the host
# xlb-ROLE, installs them, configures the links and starts the lab.
# Usage: provision.sh { client | lb | be1 | be2 }
#
# Everything it sets up survives a reboot: the links are systemd-networkd files (NICs
# matched by their MAC, static addresses, routes and neighbours, as scripts/topo.sh
# does in namespaces), and the lab runs as systemd services:
#   be1, be2: xlb-backend.service   VIP 203.0.113.10/32 on lo, xlb_decap (native) on the
#             link, the test HTTP server (tests/integration/lib/xlb_server.py) on :80
#   lb:       lbd.service           xlb_xdp (native) on the three links, /etc/xlb/lab.conf
set -euo pipefail

role=$1
VIP=203.0.113.10
NETD=/etc/systemd/network

# runtime packages (already in the xlb box; another Debian 12 box gets them with apt)
pkgs=(libbpf1 libelf1 libnl-3-200 libnl-route-3-200 libjson-c5 zlib1g iproute2 ethtool
	python3 curl)
missing=()
for p in "${pkgs[@]}"; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
fi

hostnamectl hostname "xlb-$role" 2>/dev/null || {
	echo "xlb-$role" >/etc/hostname
	hostname "xlb-$role"
}
sed -i '/^127\.0\.1\.1\s/d' /etc/hosts
printf '127.0.1.1\txlb-%s\n' "$role" >>/etc/hosts

# (Vagrant uploads the directory as /tmp/xlb, or into it if it exists)
src=/tmp/xlb
[[ -f $src/lbd ]] || src=/tmp/xlb/xlb-files
install -m 0755 "$src/lbd" "$src/lbctl" /usr/local/sbin/
install -d /usr/local/lib/xlb
install -m 0755 "$src/xlb_server.py" "$src/xlb_client.py" /usr/local/lib/xlb/
rm -rf /tmp/xlb

# dev MAC: the interface with that MAC
dev() {
	ip -o link show | awk -v m="$1" '$0 ~ "link/ether " m " " { sub(":$", "", $2); print $2 }'
}

# link FILE MAC SECTION...: a networkd file for the NIC with MAC
link() {
	local file=$1 mac=$2
	shift 2
	{
		printf '[Match]\nMACAddress=%s\n\n[Link]\nRequiredForOnline=no\n\n' "$mac"
		printf '[Network]\nLinkLocalAddressing=no\nIPv6AcceptRA=no\nConfigureWithoutCarrier=yes\n'
		printf '%s\n' "$@"
	} >"$NETD/$file.network"
}
route() { printf '\n[Route]\nDestination=%s\n%s\n' "$1" "${2:+$2}"; }
neigh() { printf '\n[Neighbor]\nAddress=%s\nLinkLayerAddress=%s\n' "$1" "$2"; }

rm -f "$NETD"/20-xlb-*.network
case $role in
client)
	link 20-xlb-front 02:00:00:00:00:02 "Address=192.0.2.2/24" \
		"$(neigh 192.0.2.1 02:00:00:00:00:01)" \
		"$(route 203.0.113.0/24 Gateway=192.0.2.1)" "$(route 198.51.100.0/24 Gateway=192.0.2.1)"
	;;
lb)
	link 20-xlb-front 02:00:00:00:00:01 "Address=192.0.2.1/24" \
		"$(neigh 192.0.2.2 02:00:00:00:00:02)"
	for n in 1 2; do
		link "20-xlb-be$n" "02:00:00:00:0$n:01" "Address=198.51.100.1/32" \
			"$(route "198.51.100.1$n/32" $'Scope=link\nPreferredSource=198.51.100.1')" \
			"$(neigh "198.51.100.1$n" "02:00:00:00:0$n:02")"
	done
	# the lb routes (DSR replies, checks); asymmetric paths must pass rp_filter
	printf 'net.ipv4.ip_forward=1\nnet.ipv4.conf.all.rp_filter=0\nnet.ipv4.conf.default.rp_filter=0\n' \
		>/etc/sysctl.d/60-xlb.conf
	;;
be1 | be2)
	n=${role#be}
	link 20-xlb-back "02:00:00:00:0$n:02" "Address=198.51.100.1$n/24" \
		"$(neigh 198.51.100.1 "02:00:00:00:0$n:01")" "$(route 192.0.2.0/24 Gateway=198.51.100.1)"
	# a backend answers the client from the VIP: its replies leave by another path
	printf 'net.ipv4.conf.all.rp_filter=0\nnet.ipv4.conf.default.rp_filter=0\n' \
		>/etc/sysctl.d/60-xlb.conf
	;;
*)
	echo "provision: unknown role '$role'" >&2
	exit 2
	;;
esac
sysctl -q --system >/dev/null
# (networkctl would need D-Bus, which the box leaves out)
systemctl restart systemd-networkd
for f in "$NETD"/20-xlb-*.network; do
	mac=$(sed -n 's/^MACAddress=//p' "$f")
	[[ -n $(dev "$mac") ]] || {
		echo "provision: no NIC with MAC $mac" >&2
		exit 1
	}
done

case $role in
lb)
	install -d /etc/xlb
	cat >/etc/xlb/lab.conf <<-EOF
		# the xlb lab (vagrant/provision.sh): an HTTP service over IP-in-IP to be1 and be2,
		# HTTP checks every second; lbd reads this when it has no state file
		vip add $VIP:80/tcp encap ipip check http interval 1s timeout 500ms rise 1 fall 2 eject-time 2s
		backend add $VIP:80/tcp 198.51.100.11
		backend add $VIP:80/tcp 198.51.100.12
	EOF
	ifaces="--iface $(dev 02:00:00:00:00:01) --iface $(dev 02:00:00:00:01:01) --iface $(dev 02:00:00:00:02:01)"
	cat >/etc/systemd/system/lbd.service <<-EOF
		[Unit]
		Description=xlb agent (lbd): xlb_xdp on the lab's links
		After=systemd-networkd.service

		[Service]
		ExecStart=/usr/local/sbin/lbd $ifaces --config /etc/xlb/lab.conf --src4 10.255.0.0/24
		Restart=on-failure

		[Install]
		WantedBy=multi-user.target
	EOF
	systemctl daemon-reload
	systemctl enable lbd.service
	systemctl restart lbd.service
	for _ in $(seq 240); do
		lbctl vip show >/dev/null 2>&1 && break
		sleep 0.5
	done
	lbctl vip show
	;;
be1 | be2)
	d=$(dev "02:00:00:00:0$n:02")
	cat >/etc/systemd/system/xlb-backend.service <<-EOF
		[Unit]
		Description=xlb lab backend $role: VIP on lo, xlb_decap on $d, test HTTP server
		After=systemd-networkd.service

		[Service]
		ExecStartPre=/sbin/ip addr replace $VIP/32 dev lo
		ExecStartPre=/usr/local/sbin/lbctl decap attach dev $d addr 198.51.100.1$n
		ExecStart=/usr/bin/python3 /usr/local/lib/xlb/xlb_server.py $role --http 80
		Restart=on-failure

		[Install]
		WantedBy=multi-user.target
	EOF
	systemctl daemon-reload
	systemctl enable xlb-backend.service
	systemctl restart xlb-backend.service
	lbctl decap show
	;;
esac
echo "provision: $role ready"
