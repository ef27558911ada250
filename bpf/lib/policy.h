/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Policy stage, after the VIP lookup: source CIDR allow/deny rules (global
 * first, then the VIP's) and per-source packet-rate limits (<xlb/policy.h>).
 * Returns 0 to go on, or -XLB_DROP_*.
 * (Stub until the policy work lands: nothing is filtered.)
 */
#ifndef XLB_BPF_POLICY_H
#define XLB_BPF_POLICY_H

#include <xlb/policy.h>
#include "parse.h"
#include "stats.h"

static __always_inline int xlb_policy(const struct xlb_pkt *pkt, const struct xlb_vip_val *vip,
				      const struct xlb_config *cfg, struct xlb_global_stats *st)
{
	return 0;
}

#endif /* XLB_BPF_POLICY_H */
