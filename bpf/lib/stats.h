/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-CPU counters. The global block is looked up once per packet by the entry
 * function and handed down; per-VIP and per-backend counters are bumped once
 * per forwarded packet. No atomics: userspace sums the CPUs.
 */
#ifndef XLB_BPF_STATS_H
#define XLB_BPF_STATS_H

#include "maps.h"

#define XLB_COUNT(st, idx) ((st)->cnt[(idx)]++)

static __always_inline struct xlb_global_stats *xlb_stats_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xlb_counters, &zero);
}

static __always_inline void xlb_vip_account(__u32 vip_id, __u64 bytes, int new_flow, int drop)
{
	struct xlb_vip_stats *vs = bpf_map_lookup_elem(&xlb_vip_stats, &vip_id);

	if (unlikely(!vs))
		return;
	if (drop) {
		vs->drops++;
		return;
	}
	vs->packets++;
	vs->bytes += bytes;
	vs->new_flows += new_flow;
}

static __always_inline void xlb_be_account(__u32 be_id, __u64 bytes, int new_flow)
{
	struct xlb_be_stats *bs = bpf_map_lookup_elem(&xlb_be_stats, &be_id);

	if (unlikely(!bs))
		return;
	bs->packets++;
	bs->bytes += bytes;
	bs->new_flows += new_flow;
}

#endif /* XLB_BPF_STATS_H */
