// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_xdp fixture table: per row, the map state (one VIP with backends 1 and 2
 * and a ring of backend 1, from env_std(), plus an optional setup), one packet,
 * the verdict, the exact output frame and the counter deltas. Expectations
 * follow docs/dataplane.md section by section.
 */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <xlb/hash.h>
#include "harness.h"

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define IPIP XLB_ENCAP_IPIP
#define GUE XLB_ENCAP_GUE
#define L2 XLB_ENCAP_L2
#define NEW .cnt = { CNT(FLOW_MISS, 1) }
/* a SYN is a fresh selection counted as XLB_CNT_SYN; the table is not read */
#define SYN .cnt = { CNT(SYN, 1) }, .dontcare = CNTBIT(FLOW_MISS)
/* the flow-table outcome of a packet whose point is elsewhere */
#define FLOWBITS                                                                              \
	(CNTBIT(FLOW_HIT) | CNTBIT(FLOW_MISS) | CNTBIT(FLOW_RESELECT) | CNTBIT(UDP_EXPIRED) | \
	 CNTBIT(SYN) | CNTBIT(RST_NO_FLOW))
#define FWD(v) .verdict = XDP_TX, .exp = (v)
#define PASS .verdict = XDP_PASS, .exp = X_SAME
#define DROP(r) .verdict = XDP_DROP, .exp = X_NONE, .drop = XLB_DROP_##r

struct pcase {
	const char *name;
	struct vipcfg vip;
	/* map state beyond env_std(), given the resolved packet spec */
	int (*setup)(struct env *e, const struct pspec *ps);
	struct step s;
	/* checks after the packet; adds failures to @tc */
	void (*check)(struct env *e, struct tcase *tc, const struct pspec *ps);
};

/* ---- mutations ---- */

static void mut_ver5(struct pkt *p)
{
	p->d[p->l3] = (uint8_t)(5 << 4 | (p->d[p->l3] & 0xf));
}

static void mut_ihl4(struct pkt *p)
{
	p->d[p->l3] = 0x44;
}

static void mut_totlen_big(struct pkt *p)
{
	put16(p->d + p->l3 + 2, (uint16_t)(get16(p->d + p->l3 + 2) + 100));
}

static void mut_totlen_small(struct pkt *p)
{
	put16(p->d + p->l3 + 2, 16);
}

static void mut_plen_big(struct pkt *p)
{
	put16(p->d + p->l3 + 4, (uint16_t)(get16(p->d + p->l3 + 4) + 100));
}

/* 40 + 0xfffb wraps to 35 in 16 bits: still far beyond any frame */
static void mut_plen_fffb(struct pkt *p)
{
	put16(p->d + p->l3 + 4, 0xfffb);
}

static void mut_v6_ver4(struct pkt *p)
{
	p->d[p->l3] = (uint8_t)(4 << 4 | (p->d[p->l3] & 0xf));
}

static void mut_doff4(struct pkt *p)
{
	p->d[p->l4 + 12] = (uint8_t)(4 << 4 | (p->d[p->l4 + 12] & 0xf));
}

static void mut_doff0(struct pkt *p)
{
	p->d[p->l4 + 12] &= 0xf;
}

/* ---- setups ---- */

static int flow_set_seq(struct env *e, const struct pspec *ps, uint32_t be, uint32_t gen,
			uint64_t age, uint32_t syn_seq)
{
	struct xlb_flow_key k;
	struct xlb_flow_val v = { .last_seen_ns = coarse_ns() - age,
				  .backend_id = be,
				  .backend_gen = gen,
				  .syn_seq = htonl(syn_seq) };

	ps_flow_key(ps, &k);
	return maps_flow_update(e->m, &k, &v);
}

static int flow_set(struct env *e, const struct pspec *ps, uint32_t be, uint32_t gen, uint64_t age)
{
	return flow_set_seq(e, ps, be, gen, age, 0);
}

/* an entry made by the SYN with the sequence number the default packet carries */
static int set_flow_b2_syn(struct env *e, const struct pspec *ps)
{
	return flow_set_seq(e, ps, 2, 1, 0, 0x1000u + ps->client);
}

static int set_flow_b2(struct env *e, const struct pspec *ps)
{
	return flow_set(e, ps, 2, 1, 0);
}

/* a TCP entry untouched for an hour: TCP entries do not expire */
static int set_flow_b2_ancient(struct env *e, const struct pspec *ps)
{
	return flow_set(e, ps, 2, 1, 3600ULL * 1000000000ULL);
}

static int set_flow_b2_50ms(struct env *e, const struct pspec *ps)
{
	return flow_set(e, ps, 2, 1, 50000000ULL);
}

static int set_flow_b2_2s(struct env *e, const struct pspec *ps)
{
	return flow_set(e, ps, 2, 1, 2000000000ULL);
}

static uint64_t fresh_stamp;

static int set_flow_b2_fresh(struct env *e, const struct pspec *ps)
{
	struct xlb_flow_key k;
	struct xlb_flow_val v = { .backend_id = 2, .backend_gen = 1 };

	fresh_stamp = v.last_seen_ns = coarse_ns() - 200000000ULL;
	ps_flow_key(ps, &k);
	return maps_flow_update(e->m, &k, &v);
}

static int set_flow_b2_regen(struct env *e, const struct pspec *ps)
{
	struct xlb_backend b2 = e->be[2];

	b2.gen = 2; /* slot reused since the flow chose it */
	return flow_set(e, ps, 2, 1, 0) ?: env_backend(e, 2, &b2);
}

static int set_flow_b2_inactive(struct env *e, const struct pspec *ps)
{
	struct xlb_backend b2 = e->be[2];

	b2.flags &= (uint8_t)~XLB_BE_F_ACTIVE;
	return flow_set(e, ps, 2, 1, 0) ?: env_backend(e, 2, &b2);
}

static int set_flow_bad_id(struct env *e, const struct pspec *ps)
{
	return flow_set(e, ps, XLB_MAX_BACKENDS + 7, 1, 0);
}

static int set_be1_inactive(struct env *e, const struct pspec *ps)
{
	struct xlb_backend b1 = e->be[1];

	b1.flags = 0;
	return env_backend(e, 1, &b1);
}

static int set_ring_out_of_range(struct env *e, const struct pspec *ps)
{
	return env_ring_all(e, VIP_ID_DEFAULT, RING_SIZE_DEFAULT, XLB_MAX_BACKENDS + 1);
}

/* The agent clears XLB_CFG_F_PORT0 while no port-0 VIP exists. */
static int set_port0_flag_off(struct env *e, const struct pspec *ps)
{
	e->cfg.flags &= (uint8_t)~XLB_CFG_F_PORT0;
	return maps_config_set(e->m, &e->cfg);
}

