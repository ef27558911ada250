/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* L2 handling: rebuild the Ethernet header (keeping VLAN tags as received)
 * after growing the frame at the front, rewrite MACs in place for L2 DSR, and
 * pick the egress (XDP_TX on the ingress port, else XDP_REDIRECT via devmap).
 * Return 0 / an XDP verdict, or -XLB_DROP_*. Packet pointers taken before a
 * call to xlb_push_l2() are invalid afterwards.
 */
#ifndef XLB_BPF_REWRITE_H
#define XLB_BPF_REWRITE_H

#include "maps.h"
#include "parse.h"

#define XLB_ETH_TAGS_OFF 12 /* first TPID/ethertype byte */

/* Destination and source MAC, laid out as in struct xlb_backend (dmac at a
 * 4-byte boundary, smac right after), so both move as 32/16-bit words. */
struct xlb_macs {
	__u8 dmac[ETH_ALEN];
	__u8 smac[ETH_ALEN];
} __attribute__((aligned(4)));

static __always_inline const struct xlb_macs *xlb_be_macs(const struct xlb_backend *be)
{
	return (const struct xlb_macs *)be->dmac;
}

/* Write both MACs at @eth (bounds checked by the caller). Packet stores need
 * no alignment on architectures with efficient unaligned access, which XDP
 * JITs rely on; this replaces twelve byte moves with four word moves. */
static __always_inline void xlb_write_macs(void *eth, const struct xlb_macs *m)
{
	*(__u32 *)eth = *(const __u32 *)m->dmac;
	*(__u16 *)(eth + 4) = *(const __u16 *)(m->dmac + 4);
	*(__u16 *)(eth + 6) = *(const __u16 *)m->smac;
	*(__u32 *)(eth + 8) = *(const __u32 *)(m->smac + 2);
}

/* Grow the frame by @grow bytes at the front of the L3 header (0 allowed) and
 * write a fresh L2 header: the MACs in @m (stack or map memory, not the
 * packet), the received VLAN tags, then @proto as the innermost ethertype.
 */
static __always_inline int xlb_push_l2(struct xdp_md *ctx, const struct xlb_pkt *pkt, int grow,
				       const struct xlb_macs *m, __be16 proto)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 tag0 = 0, tag1 = 0;
	struct ethhdr *eth;
	__u32 *t;
	__be16 *p;

	if (pkt->nvlan >= 1) {
		t = data + XLB_ETH_TAGS_OFF;
		if ((void *)(t + 1) > data_end)
			return -XLB_DROP_ADJUST;
		tag0 = *t;
	}
	if (pkt->nvlan >= 2) {
		t = data + XLB_ETH_TAGS_OFF + 4;
		if ((void *)(t + 1) > data_end)
			return -XLB_DROP_ADJUST;
		tag1 = *t;
	}
	if (grow && bpf_xdp_adjust_head(ctx, -grow))
		return -XLB_DROP_ADJUST;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -XLB_DROP_ADJUST;
	xlb_write_macs(eth, m);
	if (pkt->nvlan == 0) {
		eth->h_proto = proto;
		return 0;
	}
	/* tags (TPID + TCI words) as received, then the ethertype */
	t = data + XLB_ETH_TAGS_OFF;
	if ((void *)(t + 2) + sizeof(*p) > data_end)
		return -XLB_DROP_ADJUST;
	t[0] = tag0;
	if (pkt->nvlan == 1) {
		p = (void *)(t + 1);
	} else {
		t[1] = tag1;
		p = (void *)(t + 2);
	}
	*p = proto;
	return 0;
}

/* L2 DSR: only the Ethernet addresses change */
static __always_inline int xlb_rewrite_macs(struct xdp_md *ctx, const struct xlb_backend *be)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -XLB_DROP_ADJUST;
	xlb_write_macs(eth, xlb_be_macs(be));
	return 0;
}

/* XDP_TX when the backend's egress is the ingress port, else redirect */
static __always_inline int xlb_tx(struct xdp_md *ctx, const struct xlb_backend *be)
{
	__u32 ifindex = be->ifindex;

	if (!ifindex || ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	if (bpf_redirect_map(&xlb_tx_ports, ifindex, XDP_DROP) != XDP_REDIRECT)
		return -XLB_DROP_NO_TX_PORT;
	return XDP_REDIRECT;
}

#endif /* XLB_BPF_REWRITE_H */
