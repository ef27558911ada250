/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* policy: source CIDR allow/deny rules and per-source rate limits (issue 5)
 * as a pure in-memory model, and its compiler into the dataplane values of
 * <xlb/policy_abi.h>. No I/O, no maps. Commands (`policy ...`, `ratelimit ...`)
 * go through policy_apply(), which validates everything before it changes
 * anything; `lbctl show` and the state file come from policy_print().
 *
 * Semantics (Kubernetes NetworkPolicy ipBlock): a rule applies to a source
 * inside its CIDR and inside none of its except blocks. Of the rules of a
 * scope that apply, the one with the longest CIDR decides; among rules with
 * the same CIDR, those with proto/ports come first, then insertion order; the
 * first whose proto and destination ports match the packet wins, else the
 * scope's default (allow unless `policy default ... deny`). The global scope
 * is evaluated first (a global deny drops), then the VIP's.
 *
 * Rules of one scope and family are kept in a path-compressed binary trie of
 * the prefixes they use (CIDRs and except blocks), so adding a rule checks
 * only the prefixes inside its CIDR and compiling is one walk, no sort.
 */
#ifndef XLB_AGENT_POLICY_H
#define XLB_AGENT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xlb/types.h>
#include <xlb/policy_abi.h>
#include "common/cidr.h"
#include "common/grammar.h"

/* The VIPs that exist, as policy_apply needs to know them: the policy model
 * does not know the config (config.c calls it, never the other way; config.h
 * gives config_vip_set()) */
struct pol_vip_set {
	bool (*has)(const void *arg, const struct xlb_vip_key *key);
	const void *arg;
};

#define POL_NONE UINT32_MAX /* no rule id (list ends) */

/* Defaults of record (also in the help text) */
#define POL_DEF_ACTION XLB_POL_ALLOW /* a scope's default */
#define POL_DEF_PREFIX_LEN 32	     /* rate-limit bucket per IPv4 source */
#define POL_DEF_PREFIX_LEN6 64	     /* per IPv6 /64 */
/* A limit's burst when not given: one second's worth (= the rate) */

struct pol_rule {
	uint64_t seq;	     /* insertion order, unique for the model's life */
	uint32_t prev, next; /* the scope's rules in insertion order; POL_NONE ends */
	bool used;	     /* false: the id is free */
	uint8_t action;	     /* XLB_POL_ALLOW / XLB_POL_DENY */
	uint8_t proto;	     /* 0 = any; IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	uint8_t nexcept;
	uint8_t nports; /* 0 = any port */
	struct cidr cidr;
	struct cidr except[GR_EXCEPT_MAX];	  /* strictly inside cidr, disjoint, sorted */
	struct gr_range ports[XLB_POL_PORTS_MAX]; /* destination, sorted, disjoint */
};

/* Rates per second; 0 = that limit is off. A burst of 0 = the default. */
struct pol_rl {
	uint32_t pps, burst;
	uint32_t new_flows, new_flows_burst;
	uint32_t ceiling, ceiling_burst; /* VIP scopes only */
	uint8_t prefix_len, prefix_len6;
	uint8_t pad[2];
};

struct pol_node; /* trie node, private to the model (policy_int.h) */

struct pol_trie {
	struct pol_node *node; /* node[0] unused: index 0 means none */
	uint32_t n, cap;       /* slots in use (incl. 0), allocated */
	uint32_t free, nfree;  /* free list (through child[0]) */
	uint32_t root;
	uint32_t nprefix; /* prefixes used by rules = trie entries compiled */
};

struct pol_scope {
	bool global;
	struct xlb_vip_key key; /* when !global */
	uint8_t dflt;		/* XLB_POL_ALLOW / XLB_POL_DENY */
	bool has_rl;		/* `ratelimit set` given */
	struct pol_rl rl;
	uint32_t head, tail; /* rule ids, insertion order */
	uint32_t nrules;
	struct pol_trie trie[2]; /* [0] IPv4, [1] IPv6 */
	uint64_t gen;		 /* policy.gen of its last change */
};

struct policy {
	struct pol_rule *rule; /* indexed by rule id */
	uint32_t nids, cap;    /* ids handed out so far, allocated entries */
	uint32_t *freeids;     /* freed ids, reused last-freed first */
	uint32_t nfree;
	uint32_t nrules;
	uint32_t nprefix[2]; /* trie entries of all scopes, [0] IPv4, [1] IPv6 */
	uint64_t seq;
	uint64_t gen; /* bumped by every change: compare to know when to sync */
	struct pol_scope global;
	struct pol_scope **vip; /* VIP scopes that have rules, a deny default or
				   limits, in creation order */
	size_t nvip, capvip;
};

