// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of the circuit breaker, health hysteresis and VIP policy, on a
 * fake clock: every call gets the time from the test, so times are exact. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "agent/health/breaker.h"

/* the fake clock: tests move it, nothing else reads time */
struct fake_clock {
	uint64_t ms;
};

static uint64_t clk_at(struct fake_clock *c, uint64_t ms)
{
	c->ms = ms;
	return c->ms;
}

/* events a VIP emitted, in order */
struct evlog {
	struct breaker_event ev[64];
	int n;
};

static void collect(void *arg, const struct breaker_event *ev)
{
	struct evlog *log = arg;

	assert_true(log->n < 64);
	log->ev[log->n++] = *ev;
}

static void mk(struct breaker *b, uint32_t id, uint64_t now)
{
	struct breaker_cfg cfg;

	breaker_cfg_default(&cfg);
	assert_int_equal(breaker_init(b, &cfg, id, now), 0);
}

/* n failures at @now under the current generation; the last return */
static int fail_n(struct breaker *b, int n, uint64_t now, struct breaker_event *ev)
{
	int i, ret = 0;

	for (i = 0; i < n; i++)
		ret = breaker_on_result(b, b->gen, false, now, ev);
	return ret;
}

/* closed -> open at @now with the default fall of 3 */
static void trip(struct breaker *b, uint64_t now)
{
	struct breaker_event ev;

	assert_int_equal(b->state, BREAKER_CLOSED);
	assert_int_equal(fail_n(b, 3, now, &ev), 1);
	assert_int_equal(b->state, BREAKER_OPEN);
}

/* open -> half-open at exactly its open_until */
static void to_half_open(struct breaker *b)
{
	struct breaker_event ev;

	assert_int_equal(b->state, BREAKER_OPEN);
	assert_int_equal(breaker_tick(b, b->open_until_ms - 1, &ev), 0);
	assert_int_equal(breaker_tick(b, b->open_until_ms, &ev), 1);
	assert_int_equal(b->state, BREAKER_HALF_OPEN);
}

static void test_cfg_defaults_and_check(void **state)
{
	struct breaker_cfg cfg, bad;
	struct breaker_vip_cfg vc;
	struct breaker b;

	(void)state;
	breaker_cfg_default(&cfg);
	assert_int_equal(cfg.fall, 3);
	assert_int_equal(cfg.rise, 2);
	assert_int_equal(cfg.eject_base_ms, 30000);
	assert_int_equal(cfg.eject_max_ms, 300000);
	assert_int_equal(cfg.reset_after_ms, 300000);
	assert_int_equal(cfg.half_open_flows, 3);
	assert_int_equal(cfg.ratio_pct, 0);
	assert_false(cfg.usable_before_first_check);
	assert_int_equal(breaker_cfg_check(&cfg), 0);
	breaker_vip_cfg_default(&vc);
	assert_int_equal(vc.panic_pct, 50);
	assert_int_equal(vc.max_eject_pct, 50);
	assert_int_equal(breaker_vip_cfg_check(&vc), 0);

	bad = cfg, bad.fall = 0;
	assert_int_equal(breaker_cfg_check(&bad), -EINVAL);
	bad = cfg, bad.rise = 0;
	assert_int_equal(breaker_cfg_check(&bad), -EINVAL);
	bad = cfg, bad.eject_base_ms = 0;
	assert_int_equal(breaker_cfg_check(&bad), -EINVAL);
	bad = cfg, bad.eject_max_ms = 29999;
	assert_int_equal(breaker_cfg_check(&bad), -EINVAL);
	bad = cfg, bad.ratio_pct = 101;
	assert_int_equal(breaker_cfg_check(&bad), -EINVAL);
	bad = cfg, bad.ratio_pct = 50, bad.window = 65;
	assert_int_equal(breaker_cfg_check(&bad), -EINVAL);
	bad = cfg, bad.ratio_pct = 50, bad.window = 10, bad.min_count = 11;
	assert_int_equal(breaker_cfg_check(&bad), -EINVAL);
	bad = cfg, bad.ratio_pct = 50, bad.min_count = 0;
	assert_int_equal(breaker_cfg_check(&bad), -EINVAL);
	bad = cfg, bad.ratio_pct = 50, bad.window = 64, bad.min_count = 64;
	assert_int_equal(breaker_cfg_check(&bad), 0);
	assert_int_equal(breaker_cfg_check(NULL), -EINVAL);
	bad = cfg, bad.fall = 0;
	assert_int_equal(breaker_init(&b, &bad, 0, 0), -EINVAL);
	vc.panic_pct = 101;
	assert_int_equal(breaker_vip_cfg_check(&vc), -EINVAL);
	vc.panic_pct = 50, vc.max_eject_pct = 101;
	assert_int_equal(breaker_vip_cfg_check(&vc), -EINVAL);
}

static void test_init_state(void **state)
{
	struct breaker b;

	(void)state;
	mk(&b, 7, 5000);
	assert_int_equal(b.state, BREAKER_CLOSED);
	assert_int_equal(b.gen, 1);
	assert_int_equal(b.ejections, 0);
	assert_int_equal(b.budget, 0);
	assert_int_equal(b.id, 7);
	assert_int_equal(b.health.id, 7);
	assert_int_equal(b.since_ms, 5000);
	assert_int_equal(b.health.state, BREAKER_HEALTH_UNKNOWN);
	assert_false(breaker_health_usable(&b.health));
	assert_true(breaker_deadline(&b) == UINT64_MAX);
}

static void test_closed_to_open_on_fall(void **state)
{
	struct fake_clock clk = { 0 };
	struct breaker_event ev;
	struct breaker b;

	(void)state;
	mk(&b, 7, clk_at(&clk, 1000));
	assert_int_equal(breaker_on_result(&b, 1, false, clk_at(&clk, 1000), &ev), 0);
	assert_int_equal(breaker_on_result(&b, 1, false, clk_at(&clk, 1100), &ev), 0);
	assert_int_equal(b.state, BREAKER_CLOSED);
	assert_int_equal(breaker_on_result(&b, 1, false, clk_at(&clk, 1200), &ev), 1);
	assert_int_equal(ev.kind, BREAKER_EV_STATE);
	assert_int_equal(ev.time_ms, 1200);
	assert_int_equal(ev.backend, 7);
	assert_int_equal(ev.old_state, BREAKER_CLOSED);
	assert_int_equal(ev.new_state, BREAKER_OPEN);
	assert_int_equal(ev.gen, 2);
	assert_int_equal(ev.ejections, 1);
	assert_int_equal(ev.open_until_ms, 31200);
	assert_string_equal(ev.reason, "3 consecutive failures");
	assert_int_equal(b.state, BREAKER_OPEN);
	assert_int_equal(b.gen, 2);
	assert_int_equal(b.since_ms, 1200);
	assert_int_equal(breaker_deadline(&b), 31200);
}

static void test_success_resets_failure_run(void **state)
{
	struct breaker_event ev;
	struct breaker b;

	(void)state;
	mk(&b, 0, 0);
	assert_int_equal(fail_n(&b, 2, 10, &ev), 0);
	assert_int_equal(breaker_on_result(&b, 1, true, 20, &ev), 0);
	assert_int_equal(fail_n(&b, 2, 30, &ev), 0);
	assert_int_equal(b.state, BREAKER_CLOSED);
	assert_int_equal(b.gen, 1);
	assert_int_equal(fail_n(&b, 1, 40, &ev), 1);
	assert_int_equal(ev.time_ms, 40);
	assert_int_equal(b.state, BREAKER_OPEN);
}

