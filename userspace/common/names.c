// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* String tables for counters, drop reasons and encapsulation modes. Each table
 * is checked against its enum's sentinel at compile time.
 */
#include <string.h>
#include <xlb/consts.h>
#include <xlb/stats.h>
#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const counter_names[] = {
	[XLB_CNT_RX] = "rx",
	[XLB_CNT_PASS] = "pass",
	[XLB_CNT_TX] = "tx",
	[XLB_CNT_REDIRECT] = "redirect",
	[XLB_CNT_DROP] = "drop",
	[XLB_CNT_FLOW_HIT] = "flow_hit",
	[XLB_CNT_FLOW_MISS] = "flow_miss",
	[XLB_CNT_FLOW_RESELECT] = "flow_reselect",
	[XLB_CNT_UDP_EXPIRED] = "udp_expired",
	[XLB_CNT_SYN] = "syn",
	[XLB_CNT_RST_NO_FLOW] = "rst_no_flow",
	[XLB_CNT_FLOOD_GUARD] = "flood_guard",
	[XLB_CNT_FRAG_FIRST] = "frag_first",
	[XLB_CNT_FRAG_HIT] = "frag_hit",
	[XLB_CNT_ICMP_FWD] = "icmp_forwarded",
	[XLB_CNT_TOO_BIG_SENT] = "too_big_sent",
	[XLB_CNT_ENCAP_IPIP] = "encap_ipip",
	[XLB_CNT_ENCAP_GUE] = "encap_gue",
	[XLB_CNT_L2_DSR] = "l2_dsr",
	[XLB_CNT_FLOW_INSERT_FAIL] = "flow_insert_fail",
	[XLB_CNT_BRK_REROUTE] = "brk_reroute",
	[XLB_CNT_BRK_HALF_ADMIT] = "brk_half_open_admit",
	[XLB_CNT_BRK_EXHAUSTED] = "brk_exhausted",
	[XLB_CNT_BRK_FLOW_MOVED] = "brk_flow_moved",
	[XLB_CNT_SYN_RETX] = "syn_retx",
	[XLB_CNT_POL_ALLOW] = "pol_allow",
	[XLB_CNT_RL_NEW_SOURCE] = "rl_new_source",
	[XLB_CNT_RL_NO_BUCKET] = "rl_no_bucket",
};
_Static_assert(ARRAY_SIZE(counter_names) == __XLB_CNT_MAX, "names: counter table incomplete");

static const char *const drop_names[] = {
	[XLB_DROP_UNUSED0] = "none",
	[XLB_DROP_IP_MALFORMED] = "ip_malformed",
	[XLB_DROP_L4_TRUNCATED] = "l4_truncated",
	[XLB_DROP_TCP_DOFF] = "tcp_doff",
	[XLB_DROP_IPV6_EXT_BOUND] = "ipv6_ext_bound",
	[XLB_DROP_NO_RING] = "no_ring",
	[XLB_DROP_BAD_BACKEND] = "bad_backend",
	[XLB_DROP_BAD_VIP] = "bad_vip",
	[XLB_DROP_FRAG_MISS] = "frag_miss",
	[XLB_DROP_ADJUST] = "adjust_failed",
	[XLB_DROP_ICMP_MALFORMED] = "icmp_malformed",
	[XLB_DROP_POLICY] = "policy",
	[XLB_DROP_FAMILY] = "family_mismatch",
	[XLB_DROP_NO_TX_PORT] = "no_tx_port",
	[XLB_DROP_POLICY_DEFAULT] = "policy_default",
	[XLB_DROP_RL_PPS] = "rl_pps",
	[XLB_DROP_RL_NEW_FLOW] = "rl_new_flow",
	[XLB_DROP_RL_CEILING] = "rl_ceiling",
	[XLB_DROP_ICMP_RATE] = "icmp_rate_limited",
};
_Static_assert(ARRAY_SIZE(drop_names) == __XLB_DROP_MAX, "names: drop table incomplete");

static const char *const decap_names[] = {
	[XLB_DCAP_RX] = "rx",
	[XLB_DCAP_PASS] = "pass",
	[XLB_DCAP_IPIP4] = "ipip4",
	[XLB_DCAP_IP6IP6] = "ip6ip6",
	[XLB_DCAP_IP4IP6] = "ip4ip6",
	[XLB_DCAP_IP6IP4] = "ip6ip4",
	[XLB_DCAP_GUE4] = "gue4",
	[XLB_DCAP_GUE6] = "gue6",
	[XLB_DCAP_DROP_MALFORMED] = "drop_malformed",
	[XLB_DCAP_DROP_ADJUST] = "drop_adjust_failed",
	[XLB_DCAP_DROP_ECN] = "drop_ecn",
};
_Static_assert(ARRAY_SIZE(decap_names) == __XLB_DCAP_MAX, "names: decap table incomplete");

static const char *const encap_names[] = {
	[XLB_ENCAP_IPIP] = "ipip",
	[XLB_ENCAP_GUE] = "gue",
	[XLB_ENCAP_L2] = "l2",
};

static const char *lookup(const char *const *tab, unsigned int n, unsigned int idx)
{
	if (idx >= n || !tab[idx])
		return "unknown";
	return tab[idx];
}

const char *names_counter(unsigned int idx)
{
	return lookup(counter_names, ARRAY_SIZE(counter_names), idx);
}

const char *names_drop(unsigned int idx)
{
	return lookup(drop_names, ARRAY_SIZE(drop_names), idx);
}

const char *names_decap_counter(unsigned int idx)
{
	return lookup(decap_names, ARRAY_SIZE(decap_names), idx);
}

const char *names_encap(unsigned int mode)
{
	if (mode >= ARRAY_SIZE(encap_names))
		return NULL;
	return encap_names[mode];
}

int names_encap_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(encap_names); i++)
		if (encap_names[i] && !strcmp(s, encap_names[i]))
			return (int)i;
	return -1;
}
