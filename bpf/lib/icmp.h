/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ICMP: answering "too big" from XDP (ICMP frag-needed / ICMPv6 packet too
 * big, quoting min(L3 length, XLB_ICMP_QUOTE_MAX) bytes), and reading the
 * flow quoted by inbound ICMP errors so they reach the backend that owns it.
 * Returns 0, 1 (not ours: pass), or -XLB_DROP_*.
 */
#ifndef XLB_BPF_ICMP_H
#define XLB_BPF_ICMP_H

#include "csum.h"
#include "parse.h"
#include "rewrite.h"

#define XLB_ICMP_HDR_LEN 8

/* May this CPU send one more generated ICMP message now? A GCRA bucket per CPU
 * (ratelimit.h explains the arithmetic): config icmp_rate per second, icmp_burst
 * at once. Read and written by this CPU only. */
static __always_inline int xlb_icmp_admit(const struct xlb_config *cfg)
{
	__u64 rate = cfg->icmp_rate ?: XLB_ICMP_RATE_DEFAULT;
	__u64 burst = cfg->icmp_burst ?: XLB_ICMP_BURST_DEFAULT;
	__u64 interval = 1000000000ULL / rate, now = bpf_ktime_get_coarse_ns(), t;
	struct xlb_icmp_tb *tb;
	__u32 zero = 0;

	tb = bpf_map_lookup_elem(&xlb_icmp_tb, &zero);
	if (unlikely(!tb))
		return 0;
	t = tb->tat;
	if ((__s64)(t - now) > (__s64)((burst - 1) * interval))
		return 0;
	if ((__s64)(t - now) < 0)
		t = now;
	tb->tat = t + interval;
	return 1;
}

/* Turn the packet into a too-big answer to its sender; the caller returns XDP_TX.
 * @mtu is the largest packet the client may send (VIP mtu minus encap overhead).
 * The checksum always walks XLB_ICMP_QUOTE_MAX quoted bytes, a constant length
 * that keeps the walk free of branches (csum.h). A packet shorter than that
 * (only with a VIP mtu below 148; lbd allows 576 and up) is first grown with
 * zeros, which do not change the sum, and cut back to its length at the end.
 * Returns 0 or -XLB_DROP_*.
 */
static __always_inline int xlb_send_too_big(struct xdp_md *ctx, const struct xlb_pkt *pkt,
					    __u32 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l3_off = pkt->l3_off & 0x1f; /* verifier: L2 header is at most 22 bytes */
	__u32 q = pkt->l3_len < XLB_ICMP_QUOTE_MAX ? pkt->l3_len : XLB_ICMP_QUOTE_MAX;
	int v4 = pkt->key.family == XLB_FAMILY_V4;
	int grow = (v4 ? XLB_IPV4_HDR_LEN : XLB_IPV6_HDR_LEN) + XLB_ICMP_HDR_LEN;
	struct ethhdr *eth = data;
	struct xlb_macs macs;
	void *quote;
	__u64 sum;
	int ret, delta;

	if ((void *)(eth + 1) > data_end)
		return -XLB_DROP_ADJUST;
	__builtin_memcpy(macs.dmac, eth->h_source, ETH_ALEN); /* back to the sender */
	__builtin_memcpy(macs.smac, eth->h_dest, ETH_ALEN);

	/* keep L2 + the quoted bytes (zero-padded to the constant walk), then make
	 * room for IP + ICMP in front of them */
	delta = (int)(l3_off + XLB_ICMP_QUOTE_MAX) - (int)(data_end - data);
	if (delta && bpf_xdp_adjust_tail(ctx, delta)) /* the kernel zeroes what it grows */
		return -XLB_DROP_ADJUST;
	ret = xlb_push_l2(ctx, pkt, grow, &macs, v4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6));
	if (ret)
		return ret;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	if (v4) {
		struct iphdr o = {};
		struct xlb_icmphdr ic = {};
		struct iphdr *oh = data + l3_off;
		struct xlb_icmphdr *ich = (void *)(oh + 1);

		if ((void *)(ich + 1) > data_end)
			return -XLB_DROP_ADJUST;
		o.version = 4;
		o.ihl = 5;
		o.tot_len = bpf_htons(grow + q);
		o.ttl = XLB_OUTER_TTL;
		o.protocol = IPPROTO_ICMP;
		o.saddr = pkt->key.dst[0];
		o.daddr = pkt->key.src[0];
		o.check = xlb_csum_fold(xlb_csum_words(&o, sizeof(o) / 2));
		ic.type = XLB_ICMP4_DEST_UNREACH;
		ic.code = XLB_ICMP4_FRAG_NEEDED;
		ic.un.frag.mtu = bpf_htons(mtu);
		quote = (void *)(ich + 1);
		if (quote + XLB_ICMP_QUOTE_MAX > data_end)
			return -XLB_DROP_ADJUST;
		sum = xlb_csum_words(&ic, sizeof(ic) / 2) +
		      xlb_csum_pkt_const(quote, XLB_ICMP_QUOTE_MAX);
		ic.checksum = xlb_csum_fold(sum);
		__builtin_memcpy(oh, &o, sizeof(o));
		__builtin_memcpy(ich, &ic, sizeof(ic));
	} else {
		struct ipv6hdr o = {};
		struct icmp6hdr ic = {};
		struct ipv6hdr *oh = data + l3_off;
		struct icmp6hdr *ich = (void *)(oh + 1);

		if ((void *)(ich + 1) > data_end)
			return -XLB_DROP_ADJUST;
		o.version = 6;
		o.payload_len = bpf_htons(XLB_ICMP_HDR_LEN + q);
		o.nexthdr = IPPROTO_ICMPV6;
		o.hop_limit = XLB_OUTER_TTL;
		__builtin_memcpy(&o.saddr, pkt->key.dst, 16);
		__builtin_memcpy(&o.daddr, pkt->key.src, 16);
		ic.icmp6_type = ICMPV6_PKT_TOOBIG;
		ic.icmp6_mtu = bpf_htonl(mtu);
		quote = (void *)(ich + 1);
		if (quote + XLB_ICMP_QUOTE_MAX > data_end)
			return -XLB_DROP_ADJUST;
		/* pseudo-header: addresses, upper-layer length, next header */
		sum = xlb_csum_words(&o.saddr, 16) + bpf_htons(XLB_ICMP_HDR_LEN + q) +
		      bpf_htons(IPPROTO_ICMPV6);
		sum += xlb_csum_words(&ic, sizeof(ic) / 2) +
		       xlb_csum_pkt_const(quote, XLB_ICMP_QUOTE_MAX);
		ic.icmp6_cksum = xlb_csum_fold(sum);
		__builtin_memcpy(oh, &o, sizeof(o));
		__builtin_memcpy(ich, &ic, sizeof(ic));
	}
	/* a short packet: drop the zero padding again */
	if (q < XLB_ICMP_QUOTE_MAX && bpf_xdp_adjust_tail(ctx, (int)q - XLB_ICMP_QUOTE_MAX))
		return -XLB_DROP_ADJUST;
	return 0;
}

