// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* supervise: the breaker events, logged once each, kept in a ring for
 * `lbctl events` and counted for the metrics.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "agent/health/supervise_int.h"
#include "common/log.h"
#include "common/parse.h"

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Keep the event for `lbctl events` and count it for the metrics */
static void record(struct sv_vip *v, const struct breaker_event *ev, const char *vs, const char *as)
{
	struct supervise *s = v->s;
	struct supervise_event *e = &s->ev[s->ev_seq % SUPERVISE_EVENTS];

	memset(e, 0, sizeof(*e));
	e->seq = ++s->ev_seq;
	e->time_ms = wall_ms();
	e->kind = ev->kind;
	e->old_state = ev->old_state;
	e->new_state = ev->new_state;
	e->ejections = ev->ejections;
	e->open_ms = ev->kind == BREAKER_EV_STATE && ev->new_state == BREAKER_OPEN ?
			     ev->open_until_ms - ev->time_ms :
			     0;
	snprintf(e->vip, sizeof(e->vip), "%s", vs);
	snprintf(e->backend, sizeof(e->backend), "%s", ev->kind == BREAKER_EV_PANIC ? "-" : as);
	snprintf(e->reason, sizeof(e->reason), "%s%s%s", ev->reason, s->note[0] ? "; " : "",
		 s->note);
	switch (ev->kind) {
	case BREAKER_EV_STATE:
		if (ev->new_state >= 0 && ev->new_state < __BREAKER_STATE_MAX)
			s->counts.breaker[ev->new_state]++;
		break;
	case BREAKER_EV_HEALTH:
		if (ev->new_state >= 0 && ev->new_state < __BREAKER_HEALTH_MAX)
			s->counts.health[ev->new_state]++;
		break;
	case BREAKER_EV_REFUSED:
		s->counts.refused++;
		break;
	default:
		s->counts.panic += ev->new_state ? 1 : 0;
		break;
	}
}

void sv_on_event(void *arg, const struct breaker_event *ev)
{
	struct sv_vip *v = arg;
	char vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN] = "-";
	const char *why;

	format_vip(&v->key, vs, sizeof(vs));
	if (ev->backend < v->n)
		format_addr(&v->addr[ev->backend], as, sizeof(as));
	record(v, ev, vs, as);
	v->s->recalc = true;
	why = v->s->ev[(v->s->ev_seq - 1) % SUPERVISE_EVENTS].reason; /* with any note */
	switch (ev->kind) {
	case BREAKER_EV_HEALTH:
		pr_info("health: vip %s backend %s: %s -> %s (%s)", vs, as,
			breaker_health_name(ev->old_state), breaker_health_name(ev->new_state),
			why);
		break;
	case BREAKER_EV_STATE:
		pr_info("breaker: vip %s backend %s: %s -> %s (%s)", vs, as,
			breaker_state_name(ev->old_state), breaker_state_name(ev->new_state), why);
		break;
	case BREAKER_EV_REFUSED:
		pr_warn("breaker: vip %s backend %s: ejection refused (%s)", vs, as, why);
		break;
	default:
		if (ev->new_state)
			pr_warn("breaker: vip %s: panic, using every backend (%s)", vs, why);
		else
			pr_info("breaker: vip %s: panic over", vs);
		break;
	}
	v->s->dirty = true;
	if (ev->kind == BREAKER_EV_HEALTH)
		v->s->save_needed = true;
}

int supervise_events(const struct supervise *s, uint64_t since,
		     int (*cb)(void *arg, const struct supervise_event *e), void *arg)
{
	uint64_t first = s->ev_seq > SUPERVISE_EVENTS ? s->ev_seq - SUPERVISE_EVENTS + 1 : 1;
	uint64_t q;
	int ret;

	if (since + 1 > first)
		first = since + 1;
	for (q = first; q <= s->ev_seq; q++) {
		ret = cb(arg, &s->ev[(q - 1) % SUPERVISE_EVENTS]);
		if (ret)
			return ret;
	}
	return 0;
}

const struct supervise_counts *supervise_counts(const struct supervise *s)
{
	return &s->counts;
}
