// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* breaker: circuit breaker, health hysteresis and VIP policy as pure state
 * machines. Time only comes in as now_ms; events go out to the caller.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "agent/health/breaker.h"

static const char *const state_names[] = {
	[BREAKER_CLOSED] = "closed",
	[BREAKER_OPEN] = "open",
	[BREAKER_HALF_OPEN] = "half-open",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == __BREAKER_STATE_MAX, "state_names");

static const char *const health_names[] = {
	[BREAKER_HEALTH_UNKNOWN] = "unknown",
	[BREAKER_HEALTH_UP] = "up",
	[BREAKER_HEALTH_DOWN] = "down",
};
_Static_assert(sizeof(health_names) / sizeof(health_names[0]) == __BREAKER_HEALTH_MAX,
	       "health_names");

static const char *const kind_names[] = {
	[BREAKER_EV_STATE] = "state",
	[BREAKER_EV_HEALTH] = "health",
	[BREAKER_EV_REFUSED] = "refused",
	[BREAKER_EV_PANIC] = "panic",
};
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == __BREAKER_EV_MAX, "kind_names");

const char *breaker_state_name(int state)
{
	return state >= 0 && state < __BREAKER_STATE_MAX ? state_names[state] : "?";
}

const char *breaker_health_name(int state)
{
	return state >= 0 && state < __BREAKER_HEALTH_MAX ? health_names[state] : "?";
}

const char *breaker_ev_kind_name(int kind)
{
	return kind >= 0 && kind < __BREAKER_EV_MAX ? kind_names[kind] : "?";
}

void breaker_cfg_default(struct breaker_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->eject_base_ms = BREAKER_DEF_EJECT_BASE_MS;
	cfg->eject_max_ms = BREAKER_DEF_EJECT_MAX_MS;
	cfg->reset_after_ms = BREAKER_DEF_RESET_AFTER_MS;
	cfg->half_open_flows = BREAKER_DEF_HALF_OPEN_FLOWS;
	cfg->fall = BREAKER_DEF_FALL;
	cfg->rise = BREAKER_DEF_RISE;
	/* ratio off; a window ready for whoever turns it on */
	cfg->window = 20;
	cfg->min_count = 10;
}

int breaker_cfg_check(const struct breaker_cfg *cfg)
{
	if (!cfg || !cfg->fall || !cfg->rise || !cfg->eject_base_ms ||
	    cfg->eject_max_ms < cfg->eject_base_ms || cfg->ratio_pct > 100)
		return -EINVAL;
	if (cfg->ratio_pct && (!cfg->window || cfg->window > BREAKER_WINDOW_MAX ||
			       !cfg->min_count || cfg->min_count > cfg->window))
		return -EINVAL;
	return 0;
}

void breaker_vip_cfg_default(struct breaker_vip_cfg *cfg)
{
	cfg->panic_pct = BREAKER_DEF_PANIC_PCT;
	cfg->max_eject_pct = BREAKER_DEF_MAX_EJECT_PCT;
}

int breaker_vip_cfg_check(const struct breaker_vip_cfg *cfg)
{
	if (!cfg || cfg->panic_pct > 100 || cfg->max_eject_pct > 100)
		return -EINVAL;
	return 0;
}

/* now may be behind a stored time if the caller's clock source changed;
 * treat that as no time elapsed rather than a huge one */
static uint64_t elapsed(uint64_t now_ms, uint64_t since_ms)
{
	return now_ms > since_ms ? now_ms - since_ms : 0;
}

static void ev_fill(struct breaker_event *ev, enum breaker_ev_kind kind, uint32_t backend,
		    int old_state, int new_state, uint64_t now_ms)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->backend = backend;
	ev->old_state = old_state;
	ev->new_state = new_state;
	ev->time_ms = now_ms;
}

/* ---- health hysteresis ---- */

int breaker_health_init(struct breaker_health *h, const struct breaker_cfg *cfg, uint32_t id,
			uint64_t now_ms)
{
	if (!h || breaker_cfg_check(cfg))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->state = BREAKER_HEALTH_UNKNOWN;
	h->id = id;
	h->since_ms = now_ms;
	h->rise = cfg->rise;
	h->fall = cfg->fall;
	h->usable_before_first_check = cfg->usable_before_first_check;
	return 0;
}

