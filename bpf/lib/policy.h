/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Policy stage (source CIDR allow/deny, per-source rate limits): placed in the
 * pipeline now, filled in by the policy work. Returns 0 to go on, or
 * -XLB_DROP_POLICY.
 */
#ifndef XLB_BPF_POLICY_H
#define XLB_BPF_POLICY_H

#include "parse.h"

static __always_inline int xlb_policy(struct xdp_md *ctx, const struct xlb_pkt *pkt)
{
	return 0;
}

#endif /* XLB_BPF_POLICY_H */
