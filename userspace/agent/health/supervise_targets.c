// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* supervise: the check targets of the config. supervise_sync() builds the
 * supervision of each checked VIP (probe targets, breakers), carrying over
 * what the checks learnt for backends whose checks did not change.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/health/supervise_int.h"

struct sv_vip *sv_find_vip(const struct supervise *s, const struct xlb_vip_key *k)
{
	size_t i;

	for (i = 0; i < s->nvip; i++)
		if (!memcmp(&s->vip[i]->key, k, sizeof(*k)))
			return s->vip[i];
	return NULL;
}

int sv_find_be(const struct sv_vip *v, const struct xlb_addr *a)
{
	uint32_t i;

	for (i = 0; v && i < v->n; i++)
		if (!memcmp(&v->addr[i], a, sizeof(*a)))
			return (int)i;
	return -1;
}

/* The defaults of record (config.h) are the breaker's own */
_Static_assert(CFG_DEF_EJECT_MS == BREAKER_DEF_EJECT_BASE_MS, "eject-time default");
_Static_assert(GR_FAIL_WINDOW_MAX == BREAKER_WINDOW_MAX, "fail-window bound");
_Static_assert(CFG_DEF_MAX_EJECT_MS == BREAKER_DEF_EJECT_MAX_MS, "max-eject-time default");
_Static_assert(CFG_DEF_HALF_OPEN_FLOWS == BREAKER_DEF_HALF_OPEN_FLOWS, "half-open-flows default");
_Static_assert(CFG_DEF_PANIC_PCT == BREAKER_DEF_PANIC_PCT, "panic default");
_Static_assert(CFG_DEF_MAX_EJECT_PCT == BREAKER_DEF_MAX_EJECT_PCT, "max-eject default");
_Static_assert(GR_EXPECT_MAX <= HEALTH_EXPECT_MAX, "expect ranges");
_Static_assert(GR_PAYLOAD_MAX <= HEALTH_PAYLOAD_MAX, "udp payload");

/* Anything that changes a probe or a breaker: a difference rebuilds the VIP */
static bool same_check(const struct gr_opts *a, const struct gr_opts *b)
{
	return a->check == b->check && a->interval_ms == b->interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->rise == b->rise && a->fall == b->fall &&
	       !strcmp(a->path, b->path) && a->eject_ms == b->eject_ms &&
	       a->max_eject_ms == b->max_eject_ms && a->half_open_flows == b->half_open_flows &&
	       a->panic_pct == b->panic_pct && a->max_eject_pct == b->max_eject_pct &&
	       a->check_via == b->check_via && a->nexpect == b->nexpect &&
	       !memcmp(a->expect, b->expect, sizeof(a->expect)) && !strcmp(a->send, b->send) &&
	       !strcmp(a->receive, b->receive) && !strcmp(a->host, b->host) &&
	       a->check_port == b->check_port && a->init_state == b->init_state &&
	       a->fail_ratio == b->fail_ratio && a->fail_window == b->fail_window &&
	       a->fail_min == b->fail_min && (a->check_via != GR_VIA_VIP || a->encap == b->encap);
}

/* The check a backend gets: its own override, else the VIP's */
static uint8_t be_check(const struct cfg_vip *cv, const struct cfg_backend *cb)
{
	return cb->has_check ? cb->check : cv->opt.check;
}

/* Whether the VIP has anything to check (its own check or a backend's) */
static bool vip_checked(const struct cfg_vip *cv)
{
	size_t i;

	if (cv->opt.check != GR_CHECK_NONE)
		return true;
	for (i = 0; i < cv->nbe; i++)
		if (be_check(cv, &cv->be[i]) != GR_CHECK_NONE)
			return true;
	return false;
}

static uint64_t target_alloc(struct supervise *s, struct sv_vip *v, uint32_t be)
{
	struct sv_target *nt;
	size_t i;

	for (i = 0; i < s->nt; i++)
		if (!s->t[i].vip)
			goto found;
	nt = realloc(s->t, (s->nt + 16) * sizeof(*nt));
	if (!nt)
		return UINT64_MAX;
	memset(nt + s->nt, 0, 16 * sizeof(*nt));
	s->t = nt;
	i = s->nt;
	s->nt += 16;
found:
	s->t[i].vip = v;
	s->t[i].be = be;
	return i;
}

/* Whether @cb's check goes through the VIP (`check tcp check-via vip`; config.c
 * allows check-via vip only with tcp checks, encap ipip/gue and one family)
 */
