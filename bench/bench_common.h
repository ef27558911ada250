/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* bench_common.h: what pkt_bench and veth_bench share: test frames, CPU
 * pinning, the clock, medians, and the xlb set-up (config, VIP, 100 backends,
 * Maglev ring) through the agent's maps.h and maglev.h.
 *
 * Header-only on purpose: bench.mk builds each bench/<name>.c as its own
 * binary from that one file, and this is benchmark code, so static inline
 * functions in a header are the simplest way to share it (no extra object,
 * no build rule). Define BENCH_NAME (the program name, for messages) before
 * including it. Note: bench.mk does not list this header as a prerequisite;
 * after editing it, touch pkt_bench.c and veth_bench.c (or make clean) to rebuild.
 */
#ifndef XLB_BENCH_COMMON_H
#define XLB_BENCH_COMMON_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/libbpf.h>

#include "common/clock.h"
#include "agent/dataplane/maglev.h"
#include "agent/dataplane/maps.h"
#include "xdp_floor.skel.h"
#include "xdp_gen.skel.h"

#ifndef BENCH_NAME
#error "define BENCH_NAME (the program name, for messages) before including bench_common.h"
#endif

#define NBACKENDS 100
#define RING_M XLB_MAGLEV_M
#define FRAME_MAX 512

struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t len;
};

static const uint8_t mac_client[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t mac_lb[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
static const uint8_t mac_router[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0xfe };

static inline uint32_t ip4(const char *s)
{
	uint32_t a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a;
}

static inline void ip6(const char *s, __be32 *out)
{
	if (inet_pton(AF_INET6, s, out) != 1)
		abort();
}

static inline uint16_t csum16(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Ethernet + IPv4/IPv6 + TCP (ACK or SYN) or UDP + payload: 64 bytes
 * (IPv4 TCP 10 bytes of payload, IPv4 UDP 22) or 84 (IPv6 TCP, 10 bytes),
 * client MAC to balancer MAC. L4 checksums are left 0: xlb never reads them. */
static inline void build_frame(struct frame *f, int v6, int proto, uint8_t tcp_flags,
			       const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	struct ethhdr *eth = (void *)f->b;
	size_t l4_len = (proto == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(struct udphdr));
	size_t hdrs = sizeof(*eth) + (v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr)) + l4_len;
	size_t payload = hdrs + 10 < 64 ? 64 - hdrs : 10;
	uint8_t *l4;

	memset(f, 0, sizeof(*f));
	memcpy(eth->h_dest, mac_lb, ETH_ALEN);
	memcpy(eth->h_source, mac_client, ETH_ALEN);
	if (!v6) {
		struct iphdr *iph = (void *)(eth + 1);

		eth->h_proto = htons(ETH_P_IP);
		iph->version = 4;
		iph->ihl = 5;
		iph->tot_len = htons(sizeof(*iph) + l4_len + payload);
		iph->id = htons(0x1234);
		iph->frag_off = htons(0x4000); /* DF */
		iph->ttl = 64;
		iph->protocol = proto;
		iph->saddr = ip4(src);
		iph->daddr = ip4(dst);
		iph->check = csum16(iph, sizeof(*iph));
		l4 = (uint8_t *)(iph + 1);
	} else {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6h->version = 6;
		ip6h->payload_len = htons(l4_len + payload);
		ip6h->nexthdr = proto;
		ip6h->hop_limit = 64;
		ip6(src, (__be32 *)&ip6h->saddr);
		ip6(dst, (__be32 *)&ip6h->daddr);
		l4 = (uint8_t *)(ip6h + 1);
	}
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		th->source = htons(sport);
		th->dest = htons(dport);
		th->seq = htonl(1);
		th->doff = 5;
		((uint8_t *)th)[13] = tcp_flags;
		th->window = htons(65535);
	} else {
		struct udphdr *uh = (void *)l4;

		uh->source = htons(sport);
		uh->dest = htons(dport);
		uh->len = htons(sizeof(*uh) + payload);
	}
	f->len = (l4 - f->b) + l4_len + payload;
}

static inline int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, BENCH_NAME ": cpu %d: sched_setaffinity failed: %s\n", cpu,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* Start of main: stdout line-buffered (progress shows through pipes, as in
 * make demo | tee), then pinned to *@cpu, the last online CPU if it is < 0.
 * Returns the number of possible CPUs, or -1 (message printed). */
static inline int bench_start(int *cpu)
{
	int ncpus;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (*cpu < 0)
		*cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || pin_cpu(*cpu))
		return -1;
	return ncpus;
}

/* Loads xlb_xdp through maps_open() (the skeleton and map API lbd uses) and
 * the two bench programs. On error prints which and returns -errno; the
 * caller destroys whatever was loaded (all three accept NULL). */