void policy_init(struct policy *p);
void policy_free(struct policy *p);
/* Deep copy into an uninitialised @dst; 0 or -ENOMEM */
int policy_copy(struct policy *dst, const struct policy *src);

/* Apply one `policy add|del|default|flush` or `ratelimit set|del` command.
 * @vips (may be NULL: no check) says which VIPs exist. Returns 0, or
 * -EINVAL (bad value for this state: except outside its CIDR, icmp with
 * ports, ceiling without vip, ...), -ENOENT (VIP or rule missing), -EEXIST
 * (same scope, CIDR, proto and ports), -ENOSPC (a prefix would get more than
 * XLB_POL_CHAIN_MAX rules; rule or prefix limits), -ENOMEM; err names the
 * offending token. On error @p is unchanged. show/help: -EOPNOTSUPP.
 */
int policy_apply(struct policy *p, const struct pol_vip_set *vips, const struct gr_cmd *cmd,
		 char *err, size_t errlen);

/* The VIP is gone: forget its rules, default and limits. true if it had any. */
bool policy_drop_vip(struct policy *p, const struct xlb_vip_key *key);

/* A scope: @key NULL = the global one (never NULL); a VIP without rules,
 * deny default or limits has none (NULL). */
struct pol_scope *policy_scope(const struct policy *p, const struct xlb_vip_key *key);

/* Rule by id; NULL if the id is free. Walk a scope's rules with
 * for (id = s->head; id != POL_NONE; id = p->rule[id].next). */
const struct pol_rule *policy_rule(const struct policy *p, uint32_t id);

/* The rule as its `policy add` command (scope included) */
void policy_rule_cmd(const struct pol_scope *s, const struct pol_rule *r, struct gr_cmd *cmd);

/* The model as command lines, one per @emit call: per scope (global first,
 * then VIPs in creation order) `policy default ... deny`, its rules in
 * insertion order, then `ratelimit set ...`. Loading them into an empty
 * model gives an equal one (policy_equal). Print after the VIPs (config_print).
 * 0 or the first non-zero @emit result.
 */
int policy_print(const struct policy *p, int (*emit)(void *arg, const char *line), void *arg);

/* Same scopes, defaults, limits and rules (in the same order); ids, seq and
 * gen are not compared. */
bool policy_equal(const struct policy *a, const struct policy *b);

/* ---- compiler: the dataplane values of <xlb/policy_abi.h> ---- */

/* @key is a struct xlb_pol_key4 (family XLB_FAMILY_V4) or xlb_pol_key6 */
typedef int (*pol_emit_fn)(void *arg, const void *key, const struct xlb_pol_chain *chain);

/* Every trie entry of scope @s and @family with @scope_id (XLB_POL_SCOPE_GLOBAL
 * or the VIP's vip_id) in the keys: one per prefix used by the scope's rules
 * (CIDRs and except blocks), in address order, chain = the ids of the rules
 * that apply to it, most specific CIDR first (ties: rules with proto/ports,
 * then insertion order). An except block no other rule covers gets n = 0.
 * Returns 0, the first non-zero @emit result, or -ENOSPC naming the prefix
 * if a chain would exceed XLB_POL_CHAIN_MAX (cannot happen to a model built
 * by policy_apply). s->trie[family].nprefix entries are emitted.
 */
int policy_compile(const struct pol_scope *s, uint32_t scope_id, uint8_t family, pol_emit_fn emit,
		   void *arg, char *err, size_t errlen);

/* xlb_pol_rules value of a rule. proto icmp is IPPROTO_ICMPV6 for an IPv6
 * rule, so the dataplane compares it with the packet's next header as is.
 * A rule with ports and no proto matches TCP and UDP only. */
void policy_rule_value(const struct pol_rule *r, struct xlb_pol_rule *out);
/* xlb_pol_scopes value: F_RULES when it has rules, and its default. NULL = a
 * scope with nothing (allow, no rules). */
void policy_scope_value(const struct pol_scope *s, struct xlb_pol_scope *out);
/* xlb_rl_cfg value: interval_ns = 1e9 / rate rounded (at least 1),
 * tolerance_ns = (burst - 1) * interval_ns, burst defaulting to the rate.
 * NULL or no limits: all limits off, default prefix lengths. */
void policy_rl_value(const struct pol_scope *s, struct xlb_rl_cfg *out);

#endif /* XLB_AGENT_POLICY_H */