static bool via_vip(const struct cfg_vip *cv, const struct cfg_backend *cb)
{
	return cv->opt.check_via == GR_VIA_VIP && be_check(cv, cb) == GR_CHECK_TCP;
}

/* The port a backend's check goes to: its check-port, the VIP's, else the
 * traffic port. Through the VIP that is the VIP's port (the dataplane keeps
 * ports), the backend's only for a port-0 VIP. 0: nothing to check.
 */
static uint16_t check_port(const struct cfg_vip *cv, const struct cfg_backend *cb)
{
	uint16_t vport = ntohs(cv->key.port);

	if (cb->check_port || cv->opt.check_port)
		return cb->check_port ? cb->check_port : cv->opt.check_port;
	if (via_vip(cv, cb))
		return vport ? vport : cb->port;
	return cb->port ? cb->port : vport;
}

static void target_of(const struct supervise *s, const struct cfg_vip *cv,
		      const struct cfg_backend *cb, uint16_t port, struct health_target *t)
{
	uint8_t kind = be_check(cv, cb);

	memset(t, 0, sizeof(*t));
	t->kind = kind == GR_CHECK_TCP	? HEALTH_TCP :
		  kind == GR_CHECK_HTTP ? HEALTH_HTTP :
					  HEALTH_UDP;
	if (via_vip(cv, cb)) {
		/* a SYN to VIP:port, encapsulated to the backend as traffic is */
		t->kind = HEALTH_TCP_VIP;
		t->vip.family = cv->key.family;
		memcpy(t->vip.addr, cv->key.addr, sizeof(t->vip.addr));
		t->encap = cv->opt.encap;
		t->gue_port = s->gue_port;
	}
	t->addr = cb->addr;
	t->port = port;
	t->interval_ms = cv->opt.interval_ms;
	t->timeout_ms = cv->opt.timeout_ms;
	/* while a backend is changing state, check it four times as often */
	t->fast_interval_ms = cv->opt.interval_ms / 4 ?: 1;
	if (t->kind == HEALTH_HTTP) {
		unsigned int i;

		snprintf(t->path, sizeof(t->path), "%s", cv->opt.path);
		snprintf(t->host, sizeof(t->host), "%s", cv->opt.host);
		for (i = 0; i < cv->opt.nexpect && i < HEALTH_EXPECT_MAX; i++) {
			t->expect[i].lo = cv->opt.expect[i].lo;
			t->expect[i].hi = cv->opt.expect[i].hi;
		}
		t->nr_expect = i;
	}
	if (t->kind == HEALTH_UDP) {
		const char *send = cv->opt.send[0] ? cv->opt.send : CFG_DEF_UDP_PAYLOAD;
		size_t n = strnlen(send, GR_PAYLOAD_MAX);

		memcpy(t->send, send, n);
		t->send_len = (uint16_t)n;
		n = strnlen(cv->opt.receive, GR_PAYLOAD_MAX);
		memcpy(t->recv, cv->opt.receive, n); /* n 0: any reply */
		t->recv_len = (uint16_t)n;
		t->recv_prefix = true;
	}
}