static int health_set(struct breaker_health *h, enum breaker_health_state to, uint64_t now_ms,
		      struct breaker_event *ev)
{
	ev_fill(ev, BREAKER_EV_HEALTH, h->id, h->state, to, now_ms);
	if (to == BREAKER_HEALTH_UP && h->state == BREAKER_HEALTH_UNKNOWN)
		snprintf(ev->reason, sizeof(ev->reason), "first check succeeded");
	else if (to == BREAKER_HEALTH_UP)
		snprintf(ev->reason, sizeof(ev->reason), "probe succeeded %ux", h->ok_run);
	else
		snprintf(ev->reason, sizeof(ev->reason), "%u consecutive failures", h->bad_run);
	h->state = to;
	h->since_ms = now_ms;
	h->ok_run = 0;
	h->bad_run = 0;
	return 1;
}

int breaker_health_on_result(struct breaker_health *h, bool ok, uint64_t now_ms,
			     struct breaker_event *ev)
{
	if (!h || !ev)
		return -EINVAL;
	if (ok) {
		h->bad_run = 0;
		if (h->ok_run < UINT32_MAX)
			h->ok_run++;
		if (h->state == BREAKER_HEALTH_UNKNOWN ||
		    (h->state == BREAKER_HEALTH_DOWN && h->ok_run >= h->rise))
			return health_set(h, BREAKER_HEALTH_UP, now_ms, ev);
	} else {
		h->ok_run = 0;
		if (h->bad_run < UINT32_MAX)
			h->bad_run++;
		if (h->state != BREAKER_HEALTH_DOWN && h->bad_run >= h->fall)
			return health_set(h, BREAKER_HEALTH_DOWN, now_ms, ev);
	}
	return 0;
}

bool breaker_health_usable(const struct breaker_health *h)
{
	return h->state == BREAKER_HEALTH_UP ||
	       (h->state == BREAKER_HEALTH_UNKNOWN && h->usable_before_first_check);
}

/* ---- circuit ---- */

int breaker_init(struct breaker *b, const struct breaker_cfg *cfg, uint32_t id, uint64_t now_ms)
{
	int err;

	if (!b || breaker_cfg_check(cfg))
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	err = breaker_health_init(&b->health, cfg, id, now_ms);
	if (err)
		return err;
	b->state = BREAKER_CLOSED;
	b->id = id;
	b->gen = 1;
	b->since_ms = now_ms;
	return 0;
}

uint64_t breaker_open_ms(const struct breaker_cfg *cfg, uint32_t ejections)
{
	uint64_t ms = (uint64_t)cfg->eject_base_ms * (ejections ? ejections : 1);

	return ms < cfg->eject_max_ms ? ms : cfg->eject_max_ms;
}

/* Every state change goes through here: new generation, fresh evidence */
static int set_state(struct breaker *b, enum breaker_state to, uint64_t now_ms,
		     struct breaker_event *ev)
{
	ev_fill(ev, BREAKER_EV_STATE, b->id, b->state, to, now_ms);
	if (to == BREAKER_OPEN) {
		if (b->ejections < UINT32_MAX)
			b->ejections++;
		b->open_until_ms = now_ms + breaker_open_ms(&b->cfg, b->ejections);
		ev->open_until_ms = b->open_until_ms;
	} else if (to == BREAKER_HALF_OPEN) {
		b->budget = b->cfg.half_open_flows;
	} else if (!b->cfg.reset_after_ms) {
		b->ejections = 0; /* closing forgets past ejections */
	}
	if (to != BREAKER_HALF_OPEN)
		b->budget = 0;
	b->state = to;
	b->gen++;
	if (!b->gen)
		b->gen = 1; /* 0 never valid, even after wrapping */
	b->since_ms = now_ms;
	b->ok_run = 0;
	b->bad_run = 0;
	b->win = 0;
	b->win_len = 0;
	b->refused = false;
	ev->gen = b->gen;
	ev->ejections = b->ejections;
	return 1;
}

