// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy: the model as lbctl command lines (lbctl show, the state file),
 * and the equality of two models
 */
#include <string.h>
#include "agent/model/policy_int.h"
#include "common/grammar.h"

/* ---- printing ---- */

static void scope_cmd(const struct pol_scope *s, enum gr_object obj, enum gr_verb verb,
		      struct gr_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->obj = obj;
	cmd->verb = verb;
	if (!s->global) {
		cmd->args = GR_ARG_VIP;
		cmd->vip = s->key;
	}
}

void policy_rule_cmd(const struct pol_scope *s, const struct pol_rule *r, struct gr_cmd *cmd)
{
	struct gr_policy *g = &cmd->pol;

	scope_cmd(s, GR_OBJ_POLICY, GR_VERB_ADD, cmd);
	cmd->args |= GR_ARG_ACTION | GR_ARG_CIDR;
	g->action = r->action;
	g->cidr = r->cidr;
	if (r->nexcept) {
		g->set |= GR_POL_EXCEPT;
		g->nexcept = r->nexcept;
		memcpy(g->except, r->except, sizeof(g->except));
	}
	if (r->proto) {
		g->set |= GR_POL_PROTO;
		g->proto = r->proto;
	}
	if (r->nports) {
		g->set |= GR_POL_PORTS;
		g->nports = r->nports;
		memcpy(g->ports, r->ports, sizeof(g->ports));
	}
}

static int print_scope(const struct policy *p, const struct pol_scope *s,
		       int (*emit)(void *arg, const char *line), void *arg)
{
	struct gr_cmd cmd;
	const struct pol_rl *rl = &s->rl;
	struct gr_ratelimit *g = &cmd.rl;
	uint32_t id;
	int ret;

	if (s->dflt != POL_DEF_ACTION) {
		scope_cmd(s, GR_OBJ_POLICY, GR_VERB_DEFAULT, &cmd);
		cmd.args |= GR_ARG_ACTION;
		cmd.pol.action = s->dflt;
		ret = grammar_emit(&cmd, emit, arg);
		if (ret)
			return ret;
	}
	for (id = s->head; id != POL_NONE; id = p->rule[id].next) {
		policy_rule_cmd(s, &p->rule[id], &cmd);
		ret = grammar_emit(&cmd, emit, arg);
		if (ret)
			return ret;
	}
	if (!s->has_rl)
		return 0;
	scope_cmd(s, GR_OBJ_RATELIMIT, GR_VERB_SET, &cmd);
#define RL_PUT(bit, f)                 \
	do {                           \
		if (rl->f) {           \
			g->set |= bit; \
			g->f = rl->f;  \
		}                      \
	} while (0)
	RL_PUT(GR_RL_PPS, pps);
	RL_PUT(GR_RL_BURST, burst);
	RL_PUT(GR_RL_NEW_FLOWS, new_flows);
	RL_PUT(GR_RL_NEW_FLOWS_BURST, new_flows_burst);
	RL_PUT(GR_RL_CEILING, ceiling);
	RL_PUT(GR_RL_CEILING_BURST, ceiling_burst);
#undef RL_PUT
	if (rl->prefix_len != POL_DEF_PREFIX_LEN) {
		g->set |= GR_RL_PREFIX_LEN;
		g->prefix_len = rl->prefix_len;
	}
	if (rl->prefix_len6 != POL_DEF_PREFIX_LEN6) {
		g->set |= GR_RL_PREFIX_LEN6;
		g->prefix_len6 = rl->prefix_len6;
	}
	return grammar_emit(&cmd, emit, arg);
}

int policy_print(const struct policy *p, int (*emit)(void *arg, const char *line), void *arg)
{
	size_t i;
	int ret;

	ret = print_scope(p, &p->global, emit, arg);
	for (i = 0; !ret && i < p->nvip; i++)
		ret = print_scope(p, p->vip[i], emit, arg);
	return ret;
}

static bool rule_eq(const struct pol_rule *a, const struct pol_rule *b)
{
	return a->action == b->action && a->proto == b->proto && a->nports == b->nports &&
	       a->nexcept == b->nexcept && cidr_equal(&a->cidr, &b->cidr) &&
	       !memcmp(a->ports, b->ports, a->nports * sizeof(a->ports[0])) &&
	       !memcmp(a->except, b->except, a->nexcept * sizeof(a->except[0]));
}

static bool scope_eq(const struct policy *pa, const struct pol_scope *a, const struct policy *pb,
		     const struct pol_scope *b)
{
	uint32_t ia, ib;

	if (a->dflt != b->dflt || a->has_rl != b->has_rl || a->nrules != b->nrules ||
	    (a->has_rl && memcmp(&a->rl, &b->rl, sizeof(a->rl))))
		return false;
	for (ia = a->head, ib = b->head; ia != POL_NONE && ib != POL_NONE;
	     ia = pa->rule[ia].next, ib = pb->rule[ib].next)
		if (!rule_eq(&pa->rule[ia], &pb->rule[ib]))
			return false;
	return ia == POL_NONE && ib == POL_NONE;
}

bool policy_equal(const struct policy *a, const struct policy *b)
{
	size_t i;

	if (a->nvip != b->nvip || a->nrules != b->nrules || !scope_eq(a, &a->global, b, &b->global))
		return false;
	for (i = 0; i < a->nvip; i++) {
		const struct pol_scope *sb = policy_scope(b, &a->vip[i]->key);

		if (!sb || !scope_eq(a, a->vip[i], b, sb))
			return false;
	}
	return true;
}