static void test_open_to_half_open_at_open_time(void **state)
{
	struct breaker_event ev;
	struct breaker b;

	(void)state;
	mk(&b, 3, 0);
	trip(&b, 0);
	assert_int_equal(b.open_until_ms, 30000);
	assert_int_equal(breaker_tick(&b, 29999, &ev), 0);
	assert_int_equal(b.state, BREAKER_OPEN);
	assert_int_equal(breaker_tick(&b, 30000, &ev), 1);
	assert_int_equal(ev.kind, BREAKER_EV_STATE);
	assert_int_equal(ev.time_ms, 30000);
	assert_int_equal(ev.backend, 3);
	assert_int_equal(ev.old_state, BREAKER_OPEN);
	assert_int_equal(ev.new_state, BREAKER_HALF_OPEN);
	assert_int_equal(ev.gen, 3);
	assert_string_equal(ev.reason, "open 30000 ms elapsed, half-open budget 3");
	assert_int_equal(b.budget, 3);
	assert_true(breaker_deadline(&b) == UINT64_MAX);
	/* nothing more to do on later ticks */
	assert_int_equal(breaker_tick(&b, 90000, &ev), 0);
	assert_int_equal(b.state, BREAKER_HALF_OPEN);
}

static void test_half_open_to_closed_on_rise(void **state)
{
	struct breaker_event ev;
	struct breaker b;

	(void)state;
	mk(&b, 0, 0);
	trip(&b, 0);
	to_half_open(&b);
	assert_int_equal(breaker_on_result(&b, 3, true, 30500, &ev), 0);
	assert_int_equal(b.state, BREAKER_HALF_OPEN);
	assert_int_equal(breaker_on_result(&b, 3, true, 31000, &ev), 1);
	assert_int_equal(ev.old_state, BREAKER_HALF_OPEN);
	assert_int_equal(ev.new_state, BREAKER_CLOSED);
	assert_int_equal(ev.time_ms, 31000);
	assert_int_equal(ev.gen, 4);
	assert_string_equal(ev.reason, "succeeded 2x in half-open");
	assert_int_equal(b.state, BREAKER_CLOSED);
	assert_int_equal(b.budget, 0);
	/* remembered until a healthy period has passed */
	assert_int_equal(b.ejections, 1);
	assert_int_equal(breaker_deadline(&b), 31000 + 300000);
}

static void test_half_open_failure_reopens_longer(void **state)
{
	struct breaker_event ev;
	struct breaker b;

	(void)state;
	mk(&b, 0, 0);
	trip(&b, 0);
	to_half_open(&b);
	assert_int_equal(breaker_on_result(&b, b.gen, true, 30100, &ev), 0);
	assert_int_equal(breaker_on_result(&b, b.gen, false, 31000, &ev), 1);
	assert_int_equal(ev.old_state, BREAKER_HALF_OPEN);
	assert_int_equal(ev.new_state, BREAKER_OPEN);
	assert_string_equal(ev.reason, "failure in half-open");
	assert_int_equal(ev.ejections, 2);
	assert_int_equal(ev.open_until_ms, 31000 + 60000);
	assert_int_equal(ev.gen, 4);
	assert_int_equal(b.budget, 0);
}

static void test_open_ignores_results(void **state)
{
	struct breaker_event ev;
	struct breaker b;
	int i;

	(void)state;
	mk(&b, 0, 0);
	trip(&b, 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(breaker_on_result(&b, b.gen, false, 1000 + i, &ev), 0);
		assert_int_equal(breaker_on_result(&b, b.gen, true, 2000 + i, &ev), 0);
	}
	assert_int_equal(b.state, BREAKER_OPEN);
	assert_int_equal(b.gen, 2);
	assert_int_equal(b.ejections, 1);
	assert_int_equal(b.open_until_ms, 30000);
}

static void test_late_result_ignored(void **state)
{
	struct breaker_event ev;
	struct breaker b;
	uint32_t closed_gen, open_gen;

	(void)state;
	mk(&b, 0, 0);
	closed_gen = b.gen;
	trip(&b, 100);
	open_gen = b.gen;
	assert_int_equal(open_gen, closed_gen + 1);
	/* a probe started while closed answers now */
	assert_int_equal(breaker_on_result(&b, closed_gen, true, 200, &ev), -ESTALE);
	assert_int_equal(b.stale, 1);
	to_half_open(&b);
	/* failures started before half-open must not reopen it */
	assert_int_equal(breaker_on_result(&b, open_gen, false, 30200, &ev), -ESTALE);
	assert_int_equal(breaker_on_result(&b, closed_gen, false, 30200, &ev), -ESTALE);
	assert_int_equal(b.stale, 3);
	assert_int_equal(b.state, BREAKER_HALF_OPEN);
	assert_int_equal(b.gen, open_gen + 1);
	/* one from this generation does */
	assert_int_equal(breaker_on_result(&b, b.gen, false, 30300, &ev), 1);
	assert_int_equal(b.state, BREAKER_OPEN);
}

static void test_late_success_does_not_close(void **state)
{
	struct breaker_event ev;
	struct breaker b;
	uint32_t g;

	(void)state;
	mk(&b, 0, 0);
	trip(&b, 0);
	to_half_open(&b);
	g = b.gen;
	assert_int_equal(breaker_on_result(&b, g, true, 30001, &ev), 0);
	assert_int_equal(breaker_on_result(&b, g - 1, true, 30002, &ev), -ESTALE);
	assert_int_equal(breaker_on_result(&b, g - 2, true, 30003, &ev), -ESTALE);
	assert_int_equal(b.state, BREAKER_HALF_OPEN);
	assert_int_equal(b.ok_run, 1);
	assert_int_equal(breaker_on_result(&b, g, true, 30004, &ev), 1);
	assert_int_equal(b.state, BREAKER_CLOSED);
	/* the generation that closed it is now old too */
	assert_int_equal(breaker_on_result(&b, g, false, 30005, &ev), -ESTALE);
}

/* exactly one generation per state change, none otherwise */
static void test_gen_bumped_once_per_change(void **state)
{
	struct breaker_event ev;
	struct breaker b;
	uint32_t g;
	int i, ret;

	(void)state;
	mk(&b, 0, 0);
	for (i = 0; i < 4; i++) {
		g = b.gen;
		ret = fail_n(&b, 2, 10, &ev);
		assert_int_equal(ret, 0);
		assert_int_equal(b.gen, g);
		assert_int_equal(fail_n(&b, 1, 10, &ev), 1);
		assert_int_equal(b.gen, g + 1);
		assert_int_equal(ev.gen, g + 1);
		assert_int_equal(breaker_tick(&b, b.open_until_ms - 1, &ev), 0);
		assert_int_equal(b.gen, g + 1);
		assert_int_equal(breaker_tick(&b, b.open_until_ms, &ev), 1);
		assert_int_equal(b.gen, g + 2);
		assert_int_equal(breaker_on_result(&b, b.gen, true, 1, &ev), 0);
		assert_int_equal(b.gen, g + 2);
		assert_int_equal(breaker_on_result(&b, b.gen, true, 1, &ev), 1);
		assert_int_equal(b.gen, g + 3);
		assert_int_equal(ev.gen, g + 3);
	}
	assert_int_equal(b.gen, 13);
}

/* 30, 60, 90 ... 300 s, then 300 s: consecutive ejections without closing */
static void test_backoff_growth_and_cap(void **state)
{
	static const uint64_t want_s[] = {
		30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300
	};
	struct breaker_event ev;
	struct breaker b;
	uint64_t t = 0;
	size_t k;

	(void)state;
	mk(&b, 0, 0);
	trip(&b, t);
	for (k = 0; k < sizeof(want_s) / sizeof(want_s[0]); k++) {
		assert_int_equal(b.state, BREAKER_OPEN);
		assert_int_equal(b.ejections, k + 1);
		assert_int_equal(b.open_until_ms - t, want_s[k] * 1000);
		assert_int_equal(breaker_open_ms(&b.cfg, (uint32_t)k + 1), want_s[k] * 1000);
		to_half_open(&b);
		t = b.open_until_ms + 500;
		assert_int_equal(breaker_on_result(&b, b.gen, false, t, &ev), 1);
		assert_int_equal(ev.open_until_ms - t, (k + 1 < 9 ? (k + 2) * 30 : 300) * 1000);
	}
	assert_int_equal(b.ejections, 13);
}

