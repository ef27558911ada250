// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy: the rate-limit arithmetic, a scope's limits as GCRA intervals and
 * tolerances (xlb_rl_cfg, <xlb/policy_abi.h>)
 */
#include <string.h>
#include "agent/model/policy_int.h"

static void gcra(uint32_t rate, uint32_t burst, __u64 *interval, __u64 *tolerance)
{
	uint64_t iv;

	*interval = *tolerance = 0;
	if (!rate)
		return;
	iv = (1000000000ULL + rate / 2) / rate;
	if (!iv)
		iv = 1;
	if (!burst)
		burst = rate; /* one second's worth */
	*interval = iv;
	*tolerance = (uint64_t)(burst - 1) * iv;
}

void policy_rl_value(const struct pol_scope *s, struct xlb_rl_cfg *out)
{
	memset(out, 0, sizeof(*out));
	out->prefix4 = POL_DEF_PREFIX_LEN;
	out->prefix6 = POL_DEF_PREFIX_LEN6;
	if (!s || !s->has_rl)
		return;
	gcra(s->rl.pps, s->rl.burst, &out->pps_interval_ns, &out->pps_tolerance_ns);
	gcra(s->rl.new_flows, s->rl.new_flows_burst, &out->nf_interval_ns, &out->nf_tolerance_ns);
	if (!s->global)
		gcra(s->rl.ceiling, s->rl.ceiling_burst, &out->ceil_interval_ns,
		     &out->ceil_tolerance_ns);
	out->prefix4 = s->rl.prefix_len;
	out->prefix6 = s->rl.prefix_len6;
}
