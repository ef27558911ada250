// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* supervise: active checks (health.c) feeding each checked VIP's breaker
 * policy (breaker.c): the life cycle, the routing of check results to the
 * breakers, and the answers sync.c and the views ask for. The other jobs are
 * in supervise_targets.c, supervise_events.c, supervise_persist.c and
 * supervise_passive.c (state: supervise_int.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent/health/supervise_int.h"
#include "common/log.h"
#include "common/parse.h"

/* A probe starts: it carries its backend's circuit generation (as of now) */
static uint64_t on_start(void *arg, uint64_t id)
{
	const struct supervise *s = arg;
	const struct sv_target *t;

	if (id >= s->nt || !s->t[id].vip)
		return 0;
	t = &s->t[id];
	return t->vip->be[t->be].gen;
}

static void on_result(void *arg, uint64_t id, uint64_t tag, bool ok, uint32_t latency_us,
		      const char *reason)
{
	struct supervise *s = arg;
	const struct breaker *b;
	struct sv_target *t;

	(void)latency_us;
	(void)reason;
	if (id >= s->nt || !s->t[id].vip)
		return;
	t = &s->t[id];
	b = &t->vip->be[t->be];
	if (tag != b->gen) {
		char vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN];

		format_vip(&t->vip->key, vs, sizeof(vs));
		format_addr(&t->vip->addr[t->be], as, sizeof(as));
		pr_debug("breaker: vip %s backend %s: check sent in generation %llu, now %u: "
			 "for the health only",
			 vs, as, (unsigned long long)tag, b->gen);
	}
	/* health takes every result; the circuit only one sent in its current
	 * generation (a probe sent while open that ends after half-open began
	 * says nothing of the trial) */
	breaker_vip_probe(&t->vip->bv, t->be, (uint32_t)tag, ok, s->now_ms);
	/* changing state (a run toward up or down under way, or on trial in
	 * half-open): probe at the fast interval until it settles */
	health_set_fast(s->h, id,
			b->state == BREAKER_HALF_OPEN ||
				(b->health.ok_run && b->health.state != BREAKER_HEALTH_UP) ||
				(b->health.bad_run && b->health.state != BREAKER_HEALTH_DOWN));
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
	health_set_start_fn(s->h, on_start);
	/* nodes must not probe in lockstep */
	health_set_seed(s->h, ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s);
	s->changed = changed;
	s->arg = arg;
	return s;
}

void supervise_free(struct supervise *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nvip; i++)
		sv_vip_free(s, s->vip[i]);
	free(s->vip);
	free(s->t);
	free(s->saved);
	free(s->persist);
	health_free(s->h);
	free(s);
}

/* The UDP port GUE goes to (lbd --gue-port, which xlb_config.gue_port
 * carries to the dataplane), so `check-via vip` with encap gue reaches the
 * backends' decap as traffic does. Applies to checks started from now on.
 */
void supervise_set_gue_port(struct supervise *s, uint16_t port)
{
	s->gue_port = port;
}

int supervise_fd(const struct supervise *s)
{
	return health_fd(s->h);
}

void sv_notify(struct supervise *s)
{
	if (s->save_needed)
		sv_save_health(s);
	if (s->dirty && s->changed) {
		s->dirty = false;
		s->changed(s->arg);
	}
}

void supervise_dispatch(struct supervise *s, uint64_t now_ms)
{
	s->now_ms = now_ms;
	health_dispatch(s->h, now_ms);
	sv_notify(s);
}

void supervise_tick(struct supervise *s, uint64_t now_ms)
{
	size_t i;

	s->now_ms = now_ms;
	for (i = 0; i < s->nvip; i++)
		breaker_vip_tick(&s->vip[i]->bv, now_ms);
	s->recalc = true;
	sv_notify(s);
}

uint64_t supervise_next_ms(struct supervise *s)
{
	uint64_t d;
	size_t i;

	if (s->recalc) {
		s->deadline_ms = UINT64_MAX;
		for (i = 0; i < s->nvip; i++) {
			d = breaker_vip_deadline(&s->vip[i]->bv);
			if (d < s->deadline_ms)
				s->deadline_ms = d;
		}
		s->recalc = false;
	}
	return s->deadline_ms;
}

static const struct sv_vip *lookup(const struct supervise *s, const struct cfg_vip *cv,
				   const struct cfg_backend *cb, int *idx)
{
	const struct sv_vip *v = s ? sv_find_vip(s, &cv->key) : NULL;

	*idx = sv_find_be(v, &cb->addr);
	return *idx >= 0 ? v : NULL;
}

/* A backend open for the second time in a row has been out for at least
 * eject-time x 2: long enough to rebuild the table without it. A first
 * ejection is the dataplane map's alone, so a flap does not move the table. */
#define SV_TABLE_EJECTIONS 2

bool supervise_usable(const struct supervise *s, const struct cfg_vip *v,
		      const struct cfg_backend *b)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);
	const struct breaker *be;

	if (!sv)
		return true;
	be = &sv->be[i];
	if (breaker_vip_panic(&sv->bv))
		return breaker_vip_usable(&sv->bv, i);
	if (!breaker_health_usable(&be->health))
		return false; /* the checks say down (or never said up) */
	return !(be->state == BREAKER_OPEN && be->ejections >= SV_TABLE_EJECTIONS);
}

int supervise_dp_state(const struct supervise *s, const struct cfg_vip *v,
		       const struct cfg_backend *b, struct xlb_be_brk *out, uint32_t *gen)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);
	enum breaker_state st;

	memset(out, 0, sizeof(*out));
	*gen = 0;
	if (!sv)
		return XLB_BRK_CLOSED;
	st = breaker_vip_dp_state(&sv->bv, (uint32_t)i);
	out->state = st == BREAKER_OPEN	     ? XLB_BRK_OPEN :
		     st == BREAKER_HALF_OPEN ? XLB_BRK_HALF_OPEN :
					       XLB_BRK_CLOSED;
	if (out->state == XLB_BRK_HALF_OPEN)
		out->budget = (int32_t)sv->be[i].budget;
	/* a new generation is a new half-open period: a fresh budget */
	*gen = sv->be[i].gen;
	return (int)out->state;
}

bool supervise_breaker_info(const struct supervise *s, const struct cfg_vip *v,
			    const struct cfg_backend *b, uint32_t *ejections,
			    uint64_t *open_left_ms)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);
	bool open = sv && sv->be[i].state == BREAKER_OPEN;

	*ejections = sv ? sv->be[i].ejections : 0;
	*open_left_ms = open && sv->be[i].open_until_ms > s->now_ms ?
				sv->be[i].open_until_ms - s->now_ms :
				0;
	return open;
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
	const struct sv_vip *sv = s ? sv_find_vip(s, &v->key) : NULL;

	return sv && breaker_vip_panic(&sv->bv);
}

int supervise_check_hist(const struct supervise *s, const struct cfg_vip *v,
			 const struct cfg_backend *b, struct health_hist *out)
{
	int i;
	const struct sv_vip *sv = lookup(s, v, b, &i);

	if (!sv || sv->tid[i] == UINT64_MAX)
		return -ENOENT;
	return health_hist(s->h, sv->tid[i], out);
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
