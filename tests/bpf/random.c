// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Randomized invariants of xlb_xdp: random packets and packets mutated from
 * valid seeds (flipped bytes, truncation, bad lengths and flags) against a
 * world of VIPs in every mode. For every packet:
 *   - the verdict is PASS, TX, REDIRECT or DROP (never ABORTED);
 *   - PASS leaves the frame byte-identical; traffic whose destination is not a
 *     VIP address (or that is not IP) passes;
 *   - TX/REDIRECT output is a well-formed encapsulation of the unchanged input
 *     (outer version, lengths, checksum, destination = a configured backend),
 *     an L2 rewrite to a backend, or a too-big answer with valid checksums;
 *   - an intact TCP SYN to a VIP goes to rings[vip][hash % M] (hash.h contract);
 * and over each run the global counters add up (RX = PASS+TX+REDIRECT+DROP,
 * drop reasons sum to DROP) and match the verdicts seen.
 * Seed: XLB_RANDOM_SEED (default below), printed; XLB_TEST_LONG=1: 10x packets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <xlb/hash.h>
#include "common/names.h"
#include "harness.h"

#define RANDOM_SEED_DEFAULT 0x786c6221ULL
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define NBE 10 /* backends 1..9; 9 is inactive */
#define RING 251

static uint64_t rs;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 0x2545f4914f6cdd1dULL;
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

/* ---- the world ---- */

struct rvip {
	struct vipcfg v;
	int which;
	uint32_t ring[8];
	int nring;
};

static const struct rvip rvips[] = {
	{ { .fam = 4, .proto = TCP, .port = 80, .encap = XLB_ENCAP_IPIP, .vip_id = 1 },
	  D_VIP,
	  { 1, 2, 3, 4 },
	  4 },
	{ { .fam = 4, .proto = UDP, .port = 53, .encap = XLB_ENCAP_GUE, .vip_id = 2 },
	  D_VIP,
	  { 1, 2, 5, 6 },
	  4 },
	{ { .fam = 4, .proto = TCP, .anyport = true, .encap = XLB_ENCAP_L2, .vip_id = 3 },
	  D_VIP,
	  { 1, 2 },
	  2 },
	{ { .fam = 4, .proto = TCP, .port = 443, .encap = XLB_ENCAP_IPIP, .mtu = 576, .vip_id = 4 },
	  D_VIP2,
	  { 5, 6 },
	  2 },
	{ { .fam = 4,
	    .proto = UDP,
	    .anyport = true,
	    .encap = XLB_ENCAP_GUE,
	    .flags = XLB_VIP_F_HASH_SRC,
	    .vip_id = 5 },
	  D_VIP2,
	  { 3, 4 },
	  2 },
	{ { .fam = 6, .proto = TCP, .port = 80, .encap = XLB_ENCAP_GUE, .vip_id = 6 },
	  D_VIP,
	  { 5, 6, 7, 8 },
	  4 },
	{ { .fam = 6, .proto = UDP, .port = 53, .encap = XLB_ENCAP_IPIP, .vip_id = 7 },
	  D_VIP,
	  { 1, 2, 3, 4, 5, 6, 7, 8 },
	  8 },
	{ { .fam = 6, .proto = UDP, .anyport = true, .encap = XLB_ENCAP_L2, .vip_id = 8 },
	  D_VIP2,
	  { 5, 6 },
	  2 },
	{ { .fam = 6,
	    .proto = TCP,
	    .port = 8080,
	    .encap = XLB_ENCAP_IPIP,
	    .mtu = 1300,
	    .vip_id = 9 },
	  D_VIP,
	  { 5, 9 },
	  2 },
	{ { .fam = 6,
	    .proto = TCP,
	    .port = 443,
	    .encap = XLB_ENCAP_GUE,
	    .mtu = 1280,
	    .vip_id = 10,
	    .udp_idle_ns = 1 },
	  D_VIP2,
	  { 1, 7 },
	  2 },
};