static void test_ejections_forgotten_after_healthy_period(void **state)
{
	struct fake_clock clk = { 0 };
	struct breaker_event ev;
	struct breaker b, lazy;

	(void)state;
	mk(&b, 0, clk_at(&clk, 0));
	trip(&b, clk.ms);
	to_half_open(&b);
	assert_int_equal(breaker_on_result(&b, b.gen, true, clk_at(&clk, 31000), &ev), 0);
	assert_int_equal(breaker_on_result(&b, b.gen, true, clk.ms, &ev), 1);
	/* trips again within the healthy period: twice as long */
	trip(&b, clk_at(&clk, 100000));
	assert_int_equal(b.open_until_ms, 160000);
	to_half_open(&b);
	assert_int_equal(breaker_on_result(&b, b.gen, true, clk_at(&clk, 161000), &ev), 0);
	assert_int_equal(breaker_on_result(&b, b.gen, true, clk.ms, &ev), 1);
	assert_int_equal(b.ejections, 2);
	assert_int_equal(breaker_deadline(&b), 461000);
	assert_int_equal(breaker_tick(&b, clk_at(&clk, 460999), &ev), 0);
	assert_int_equal(b.ejections, 2);
	/* forgotten silently, no state change */
	assert_int_equal(breaker_tick(&b, clk_at(&clk, 461000), &ev), 0);
	assert_int_equal(b.ejections, 0);
	assert_int_equal(b.gen, 7);
	assert_true(breaker_deadline(&b) == UINT64_MAX);
	trip(&b, clk_at(&clk, 500000));
	assert_int_equal(b.open_until_ms, 530000);

	/* without ticks, the trip itself notices the healthy period */
	mk(&lazy, 1, 0);
	trip(&lazy, 0);
	to_half_open(&lazy);
	assert_int_equal(fail_n(&lazy, 1, 30000, &ev), 1); /* ejection 2 */
	to_half_open(&lazy);
	assert_int_equal(breaker_on_result(&lazy, lazy.gen, true, 90000, &ev), 0);
	assert_int_equal(breaker_on_result(&lazy, lazy.gen, true, 90000, &ev), 1);
	trip(&lazy, 90000 + 300000);
	assert_int_equal(lazy.ejections, 1);
	assert_int_equal(lazy.open_until_ms, 390000 + 30000);
}

static void test_reset_on_close_when_zero(void **state)
{
	struct breaker_cfg cfg;
	struct breaker_event ev;
	struct breaker b;

	(void)state;
	breaker_cfg_default(&cfg);
	cfg.reset_after_ms = 0;
	assert_int_equal(breaker_init(&b, &cfg, 0, 0), 0);
	trip(&b, 0);
	to_half_open(&b);
	assert_int_equal(fail_n(&b, 1, 30000, &ev), 1);
	assert_int_equal(b.ejections, 2);
	to_half_open(&b);
	assert_int_equal(breaker_on_result(&b, b.gen, true, 90000, &ev), 0);
	assert_int_equal(breaker_on_result(&b, b.gen, true, 90000, &ev), 1);
	assert_int_equal(ev.ejections, 0);
	assert_int_equal(b.ejections, 0);
	assert_true(breaker_deadline(&b) == UINT64_MAX);
	trip(&b, 90001);
	assert_int_equal(b.open_until_ms, 90001 + 30000);
}

static void test_half_open_budget(void **state)
{
	struct breaker_cfg cfg;
	struct breaker_event ev;
	struct breaker b;

	(void)state;
	mk(&b, 0, 0);
	trip(&b, 0);
	to_half_open(&b);
	assert_int_equal(b.budget, 3); /* what the dataplane map gets (packet tests spend it) */
	/* probes decide; each half-open gets a fresh budget */
	assert_int_equal(fail_n(&b, 1, 30001, &ev), 1);
	assert_int_equal(b.budget, 0);
	to_half_open(&b);
	assert_int_equal(b.budget, 3);

	breaker_cfg_default(&cfg);
	cfg.half_open_flows = 0;
	assert_int_equal(breaker_init(&b, &cfg, 0, 0), 0);
	trip(&b, 0);
	to_half_open(&b);
	assert_int_equal(b.budget, 0);
	assert_int_equal(breaker_on_result(&b, b.gen, true, 30001, &ev), 0);
	assert_int_equal(breaker_on_result(&b, b.gen, true, 30002, &ev), 1);
	assert_int_equal(b.state, BREAKER_CLOSED);
}

static void test_half_open_budget_reason(void **state)
{
	struct breaker_cfg cfg;
	struct breaker_event ev;
	struct breaker b;

	(void)state;
	breaker_cfg_default(&cfg);
	cfg.half_open_flows = 7;
	cfg.eject_base_ms = 1000;
	assert_int_equal(breaker_init(&b, &cfg, 0, 0), 0);
	trip(&b, 0);
	assert_int_equal(breaker_tick(&b, 1000, &ev), 1);
	assert_string_equal(ev.reason, "open 1000 ms elapsed, half-open budget 7");
	assert_int_equal(b.budget, 7);
}