/* Forget the ejections after a healthy (closed) period; no state change */
static void maybe_forget(struct breaker *b, uint64_t now_ms)
{
	if (b->state == BREAKER_CLOSED && b->ejections && b->cfg.reset_after_ms &&
	    elapsed(now_ms, b->since_ms) >= b->cfg.reset_after_ms)
		b->ejections = 0;
}

static void window_push(struct breaker *b, bool ok)
{
	uint64_t mask;

	if (!b->cfg.ratio_pct)
		return;
	mask = b->cfg.window >= 64 ? UINT64_MAX : (1ULL << b->cfg.window) - 1;
	b->win = ((b->win << 1) | (ok ? 0 : 1)) & mask;
	if (b->win_len < b->cfg.window)
		b->win_len++;
}

/* Whether closed should trip now; the reason if so */
static bool trip_due(const struct breaker *b, char *reason, size_t len)
{
	unsigned int fails;

	if (b->bad_run >= b->cfg.fall) {
		snprintf(reason, len, "%u consecutive failures", b->bad_run);
		return true;
	}
	if (!b->cfg.ratio_pct || b->win_len < b->cfg.min_count)
		return false;
	fails = (unsigned int)__builtin_popcountll(b->win);
	if ((uint64_t)fails * 100 < (uint64_t)b->cfg.ratio_pct * b->win_len)
		return false;
	snprintf(reason, len, "%u of last %u failed (>= %u%%)", fails, b->win_len,
		 b->cfg.ratio_pct);
	return true;
}

/* The circuit step. @may_eject: the VIP allows one more backend out (only
 * asked of closed -> open; half-open is already counted as out).
 * Returns as breaker_on_result; a refused trip returns 1 with a REFUSED
 * event the first time, then 0 until the backend succeeds or trips.
 */
static int step(struct breaker *b, uint32_t gen, bool ok, uint64_t now_ms,
		bool (*may_eject)(const void *ctx, char *why, size_t len), const void *ctx,
		struct breaker_event *ev)
{
	char reason[48], why[40]; /* both fit in ev->reason */

	if (gen != b->gen) {
		b->stale++;
		return -ESTALE;
	}
	if (ok) {
		b->bad_run = 0;
		if (b->ok_run < UINT32_MAX)
			b->ok_run++;
	} else {
		b->ok_run = 0;
		if (b->bad_run < UINT32_MAX)
			b->bad_run++;
	}

	switch (b->state) {
	case BREAKER_CLOSED:
		maybe_forget(b, now_ms);
		window_push(b, ok);
		if (ok) {
			b->refused = false;
			return 0;
		}
		if (!trip_due(b, reason, sizeof(reason)))
			return 0;
		if (may_eject && !may_eject(ctx, why, sizeof(why))) {
			if (b->refused)
				return 0;
			b->refused = true;
			ev_fill(ev, BREAKER_EV_REFUSED, b->id, BREAKER_CLOSED, BREAKER_CLOSED,
				now_ms);
			ev->gen = b->gen;
			ev->ejections = b->ejections;
			snprintf(ev->reason, sizeof(ev->reason), "%s, %s", why, reason);
			return 1;
		}
		set_state(b, BREAKER_OPEN, now_ms, ev);
		memcpy(ev->reason, reason, sizeof(reason));
		return 1;
	case BREAKER_HALF_OPEN:
		if (!ok) {
			set_state(b, BREAKER_OPEN, now_ms, ev);
			snprintf(ev->reason, sizeof(ev->reason), "failure in half-open");
			return 1;
		}
		if (b->ok_run < b->cfg.rise)
			return 0;
		snprintf(reason, sizeof(reason), "succeeded %ux in half-open", b->ok_run);
		set_state(b, BREAKER_CLOSED, now_ms, ev);
		memcpy(ev->reason, reason, sizeof(reason));
		return 1;
	case BREAKER_OPEN:
	default:
		return 0; /* only time ends an open */
	}
}

int breaker_on_result(struct breaker *b, uint32_t gen, bool ok, uint64_t now_ms,
		      struct breaker_event *ev)
{
	if (!b || !ev)
		return -EINVAL;
	return step(b, gen, ok, now_ms, NULL, NULL, ev);
}