static int world_setup(struct env *e)
{
	uint32_t slots[RING];
	int err = env_clear(e);

	inet_pton(AF_INET, "203.0.113.1", &e->cfg.src4);
	inet_pton(AF_INET6, "2001:db8:5::ab:cdef", e->cfg.src6);
	e->cfg.src_bits = 8;
	err = err ?: maps_config_set(e->m, &e->cfg);
	for (uint32_t id = 1; id < NBE && !err; id++) {
		struct xlb_backend be = backend_std(id <= 4 || id == 9 ? 4 : 6, id);

		if (id == 9)
			be.flags = 0;
		err = env_backend(e, id, &be);
	}
	for (size_t i = 0; i < sizeof(rvips) / sizeof(rvips[0]) && !err; i++) {
		struct vipcfg v = rvips[i].v;

		v.ring_size = RING;
		for (uint32_t s = 0; s < RING; s++)
			slots[s] = rvips[i].ring[s % rvips[i].nring];
		err = env_ring_fill(e, v.vip_id, RING, slots) ?: env_vip(e, &v, rvips[i].which);
	}
	return err;
}

/* Backend whose outer address (of @fam) is @a, or 0. */
static uint32_t be_by_addr(const struct env *e, uint8_t fam, const uint8_t *a)
{
	for (uint32_t id = 1; id < NBE; id++)
		if (e->be[id].family == fam && !memcmp(e->be[id].addr, a, fam == 4 ? 4 : 16))
			return id;
	return 0;
}

static uint32_t be_by_mac(const struct env *e, const uint8_t *dmac)
{
	for (uint32_t id = 1; id < NBE; id++)
		if (!memcmp(e->be[id].dmac, dmac, 6))
			return id;
	return 0;
}

static bool is_vip_addr(uint8_t fam, const uint8_t *a)
{
	uint8_t v[16];

	for (int w = D_VIP; w <= D_VIP2; w++) {
		addr_vip(fam, w, v);
		if (!memcmp(v, a, fam == 4 ? 4 : 16))
			return true;
	}
	return false;
}

/* ---- generation ---- */

enum {
	G_VIP,
	G_OTHER,
	G_ICMP_FRAG,
	G_BYTES
};

static void gen_spec(struct pspec *ps, int mix)
{
	static const uint16_t ports[] = { 80, 53, 443, 8080 };
	static const uint8_t flags[] = { TCP_SYN,	    TCP_ACK,	       TCP_RST,
					 TCP_FIN | TCP_ACK, TCP_SYN | TCP_ACK, TCP_PSH | TCP_ACK };
	static const uint8_t t4[] = { 3, 3, 11, 5, 0, 8, 12 }, t6[] = { 1, 2, 2, 3, 4, 128, 135 };
	uint32_t r = rn(100);

	memset(ps, 0, sizeof(*ps));
	ps->fam = rn(2) ? 4 : 6;
	ps->proto = rn(2) ? TCP : UDP;
	if (mix == G_ICMP_FRAG)
		ps->kind = r < 50 ? K_ICMP_ERR : K_PLAIN;
	else
		ps->kind = r < 85 ? K_PLAIN :
			   r < 93 ? K_ICMP_ERR :
			   r < 96 ? K_ICMP_ECHO :
			   r < 98 ? K_ARP :
				    K_ETHERTYPE;
	ps->ethertype = (uint16_t)rnd();
	r = rn(100);
	if (mix == G_OTHER)
		ps->dst = D_OTHER;
	else
		ps->dst = r < 60 ? D_VIP : r < 90 ? D_VIP2 : D_OTHER;
	ps->client = (uint8_t)rn(240);
	ps->sport = (uint16_t)(1 + rn(65535));
	ps->dport = rn(5) ? ports[rn(4)] : (uint16_t)(1 + rn(65535));
	ps->flags = rn(8) ? flags[rn(sizeof(flags))] : (uint8_t)rnd();
	ps->len = (uint16_t)(rn(10) ? rn(200) : rn(1500));
	ps->vlan = (uint8_t)(rn(12) ? 0 : rn(4));
	ps->tos = (uint8_t)rnd();
	ps->ipid = (uint16_t)(1 + rn(16));
	ps->nodf = rn(4) == 0;
	ps->ip4opt = (uint8_t)(rn(8) ? 0 : 4 * rn(11));
	if (rn(6) == 0)
		for (uint32_t i = 0, n = rn(6); i < n; i++)
			ps->ext[i] = (uint8_t)(E_HOP + rn(3));
	if (rn(mix == G_ICMP_FRAG ? 2 : 8) == 0) {
		ps->frag = rn(2) ? FR_FIRST : FR_LATER;
		ps->fragoff = (uint16_t)(1 + rn(200));
		ps->fragid = 1 + rn(16);
	}
	ps->pad = (uint8_t)(rn(10) ? 0 : rn(30));
	ps->icmp_type = ps->fam == 4 ? t4[rn(sizeof(t4))] : t6[rn(sizeof(t6))];
	ps->icmp_code = (uint8_t)(rn(3) ? (ps->icmp_type == 3 && ps->fam == 4 ? 4 : 0) : rn(16));
	ps->icmp_mtu = (uint16_t)rnd();
	ps->qlen = (uint16_t)(rn(4) ? 0 : rn(200));
}

