// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_decap fixture table (docs/dataplane.md "xlb_decap"): tunnel packets as
 * xlb_xdp sends them (built with exp_encap(), i.e. from the spec), foreign
 * traffic, malformed tunnels. The decap object has no maps.c API: this file
 * loads its skeleton directly, without pins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "harness.h"

#if __has_include("xlb_decap.skel.h")
#include "xlb_decap.skel.h"
#define HAVE_DECAP 1
#endif

#define OUT_OTHER 1 /* outer destination: not one of ours */
#define M_IPIP XLB_ENCAP_IPIP
#define M_GUE XLB_ENCAP_GUE
#define M_PLAIN 0

struct dcase {
	const char *name;
	uint8_t ofam, mode, ifam; /* outer family, M_*, inner family */
	uint8_t dst;		  /* 0 = ours, OUT_OTHER */
	uint16_t port;		  /* GUE destination port; 0 = 6080 */
	uint8_t vlan;
	void (*mut)(struct pkt *p, size_t l3off); /* breaks the tunnel packet */
	__u32 verdict;
	uint8_t exp;	  /* X_SAME, X_NONE, or X_ENCAP meaning "decapsulated" */
	uint8_t cnt;	  /* enum xlb_decap_counter besides RX */
	bool custom_port; /* object loaded with xlb_decap_gue_port = 5555 */
	bool ecn;	  /* RFC 6040 case: inner ECN iecn, outer set to oecn, inner after eecn */
	uint8_t iecn, oecn, eecn;
};

#ifdef HAVE_DECAP

/* Cuts the tunnel packet to @keep bytes after the outer headers and makes the
 * outer lengths (and IPv4 checksum) agree, so only the inner packet is bad.
 */
static void tunnel_cut(struct pkt *p, size_t l3off, size_t keep)
{
	uint8_t *h = p->d + l3off;
	bool v4 = (h[0] >> 4) == 4;
	size_t olen = v4 ? 20 : 40;
	bool udp = h[v4 ? 9 : 6] == IPPROTO_UDP;

	p->len = l3off + olen + (udp ? 8 : 0) + keep;
	if (v4) {
		put16(h + 2, (uint16_t)(p->len - l3off));
		put16(h + 10, 0);
		put16(h + 10, csum(h, 20));
	} else {
		put16(h + 4, (uint16_t)(p->len - l3off - 40));
	}
	if (udp)
		put16(h + olen + 4, (uint16_t)(8 + keep));
}

static void mut_inner_cut(struct pkt *p, size_t l3off)
{
	tunnel_cut(p, l3off, 10); /* 10 bytes of the inner header */
}

static void mut_gue_empty(struct pkt *p, size_t l3off)
{
	tunnel_cut(p, l3off, 0);
}

static void mut_inner_ver5(struct pkt *p, size_t l3off)
{
	size_t olen = ((p->d[l3off] >> 4) == 4 ? 20 : 40) + 8;

	p->d[l3off + olen] = (uint8_t)(5 << 4 | (p->d[l3off + olen] & 0xf));
}

/* Outer IPv4 header with 4 bytes of options (NOPs) inserted. */
static void mut_outer_opts(struct pkt *p, size_t l3off)
{
	uint8_t *h = p->d + l3off;

	memmove(h + 24, h + 20, p->len - l3off - 20);
	memset(h + 20, 1, 4);
	p->len += 4;
	h[0] = 0x46;
	put16(h + 2, (uint16_t)(get16(h + 2) + 4));
	put16(h + 10, 0);
	put16(h + 10, csum(h, 24));
}

/* Outer IPv6 header followed by a destination options header. */
static void mut_outer_ext(struct pkt *p, size_t l3off)
{
	uint8_t *h = p->d + l3off;
	uint8_t ext[8] = { h[6], 0, 1, 4, 0, 0, 0, 0 };

	memmove(h + 48, h + 40, p->len - l3off - 40);
	memcpy(h + 40, ext, 8);
	p->len += 8;
	h[6] = IP6_NH_DSTOPTS;
	put16(h + 4, (uint16_t)(get16(h + 4) + 8));
}

/* ECN field of the IPv4 (TOS) or IPv6 (traffic class) header at @h */
static void ecn_set(uint8_t *h, uint8_t ecn)
{
	if ((h[0] >> 4) == 4) {
		h[1] = (uint8_t)((h[1] & ~3) | ecn);
		put16(h + 10, 0);
		put16(h + 10, csum(h, 20));
	} else {
		h[1] = (uint8_t)((h[1] & ~0x30) | ecn << 4);
	}
}

