// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* polsync: publishes a config's policy (model/policy_*.c) to the dataplane maps of
 * <xlb/policy_abi.h>. The rule set goes into the bank the dataplane is not using
 * (fresh LPM tries installed in the outer maps' slots, rules, scopes), then
 * one write of xlb_config.pol_bank switches every CPU to it: no packet sees
 * half a rule set. Rate limits are not banked and are written in place.
 * Publishing is skipped when the compiled result is the one last published.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/clock.h"
#include "agent/dataplane/polsync.h"
#include "common/log.h"

/* One trie entry; keys of both families in 24 bytes (IPv4 ones zero-padded),
 * so entries sort and compare as plain bytes */
struct pol_ent {
	uint8_t key[sizeof(struct xlb_pol_key6)];
	struct xlb_pol_chain chain;
};

/* A trie of one bank and family: our reference to it and what it holds */
struct bank_trie {
	int fd; /* -1: none, or its content unknown (rebuilt whole next time) */
	struct pol_ent *ent;
	uint32_t n, cap;
};

struct polsync {
	struct xlb_maps *m;
	uint64_t sig;	       /* FNV-1a of the last published result; 0 = none */
	uint64_t *seq;	       /* rule seq last published per id (hits belong to it) */
	struct xlb_rl_cfg *rl; /* xlb_rl_cfg as last written, per scope */
	bool rl_known;
	struct bank_trie bt[XLB_POL_BANKS][2]; /* [bank][family: 0 IPv4, 1 IPv6] */
	/* scratch of one publish: the new entries per family */
	struct pol_ent *ent[2];
	uint32_t n[2], cap[2];
	struct xlb_pol_scope *scopes; /* XLB_POL_SCOPES */
	uint64_t hash;
	uint32_t written, deleted; /* trie syscalls of the last publish */
	bool stale;		   /* the inactive bank lags the published rule set */
	uint64_t flip_ms;	   /* when the bank was last switched */
};

/* The inactive bank is caught up this long after a switch (polsync_idle) */
#define POLSYNC_SETTLE_MS 100

static const size_t key_size[2] = { sizeof(struct xlb_pol_key4), sizeof(struct xlb_pol_key6) };

static int family_of(int f)
{
	return f ? XLB_FAMILY_V6 : XLB_FAMILY_V4;
}

struct polsync *polsync_new(struct xlb_maps *m)
{
	struct polsync *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->m = m;
	for (int b = 0; b < XLB_POL_BANKS; b++)
		for (int f = 0; f < 2; f++)
			ps->bt[b][f].fd = -1;
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
		free(ps->ent[f]);
		for (int b = 0; b < XLB_POL_BANKS; b++) {
			if (ps->bt[b][f].fd >= 0)
				close(ps->bt[b][f].fd);
			free(ps->bt[b][f].ent);
		}
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

	struct pol_ent *e;

	if (ps->n[f] == ps->cap[f]) {
		uint32_t ncap = ps->cap[f] ? ps->cap[f] * 2 : 1024;

		e = realloc(ps->ent[f], ncap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		ps->ent[f] = e;
		ps->cap[f] = ncap;
	}
	e = &ps->ent[f][ps->n[f]++];
	memset(e->key, 0, sizeof(e->key));
	memcpy(e->key, key, key_size[f]);
	e->chain = *chain;
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

static int ent_cmp(const void *a, const void *b)
{
	return memcmp(((const struct pol_ent *)a)->key, ((const struct pol_ent *)b)->key,
		      sizeof(((const struct pol_ent *)a)->key));
}

static void bank_trie_forget(struct bank_trie *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->n = 0;
}

/* A fresh trie with every entry, installed in the bank's slot */
static int trie_rebuild(struct polsync *ps, struct bank_trie *t, int f, uint32_t bank)
{
	int fd = maps_pol_trie_new(ps->m, family_of(f)), err = 0;
	uint32_t i;

	if (fd < 0)
		return fd;
	for (i = 0; i < ps->n[f] && !err; i++)
		err = maps_pol_trie_update(ps->m, fd, family_of(f), ps->ent[f][i].key,
					   &ps->ent[f][i].chain);
	if (!err)
		err = maps_pol_trie_install(ps->m, family_of(f), bank, fd);
	if (err) {
		close(fd);
		return err;
	}
	bank_trie_forget(t);
	t->fd = fd; /* kept: the next publish into this bank updates it in place */
	ps->written += ps->n[f];
	return 0;
}

/* Bring the bank's trie from what it holds (sorted) to the new entries
 * (sorted): delete what went, write what is new or changed */
static int trie_diff(struct polsync *ps, struct bank_trie *t, int f)
{
	const struct pol_ent *o = t->ent, *n = ps->ent[f];
	uint32_t i = 0, j = 0;
	int c, err = 0;

	while (!err && (i < t->n || j < ps->n[f])) {
		c = i == t->n ? 1 : j == ps->n[f] ? -1 : ent_cmp(&o[i], &n[j]);
		if (c < 0) {
			err = maps_pol_trie_delete(ps->m, t->fd, family_of(f), o[i++].key);
			ps->deleted++;
		} else if (c > 0 || memcmp(&o[i].chain, &n[j].chain, sizeof(n[j].chain))) {
			err = maps_pol_trie_update(ps->m, t->fd, family_of(f), n[j].key,
						   &n[j].chain);
			ps->written++;
			i += c == 0;
			j++;
		} else {
			i++;
			j++;
		}
	}
	return err;
}

/* The bank's trie of family @f made to hold ps->ent[f] */
static int publish_trie(struct polsync *ps, int f, uint32_t bank)
{
	struct bank_trie *t = &ps->bt[bank][f];
	struct pol_ent *swap;
	uint32_t scap;
	int err;

	qsort(ps->ent[f], ps->n[f], sizeof(*ps->ent[f]), ent_cmp);
	err = t->fd >= 0 ? trie_diff(ps, t, f) : -ESTALE;
	if (err) {
		if (err != -ESTALE)
			pr_warn("policy: in-place update of a rule trie failed (%s): rebuilding it",
				strerror(-err));
		err = trie_rebuild(ps, t, f, bank);
		if (err) {
			bank_trie_forget(t); /* unknown now */
			return err;
		}
	}
	/* remember what it holds: the scratch array becomes the bank's */
	swap = t->ent;
	scap = t->cap;
	t->ent = ps->ent[f];
	t->cap = ps->cap[f];
	t->n = ps->n[f];
	ps->ent[f] = swap;
	ps->cap[f] = scap;
	return 0;
}

/* Compile @cfg's policy into the scratch (entries, scopes) and its hash */
static int prepare(struct polsync *ps, const struct config *cfg, bool *rules, char *msg, size_t len)
{
	const struct policy *p = &cfg->pol;
	uint32_t i;
	int err;

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
	*rules = false;
	for (i = 0; i < XLB_POL_SCOPES; i++) {
		*rules |= ps->scopes[i].flags || ps->scopes[i].dflt != XLB_POL_ALLOW;
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
	return 0;
}

/* Everything packets read in @bank made to hold the prepared rule set */
static int publish_bank(struct polsync *ps, const struct policy *p, uint32_t bank, uint32_t *nrules)
{
	int err, f;

	ps->written = ps->deleted = 0;
	for (f = 0; f < 2; f++) {
		err = publish_trie(ps, f, bank);
		if (err)
			return err;
	}
	err = write_rules(ps, p, bank, nrules);
	if (!err)
		err = maps_pol_scopes_write(ps->m, bank, ps->scopes);
	return err;
}

int polsync_apply(struct polsync *ps, const struct config *cfg, char *msg, size_t len)
{
	const struct policy *p = &cfg->pol;
	struct xlb_config xc;
	uint32_t bank, nrules = 0;
	bool limits, rules;
	int err;

	msg[0] = '\0';
	err = prepare(ps, cfg, &rules, msg, len);
	if (err)
		return err;
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
	err = publish_bank(ps, p, bank, &nrules);
	if (err)
		goto fail;
	xc.pol_bank = (__u8)bank; /* the switch: one write */
	ps->sig = ps->hash;
	ps->stale = true; /* the other bank still holds the rule set before */
	ps->flip_ms = mono_ms();
	pr_info("policy: published %u rules, %u + %u prefixes (bank %u: %u written, %u deleted)",
		nrules, ps->bt[bank][0].n, ps->bt[bank][1].n, bank, ps->written, ps->deleted);
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

void polsync_idle(struct polsync *ps, const struct config *cfg)
{
	struct xlb_config xc;
	uint32_t nrules = 0;
	char msg[256] = "";
	bool rules;

	/* packets that read the bank number before the flip are long done */
	if (!ps->stale || mono_ms() - ps->flip_ms < POLSYNC_SETTLE_MS)
		return;
	if (maps_config_get(ps->m, &xc) || prepare(ps, cfg, &rules, msg, sizeof(msg)))
		return;
	if (ps->hash != ps->sig)
		return; /* a change not published yet: its publish comes first */
	if (publish_bank(ps, &cfg->pol, (xc.pol_bank & 1) ^ 1, &nrules)) {
		pr_warn("policy: catching up the inactive bank failed; the next change rebuilds it");
		for (int f = 0; f < 2; f++)
			bank_trie_forget(&ps->bt[(xc.pol_bank & 1) ^ 1][f]);
	}
	ps->stale = false;
}