static void mutate(struct pkt *p)
{
	for (uint32_t n = 1 + rn(3); n; n--) {
		size_t pos;

		switch (rn(6)) {
		case 0: /* flip bits, mostly in the headers */
		case 1:
			pos = rn(4) ? rn(p->len < 90 ? (uint32_t)p->len : 90) :
				      rn((uint32_t)p->len);
			p->d[pos] ^= (uint8_t)(rn(2) ? 1u << rn(8) : rnd());
			break;
		case 2: /* truncate */
			p->len = 14 + rn((uint32_t)p->len - 14 + 1);
			break;
		case 3: /* lengths */
			if (p->l3 >= 0 && (size_t)p->l3 + 6 <= p->len) {
				uint8_t *h = p->d + p->l3;
				size_t f = (h[0] >> 4) == 6 ? 4 : 2;
				uint16_t v = get16(h + f);

				put16(h + f, (uint16_t)(rn(2) ? (int)rnd() : v + (int)rn(41) - 20));
			}
			break;
		case 4: /* flags: TCP flags, fragment bits, version/IHL */
			if (p->l4 >= 0 && (size_t)p->l4 + 14 <= p->len && rn(2))
				p->d[p->l4 + 13] = (uint8_t)rnd();
			else if (p->l3 >= 0 && (size_t)p->l3 + 8 <= p->len)
				p->d[p->l3 + (rn(2) ? 6 : 0)] = (uint8_t)rnd();
			break;
		case 5: /* trailing junk */
			if (p->len + 32 < PKT_MAX)
				for (uint32_t i = 0, k = 1 + rn(30); i < k; i++)
					p->d[p->len++] = (uint8_t)rnd();
			break;
		}
	}
}

static void gen_bytes(struct pkt *p)
{
	static const uint16_t types[] = { ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_8021Q,
					  ETH_TYPE_8021AD };
	size_t l3;

	pkt_init(p);
	p->len = 14 + rn(300);
	for (size_t i = 0; i < p->len; i++)
		p->d[i] = (uint8_t)rnd();
	if (rn(10) < 8)
		put16(p->d + 12, types[rn(4)]);
	l3 = frame_l3off(p->d, p->len);
	if (l3 && rn(2)) {
		bool v4 = get16(p->d + l3 - 2) == ETH_TYPE_IP;
		uint8_t a[16];

		/* aim at a VIP address so the fail-closed paths run */
		addr_vip(v4 ? 4 : 6, rn(2) ? D_VIP : D_VIP2, a);
		if (l3 + (v4 ? 20 : 40) <= p->len) {
			memcpy(p->d + l3 + (v4 ? 16 : 24), a, v4 ? 4 : 16);
			p->d[l3] = (uint8_t)((v4 ? 0x40 : 0x60) | (p->d[l3] & 0xf));
			p->d[l3 + (v4 ? 9 : 6)] = rn(2) ? TCP : UDP;
		}
	}
}

