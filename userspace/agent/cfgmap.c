// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cfgmap: lbd's options into the dataplane's config map (xlb_config) */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <xlb/consts.h>
#include "agent/cfgmap.h"
#include "common/log.h"
#include "common/parse.h"

/* ADDR[/LEN] -> address and the number of low bits to vary */
static void parse_src(const char *s, int family, __be32 *out, int *bits)
{
	char buf[64], err[128];
	struct xlb_addr a;
	char *slash;
	uint64_t len = family == XLB_FAMILY_V4 ? 32 : 128;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (parse_uint(slash + 1, "prefix length", 1, len, &len, err, sizeof(err)))
			options_die_usage("%s", err);
	}
	if (parse_addr(buf, &a, err, sizeof(err)))
		options_die_usage("%s", err);
	if (a.family != family)
		options_die_usage("'%s': wrong address family for this option", s);
	memcpy(out, a.addr, family == XLB_FAMILY_V4 ? 4 : 16);
	len = (family == XLB_FAMILY_V4 ? 32 : 128) - len;
	if ((int)len < *bits)
		*bits = len;
}

/* Default outer sources: the first IPv4 and global IPv6 address of @ifname */
static void default_src(const char *ifname, struct xlb_config *xc, bool want4, bool want6)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (want4 && i->ifa_addr->sa_family == AF_INET) {
			xc->src4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
			want4 = false;
		} else if (want6 && i->ifa_addr->sa_family == AF_INET6) {
			const struct in6_addr *a6 =
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			memcpy(xc->src6, a6, 16);
			want6 = false;
		}
	}
	freeifaddrs(ifa);
}

int cfgmap_setup(struct agent *a, const struct opts *o)
{
	struct xlb_config xc = {};
	int bits = XLB_SRC_BITS_MAX + 1;
	int err;

	err = maps_config_get(a->maps, &xc); /* keep the flags sync maintains */
	if (err)
		return err;
	memset(xc.src6, 0, sizeof(xc.src6));
	xc.src4 = 0;
	default_src(a->ifaces[0], &xc, !o->src4, !o->src6);
	if (o->src4)
		parse_src(o->src4, XLB_FAMILY_V4, &xc.src4, &bits);
	if (o->src6)
		parse_src(o->src6, XLB_FAMILY_V6, xc.src6, &bits);
	xc.src_bits = bits > XLB_SRC_BITS_MAX ? 0 : bits;
	xc.gue_port = o->gue_port;
	xc.flood_rate = o->flood_rate;
	xc.icmp_rate = o->icmp_rate;
	xc.icmp_burst = o->icmp_burst;
	if (!xc.src4)
		pr_warn("lbd: %s has no IPv4 address and no --src4: IPv4 backends get source 0.0.0.0",
			a->ifaces[0]);
	return maps_config_set(a->maps, &xc);
}
