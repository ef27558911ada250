// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* supervise: active checks (health.c) feeding each checked VIP's breaker
 * policy (breaker.c). Health target ids index s->t, which maps them back to a
 * VIP and a backend; VIPs are allocated one by one so breaker callbacks can
 * keep a pointer to theirs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent/breaker.h"
#include "agent/health.h"
#include "agent/supervise.h"
#include "common/log.h"
#include "common/parse.h"

struct sv_vip {
	struct supervise *s;
	struct xlb_vip_key key;
	struct gr_opts opt; /* the check options this was built from */
	uint32_t n;
	struct xlb_addr *addr;
	uint16_t *port; /* checked port, host order */
	uint64_t *tid;	/* health target ids (UINT64_MAX: none) */
	struct breaker *be;
	struct breaker_vip bv;
};

struct sv_target {
	struct sv_vip *vip; /* NULL: free */
	uint32_t be;
};

struct sv_saved {
	struct xlb_vip_key key;
	struct xlb_addr addr;
	int state; /* enum breaker_health_state */
};

struct supervise {
	struct health *h;
	char *persist;		/* health state file, or NULL */
	struct sv_saved *saved; /* what it held at start */
	size_t nsaved;
	bool save_needed;
	struct sv_vip **vip;
	size_t nvip;
	struct sv_target *t;
	size_t nt;
	uint64_t now_ms;
	bool dirty;
	void (*changed)(void *arg);
	void *arg;
};

static void on_event(void *arg, const struct breaker_event *ev)
{
	struct sv_vip *v = arg;
	char vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN] = "-";

	format_vip(&v->key, vs, sizeof(vs));
	if (ev->backend < v->n)
		format_addr(&v->addr[ev->backend], as, sizeof(as));
	switch (ev->kind) {
	case BREAKER_EV_HEALTH:
		pr_info("health: vip %s backend %s: %s -> %s (%s)", vs, as,
			breaker_health_name(ev->old_state), breaker_health_name(ev->new_state),
			ev->reason);
		break;
	case BREAKER_EV_STATE:
		pr_info("breaker: vip %s backend %s: %s -> %s (%s)", vs, as,
			breaker_state_name(ev->old_state), breaker_state_name(ev->new_state),
			ev->reason);
		break;
	case BREAKER_EV_REFUSED:
		pr_warn("breaker: vip %s backend %s: ejection refused (%s)", vs, as, ev->reason);
		break;
	default:
		if (ev->new_state)
			pr_warn("breaker: vip %s: panic, using every backend (%s)", vs, ev->reason);
		else
			pr_info("breaker: vip %s: panic over", vs);
		break;
	}
	v->s->dirty = true;
	if (ev->kind == BREAKER_EV_HEALTH)
		v->s->save_needed = true;
}

/* Health states of every checked backend, atomically (temp file + rename) */
static void save_health(struct supervise *s)
{
	char tmp[4096], vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN];
	size_t i;
	uint32_t j;
	FILE *f;

	s->save_needed = false;
	if (!s->persist || snprintf(tmp, sizeof(tmp), "%s.tmp", s->persist) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "w");
	if (!f) {
		pr_warn("health: %s: cannot save: %s", tmp, strerror(errno));
		return;
	}
	fprintf(f, "# xlb health states, written by lbd on every change\n");
	for (i = 0; i < s->nvip; i++) {
		const struct sv_vip *v = s->vip[i];

		format_vip(&v->key, vs, sizeof(vs));
		for (j = 0; j < v->n; j++) {
			if (v->be[j].health.state == BREAKER_HEALTH_UNKNOWN)
				continue;
			format_addr(&v->addr[j], as, sizeof(as));
			fprintf(f, "%s %s %s\n", vs, as,
				breaker_health_name(v->be[j].health.state));
		}
	}
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, s->persist))
		pr_warn("health: %s: cannot save: %s", s->persist, strerror(errno));
}