/* ---- checking ---- */

/* Could this frame be VIP traffic? Its destination is a VIP address, or a
 * VIP address appears past the IP header (an ICMP error quoting a VIP flow is
 * handled whatever its own destination: docs/dataplane.md, inbound ICMP errors).
 */
static bool vip_related(const uint8_t *in, size_t ilen)
{
	size_t l3 = frame_l3off(in, ilen);
	bool v4 = l3 && get16(in + l3 - 2) == ETH_TYPE_IP;
	size_t hl = v4 ? 20 : 40;

	if (!l3 || l3 + hl > ilen)
		return false;
	if (is_vip_addr(v4 ? 4 : 6, in + l3 + (v4 ? 16 : 24)))
		return true;
	for (size_t i = l3 + hl; i + (v4 ? 4 : 16) <= ilen; i++)
		if (is_vip_addr(v4 ? 4 : 6, in + i))
			return true;
	return false;
}

/* The output of a TX/REDIRECT: too-big answer, L2 rewrite or encapsulation. */
static const char *check_forward(const struct env *e, const uint8_t *in, size_t ilen,
				 const uint8_t *out, size_t olen)
{
	size_t il3 = frame_l3off(in, ilen), ol3 = frame_l3off(out, olen);
	size_t L = il3 ? ip_l3_len(in, ilen, il3) : 0;
	const uint8_t *o = out + ol3;
	uint32_t id;

	if (!il3 || !L || il3 + L > ilen)
		return "forwarded a frame that is not a complete IP packet";
	if (!ol3)
		return "output is not IP";
	if (ol3 != il3 || memcmp(out + 12, in + 12, il3 - 14))
		return "VLAN tags not kept";

	/* too big: addresses swapped, ICMP from the VIP */
	if (!memcmp(out, in + 6, 6) && !memcmp(out + 6, in, 6)) {
		size_t q = L < XLB_ICMP_QUOTE_MAX ? L : XLB_ICMP_QUOTE_MAX;
		bool v4 = (o[0] >> 4) == 4;
		size_t hl = v4 ? 20 : 40;

		if (get16(out + ol3 - 2) != get16(in + il3 - 2))
			return "too-big: ethertype changed";
		if (olen != ol3 + hl + 8 + q || memcmp(o + hl + 8, in + il3, q))
			return "too-big: quote is not the first min(L3, 128) bytes";
		if (v4 && (csum(o, 20) || o[9] != IPPROTO_ICMP || get16(o + 2) != hl + 8 + q ||
			   o[hl] != 3 || o[hl + 1] != 4 || csum(o + hl, 8 + q)))
			return "too-big: bad IPv4/ICMP header or checksum";
		if (!v4 &&
		    (o[6] != IPPROTO_ICMPV6 || get16(o + 4) != 8 + q || o[hl] != 2 ||
		     csum_fold(csum_add(csum_pseudo(o, 58, (uint32_t)(8 + q)), o + hl, 8 + q))))
			return "too-big: bad IPv6/ICMPv6 header or checksum";
		if (memcmp(o + (v4 ? 12 : 8), in + il3 + (v4 ? 16 : 24), v4 ? 4 : 16) ||
		    !is_vip_addr(v4 ? 4 : 6, o + (v4 ? 12 : 8)))
			return "too-big: not sent from the VIP address";
		return NULL;
	}

	id = be_by_mac(e, out);
	if (!id)
		return "destination MAC is no backend's";
	if (memcmp(out + 6, e->be[id].smac, 6))
		return "source MAC is not the backend's smac";

	/* l2: only the MACs changed */
	if (olen == ilen && !memcmp(out + 12, in + 12, ilen - 12)) {
		if (e->be[id].family != (get16(in + il3 - 2) == ETH_TYPE_IP ? 4 : 6))
			return "l2: backend family differs from the packet's";
		return NULL;
	}

	/* encapsulation */
	bool v4 = (o[0] >> 4) == 4;
	size_t hl = v4 ? 20 : 40, inner;
	uint8_t proto = v4 ? o[9] : o[6];
	uint16_t ulen = 0;

	if (get16(out + ol3 - 2) != (v4 ? ETH_TYPE_IP : ETH_TYPE_IPV6))
		return "outer version does not match the ethertype";
	if (olen < ol3 + hl + 8)
		return "output too short for an outer header";
	if (v4 && (o[0] != 0x45 || csum(o, 20)))
		return "outer IPv4: IHL is not 5 or checksum invalid";
	if ((v4 ? o[8] : o[7]) != 64)
		return "outer TTL/hop limit is not 64";
	if (be_by_addr(e, v4 ? 4 : 6, o + (v4 ? 16 : 24)) != id)
		return "outer destination is not the backend of the destination MAC";
	inner = ol3 + hl;
	if (proto == IPPROTO_UDP) {
		if (get16(o + hl + 2) != XLB_GUE_PORT_DEFAULT || get16(o + hl + 6) != 0)
			return "gue: bad destination port or non-zero checksum";
		ulen = get16(o + hl + 4);
		inner += 8;
	} else if (proto != IPPROTO_IPIP && proto != IPPROTO_IPV6) {
		return "outer protocol is not 4, 41 or 17";
	}
	if (proto != IPPROTO_UDP && (out[inner] >> 4) != (proto == IPPROTO_IPIP ? 4 : 6))
		return "outer protocol does not match the inner version";
	if (inner + L > olen || memcmp(out + inner, in + il3, L))
		return "inner packet differs from the received one";
	if (olen - inner - L != ilen - il3 - L ||
	    memcmp(out + inner + L, in + il3 + L, ilen - il3 - L))
		return "trailing bytes (padding) not kept";
	if (v4 && get16(o + 2) != inner - ol3 + L)
		return "outer IPv4 total length inconsistent";
	if (!v4 && get16(o + 4) != inner - ol3 - 40 + L)
		return "outer IPv6 payload length inconsistent";
	if (proto == IPPROTO_UDP && ulen != 8 + L)
		return "gue: UDP length inconsistent";
	return NULL;
}

