// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of cfgdiff (lbctl apply --dry-run): additions, removals and
 * in-place changes of VIPs, backends, drains, policy rules, defaults and rate
 * limits, in a stable order; identical configs give nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/model/cfgdiff.h"
#include "agent/model/config.h"

#define ERRLEN 512

struct out {
	char text[8192];
	size_t len;
};

/* One line per change: "OP OBJECT: LINE [<- OLD]" */
static int emit(void *arg, const struct cfgdiff_change *c)
{
	struct out *o = arg;

	o->len += snprintf(o->text + o->len, sizeof(o->text) - o->len, "%s %s: %s%s%s\n",
			   cfgdiff_op_name(c->op), c->object, c->line, c->old ? " <- " : "",
			   c->old ? c->old : "");
	return 0;
}

static void load(struct config *c, const char *text)
{
	char err[ERRLEN] = "";

	config_init(c);
	if (config_load_text(c, text, err, sizeof(err)))
		fail_msg("load failed: %s", err);
}

/* cfgdiff of two texts; returns its result, the changes in o */
static int diff(const char *a, const char *b, struct out *o)
{
	struct config ca, cb;
	int n;

	load(&ca, a);
	load(&cb, b);
	memset(o, 0, sizeof(*o));
	n = cfgdiff(&ca, &cb, emit, o);
	config_free(&ca);
	config_free(&cb);
	return n;
}

static const char base[] = "vip add 203.0.113.10:80/tcp mtu 1400\n"
			   "backend add 203.0.113.10:80/tcp 198.51.100.11\n"
			   "backend add 203.0.113.10:80/tcp 198.51.100.12 weight 200\n"
			   "vip add [2001:db8::10]:443/tcp encap gue\n"
			   "backend add [2001:db8::10]:443/tcp 2001:db8:2::11\n"
			   "policy add deny 192.0.2.0/24\n"
			   "policy add vip 203.0.113.10:80/tcp allow 10.0.0.0/8 proto tcp\n"
			   "policy default vip 203.0.113.10:80/tcp deny\n"
			   "ratelimit set pps 1000\n";

static void test_same_config_no_change(void **state)
{
	struct out o;

	(void)state;
	assert_int_equal(diff(base, base, &o), 0);
	assert_int_equal(o.len, 0);
	/* the same config written another way (defaults spelled out, order of
	 * keywords) is no change either: the canonical forms are compared */
	assert_int_equal(diff("vip add 203.0.113.10:80/tcp sched maglev mtu 1500\n",
			      "vip add 203.0.113.10:80/tcp mtu 1500 encap ipip\n", &o),
			 0);
}

static void test_empty_to_config_and_back(void **state)
{
	struct out o;

	(void)state;
	assert_int_equal(diff("", base, &o), 9);
	assert_non_null(strstr(o.text, "add vip: vip add 203.0.113.10:80/tcp mtu 1400\n"));
	assert_non_null(strstr(o.text, "add ratelimit: ratelimit set pps 1000\n"));
	assert_int_equal(diff(base, "", &o), 9);
	/* removals come in the old config's order */
	assert_true(
		strncmp(o.text,
			"del vip: vip add 203.0.113.10:80/tcp mtu 1400\n"
			"del backend: backend add 203.0.113.10:80/tcp 198.51.100.11\n",
			strlen("del vip: vip add 203.0.113.10:80/tcp mtu 1400\n"
			       "del backend: backend add 203.0.113.10:80/tcp 198.51.100.11\n")) ==
		0);
}

static void test_changes_in_place(void **state)
{
	static const char next[] =
		"vip add 203.0.113.10:80/tcp\n" /* mtu back to default */
		"backend add 203.0.113.10:80/tcp 198.51.100.11 weight 300\n" /* weight */
		"backend drain 203.0.113.10:80/tcp 198.51.100.11\n"	     /* drained */
		"vip add [2001:db8::10]:443/tcp encap gue\n"
		"backend add [2001:db8::10]:443/tcp 2001:db8:2::11\n"
		"policy add allow 192.0.2.0/24\n"			/* action: same rule */
		"policy add vip 203.0.113.10:80/tcp allow 10.0.0.0/8\n" /* no proto: another */
		"ratelimit set pps 2000\n";
	static const char want[] =
		"del backend: backend add 203.0.113.10:80/tcp 198.51.100.12 weight 200\n"
		"del policy: policy default vip 203.0.113.10:80/tcp deny\n"
		"del policy: policy add vip 203.0.113.10:80/tcp allow 10.0.0.0/8 proto tcp\n"
		"change vip: vip add 203.0.113.10:80/tcp <- vip add 203.0.113.10:80/tcp mtu 1400\n"
		"change backend: backend add 203.0.113.10:80/tcp 198.51.100.11 weight 300 <- "
		"backend add 203.0.113.10:80/tcp 198.51.100.11\n"
		"add drain: backend drain 203.0.113.10:80/tcp 198.51.100.11\n"
		"change policy: policy add allow 192.0.2.0/24 <- policy add deny 192.0.2.0/24\n"
		"change ratelimit: ratelimit set pps 2000 <- ratelimit set pps 1000\n"
		"add policy: policy add vip 203.0.113.10:80/tcp allow 10.0.0.0/8\n";
	struct out o;

	(void)state;
	/* in the order of config_print: VIPs and backends, then the global policy
	 * scope and its limits, then each VIP's scope */
	assert_int_equal(diff(base, next, &o), 9);
	assert_string_equal(o.text, want);
}

static int stop_at_first(void *arg, const struct cfgdiff_change *c)
{
	(void)arg;
	(void)c;
	return -ECANCELED;
}

static void test_emit_error_stops(void **state)
{
	struct config a, b;

	(void)state;
	load(&a, "");
	load(&b, base);
	assert_int_equal(cfgdiff(&a, &b, stop_at_first, NULL), -ECANCELED);
	config_free(&a);
	config_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_config_no_change),
		cmocka_unit_test(test_empty_to_config_and_back),
		cmocka_unit_test(test_changes_in_place),
		cmocka_unit_test(test_emit_error_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
