// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* nhlookup: a test fixture that resolves next hops through the agent's netlink.c and,
 * with --watch, prints the neighbour/route events it receives and re-resolves after each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agent/dataplane/netlink.h"

static void usage(void)
{
	fprintf(stderr, "Usage: nhlookup ADDR...\n"
			"       nhlookup --watch SECONDS ADDR...\n");
	exit(2);
}

static int parse_addr(const char *s, struct xlb_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = XLB_FAMILY_V4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = XLB_FAMILY_V6;
		return 0;
	}
	return -EINVAL;
}

static const char *addr_str(const struct xlb_addr *a, char *buf, size_t size)
{
	int af = a->family == XLB_FAMILY_V4 ? AF_INET : AF_INET6;

	if (!inet_ntop(af, a->addr, buf, size))
		snprintf(buf, size, "?");
	return buf;
}

static void mac_str(const uint8_t *m, char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Prints one result line; returns 0 or the error */
static int lookup(struct nh_ctx *ctx, const char *arg)
{
	char ifname[IF_NAMESIZE] = "?", dmac[18], smac[18], via[INET6_ADDRSTRLEN];
	struct nh_entry nh;
	struct xlb_addr dst;
	int err;

	err = parse_addr(arg, &dst);
	if (!err)
		err = netlink_resolve(ctx, &dst, &nh);
	if (err) {
		const char *name = strerrorname_np(-err);

		printf("%s error %s: %s\n", arg, name ? name : "?", strerror(-err));
		return err;
	}
	if (!if_indextoname(nh.ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "?");
	mac_str(nh.dmac, dmac, sizeof(dmac));
	mac_str(nh.smac, smac, sizeof(smac));
	printf("%s ifindex %u ifname %s dmac %s smac %s via %s%s\n", arg, nh.ifindex, ifname, dmac,
	       smac, addr_str(&nh.via, via, sizeof(via)), nh.gateway ? " gateway" : "");
	return 0;
}

static int lookup_all(struct nh_ctx *ctx, int n, char **addrs)
{
	int i, failed = 0;

	for (i = 0; i < n; i++)
		failed |= lookup(ctx, addrs[i]) != 0;
	fflush(stdout);
	return failed;
}

static void on_event(void *arg, int what, const struct xlb_addr *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (what == NH_EV_NEIGH && addr)
		printf("event neigh %s\n", addr_str(addr, buf, sizeof(buf)));
	else
		printf("event route\n");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int watch(struct nh_ctx *ctx, long seconds, int n, char **addrs)
{
	long long end = now_ms() + seconds * 1000LL;
	struct pollfd pfd = { .fd = netlink_event_fd(ctx), .events = POLLIN };
	long long left;
	int err;

	lookup_all(ctx, n, addrs);
	printf("watching\n");
	fflush(stdout);
	while ((left = end - now_ms()) > 0) {
		err = poll(&pfd, 1, (int)left);
		if (err < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		if (!err)
			break;
		err = netlink_process_events(ctx, on_event, NULL);
		if (err < 0) {
			fprintf(stderr, "nhlookup: events: %s\n", strerror(-err));
			return 1;
		}
		if (err > 0)
			lookup_all(ctx, n, addrs);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nh_ctx *ctx;
	long seconds = -1;
	char *end;
	int ret;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "--watch")) {
		if (argc < 4)
			usage();
		seconds = strtol(argv[2], &end, 10);
		if (*end || seconds < 0)
			usage();
		argv += 3;
		argc -= 3;
	} else {
		argv += 1;
		argc -= 1;
	}
	ctx = netlink_open();
	if (!ctx) {
		fprintf(stderr, "nhlookup: netlink_open: %s\n", strerror(errno));
		return 1;
	}
	if (seconds >= 0)
		ret = watch(ctx, seconds, argc, argv);
	else
		ret = lookup_all(ctx, argc, argv);
	netlink_close(ctx);
	return ret ? 1 : 0;
}