int supervise_persist(struct supervise *s, const char *path)
{
	char line[512], *vs, *as, *st, err[128];
	struct sv_saved r, *grown;
	FILE *f;

	free(s->persist);
	s->persist = strdup(path);
	if (!s->persist)
		return -ENOMEM;
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL;

		vs = strtok_r(line, " \t\n", &save);
		as = strtok_r(NULL, " \t\n", &save);
		st = strtok_r(NULL, " \t\n", &save);
		if (!vs || *vs == '#' || !as || !st)
			continue;
		memset(&r, 0, sizeof(r));
		if (parse_vip(vs, &r.key, err, sizeof(err)) ||
		    parse_addr(as, &r.addr, err, sizeof(err)))
			continue; /* a stale or foreign line: the checks will tell */
		r.state = !strcmp(st, "up")   ? BREAKER_HEALTH_UP :
			  !strcmp(st, "down") ? BREAKER_HEALTH_DOWN :
						BREAKER_HEALTH_UNKNOWN;
		grown = realloc(s->saved, (s->nsaved + 1) * sizeof(*grown));
		if (!grown)
			break;
		s->saved = grown;
		s->saved[s->nsaved++] = r;
	}
	fclose(f);
	return 0;
}

static int saved_state(const struct supervise *s, const struct xlb_vip_key *k,
		       const struct xlb_addr *a)
{
	size_t i;

	for (i = 0; i < s->nsaved; i++)
		if (!memcmp(&s->saved[i].key, k, sizeof(*k)) &&
		    !memcmp(&s->saved[i].addr, a, sizeof(*a)))
			return s->saved[i].state;
	return BREAKER_HEALTH_UNKNOWN;
}

static void on_result(void *arg, uint64_t id, bool ok, uint32_t latency_us, const char *reason)
{
	struct supervise *s = arg;
	struct sv_target *t;

	(void)latency_us;
	(void)reason;
	if (id >= s->nt || !s->t[id].vip)
		return;
	t = &s->t[id];
	/* health only for now: the circuit (and its kernel map) is the next step */
	breaker_vip_health(&t->vip->bv, t->be, ok, s->now_ms);
}

struct supervise *supervise_new(void (*changed)(void *arg), void *arg)
{
	struct supervise *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->h = health_new(on_result, s);
	if (!s->h) {
		free(s);
		return NULL;
	}
	/* nodes must not probe in lockstep */
	health_set_seed(s->h, ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s);
	s->changed = changed;
	s->arg = arg;
	return s;
}

static void vip_free(struct supervise *s, struct sv_vip *v)
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
	free(v->be);
	free(v);
}

void supervise_free(struct supervise *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nvip; i++)
		vip_free(s, s->vip[i]);
	free(s->vip);
	free(s->t);
	free(s->saved);
	free(s->persist);
	health_free(s->h);
	free(s);
}

int supervise_fd(const struct supervise *s)
{
	return health_fd(s->h);
}

static void notify(struct supervise *s)
{
	if (s->save_needed)
		save_health(s);
	if (s->dirty && s->changed) {
		s->dirty = false;
		s->changed(s->arg);
	}
}

void supervise_dispatch(struct supervise *s, uint64_t now_ms)
{
	s->now_ms = now_ms;
	health_dispatch(s->h, now_ms);
	notify(s);
}

void supervise_tick(struct supervise *s, uint64_t now_ms)
{
	size_t i;

	s->now_ms = now_ms;
	for (i = 0; i < s->nvip; i++)
		breaker_vip_tick(&s->vip[i]->bv, now_ms);
	notify(s);
}

static struct sv_vip *find_vip(const struct supervise *s, const struct xlb_vip_key *k)
{
	size_t i;

	for (i = 0; i < s->nvip; i++)
		if (!memcmp(&s->vip[i]->key, k, sizeof(*k)))
			return s->vip[i];
	return NULL;
}

static int find_be(const struct sv_vip *v, const struct xlb_addr *a)
{
	uint32_t i;

	for (i = 0; v && i < v->n; i++)
		if (!memcmp(&v->addr[i], a, sizeof(*a)))
			return (int)i;
	return -1;
}

/* The defaults of record (config.h) are the breaker's own */
_Static_assert(CFG_DEF_EJECT_MS == BREAKER_DEF_EJECT_BASE_MS, "eject-time default");
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
	       !strcmp(a->receive, b->receive);
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

