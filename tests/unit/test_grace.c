// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of grace.c: a mark counts as passed only after a grace period
 * the thread started after it, and never before it was asked for. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <cmocka.h>
#include "agent/dataplane/grace.h"

static void test_marks_pass_in_order(void **state)
{
	struct grace *g = grace_new();
	uint64_t m1, m2, m3;

	(void)state;
	if (!g)
		skip(); /* no membarrier global command here (nohz_full, seccomp) */
	m1 = grace_mark(g);
	m2 = grace_mark(g);
	assert_true(m2 > m1);
	assert_false(grace_passed(g, m2 + 1)); /* a mark nobody took */
	grace_wait(g, m2);
	assert_true(grace_passed(g, m1));
	assert_true(grace_passed(g, m2));
	/* a later mark needs a grace period of its own */
	m3 = grace_mark(g);
	assert_true(m3 > m2);
	grace_wait(g, m3);
	assert_true(grace_passed(g, m3));
	assert_false(grace_passed(g, m3 + 1));
	grace_free(g);
}

/* the thread takes no signal: lbd reads SIGHUP/SIGTERM from a signalfd, and a
 * thread that does not block them would die of them (the whole process) */
static void test_thread_blocks_signals(void **state)
{
	struct grace *g;
	sigset_t block, pending;
	int sig;

	(void)state;
	/* made while this thread takes SIGHUP; lbd blocks it later, like this */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &block, NULL), 0);
	g = grace_new();
	if (!g)
		skip();
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, NULL), 0);
	grace_wait(g, grace_mark(g)); /* the thread runs */
	assert_int_equal(kill(getpid(), SIGHUP), 0);
	sigpending(&pending);
	assert_true(sigismember(&pending, SIGHUP)); /* still ours to take */
	assert_int_equal(sigwait(&block, &sig), 0);
	assert_int_equal(sig, SIGHUP);
	grace_free(g);
}

/* freed while a grace period is asked for: the thread ends, nothing hangs */
static void test_free_while_waiting(void **state)
{
	struct grace *g = grace_new();

	(void)state;
	if (!g)
		skip();
	for (int i = 0; i < 100; i++)
		grace_mark(g);
	grace_free(g);
	grace_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marks_pass_in_order),
		cmocka_unit_test(test_free_while_waiting),
		cmocka_unit_test(test_thread_blocks_signals),
	};

	return cmocka_run_group_tests_name("grace", tests, NULL, NULL);
}