#define DEC(c) .verdict = XDP_PASS, .exp = X_ENCAP, .cnt = XLB_DCAP_##c
#define DPASS .verdict = XDP_PASS, .exp = X_SAME, .cnt = XLB_DCAP_PASS
#define DDROP .verdict = XDP_DROP, .exp = X_NONE, .cnt = XLB_DCAP_DROP_MALFORMED

static const struct dcase dcases[] = {
	{ "decap ipip4 (v4 in v4)", 4, M_IPIP, 4, DEC(IPIP4) },
	{ "decap ip6ip6 (v6 in v6)", 6, M_IPIP, 6, DEC(IP6IP6) },
	{ "decap ip4ip6 (v4 in v6)", 6, M_IPIP, 4, DEC(IP4IP6) },
	{ "decap ip6ip4 (v6 in v4)", 4, M_IPIP, 6, DEC(IP6IP4) },
	{ "decap gue4 with inner v4", 4, M_GUE, 4, DEC(GUE4) },
	{ "decap gue4 with inner v6", 4, M_GUE, 6, DEC(GUE4) },
	{ "decap gue6 with inner v6", 6, M_GUE, 6, DEC(GUE6) },
	{ "decap gue6 with inner v4", 6, M_GUE, 4, DEC(GUE6) },
	{ "decap ipip4 keeps a vlan tag", 4, M_IPIP, 4, .vlan = 1, DEC(IPIP4) },
	{ "decap gue6 keeps two vlan tags", 6, M_GUE, 4, .vlan = 2, DEC(GUE6) },
	{ "decap ip6ip4 keeps two vlan tags", 4, M_IPIP, 6, .vlan = 2, DEC(IP6IP4) },
	{ "decap: ipip4 to another address passes", 4, M_IPIP, 4, .dst = OUT_OTHER, DPASS },
	{ "decap: gue6 to another address passes", 6, M_GUE, 6, .dst = OUT_OTHER, DPASS },
	{ "decap: udp to another port passes (v4)", 4, M_GUE, 4, .port = 6081, DPASS },
	{ "decap: udp to another port passes (v6)", 6, M_GUE, 4, .port = 4789, DPASS },
	{ "decap: plain tcp to us passes (v4)", 4, M_PLAIN, 4, DPASS },
	{ "decap: plain tcp to us passes (v6)", 6, M_PLAIN, 6, DPASS },
	{ "decap: outer ipv4 options pass", 4, M_IPIP, 4, .mut = mut_outer_opts, DPASS },
	{ "decap: outer ipv6 extension header passes", 6, M_IPIP, 6, .mut = mut_outer_ext, DPASS },
	{ "decap: ipip4 with a truncated inner header drops", 4, M_IPIP, 4, .mut = mut_inner_cut,
	  DDROP },
	{ "decap: ip6ip6 with a truncated inner header drops", 6, M_IPIP, 6, .mut = mut_inner_cut,
	  DDROP },
	{ "decap: gue4 with a truncated inner v6 header drops", 4, M_GUE, 6, .mut = mut_inner_cut,
	  DDROP },
	{ "decap: gue6 with an empty payload drops", 6, M_GUE, 4, .mut = mut_gue_empty, DDROP },
	{ "decap: gue4 with inner version 5 drops", 4, M_GUE, 4, .mut = mut_inner_ver5, DDROP },
	{ "decap: gue port from rodata (5555) decapsulates", 4, M_GUE, 4, .port = 5555,
	  .custom_port = true, DEC(GUE4) },
	{ "decap: default port with rodata port 5555 passes", 6, M_GUE, 6, .custom_port = true,
	  DPASS },
/* RFC 6040 section 4.2, normal mode: every (inner, outer) pair on ipip4, then the
	 * field's other homes (IPv6 traffic class inside and outside, GUE) */
#define ECN(i, o, e) .ecn = true, .iecn = (i), .oecn = (o), .eecn = (e)
#define NE 0 /* Not-ECT */
#define E1 1 /* ECT(1) */
#define E0 2 /* ECT(0) */
#define CE 3
	{ "ecn: inner not-ect, outer not-ect: not-ect", 4, M_IPIP, 4, ECN(NE, NE, NE), DEC(IPIP4) },
	{ "ecn: inner not-ect, outer ect(0): not-ect", 4, M_IPIP, 4, ECN(NE, E0, NE), DEC(IPIP4) },
	{ "ecn: inner not-ect, outer ect(1): not-ect", 4, M_IPIP, 4, ECN(NE, E1, NE), DEC(IPIP4) },
	{ "ecn: inner not-ect, outer ce: drop", 4, M_IPIP, 4, ECN(NE, CE, NE), .verdict = XDP_DROP,
	  .exp = X_NONE, .cnt = XLB_DCAP_DROP_ECN },
	{ "ecn: inner ect(0), outer not-ect: ect(0)", 4, M_IPIP, 4, ECN(E0, NE, E0), DEC(IPIP4) },
	{ "ecn: inner ect(0), outer ect(0): ect(0)", 4, M_IPIP, 4, ECN(E0, E0, E0), DEC(IPIP4) },
	{ "ecn: inner ect(0), outer ect(1): ect(1)", 4, M_IPIP, 4, ECN(E0, E1, E1), DEC(IPIP4) },
	{ "ecn: inner ect(0), outer ce: ce", 4, M_IPIP, 4, ECN(E0, CE, CE), DEC(IPIP4) },
	{ "ecn: inner ect(1), outer not-ect: ect(1)", 4, M_IPIP, 4, ECN(E1, NE, E1), DEC(IPIP4) },
	{ "ecn: inner ect(1), outer ect(0): ect(1)", 4, M_IPIP, 4, ECN(E1, E0, E1), DEC(IPIP4) },
	{ "ecn: inner ect(1), outer ect(1): ect(1)", 4, M_IPIP, 4, ECN(E1, E1, E1), DEC(IPIP4) },
	{ "ecn: inner ect(1), outer ce: ce", 4, M_IPIP, 4, ECN(E1, CE, CE), DEC(IPIP4) },
	{ "ecn: inner ce, outer not-ect: ce", 4, M_IPIP, 4, ECN(CE, NE, CE), DEC(IPIP4) },
	{ "ecn: inner ce, outer ect(0): ce", 4, M_IPIP, 4, ECN(CE, E0, CE), DEC(IPIP4) },
	{ "ecn: inner ce, outer ect(1): ce", 4, M_IPIP, 4, ECN(CE, E1, CE), DEC(IPIP4) },
	{ "ecn: inner ce, outer ce: ce", 4, M_IPIP, 4, ECN(CE, CE, CE), DEC(IPIP4) },
	{ "ecn: ip6ip6, outer ce over ect(0): ce", 6, M_IPIP, 6, ECN(E0, CE, CE), DEC(IP6IP6) },
	{ "ecn: ip6ip4, outer ce over ect(1): ce", 4, M_IPIP, 6, ECN(E1, CE, CE), DEC(IP6IP4) },
	{ "ecn: gue6 with inner v4, outer ce over ect(0): ce", 6, M_GUE, 4, ECN(E0, CE, CE),
	  DEC(GUE6) },
	{ "ecn: ip4ip6, outer ce over not-ect: drop", 6, M_IPIP, 4, ECN(NE, CE, NE),
	  .verdict = XDP_DROP, .exp = X_NONE, .cnt = XLB_DCAP_DROP_ECN },
#undef NE
#undef E1
#undef E0
#undef CE
#undef ECN
};