static inline int bench_load(const struct xlb_maps_opts *mo, struct xlb_maps **m,
			     struct xdp_floor_bpf **floor, struct xdp_gen_bpf **gen)
{
	*m = maps_open(mo);
	if (!*m) {
		fprintf(stderr, BENCH_NAME ": xlb_xdp: maps_open failed: %s\n", strerror(errno));
		return -errno;
	}
	*floor = xdp_floor_bpf__open_and_load();
	*gen = xdp_gen_bpf__open_and_load();
	if (!*floor || !*gen) {
		fprintf(stderr, BENCH_NAME ": bench programs: load failed: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Medians of n >= 1 values (the mean of the middle two when n is even, in the
 * type of the values: whole ns stay whole). The input is left as it is. */
static inline int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static inline int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline uint32_t median_u32(const uint32_t *v, uint32_t n)
{
	uint32_t s[n];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_u32);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static inline double median_dbl(const double *v, uint32_t n)
{
	double s[n];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_dbl);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- xlb set-up: config, then per VIP 100 backends, a Maglev ring, the VIP ---- */

/* Outer sources 192.0.2.0-127 (7 hash bits; backends are at .128-.227) and
 * 2001:db8:f::/121; flood guard off, so every new flow is inserted. */
static inline int bench_setup_config(struct xlb_maps *m)
{
	struct xlb_config cfg = {};

	cfg.src4 = ip4("192.0.2.0");
	ip6("2001:db8:f::", cfg.src6);
	cfg.src_bits = 7;
	cfg.flood_rate = 0;
	return maps_config_set(m, &cfg);
}

struct bench_vip {
	uint32_t id;	     /* VIP id; its backends are id * NBACKENDS + 0..99 */
	int v6;		     /* backends 2001:db8:2::1-64, else 192.0.2.128-227 */
	int proto;	     /* IPPROTO_TCP or IPPROTO_UDP */
	const char *addr;    /* the VIP address */
	uint16_t port;	     /* host order */
	uint32_t addr_refs;  /* maps_vip_addr_set() count for the address */
	const uint8_t *dmac; /* backends' next-hop MAC (the source is mac_lb) */
};

/* One VIP with NBACKENDS backends, IPIP, XDP_TX (backend ifindex 0), a Maglev
 * ring of RING_M built by maglev_build(); if that fails, the ring is filled
 * round robin and *@used_maglev is cleared (the banner says so). */
static inline int bench_setup_vip(struct xlb_maps *m, const struct bench_vip *bv, int *used_maglev)
{
	struct maglev_backend mb[NBACKENDS];
	struct xlb_vip_key vk = {};
	struct xlb_vip_val vv = {};
	struct xlb_addr va = {};
	uint32_t *ring;
	char s[64];
	int err;

	ring = calloc(RING_M, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	/* backends first, then the ring, then the VIP (the agent's update order) */
	for (uint32_t i = 0; i < NBACKENDS; i++) {
		uint32_t id = bv->id * NBACKENDS + i;
		struct xlb_backend be = {};

		if (bv->v6) {
			snprintf(s, sizeof(s), "2001:db8:2::%x", i + 1);
			ip6(s, be.addr);
			be.family = XLB_FAMILY_V6;
		} else {
			snprintf(s, sizeof(s), "192.0.2.%u", 128 + i);
			be.addr[0] = ip4(s);
			be.family = XLB_FAMILY_V4;
		}
		be.gen = 1;
		be.flags = XLB_BE_F_ACTIVE;
		memcpy(be.dmac, bv->dmac, ETH_ALEN);
		memcpy(be.smac, mac_lb, ETH_ALEN);
		err = maps_backend_set(m, id, &be);
		if (err)
			goto out;
		memset(&mb[i], 0, sizeof(mb[i]));
		mb[i].id = id;
		mb[i].weight = 1;
		mb[i].key[0] = be.family;
		memcpy(&mb[i].key[1], be.addr, 16);
	}
	err = maglev_build(mb, NBACKENDS, RING_M, 0, ring);
	if (err) {
		*used_maglev = 0;
		for (uint32_t i = 0; i < RING_M; i++)
			ring[i] = bv->id * NBACKENDS + i % NBACKENDS;
	}
	err = maps_ring_set(m, bv->id, 0, ring, RING_M);
	if (err)
		goto out;

	vk.family = bv->v6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4;
	if (bv->v6)
		ip6(bv->addr, vk.addr);
	else
		vk.addr[0] = ip4(bv->addr);
	vk.port = htons(bv->port);
	vk.proto = bv->proto;
	vv.vip_id = bv->id;
	vv.ring_size = RING_M;
	vv.encap = XLB_ENCAP_IPIP;
	vv.sched = XLB_SCHED_MAGLEV;
	err = maps_vip_update(m, &vk, &vv);
	if (err)
		goto out;
	memcpy(va.addr, vk.addr, sizeof(va.addr));
	va.family = vk.family;
	err = maps_vip_addr_set(m, &va, bv->addr_refs);
out:
	free(ring);
	return err;
}

#endif /* XLB_BENCH_COMMON_H */