static void test_ratio_trip(void **state)
{
	struct breaker_cfg cfg;
	struct breaker_event ev;
	struct breaker b;
	int i;

	(void)state;
	/* off by default: alternating failures never trip */
	mk(&b, 0, 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(breaker_on_result(&b, 1, i % 2 == 1, i, &ev), 0);
	assert_int_equal(b.state, BREAKER_CLOSED);

	breaker_cfg_default(&cfg);
	cfg.ratio_pct = 50;
	cfg.window = 10;
	cfg.min_count = 6;
	assert_int_equal(breaker_init(&b, &cfg, 0, 0), 0);
	/* F O F O F O: 3 of 6 but trips only on a failure; F at 7 gives 4 of 7 */
	for (i = 0; i < 6; i++)
		assert_int_equal(breaker_on_result(&b, 1, i % 2 == 1, 100 + i, &ev), 0);
	assert_int_equal(breaker_on_result(&b, 1, false, 106, &ev), 1);
	assert_int_equal(ev.time_ms, 106);
	assert_int_equal(ev.new_state, BREAKER_OPEN);
	assert_string_equal(ev.reason, "4 of last 7 failed (>= 50%)");
	assert_int_equal(b.win_len, 0); /* fresh evidence after a change */

	/* the window slides: old failures drop out */
	cfg.ratio_pct = 40;
	cfg.window = 4;
	cfg.min_count = 4;
	cfg.fall = 10;
	assert_int_equal(breaker_init(&b, &cfg, 0, 0), 0);
	assert_int_equal(breaker_on_result(&b, 1, false, 1, &ev), 0);
	assert_int_equal(breaker_on_result(&b, 1, false, 2, &ev), 0); /* only 2 results */
	for (i = 0; i < 4; i++)
		assert_int_equal(breaker_on_result(&b, 1, true, 3, &ev), 0);
	assert_int_equal(breaker_on_result(&b, 1, false, 4, &ev), 0); /* 1 of 4, not 3 of 7 */
	assert_int_equal(breaker_on_result(&b, 1, false, 5, &ev), 1); /* 2 of 4 */
	assert_string_equal(ev.reason, "2 of last 4 failed (>= 40%)");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(breaker_state_name(BREAKER_CLOSED), "closed");
	assert_string_equal(breaker_state_name(BREAKER_OPEN), "open");
	assert_string_equal(breaker_state_name(BREAKER_HALF_OPEN), "half-open");
	assert_string_equal(breaker_state_name(3), "?");
	assert_string_equal(breaker_state_name(-1), "?");
	assert_string_equal(breaker_health_name(BREAKER_HEALTH_UNKNOWN), "unknown");
	assert_string_equal(breaker_health_name(BREAKER_HEALTH_UP), "up");
	assert_string_equal(breaker_health_name(BREAKER_HEALTH_DOWN), "down");
	assert_string_equal(breaker_health_name(3), "?");
	assert_string_equal(breaker_ev_kind_name(BREAKER_EV_STATE), "state");
	assert_string_equal(breaker_ev_kind_name(BREAKER_EV_HEALTH), "health");
	assert_string_equal(breaker_ev_kind_name(BREAKER_EV_REFUSED), "refused");
	assert_string_equal(breaker_ev_kind_name(BREAKER_EV_PANIC), "panic");
	assert_string_equal(breaker_ev_kind_name(4), "?");
	/* the dataplane mirrors these numbers */
	assert_int_equal(BREAKER_CLOSED, 0);
	assert_int_equal(BREAKER_OPEN, 1);
	assert_int_equal(BREAKER_HALF_OPEN, 2);
}

static void test_health_first_check(void **state)
{
	struct breaker_health h;
	struct breaker_event ev;
	struct breaker_cfg cfg;

	(void)state;
	breaker_cfg_default(&cfg);
	assert_int_equal(breaker_health_init(&h, &cfg, 4, 0), 0);
	assert_false(breaker_health_usable(&h));
	assert_int_equal(breaker_health_on_result(&h, true, 1500, &ev), 1);
	assert_int_equal(ev.kind, BREAKER_EV_HEALTH);
	assert_int_equal(ev.backend, 4);
	assert_int_equal(ev.time_ms, 1500);
	assert_int_equal(ev.old_state, BREAKER_HEALTH_UNKNOWN);
	assert_int_equal(ev.new_state, BREAKER_HEALTH_UP);
	assert_string_equal(ev.reason, "first check succeeded");
	assert_true(breaker_health_usable(&h));

	/* unknown needs `fall` failures to be down, and stays unusable meanwhile */
	assert_int_equal(breaker_health_init(&h, &cfg, 4, 0), 0);
	assert_int_equal(breaker_health_on_result(&h, false, 1, &ev), 0);
	assert_int_equal(breaker_health_on_result(&h, false, 2, &ev), 0);
	assert_int_equal(h.state, BREAKER_HEALTH_UNKNOWN);
	assert_false(breaker_health_usable(&h));
	assert_int_equal(breaker_health_on_result(&h, false, 3, &ev), 1);
	assert_int_equal(ev.old_state, BREAKER_HEALTH_UNKNOWN);
	assert_int_equal(ev.new_state, BREAKER_HEALTH_DOWN);
	assert_string_equal(ev.reason, "3 consecutive failures");

	/* configured to take traffic before its first check */
	cfg.usable_before_first_check = true;
	assert_int_equal(breaker_health_init(&h, &cfg, 4, 0), 0);
	assert_int_equal(h.state, BREAKER_HEALTH_UNKNOWN);
	assert_true(breaker_health_usable(&h));
}

static void test_health_rise_fall(void **state)
{
	struct breaker_health h;
	struct breaker_event ev;
	struct breaker_cfg cfg;

	(void)state;
	breaker_cfg_default(&cfg);
	cfg.fall = 5;
	assert_int_equal(breaker_health_init(&h, &cfg, 0, 0), 0);
	assert_int_equal(breaker_health_on_result(&h, true, 1000, &ev), 1);
	assert_int_equal(breaker_health_on_result(&h, false, 2000, &ev), 0);
	assert_int_equal(breaker_health_on_result(&h, false, 3000, &ev), 0);
	assert_int_equal(breaker_health_on_result(&h, false, 4000, &ev), 0);
	assert_int_equal(breaker_health_on_result(&h, false, 5000, &ev), 0);
	assert_int_equal(h.state, BREAKER_HEALTH_UP);
	assert_int_equal(breaker_health_on_result(&h, false, 6000, &ev), 1);
	assert_int_equal(ev.time_ms, 6000);
	assert_int_equal(ev.old_state, BREAKER_HEALTH_UP);
	assert_int_equal(ev.new_state, BREAKER_HEALTH_DOWN);
	assert_string_equal(ev.reason, "5 consecutive failures");
	assert_int_equal(h.since_ms, 6000);
	assert_false(breaker_health_usable(&h));
	assert_int_equal(breaker_health_on_result(&h, false, 7000, &ev), 0); /* already down */
	assert_int_equal(breaker_health_on_result(&h, true, 8000, &ev), 0);
	assert_int_equal(breaker_health_on_result(&h, true, 9000, &ev), 1);
	assert_int_equal(ev.time_ms, 9000);
	assert_int_equal(ev.old_state, BREAKER_HEALTH_DOWN);
	assert_int_equal(ev.new_state, BREAKER_HEALTH_UP);
	assert_string_equal(ev.reason, "probe succeeded 2x");
	assert_true(breaker_health_usable(&h));
	assert_int_equal(breaker_health_on_result(NULL, true, 0, &ev), -EINVAL);
}

static void test_health_alternating_never_changes(void **state)
{
	struct breaker_health h;
	struct breaker_event ev;
	struct breaker_cfg cfg;
	int i;

	(void)state;
	breaker_cfg_default(&cfg);
	assert_int_equal(breaker_health_init(&h, &cfg, 0, 0), 0);
	assert_int_equal(breaker_health_on_result(&h, true, 0, &ev), 1);
	for (i = 0; i < 1000; i++)
		assert_int_equal(breaker_health_on_result(&h, i % 2 == 1, 1 + i, &ev), 0);
	assert_int_equal(h.state, BREAKER_HEALTH_UP);
	/* and from down: runs of 1 never reach rise 2 */
	for (i = 0; i < 3; i++)
		breaker_health_on_result(&h, false, 2000, &ev);
	assert_int_equal(h.state, BREAKER_HEALTH_DOWN);
	for (i = 0; i < 1000; i++)
		assert_int_equal(breaker_health_on_result(&h, i % 2 == 0, 3000 + i, &ev), 0);
	assert_int_equal(h.state, BREAKER_HEALTH_DOWN);
}

/* xorshift32: deterministic "random" flapping */
static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Reference by runs: a maximal run of equal results changes the state at
 * most once, at its (threshold)th result. Returns the number of changes and
 * marks at[i] where one happens. */
static int reference_changes(const bool *ok, int n, int rise, int fall, bool *at)
{
	int start = 0, changes = 0, len, need;
	enum breaker_health_state s = BREAKER_HEALTH_UNKNOWN, to;

	memset(at, 0, (size_t)n * sizeof(*at));
	while (start < n) {
		len = 1;
		while (start + len < n && ok[start + len] == ok[start])
			len++;
		if (ok[start]) {
			to = BREAKER_HEALTH_UP;
			need = s == BREAKER_HEALTH_UNKNOWN ? 1 : rise;
		} else {
			to = BREAKER_HEALTH_DOWN;
			need = fall;
		}
		if (s != to && len >= need) {
			at[start + need - 1] = true;
			s = to;
			changes++;
		}
		start += len;
	}
	return changes;
}

static void test_health_random_flapping(void **state)
{
	static const struct {
		uint8_t rise, fall;
		uint32_t p_fail; /* out of 100 */
		int want;	 /* the reference's count for this seed, pinned */
	} cases[] = {
		{ 2, 3, 50, 500 },
		{ 1, 1, 50, 2505 }, /* every run changes: as many changes as runs */
		{ 3, 2, 30, 511 },
		{ 2, 5, 60, 247 },
	};
	enum {
		N = 5000
	};
	static bool ok[N], at[N];
	struct breaker_health h;
	struct breaker_event ev;
	struct breaker_cfg cfg;
	uint32_t seed;
	size_t c;
	int i, runs, got, want, ret, last_change;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		seed = 0x9e3779b9U + (uint32_t)c;
		runs = 1;
		for (i = 0; i < N; i++) {
			ok[i] = rnd(&seed) % 100 >= cases[c].p_fail;
			if (i && ok[i] != ok[i - 1])
				runs++;
		}
		want = reference_changes(ok, N, cases[c].rise, cases[c].fall, at);
		breaker_cfg_default(&cfg);
		cfg.rise = cases[c].rise;
		cfg.fall = cases[c].fall;
		assert_int_equal(breaker_health_init(&h, &cfg, 0, 0), 0);
		got = 0;
		last_change = -1;
		for (i = 0; i < N; i++) {
			ret = breaker_health_on_result(&h, ok[i], (uint64_t)i * 1000, &ev);
			assert_int_equal(ret, at[i] ? 1 : 0);
			if (ret) {
				assert_int_equal(ev.time_ms, (uint64_t)i * 1000);
				/* at most one change per run: a change ends the run's chances */
				if (last_change >= 0)
					assert_true(ok[last_change] != ok[i]);
				last_change = i;
				got++;
			}
		}
		print_message("rise %u fall %u: %d results, %d runs, %d changes\n", cases[c].rise,
			      cases[c].fall, N, runs, got);
		assert_int_equal(got, want);
		assert_true(got > 2 && got <= runs); /* at most one change per run */
		assert_int_equal(got, cases[c].want);
		if (cases[c].rise == 1 && cases[c].fall == 1)
			assert_int_equal(got, runs);
	}
}

