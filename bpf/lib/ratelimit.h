/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* New-flow rate limits, called by the flow stage for a packet that would
 * start a flow, before a backend is chosen: per source and the VIP's ceiling
 * (<xlb/policy.h>). Returns 0 to go on, or -XLB_DROP_*.
 * (Stub until the policy work lands: nothing is limited.)
 */
#ifndef XLB_BPF_RATELIMIT_H
#define XLB_BPF_RATELIMIT_H

#include <xlb/policy.h>
#include "parse.h"
#include "stats.h"

static __always_inline int xlb_rl_new_flow(const struct xlb_pkt *pkt, const struct xlb_vip_val *vip,
					   const struct xlb_config *cfg, struct xlb_global_stats *st)
{
	return 0;
}

#endif /* XLB_BPF_RATELIMIT_H */