static const char *check_one(const struct env *e, const uint8_t *in, size_t ilen,
			     const struct run *r)
{
	size_t l3 = frame_l3off(in, ilen);

	if (r->err)
		return "BPF_PROG_TEST_RUN failed";
	switch (r->verdict) {
	case XDP_PASS:
		if (r->out_len != ilen || memcmp(r->out, in, ilen))
			return "XDP_PASS with a modified frame";
		return NULL;
	case XDP_DROP:
		break;
	case XDP_TX:
	case XDP_REDIRECT:
		return check_forward(e, in, ilen, r->out, r->out_len);
	default:
		return "verdict is not PASS/TX/REDIRECT/DROP";
	}
	/* dropped: must be aimed at a VIP address (or quote a VIP flow) */
	if (!l3)
		return "dropped a frame that is not IP";
	if (!vip_related(in, ilen))
		return "dropped a packet that is not VIP traffic";
	return NULL;
}

/* Traffic that cannot be VIP traffic passes (checked apart from the verdict's
 * own checks so that PASS, not only "untouched", is asserted).
 */
static const char *check_non_vip(const uint8_t *in, size_t ilen, const struct run *r)
{
	if (r->verdict != XDP_PASS && !vip_related(in, ilen))
		return "traffic not addressed to a VIP address was not passed";
	return NULL;
}