static void mk_vip(struct breaker_vip *v, struct breaker *be, uint32_t n, struct evlog *log,
		   uint64_t now)
{
	struct breaker_vip_cfg vc;
	uint32_t i;

	for (i = 0; i < n; i++)
		mk(&be[i], i, now);
	breaker_vip_cfg_default(&vc);
	memset(log, 0, sizeof(*log));
	assert_int_equal(breaker_vip_init(v, &vc, be, n, collect, log), 0);
}

/* every backend seen up once */
static void all_up(struct breaker_vip *v, struct evlog *log, uint64_t now)
{
	uint32_t i;

	for (i = 0; i < v->n; i++)
		assert_int_equal(breaker_vip_probe(v, i, v->be[i].gen, true, now), 1);
	log->n = 0;
}

static void test_vip_max_eject(void **state)
{
	struct breaker be[4];
	struct breaker_vip v;
	struct evlog log;
	uint32_t i, r;

	(void)state;
	mk_vip(&v, be, 4, &log, 0);
	all_up(&v, &log, 0);
	/* 3 of 4 fail (passive signal: circuit only), round robin */
	for (r = 0; r < 3; r++)
		for (i = 0; i < 3; i++)
			breaker_vip_result(&v, i, be[i].gen, false, 1000 + r);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.ev[0].kind, BREAKER_EV_STATE);
	assert_int_equal(log.ev[0].backend, 0);
	assert_int_equal(log.ev[0].new_state, BREAKER_OPEN);
	assert_int_equal(log.ev[1].kind, BREAKER_EV_STATE);
	assert_int_equal(log.ev[1].backend, 1);
	assert_int_equal(log.ev[2].kind, BREAKER_EV_REFUSED);
	assert_int_equal(log.ev[2].backend, 2);
	assert_int_equal(log.ev[2].time_ms, 1002);
	assert_int_equal(log.ev[2].old_state, BREAKER_CLOSED);
	assert_int_equal(log.ev[2].new_state, BREAKER_CLOSED);
	assert_string_equal(log.ev[2].reason, "max-eject 50%: 2 of 4 out, 3 consecutive failures");
	assert_int_equal(be[0].state, BREAKER_OPEN);
	assert_int_equal(be[1].state, BREAKER_OPEN);
	assert_int_equal(be[2].state, BREAKER_CLOSED);
	assert_int_equal(be[2].gen, 1); /* refusal is no state change */
	assert_int_equal(be[3].state, BREAKER_CLOSED);
	/* refused once: more failures are quiet */
	for (r = 0; r < 5; r++)
		assert_int_equal(breaker_vip_result(&v, 2, be[2].gen, false, 2000 + r), 0);
	assert_int_equal(log.n, 3);
	assert_false(breaker_vip_panic(&v)); /* 2 of 4 usable is not below 50% */
	assert_true(breaker_vip_usable(&v, 2));
	assert_false(breaker_vip_usable(&v, 0));
	assert_int_equal(breaker_vip_dp_state(&v, 0), BREAKER_OPEN);
	assert_int_equal(breaker_vip_dp_state(&v, 2), BREAKER_CLOSED);
}

/* a refused backend is ejected once a slot frees up */
static void test_vip_refused_then_ejected(void **state)
{
	struct breaker be[4];
	struct breaker_vip v;
	struct evlog log;
	uint32_t i, r;

	(void)state;
	mk_vip(&v, be, 4, &log, 0);
	all_up(&v, &log, 0);
	for (r = 0; r < 3; r++)
		for (i = 0; i < 3; i++)
			breaker_vip_result(&v, i, be[i].gen, false, 0);
	assert_int_equal(log.n, 3);
	/* b0 half-open still counts as out */
	assert_int_equal(breaker_vip_tick(&v, 30000), 2);
	assert_int_equal(be[0].state, BREAKER_HALF_OPEN);
	assert_int_equal(breaker_vip_result(&v, 2, be[2].gen, false, 30001), 0);
	assert_int_equal(be[2].state, BREAKER_CLOSED);
	/* b0 closes: now b2's next failure ejects it */
	assert_int_equal(breaker_vip_result(&v, 0, be[0].gen, true, 30002), 0);
	assert_int_equal(breaker_vip_result(&v, 0, be[0].gen, true, 30003), 1);
	assert_int_equal(be[0].state, BREAKER_CLOSED);
	log.n = 0;
	assert_int_equal(breaker_vip_result(&v, 2, be[2].gen, false, 30004), 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.ev[0].kind, BREAKER_EV_STATE);
	assert_int_equal(log.ev[0].new_state, BREAKER_OPEN);
	assert_int_equal(log.ev[0].open_until_ms, 60004);
	assert_false(be[2].refused);
	/* and a success ends a refusal episode: next refusal is reported again */
	assert_int_equal(breaker_vip_result(&v, 3, be[3].gen, false, 30005), 0);
	assert_int_equal(breaker_vip_result(&v, 3, be[3].gen, false, 30005), 0);
	assert_int_equal(breaker_vip_result(&v, 3, be[3].gen, false, 30005), 1);
	assert_int_equal(breaker_vip_result(&v, 3, be[3].gen, true, 30006), 0);
	assert_int_equal(breaker_vip_result(&v, 3, be[3].gen, false, 30007), 0);
	assert_int_equal(breaker_vip_result(&v, 3, be[3].gen, false, 30007), 0);
	assert_int_equal(breaker_vip_result(&v, 3, be[3].gen, false, 30007), 1);
	assert_int_equal(log.ev[log.n - 1].kind, BREAKER_EV_REFUSED);
}