static void target_of(const struct cfg_vip *cv, const struct cfg_backend *cb, uint16_t port,
		      struct health_target *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = cv->opt.check == GR_CHECK_TCP	 ? HEALTH_TCP :
		  cv->opt.check == GR_CHECK_HTTP ? HEALTH_HTTP :
						   HEALTH_UDP;
	t->addr = cb->addr;
	t->port = port;
	t->interval_ms = cv->opt.interval_ms;
	t->timeout_ms = cv->opt.timeout_ms;
	/* while a backend is changing state, check it four times as often */
	t->fast_interval_ms = cv->opt.interval_ms / 4 ?: 1;
	if (t->kind == HEALTH_HTTP) {
		unsigned int i;

		snprintf(t->path, sizeof(t->path), "%s", cv->opt.path);
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
	v->be = calloc(n + 1, sizeof(*v->be));
	if (!v->addr || !v->port || !v->tid || !v->be)
		goto err;
	breaker_cfg_default(&bcfg);
	bcfg.rise = cv->opt.rise;
	bcfg.fall = cv->opt.fall;
	bcfg.usable_before_first_check = false; /* no traffic before a first success */
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
		v->port[i] = cb->port ? cb->port : ntohs(cv->key.port);
		v->tid[i] = UINT64_MAX;
		j = keep ? find_be(old, &cb->addr) : -1;
		if (j >= 0 && old->port[j] == v->port[i]) {
			v->be[i] = old->be[j]; /* keep what the checks learnt */
			v->be[i].id = i;
			v->tid[i] = old->tid[j]; /* and the running check */
			old->tid[j] = UINT64_MAX;
			s->t[v->tid[i]].vip = v;
			s->t[v->tid[i]].be = i;
			continue;
		}
		breaker_init(&v->be[i], &bcfg, i, now_ms);
		/* what is known already, until the new checks say otherwise: the same
		 * backend under changed check settings, or what a previous lbd saved.
		 * Never unknown again, which would take it out of the tables. */
		j = old ? find_be(old, &cb->addr) : -1;
		v->be[i].health.state = j >= 0 ? (int)old->be[j].health.state :
						 saved_state(s, &cv->key, &cb->addr);
		if (!v->port[i])
			continue; /* port-0 VIP without a backend port: nothing to check */
		target_of(cv, cb, v->port[i], &t);
		v->tid[i] = target_alloc(s, v, i);
		if (v->tid[i] == UINT64_MAX || health_add(s->h, v->tid[i], &t)) {
			if (v->tid[i] != UINT64_MAX)
				s->t[v->tid[i]].vip = NULL;
			v->tid[i] = UINT64_MAX;
			goto err;
		}
	}
	if (breaker_vip_init(&v->bv, &vcfg, v->be, n, on_event, v))
		goto err;
	return v;
err:
	vip_free(s, v);
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

		if (cv->opt.check == GR_CHECK_NONE)
			continue;
		old = find_vip(s, &cv->key);
		nv[n] = vip_build(s, cv, old, now_ms);
		if (!nv[n]) {
			while (n)
				vip_free(s, nv[--n]);
			free(nv);
			return -ENOMEM;
		}
		n++;
	}
	for (i = 0; i < s->nvip; i++)
		vip_free(s, s->vip[i]); /* checks not carried over stop here */
	free(s->vip);
	s->vip = nv;
	s->nvip = n;
	s->now_ms = now_ms;
	return 0;
}

static const struct sv_vip *lookup(const struct supervise *s, const struct cfg_vip *cv,
				   const struct cfg_backend *cb, int *idx)
{
	const struct sv_vip *v = s ? find_vip(s, &cv->key) : NULL;

	*idx = find_be(v, &cb->addr);
	return *idx >= 0 ? v : NULL;
}

bool supervise_usable(const struct supervise *s, const struct cfg_vip *v,
		      const struct cfg_backend *b)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);

	return !sv || breaker_vip_usable(&sv->bv, i);
}

const char *supervise_health(const struct supervise *s, const struct cfg_vip *v,
			     const struct cfg_backend *b)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);

	return sv ? breaker_health_name(sv->be[i].health.state) : "up";
}

const char *supervise_breaker(const struct supervise *s, const struct cfg_vip *v,
			      const struct cfg_backend *b)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);

	return sv ? breaker_state_name(sv->be[i].state) : "closed";
}

bool supervise_panic(const struct supervise *s, const struct cfg_vip *v)
{
	const struct sv_vip *sv = s ? find_vip(s, &v->key) : NULL;

	return sv && breaker_vip_panic(&sv->bv);
}

void supervise_latency(const struct supervise *s, const struct cfg_vip *v,
		       const struct cfg_backend *b, uint32_t *last_us, uint32_t *avg_us)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);

	*last_us = *avg_us = 0;
	if (sv && sv->tid[i] != UINT64_MAX)
		health_stats(s->h, sv->tid[i], last_us, avg_us);
}