int breaker_tick(struct breaker *b, uint64_t now_ms, struct breaker_event *ev)
{
	if (!b || !ev)
		return -EINVAL;
	maybe_forget(b, now_ms);
	if (b->state != BREAKER_OPEN || now_ms < b->open_until_ms)
		return 0;
	set_state(b, BREAKER_HALF_OPEN, now_ms, ev);
	snprintf(ev->reason, sizeof(ev->reason), "open %llu ms elapsed, half-open budget %u",
		 (unsigned long long)breaker_open_ms(&b->cfg, b->ejections), b->budget);
	return 1;
}

uint64_t breaker_deadline(const struct breaker *b)
{
	if (b->state == BREAKER_OPEN)
		return b->open_until_ms;
	if (b->state == BREAKER_CLOSED && b->ejections && b->cfg.reset_after_ms)
		return b->since_ms + b->cfg.reset_after_ms;
	return UINT64_MAX;
}

/* ---- VIP policy ---- */

static bool counted(const struct breaker *b)
{
	return b->health.state != BREAKER_HEALTH_UNKNOWN || b->health.usable_before_first_check;
}

static bool usable_own(const struct breaker *b)
{
	return breaker_health_usable(&b->health) && b->state != BREAKER_OPEN;
}

static bool compute_panic(const struct breaker_vip *v)
{
	uint64_t ncounted = 0, nusable = 0;
	uint32_t i;

	if (!v->cfg.panic_pct)
		return false;
	for (i = 0; i < v->n; i++) {
		if (!counted(&v->be[i]))
			continue;
		ncounted++;
		if (usable_own(&v->be[i]))
			nusable++;
	}
	return ncounted && nusable * 100 < (uint64_t)v->cfg.panic_pct * ncounted;
}

static void emit(const struct breaker_vip *v, const struct breaker_event *ev)
{
	if (v->emit)
		v->emit(v->arg, ev);
}

/* Recompute panic after a backend changed; emit and count a change */
static int panic_update(struct breaker_vip *v, uint64_t now_ms)
{
	struct breaker_event ev;
	uint32_t i, nusable = 0, ncounted = 0;
	bool p = compute_panic(v);

	if (p == v->panic)
		return 0;
	for (i = 0; i < v->n; i++) {
		ncounted += counted(&v->be[i]);
		nusable += counted(&v->be[i]) && usable_own(&v->be[i]);
	}
	ev_fill(&ev, BREAKER_EV_PANIC, UINT32_MAX, v->panic, p, now_ms);
	snprintf(ev.reason, sizeof(ev.reason), "%u of %u usable, %s %u%%", nusable, ncounted,
		 p ? "below" : "at or above", v->cfg.panic_pct);
	v->panic = p;
	emit(v, &ev);
	return 1;
}

int breaker_vip_init(struct breaker_vip *v, const struct breaker_vip_cfg *cfg, struct breaker *be,
		     uint32_t n, breaker_event_fn fn, void *arg)
{
	if (!v || breaker_vip_cfg_check(cfg) || (n && !be))
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->cfg = *cfg;
	v->be = be;
	v->n = n;
	v->emit = fn;
	v->arg = arg;
	v->panic = compute_panic(v);
	return 0;
}

int breaker_vip_set_backends(struct breaker_vip *v, struct breaker *be, uint32_t n, uint64_t now_ms)
{
	if (!v || (n && !be))
		return -EINVAL;
	v->be = be;
	v->n = n;
	return panic_update(v, now_ms);
}

/* One more backend may leave closed: (out + 1) / n <= max_eject_pct */
static bool vip_may_eject(const void *ctx, char *why, size_t len)
{
	const struct breaker_vip *v = ctx;
	uint32_t i, out = 0;

	for (i = 0; i < v->n; i++)
		out += v->be[i].state != BREAKER_CLOSED;
	if (((uint64_t)out + 1) * 100 <= (uint64_t)v->cfg.max_eject_pct * v->n)
		return true;
	snprintf(why, len, "max-eject %u%%: %u of %u out", v->cfg.max_eject_pct, out, v->n);
	return false;
}