/* Build the supervision of one checked VIP, carrying over what @old knew */
static struct sv_vip *vip_build(struct supervise *s, const struct cfg_vip *cv, struct sv_vip *old,
				uint64_t now_ms)
{
	struct sv_vip *v = calloc(1, sizeof(*v));
	struct breaker_vip_cfg vcfg;
	struct breaker_cfg bcfg;
	struct health_target t;
	bool keep = old && same_check(&old->opt, &cv->opt);
	uint32_t i, n = cv->nbe;
	int j;

	if (!v)
		return NULL;
	v->s = s;
	v->key = cv->key;
	v->opt = cv->opt;
	v->n = n;
	v->addr = calloc(n + 1, sizeof(*v->addr));
	v->port = calloc(n + 1, sizeof(*v->port));
	v->tid = calloc(n + 1, sizeof(*v->tid));
	v->kind = calloc(n + 1, sizeof(*v->kind));
	v->syn = calloc(n + 1, sizeof(*v->syn));
	v->syn_primed = calloc(n + 1, sizeof(*v->syn_primed));
	v->be = calloc(n + 1, sizeof(*v->be));
	if (!v->addr || !v->port || !v->tid || !v->kind || !v->syn || !v->syn_primed || !v->be)
		goto err;
	breaker_cfg_default(&bcfg);
	bcfg.rise = cv->opt.rise;
	bcfg.fall = cv->opt.fall;
	bcfg.ratio_pct = cv->opt.fail_ratio;
	bcfg.window = cv->opt.fail_window;
	bcfg.min_count = cv->opt.fail_min;
	/* init-state down (default): no traffic before a first success */
	bcfg.usable_before_first_check = cv->opt.init_state == GR_INIT_UP;
	bcfg.eject_base_ms = cv->opt.eject_ms;
	bcfg.eject_max_ms = cv->opt.max_eject_ms;
	bcfg.half_open_flows = cv->opt.half_open_flows;
	breaker_vip_cfg_default(&vcfg);
	vcfg.panic_pct = cv->opt.panic_pct;
	vcfg.max_eject_pct = cv->opt.max_eject_pct;
	if (breaker_cfg_check(&bcfg) || breaker_vip_cfg_check(&vcfg))
		goto err; /* config.c checked them: cannot happen */

	for (i = 0; i < n; i++) {
		const struct cfg_backend *cb = &cv->be[i];

		v->addr[i] = cb->addr;
		v->port[i] = check_port(cv, cb);
		v->tid[i] = UINT64_MAX;
		j = old ? sv_find_be(old, &cb->addr) : -1;
		if (j >= 0) { /* the passive signal's baseline carries over */
			v->syn[i] = old->syn[j];
			v->syn_primed[i] = old->syn_primed[j];
		}
		j = keep ? sv_find_be(old, &cb->addr) : -1;
		if (j >= 0 && old->port[j] == v->port[i] && old->kind[j] == be_check(cv, cb)) {
			v->be[i] = old->be[j]; /* keep what the checks learnt */
			v->be[i].id = i;
			v->kind[i] = old->kind[j];
			v->tid[i] = old->tid[j]; /* and the running check */
			old->tid[j] = UINT64_MAX;
			if (v->tid[i] != UINT64_MAX) {
				s->t[v->tid[i]].vip = v;
				s->t[v->tid[i]].be = i;
			}
			continue;
		}
		breaker_init(&v->be[i], &bcfg, i, now_ms);
		/* what is known already, until the new checks say otherwise: the same
		 * backend under changed check settings, or what a previous lbd saved.
		 * Never unknown again, which would take it out of the tables. */
		j = old ? sv_find_be(old, &cb->addr) : -1;
		v->be[i].health.state = j >= 0 ? (int)old->be[j].health.state :
						 sv_saved_state(s, &cv->key, &cb->addr);
		v->kind[i] = be_check(cv, cb);
		if (v->kind[i] == GR_CHECK_NONE) {
			/* exempt from checks (`backend ... check none`): always up */
			v->be[i].health.state = BREAKER_HEALTH_UP;
			continue;
		}
		if (!v->port[i])
			continue; /* port-0 VIP without a backend port: nothing to check */
		target_of(s, cv, cb, v->port[i], &t);
		v->tid[i] = target_alloc(s, v, i);
		if (v->tid[i] == UINT64_MAX || health_add(s->h, v->tid[i], &t)) {
			if (v->tid[i] != UINT64_MAX)
				s->t[v->tid[i]].vip = NULL;
			v->tid[i] = UINT64_MAX;
			goto err;
		}
	}
	if (breaker_vip_init(&v->bv, &vcfg, v->be, n, sv_on_event, v))
		goto err;
	return v;
err:
	sv_vip_free(s, v);
	return NULL;
}

int supervise_sync(struct supervise *s, const struct config *cfg, uint64_t now_ms)
{
	struct sv_vip **nv, *old;
	size_t i, n = 0;

	nv = calloc(cfg->nvip + 1, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (i = 0; i < cfg->nvip; i++) {
		const struct cfg_vip *cv = &cfg->vip[i];

		if (!vip_checked(cv))
			continue;
		old = sv_find_vip(s, &cv->key);
		nv[n] = vip_build(s, cv, old, now_ms);
		if (!nv[n]) {
			while (n)
				sv_vip_free(s, nv[--n]);
			free(nv);
			return -ENOMEM;
		}
		n++;
	}
	for (i = 0; i < s->nvip; i++)
		sv_vip_free(s, s->vip[i]); /* checks not carried over stop here */
	free(s->vip);
	s->vip = nv;
	s->nvip = n;
	s->now_ms = now_ms;
	s->recalc = true;
	return 0;
}

void sv_vip_free(struct supervise *s, struct sv_vip *v)
{
	uint32_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->tid[i] == UINT64_MAX)
			continue;
		health_del(s->h, v->tid[i]);
		s->t[v->tid[i]].vip = NULL;
	}
	free(v->addr);
	free(v->port);
	free(v->tid);
	free(v->kind);
	free(v->syn);
	free(v->syn_primed);
	free(v->be);
	free(v);
}