static void hexline(struct tcase *tc, const char *what, const uint8_t *d, size_t len)
{
	char buf[3 * 96 + 1];
	size_t n = len < 96 ? len : 96;

	for (size_t i = 0; i < n; i++)
		snprintf(buf + 3 * i, 4, "%02x ", d[i]);
	buf[3 * n] = '\0';
	tap_diag(tc, "  %s (%zu bytes): %s%s", what, len, buf, len > n ? "..." : "");
}

/* The VIP a valid packet spec hits: exact port first, then port 0. */
static const struct rvip *vip_of(const struct pspec *ps)
{
	const struct rvip *any = NULL;

	for (size_t i = 0; i < sizeof(rvips) / sizeof(rvips[0]); i++) {
		const struct rvip *v = &rvips[i];

		if (v->v.fam != ps->fam || v->which != ps->dst || v->v.proto != ps->proto)
			continue;
		if (!v->v.anyport && v->v.port == ps->dport)
			return v;
		if (v->v.anyport)
			any = v;
	}
	return any;
}

/* A valid TCP SYN (always a fresh selection) goes to rings[vip][h % M], h from
 * headers/xlb/hash.h: the cross-node hash contract, over many flows.
 */
static const char *check_selection(const struct env *e, const struct pspec *ps0,
				   const struct run *r)
{
	struct pspec ps = *ps0;
	const struct rvip *v;
	struct xlb_flow_key k;
	uint32_t h, want;

	if (ps.kind != K_PLAIN || ps.frag || ps.proto != TCP ||
	    (ps.flags & (TCP_SYN | TCP_ACK)) != TCP_SYN || r->verdict != XDP_TX)
		return NULL;
	ps_resolve(&ps, &(struct vipcfg){ .fam = ps.fam });
	v = vip_of(&ps);
	if (!v || !memcmp(r->out, MAC_CLIENT, 6)) /* no VIP, or a too-big answer */
		return NULL;
	ps_flow_key(&ps, &k);
	h = (v->v.flags & XLB_VIP_F_HASH_SRC) ? xlb_hash_src(&k, e->seed) :
						xlb_hash_flow(&k, e->seed);
	want = v->ring[h % RING % (uint32_t)v->nring];
	return be_by_mac(e, r->out) == want ? NULL : "syn not sent to rings[vip][hash % M]";
}

/* Runs a failing packet again to name the counters it moves; returns its verdict. */
static __u32 report_rerun(struct env *e, struct tcase *tc, const struct pkt *p)
{
	static struct run r;
	struct snap a, b;
	char line[256];
	size_t n = 0;

	line[0] = '\0';
	if (snap_take(e, &a) || run_prog(e->prog_fd, p->d, p->len, 0, &r) || snap_take(e, &b))
		return 5;
	for (int i = 0; i < __XLB_CNT_MAX && n < sizeof(line); i++)
		if (b.cnt[i] != a.cnt[i])
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", names_counter(i));
	for (int i = 0; i < __XLB_DROP_MAX && n < sizeof(line); i++)
		if (b.drops[i] != a.drops[i])
			n += (size_t)snprintf(line + n, sizeof(line) - n, " drop:%s",
					      names_drop(i));
	tap_diag(tc, "  counters it moves (run again):%s", line);
	return r.verdict < 5 ? r.verdict : 5;
}

