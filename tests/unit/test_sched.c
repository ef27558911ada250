// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of the wrr ring builder: proportional in every window of W
 * entries, interleaved, independent of input order, draining skipped. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "agent/dataplane/sched.h"

static void mk(struct maglev_backend *b, uint32_t id, uint32_t w)
{
	memset(b, 0, sizeof(*b));
	b->id = id;
	b->weight = w;
	b->key[0] = (uint8_t)id; /* distinct keys */
	b->key[1] = (uint8_t)(id >> 8);
}

/* every window of W consecutive entries holds exactly w_i of backend i */
static void test_windows_exact(void **state)
{
	struct maglev_backend be[3];
	uint32_t table[251], cnt[4];
	uint32_t start, j;

	(void)state;
	mk(&be[0], 1, 1);
	mk(&be[1], 2, 3);
	mk(&be[2], 3, 2);
	assert_int_equal(sched_wrr_build(be, 3, 251, table), 0);
	for (start = 0; start + 6 <= 251; start += 6) {
		memset(cnt, 0, sizeof(cnt));
		for (j = start; j < start + 6; j++)
			cnt[table[j]]++;
		assert_int_equal(cnt[1], 1);
		assert_int_equal(cnt[2], 3);
		assert_int_equal(cnt[3], 2);
	}
}

/* smooth: the heaviest backend is never picked more than twice in a row for 1:3:2 */
static void test_interleaved(void **state)
{
	struct maglev_backend be[3];
	uint32_t table[251], run = 1, j;

	(void)state;
	mk(&be[0], 1, 1);
	mk(&be[1], 2, 3);
	mk(&be[2], 3, 2);
	assert_int_equal(sched_wrr_build(be, 3, 251, table), 0);
	for (j = 1; j < 251; j++) {
		run = table[j] == table[j - 1] ? run + 1 : 1;
		assert_true(run <= 2);
	}
}

static void test_order_independent(void **state)
{
	struct maglev_backend a[4], b[4];
	uint32_t ta[101], tb[101];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		mk(&a[i], 10 + i, 1 + i);
	for (i = 0; i < 4; i++)
		b[i] = a[3 - i];
	assert_int_equal(sched_wrr_build(a, 4, 101, ta), 0);
	assert_int_equal(sched_wrr_build(b, 4, 101, tb), 0);
	assert_memory_equal(ta, tb, sizeof(ta));
}

static void test_draining_skipped_and_errors(void **state)
{
	struct maglev_backend be[2];
	uint32_t table[31], j;

	(void)state;
	mk(&be[0], 1, 0);
	mk(&be[1], 2, 5);
	assert_int_equal(sched_wrr_build(be, 2, 31, table), 0);
	for (j = 0; j < 31; j++)
		assert_int_equal(table[j], 2);
	be[1].weight = 0;
	assert_int_equal(sched_wrr_build(be, 2, 31, table), -EINVAL);
	assert_int_equal(sched_wrr_build(be, 0, 31, table), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows_exact),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_draining_skipped_and_errors),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
