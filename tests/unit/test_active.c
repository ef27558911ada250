// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The active-flow estimate (headers/xlb/active.h), which `sched lc` and lbd's
 * active_flows both read: the current window's count plus the previous window's
 * fading out; stale words count nothing, so nothing can drift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <xlb/active.h>

#define W XLB_ACTIVE_WIN_NS
#define T0 (1000 * W) /* the start of window 1000 */

static uint64_t est(uint64_t cur, uint64_t prev, uint64_t now)
{
	return xlb_active_estimate(cur, prev, now);
}

static void test_word(void **state)
{
	uint64_t v = xlb_active_word(1000, 7);

	(void)state;
	assert_int_equal(xlb_active_word_win(v), 1000);
	assert_int_equal(xlb_active_word_cnt(v), 7);
	assert_int_equal(xlb_active_win(T0), 1000);
	assert_int_equal(xlb_active_win(T0 + W - 1), 1000);
	assert_int_equal(xlb_active_win(T0 + W), 1001);
	/* the window number wraps in 24 bits, and so does "the one before" */
	assert_int_equal(xlb_active_word_win(xlb_active_word(XLB_ACTIVE_WIN_MASK + 3, 1)), 2);
	assert_int_equal(est(xlb_active_word(0, 4), xlb_active_word(XLB_ACTIVE_WIN_MASK, 9), 0),
			 13); /* window 0 at its start: the previous one is window 2^24 - 1 */
}

static void test_current_window(void **state)
{
	(void)state;
	/* nothing counted yet, or a zeroed slot (a new owner) */
	assert_int_equal(est(0, 0, T0 + 5), 0);
	/* counts of this window, no previous one */
	assert_int_equal(est(xlb_active_word(1000, 3), 0, T0 + W / 2), 3);
	assert_int_equal(est(xlb_active_word(1000, 3), xlb_active_word(990, 50), T0 + 1), 3);
}

static void test_previous_fades(void **state)
{
	/* 2 flows sent in this window; 100 last sent in the previous one (a flow is
	 * counted in one window only, so the two add up) */
	uint64_t cur = xlb_active_word(1000, 2), prev = xlb_active_word(999, 100);

	(void)state;
	assert_int_equal(est(cur, prev, T0), 102);
	assert_int_equal(est(cur, prev, T0 + W / 2), 52);
	assert_int_equal(est(cur, prev, T0 + W / 4 * 3), 27);
	assert_int_equal(est(cur, prev, T0 + W - W / 1024), 2);
	/* nobody counted in this window yet: cur is the previous window */
	assert_int_equal(est(xlb_active_word(999, 40), xlb_active_word(998, 7), T0 + W / 2), 20);
	/* a lone idle flow counts while more than half of the window is left */
	assert_int_equal(est(xlb_active_word(999, 1), 0, T0 + W / 4), 1);
	assert_int_equal(est(xlb_active_word(999, 1), 0, T0 + W / 4 * 3), 0);
}

static void test_stale_counts_nothing(void **state)
{
	(void)state;
	/* flows whose end was never seen (evicted, DSR): two windows later, gone */
	assert_int_equal(est(xlb_active_word(998, 1000), xlb_active_word(997, 1000), T0), 0);
	assert_int_equal(est(xlb_active_word(999, 1000), 0, T0 + W), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_current_window),
		cmocka_unit_test(test_previous_fades),
		cmocka_unit_test(test_stale_counts_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