static void run_mix(struct env *e, const char *name, int mix, bool mut, uint64_t n, uint64_t seed,
		    __u64 *verdicts)
{
	static struct pkt p;
	static struct run r;
	struct snap a, b;
	struct tcase tc;
	uint64_t bad = 0, ran = 0, t0 = mono_ns();

	rs = seed ? seed : 1;
	tap_begin(&tc, name);
	snap_take(e, &a);
	for (uint64_t i = 0; i < n; i++) {
		const char *why;

		struct pspec ps;
		bool pristine = false;

		if (mix == G_BYTES) {
			gen_bytes(&p);
		} else {
			gen_spec(&ps, mix);
			ps_build(&ps, &p);
			if (p.bad || p.len < 14)
				continue;
			if (mut && rn(10) < 7)
				mutate(&p);
			else
				pristine = true;
		}
		run_prog(e->prog_fd, p.d, p.len, 0, &r);
		ran++;
		verdicts[r.verdict < 5 ? r.verdict : 5]++;
		why = check_one(e, p.d, p.len, &r);
		if (!why)
			why = check_non_vip(p.d, p.len, &r);
		if (!why && pristine)
			why = check_selection(e, &ps, &r);
		if (!why)
			continue;
		if (bad++ < 3) {
			tap_fail(&tc, "packet %llu (seed %#llx): %s (verdict %s)",
				 (unsigned long long)i, (unsigned long long)seed, why,
				 verdict_name(r.verdict));
			hexline(&tc, "in ", p.d, p.len);
			if (r.verdict != XDP_DROP)
				hexline(&tc, "out", r.out, r.out_len);
			verdicts[report_rerun(e, &tc, &p)]++;
			ran++;
		}
	}
	snap_take(e, &b);
	printf("# %s: %.1f s\n", name, (double)(mono_ns() - t0) / 1e9);
	if (bad)
		tap_fail(&tc, "%llu of %llu packets broke an invariant", (unsigned long long)bad,
			 (unsigned long long)n);
	if (mix == G_VIP && !mut) {
		/* a dataplane passing everything untouched must not pass this mix:
		 * about a third of it is forwardable VIP traffic (the rest: other
		 * ports, ICMP, ARP, later fragments...; 35% with the default seed) */
		__u64 fwd = b.cnt[XLB_CNT_TX] - a.cnt[XLB_CNT_TX] + b.cnt[XLB_CNT_REDIRECT] -
			    a.cnt[XLB_CNT_REDIRECT];

		tap_diag(&tc, "  forwarded %llu of %llu, pass %llu drop %llu",
			 (unsigned long long)fwd, (unsigned long long)ran,
			 (unsigned long long)(b.cnt[XLB_CNT_PASS] - a.cnt[XLB_CNT_PASS]),
			 (unsigned long long)(b.cnt[XLB_CNT_DROP] - a.cnt[XLB_CNT_DROP]));
		for (int k = 1; k < __XLB_DROP_MAX; k++)
			if (b.drops[k] != a.drops[k])
				tap_diag(&tc, "  drop %d: %llu", k,
					 (unsigned long long)(b.drops[k] - a.drops[k]));
		if (fwd * 100 < ran * 25)
			tap_fail(&tc, "only %llu of %llu valid VIP packets forwarded",
				 (unsigned long long)fwd, (unsigned long long)ran);
	}
	if (b.cnt[XLB_CNT_RX] - a.cnt[XLB_CNT_RX] != ran)
		tap_fail(&tc, "RX counted %llu of %llu packets",
			 (unsigned long long)(b.cnt[XLB_CNT_RX] - a.cnt[XLB_CNT_RX]),
			 (unsigned long long)ran);
	tap_end(&tc);
}

