// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xlb_decap: XDP entry for backends. Strips the IPIP / GUE encapsulation xlb_xdp
 * adds, for the tunnel endpoints listed in xlb_dcap_addrs, and counts every
 * packet in xlb_dcap_cnt. The logic lives in lib/decap.h.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xlb/abi.h>
#include <xlb/consts.h>
#include <xlb/stats.h>
#include <xlb/types.h>
#include "lib/compiler.h"
#include "lib/decap.h"

/* GUE destination port, host order, set through skel->rodata before load;
 * 0 = XLB_GUE_PORT_DEFAULT (6080).
 */
const volatile __u16 xlb_decap_gue_port = 0;

/* ABI of this object, for lbd to compare with its own before reusing pins */
const volatile __u32 xlb_abi_version = XLB_ABI_VERSION;

SEC("xdp")
int xlb_decap(struct xdp_md *ctx)
{
	__u16 gue_port = xlb_decap_gue_port;
	struct xlb_decap_stats *st;
	__u32 key = 0;
	int cnt;

	cnt = xlb_decap_packet(ctx, gue_port ? gue_port : XLB_GUE_PORT_DEFAULT);

	/* The single exit: RX plus exactly one outcome counter per packet */
	st = bpf_map_lookup_elem(&xlb_dcap_cnt, &key);
	if (likely(st)) { /* key 0 of a one-entry array: a miss has nowhere to be counted */
		st->cnt[XLB_DCAP_RX]++;
		/* helpers return enum values only; the mask keeps a future slip in bounds */
		st->cnt[cnt & (XLB_DCAP_SLOTS - 1)]++;
	}
	return xlb_decap_verdict(cnt);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
