/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Policy stage, once the VIP is known valid (forward.h): source CIDR allow/deny rules (global
 * first, then the VIP's) and per-source packet-rate limits (<xlb/policy_abi.h>).
 * Returns 0 to go on, or -XLB_DROP_*. With XLB_CFG_F_POLICY clear it tests
 * that flag and returns 0.
 *
 * Per packet, in the bank xlb_config.pol_bank & 1:
 *  1. global scope, then the VIP's scope (vip_id), each: if the scope has
 *     rules (XLB_POL_SCOPE_F_RULES), one LPM lookup of (scope, source) in the
 *     family's trie of the bank gives the chain of rules covering the source;
 *     the first rule of the chain whose protocol (0 = any) and destination
 *     port ranges (none = any) match decides and is counted in
 *     xlb_pol_hits[id]. No rule, no chain, or no trie in the bank's slot (an
 *     empty outer slot: no rules of that family): the scope's default.
 *     A deny in the global scope drops at once; else the VIP scope decides.
 *     Drops: XLB_DROP_POLICY (a deny rule), XLB_DROP_POLICY_DEFAULT (no rule
 *     and a deny default); forward.h counts every drop in the VIP's drops.
 *     XLB_CNT_POL_ALLOW once per packet an allow rule matched in either scope.
 *  2. the source's packet-rate buckets (xlb_rl_cfg pps_*), global then the
 *     VIP's: over either drops with XLB_DROP_RL_PPS (ratelimit.h: GCRA, clock,
 *     races). Denied packets never reach the buckets.
 * Protocols: compared as stored; the agent writes icmp as IPPROTO_ICMPV6 in
 * IPv6 rules. This stage sees only TCP and UDP today.
 */
#ifndef XLB_BPF_POLICY_STAGE_H
#define XLB_BPF_POLICY_STAGE_H

#include <xlb/policy_abi.h>
#include "parse.h"
#include "policy_maps.h"
#include "ratelimit.h"
#include "stats.h"

/* xlb_pol_chain_eval() results */
#define XLB_POL_R_NONE 0  /* no rule applies: the scope's default */
#define XLB_POL_R_ALLOW 1 /* an allow rule matched */
#define XLB_POL_R_DENY 2  /* a deny rule matched */

/* Does rule @r apply to protocol @proto, destination port @port (host order)? */
static __always_inline int xlb_pol_rule_match(const struct xlb_pol_rule *r, __u8 proto, __u16 port)
{
	__u32 n = r->nports, i;

	/* the agent stores icmp as ICMPv6 in IPv6 rules: compare as is */
	if (r->proto && r->proto != proto)
		return 0;
	if (!n)
		return 1;
	for (i = 0; i < XLB_POL_PORTS_MAX; i++) {
		if (i >= n)
			break;
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return 1;
	}
	return 0;
}

/* The rules of @scope in @bank for a packet of @meta (XLB_PMETA: family,
 * protocol, destination port) from the source @a01/@a23 (address words 0-1,
 * 2-3, network order): one trie lookup, then the chain. Returns XLB_POL_R_*.
 * verifier: a global subprogram with scalar arguments, verified once; inlined
 * for both scopes, the chain and port loops multiplied xlb_xdp's paths.
 */
__noinline int xlb_pol_chain_eval(__u32 bank, __u32 scope, __u32 meta, __u64 a01, __u64 a23)
{
	__u8 proto = XLB_PMETA_PROTO(meta);
	__u16 port = XLB_PMETA_PORT(meta);
	struct xlb_pol_chain *ch = NULL;
	struct xlb_pol_rule *r;
	__u32 idx, i, n, id;
	__u64 *hits;
	void *trie;

	if (bank >= XLB_POL_BANKS)
		return XLB_POL_R_NONE;
	if (XLB_PMETA_FAM(meta) == XLB_FAMILY_V4) {
		struct xlb_pol_key4 k4 = {
			.prefixlen = 32 + 32,
			.scope = scope,
			.addr = (__u32)a01,
		};

		trie = bpf_map_lookup_elem(&xlb_pol4, &bank);
		if (trie)
			ch = bpf_map_lookup_elem(trie, &k4);
	} else {
		struct xlb_pol_key6 k6 = {
			.prefixlen = 32 + 128,
			.scope = scope,
			.addr = { (__u32)a01, (__u32)(a01 >> 32), (__u32)a23, (__u32)(a23 >> 32) },
		};

		trie = bpf_map_lookup_elem(&xlb_pol6, &bank);
		if (trie)
			ch = bpf_map_lookup_elem(trie, &k6);
	}
	if (!ch)
		return XLB_POL_R_NONE; /* no rule covers the source, or no trie in this slot */

	n = ch->n;
	for (i = 0; i < XLB_POL_CHAIN_MAX; i++) {
		if (i >= n)
			break;
		id = ch->rule[i];
		if (id >= XLB_POL_RULES_MAX)
			continue; /* the agent never writes one */
		idx = bank * XLB_POL_RULES_MAX + id;
		r = bpf_map_lookup_elem(&xlb_pol_rules, &idx);
		if (unlikely(!r) || !xlb_pol_rule_match(r, proto, port))
			continue;
		hits = bpf_map_lookup_elem(&xlb_pol_hits, &id);
		if (likely(hits))
			(*hits)++;
		return r->action == XLB_POL_DENY ? XLB_POL_R_DENY : XLB_POL_R_ALLOW;
	}
	return XLB_POL_R_NONE;
}

