/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* xlb_decap logic (docs/dataplane.md "xlb_decap"): strips IPv4/IPv6 outer headers
 * carrying IPIP (4), IPv6 (41) or GUE (UDP to the GUE port, variant 1) when the
 * outer destination is in xlb_dcap_addrs, and hands the inner packet to the stack.
 *
 * Contract:
 * - Bounds: every packet read or write is preceded by its own data_end check;
 *   after bpf_xdp_adjust_head() all pointers are taken again from ctx. The
 *   only loops (VLAN tag copies) are bounded by XLB_VLAN_MAX. No verifier
 *   workaround was needed (checked on kernel 6.18 with clang 14).
 * - Byte order: the GUE port argument is host order; addresses go into the
 *   struct xlb_addr key in network order, as received; ethertypes are written
 *   as bpf_htons() constants.
 * - Returns: every helper returns an enum xlb_decap_counter index, or
 *   XLB_DCAP_CONT (0) for "not decided yet, go on". XLB_DCAP_RX is 0 and is
 *   never a per-packet outcome, so the value is free. xlb_decap_packet() always
 *   returns the one outcome counter of the packet; the entry counts it and
 *   turns it into an XDP action with xlb_decap_verdict().
 * - Untouched unless stripped: a packet counted XLB_DCAP_PASS,
 *   XLB_DCAP_DROP_MALFORMED or XLB_DCAP_DROP_ECN has not been modified. The L2 header is saved on the
 *   stack and written back after bpf_xdp_adjust_head() rather than moved in
 *   place first: same result, no overlapping copy (a 20-byte outer header under
 *   a 22-byte double-tagged L2 header), and a failed adjust leaves the frame
 *   intact.
 */
#ifndef XLB_BPF_DECAP_H
#define XLB_BPF_DECAP_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xlb/consts.h>
#include <xlb/stats.h>
#include <xlb/types.h>
#include "compiler.h"
#include "csum.h"
#include "parse.h"
#include "decap_maps.h"

#define XLB_DCAP_CONT 0 /* helper result: keep going (the value of XLB_DCAP_RX) */

XLB_BUILD_BUG_ON(XLB_DCAP_RX != XLB_DCAP_CONT);
XLB_BUILD_BUG_ON(__XLB_DCAP_MAX > XLB_DCAP_SLOTS);
XLB_BUILD_BUG_ON((XLB_DCAP_SLOTS & (XLB_DCAP_SLOTS - 1)) != 0); /* counter index is masked */

/* What the outer header announced: how much to strip and how to count it. */
struct xlb_dcap_tnl {
	__u32 olen;	  /* outer IP (+ UDP) header length to strip */
	__u32 cnt;	  /* enum xlb_decap_counter counted on success */
	__be16 eth_proto; /* ethertype of the inner packet, network order */
	__u8 ver;	  /* inner IP version the outer protocol implies; 0 = read it (GUE) */
	__u8 ecn;	  /* ECN field of the outer header (RFC 3168) */
};

#define XLB_ECN_NOT_ECT 0
#define XLB_ECN_ECT1 1
#define XLB_ECN_ECT0 2
#define XLB_ECN_CE 3
#define XLB_ECN_DROP 0xff

/* RFC 6040 section 4.2 (normal mode): the inner ECN field after decapsulation,
 * or XLB_ECN_DROP. A CE mark set on the way between balancer and backend
 * reaches the inner packet unless it cannot carry one (Not-ECT: drop); ECT(1)
 * outside an ECT(0) packet is kept (it may be an L4S marking on the path). */
static __always_inline __u8 xlb_ecn_decap(__u8 inner, __u8 outer)
{
	if (outer == XLB_ECN_CE)
		return inner == XLB_ECN_NOT_ECT ? XLB_ECN_DROP : XLB_ECN_CE;
	if (outer == XLB_ECN_ECT1 && inner == XLB_ECN_ECT0)
		return XLB_ECN_ECT1;
	return inner;
}

/* The L2 header as received: Ethernet plus up to XLB_VLAN_MAX tags. */
struct xlb_dcap_l2 {
	struct ethhdr eth;
	struct xlb_vlan_hdr vlan[XLB_VLAN_MAX];
};

static __always_inline int xlb_decap_verdict(int cnt)
{
	switch (cnt) {
	case XLB_DCAP_DROP_MALFORMED:
	case XLB_DCAP_DROP_ADJUST:
	case XLB_DCAP_DROP_ECN:
		return XDP_DROP;
	default:
		return XDP_PASS; /* untouched (XLB_DCAP_PASS) or decapsulated */
	}
}

/* Is @a one of our tunnel endpoints? XLB_DCAP_CONT if so, else XLB_DCAP_PASS. */
static __always_inline int xlb_dcap_local(const struct xlb_addr *a)
{
	__u32 *hit;

	hit = bpf_map_lookup_elem(&xlb_dcap_addrs, a);
	if (!hit)
		return XLB_DCAP_PASS; /* not for us: the normal case for most traffic */
	return XLB_DCAP_CONT;
}