static void test_vip_panic_all_failing(void **state)
{
	struct breaker be[4];
	struct breaker_vip v;
	struct evlog log;
	bool usable[4];
	uint32_t i, r;
	int k;

	(void)state;
	mk_vip(&v, be, 4, &log, 0);
	all_up(&v, &log, 0);
	/* the checker fails everything */
	for (r = 0; r < 3; r++)
		for (i = 0; i < 4; i++)
			breaker_vip_probe(&v, i, be[i].gen, false, 5000 + r);
	/* b0: down, open; b1: down, open; b2: down, refused, panic; b3: down, refused */
	assert_int_equal(log.n, 9);
	assert_int_equal(log.ev[0].kind, BREAKER_EV_HEALTH);
	assert_int_equal(log.ev[1].kind, BREAKER_EV_STATE);
	assert_int_equal(log.ev[2].kind, BREAKER_EV_HEALTH);
	assert_int_equal(log.ev[3].kind, BREAKER_EV_STATE);
	assert_int_equal(log.ev[4].kind, BREAKER_EV_HEALTH);
	assert_int_equal(log.ev[5].kind, BREAKER_EV_REFUSED);
	assert_int_equal(log.ev[6].kind, BREAKER_EV_PANIC);
	assert_int_equal(log.ev[6].time_ms, 5002);
	assert_int_equal(log.ev[6].backend, UINT32_MAX);
	assert_int_equal(log.ev[6].old_state, 0);
	assert_int_equal(log.ev[6].new_state, 1);
	assert_string_equal(log.ev[6].reason, "1 of 4 usable, below 50%");
	assert_int_equal(log.ev[7].kind, BREAKER_EV_HEALTH);
	assert_int_equal(log.ev[7].backend, 3);
	assert_int_equal(log.ev[8].kind, BREAKER_EV_REFUSED);
	assert_true(breaker_vip_panic(&v));
	assert_int_equal(breaker_vip_usable_set(&v, usable), 4);
	for (i = 0; i < 4; i++) {
		assert_true(usable[i]);
		assert_int_equal(breaker_vip_dp_state(&v, i), BREAKER_CLOSED);
	}
	/* recovery: two rounds of successes. b0 and b1 were ejected by the
	 * checks, so the checks bring them back: half-open as their health comes
	 * up, long before their open time (30 s) */
	log.n = 0;
	for (r = 0; r < 2; r++)
		for (i = 0; i < 4; i++)
			breaker_vip_probe(&v, i, be[i].gen, true, 10000 + r);
	/* b0 up, half-open; b1 up, half-open, panic left (2 of 4); b2, b3 up */
	assert_int_equal(log.n, 7);
	for (k = 0; k < 7; k++)
		assert_int_equal(log.ev[k].time_ms, 10001);
	assert_int_equal(log.ev[0].kind, BREAKER_EV_HEALTH);
	assert_int_equal(log.ev[0].new_state, BREAKER_HEALTH_UP);
	assert_int_equal(log.ev[1].kind, BREAKER_EV_STATE);
	assert_int_equal(log.ev[1].backend, 0);
	assert_int_equal(log.ev[1].old_state, BREAKER_OPEN);
	assert_int_equal(log.ev[1].new_state, BREAKER_HALF_OPEN);
	assert_string_equal(log.ev[1].reason, "checks up after 2 successes, half-open budget 3");
	assert_int_equal(log.ev[2].kind, BREAKER_EV_HEALTH);
	assert_int_equal(log.ev[3].kind, BREAKER_EV_STATE);
	assert_int_equal(log.ev[3].backend, 1);
	assert_int_equal(log.ev[3].new_state, BREAKER_HALF_OPEN);
	assert_int_equal(log.ev[4].kind, BREAKER_EV_PANIC);
	assert_int_equal(log.ev[4].new_state, 0);
	assert_string_equal(log.ev[4].reason, "2 of 4 usable, at or above 50%");
	for (k = 5; k < 7; k++) {
		assert_int_equal(log.ev[k].kind, BREAKER_EV_HEALTH);
		assert_int_equal(log.ev[k].new_state, BREAKER_HEALTH_UP);
	}
	assert_false(breaker_vip_panic(&v));
	assert_int_equal(breaker_vip_usable_set(&v, usable), 4);
	assert_int_equal(breaker_vip_dp_state(&v, 0), BREAKER_HALF_OPEN);
	assert_int_equal(be[0].budget, 3);
	assert_int_equal(breaker_vip_dp_state(&v, 2), BREAKER_CLOSED);
}

static void test_vip_panic_ignores_unknown(void **state)
{
	struct breaker be[4];
	struct breaker_vip_cfg vc;
	struct breaker_cfg cfg;
	struct breaker_vip v;
	struct evlog log;
	bool usable[4];
	uint32_t i;
	int k;

	(void)state;
	/* a new VIP: nothing checked, no panic, nothing usable */
	mk_vip(&v, be, 4, &log, 0);
	assert_false(breaker_vip_panic(&v));
	assert_int_equal(breaker_vip_usable_set(&v, usable), 0);
	assert_int_equal(breaker_vip_dp_state(&v, 0), BREAKER_OPEN);
	/* one checked and down: panic, but only it is rescued */
	for (k = 0; k < 3; k++)
		breaker_vip_health(&v, 1, false, 100);
	assert_true(breaker_vip_panic(&v));
	assert_int_equal(log.n, 2);
	assert_int_equal(log.ev[1].kind, BREAKER_EV_PANIC);
	assert_string_equal(log.ev[1].reason, "0 of 1 usable, below 50%");
	assert_int_equal(breaker_vip_usable_set(&v, usable), 1);
	assert_true(usable[1]);
	assert_false(usable[0]);

	/* usable before first check: counted, and usable from the start */
	breaker_cfg_default(&cfg);
	cfg.usable_before_first_check = true;
	for (i = 0; i < 4; i++)
		assert_int_equal(breaker_init(&be[i], &cfg, i, 0), 0);
	breaker_vip_cfg_default(&vc);
	assert_int_equal(breaker_vip_init(&v, &vc, be, 4, NULL, NULL), 0);
	assert_false(breaker_vip_panic(&v));
	assert_int_equal(breaker_vip_usable_set(&v, usable), 4);
}

static void test_vip_thresholds_configurable(void **state)
{
	struct breaker be[4];
	struct breaker_vip_cfg vc;
	struct breaker_vip v;
	struct evlog log;
	uint32_t i;
	int k;

	(void)state;
	/* panic 0: never; max-eject 0: never eject */
	for (i = 0; i < 4; i++)
		mk(&be[i], i, 0);
	vc.panic_pct = 0;
	vc.max_eject_pct = 0;
	memset(&log, 0, sizeof(log));
	assert_int_equal(breaker_vip_init(&v, &vc, be, 4, collect, &log), 0);
	for (i = 0; i < 4; i++)
		for (k = 0; k < 3; k++)
			breaker_vip_probe(&v, i, be[i].gen, false, 10);
	assert_false(breaker_vip_panic(&v));
	for (i = 0; i < 4; i++) {
		assert_int_equal(be[i].state, BREAKER_CLOSED);
		assert_false(breaker_vip_usable(&v, i));
	}
	assert_int_equal(log.n, 8); /* down + refused each */

	/* max-eject 100: all may go; panic 75: 2 of 4 usable is below */
	for (i = 0; i < 4; i++)
		mk(&be[i], i, 0);
	vc.panic_pct = 75;
	vc.max_eject_pct = 100;
	memset(&log, 0, sizeof(log));
	assert_int_equal(breaker_vip_init(&v, &vc, be, 4, collect, &log), 0);
	all_up(&v, &log, 0);
	for (k = 0; k < 3; k++)
		breaker_vip_result(&v, 0, be[0].gen, false, 20);
	assert_false(breaker_vip_panic(&v)); /* 3 of 4 = 75% */
	for (k = 0; k < 3; k++)
		breaker_vip_result(&v, 1, be[1].gen, false, 21);
	assert_true(breaker_vip_panic(&v));
	assert_int_equal(log.n, 3);
	assert_string_equal(log.ev[2].reason, "2 of 4 usable, below 75%");
}

static void test_vip_tick_and_deadline(void **state)
{
	struct breaker be[4];
	struct breaker_vip v;
	struct evlog log;
	int k;

	(void)state;
	mk_vip(&v, be, 4, &log, 0);
	all_up(&v, &log, 0);
	assert_true(breaker_vip_deadline(&v) == UINT64_MAX);
	for (k = 0; k < 3; k++)
		breaker_vip_result(&v, 3, be[3].gen, false, 2000);
	for (k = 0; k < 3; k++)
		breaker_vip_result(&v, 1, be[1].gen, false, 1000);
	assert_int_equal(breaker_vip_deadline(&v), 31000);
	assert_int_equal(breaker_vip_tick(&v, 30999), 0);
	log.n = 0;
	assert_int_equal(breaker_vip_tick(&v, 31000), 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.ev[0].backend, 1);
	assert_int_equal(log.ev[0].new_state, BREAKER_HALF_OPEN);
	assert_int_equal(breaker_vip_dp_state(&v, 1), BREAKER_HALF_OPEN);
	assert_true(breaker_vip_usable(&v, 1));
	assert_int_equal(breaker_vip_deadline(&v), 32000);
	assert_int_equal(breaker_vip_tick(&v, 32000), 1);
	assert_int_equal(be[3].state, BREAKER_HALF_OPEN);
}