/* Tunnel endpoint of the backend under test: backend 1's address. */
static struct xlb_decap_bpf *decap_open(uint16_t gue_port, char *err, size_t errlen)
{
	struct xlb_decap_bpf *skel = xlb_decap_bpf__open();
	struct bpf_map *map;
	__u32 one = 1;
	int ret;

	if (!skel) {
		snprintf(err, errlen, "open: %s", strerror(errno));
		return NULL;
	}
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL); /* tests never pin */
	skel->rodata->xlb_decap_gue_port = gue_port;
	ret = xlb_decap_bpf__load(skel);
	if (ret) {
		snprintf(err, errlen, "load: %s", strerror(-ret));
		xlb_decap_bpf__destroy(skel);
		errno = -ret;
		return NULL;
	}
	for (uint8_t fam = 4; fam <= 6; fam += 2) {
		struct xlb_addr a = { .family = fam == 4 ? XLB_FAMILY_V4 : XLB_FAMILY_V6 };

		addr_backend(fam, 1, (uint8_t *)a.addr);
		bpf_map__update_elem(skel->maps.xlb_dcap_addrs, &a, sizeof(a), &one, sizeof(one),
				     BPF_ANY);
	}
	return skel;
}

static int dcap_read(struct xlb_decap_bpf *skel, __u64 *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xlb_decap_stats *v = calloc((size_t)ncpu, sizeof(*v));
	__u32 key = 0;
	int err;

	if (!v)
		return -ENOMEM;
	err = bpf_map__lookup_elem(skel->maps.xlb_dcap_cnt, &key, sizeof(key), v,
				   (size_t)ncpu * sizeof(*v), 0);
	memset(sum, 0, __XLB_DCAP_MAX * sizeof(*sum));
	for (int c = 0; !err && c < ncpu; c++)
		for (int i = 0; i < __XLB_DCAP_MAX; i++)
			sum[i] += v[c].cnt[i];
	free(v);
	return err;
}