/* Outer IPv4 at @l3_off. Only a 20-byte, unfragmented header to a local
 * address carrying proto 4, 41 or UDP to @gue_port (host order) goes on.
 */
static __always_inline int xlb4_dcap_outer(void *data, void *data_end, __u32 l3_off, __u16 gue_port,
					   struct xlb_dcap_tnl *t)
{
	struct iphdr *iph = data + l3_off;
	struct xlb_addr a = {};
	struct udphdr *uh;

	if ((void *)(iph + 1) > data_end)
		return XLB_DCAP_PASS;
	if (iph->version != 4 || iph->ihl != 5)
		return XLB_DCAP_PASS; /* options are not accepted on tunnel packets */
	if (iph->frag_off & bpf_htons(XLB_IP_MF | XLB_IP_OFFMASK))
		return XLB_DCAP_PASS; /* fragments are left to the stack */
	t->ecn = iph->tos & 3;

	switch (iph->protocol) {
	case IPPROTO_IPIP:
		t->olen = sizeof(*iph);
		t->ver = 4;
		t->cnt = XLB_DCAP_IPIP4;
		break;
	case IPPROTO_IPV6:
		t->olen = sizeof(*iph);
		t->ver = 6;
		t->cnt = XLB_DCAP_IP6IP4;
		break;
	case IPPROTO_UDP:
		uh = (void *)(iph + 1);
		if ((void *)(uh + 1) > data_end)
			return XLB_DCAP_PASS; /* no port to match */
		if (uh->dest != bpf_htons(gue_port))
			return XLB_DCAP_PASS;
		t->olen = sizeof(*iph) + sizeof(*uh);
		t->ver = 0;
		t->cnt = XLB_DCAP_GUE4;
		break;
	default:
		return XLB_DCAP_PASS;
	}

	a.family = XLB_FAMILY_V4;
	a.addr[0] = iph->daddr;
	return xlb_dcap_local(&a);
}

/* Outer IPv6 at @l3_off. The next header must be 4, 41 or UDP to @gue_port
 * right after the fixed header: extension headers are not accepted (pass).
 */
static __always_inline int xlb6_dcap_outer(void *data, void *data_end, __u32 l3_off, __u16 gue_port,
					   struct xlb_dcap_tnl *t)
{
	struct ipv6hdr *ip6h = data + l3_off;
	struct xlb_addr a = {};
	struct udphdr *uh;

	if ((void *)(ip6h + 1) > data_end)
		return XLB_DCAP_PASS;
	if (ip6h->version != 6)
		return XLB_DCAP_PASS;
	t->ecn = (ip6h->flow_lbl[0] >> 4) & 3; /* the low bits of the traffic class */

	switch (ip6h->nexthdr) {
	case IPPROTO_IPIP:
		t->olen = sizeof(*ip6h);
		t->ver = 4;
		t->cnt = XLB_DCAP_IP4IP6;
		break;
	case IPPROTO_IPV6:
		t->olen = sizeof(*ip6h);
		t->ver = 6;
		t->cnt = XLB_DCAP_IP6IP6;
		break;
	case IPPROTO_UDP:
		uh = (void *)(ip6h + 1);
		if ((void *)(uh + 1) > data_end)
			return XLB_DCAP_PASS;
		if (uh->dest != bpf_htons(gue_port))
			return XLB_DCAP_PASS;
		t->olen = sizeof(*ip6h) + sizeof(*uh);
		t->ver = 0;
		t->cnt = XLB_DCAP_GUE6;
		break;
	default:
		return XLB_DCAP_PASS; /* other protocols and every extension header */
	}

	a.family = XLB_FAMILY_V6;
	__builtin_memcpy(a.addr, &ip6h->daddr, sizeof(a.addr));
	return xlb_dcap_local(&a);
}

/* Inner header at @off, minimal check: the version (as announced by the
 * outer protocol, or 4/6 for GUE) and a complete fixed header. Sets
 * t->eth_proto. A tunnel packet for us that fails is XLB_DCAP_DROP_MALFORMED.
 * Then the outer ECN field goes into the inner header (RFC 6040 normal mode;
 * an outer CE over a Not-ECT inner packet is XLB_DCAP_DROP_ECN).
 */
static __always_inline int xlb_dcap_inner(void *data, void *data_end, __u32 off,
					  struct xlb_dcap_tnl *t)
{
	__u8 *first = data + off;
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__u8 ver, ecn;

	if ((void *)(first + 1) > data_end)
		return XLB_DCAP_DROP_MALFORMED; /* empty tunnel payload */
	ver = *first >> 4;
	if (t->ver && ver != t->ver)
		return XLB_DCAP_DROP_MALFORMED; /* e.g. proto 4 carrying a version 6 header */

