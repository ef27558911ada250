/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Forwarding stages of xlb_xdp after parsing: a VIP packet (flow table,
 * Maglev, PMTU check, fragment tracking), a later fragment, an inbound ICMP
 * error. All end in xlb_deliver(): rewrite or encapsulate, then TX/REDIRECT.
 * Return an XDP verdict, or -XLB_DROP_* for the entry function to count.
 */
#ifndef XLB_BPF_FORWARD_H
#define XLB_BPF_FORWARD_H

#include <xlb/hash.h>
#include "encap.h"
#include "flow.h"
#include "frag.h"
#include "icmp.h"
#include "policy_stage.h"
#include "rewrite.h"
#include "stats.h"
#include "vip.h"

static __always_inline int xlb_vip_valid(const struct xlb_vip_val *vip)
{
	return vip->encap >= XLB_ENCAP_IPIP && vip->encap <= XLB_ENCAP_L2 &&
	       vip->vip_id < XLB_MAX_VIPS && vip->ring_size;
}

/* Rewrite (l2) or encapsulate (ipip/gue) for @be, then pick the egress */
static __always_inline int xlb_deliver(struct xdp_md *ctx, const struct xlb_pkt *pkt,
				       const struct xlb_backend *be, const struct xlb_config *cfg,
				       __u8 mode, __u32 hash, struct xlb_global_stats *st)
{
	int ret;

	if (mode == XLB_ENCAP_L2) {
		if (be->family != pkt->key.family)
			return -XLB_DROP_FAMILY;
		ret = xlb_rewrite_macs(ctx, be);
	} else {
		ret = xlb_encap(ctx, pkt, be, cfg, mode, hash);
	}
	if (ret)
		return ret;
	ret = xlb_tx(ctx, be);
	if (ret < 0)
		return ret;
	/* counted only once the packet is really on its way */
	XLB_COUNT(st, mode == XLB_ENCAP_L2  ? XLB_CNT_L2_DSR :
		      mode == XLB_ENCAP_GUE ? XLB_CNT_ENCAP_GUE :
					      XLB_CNT_ENCAP_IPIP);
	return ret;
}

/* A TCP/UDP packet to a VIP */
static __always_inline int xlb_forward_vip(struct xdp_md *ctx, const struct xlb_pkt *pkt,
					   const struct xlb_vip_val *vip,
					   const struct xlb_config *cfg,
					   struct xlb_global_stats *st, __u32 bytes)
{
	struct xlb_sel sel = {};
	__u32 hash, mtu, ohl = vip->ohl;
	__u8 mode = vip->encap;
	int ret;

	if (unlikely(!xlb_vip_valid(vip)))
		return -XLB_DROP_BAD_VIP;
	ret = xlb_policy(pkt, vip, cfg, st);
	if (ret)
		goto out_drop;

	/* Too big once encapsulated, and may not be fragmented: answered before the
	 * flow stage, so such a packet spends no flow state, new-flow token or
	 * half-open budget. The overhead is the VIP's largest (over its backends'
	 * families), which the agent writes with the VIP. */
	mtu = vip->mtu ?: XLB_MTU_DEFAULT;
	if (mode != XLB_ENCAP_L2 && pkt->l3_len + ohl > mtu && mtu > ohl &&
	    (pkt->key.family == XLB_FAMILY_V6 || pkt->df)) {
		ret = xlb_icmp_admit(cfg) ? xlb_send_too_big(ctx, pkt, mtu - ohl) :
					    -XLB_DROP_ICMP_RATE;
		if (ret)
			goto out_drop;
		XLB_COUNT(st, XLB_CNT_TOO_BIG_SENT);
		return XDP_TX;
	}

	ret = xlb_flow_select(pkt, vip, cfg, st, &sel);
	if (ret)
		goto out_drop;
	/* the outer headers' variation: ipip/gue, and fragments of any mode */
	hash = mode != XLB_ENCAP_L2 || pkt->frag == XLB_FRAG_FIRST ? xlb_hash_outer(&pkt->key) : 0;
	if (pkt->frag == XLB_FRAG_FIRST) {
		xlb_frag_record(pkt, sel.be_id, sel.be->gen, vip->vip_id, hash, mode);
		XLB_COUNT(st, XLB_CNT_FRAG_FIRST);
	}
	ret = xlb_deliver(ctx, pkt, sel.be, cfg, mode, hash, st);
	if (ret < 0)
		goto out_drop;
	xlb_vip_account(vip->vip_id, bytes, sel.new_flow, 0);
	xlb_be_account(sel.be_id, bytes, sel.new_flow);
	return ret;
out_drop:
	xlb_vip_account(vip->vip_id, 0, 0, 1);
	return ret;
}

/* A non-first fragment: follows the first fragment of its datagram */
static __always_inline int xlb_forward_frag(struct xdp_md *ctx, const struct xlb_pkt *pkt,
					    const struct xlb_config *cfg,
					    struct xlb_global_stats *st, __u32 bytes)
{
	struct xlb_frag_val *fv = xlb_frag_lookup(pkt);
	struct xlb_backend *be;
	__u32 be_id, vip_id;
	int ret;

	if (!fv)
		return xlb_fail_closed(pkt, -XLB_DROP_FRAG_MISS);
	be_id = fv->backend_id;
	vip_id = fv->vip_id;
	be = xlb_backend_get_gen(be_id, fv->backend_gen);
	if (!be)
		return -XLB_DROP_BAD_BACKEND;
	XLB_COUNT(st, XLB_CNT_FRAG_HIT);
	ret = xlb_deliver(ctx, pkt, be, cfg, fv->encap, fv->hash, st);
	if (ret < 0)
		return ret;
	xlb_vip_account(vip_id, bytes, 0, 0);
	xlb_be_account(be_id, bytes, 0);
	return ret;
}

/* An ICMP error quoting a VIP flow goes to the backend that owns the flow */
static __always_inline int xlb_forward_icmp(struct xdp_md *ctx, const struct xlb_pkt *pkt,
					    const struct xlb_config *cfg,
					    struct xlb_global_stats *st, __u32 bytes)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xlb_flow_key fk = {};
	struct xlb_sel sel = {};
	struct xlb_vip_val *vip;
	int ret;

	ret = xlb_icmp_quoted_flow(data, data_end, pkt, &fk);
	if (ret > 0)
		return XDP_PASS;
	if (ret < 0)
		return xlb_fail_closed(pkt, ret);
	vip = xlb_vip_lookup_addr(fk.dst, fk.dport, fk.proto, fk.family, cfg);
	if (!vip)
		return XDP_PASS;
	if (unlikely(!xlb_vip_valid(vip)))
		return -XLB_DROP_BAD_VIP;
	ret = xlb_flow_peek(&fk, vip, &sel, st);
	if (ret)
		return ret;
	XLB_COUNT(st, XLB_CNT_ICMP_FWD);
	/* vary the outer headers exactly as for the flow's own packets */
	ret = xlb_deliver(ctx, pkt, sel.be, cfg, vip->encap, xlb_hash_outer(&fk), st);
	if (ret < 0)
		return ret;
	xlb_vip_account(vip->vip_id, bytes, 0, 0);
	xlb_be_account(sel.be_id, bytes, 0);
	return ret;
}

#endif /* XLB_BPF_FORWARD_H */
