/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Encapsulation: IP-in-IP (4in4, 6in6, 4in6, 6in4) and GUE variant 1 (outer
 * IP + UDP, inner IP directly). Outer headers are built whole on the stack,
 * every byte set (no uninitialised headroom can leak, cf. CVE-2023-49062),
 * checksummed, then copied into the new headroom. The outer source varies its
 * low config.src_bits bits with the flow hash so backends' RSS spreads flows.
 * Returns 0 or -XLB_DROP_*.
 */
#ifndef XLB_BPF_ENCAP_H
#define XLB_BPF_ENCAP_H

#include "csum.h"
#include "parse.h"
#include "rewrite.h"

static __always_inline __u32 xlb_src_mask(__u8 bits)
{
	if (bits > XLB_SRC_BITS_MAX)
		bits = XLB_SRC_BITS_MAX;
	return (1U << bits) - 1;
}

/* Bytes added in front of the L3 packet */
static __always_inline int xlb_encap_overhead(__u8 mode, __u8 outer_family)
{
	int ohl = outer_family == XLB_FAMILY_V4 ? XLB_IPV4_HDR_LEN : XLB_IPV6_HDR_LEN;

	return mode == XLB_ENCAP_GUE ? ohl + XLB_UDP_HDR_LEN : ohl;
}

static __always_inline void xlb_gue_udp(struct udphdr *uh, const struct xlb_config *cfg,
					__u16 l3_len, __u32 hash)
{
	uh->source = bpf_htons(XLB_GUE_SPORT_BASE | (hash & XLB_GUE_SPORT_MASK));
	uh->dest = bpf_htons(cfg->gue_port ?: XLB_GUE_PORT_DEFAULT);
	uh->len = bpf_htons(XLB_UDP_HDR_LEN + l3_len);
	uh->check = 0; /* zero checksum for tunnels (RFC 6935/6936) */
}

static __always_inline int xlb_encap(struct xdp_md *ctx, const struct xlb_pkt *pkt,
				     const struct xlb_backend *be, const struct xlb_config *cfg,
				     __u8 mode, __u32 hash)
{
	int gue = mode == XLB_ENCAP_GUE;
	int inner4 = pkt->key.family == XLB_FAMILY_V4;
	__u8 proto = gue ? IPPROTO_UDP : inner4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	__u32 l3_off = pkt->l3_off & 0x1f; /* verifier: L2 header is at most 22 bytes */
	__u32 mask = xlb_src_mask(cfg->src_bits);
	void *data, *data_end;
	struct udphdr *uh;
	int ret, ohl;

	ohl = xlb_encap_overhead(mode, be->family);
	if (be->family == XLB_FAMILY_V4) {
		/* the header as five 32-bit words, network order: version/IHL, TOS,
		 * total length | id, flags/fragment | TTL, protocol, checksum |
		 * source | destination. Summing their 16-bit halves is the checksum. */
		__u32 w0, w1, w2, w3, w4;
		__u64 sum;
		__u32 *oh;

		w0 = bpf_htonl(0x45000000 | ((__u32)pkt->tos << 16) | (ohl + pkt->l3_len));
		w1 = bpf_htonl(((__u32)(inner4 ? bpf_ntohs((__be16)pkt->frag_id) : 0) << 16) |
			       ((!inner4 || pkt->df) ? XLB_IP_DF : 0));
		w2 = bpf_htonl(((__u32)XLB_OUTER_TTL << 24) | ((__u32)proto << 16));
		w3 = bpf_htonl((bpf_ntohl(cfg->src4) & ~mask) | (hash & mask));
		w4 = be->addr[0];
		sum = (w0 & 0xffff) + (w0 >> 16) + (w1 & 0xffff) + (w1 >> 16) + (w2 & 0xffff) +
		      (w2 >> 16) + (w3 & 0xffff) + (w3 >> 16) + (w4 & 0xffff) + (w4 >> 16);

		ret = xlb_push_l2(ctx, pkt, ohl, xlb_be_macs(be), bpf_htons(ETH_P_IP));
		if (ret)
			return ret;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		oh = data + l3_off;
		if ((void *)(oh + 5) > data_end)
			return -XLB_DROP_ADJUST;
		oh[0] = w0;
		oh[1] = w1;
		oh[2] = w2;
		oh[3] = w3;
		oh[4] = w4;
		*((__u16 *)oh + 5) = xlb_csum_fold(sum);
		uh = (void *)(oh + 5);
	} else {
		struct ipv6hdr o = {};
		struct ipv6hdr *oh;

		o.version = 6;
		o.priority = pkt->tos >> 4;
		o.flow_lbl[0] = ((pkt->tos & 0xf) << 4) | ((hash >> 16) & 0xf);
		o.flow_lbl[1] = (hash >> 8) & 0xff;
		o.flow_lbl[2] = hash & 0xff;
		o.payload_len = bpf_htons(ohl - XLB_IPV6_HDR_LEN + pkt->l3_len);
		o.nexthdr = proto;
		o.hop_limit = XLB_OUTER_TTL;
		__builtin_memcpy(&o.saddr, cfg->src6, 16);
		o.saddr.in6_u.u6_addr32[3] =
			bpf_htonl((bpf_ntohl(cfg->src6[3]) & ~mask) | (hash & mask));
		__builtin_memcpy(&o.daddr, be->addr, 16);

		ret = xlb_push_l2(ctx, pkt, ohl, xlb_be_macs(be), bpf_htons(ETH_P_IPV6));
		if (ret)
			return ret;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		oh = data + l3_off;
		if ((void *)(oh + 1) > data_end)
			return -XLB_DROP_ADJUST;
		__builtin_memcpy(oh, &o, sizeof(o));
		uh = (void *)(oh + 1);
	}
	if (gue) {
		if ((void *)(uh + 1) > data_end)
			return -XLB_DROP_ADJUST;
		xlb_gue_udp(uh, cfg, pkt->l3_len, hash);
	}
	return 0;
}

#endif /* XLB_BPF_ENCAP_H */
