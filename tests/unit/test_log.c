// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of the logger's line prefixes: plain (lbctl), time and level
 * (lbd), level with a syslog priority (lbd on the journal), and the
 * JOURNAL_STREAM check that chooses between the last two.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/log.h"

/* What one pr_* call writes to stderr, into buf */
static void capture(enum log_style style, enum log_level lvl, char *buf, size_t len)
{
	char path[] = "/tmp/xlb-test-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	FILE *f;
	size_t n;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	log_set_style(style);
	log_set_level(LOG_LVL_DEBUG);
	log_msg(lvl, "lbd: %s", "a message");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_style(LOG_STYLE_PLAIN);
	log_set_level(LOG_LVL_INFO);
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
}

static void assert_matches(const char *s, const char *re)
{
	regex_t r;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&r, s, 0, NULL, 0))
		fail_msg("'%s' does not match /%s/", s, re);
	regfree(&r);
}

static void test_styles(void **state)
{
	char buf[256];

	(void)state;
	capture(LOG_STYLE_PLAIN, LOG_LVL_WARN, buf, sizeof(buf));
	assert_string_equal(buf, "warning: lbd: a message\n");
	capture(LOG_STYLE_PLAIN, LOG_LVL_INFO, buf, sizeof(buf));
	assert_string_equal(buf, "lbd: a message\n");
	capture(LOG_STYLE_TIME, LOG_LVL_INFO, buf, sizeof(buf));
	assert_matches(buf, "^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]"
			    "\\.[0-9]{3}Z info: lbd: a message\n$");
	capture(LOG_STYLE_TIME, LOG_LVL_ERR, buf, sizeof(buf));
	assert_matches(buf, "Z error: lbd: a message\n$");
	capture(LOG_STYLE_JOURNAL, LOG_LVL_ERR, buf, sizeof(buf));
	assert_string_equal(buf, "<3>error: lbd: a message\n");
	capture(LOG_STYLE_JOURNAL, LOG_LVL_WARN, buf, sizeof(buf));
	assert_string_equal(buf, "<4>warning: lbd: a message\n");
	capture(LOG_STYLE_JOURNAL, LOG_LVL_INFO, buf, sizeof(buf));
	assert_string_equal(buf, "<6>info: lbd: a message\n");
	capture(LOG_STYLE_JOURNAL, LOG_LVL_DEBUG, buf, sizeof(buf));
	assert_string_equal(buf, "<7>debug: lbd: a message\n");
}

static void test_journal_stream(void **state)
{
	struct stat st;

	(void)state;
	assert_true(log_journal_stream_is("8:1234", 8, 1234));
	assert_false(log_journal_stream_is("8:1234", 8, 1235));
	assert_false(log_journal_stream_is("9:1234", 8, 1234));
	assert_false(log_journal_stream_is(NULL, 8, 1234));
	assert_false(log_journal_stream_is("", 8, 1234));
	assert_false(log_journal_stream_is("8:1234x", 8, 1234));
	assert_false(log_journal_stream_is("8", 8, 1234));
	/* the daemon style follows stderr: the journal only when it names fd 2 */
	assert_int_equal(fstat(2, &st), 0);
	unsetenv("JOURNAL_STREAM");
	assert_int_equal(log_daemon_style(), LOG_STYLE_TIME);
	{
		char v[64];

		snprintf(v, sizeof(v), "%lu:%lu", (unsigned long)st.st_dev,
			 (unsigned long)st.st_ino);
		setenv("JOURNAL_STREAM", v, 1);
		assert_int_equal(log_daemon_style(), LOG_STYLE_JOURNAL);
		snprintf(v, sizeof(v), "%lu:%lu", (unsigned long)st.st_dev,
			 (unsigned long)st.st_ino + 1);
		setenv("JOURNAL_STREAM", v, 1);
		assert_int_equal(log_daemon_style(), LOG_STYLE_TIME);
		unsetenv("JOURNAL_STREAM");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_styles),
		cmocka_unit_test(test_journal_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