/* A probe as lbd runs it: it carries the generation it was sent in */
struct fake_probe {
	uint32_t i;
	uint32_t gen;
};

static struct fake_probe probe_send(const struct breaker_vip *v, uint32_t i)
{
	struct fake_probe p = { .i = i, .gen = v->be[i].gen };

	return p;
}

static int probe_end(struct breaker_vip *v, const struct fake_probe *p, bool ok, uint64_t now)
{
	return breaker_vip_probe(v, p->i, p->gen, ok, now);
}

/* n probes of backend i, each sent and answered at @now */
static void probes(struct breaker_vip *v, uint32_t i, int n, bool ok, uint64_t now)
{
	struct fake_probe p;
	int k;

	for (k = 0; k < n; k++) {
		p = probe_send(v, i);
		assert_true(probe_end(v, &p, ok, now) >= 0);
	}
}

/* Ejected by its checks: back on trial as soon as the checks bring it up
 * (rise successes), not at the end of its open time; closed after rise more,
 * as any half-open. The second ejection in a row (open for 60 s) too. */
static void test_vip_checks_end_open(void **state)
{
	struct fake_clock clk = { 0 };
	struct breaker be[3];
	struct breaker_vip v;
	struct evlog log;
	struct fake_probe p;
	uint32_t gen;
	int round;

	(void)state;
	mk_vip(&v, be, 3, &log, 0);
	all_up(&v, &log, 0);
	for (round = 1; round <= 2; round++) {
		/* the server stops: fall failures, down and open */
		probes(&v, 0, 3, false, clk_at(&clk, clk.ms + 1000));
		assert_int_equal(be[0].health.state, BREAKER_HEALTH_DOWN);
		assert_int_equal(be[0].state, BREAKER_OPEN);
		assert_int_equal(be[0].ejections, round);
		assert_int_equal(be[0].open_until_ms, clk.ms + 30000 * (uint64_t)round);
		assert_int_equal(breaker_vip_dp_state(&v, 0), BREAKER_OPEN);
		/* back 2 s later: the first success changes nothing yet */
		log.n = 0;
		gen = be[0].gen;
		probes(&v, 0, 1, true, clk_at(&clk, clk.ms + 2000));
		assert_int_equal(log.n, 0);
		assert_int_equal(be[0].gen, gen);
		/* the second (rise 2): up, and half-open with a full budget */
		assert_int_equal(breaker_vip_probe(&v, 0, gen, true, clk_at(&clk, clk.ms + 200)),
				 2);
		assert_int_equal(log.ev[0].kind, BREAKER_EV_HEALTH);
		assert_int_equal(log.ev[0].new_state, BREAKER_HEALTH_UP);
		assert_int_equal(log.ev[1].kind, BREAKER_EV_STATE);
		assert_int_equal(log.ev[1].old_state, BREAKER_OPEN);
		assert_int_equal(log.ev[1].new_state, BREAKER_HALF_OPEN);
		assert_int_equal(log.ev[1].gen, gen + 1);
		assert_int_equal(log.ev[1].ejections, round);
		assert_true(clk.ms < be[0].open_until_ms); /* well before its open time */
		assert_int_equal(be[0].state, BREAKER_HALF_OPEN);
		assert_int_equal(be[0].budget, 3);
		assert_int_equal(breaker_vip_dp_state(&v, 0), BREAKER_HALF_OPEN);
		assert_true(breaker_vip_usable(&v, 0));
		/* the result that brought it up belongs to the open generation */
		assert_int_equal(be[0].ok_run, 0);
		assert_int_equal(be[0].stale, 0);
		assert_true(breaker_vip_deadline(&v) == UINT64_MAX);
		/* then closed after rise successes sent in half-open */
		log.n = 0;
		probes(&v, 0, 1, true, clk_at(&clk, clk.ms + 50));
		assert_int_equal(be[0].state, BREAKER_HALF_OPEN);
		probes(&v, 0, 1, true, clk_at(&clk, clk.ms + 50));
		assert_int_equal(be[0].state, BREAKER_CLOSED);
		assert_int_equal(log.n, 1);
		assert_string_equal(log.ev[0].reason, "succeeded 2x in half-open");
	}
	/* a failure in a half-open reached this way reopens it longer, as ever */
	probes(&v, 0, 3, false, clk_at(&clk, clk.ms + 1000));
	probes(&v, 0, 2, true, clk_at(&clk, clk.ms + 1000));
	assert_int_equal(be[0].state, BREAKER_HALF_OPEN);
	p = probe_send(&v, 0);
	assert_int_equal(probe_end(&v, &p, false, clk_at(&clk, clk.ms + 50)), 1);
	assert_int_equal(be[0].state, BREAKER_OPEN);
	assert_int_equal(be[0].ejections, 4);
	assert_int_equal(be[0].open_until_ms, clk.ms + 120000);
	assert_int_equal(be[0].health.state, BREAKER_HEALTH_UP); /* one failure */
}

/* Ejected while the checks pass (the passive signal, the failure ratio):
 * the open time governs; successes while open change nothing. Once the
 * checks say down, they govern again: up ends the open. */
static void test_vip_open_time_while_checks_pass(void **state)
{
	struct breaker_vip_cfg vc;
	struct breaker_cfg cfg;
	struct breaker be[3];
	struct breaker_vip v;
	struct evlog log;
	uint32_t i;
	int k;

	(void)state;
	mk_vip(&v, be, 3, &log, 0);
	all_up(&v, &log, 0);
	/* the passive signal ejects backend 1 (circuit only) */
	for (k = 0; k < 3; k++)
		breaker_vip_result(&v, 1, be[1].gen, false, 1000);
	assert_int_equal(be[1].state, BREAKER_OPEN);
	assert_int_equal(be[1].open_until_ms, 31000);
	log.n = 0;
	for (k = 0; k < 20; k++)
		probes(&v, 1, 1, true, 1000 + 1000 * (uint64_t)k);
	assert_int_equal(log.n, 0);
	assert_int_equal(be[1].state, BREAKER_OPEN);
	assert_int_equal(breaker_vip_tick(&v, 31000), 1);
	assert_int_equal(be[1].state, BREAKER_HALF_OPEN);
	probes(&v, 1, 2, true, 31100);
	assert_int_equal(be[1].state, BREAKER_CLOSED);

	/* passive again; now the server stops and starts: down, then up */
	for (k = 0; k < 3; k++)
		breaker_vip_result(&v, 1, be[1].gen, false, 40000);
	assert_int_equal(be[1].open_until_ms, 40000 + 60000);
	probes(&v, 1, 3, false, 41000);
	assert_int_equal(be[1].health.state, BREAKER_HEALTH_DOWN);
	probes(&v, 1, 2, true, 42000);
	assert_int_equal(be[1].state, BREAKER_HALF_OPEN);

	/* the failure ratio trips backend 2 while its health stays up */
	breaker_cfg_default(&cfg);
	cfg.ratio_pct = 50;
	cfg.window = 4;
	cfg.min_count = 4;
	for (i = 0; i < 3; i++)
		assert_int_equal(breaker_init(&be[i], &cfg, i, 0), 0);
	breaker_vip_cfg_default(&vc);
	log.n = 0;
	assert_int_equal(breaker_vip_init(&v, &vc, be, 3, collect, &log), 0);
	all_up(&v, &log, 0);
	for (k = 0; k < 4; k++)
		probes(&v, 2, 1, k % 2 == 0, 100 + (uint64_t)k);
	assert_int_equal(be[2].state, BREAKER_OPEN);
	assert_int_equal(be[2].health.state, BREAKER_HEALTH_UP);
	log.n = 0;
	probes(&v, 2, 5, true, 200);
	assert_int_equal(log.n, 0);
	assert_int_equal(be[2].state, BREAKER_OPEN);
	assert_int_equal(breaker_vip_tick(&v, 30103), 1);
	assert_int_equal(be[2].state, BREAKER_HALF_OPEN);
}