static __always_inline int xlb_icmp_is_error(const struct xlb_pkt *pkt)
{
	__u8 t = pkt->icmp_type;

	if (pkt->key.family == XLB_FAMILY_V4)
		return pkt->key.proto == IPPROTO_ICMP &&
		       (t == XLB_ICMP4_DEST_UNREACH || t == XLB_ICMP4_TIME_EXCEEDED);
	return pkt->key.proto == IPPROTO_ICMPV6 &&
	       (t == ICMPV6_DEST_UNREACH || t == ICMPV6_PKT_TOOBIG || t == ICMPV6_TIME_EXCEED);
}

/* The client->VIP flow quoted (as VIP->client) by an ICMP error, into @fk */
static __always_inline int xlb_icmp_quoted_flow(void *data, void *data_end,
						const struct xlb_pkt *pkt, struct xlb_flow_key *fk)
{
	void *inner = data + (pkt->l4_off & 0xfff) + XLB_ICMP_HDR_LEN; /* verifier: bounded */
	__be16 *ports;

	if (!xlb_icmp_is_error(pkt))
		return 1;
	if (pkt->key.family == XLB_FAMILY_V4) {
		struct iphdr *in = inner;

		if ((void *)(in + 1) > data_end)
			return -XLB_DROP_ICMP_MALFORMED;
		if (in->version != 4 || in->ihl < 5)
			return -XLB_DROP_ICMP_MALFORMED;
		if (in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
			return 1;
		ports = inner + in->ihl * 4;
		if ((void *)(ports + 2) > data_end)
			return -XLB_DROP_ICMP_MALFORMED;
		fk->family = XLB_FAMILY_V4;
		fk->proto = in->protocol;
		fk->src[0] = in->daddr;
		fk->dst[0] = in->saddr;
	} else {
		struct ipv6hdr *in = inner;

		if ((void *)(in + 1) > data_end)
			return -XLB_DROP_ICMP_MALFORMED;
		if (in->version != 6)
			return -XLB_DROP_ICMP_MALFORMED;
		if (in->nexthdr != IPPROTO_TCP && in->nexthdr != IPPROTO_UDP)
			return 1; /* quotes with extension headers are not followed */
		ports = (void *)(in + 1);
		if ((void *)(ports + 2) > data_end)
			return -XLB_DROP_ICMP_MALFORMED;
		fk->family = XLB_FAMILY_V6;
		fk->proto = in->nexthdr;
		__builtin_memcpy(fk->src, &in->daddr, 16);
		__builtin_memcpy(fk->dst, &in->saddr, 16);
	}
	/* reversed: the quoted packet went VIP -> client */
	fk->sport = ports[1];
	fk->dport = ports[0];
	return 0;
}

#endif /* XLB_BPF_ICMP_H */