/* The active checks brought a backend back up (down -> up after `rise`
 * successes): an open circuit goes half-open now instead of waiting out its
 * open time, so a restarted server gets flows again as soon as its checks say
 * so. Its ejection count stays (a failure in half-open reopens it longer).
 * Returns as breaker_tick. */
static int checks_up(struct breaker *b, uint64_t now_ms, struct breaker_event *ev)
{
	if (b->state != BREAKER_OPEN)
		return 0;
	set_state(b, BREAKER_HALF_OPEN, now_ms, ev);
	snprintf(ev->reason, sizeof(ev->reason),
		 "checks up after %u successes, half-open budget %u", b->health.rise, b->budget);
	return 1;
}

static int vip_step(struct breaker_vip *v, uint32_t i, uint32_t gen, bool ok, bool health,
		    bool circuit, uint64_t now_ms)
{
	struct breaker_event ev;
	bool changed = false;
	int n = 0, ret;

	if (!v || i >= v->n)
		return -EINVAL;
	if (health && breaker_health_on_result(&v->be[i].health, ok, now_ms, &ev) == 1) {
		bool up = ev.old_state == BREAKER_HEALTH_DOWN && ev.new_state == BREAKER_HEALTH_UP;

		emit(v, &ev);
		changed = true;
		n++;
		if (up && checks_up(&v->be[i], now_ms, &ev) == 1) {
			emit(v, &ev);
			n++;
			/* this result started under the open generation: the
			 * half-open trial counts only results started in it */
			circuit = false;
		}
	}
	if (circuit) {
		ret = step(&v->be[i], gen, ok, now_ms, vip_may_eject, v, &ev);
		if (ret == 1) {
			emit(v, &ev);
			changed |= ev.kind == BREAKER_EV_STATE;
			n++;
		}
	}
	if (changed)
		n += panic_update(v, now_ms);
	return n;
}

int breaker_vip_probe(struct breaker_vip *v, uint32_t i, uint32_t gen, bool ok, uint64_t now_ms)
{
	return vip_step(v, i, gen, ok, true, true, now_ms);
}

int breaker_vip_result(struct breaker_vip *v, uint32_t i, uint32_t gen, bool ok, uint64_t now_ms)
{
	return vip_step(v, i, gen, ok, false, true, now_ms);
}

int breaker_vip_health(struct breaker_vip *v, uint32_t i, bool ok, uint64_t now_ms)
{
	return vip_step(v, i, 0, ok, true, false, now_ms);
}

int breaker_vip_tick(struct breaker_vip *v, uint64_t now_ms)
{
	struct breaker_event ev;
	uint32_t i;
	int n = 0;

	if (!v)
		return -EINVAL;
	for (i = 0; i < v->n; i++) {
		if (breaker_tick(&v->be[i], now_ms, &ev) == 1) {
			emit(v, &ev);
			n++;
		}
	}
	if (n)
		n += panic_update(v, now_ms);
	return n;
}

uint64_t breaker_vip_deadline(const struct breaker_vip *v)
{
	uint64_t d, min = UINT64_MAX;
	uint32_t i;

	for (i = 0; i < v->n; i++) {
		d = breaker_deadline(&v->be[i]);
		if (d < min)
			min = d;
	}
	return min;
}

bool breaker_vip_panic(const struct breaker_vip *v)
{
	return v->panic;
}

bool breaker_vip_usable(const struct breaker_vip *v, uint32_t i)
{
	if (i >= v->n)
		return false;
	if (v->panic)
		return counted(&v->be[i]);
	return usable_own(&v->be[i]);
}

uint32_t breaker_vip_usable_set(const struct breaker_vip *v, bool *usable)
{
	uint32_t i, n = 0;

	for (i = 0; i < v->n; i++) {
		usable[i] = breaker_vip_usable(v, i);
		n += usable[i];
	}
	return n;
}

enum breaker_state breaker_vip_dp_state(const struct breaker_vip *v, uint32_t i)
{
	if (!breaker_vip_usable(v, i))
		return BREAKER_OPEN;
	return v->panic ? BREAKER_CLOSED : v->be[i].state;
}