/* The VIP as env_std() wrote it, with ring_size 0. */
static int set_vip_ring0(struct env *e, const struct pspec *ps)
{
	struct xlb_vip_key k = { .port = htons(ps->dport),
				 .proto = ps->proto,
				 .family = ps->fam == 6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4 };
	struct xlb_vip_val v;

	addr_vip(ps->fam, D_VIP, (uint8_t *)k.addr);
	if (maps_vip_lookup(e->m, &k, &v))
		return -1;
	v.ring_size = 0;
	return maps_vip_update(e->m, &k, &v);
}

/* A second VIP on the same address: port 0, gue, vip_id 2, ring of backend 2. */
static int set_port0_gue_b2(struct env *e, const struct pspec *ps)
{
	struct vipcfg v = e->vip;

	v.anyport = true;
	v.encap = GUE;
	v.vip_id = 2;
	return env_ring_all(e, 2, RING_SIZE_DEFAULT, 2) ?: env_vip(e, &v, D_VIP);
}

/* Ring of backend 1 except the slot @h picks, which is backend 2. */
static int ring_slot_b2(struct env *e, uint32_t h, uint32_t size)
{
	static uint32_t slots[XLB_MAGLEV_M];

	for (uint32_t i = 0; i < size; i++)
		slots[i] = 1;
	slots[h % size] = 2;
	return env_ring_fill(e, VIP_ID_DEFAULT, size, slots);
}

static int set_slot_flow(struct env *e, const struct pspec *ps)
{
	struct xlb_flow_key k;

	ps_flow_key(ps, &k);
	return ring_slot_b2(e, xlb_hash_flow(&k, e->seed),
			    e->vip.ring_size ? e->vip.ring_size : RING_SIZE_DEFAULT);
}

static int set_slot_src(struct env *e, const struct pspec *ps)
{
	struct xlb_flow_key k;

	ps_flow_key(ps, &k);
	return ring_slot_b2(e, xlb_hash_src(&k, e->seed), RING_SIZE_DEFAULT);
}

static int set_be1_lo(struct env *e, const struct pspec *ps)
{
	struct xlb_backend b1 = e->be[1];

	b1.ifindex = 1; /* lo, the ingress device of the run */
	return env_backend(e, 1, &b1);
}

static int set_be1_unknown_port(struct env *e, const struct pspec *ps)
{
	struct xlb_backend b1 = e->be[1];

	b1.ifindex = 999999; /* not in xlb_tx_ports */
	return env_backend(e, 1, &b1);
}

/* ---- checks ---- */

static void check_flow(struct env *e, struct tcase *tc, const struct pspec *ps, uint32_t be,
		       uint32_t gen)
{
	struct xlb_flow_key k;
	struct xlb_flow_val v;

	ps_flow_key(ps, &k);
	if (maps_flow_lookup(e->m, &k, &v)) {
		tap_fail(tc, "flow entry: expected one for backend %u, found none", be);
		return;
	}
	if (v.backend_id != be || v.backend_gen != gen)
		tap_fail(tc, "flow entry: expected backend %u gen %u, got backend %u gen %u", be,
			 gen, v.backend_id, v.backend_gen);
}

static void chk_flow_b1(struct env *e, struct tcase *tc, const struct pspec *ps)
{
	check_flow(e, tc, ps, 1, 1);
}

static void chk_flow_b2(struct env *e, struct tcase *tc, const struct pspec *ps)
{
	check_flow(e, tc, ps, 2, 1);
}

static void chk_no_flow(struct env *e, struct tcase *tc, const struct pspec *ps)
{
	struct xlb_flow_key k;
	struct xlb_flow_val v;

	ps_flow_key(ps, &k);
	if (!maps_flow_lookup(e->m, &k, &v))
		tap_fail(tc, "flow entry: expected none, found backend %u", v.backend_id);
}

/* last_seen_ns was refreshed (entry older than 1 s) */
static void chk_refreshed(struct env *e, struct tcase *tc, const struct pspec *ps)
{
	struct xlb_flow_key k;
	struct xlb_flow_val v;
	uint64_t now = coarse_ns();

	ps_flow_key(ps, &k);
	if (maps_flow_lookup(e->m, &k, &v))
		tap_fail(tc, "flow entry: gone");
	else if (now - v.last_seen_ns > 1000000000ULL)
		tap_fail(tc, "flow entry: last_seen_ns not refreshed (%.3f s old)",
			 (double)(now - v.last_seen_ns) / 1e9);
	check_flow(e, tc, ps, 2, 1);
}

static void chk_not_refreshed(struct env *e, struct tcase *tc, const struct pspec *ps)
{
	struct xlb_flow_key k;
	struct xlb_flow_val v;

	ps_flow_key(ps, &k);
	if (maps_flow_lookup(e->m, &k, &v))
		tap_fail(tc, "flow entry: gone");
	else if (v.last_seen_ns != fresh_stamp)
		tap_fail(tc, "flow entry: last_seen_ns rewritten within 1 s (%llu -> %llu)",
			 (unsigned long long)fresh_stamp, (unsigned long long)v.last_seen_ns);
}

/* the first fragment's record in xlb_frags */
static void chk_frag_entry(struct env *e, struct tcase *tc, const struct pspec *ps)
{
	struct xlb_frag_key k = {};
	struct xlb_flow_key fk;
	struct xlb_frag_val v;
	uint32_t h;

	ps_flow_key(ps, &fk);
	h = xlb_hash_outer(&fk);
	memcpy(k.src, fk.src, sizeof(k.src));
	memcpy(k.dst, fk.dst, sizeof(k.dst));
	/* IPv4: the header's 16-bit id zero-extended in memory order */
	k.id = ps->fam == 4 ? (__be32)htons(ps->ipid) : htonl(ps->fragid);
	k.proto = ps->proto;
	k.family = fk.family;
	if (maps_frag_lookup(e->m, &k, &v)) {
		tap_fail(tc, "xlb_frags: no entry for the first fragment's key");
		return;
	}
	if (v.backend_id != 1 || v.backend_gen != 1 || v.vip_id != VIP_ID_DEFAULT || v.hash != h ||
	    v.encap != e->vip.encap)
		tap_fail(tc,
			 "xlb_frags entry: expected be 1 gen 1 vip 1 hash %#x encap %u, "
			 "got be %u gen %u vip %u hash %#x encap %u",
			 h, e->vip.encap, v.backend_id, v.backend_gen, v.vip_id, v.hash, v.encap);
	chk_flow_b1(e, tc, ps);
}

