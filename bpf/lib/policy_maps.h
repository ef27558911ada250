/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Maps of the policy stage and the rate limits (<xlb/policy_abi.h>), BTF-defined
 * and pinned by name like those of maps.h. Rules live in two banks (index
 * bank * N + i, or outer slot = bank); the agent fills the inactive bank and
 * flips xlb_config.pol_bank. Rate-limit state is not banked.
 */
#ifndef XLB_BPF_POLICY_MAPS_H
#define XLB_BPF_POLICY_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xlb/policy_abi.h>
#include "maps.h"

/* Entries of the banked arrays (an expression clang-format takes for a type) */
#define XLB_POL_RULE_SLOTS (XLB_POL_BANKS * XLB_POL_RULES_MAX)
#define XLB_POL_SCOPE_SLOTS (XLB_POL_BANKS * XLB_POL_SCOPES)

/* Inner map templates of xlb_pol4/xlb_pol6: (scope, source prefix) -> rule
 * chain. An inner map must match the template exactly (type, key and value
 * size, flags, max_entries): an LPM trie takes no BPF_F_INNER_MAP, and it
 * requires BPF_F_NO_PREALLOC, so an empty trie costs no memory.
 * Sizes, not __type(): clang emits the key struct of a template only as a
 * forward declaration, which libbpf cannot size ("can't determine key size").
 */
struct xlb_pol4_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XLB_POL_PREFIX_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct xlb_pol_key4));
	__uint(value_size, sizeof(struct xlb_pol_chain));
};

struct xlb_pol6_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XLB_POL_PREFIX_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct xlb_pol_key6));
	__uint(value_size, sizeof(struct xlb_pol_chain));
};

/* IPv4 rule tries by bank; an empty slot means no IPv4 rules in that bank */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_POL_BANKS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct xlb_pol4_inner); /* must be last: flexible array */
} xlb_pol4 SEC(".maps");

/* IPv6 rule tries by bank; an empty slot means no IPv6 rules in that bank */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, XLB_POL_BANKS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct xlb_pol6_inner); /* must be last: flexible array */
} xlb_pol6 SEC(".maps");

/* Rules (action, protocol, destination ports) by bank * XLB_POL_RULES_MAX + id */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_POL_RULE_SLOTS);
	__type(key, __u32);
	__type(value, struct xlb_pol_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_pol_rules SEC(".maps");

/* Scope flags and default action by bank * XLB_POL_SCOPES + scope */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_POL_SCOPE_SLOTS);
	__type(key, __u32);
	__type(value, struct xlb_pol_scope);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_pol_scopes SEC(".maps");

/* Packets each rule decided, by rule id (not banked: ids are stable) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XLB_POL_RULES_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_pol_hits SEC(".maps");

/* Rate limits by scope (vip_id or XLB_POL_SCOPE_GLOBAL); intervals 0 = off */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_POL_SCOPES);
	__type(key, __u32);
	__type(value, struct xlb_rl_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_rl_cfg SEC(".maps");

/* Per-source GCRA buckets: (masked source, scope, family) -> TATs. One
 * shared LRU (not per CPU): a source's packets arrive on every CPU, and the
 * whole capacity should age as one list when sources churn.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XLB_RL_SRC_MAX);
	__type(key, struct xlb_rl_key);
	__type(value, struct xlb_rl_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_rl_src SEC(".maps");

/* New-flow ceiling per VIP: one GCRA TAT (ns) by vip_id, updated by CAS */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xlb_rl_ceil SEC(".maps");

#endif /* XLB_BPF_POLICY_MAPS_H */