/* Verdict of @scope (< XLB_POL_SCOPES): 0 allowed, 1 allowed by a rule, or
 * -XLB_DROP_*. The scope entry is read here (an inlined array lookup), so a
 * scope without rules costs no call. */
static __always_inline int xlb_pol_scope(__u32 bank, __u32 scope, __u32 meta, __u64 a01, __u64 a23)
{
	__u32 idx = bank * XLB_POL_SCOPES + scope;
	struct xlb_pol_scope *sc = bpf_map_lookup_elem(&xlb_pol_scopes, &idx);
	int r = XLB_POL_R_NONE;

	if (unlikely(!sc))
		return 0; /* cannot happen: bank < 2, scope < XLB_POL_SCOPES */
	if (sc->flags & XLB_POL_SCOPE_F_RULES)
		r = xlb_pol_chain_eval(bank, scope, meta, a01, a23);
	if (r == XLB_POL_R_DENY)
		return -XLB_DROP_POLICY;
	if (r == XLB_POL_R_ALLOW)
		return 1;
	return sc->dflt == XLB_POL_DENY ? -XLB_DROP_POLICY_DEFAULT : 0;
}

static __always_inline int __xlb_policy(const struct xlb_pkt *pkt, const struct xlb_vip_val *vip,
					const struct xlb_config *cfg, struct xlb_global_stats *st)
{
	__u32 meta = XLB_PMETA(pkt->key.family, pkt->key.proto, bpf_ntohs(pkt->key.dport));
	__u32 bank = cfg->pol_bank & 1, scope = XLB_POL_SCOPE_GLOBAL, vip_id = vip->vip_id;
	__u64 a01 = XLB_ADDR_LO(pkt->key.src), a23 = XLB_ADDR_HI(pkt->key.src);
	struct xlb_rl_cfg *c;
	int ret, allowed;

	ret = xlb_pol_scope(bank, scope, meta, a01, a23);
	if (ret < 0)
		return ret;
	allowed = ret;
	ret = xlb_pol_scope(bank, vip_id, meta, a01, a23);
	if (ret < 0)
		return ret;
	allowed |= ret;
	if (allowed)
		XLB_COUNT(st, XLB_CNT_POL_ALLOW);

	c = bpf_map_lookup_elem(&xlb_rl_cfg, &scope);
	if (c && xlb_rl_src_over(pkt, scope, XLB_RL_PPS, c->pps_interval_ns, st))
		return -XLB_DROP_RL_PPS;
	c = bpf_map_lookup_elem(&xlb_rl_cfg, &vip_id);
	if (c && xlb_rl_src_over(pkt, vip_id, XLB_RL_PPS, c->pps_interval_ns, st))
		return -XLB_DROP_RL_PPS;
	return 0;
}

/* @vip is valid (forward.h checked it): its vip_id is a scope */
static __always_inline int xlb_policy(const struct xlb_pkt *pkt, const struct xlb_vip_val *vip,
				      const struct xlb_config *cfg, struct xlb_global_stats *st)
{
	if (likely(!(cfg->flags & XLB_CFG_F_POLICY)))
		return 0;
	return __xlb_policy(pkt, vip, cfg, st);
}

#endif /* XLB_BPF_POLICY_STAGE_H */