static void dcase_run(struct xlb_decap_bpf *skel, const struct dcase *c)
{
	struct pspec ps = { .fam = c->ifam,
			    .proto = IPPROTO_TCP,
			    .len = 50,
			    .vlan = c->vlan,
			    .tos = c->ecn ? (uint8_t)(0x28 | c->iecn) : 0 };
	const struct vipcfg v = { .fam = c->ifam };
	struct xlb_backend be = backend_std(c->ofam, c->dst == OUT_OTHER ? 7 : 1);
	struct xlb_config cfg = { .gue_port = c->port };
	static struct pkt inner, in, exp;
	static struct run r;
	__u64 a[__XLB_DCAP_MAX], b[__XLB_DCAP_MAX];
	struct tcase tc;
	size_t l3off, olen;

	tap_begin(&tc, c->name);
	ps_resolve(&ps, &v);
	ps_build(&ps, &inner);
	if (c->mode == M_PLAIN) {
		/* a plain packet from the client to the backend's own address */
		in = inner;
		memcpy(in.d + in.l3 + (c->ifam == 4 ? 16 : 24), be.addr, c->ifam == 4 ? 4 : 16);
		if (c->ifam == 4) {
			put16(in.d + in.l3 + 10, 0);
			put16(in.d + in.l3 + 10, csum(in.d + in.l3, 20));
		}
	} else {
		inet_pton(AF_INET, "203.0.113.1", &cfg.src4);
		inet_pton(AF_INET6, "2001:db8:5::1", cfg.src6);
		exp_encap(&in, inner.d, inner.len, (size_t)inner.l3, &be, c->mode, &cfg,
			  0x12345678);
	}
	l3off = frame_l3off(in.d, in.len);
	olen = (c->ofam == 4 ? 20 : 40) + (c->mode == M_GUE ? 8 : 0);
	if (c->mut)
		c->mut(&in, l3off);
	if (c->ecn)
		ecn_set(in.d + l3off, c->oecn); /* as a router between us might have */

	/* decapsulated: the L2 header as received, the inner ethertype, the inner packet */
	pkt_init(&exp);
	if (c->exp == X_SAME) {
		pkt_put(&exp, in.d, in.len);
	} else if (c->exp == X_ENCAP) {
		pkt_put(&exp, in.d, l3off - 2);
		pkt_ethertype(&exp, c->ifam == 4 ? ETH_TYPE_IP : ETH_TYPE_IPV6);
		pkt_put(&exp, in.d + l3off + olen, in.len - l3off - olen);
		if (c->ecn)
			ecn_set(exp.d + l3off, c->eecn);
	}

	if (dcap_read(skel, a) ||
	    run_prog(bpf_program__fd(skel->progs.xlb_decap), in.d, in.len, 0, &r) ||
	    dcap_read(skel, b)) {
		tap_fail(&tc, "test run failed: %s", strerror(errno));
		tap_end(&tc);
		return;
	}
	if (r.verdict != c->verdict)
		tap_fail(&tc, "verdict: expected %s, got %s", verdict_name(c->verdict),
			 verdict_name(r.verdict));
	else if (c->exp != X_NONE && (r.out_len != exp.len || memcmp(r.out, exp.d, exp.len))) {
		tap_fail(&tc, "output frame differs from the expected one");
		hexdiff(&tc, exp.d, exp.len, r.out, r.out_len);
	}
	for (int i = 0; i < __XLB_DCAP_MAX; i++) {
		__u64 want = i == XLB_DCAP_RX || i == c->cnt;

		if (b[i] - a[i] != want)
			tap_fail(&tc, "decap counter %d: expected +%llu, got +%lld", i,
				 (unsigned long long)want, (long long)(b[i] - a[i]));
	}
	tap_end(&tc);
}

void suite_decap(void)
{
	struct xlb_decap_bpf *dflt, *custom;
	char err[256];

	if (geteuid() != 0) {
		tap_skip("xlb_decap packet tests", "requires root for BPF_PROG_RUN");
		return;
	}
	dflt = decap_open(0, err, sizeof(err));
	custom = dflt ? decap_open(5555, err, sizeof(err)) : NULL;
	if (!dflt && errno == EPERM) {
		tap_skip("xlb_decap packet tests", "BPF not permitted here");
	} else if (!dflt || !custom) {
		struct tcase tc;

		tap_begin(&tc, "load xlb_decap");
		tap_fail(&tc, "%s", err);
		tap_end(&tc);
	} else {
		for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++)
			dcase_run(dcases[i].custom_port ? custom : dflt, &dcases[i]);
	}
	if (custom)
		xlb_decap_bpf__destroy(custom);
	if (dflt)
		xlb_decap_bpf__destroy(dflt);
}

#else /* !HAVE_DECAP */

void suite_decap(void)
{
	tap_skip("xlb_decap packet tests",
		 "build/xlb_decap.skel.h not built (bpf/xlb_decap.bpf.c)");
}

#endif
