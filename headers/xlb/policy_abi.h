/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Policy ABI (issue 5): source CIDR allow/deny rules and per-source rate
 * limits, shared by bpf/lib/policy_stage.h, bpf/lib/ratelimit.h and the agent.
 *
 * Rules. A scope is the global rule set (XLB_POL_SCOPE_GLOBAL) or one VIP's
 * (its vip_id). Each family has one LPM trie per bank whose keys are
 * (scope, source prefix); the value is the chain of rules that apply to every
 * source under that prefix, most specific CIDR first. The agent computes the
 * chains (a rule applies to prefix P when P lies inside its CIDR and inside
 * none of its `except` blocks), so one trie lookup per scope decides: the
 * first rule of the chain whose protocol and destination ports match wins;
 * no match means the scope's default. Global is evaluated first: a global deny
 * drops; otherwise the VIP scope decides.
 *
 * Atomic replacement: everything a packet reads for policy lives in two
 * banks; the agent fills the inactive one and flips xlb_config.pol_bank with
 * one write. Hit counters are indexed by rule id only (ids are kept stable by
 * the agent across replacements).
 *
 * Rate limits: GCRA (virtual scheduling) buckets. `tat` is the theoretical
 * arrival time in ns; a packet at time t conforms when tat - t <= tolerance,
 * tolerance = (burst - 1) * interval, then tat = max(tat, t) + interval.
 */
#ifndef XLB_POLICY_ABI_H
#define XLB_POLICY_ABI_H

#include <linux/types.h>
#include <xlb/consts.h>

#ifndef XLB_ASSERT_SIZE
#define XLB_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), "ABI: sizeof(" #type ") changed")
#endif

/* Map names (<= 15 characters) */
#define XLB_MAP_POL4 "xlb_pol4"		    /* ARRAY_OF_MAPS[2] of LPM_TRIE (xlb_pol_key4) */
#define XLB_MAP_POL6 "xlb_pol6"		    /* ARRAY_OF_MAPS[2] of LPM_TRIE (xlb_pol_key6) */
#define XLB_MAP_POL_RULES "xlb_pol_rules"   /* ARRAY[2 * XLB_POL_RULES_MAX] of xlb_pol_rule */
#define XLB_MAP_POL_SCOPES "xlb_pol_scopes" /* ARRAY[2 * XLB_POL_SCOPES] of xlb_pol_scope */
#define XLB_MAP_POL_HITS "xlb_pol_hits"	    /* PERCPU_ARRAY[XLB_POL_RULES_MAX] of __u64 */
#define XLB_MAP_RL_CFG "xlb_rl_cfg"	    /* ARRAY[XLB_POL_SCOPES] of xlb_rl_cfg */
#define XLB_MAP_RL_SRC "xlb_rl_src"	    /* LRU_HASH xlb_rl_key -> xlb_rl_val */
#define XLB_MAP_RL_CEIL "xlb_rl_ceil"	    /* ARRAY[XLB_MAX_VIPS] of __u64 tat (atomic) */

#define XLB_POL_BANKS 2
#ifndef XLB_POL_RULES_MAX
#define XLB_POL_RULES_MAX 131072 /* rules (ids 0 .. max-1) */
#endif
#ifndef XLB_POL_PREFIX_MAX
#define XLB_POL_PREFIX_MAX 262144 /* trie entries per family and bank */
#endif
#ifndef XLB_RL_SRC_MAX
#define XLB_RL_SRC_MAX 262144 /* source buckets (LRU) */
#endif
#define XLB_POL_CHAIN_MAX 8 /* rules that may apply to one prefix */
#define XLB_POL_PORTS_MAX 4 /* port ranges of one rule */

/* Scope index: a vip_id, or the global rule set */
#define XLB_POL_SCOPE_GLOBAL XLB_MAX_VIPS
#define XLB_POL_SCOPES (XLB_MAX_VIPS + 1)

/* xlb_pol_rule.action, xlb_pol_scope.dflt */
#define XLB_POL_ALLOW 0
#define XLB_POL_DENY 1

/* xlb_pol_scope.flags */
#define XLB_POL_SCOPE_F_RULES (1U << 0) /* the scope has rules: look the trie up */

/* LPM keys: prefixlen = 32 (scope, always whole) + source prefix length */
struct xlb_pol_key4 {
	__u32 prefixlen;
	__u32 scope; /* XLB_POL_SCOPE_GLOBAL or vip_id, host order */
	__be32 addr; /* network order */
};
XLB_ASSERT_SIZE(struct xlb_pol_key4, 12);

struct xlb_pol_key6 {
	__u32 prefixlen;
	__u32 scope;
	__be32 addr[4];
};
XLB_ASSERT_SIZE(struct xlb_pol_key6, 24);

/* LPM value: rule ids that apply under this prefix, most specific first */
struct xlb_pol_chain {
	__u32 n; /* 0 .. XLB_POL_CHAIN_MAX */
	__u32 rule[XLB_POL_CHAIN_MAX];
	__u32 pad;
};
XLB_ASSERT_SIZE(struct xlb_pol_chain, 40);

struct xlb_pol_ports {
	__u16 lo; /* host order, inclusive */
	__u16 hi;
};

/* xlb_pol_rules value, index bank * XLB_POL_RULES_MAX + rule id */
struct xlb_pol_rule {
	__u8 action; /* XLB_POL_ALLOW / XLB_POL_DENY */
	__u8 proto;  /* 0 = any; IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP (ICMPv6 for IPv6) */
	__u8 nports; /* 0 = any destination port */
	__u8 pad;
	struct xlb_pol_ports ports[XLB_POL_PORTS_MAX]; /* destination ports */
};
XLB_ASSERT_SIZE(struct xlb_pol_rule, 20);

/* xlb_pol_scopes value, index bank * XLB_POL_SCOPES + scope */
struct xlb_pol_scope {
	__u8 flags; /* XLB_POL_SCOPE_F_* */
	__u8 dflt;  /* XLB_POL_ALLOW / XLB_POL_DENY: when no rule matches */
	__u8 pad[2];
};
XLB_ASSERT_SIZE(struct xlb_pol_scope, 4);

/* xlb_rl_cfg value, index scope. Intervals in ns per token (0 = limit off);
 * tolerance = (burst - 1) * interval, precomputed by the agent. */
struct xlb_rl_cfg {
	__u64 pps_interval_ns; /* per source: every packet */
	__u64 pps_tolerance_ns;
	__u64 nf_interval_ns; /* per source: new flows */
	__u64 nf_tolerance_ns;
	__u64 ceil_interval_ns; /* whole VIP: new flows (VIP scopes only) */
	__u64 ceil_tolerance_ns;
	__u8 prefix4; /* source prefix a bucket covers: 1-32, default 32 */
	__u8 prefix6; /* 1-128, default 64 */
	__u8 pad[6];
};
XLB_ASSERT_SIZE(struct xlb_rl_cfg, 56);

/* xlb_rl_src key: one source prefix in one scope */
struct xlb_rl_key {
	__be32 addr[4]; /* masked to the scope's prefix length */
	__u32 scope;
	__u8 family;
	__u8 pad[3];
};
XLB_ASSERT_SIZE(struct xlb_rl_key, 24);

struct xlb_rl_val {
	__u64 pps_tat; /* GCRA theoretical arrival times, ns (coarse clock) */
	__u64 nf_tat;
};
XLB_ASSERT_SIZE(struct xlb_rl_val, 16);

#endif /* XLB_POLICY_ABI_H */
