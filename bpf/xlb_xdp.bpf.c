// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_xdp: the load balancer's XDP entry. Per packet: parse -> VIP lookup
 * -> policy -> flow table -> Maglev -> rewrite/encapsulate ->
 * TX/REDIRECT.
 * One exit path turns stage results into a verdict and counts it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lib/forward.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/vip.h"

const volatile __u32 xlb_abi_version = XLB_ABI_VERSION;

static __always_inline int xlb_process(struct xdp_md *ctx, struct xlb_global_stats *st)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 bytes = data_end - data;
	struct xlb_config *cfg;
	struct xlb_vip_val *vip;
	struct xlb_pkt pkt = {};
	__u32 zero = 0;
	int ret;

	ret = parse_packet(data, data_end, &pkt);
	if (ret == XLB_PARSE_NOT_IP)
		return XDP_PASS;
	if (ret < 0)
		return xlb_fail_closed(&pkt, ret);

	cfg = bpf_map_lookup_elem(&xlb_config, &zero);
	if (unlikely(!cfg))
		return XDP_ABORTED; /* cannot happen: single-entry array */
	if (pkt.frag == XLB_FRAG_LATER)
		return xlb_forward_frag(ctx, &pkt, cfg, st, bytes);
	if (pkt.key.proto == IPPROTO_ICMP || pkt.key.proto == IPPROTO_ICMPV6)
		return xlb_forward_icmp(ctx, &pkt, cfg, st, bytes);
	if (pkt.key.proto != IPPROTO_TCP && pkt.key.proto != IPPROTO_UDP)
		return XDP_PASS;

	vip = xlb_vip_lookup(&pkt, cfg);
	if (!vip)
		return XDP_PASS;
	return xlb_forward_vip(ctx, &pkt, vip, cfg, st, bytes);
}

SEC("xdp")
int xlb_xdp(struct xdp_md *ctx)
{
	struct xlb_global_stats *st = xlb_stats_get();
	int ret;

	if (unlikely(!st))
		return XDP_ABORTED; /* cannot happen: single-entry array */
	XLB_COUNT(st, XLB_CNT_RX);
	ret = xlb_process(ctx, st);
	if (ret < 0) {
		XLB_COUNT(st, XLB_CNT_DROP);
		st->drops[(-ret) & (XLB_DROPS_SLOTS - 1)]++;
		return XDP_DROP;
	}
	switch (ret) {
	case XDP_TX:
		XLB_COUNT(st, XLB_CNT_TX);
		break;
	case XDP_REDIRECT:
		XLB_COUNT(st, XLB_CNT_REDIRECT);
		break;
	default:
		ret = XDP_PASS;
		XLB_COUNT(st, XLB_CNT_PASS);
		break;
	}
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