void suite_random(struct env *e)
{
	const char *env = getenv("XLB_RANDOM_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : RANDOM_SEED_DEFAULT;
	uint64_t scale = getenv("XLB_TEST_LONG") && atoi(getenv("XLB_TEST_LONG")) ? 10 : 1;
	static const struct {
		const char *name;
		int mix;
		bool mut;
		uint64_t n;
	} mixes[] = {
		{ "random: valid traffic to the vips", G_VIP, false, 250000 },
		{ "random: traffic to the vips mutated from valid seeds", G_VIP, true, 300000 },
		{ "random: non-vip traffic passes untouched", G_OTHER, true, 150000 },
		{ "random: icmp errors and fragments, mutated", G_ICMP_FRAG, true, 150000 },
		{ "random: random bytes", G_BYTES, false, 150000 },
	};
	__u64 verdicts[6] = {};
	struct snap a, b;
	struct tcase tc;
	uint64_t total = 0;
	char name[128];

	printf("# random seed %#llx (XLB_RANDOM_SEED overrides), %llux packets\n",
	       (unsigned long long)seed, (unsigned long long)scale);
	if (world_setup(e)) {
		tap_begin(&tc, "random: world setup");
		tap_fail(&tc, "cannot install the VIPs");
		tap_end(&tc);
		return;
	}
	snap_take(e, &a);
	for (size_t i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++) {
		snprintf(name, sizeof(name), "%s (%llu packets)", mixes[i].name,
			 (unsigned long long)(mixes[i].n * scale));
		run_mix(e, name, mixes[i].mix, mixes[i].mut, mixes[i].n * scale,
			seed * 0x9e3779b97f4a7c15ULL + i, verdicts);
		total += mixes[i].n * scale;
	}
	snap_take(e, &b);

	tap_begin(&tc, "random: global counters add up and match the verdicts");
	{
		__u64 d[__XLB_CNT_MAX], dsum = 0;

		for (int i = 0; i < __XLB_CNT_MAX; i++)
			d[i] = b.cnt[i] - a.cnt[i];
		for (int i = 0; i < __XLB_DROP_MAX; i++)
			dsum += b.drops[i] - a.drops[i];
		if (d[XLB_CNT_RX] !=
		    d[XLB_CNT_PASS] + d[XLB_CNT_TX] + d[XLB_CNT_REDIRECT] + d[XLB_CNT_DROP])
			tap_fail(&tc, "RX %llu != PASS %llu + TX %llu + REDIRECT %llu + DROP %llu",
				 (unsigned long long)d[XLB_CNT_RX],
				 (unsigned long long)d[XLB_CNT_PASS],
				 (unsigned long long)d[XLB_CNT_TX],
				 (unsigned long long)d[XLB_CNT_REDIRECT],
				 (unsigned long long)d[XLB_CNT_DROP]);
		if (dsum != d[XLB_CNT_DROP])
			tap_fail(&tc, "drop reasons sum to %llu, DROP is %llu",
				 (unsigned long long)dsum, (unsigned long long)d[XLB_CNT_DROP]);
		if (d[XLB_CNT_PASS] != verdicts[XDP_PASS] || d[XLB_CNT_TX] != verdicts[XDP_TX] ||
		    d[XLB_CNT_REDIRECT] != verdicts[XDP_REDIRECT] ||
		    d[XLB_CNT_DROP] != verdicts[XDP_DROP])
			tap_fail(&tc,
				 "verdicts seen (pass %llu tx %llu redirect %llu drop %llu) "
				 "differ from the counters",
				 (unsigned long long)verdicts[XDP_PASS],
				 (unsigned long long)verdicts[XDP_TX],
				 (unsigned long long)verdicts[XDP_REDIRECT],
				 (unsigned long long)verdicts[XDP_DROP]);
		tap_diag(&tc,
			 "  %llu packets: pass %llu tx %llu redirect %llu drop %llu other %llu",
			 (unsigned long long)total, (unsigned long long)verdicts[XDP_PASS],
			 (unsigned long long)verdicts[XDP_TX],
			 (unsigned long long)verdicts[XDP_REDIRECT],
			 (unsigned long long)verdicts[XDP_DROP],
			 (unsigned long long)(verdicts[0] + verdicts[5]));
	}
	if (!tc.failed)
		printf("%s", tc.diag); /* the totals, as information */
	tap_end(&tc);
	env_clear(e);
}
