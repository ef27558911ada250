// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* polsync: publishes a config's policy (policy.c) to the dataplane maps of
 * <xlb/policy.h>. The rule set goes into the bank the dataplane is not using
 * (fresh LPM tries installed in the outer maps' slots, rules, scopes), then
 * one write of xlb_config.pol_bank switches every CPU to it: no packet sees
 * half a rule set. Rate limits are not banked and are written in place.
 * Publishing is skipped when the compiled result is the one last published.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent/polsync.h"
#include "common/log.h"

struct polsync {
	struct xlb_maps *m;
	uint64_t sig;	       /* FNV-1a of the last published result; 0 = none */
	uint64_t *seq;	       /* rule seq last published per id (hits belong to it) */
	struct xlb_rl_cfg *rl; /* xlb_rl_cfg as last written, per scope */
	bool rl_known;
	/* scratch of one publish */
	void *keys[2];
	struct xlb_pol_chain *chains[2];
	uint32_t n[2], cap[2];
	struct xlb_pol_scope *scopes; /* XLB_POL_SCOPES */
	uint64_t hash;
};

static const size_t key_size[2] = { sizeof(struct xlb_pol_key4), sizeof(struct xlb_pol_key6) };

struct polsync *polsync_new(struct xlb_maps *m)
{
	struct polsync *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->m = m;
	ps->seq = calloc(XLB_POL_RULES_MAX, sizeof(*ps->seq));
	ps->rl = calloc(XLB_POL_SCOPES, sizeof(*ps->rl));
	ps->scopes = calloc(XLB_POL_SCOPES, sizeof(*ps->scopes));
	if (!ps->seq || !ps->rl || !ps->scopes) {
		polsync_free(ps);
		errno = ENOMEM;
		return NULL;
	}
	return ps;
}

void polsync_free(struct polsync *ps)
{
	if (!ps)
		return;
	for (int f = 0; f < 2; f++) {
		free(ps->keys[f]);
		free(ps->chains[f]);
	}
	free(ps->seq);
	free(ps->rl);
	free(ps->scopes);
	free(ps);
}

static void mix(struct polsync *ps, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		ps->hash = (ps->hash ^ *b++) * 0x100000001b3ULL;
}

struct emit_ctx {
	struct polsync *ps;
	int f; /* 0 IPv4, 1 IPv6 */
};

static int collect(void *arg, const void *key, const struct xlb_pol_chain *chain)
{
	struct emit_ctx *c = arg;
	struct polsync *ps = c->ps;
	int f = c->f;

	if (ps->n[f] == ps->cap[f]) {
		uint32_t ncap = ps->cap[f] ? ps->cap[f] * 2 : 1024;
		void *k = realloc(ps->keys[f], ncap * key_size[f]);
		struct xlb_pol_chain *ch;

		if (!k)
			return -ENOMEM;
		ps->keys[f] = k;
		ch = realloc(ps->chains[f], ncap * sizeof(*ch));
		if (!ch)
			return -ENOMEM;
		ps->chains[f] = ch;
		ps->cap[f] = ncap;
	}
	memcpy((char *)ps->keys[f] + ps->n[f] * key_size[f], key, key_size[f]);
	ps->chains[f][ps->n[f]] = *chain;
	ps->n[f]++;
	mix(ps, key, key_size[f]);
	mix(ps, chain, sizeof(*chain));
	return 0;
}

/* The dataplane scope index of @s, or UINT32_MAX while its VIP has no id */
static uint32_t scope_index(const struct config *cfg, const struct pol_scope *s)
{
	const struct cfg_vip *v;

	if (s->global)
		return XLB_POL_SCOPE_GLOBAL;
	v = config_vip(cfg, &s->key);
	return v && v->vip_id < XLB_MAX_VIPS ? v->vip_id : UINT32_MAX;
}

static int compile_scope(struct polsync *ps, const struct config *cfg, const struct pol_scope *s,
			 char *err, size_t errlen)
{
	uint32_t idx = scope_index(cfg, s);
	struct emit_ctx c = { .ps = ps };
	int ret;

	if (idx == UINT32_MAX)
		return 0; /* its VIP is not in the maps yet: the next sync brings it */
	policy_scope_value(s, &ps->scopes[idx]);
	for (c.f = 0; c.f < 2; c.f++) {
		ret = policy_compile(s, idx, c.f ? XLB_FAMILY_V6 : XLB_FAMILY_V4, collect, &c, err,
				     errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* Rule values of every rule in use, by id */
static int write_rules(struct polsync *ps, const struct policy *p, uint32_t bank, uint32_t *nrules)
{
	struct xlb_pol_rule *vals;
	uint32_t *ids, id, n = 0;
	int err;

	ids = malloc((p->nids + 1) * sizeof(*ids));
	vals = calloc(p->nids + 1, sizeof(*vals));
	if (!ids || !vals) {
		free(ids);
		free(vals);
		return -ENOMEM;
	}
	for (id = 0; id < p->nids; id++) {
		const struct pol_rule *r = policy_rule(p, id);

		if (!r)
			continue;
		ids[n] = id;
		policy_rule_value(r, &vals[n]);
		n++;
	}
	err = n ? maps_pol_rules_write(ps->m, bank, ids, vals, n) : 0;
	*nrules = n;
	free(ids);
	free(vals);
	return err;
}

/* A rule id that now names another rule starts with no hits */
static int reset_hits(struct polsync *ps, const struct policy *p)
{
	uint32_t id;
	int err;

	for (id = 0; id < p->nids && id < XLB_POL_RULES_MAX; id++) {
		const struct pol_rule *r = policy_rule(p, id);

		if (!r || ps->seq[id] == r->seq + 1)
			continue;
		err = maps_pol_hits_reset(ps->m, id);
		if (err)
			return err;
		ps->seq[id] = r->seq + 1; /* +1: 0 means "never published" */
	}
	return 0;
}

static int write_limits(struct polsync *ps, const struct config *cfg, bool *any)
{
	struct xlb_rl_cfg *want = calloc(XLB_POL_SCOPES, sizeof(*want));
	const struct policy *p = &cfg->pol;
	uint32_t i, idx;
	int err = 0;

	if (!want)
		return -ENOMEM;
	for (i = 0; i < XLB_POL_SCOPES; i++)
		policy_rl_value(NULL, &want[i]);
	policy_rl_value(&p->global, &want[XLB_POL_SCOPE_GLOBAL]);
	for (i = 0; i < p->nvip; i++) {
		idx = scope_index(cfg, p->vip[i]);
		if (idx != UINT32_MAX)
			policy_rl_value(p->vip[i], &want[idx]);
	}
	*any = false;
	for (i = 0; i < XLB_POL_SCOPES; i++) {
		const struct xlb_rl_cfg *w = &want[i];

		*any |= w->pps_interval_ns || w->nf_interval_ns || w->ceil_interval_ns;
		if (ps->rl_known && !memcmp(w, &ps->rl[i], sizeof(*w)))
			continue;
		if (i < XLB_MAX_VIPS && w->ceil_interval_ns != ps->rl[i].ceil_interval_ns) {
			err = maps_rl_ceil_reset(ps->m, i); /* a new ceiling starts full */
			if (err)
				break;
		}
		err = maps_rl_cfg_set(ps->m, i, w);
		if (err)
			break;
		ps->rl[i] = *w;
	}
	if (!err)
		ps->rl_known = true;
	free(want);
	return err;
}

int polsync_apply(struct polsync *ps, const struct config *cfg, char *msg, size_t len)
{
	const struct policy *p = &cfg->pol;
	struct xlb_config xc;
	uint32_t bank, i, nrules = 0;
	bool limits, rules = false;
	int err, fd, f;

	msg[0] = '\0';
	ps->hash = 0xcbf29ce484222325ULL;
	ps->n[0] = ps->n[1] = 0;
	memset(ps->scopes, 0, XLB_POL_SCOPES * sizeof(*ps->scopes));
	err = compile_scope(ps, cfg, &p->global, msg, len);
	for (i = 0; !err && i < p->nvip; i++)
		err = compile_scope(ps, cfg, p->vip[i], msg, len);
	if (err) {
		if (!msg[0])
			snprintf(msg, len, "policy: compile failed: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < XLB_POL_SCOPES; i++) {
		rules |= ps->scopes[i].flags || ps->scopes[i].dflt != XLB_POL_ALLOW;
		mix(ps, &ps->scopes[i], sizeof(ps->scopes[i]));
	}
	for (i = 0; i < p->nids; i++) {
		const struct pol_rule *r = policy_rule(p, i);
		struct xlb_pol_rule v;

		if (!r)
			continue;
		policy_rule_value(r, &v);
		mix(ps, &i, sizeof(i));
		mix(ps, &v, sizeof(v));
	}
	err = write_limits(ps, cfg, &limits);
	if (err)
		goto fail;
	err = reset_hits(ps, p);
	if (err)
		goto fail;
	err = maps_config_get(ps->m, &xc);
	if (err)
		goto fail;
	if (ps->hash == ps->sig) /* same rule set: only the flag may need a change */
		goto flag;

	bank = (xc.pol_bank & 1) ^ 1; /* the one the dataplane is not reading */
	for (f = 0; f < 2; f++) {
		if (!ps->n[f]) {
			err = maps_pol_trie_clear(ps->m, f ? XLB_FAMILY_V6 : XLB_FAMILY_V4, bank);
			if (err)
				goto fail;
			continue;
		}
		fd = maps_pol_trie_new(ps->m, f ? XLB_FAMILY_V6 : XLB_FAMILY_V4);
		if (fd < 0) {
			err = fd;
			goto fail;
		}
		err = maps_pol_trie_write(ps->m, fd, f ? XLB_FAMILY_V6 : XLB_FAMILY_V4, ps->keys[f],
					  ps->chains[f], ps->n[f]);
		if (!err)
			err = maps_pol_trie_install(ps->m, f ? XLB_FAMILY_V6 : XLB_FAMILY_V4, bank,
						    fd);
		close(fd); /* the outer map holds the trie now */
		if (err)
			goto fail;
	}
	err = write_rules(ps, p, bank, &nrules);
	if (!err)
		err = maps_pol_scopes_write(ps->m, bank, ps->scopes);
	if (err)
		goto fail;
	xc.pol_bank = (__u8)bank; /* the switch: one write */
	ps->sig = ps->hash;
	pr_info("policy: published %u rules, %u + %u prefixes (bank %u)", nrules, ps->n[0],
		ps->n[1], bank);
flag:
	if (rules || limits)
		xc.flags |= XLB_CFG_F_POLICY;
	else
		xc.flags &= (__u8)~XLB_CFG_F_POLICY;
	err = maps_config_set(ps->m, &xc);
	if (err)
		goto fail;
	return 0;
fail:
	snprintf(msg, len, "policy: dataplane update failed: %s", strerror(-err));
	return err;
}