/* lbd's probes carry the generation they were sent in: one sent while open
 * that ends after half-open began counts for the health only, never toward
 * the trial's rise, and a failure sent then does not reopen it */
static void test_vip_probe_generation(void **state)
{
	struct fake_clock clk = { 0 };
	struct fake_probe slow_ok, slow_bad, p;
	struct breaker be[3];
	struct breaker_vip v;
	struct evlog log;

	(void)state;
	mk_vip(&v, be, 3, &log, 0);
	all_up(&v, &log, 0);
	/* the passive signal opens backend 0: its checks still pass */
	breaker_vip_result(&v, 0, be[0].gen, false, clk_at(&clk, 1000));
	breaker_vip_result(&v, 0, be[0].gen, false, clk.ms);
	breaker_vip_result(&v, 0, be[0].gen, false, clk.ms);
	assert_int_equal(be[0].state, BREAKER_OPEN);
	/* two probes sent just before the open time ends */
	clk_at(&clk, 30900);
	slow_ok = probe_send(&v, 0);
	slow_bad = probe_send(&v, 0);
	assert_int_equal(breaker_vip_tick(&v, clk_at(&clk, 31000)), 1);
	assert_int_equal(be[0].state, BREAKER_HALF_OPEN);
	/* a probe sent in half-open succeeds: one of rise 2 */
	p = probe_send(&v, 0);
	assert_int_equal(probe_end(&v, &p, true, clk_at(&clk, 31050)), 0);
	assert_int_equal(be[0].ok_run, 1);
	/* the slow success from the open period ends now: it would have been
	 * the second; ignored by the circuit, counted by the health */
	assert_int_equal(probe_end(&v, &slow_ok, true, clk_at(&clk, 31100)), 0);
	assert_int_equal(be[0].state, BREAKER_HALF_OPEN);
	assert_int_equal(be[0].ok_run, 1);
	assert_int_equal(be[0].stale, 1);
	assert_int_equal(be[0].health.ok_run, 2);
	/* the slow failure neither reopens nor breaks the run */
	assert_int_equal(probe_end(&v, &slow_bad, false, clk_at(&clk, 31150)), 0);
	assert_int_equal(be[0].state, BREAKER_HALF_OPEN);
	assert_int_equal(be[0].stale, 2);
	assert_int_equal(be[0].health.bad_run, 1); /* the health saw it */
	/* the next probe of this generation closes it */
	p = probe_send(&v, 0);
	assert_int_equal(probe_end(&v, &p, true, clk_at(&clk, 31200)), 1);
	assert_int_equal(be[0].state, BREAKER_CLOSED);
	assert_int_equal(log.ev[log.n - 1].kind, BREAKER_EV_STATE);
	assert_int_equal(log.ev[log.n - 1].new_state, BREAKER_CLOSED);
}

static void test_vip_set_backends(void **state)
{
	struct breaker be[4];
	struct breaker_vip v;
	struct evlog log;
	int k;

	(void)state;
	mk_vip(&v, be, 4, &log, 0);
	all_up(&v, &log, 0);
	for (k = 0; k < 3; k++)
		breaker_vip_health(&v, 1, false, 10);
	assert_false(breaker_vip_panic(&v));
	log.n = 0;
	/* two healthy backends removed: 1 of 2 usable is not below 50% */
	assert_int_equal(breaker_vip_set_backends(&v, be, 2, 20), 0);
	assert_false(breaker_vip_panic(&v));
	for (k = 0; k < 3; k++)
		breaker_vip_health(&v, 0, false, 30);
	assert_true(breaker_vip_panic(&v));
	/* back to 4: 2 of 4 usable, panic left and reported */
	log.n = 0;
	assert_int_equal(breaker_vip_set_backends(&v, be, 4, 40), 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.ev[0].kind, BREAKER_EV_PANIC);
	assert_int_equal(log.ev[0].time_ms, 40);
	assert_false(breaker_vip_panic(&v));
}

static void test_bad_args_and_clock_backwards(void **state)
{
	struct breaker_vip_cfg vc;
	struct breaker_event ev;
	struct breaker be[2];
	struct breaker_vip v;
	struct evlog log;

	(void)state;
	mk_vip(&v, be, 2, &log, 0);
	assert_int_equal(breaker_vip_probe(&v, 2, 1, true, 0), -EINVAL);
	assert_int_equal(breaker_vip_result(&v, 9, 1, true, 0), -EINVAL);
	assert_int_equal(breaker_vip_health(NULL, 0, true, 0), -EINVAL);
	assert_int_equal(breaker_vip_tick(NULL, 0), -EINVAL);
	assert_false(breaker_vip_usable(&v, 2));
	breaker_vip_cfg_default(&vc);
	assert_int_equal(breaker_vip_init(&v, &vc, NULL, 2, NULL, NULL), -EINVAL);
	assert_int_equal(breaker_on_result(&be[0], 1, true, 0, NULL), -EINVAL);
	assert_int_equal(breaker_tick(NULL, 0, &ev), -EINVAL);
	assert_int_equal(breaker_init(NULL, &be[0].cfg, 0, 0), -EINVAL);

	/* time going backwards: no early half-open, no underflowed periods */
	mk(&be[0], 0, 100000);
	trip(&be[0], 100000);
	assert_int_equal(breaker_tick(&be[0], 5, &ev), 0);
	assert_int_equal(be[0].state, BREAKER_OPEN);
	to_half_open(&be[0]);
	assert_int_equal(breaker_on_result(&be[0], be[0].gen, true, 130001, &ev), 0);
	assert_int_equal(breaker_on_result(&be[0], be[0].gen, true, 130002, &ev), 1);
	assert_int_equal(breaker_tick(&be[0], 3, &ev), 0);
	assert_int_equal(be[0].ejections, 1); /* not forgotten by a backwards clock */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_defaults_and_check),
		cmocka_unit_test(test_init_state),
		cmocka_unit_test(test_closed_to_open_on_fall),
		cmocka_unit_test(test_success_resets_failure_run),
		cmocka_unit_test(test_open_to_half_open_at_open_time),
		cmocka_unit_test(test_half_open_to_closed_on_rise),
		cmocka_unit_test(test_half_open_failure_reopens_longer),
		cmocka_unit_test(test_open_ignores_results),
		cmocka_unit_test(test_late_result_ignored),
		cmocka_unit_test(test_late_success_does_not_close),
		cmocka_unit_test(test_gen_bumped_once_per_change),
		cmocka_unit_test(test_backoff_growth_and_cap),
		cmocka_unit_test(test_ejections_forgotten_after_healthy_period),
		cmocka_unit_test(test_reset_on_close_when_zero),
		cmocka_unit_test(test_half_open_budget),
		cmocka_unit_test(test_half_open_budget_reason),
		cmocka_unit_test(test_ratio_trip),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_health_first_check),
		cmocka_unit_test(test_health_rise_fall),
		cmocka_unit_test(test_health_alternating_never_changes),
		cmocka_unit_test(test_health_random_flapping),
		cmocka_unit_test(test_vip_max_eject),
		cmocka_unit_test(test_vip_refused_then_ejected),
		cmocka_unit_test(test_vip_panic_all_failing),
		cmocka_unit_test(test_vip_panic_ignores_unknown),
		cmocka_unit_test(test_vip_thresholds_configurable),
		cmocka_unit_test(test_vip_tick_and_deadline),
		cmocka_unit_test(test_vip_checks_end_open),
		cmocka_unit_test(test_vip_open_time_while_checks_pass),
		cmocka_unit_test(test_vip_probe_generation),
		cmocka_unit_test(test_vip_set_backends),
		cmocka_unit_test(test_bad_args_and_clock_backwards),
	};

	return cmocka_run_group_tests_name("breaker", tests, NULL, NULL);
}