	if (ver == 4) {
		iph = data + off;
		if ((void *)(iph + 1) > data_end)
			return XLB_DCAP_DROP_MALFORMED;
		ecn = xlb_ecn_decap(iph->tos & 3, t->ecn);
		if (ecn == XLB_ECN_DROP)
			return XLB_DCAP_DROP_ECN;
		if (ecn != (iph->tos & 3)) {
			/* the first 16-bit word holds version/IHL and TOS (RFC 1624) */
			__be16 old = *(__be16 *)iph;

			iph->tos = (iph->tos & ~3) | ecn;
			iph->check = xlb_csum_replace16(iph->check, old, *(__be16 *)iph);
		}
		t->eth_proto = bpf_htons(ETH_P_IP);
		return XLB_DCAP_CONT;
	}
	if (ver == 6) {
		ip6h = data + off;
		if ((void *)(ip6h + 1) > data_end)
			return XLB_DCAP_DROP_MALFORMED;
		ecn = xlb_ecn_decap((ip6h->flow_lbl[0] >> 4) & 3, t->ecn);
		if (ecn == XLB_ECN_DROP)
			return XLB_DCAP_DROP_ECN;
		ip6h->flow_lbl[0] = (ip6h->flow_lbl[0] & ~0x30) | (ecn << 4);
		t->eth_proto = bpf_htons(ETH_P_IPV6);
		return XLB_DCAP_CONT;
	}
	return XLB_DCAP_DROP_MALFORMED; /* GUE payload of an unknown version */
}

/* Removes t->olen bytes between the L2 header (Ethernet + @nvlan tags, kept as
 * received) and the inner packet, and sets the innermost ethertype to
 * t->eth_proto. Returns t->cnt, or a DROP_* counter.
 */
static __always_inline int xlb_dcap_strip(struct xdp_md *ctx, __u32 nvlan,
					  const struct xlb_dcap_tnl *t)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xlb_dcap_l2 l2 = {};
	struct xlb_vlan_hdr *vh;
	struct ethhdr *eth;
	__be16 *etype;
	__u32 l2_len;
	__u32 i;

	/* Save the L2 header: after adjust_head it is rewritten t->olen bytes later */
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XLB_DCAP_DROP_MALFORMED; /* cannot happen: parse_eth read it */
	__builtin_memcpy(&l2.eth, eth, sizeof(*eth));
	for (i = 0; i < XLB_VLAN_MAX; i++) {
		if (i >= nvlan)
			break;
		vh = data + sizeof(*eth) + i * sizeof(*vh);
		if ((void *)(vh + 1) > data_end)
			return XLB_DCAP_DROP_MALFORMED;
		__builtin_memcpy(&l2.vlan[i], vh, sizeof(*vh));
	}

	if (bpf_xdp_adjust_head(ctx, (int)t->olen))
		return XLB_DCAP_DROP_ADJUST;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XLB_DCAP_DROP_ADJUST; /* cannot happen: the inner header follows */
	__builtin_memcpy(eth, &l2.eth, sizeof(*eth));
	for (i = 0; i < XLB_VLAN_MAX; i++) {
		if (i >= nvlan)
			break;
		vh = data + sizeof(*eth) + i * sizeof(*vh);
		if ((void *)(vh + 1) > data_end)
			return XLB_DCAP_DROP_ADJUST;
		__builtin_memcpy(vh, &l2.vlan[i], sizeof(*vh));
	}

	/* The innermost ethertype is always the last two bytes of the L2 header */
	l2_len = sizeof(*eth) + nvlan * sizeof(*vh);
	etype = data + l2_len - sizeof(*etype);
	if ((void *)(etype + 1) > data_end)
		return XLB_DCAP_DROP_ADJUST;
	*etype = t->eth_proto;
	return t->cnt;
}

/* One packet: returns its outcome counter (XLB_DCAP_PASS, a decap counter or
 * XLB_DCAP_DROP_*). @gue_port is host order and already defaulted.
 */
static __always_inline int xlb_decap_packet(struct xdp_md *ctx, __u16 gue_port)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xlb_dcap_tnl t = {};
	struct xlb_pkt pkt = {};
	__be16 proto;
	__u32 l3_off;
	int ret;

	if (parse_eth(data, data_end, &pkt, &proto))
		return XLB_DCAP_PASS; /* not IP, or more VLAN tags than XLB_VLAN_MAX */
	l3_off = pkt.l3_off;

	if (proto == bpf_htons(ETH_P_IP))
		ret = xlb4_dcap_outer(data, data_end, l3_off, gue_port, &t);
	else
		ret = xlb6_dcap_outer(data, data_end, l3_off, gue_port, &t);
	if (ret != XLB_DCAP_CONT)
		return ret;

	ret = xlb_dcap_inner(data, data_end, l3_off + t.olen, &t);
	if (ret != XLB_DCAP_CONT)
		return ret;

	return xlb_dcap_strip(ctx, pkt.nvlan, &t);
}

#endif /* XLB_BPF_DECAP_H */
