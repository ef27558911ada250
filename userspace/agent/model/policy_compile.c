// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy: the compiler, from the model to the dataplane's values of
 * <xlb/policy_abi.h>: LPM trie entries with their rule chains, rule and
 * scope values. Pure: polsync.c writes them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include "agent/model/policy_int.h"
#include "common/errmsg.h"

/* ---- compiler ---- */

struct compile_ctx {
	const struct pol_trie *t;
	uint32_t scope_id;
	uint8_t family;
	pol_emit_fn emit;
	void *arg;
	char *err;
	size_t errlen;
};

static int compile_node(struct compile_ctx *c, uint32_t idx, const uint32_t *act, unsigned int nact)
{
	const struct pol_node *n = &c->t->node[idx];
	uint32_t cur[ACT_MAX];
	unsigned int ncur = nact, i;
	int ret;

	if (pol_node_used(n)) {
		struct xlb_pol_chain chain;

		ncur = pol_node_chain(n, act, nact, cur);
		if (ncur > CHAIN_MAX) {
			char bs[CIDR_STRLEN];
			struct cidr bad;

			pol_node_cidr(n, c->family, &bad);
			return errmsg(-ENOSPC, c->err, c->errlen,
				      "policy: %u rules apply to %s (at most %d)", ncur,
				      pol_cidr_str(&bad, bs, sizeof(bs)), CHAIN_MAX);
		}
		memset(&chain, 0, sizeof(chain));
		chain.n = ncur;
		memcpy(chain.rule, cur, ncur * sizeof(cur[0]));
		if (c->family == XLB_FAMILY_V4) {
			struct xlb_pol_key4 k;

			memset(&k, 0, sizeof(k));
			k.prefixlen = 32 + n->plen;
			k.scope = c->scope_id;
			k.addr = n->addr[0];
			ret = c->emit(c->arg, &k, &chain);
		} else {
			struct xlb_pol_key6 k;

			memset(&k, 0, sizeof(k));
			k.prefixlen = 32 + n->plen;
			k.scope = c->scope_id;
			memcpy(k.addr, n->addr, sizeof(k.addr));
			ret = c->emit(c->arg, &k, &chain);
		}
		if (ret)
			return ret;
		act = cur;
	}
	for (i = 0; i < 2; i++) {
		if (!n->child[i])
			continue;
		ret = compile_node(c, n->child[i], act, ncur);
		if (ret)
			return ret;
	}
	return 0;
}

int policy_compile(const struct pol_scope *s, uint32_t scope_id, uint8_t family, pol_emit_fn emit,
		   void *arg, char *err, size_t errlen)
{
	struct compile_ctx c = { .t = &s->trie[pol_fam_idx(family)],
				 .scope_id = scope_id,
				 .family = family,
				 .emit = emit,
				 .arg = arg,
				 .err = err,
				 .errlen = errlen };

	if (family != XLB_FAMILY_V4 && family != XLB_FAMILY_V6)
		return errmsg(-EINVAL, err, errlen, "policy: bad family %u", family);
	if (!c.t->root)
		return 0;
	return compile_node(&c, c.t->root, NULL, 0);
}

void policy_rule_value(const struct pol_rule *r, struct xlb_pol_rule *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->action = r->action;
	out->proto = r->proto;
	if (r->proto == IPPROTO_ICMP && r->cidr.family == XLB_FAMILY_V6)
		out->proto = IPPROTO_ICMPV6;
	out->nports = r->nports;
	for (i = 0; i < r->nports && i < XLB_POL_PORTS_MAX; i++) {
		out->ports[i].lo = r->ports[i].lo;
		out->ports[i].hi = r->ports[i].hi;
	}
}

void policy_scope_value(const struct pol_scope *s, struct xlb_pol_scope *out)
{
	memset(out, 0, sizeof(*out));
	out->dflt = POL_DEF_ACTION;
	if (!s)
		return;
	out->dflt = s->dflt;
	if (s->nrules)
		out->flags |= XLB_POL_SCOPE_F_RULES;
}