/* ---- the table ---- */

#define V4T(m)                         \
	{                              \
		.fam = 4, .encap = (m) \
	}
#define V4U(m)                                                   \
	{                                                        \
		.fam = 4, .proto = UDP, .port = 53, .encap = (m) \
	}
#define V6T(m)                         \
	{                              \
		.fam = 6, .encap = (m) \
	}
#define V6U(m)                                                   \
	{                                                        \
		.fam = 6, .proto = UDP, .port = 53, .encap = (m) \
	}
#define HOUR (3600ULL * 1000000000ULL)

static const struct pcase cases[] = {
	/* Encapsulation: each family, protocol and mode */
	{ "v4 tcp syn to ipip vip", V4T(IPIP),
	  .s = { .pkt = { .flags = TCP_SYN }, FWD(X_ENCAP), SYN }, .check = chk_flow_b1 },
	{ "v4 tcp ack without entry to ipip vip inserts it", V4T(IPIP),
	  .s = { .pkt = { .len = 100 }, FWD(X_ENCAP), NEW }, .check = chk_flow_b1 },
	{ "v4 udp to ipip vip", V4U(IPIP), .s = { .pkt = { .len = 64 }, FWD(X_ENCAP), NEW },
	  .check = chk_flow_b1 },
	{ "v4 tcp to gue vip", V4T(GUE), .s = { .pkt = { .len = 10 }, FWD(X_ENCAP), NEW } },
	{ "v4 udp to gue vip", V4U(GUE), .s = { .pkt = { .len = 300 }, FWD(X_ENCAP), NEW } },
	{ "v4 tcp to l2 vip", V4T(L2), .s = { .pkt = { .len = 20 }, FWD(X_L2), NEW } },
	{ "v4 udp to l2 vip", V4U(L2), .s = { .pkt = { .len = 20 }, FWD(X_L2), NEW } },
	{ "v6 tcp syn to ipip vip", V6T(IPIP),
	  .s = { .pkt = { .flags = TCP_SYN }, FWD(X_ENCAP), SYN }, .check = chk_flow_b1 },
	{ "v6 udp to ipip vip", V6U(IPIP), .s = { .pkt = { .len = 33 }, FWD(X_ENCAP), NEW } },
	{ "v6 tcp to gue vip", V6T(GUE), .s = { .pkt = { .len = 64 }, FWD(X_ENCAP), NEW } },
	{ "v6 udp to gue vip", V6U(GUE), .s = { .pkt = { .len = 512 }, FWD(X_ENCAP), NEW } },
	{ "v6 tcp to l2 vip", V6T(L2), .s = { .pkt = { .len = 7 }, FWD(X_L2), NEW } },
	{ "v6 udp to l2 vip", V6U(L2), .s = { .pkt = { .len = 7 }, FWD(X_L2), NEW } },
	{ "v4 vip to v6 backend, ipip (4in6)",
	  { .fam = 4, .encap = IPIP, .be_fam = 6 },
	  .s = { .pkt = { .len = 40 }, FWD(X_ENCAP), NEW } },
	{ "v4 vip to v6 backend, gue",
	  { .fam = 4, .proto = UDP, .encap = GUE, .be_fam = 6 },
	  .s = { .pkt = { .len = 40 }, FWD(X_ENCAP), NEW } },
	{ "v6 vip to v4 backend, ipip (6in4)",
	  { .fam = 6, .encap = IPIP, .be_fam = 4 },
	  .s = { .pkt = { .len = 40 }, FWD(X_ENCAP), NEW } },
	{ "v6 vip to v4 backend, gue",
	  { .fam = 6, .encap = GUE, .be_fam = 4 },
	  .s = { .pkt = { .len = 40 }, FWD(X_ENCAP), NEW } },
	{ "v4 l2 vip with v6 backend drops FAMILY",
	  { .fam = 4, .encap = L2, .be_fam = 6 },
	  .s = { .pkt = {}, DROP(FAMILY), .dontcare = FLOWBITS } },
	{ "v6 l2 vip with v4 backend drops FAMILY",
	  { .fam = 6, .encap = L2, .be_fam = 4 },
	  .s = { .pkt = {}, DROP(FAMILY), .dontcare = FLOWBITS } },
	{ "v4 tos (dscp+ecn) carried to outer ipv4", V4T(IPIP),
	  .s = { .pkt = { .tos = 0xb9 }, FWD(X_ENCAP), NEW } },
	{ "v6 traffic class carried to outer ipv6 (gue)", V6T(GUE),
	  .s = { .pkt = { .tos = 0xb9 }, FWD(X_ENCAP), NEW } },
	{ "v6 traffic class carried to outer ipv4 tos",
	  { .fam = 6, .encap = IPIP, .be_fam = 4 },
	  .s = { .pkt = { .tos = 0x2e }, FWD(X_ENCAP), NEW } },
	{ "v4 inner DF clear: outer DF clear, outer id = inner id", V4T(IPIP),
	  .s = { .pkt = { .nodf = true, .ipid = 0xbeef }, FWD(X_ENCAP), NEW } },
	{ "v4 inner DF clear over v6 outer",
	  { .fam = 4, .encap = GUE, .be_fam = 6 },
	  .s = { .pkt = { .nodf = true }, FWD(X_ENCAP), NEW } },
	{ "outer v4 source: low 8 bits from xlb_hash_outer",
	  { .fam = 4, .encap = IPIP, .src_bits = 8 },
	  .s = { .pkt = {}, FWD(X_ENCAP), NEW } },
	{ "outer v4 source: low 5 bits from xlb_hash_outer (gue)",
	  { .fam = 4, .encap = GUE, .src_bits = 5 },
	  .s = { .pkt = {}, FWD(X_ENCAP), NEW } },
	{ "outer v6 source: low 16 bits from xlb_hash_outer",
	  { .fam = 6, .encap = GUE, .src_bits = 16 },
	  .s = { .pkt = {}, FWD(X_ENCAP), NEW } },
	{ "gue destination port from config (v4)",
	  { .fam = 4, .encap = GUE, .gue_port = 5555 },
	  .s = { .pkt = {}, FWD(X_ENCAP), NEW } },
	{ "gue destination port from config (v6)",
	  { .fam = 6, .encap = GUE, .gue_port = 5555 },
	  .s = { .pkt = {}, FWD(X_ENCAP), NEW } },
	{ "v4 ethernet padding left after the encapsulated packet", V4T(IPIP),
	  .s = { .pkt = { .pad = 10 }, FWD(X_ENCAP), NEW } },
	{ "v6 ethernet padding left after the gue packet", V6U(GUE),
	  .s = { .pkt = { .pad = 6 }, FWD(X_ENCAP), NEW } },
	{ "l2 mode keeps ethernet padding", V4T(L2), .s = { .pkt = { .pad = 6 }, FWD(X_L2), NEW } },

	/* VIP lookup */
	{ "port-0 vip takes tcp to any port",
	  { .fam = 4, .encap = IPIP, .anyport = true },
	  .s = { .pkt = { .dport = 8080 }, FWD(X_ENCAP), NEW } },
	{ "port-0 vip takes udp to any port (v6)",
	  { .fam = 6, .proto = UDP, .encap = GUE, .anyport = true },
	  .s = { .pkt = { .dport = 5353 }, FWD(X_ENCAP), NEW } },
	{ "port-0 vip not consulted while XLB_CFG_F_PORT0 is clear",
	  { .fam = 4, .encap = IPIP, .anyport = true },
	  .setup = set_port0_flag_off,
	  .s = { .pkt = { .dport = 8080 }, PASS } },
	{ "exact port vip wins over port-0 vip", V4T(IPIP), .setup = set_port0_gue_b2,
	  .s = { .pkt = {}, FWD(X_ENCAP), NEW } },
	{ "other port goes to the port-0 vip", V4T(IPIP), .setup = set_port0_gue_b2,
	  .s = { .pkt = { .dport = 443 }, FWD(X_ENCAP), .be = 2, .encap = GUE, NEW } },
	{ "vip address, port without vip: pass untouched", V4T(IPIP),
	  .s = { .pkt = { .dport = 81 }, PASS } },
	{ "udp to a tcp-only vip: pass untouched", V4T(IPIP),
	  .s = { .pkt = { .proto = UDP }, PASS } },
	{ "v4 tcp to a non-vip address: pass untouched", V4T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .len = 99 }, PASS } },
	{ "v6 udp to a non-vip address: pass untouched", V6U(GUE),
	  .s = { .pkt = { .dst = D_OTHER, .len = 1 }, PASS } },
	{ "tagged v4 to a non-vip address: pass untouched", V4T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .vlan = 2 }, PASS } },
	{ "padded v6 to a non-vip address: pass untouched", V6T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .pad = 8 }, PASS } },
	{ "arp: pass", V4T(IPIP), .s = { .pkt = { .kind = K_ARP }, PASS } },
	{ "lldp: pass", V4T(IPIP),
	  .s = { .pkt = { .kind = K_ETHERTYPE, .ethertype = ETH_TYPE_LLDP }, PASS } },
	{ "sctp to a vip address: pass (only tcp and udp have vips)", V4T(IPIP),
	  .s = { .pkt = { .proto = 132, .len = 40 }, PASS } },
	{ "gre to a v6 vip address: pass", V6T(IPIP),
	  .s = { .pkt = { .proto = 47, .len = 40 }, PASS } },
	{ "icmp echo to a vip address: pass", V4T(IPIP),
	  .s = { .pkt = { .kind = K_ICMP_ECHO }, PASS } },
	{ "icmpv6 echo to a vip address: pass", V6T(IPIP),
	  .s = { .pkt = { .kind = K_ICMP_ECHO }, PASS } },

	/* VLAN */
	{ "v4 one 802.1q tag kept (ipip)", V4T(IPIP),
	  .s = { .pkt = { .vlan = 1 }, FWD(X_ENCAP), NEW } },
	{ "v4 two tags kept (gue)", V4U(GUE), .s = { .pkt = { .vlan = 2 }, FWD(X_ENCAP), NEW } },
	{ "v6 one tag (l2)", V6T(L2), .s = { .pkt = { .vlan = 1 }, FWD(X_L2), NEW } },
	{ "v6 two tags to v4 backend",
	  { .fam = 6, .encap = IPIP, .be_fam = 4 },
	  .s = { .pkt = { .vlan = 2 }, FWD(X_ENCAP), NEW } },
	{ "three tags to a vip: pass untouched", V4T(IPIP), .s = { .pkt = { .vlan = 3 }, PASS } },

	/* IPv4 options, IPv6 extension headers */
	{ "v4 with 4 bytes of options (ipip)", V4T(IPIP),
	  .s = { .pkt = { .ip4opt = 4 }, FWD(X_ENCAP), NEW } },
	{ "v4 with 40 bytes of options (gue)", V4U(GUE),
	  .s = { .pkt = { .ip4opt = 40, .len = 12 }, FWD(X_ENCAP), NEW } },
	{ "v4 with options (l2)", V4T(L2), .s = { .pkt = { .ip4opt = 8 }, FWD(X_L2), NEW } },
	{ "v6 hop-by-hop header", V6T(IPIP),
	  .s = { .pkt = { .ext = { E_HOP } }, FWD(X_ENCAP), NEW } },
	{ "v6 routing header", V6T(GUE), .s = { .pkt = { .ext = { E_RT } }, FWD(X_ENCAP), NEW } },
	{ "v6 destination options header", V6U(IPIP),
	  .s = { .pkt = { .ext = { E_DST } }, FWD(X_ENCAP), NEW } },
	{ "v6 fragment header (first fragment)", V6T(IPIP),
	  .s = { .pkt = { .frag = FR_FIRST, .len = 64 },
		 FWD(X_ENCAP),
		 .cnt = { CNT(FLOW_MISS, 1), CNT(FRAG_FIRST, 1) } },
	  .check = chk_frag_entry },
	{ "v6 four extension headers (the bound)", V6T(IPIP),
	  .s = { .pkt = { .ext = { E_HOP, E_DST, E_RT, E_DST } }, FWD(X_ENCAP), NEW } },
	{ "v6 three headers + fragment (the bound)", V6U(GUE),
	  .s = { .pkt = { .ext = { E_HOP, E_DST, E_RT }, .frag = FR_FIRST },
		 FWD(X_ENCAP),
		 .cnt = { CNT(FLOW_MISS, 1), CNT(FRAG_FIRST, 1) } } },
	{ "v6 five extension headers to a vip: drop EXT_BOUND", V6T(IPIP),
	  .s = { .pkt = { .ext = { E_HOP, E_DST, E_RT, E_DST, E_DST } }, DROP(IPV6_EXT_BOUND) } },
	{ "v6 four headers + fragment to a vip: drop EXT_BOUND", V6T(IPIP),
	  .s = { .pkt = { .ext = { E_HOP, E_DST, E_RT, E_DST }, .frag = FR_FIRST },
		 DROP(IPV6_EXT_BOUND) } },
	{ "v6 five extension headers elsewhere: pass", V6T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .ext = { E_HOP, E_DST, E_RT, E_DST, E_DST } }, PASS } },

	/* Truncated and malformed headers */
	{ "14-byte frame (ethernet only, ipv4 type): pass", V4T(IPIP),
	  .s = { .pkt = { .cut = 14 }, PASS } },
	{ "vlan tag cut short: pass", V4T(IPIP), .s = { .pkt = { .vlan = 1, .cut = 16 }, PASS } },
	{ "second vlan tag cut short: pass", V4T(IPIP),
	  .s = { .pkt = { .vlan = 2, .cut = 20 }, PASS } },
	{ "v4 header cut before the destination: pass", V4T(IPIP),
	  .s = { .pkt = { .cut = 14 + 19 }, PASS } },
	{ "v4 header with options cut after the destination: drop", V4T(IPIP),
	  .s = { .pkt = { .ip4opt = 4, .cut = 14 + 22 }, DROP(IP_MALFORMED) } },
	{ "v4 version 5 to a vip address: drop", V4T(IPIP),
	  .s = { .pkt = { .mut = mut_ver5 }, DROP(IP_MALFORMED) } },
	{ "v4 ihl 4 to a vip address: drop", V4T(IPIP),
	  .s = { .pkt = { .mut = mut_ihl4 }, DROP(IP_MALFORMED) } },
	{ "v4 total length beyond the frame to a vip address: drop", V4T(IPIP),
	  .s = { .pkt = { .mut = mut_totlen_big }, DROP(IP_MALFORMED) } },
	{ "v4 total length below the header to a vip address: drop", V4T(IPIP),
	  .s = { .pkt = { .mut = mut_totlen_small }, DROP(IP_MALFORMED) } },
	{ "v4 frame cut inside tcp (total length says more): drop", V4T(IPIP),
	  .s = { .pkt = { .len = 20, .cut = 14 + 20 + 10 }, DROP(IP_MALFORMED) } },
	{ "v4 malformed to a non-vip address: pass", V4T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .mut = mut_ihl4 }, PASS } },
	{ "v4 total length beyond the frame, non-vip: pass", V4T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .mut = mut_totlen_big }, PASS } },
	{ "v6 header cut (39 bytes): pass", V6T(IPIP), .s = { .pkt = { .cut = 14 + 39 }, PASS } },
	{ "v6 payload length beyond the frame to a vip address: drop", V6T(IPIP),
	  .s = { .pkt = { .mut = mut_plen_big }, DROP(IP_MALFORMED) } },
	{ "v6 payload length 0xfffb (40 + it overflows 16 bits) to a vip: drop", V6U(IPIP),
	  .s = { .pkt = { .len = 20, .mut = mut_plen_fffb }, DROP(IP_MALFORMED) } },
	{ "v6 version 4 in an ipv6 frame to a vip address: drop", V6T(IPIP),
	  .s = { .pkt = { .mut = mut_v6_ver4 }, DROP(IP_MALFORMED) } },
	{ "v6 payload length beyond the frame, non-vip: pass", V6T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .mut = mut_plen_big }, PASS } },
	{ "v6 hop-by-hop header cut short to a vip address: drop", V6T(IPIP),
	  .s = { .pkt = { .ext = { E_HOP }, .cut = 14 + 40 + 4 },
		 .verdict = XDP_DROP,
		 .exp = X_NONE,
		 .drop_any = 1ULL << XLB_DROP_IP_MALFORMED | 1ULL << XLB_DROP_L4_TRUNCATED } },
	{ "v4 tcp header of 19 bytes to a vip: drop L4_TRUNCATED", V4T(IPIP),
	  .s = { .pkt = { .l4cut = 19 }, DROP(L4_TRUNCATED) } },
	{ "v4 udp header of 7 bytes to a vip: drop L4_TRUNCATED", V4U(IPIP),
	  .s = { .pkt = { .l4cut = 7 }, DROP(L4_TRUNCATED) } },
	{ "v6 tcp header of 10 bytes to a vip: drop L4_TRUNCATED", V6T(IPIP),
	  .s = { .pkt = { .l4cut = 10 }, DROP(L4_TRUNCATED) } },
	{ "v6 udp header of 4 bytes to a vip: drop L4_TRUNCATED", V6U(GUE),
	  .s = { .pkt = { .l4cut = 4 }, DROP(L4_TRUNCATED) } },
	/* the IP length ends inside the L4 header; Ethernet padding fills the frame past a
	 * whole header: the padding is not read as ports and flags */
	{ "v4 tcp header of 16 bytes + 30 bytes of padding: drop L4_TRUNCATED", V4T(IPIP),
	  .s = { .pkt = { .l4cut = 16, .pad = 30 }, DROP(L4_TRUNCATED) } },
	{ "v6 udp header of 4 bytes + 20 bytes of padding: drop L4_TRUNCATED", V6U(GUE),
	  .s = { .pkt = { .l4cut = 4, .pad = 20 }, DROP(L4_TRUNCATED) } },
	{ "v4 short tcp header + padding to a non-vip address: pass", V4T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .l4cut = 16, .pad = 30 }, PASS } },
	{ "truncated tcp to a vip address, other port: drop L4_TRUNCATED", V4T(IPIP),
	  .s = { .pkt = { .dport = 81, .l4cut = 12 }, DROP(L4_TRUNCATED) } },
	{ "truncated tcp to a non-vip address: pass", V4T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .l4cut = 12 }, PASS } },
	{ "tcp data offset 4 to a vip: drop TCP_DOFF", V4T(IPIP),
	  .s = { .pkt = { .mut = mut_doff4 }, DROP(TCP_DOFF) } },
	{ "tcp data offset 0 to a v6 vip: drop TCP_DOFF", V6T(GUE),
	  .s = { .pkt = { .mut = mut_doff0 }, DROP(TCP_DOFF) } },
	{ "tcp data offset 4 to a non-vip address: pass", V4T(IPIP),
	  .s = { .pkt = { .dst = D_OTHER, .mut = mut_doff4 }, PASS } },

	/* Selection and VIP validity */
	{ "no ring: drop NO_RING",
	  { .fam = 4, .encap = IPIP, .no_ring = true },
	  .s = { .pkt = {}, DROP(NO_RING), .dontcare = FLOWBITS } },
	{ "ring points at an inactive backend: drop BAD_BACKEND", V4T(IPIP),
	  .setup = set_be1_inactive, .s = { .pkt = {}, DROP(BAD_BACKEND), .dontcare = FLOWBITS } },
	{ "ring points past the backend table: drop BAD_BACKEND", V4T(IPIP),
	  .setup = set_ring_out_of_range,
	  .s = { .pkt = {}, DROP(BAD_BACKEND), .dontcare = FLOWBITS } },
	{ "vip with encap none: drop BAD_VIP",
	  { .fam = 4, .encap = XLB_ENCAP_NONE },
	  .s = { .pkt = {}, DROP(BAD_VIP), .dontcare = FLOWBITS } },
	{ "vip with unknown encap 9: drop BAD_VIP",
	  { .fam = 6, .encap = 9 },
	  .s = { .pkt = {}, DROP(BAD_VIP), .dontcare = FLOWBITS } },
	{ "vip_id past XLB_MAX_VIPS: drop BAD_VIP",
	  { .fam = 4, .encap = IPIP, .vip_id = XLB_MAX_VIPS, .no_ring = true },
	  .s = { .pkt = {}, DROP(BAD_VIP), .dontcare = FLOWBITS } },
	{ "ring size 0: drop BAD_VIP", V4T(IPIP), .setup = set_vip_ring0,
	  .s = { .pkt = {}, DROP(BAD_VIP), .dontcare = FLOWBITS } },
	{ "maglev slot = flow hash mod ring size", V4T(IPIP), .setup = set_slot_flow,
	  .s = { .pkt = { .client = 3 }, FWD(X_ENCAP), .be = 2, NEW } },
	{ "maglev slot in a 65537-slot ring",
	  { .fam = 6, .encap = IPIP, .ring_size = 65537 },
	  .setup = set_slot_flow,
	  .s = { .pkt = { .client = 5 }, FWD(X_ENCAP), .be = 2, NEW } },
	{ "hash-src vip: slot = source hash mod ring size",
	  { .fam = 4, .encap = IPIP, .flags = XLB_VIP_F_HASH_SRC },
	  .setup = set_slot_src,
	  .s = { .pkt = { .client = 4, .sport = 1234 }, FWD(X_ENCAP), .be = 2, NEW } },
	{ "hash-src vip: another port of the same client, same slot",
	  { .fam = 6, .proto = UDP, .encap = GUE, .flags = XLB_VIP_F_HASH_SRC },
	  .setup = set_slot_src,
	  .s = { .pkt = { .client = 4, .sport = 4321 }, FWD(X_ENCAP), .be = 2, NEW } },

	/* Flow table */
	{ "ack with an entry follows it (FLOW_HIT)", V4T(IPIP), .setup = set_flow_b2,
	  .s = { .pkt = {}, FWD(X_ENCAP), .be = 2, .cnt = { CNT(FLOW_HIT, 1) } },
	  .check = chk_flow_b2 },
	/* the seeded entry never saw a non-SYN packet, and this SYN repeats the sequence
	 * number of the one that made it: a retransmission */
	{ "syn with an entry re-selects without reading it", V4T(IPIP), .setup = set_flow_b2_syn,
	  .s = { .pkt = { .flags = TCP_SYN },
		 FWD(X_ENCAP),
		 .cnt = { CNT(SYN, 1), CNT(SYN_RETX, 1) },
		 .dontcare = CNTBIT(FLOW_MISS) },
	  .check = chk_flow_b1 },
	/* the same, but another sequence number: a new attempt on a reused port */
	{ "syn with a new sequence number on an un-established entry: no retransmission", V4T(IPIP),
	  .setup = set_flow_b2,
	  .s = { .pkt = { .flags = TCP_SYN, .seq = 0x7000 },
		 FWD(X_ENCAP),
		 .cnt = { CNT(SYN, 1) },
		 .dontcare = CNTBIT(FLOW_MISS) },
	  .check = chk_flow_b1 },
	{ "rst without entry: forwarded, not inserted", V6T(GUE),
	  .s = { .pkt = { .flags = TCP_RST },
		 FWD(X_ENCAP),
		 .cnt = { CNT(RST_NO_FLOW, 1) },
		 .dontcare = CNTBIT(FLOW_MISS) },
	  .check = chk_no_flow },
	{ "rst|ack without entry: not inserted", V4T(IPIP),
	  .s = { .pkt = { .flags = TCP_RST | TCP_ACK },
		 FWD(X_ENCAP),
		 .cnt = { CNT(RST_NO_FLOW, 1) },
		 .dontcare = CNTBIT(FLOW_MISS) },
	  .check = chk_no_flow },
	{ "rst with an entry follows it", V4T(IPIP), .setup = set_flow_b2,
	  .s = { .pkt = { .flags = TCP_RST },
		 FWD(X_ENCAP),
		 .be = 2,
		 .cnt = { CNT(FLOW_HIT, 1) } } },
	{ "entry whose backend was regenerated is re-selected", V4T(IPIP),
	  .setup = set_flow_b2_regen,
	  .s = { .pkt = {},
		 FWD(X_ENCAP),
		 .cnt = { CNT(FLOW_RESELECT, 1) },
		 .dontcare = CNTBIT(FLOW_MISS) },
	  .check = chk_flow_b1 },
	{ "entry whose backend was deactivated is re-selected", V6T(IPIP),
	  .setup = set_flow_b2_inactive,
	  .s = { .pkt = {},
		 FWD(X_ENCAP),
		 .cnt = { CNT(FLOW_RESELECT, 1) },
		 .dontcare = CNTBIT(FLOW_MISS) },
	  .check = chk_flow_b1 },
	{ "entry with an out-of-range backend is re-selected", V4T(GUE), .setup = set_flow_bad_id,
	  .s = { .pkt = {},
		 FWD(X_ENCAP),
		 .cnt = { CNT(FLOW_RESELECT, 1) },
		 .dontcare = CNTBIT(FLOW_MISS) },
	  .check = chk_flow_b1 },
	{ "tcp entry idle for an hour still holds", V4T(IPIP), .setup = set_flow_b2_ancient,
	  .s = { .pkt = {}, FWD(X_ENCAP), .be = 2, .cnt = { CNT(FLOW_HIT, 1) } } },
	{ "udp entry within idle time holds",
	  { .fam = 4, .proto = UDP, .encap = IPIP },
	  .setup = set_flow_b2,
	  .s = { .pkt = {}, FWD(X_ENCAP), .be = 2, .cnt = { CNT(FLOW_HIT, 1) } } },
	{ "udp entry past udp_idle_ns is re-selected (UDP_EXPIRED)",
	  { .fam = 4, .proto = UDP, .encap = IPIP, .udp_idle_ns = 1000000 },
	  .setup = set_flow_b2_50ms,
	  .s = { .pkt = {},
		 FWD(X_ENCAP),
		 .cnt = { CNT(UDP_EXPIRED, 1) },
		 .dontcare = CNTBIT(FLOW_MISS) | CNTBIT(FLOW_RESELECT) },
	  .check = chk_flow_b1 },
	{ "v6 udp entry past the default idle time is re-selected",
	  { .fam = 6, .proto = UDP, .encap = GUE },
	  .setup = set_flow_b2_ancient,
	  .s = { .pkt = {},
		 FWD(X_ENCAP),
		 .cnt = { CNT(UDP_EXPIRED, 1) },
		 .dontcare = CNTBIT(FLOW_MISS) | CNTBIT(FLOW_RESELECT) },
	  .check = chk_flow_b1 },
	{ "udp entry 0.2 s old: hit, last_seen left alone (touch at most every 1 s)",
	  { .fam = 6, .proto = UDP, .encap = IPIP },
	  .setup = set_flow_b2_fresh,
	  .s = { .pkt = {}, FWD(X_ENCAP), .be = 2, .cnt = { CNT(FLOW_HIT, 1) } },
	  .check = chk_not_refreshed },
	{ "syn|ack with an entry follows it (not a syn)", V4T(IPIP), .setup = set_flow_b2,
	  .s = { .pkt = { .flags = TCP_SYN | TCP_ACK },
		 FWD(X_ENCAP),
		 .be = 2,
		 .cnt = { CNT(FLOW_HIT, 1) } },
	  .check = chk_flow_b2 },
	{ "udp entry 2 s old: hit and last_seen refreshed",
	  { .fam = 4, .proto = UDP, .encap = GUE },
	  .setup = set_flow_b2_2s,
	  .s = { .pkt = {}, FWD(X_ENCAP), .be = 2, .cnt = { CNT(FLOW_HIT, 1) } },
	  .check = chk_refreshed },

	/* PMTU: too big */
	{ "v4 DF too big for ipip: frag-needed, mtu 1480", V4T(IPIP),
	  .s = { .pkt = { .len = 1441 },
		 .verdict = XDP_TX,
		 .exp = X_TOO_BIG,
		 .tb_mtu = 1480,
		 .dontcare = FLOWBITS } },
	{ "v4 DF at exactly mtu after ipip: forwarded", V4T(IPIP),
	  .s = { .pkt = { .len = 1440 }, FWD(X_ENCAP), NEW } },
	{ "v4 DF too big for gue, vip mtu 1400: mtu 1372",
	  { .fam = 4, .encap = GUE, .mtu = 1400 },
	  .s = { .pkt = { .len = 1333 },
		 .verdict = XDP_TX,
		 .exp = X_TOO_BIG,
		 .tb_mtu = 1372,
		 .dontcare = FLOWBITS } },
	{ "v4 at exactly vip mtu after gue: forwarded",
	  { .fam = 4, .encap = GUE, .mtu = 1400 },
	  .s = { .pkt = { .len = 1332 }, FWD(X_ENCAP), NEW } },
	{ "v4 without DF too big: forwarded as is", V4T(IPIP),
	  .s = { .pkt = { .len = 1441, .nodf = true }, FWD(X_ENCAP), NEW } },
	{ "v4 too big, short packet: quote is the whole packet",
	  { .fam = 4, .encap = IPIP, .mtu = 100 },
	  .s = { .pkt = { .len = 50 },
		 .verdict = XDP_TX,
		 .exp = X_TOO_BIG,
		 .tb_mtu = 80,
		 .dontcare = FLOWBITS } },
	{ "v4 too big with two vlan tags",
	  { .fam = 4, .proto = UDP, .encap = GUE, .mtu = 576 },
	  .s = { .pkt = { .vlan = 2, .len = 600 },
		 .verdict = XDP_TX,
		 .exp = X_TOO_BIG,
		 .tb_mtu = 548,
		 .dontcare = FLOWBITS } },
	{ "v6 too big for ipip: packet-too-big, mtu 1460", V6T(IPIP),
	  .s = { .pkt = { .len = 1401 },
		 .verdict = XDP_TX,
		 .exp = X_TOO_BIG,
		 .tb_mtu = 1460,
		 .dontcare = FLOWBITS } },
	{ "v6 at exactly mtu after ipip: forwarded", V6T(IPIP),
	  .s = { .pkt = { .len = 1400 }, FWD(X_ENCAP), NEW } },
	{ "v6 udp too big for gue with a vlan tag: mtu 1452", V6U(GUE),
	  .s = { .pkt = { .vlan = 1, .len = 1405 },
		 .verdict = XDP_TX,
		 .exp = X_TOO_BIG,
		 .tb_mtu = 1452,
		 .dontcare = FLOWBITS } },
	{ "v4 vip to v6 backend too big: overhead 40",
	  { .fam = 4, .encap = IPIP, .be_fam = 6 },
	  .s = { .pkt = { .len = 1421 },
		 .verdict = XDP_TX,
		 .exp = X_TOO_BIG,
		 .tb_mtu = 1460,
		 .dontcare = FLOWBITS } },
	{ "v6 vip to v4 backend too big: overhead 20",
	  { .fam = 6, .encap = IPIP, .be_fam = 4 },
	  .s = { .pkt = { .len = 1421 },
		 .verdict = XDP_TX,
		 .exp = X_TOO_BIG,
		 .tb_mtu = 1480,
		 .dontcare = FLOWBITS } },
	{ "l2 mode has no mtu check",
	  { .fam = 4, .encap = L2, .mtu = 576 },
	  .s = { .pkt = { .len = 1460 }, FWD(X_L2), NEW } },

	/* Inbound ICMP errors */
	{ "icmp frag-needed quoting a vip flow goes to the flow's backend", V4T(IPIP),
	  .setup = set_flow_b2,
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 3, .icmp_code = 4, .icmp_mtu = 1400 },
		 FWD(X_ENCAP),
		 .be = 2,
		 .cnt = { CNT(ICMP_FWD, 1) },
		 .dontcare = FLOWBITS } },
	{ "icmp frag-needed without entry: maglev choice, no entry", V4T(GUE),
	  .s = { .pkt = { .kind = K_ICMP_ERR,
			  .icmp_type = 3,
			  .icmp_code = 4,
			  .icmp_mtu = 1400,
			  .qlen = 60 },
		 FWD(X_ENCAP),
		 .cnt = { CNT(ICMP_FWD, 1) },
		 .dontcare = FLOWBITS },
	  .check = chk_no_flow },
	{ "icmp time exceeded quoting a udp vip flow", V4U(GUE), .setup = set_flow_b2,
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 11 },
		 FWD(X_ENCAP),
		 .be = 2,
		 .cnt = { CNT(ICMP_FWD, 1) },
		 .dontcare = FLOWBITS } },
	{ "icmp port unreachable quoting a udp vip flow (v6 backend)",
	  { .fam = 4, .proto = UDP, .encap = IPIP, .be_fam = 6 },
	  .setup = set_flow_b2,
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 3, .icmp_code = 3 },
		 FWD(X_ENCAP),
		 .be = 2,
		 .cnt = { CNT(ICMP_FWD, 1) },
		 .dontcare = FLOWBITS } },
	{ "icmp error for an l2 vip flow: mac rewrite", V4T(L2), .setup = set_flow_b2,
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 3, .icmp_code = 4, .icmp_mtu = 1300 },
		 FWD(X_L2),
		 .be = 2,
		 .cnt = { CNT(ICMP_FWD, 1) },
		 .dontcare = FLOWBITS } },
	{ "icmpv6 packet-too-big quoting a vip flow goes to the flow's backend", V6T(IPIP),
	  .setup = set_flow_b2,
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 2, .icmp_mtu = 1280, .qlen = 100 },
		 FWD(X_ENCAP),
		 .be = 2,
		 .cnt = { CNT(ICMP_FWD, 1) },
		 .dontcare = FLOWBITS } },
	{ "icmpv6 destination unreachable quoting a vip flow", V6U(GUE), .setup = set_flow_b2,
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 1, .icmp_code = 4 },
		 FWD(X_ENCAP),
		 .be = 2,
		 .cnt = { CNT(ICMP_FWD, 1) },
		 .dontcare = FLOWBITS } },
	{ "icmpv6 time exceeded quoting a vip flow (v4 backend)",
	  { .fam = 6, .encap = IPIP, .be_fam = 4 },
	  .setup = set_flow_b2,
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 3 },
		 FWD(X_ENCAP),
		 .be = 2,
		 .cnt = { CNT(ICMP_FWD, 1) },
		 .dontcare = FLOWBITS } },
	{ "icmp error quoting only an ip header: drop ICMP_MALFORMED", V4T(IPIP),
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 3, .icmp_code = 4, .qlen = 20 },
		 DROP(ICMP_MALFORMED),
		 .dontcare = FLOWBITS } },
	{ "icmpv6 error quoting only an ip header: drop ICMP_MALFORMED", V6T(IPIP),
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 2, .qlen = 40 },
		 DROP(ICMP_MALFORMED),
		 .dontcare = FLOWBITS } },
	{ "icmp error quoting a port without vip: pass", V4T(IPIP),
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 3, .icmp_code = 4, .dport = 8081 },
		 PASS } },
	{ "icmp error to a non-vip address: pass", V4T(IPIP),
	  .s = { .pkt = { .kind = K_ICMP_ERR, .dst = D_OTHER, .icmp_type = 3, .icmp_code = 4 },
		 PASS } },
	{ "icmp redirect to a vip address: pass", V4T(IPIP),
	  .s = { .pkt = { .kind = K_ICMP_ERR, .icmp_type = 5 }, PASS } },

	/* Fragments */
	{ "v4 first fragment: forwarded and tracked", V4U(GUE),
	  .s = { .pkt = { .frag = FR_FIRST, .len = 200 },
		 FWD(X_ENCAP),
		 .cnt = { CNT(FLOW_MISS, 1), CNT(FRAG_FIRST, 1) } },
	  .check = chk_frag_entry },
	{ "v4 later fragment without first to a vip address: drop FRAG_MISS", V4U(GUE),
	  .s = { .pkt = { .frag = FR_LATER }, DROP(FRAG_MISS) } },
	{ "v6 later fragment without first to a vip address: drop FRAG_MISS", V6T(IPIP),
	  .s = { .pkt = { .frag = FR_LATER }, DROP(FRAG_MISS) } },
	{ "v6 later fragment at the largest offset without first: drop FRAG_MISS", V6U(GUE),
	  .s = { .pkt = { .frag = FR_LATER, .fragoff = 0x1fff }, DROP(FRAG_MISS) } },
	{ "v4 later fragment to a non-vip address: pass", V4U(GUE),
	  .s = { .pkt = { .frag = FR_LATER, .dst = D_OTHER }, PASS } },
	{ "v6 later fragment to a non-vip address: pass", V6U(GUE),
	  .s = { .pkt = { .frag = FR_LATER, .dst = D_OTHER }, PASS } },

	/* Transmit */
	{ "backend on the ingress device: XDP_TX", V4T(IPIP), .setup = set_be1_lo,
	  .s = { .pkt = {}, FWD(X_ENCAP), .ifindex = 1, NEW } },
	{ "backend ifindex missing from xlb_tx_ports: drop NO_TX_PORT", V4T(IPIP),
	  .setup = set_be1_unknown_port,
	  .s = { .pkt = {}, DROP(NO_TX_PORT), .ifindex = 1, .dontcare = FLOWBITS } },
};

/* BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header (ETH_HLEN),
 * so a cut Ethernet header can only be tested where the kernel allows it.
 */
static void case_short_eth(struct env *e)
{
	const char *name = "13-byte frame (ethernet header cut): pass";
	static const uint8_t frame[13] = { 0x02, 0, 0, 0,    0x1b, 0x01, 0x02,
					   0,	 0, 0, 0xc1, 0x01, 0x08 };
	static struct run r;
	struct tcase tc;

	if (run_prog(e->prog_fd, frame, sizeof(frame), 0, &r)) {
		tap_skip(name, "BPF_PROG_TEST_RUN refuses frames shorter than 14 bytes");
		return;
	}
	tap_begin(&tc, name);
	if (r.verdict != XDP_PASS || r.out_len != sizeof(frame) ||
	    memcmp(r.out, frame, sizeof(frame)))
		tap_fail(&tc, "expected XDP_PASS untouched, got %s", verdict_name(r.verdict));
	tap_end(&tc);
}

void suite_xdp(struct env *e)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct pspec ps = c->s.pkt;
		struct tcase tc;

		tap_begin(&tc, c->name);
		if (env_std(e, &c->vip)) {
			tap_fail(&tc, "map setup failed");
			tap_end(&tc);
			continue;
		}
		ps_resolve(&ps, &e->vip);
		if (c->setup && c->setup(e, &ps)) {
			tap_fail(&tc, "case setup failed");
		} else {
			step_run(e, &tc, &c->s);
			if (c->check)
				c->check(e, &tc, &ps);
		}
		tap_end(&tc);
	}
	case_short_eth(e);
}
