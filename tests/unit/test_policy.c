// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of the policy model (userspace/agent/model/policy_*.c): CIDR helpers,
 * validation with the offending token in the message, atomicity, chains of
 * nested except blocks (the Kubernetes ipBlock examples), IPv6, chain
 * overflow, a brute-force cross-check of the compiled trie against a naive
 * evaluation, rule id reuse, print/load round trips, rate-limit values, and
 * the compile time of 100,000 prefixes (printed, not asserted).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/model/config.h"
#include "agent/model/policy_model.h"
#include "common/cidr.h"
#include "common/grammar.h"
#include "common/parse.h"

#define ERRLEN 512
#define V4 "192.0.2.10:80/tcp"
#define V6 "[2001:db8::10]:443/tcp"

static char err[ERRLEN];

/* ---- helpers ---- */

static int apply_line(struct policy *p, const struct config *cfg, const char *line)
{
	char buf[GR_LINE_MAX], *argv[GR_MAX_WORDS];
	struct gr_cmd cmd;
	int argc, ret;

	err[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", line);
	ret = grammar_split(buf, argv, GR_MAX_WORDS, &argc, err, sizeof(err));
	if (ret)
		return ret;
	ret = grammar_parse(argc, argv, &cmd, err, sizeof(err));
	if (ret)
		return ret;
	struct pol_vip_set vips;

	return policy_apply(p, cfg ? config_vip_set(cfg, &vips) : NULL, &cmd, err, sizeof(err));
}

static void ok(struct policy *p, const struct config *cfg, const char *line)
{
	int ret = apply_line(p, cfg, line);

	if (ret)
		fail_msg("'%s': unexpected error %d: %s", line, ret, err);
}

/* A config with V4 and V6 */
static void make_config(struct config *cfg)
{
	char e[ERRLEN];

	config_init(cfg);
	if (config_load_text(cfg, "vip add " V4 "\nvip add " V6 "\n", e, sizeof(e)))
		fail_msg("config: %s", e);
}

struct strbuf {
	char *s;
	size_t len;
	int lines;
};

static int emit_cb(void *arg, const char *line)
{
	struct strbuf *sb = arg;
	size_t n = strlen(line);
	char *q = realloc(sb->s, sb->len + n + 2);

	assert_non_null(q);
	sb->s = q;
	memcpy(sb->s + sb->len, line, n);
	sb->len += n;
	sb->s[sb->len++] = '\n';
	sb->s[sb->len] = '\0';
	sb->lines++;
	return 0;
}

static char *print_str(const struct policy *p)
{
	struct strbuf sb = { 0 };

	assert_int_equal(policy_print(p, emit_cb, &sb), 0);
	if (!sb.s)
		sb.s = strdup("");
	assert_non_null(sb.s);
	return sb.s;
}

/* Load text (as printed) into @p line by line */
static void load_text(struct policy *p, const struct config *cfg, const char *text)
{
	char *copy = strdup(text), *line, *next;

	assert_non_null(copy);
	for (line = copy; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ok(p, cfg, line);
	}
	free(copy);
}

/* Compiled entries of one scope and family, as a flat list */
struct entry {
	struct cidr pfx;
	uint32_t scope;
	struct xlb_pol_chain chain;
};

struct entries {
	struct entry *e;
	size_t n, cap;
	uint8_t family;
};

static int collect(void *arg, const void *key, const struct xlb_pol_chain *chain)
{
	struct entries *es = arg;
	struct entry *e;

	if (es->n == es->cap) {
		es->cap = es->cap ? es->cap * 2 : 64;
		es->e = realloc(es->e, es->cap * sizeof(*es->e));
		assert_non_null(es->e);
	}
	e = &es->e[es->n++];
	memset(e, 0, sizeof(*e));
	e->pfx.family = es->family;
	if (es->family == XLB_FAMILY_V4) {
		const struct xlb_pol_key4 *k = key;

		e->pfx.plen = (uint8_t)(k->prefixlen - 32);
		e->pfx.addr[0] = k->addr;
		e->scope = k->scope;
	} else {
		const struct xlb_pol_key6 *k = key;

		e->pfx.plen = (uint8_t)(k->prefixlen - 32);
		memcpy(e->pfx.addr, k->addr, sizeof(k->addr));
		e->scope = k->scope;
	}
	e->chain = *chain;
	return 0;
}

static void compile(const struct pol_scope *s, uint32_t scope_id, uint8_t family,
		    struct entries *es)
{
	int ret;

	memset(es, 0, sizeof(*es));
	es->family = family;
	ret = policy_compile(s, scope_id, family, collect, es, err, sizeof(err));
	if (ret)
		fail_msg("compile: %d %s", ret, err);
	assert_int_equal(es->n, s->trie[family == XLB_FAMILY_V6].nprefix);
}

/* The LPM lookup, by linear scan */
static const struct entry *lpm(const struct entries *es, const struct xlb_addr *a)
{
	const struct entry *best = NULL;
	size_t i;

	for (i = 0; i < es->n; i++)
		if (cidr_match_addr(&es->e[i].pfx, a) &&
		    (!best || es->e[i].pfx.plen > best->pfx.plen))
			best = &es->e[i];
	return best;
}

static struct xlb_addr addr(const char *s)
{
	struct xlb_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(s, ':')) {
		a.family = XLB_FAMILY_V6;
		assert_int_equal(inet_pton(AF_INET6, s, a.addr), 1);
	} else {
		a.family = XLB_FAMILY_V4;
		assert_int_equal(inet_pton(AF_INET, s, a.addr), 1);
	}
	return a;
}

/* The dataplane's decision for a source, as bpf/lib/policy_stage.h describes it: first
 * chain rule whose proto/ports match, else the default. proto 0 = any. */
static uint8_t decide(const struct policy *p, const struct pol_scope *s, const struct entries *es,
		      const char *src, uint8_t proto, uint16_t port)
{
	struct xlb_addr a = addr(src);
	const struct entry *e = lpm(es, &a);
	uint32_t i, j;

	if (e)
		for (i = 0; i < e->chain.n; i++) {
			const struct pol_rule *r = policy_rule(p, e->chain.rule[i]);
			bool port_ok = !r->nports;

			assert_non_null(r);
			if (r->proto && r->proto != proto)
				continue;
			for (j = 0; j < r->nports; j++)
				if (port >= r->ports[j].lo && port <= r->ports[j].hi)
					port_ok = true;
			if (port_ok)
				return r->action;
		}
	return s ? s->dflt : XLB_POL_ALLOW;
}

static void entries_free(struct entries *es)
{
	free(es->e);
	memset(es, 0, sizeof(*es));
}

/* Compile scope s (global if key NULL) and decide for src */
static uint8_t decide1(const struct policy *p, const char *vip, const char *src, uint8_t proto,
		       uint16_t port)
{
	struct xlb_vip_key k;
	const struct pol_scope *s;
	struct entries es;
	uint8_t fam = strchr(src, ':') ? XLB_FAMILY_V6 : XLB_FAMILY_V4, d;

	if (vip) {
		assert_int_equal(parse_vip(vip, &k, err, sizeof(err)), 0);
		s = policy_scope(p, &k);
	} else {
		s = policy_scope(p, NULL);
	}
	if (!s)
		return XLB_POL_ALLOW;
	compile(s, 7, fam, &es);
	d = decide(p, s, &es, src, proto, port);
	entries_free(&es);
	return d;
}

/* ---- CIDR helpers ---- */

static void test_cidr(void **state)
{
	struct cidr a, b;
	char buf[CIDR_STRLEN];

	assert_int_equal(cidr_parse("10.1.2.3/8", "CIDR", &a, err, sizeof(err)), 0);
	assert_int_equal(a.plen, 8);
	assert_int_equal(cidr_format(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "10.0.0.0/8");
	assert_int_equal(cidr_parse("10.1.2.3", "CIDR", &a, err, sizeof(err)), 0);
	assert_int_equal(a.plen, 32);
	assert_int_equal(cidr_parse("2001:db8::ff/120", "CIDR", &a, err, sizeof(err)), 0);
	assert_int_equal(cidr_format(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::/120");
	assert_int_equal(cidr_parse("2001:DB8::1", "CIDR", &a, err, sizeof(err)), 0);
	assert_int_equal(cidr_format(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::1/128");
	assert_int_equal(cidr_parse("0.0.0.0/0", "CIDR", &a, err, sizeof(err)), 0);
	assert_int_equal(cidr_parse("255.255.255.255/0", "CIDR", &b, err, sizeof(err)), 0);
	assert_true(cidr_equal(&a, &b));
	assert_int_equal(cidr_parse("ffff::/7", "CIDR", &a, err, sizeof(err)), 0);
	assert_int_equal(cidr_format(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "fe00::/7");
	assert_int_equal(cidr_format(&a, buf, 8), -ENOSPC);

	assert_int_equal(cidr_parse("10.0.0.0/8 ", "except", &a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid except '10.0.0.0/8 ': prefix length must be 0-32");
	assert_int_equal(cidr_parse("", "CIDR", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(cidr_parse("10.0.0.0/+8", "CIDR", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(cidr_parse("fe80::1%eth0/64", "CIDR", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(cidr_parse("1.2.3.04/8", "CIDR", &a, err, sizeof(err)), -EINVAL);

	assert_int_equal(cidr_parse("10.0.0.0/8", "CIDR", &a, err, sizeof(err)), 0);
	assert_int_equal(cidr_parse("10.1.0.0/16", "CIDR", &b, err, sizeof(err)), 0);
	assert_true(cidr_contains(&a, &b));
	assert_false(cidr_contains(&b, &a));
	assert_true(cidr_contains(&a, &a));
	assert_true(cidr_overlap(&b, &a));
	assert_true(cidr_cmp(&a, &b) < 0);
	assert_int_equal(cidr_parse("11.0.0.0/16", "CIDR", &b, err, sizeof(err)), 0);
	assert_false(cidr_overlap(&a, &b));
	assert_int_equal(cidr_parse("::/0", "CIDR", &b, err, sizeof(err)), 0);
	assert_false(cidr_contains(&b, &a)); /* families never mix */
	assert_true(cidr_cmp(&a, &b) < 0);
	assert_int_equal(cidr_maxlen(5), 0);
}

/* ---- basics ---- */

static void test_add_del_basic(void **state)
{
	struct config cfg;
	struct policy p;
	struct pol_scope *s;
	const struct pol_rule *r;
	char *text;

	make_config(&cfg);
	policy_init(&p);
	assert_int_equal(p.nvip, 0);
	ok(&p, &cfg, "policy add allow 10.0.0.0/8 except 10.2.0.0/16,10.1.0.0/16");
	ok(&p, &cfg, "policy add vip " V4 " deny 198.51.100.0/24 proto tcp ports 22");
	ok(&p, &cfg, "policy add vip " V4 " deny 198.51.100.0/24 proto tcp ports 23");
	ok(&p, &cfg, "policy default vip " V4 " deny");
	ok(&p, &cfg, "ratelimit set vip " V4 " pps 100");
	assert_int_equal(p.nrules, 3);
	assert_int_equal(p.nvip, 1);
	s = policy_scope(&p, NULL);
	assert_true(s->global);
	assert_int_equal(s->nrules, 1);
	r = policy_rule(&p, s->head);
	assert_non_null(r);
	assert_int_equal(r->nexcept, 2);
	assert_int_equal(s->trie[0].nprefix, 3);
	assert_int_equal(p.nprefix[0], 3 + 1);
	assert_int_equal(p.nprefix[1], 0);

	text = print_str(&p);
	assert_string_equal(text, "policy add allow 10.0.0.0/8 except 10.1.0.0/16,10.2.0.0/16\n"
				  "policy default vip " V4 " deny\n"
				  "policy add vip " V4 " deny 198.51.100.0/24 proto tcp ports 22\n"
				  "policy add vip " V4 " deny 198.51.100.0/24 proto tcp ports 23\n"
				  "ratelimit set vip " V4 " pps 100\n");
	free(text);

	ok(&p, &cfg, "policy del vip " V4 " 198.51.100.0/24 proto tcp ports 22");
	assert_int_equal(apply_line(&p, &cfg,
				    "policy del vip " V4 " 198.51.100.0/24 proto tcp "
				    "ports 22"),
			 -ENOENT);
	assert_string_equal(err, "policy rule 198.51.100.0/24 proto tcp ports 22 not found in vip "
				 "192.0.2.10:80/tcp");
	assert_int_equal(apply_line(&p, &cfg, "policy del vip " V4 " 198.51.100.0/24"), -ENOENT);
	ok(&p, &cfg, "policy del vip " V4 " 198.51.100.0/24 proto tcp ports 23");
	ok(&p, &cfg, "policy del 10.0.0.0/8");
	assert_int_equal(p.nrules, 0);
	assert_int_equal(p.nprefix[0], 0);
	assert_int_equal(p.global.trie[0].root, 0); /* pruned to nothing */
	/* the VIP scope lives on for its default and limits */
	assert_int_equal(p.nvip, 1);
	ok(&p, &cfg, "ratelimit del vip " V4);
	assert_int_equal(p.nvip, 1);
	ok(&p, &cfg, "policy default vip " V4 " allow");
	assert_int_equal(p.nvip, 0); /* nothing left: the scope is gone */
	text = print_str(&p);
	assert_string_equal(text, "");
	free(text);

	/* queries do not change anything */
	assert_int_equal(apply_line(&p, &cfg, "policy show"), -EOPNOTSUPP);
	assert_int_equal(apply_line(&p, &cfg, "ratelimit show vip " V4), -EOPNOTSUPP);
	assert_int_equal(apply_line(&p, &cfg, "vip add " V4), -EOPNOTSUPP);
	policy_free(&p);
	config_free(&cfg);
}

/* ---- validation ---- */

static const struct {
	const char *setup; /* lines applied first ('\n'-separated), or NULL */
	const char *line;
	int ret;
	const char *want; /* substring of the message */
} bad[] = {
	/* scope */
	{ NULL, "policy add vip 192.0.2.99:80/tcp allow 10.0.0.0/8", -ENOENT,
	  "vip 192.0.2.99:80/tcp not found" },
	{ NULL, "policy default vip 192.0.2.10:81/tcp deny", -ENOENT,
	  "vip 192.0.2.10:81/tcp not found" },
	{ NULL, "ratelimit set vip 192.0.2.10:80/udp pps 1", -ENOENT, "not found" },
	{ NULL, "policy flush vip [2001:db8::11]:443/tcp", -ENOENT, "not found" },
	{ NULL, "policy add vip " V4 " allow 2001:db8::/32", -EINVAL,
	  "invalid CIDR '2001:db8::/32': vip 192.0.2.10:80/tcp is IPv4" },
	{ NULL, "policy add vip " V6 " allow 10.0.0.0/8", -EINVAL,
	  "invalid CIDR '10.0.0.0/8': vip [2001:db8::10]:443/tcp is IPv6" },
	/* except blocks */
	{ NULL, "policy add allow 10.1.0.0/16 except 10.2.0.0/16", -EINVAL,
	  "invalid except '10.2.0.0/16': not inside 10.1.0.0/16" },
	{ NULL, "policy add allow 10.1.0.0/16 except 10.0.0.0/8", -EINVAL,
	  "invalid except '10.0.0.0/8': not inside 10.1.0.0/16" },
	{ NULL, "policy add allow 10.1.0.0/16 except 10.1.5.5/16", -EINVAL,
	  "invalid except '10.1.0.0/16': the whole CIDR" },
	{ NULL, "policy add allow 10.0.0.0/8 except 2001:db8::/32", -EINVAL,
	  "invalid except '2001:db8::/32': not IPv4 like 10.0.0.0/8" },
	{ NULL, "policy add allow 2001:db8::/32 except 10.0.0.0/8", -EINVAL,
	  "invalid except '10.0.0.0/8': not IPv6 like 2001:db8::/32" },
	{ NULL, "policy add allow 10.0.0.0/8 except 10.1.0.0/16,10.1.2.0/24", -EINVAL,
	  "invalid except '10.1.2.0/24': overlaps 10.1.0.0/16" },
	{ NULL, "policy add allow 10.0.0.0/8 except 10.1.0.0/16,10.1.0.0/16", -EINVAL,
	  "invalid except '10.1.0.0/16': overlaps 10.1.0.0/16" },
	/* ports */
	{ NULL, "policy add deny 10.0.0.0/8 proto icmp ports 80", -EINVAL,
	  "invalid ports '80': proto icmp has no ports" },
	{ NULL, "policy del 10.0.0.0/8 proto icmp ports 1-2,5", -EINVAL,
	  "invalid ports '1-2,5': proto icmp has no ports" },
	/* duplicates: same scope, CIDR, proto and ports, whatever the action */
	{ "policy add allow 10.0.0.0/8", "policy add deny 10.1.2.3/8", -EEXIST,
	  "policy rule 10.0.0.0/8 already exists in global" },
	{ "policy add vip " V4 " allow 10.0.0.0/8 proto tcp ports 443,80",
	  "policy add vip " V4 " deny 10.0.0.0/8 ports 80,443 proto tcp", -EEXIST,
	  "policy rule 10.0.0.0/8 proto tcp ports 80,443 already exists in vip 192.0.2.10:80/tcp" },
	{ "policy add allow 2001:db8::/32 except 2001:db8:1::/48", "policy add deny 2001:db8::/32",
	  -EEXIST, "policy rule 2001:db8::/32 already exists in global" },
	/* missing */
	{ NULL, "policy del 10.0.0.0/8", -ENOENT, "policy rule 10.0.0.0/8 not found in global" },
	{ "policy add allow 10.0.0.0/8 proto tcp", "policy del 10.0.0.0/8", -ENOENT,
	  "policy rule 10.0.0.0/8 not found in global" },
	{ NULL, "ratelimit del", -ENOENT, "no rate limits in global" },
	{ NULL, "ratelimit del vip " V4, -ENOENT, "no rate limits in vip 192.0.2.10:80/tcp" },
	/* rate limits */
	{ NULL, "ratelimit set ceiling 100", -EINVAL,
	  "invalid ceiling: only a VIP has a new-flow ceiling; add 'vip VIP'" },
	{ NULL, "ratelimit set pps 5 ceiling-burst 100", -EINVAL, "invalid ceiling-burst" },
	{ NULL, "ratelimit set new-flows 10 burst 5", -EINVAL,
	  "invalid burst: it is the burst of 'pps'" },
	{ NULL, "ratelimit set pps 10 new-flows-burst 5", -EINVAL,
	  "invalid new-flows-burst: global has no 'new-flows' limit" },
	{ NULL, "ratelimit set vip " V4 " pps 10 ceiling-burst 5", -EINVAL,
	  "invalid ceiling-burst: vip 192.0.2.10:80/tcp has no 'ceiling' limit" },
	{ NULL, "ratelimit set prefix-len 24", -EINVAL,
	  "nothing to limit in global: give pps, new-flows or ceiling" },
	{ NULL, "ratelimit set vip " V4 " pps 1 prefix-len6 56", -EINVAL,
	  "invalid prefix-len6: vip 192.0.2.10:80/tcp is IPv4" },
	{ NULL, "ratelimit set vip " V6 " pps 1 prefix-len 24", -EINVAL,
	  "invalid prefix-len: vip [2001:db8::10]:443/tcp is IPv6; use prefix-len6" },
	{ "ratelimit set pps 10", "ratelimit set new-flows-burst 4", -EINVAL,
	  "no 'new-flows' limit" },
	/* chains */
	{ "policy add allow 10.0.0.0/8 ports 1\npolicy add allow 10.0.0.0/8 ports 2\n"
	  "policy add allow 10.0.0.0/8 ports 3\npolicy add allow 10.0.0.0/8 ports 4\n"
	  "policy add allow 10.0.0.0/8 ports 5\npolicy add allow 10.0.0.0/8 ports 6\n"
	  "policy add allow 10.0.0.0/8 ports 7\npolicy add allow 10.0.0.0/8 ports 8",
	  "policy add deny 10.0.0.0/8", -ENOSPC,
	  "policy rule 10.0.0.0/8 in global: 9 rules would apply to 10.0.0.0/8 (at most 8)" },
};

static void test_validation(void **state)
{
	struct policy p, before;
	struct config cfg;
	size_t i;
	int ret;

	make_config(&cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		policy_init(&p);
		if (bad[i].setup)
			load_text(&p, &cfg, bad[i].setup);
		assert_int_equal(policy_copy(&before, &p), 0);
		ret = apply_line(&p, &cfg, bad[i].line);
		if (ret != bad[i].ret || !strstr(err, bad[i].want))
			fail_msg("case %zu '%s': ret %d (want %d), err '%s' (want '%s')", i,
				 bad[i].line, ret, bad[i].ret, err, bad[i].want);
		/* message shape, and nothing half-applied */
		assert_true(err[0] >= 'a' && err[0] <= 'z');
		assert_null(strchr(err, '\n'));
		assert_true(policy_equal(&p, &before));
		assert_int_equal(p.gen, before.gen);
		assert_int_equal(p.nprefix[0], before.nprefix[0]);
		policy_free(&before);
		policy_free(&p);
	}
	print_message("# %zu refused commands\n", sizeof(bad) / sizeof(bad[0]));
	config_free(&cfg);
}

/* A command built by hand (not through the grammar) is checked the same */
static void test_validation_raw(void **state)
{
	struct policy p;
	struct gr_cmd c;

	policy_init(&p);
	memset(&c, 0, sizeof(c));
	c.obj = GR_OBJ_POLICY;
	c.verb = GR_VERB_ADD;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "missing action"));
	c.args = GR_ARG_ACTION;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "missing CIDR"));
	c.args |= GR_ARG_CIDR;
	c.pol.cidr.family = XLB_FAMILY_V4;
	c.pol.cidr.plen = 33;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EINVAL);
	c.pol.cidr.plen = 8;
	c.pol.cidr.addr[0] = htonl(0x0a0b0c0d); /* host bits: cleared */
	c.pol.set = GR_POL_PORTS;
	c.pol.nports = 2;
	c.pol.ports[0].lo = 80;
	c.pol.ports[0].hi = 90;
	c.pol.ports[1].lo = 85;
	c.pol.ports[1].hi = 95;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid ports range 85-95"));
	c.pol.nports = 1;
	c.pol.set |= GR_POL_PROTO;
	c.pol.proto = IPPROTO_SCTP;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid proto 132"));
	c.pol.proto = IPPROTO_TCP;
	/* unsorted except blocks are sorted */
	c.pol.set |= GR_POL_EXCEPT;
	c.pol.nexcept = 2;
	assert_int_equal(cidr_parse("10.9.0.0/16", "except", &c.pol.except[0], err, sizeof(err)),
			 0);
	assert_int_equal(cidr_parse("10.1.0.0/16", "except", &c.pol.except[1], err, sizeof(err)),
			 0);
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(p.rule[0].cidr.addr[0], htonl(0x0a000000));
	assert_int_equal(p.rule[0].except[0].addr[0], htonl(0x0a010000));
	c.verb = GR_VERB_SET;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EOPNOTSUPP);
	c.obj = GR_OBJ_RATELIMIT;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nothing to set"));
	c.rl.set = GR_RL_PPS;
	c.rl.pps = 0; /* switches pps off; with no limit at all there is nothing to do */
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nothing to limit"));
	c.rl.pps = GR_RATE_MAX + 1;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid rate"));
	/* a limit switched off forgets its burst; the last one off removes the limits */
	c.rl.set = GR_RL_PPS | GR_RL_BURST | GR_RL_NEW_FLOWS;
	c.rl.pps = 10;
	c.rl.burst = 20;
	c.rl.new_flows = 5;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), 0);
	c.rl.set = GR_RL_PPS;
	c.rl.pps = 0;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), 0);
	assert_true(p.global.has_rl);
	assert_int_equal(p.global.rl.pps, 0);
	assert_int_equal(p.global.rl.burst, 0);
	assert_int_equal(p.global.rl.new_flows, 5);
	c.rl.set = GR_RL_NEW_FLOWS;
	c.rl.new_flows = 0;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), 0);
	assert_false(p.global.has_rl);
	c.verb = GR_VERB_ADD;
	assert_int_equal(policy_apply(&p, NULL, &c, err, sizeof(err)), -EOPNOTSUPP);
	policy_free(&p);
}

/* ---- semantics ---- */

/* Kubernetes ipBlock examples */
static void test_k8s_examples(void **state)
{
	struct config cfg;
	struct policy p;
	struct entries es;
	const struct entry *e;
	struct xlb_addr a;

	make_config(&cfg);
	/* allow 10/8 except 10.1/16, plus allow 0/0: 10.1.x.y is still allowed by the /0 */
	policy_init(&p);
	ok(&p, &cfg, "policy default vip " V4 " deny");
	ok(&p, &cfg, "policy add vip " V4 " allow 10.0.0.0/8 except 10.1.0.0/16");
	ok(&p, &cfg, "policy add vip " V4 " allow 0.0.0.0/0");
	assert_int_equal(decide1(&p, V4, "10.1.2.3", IPPROTO_TCP, 80), XLB_POL_ALLOW);
	assert_int_equal(decide1(&p, V4, "10.2.2.3", IPPROTO_TCP, 80), XLB_POL_ALLOW);
	assert_int_equal(decide1(&p, V4, "192.0.2.1", IPPROTO_TCP, 80), XLB_POL_ALLOW);
	/* the chains themselves */
	compile(policy_scope(&p, &p.vip[0]->key), 3, XLB_FAMILY_V4, &es);
	assert_int_equal(es.n, 3);
	a = addr("10.1.2.3");
	e = lpm(&es, &a);
	assert_int_equal(e->pfx.plen, 16);
	assert_int_equal(e->scope, 3);
	assert_int_equal(e->chain.n, 1); /* only the /0 rule (id 1) */
	assert_int_equal(e->chain.rule[0], 1);
	a = addr("10.2.0.1");
	e = lpm(&es, &a);
	assert_int_equal(e->pfx.plen, 8);
	assert_int_equal(e->chain.n, 2); /* /8 first, then /0 */
	assert_int_equal(e->chain.rule[0], 0);
	assert_int_equal(e->chain.rule[1], 1);
	entries_free(&es);
	policy_free(&p);

	/* deny 0/0 + allow 10/8 except 10.1/16: 10.1.x.y denied */
	policy_init(&p);
	ok(&p, &cfg, "policy add vip " V4 " deny 0.0.0.0/0");
	ok(&p, &cfg, "policy add vip " V4 " allow 10.0.0.0/8 except 10.1.0.0/16");
	assert_int_equal(decide1(&p, V4, "10.1.2.3", IPPROTO_UDP, 53), XLB_POL_DENY);
	assert_int_equal(decide1(&p, V4, "10.200.2.3", IPPROTO_UDP, 53), XLB_POL_ALLOW);
	assert_int_equal(decide1(&p, V4, "11.0.0.1", IPPROTO_UDP, 53), XLB_POL_DENY);
	policy_free(&p);

	/* a VIP with allow rules and a deny default admits only those sources */
	policy_init(&p);
	ok(&p, &cfg, "policy default vip " V4 " deny");
	ok(&p, &cfg, "policy add vip " V4 " allow 198.51.100.0/24 except 198.51.100.128/25");
	assert_int_equal(decide1(&p, V4, "198.51.100.1", IPPROTO_TCP, 80), XLB_POL_ALLOW);
	assert_int_equal(decide1(&p, V4, "198.51.100.200", IPPROTO_TCP, 80), XLB_POL_DENY);
	assert_int_equal(decide1(&p, V4, "203.0.113.1", IPPROTO_TCP, 80), XLB_POL_DENY);
	/* an except block nobody else covers compiles to an empty chain */
	compile(p.vip[0], 0, XLB_FAMILY_V4, &es);
	a = addr("198.51.100.200");
	e = lpm(&es, &a);
	assert_non_null(e);
	assert_int_equal(e->chain.n, 0);
	entries_free(&es);
	policy_free(&p);

	/* nested: except inside except, re-allowed deeper */
	policy_init(&p);
	ok(&p, &cfg, "policy add deny 10.0.0.0/8 except 10.1.0.0/16");
	ok(&p, &cfg, "policy add allow 10.1.0.0/16 except 10.1.1.0/24");
	ok(&p, &cfg, "policy add deny 10.1.1.128/25");
	assert_int_equal(decide1(&p, NULL, "10.0.0.1", 0, 0), XLB_POL_DENY);
	assert_int_equal(decide1(&p, NULL, "10.1.0.1", 0, 0), XLB_POL_ALLOW);
	assert_int_equal(decide1(&p, NULL, "10.1.1.1", 0, 0), XLB_POL_ALLOW); /* default */
	assert_int_equal(decide1(&p, NULL, "10.1.1.200", 0, 0), XLB_POL_DENY);
	ok(&p, &cfg, "policy default deny");
	assert_int_equal(decide1(&p, NULL, "10.1.1.1", 0, 0), XLB_POL_DENY);
	assert_int_equal(decide1(&p, NULL, "10.1.0.1", 0, 0), XLB_POL_ALLOW);
	policy_free(&p);
	config_free(&cfg);
}

/* Same CIDR: rules with proto/ports first, then insertion order */
static void test_chain_order(void **state)
{
	struct policy p;
	struct entries es;
	struct xlb_addr a;
	const struct entry *e;

	policy_init(&p);
	ok(&p, NULL, "policy add deny 10.0.0.0/8");			/* id 0 */
	ok(&p, NULL, "policy add allow 10.0.0.0/8 proto tcp");		/* id 1 */
	ok(&p, NULL, "policy add allow 10.0.0.0/16");			/* id 2 */
	ok(&p, NULL, "policy add allow 10.0.0.0/8 ports 53");		/* id 3 */
	ok(&p, NULL, "policy add deny 10.0.0.0/16 proto udp ports 53"); /* id 4 */
	ok(&p, NULL, "policy add deny 10.0.0.0/16 proto icmp");		/* id 5 */
	compile(&p.global, XLB_POL_SCOPE_GLOBAL, XLB_FAMILY_V4, &es);
	a = addr("10.0.1.1");
	e = lpm(&es, &a);
	assert_int_equal(e->scope, XLB_POL_SCOPE_GLOBAL);
	assert_int_equal(e->chain.n, 6);
	assert_int_equal(e->chain.rule[0], 4);
	assert_int_equal(e->chain.rule[1], 5);
	assert_int_equal(e->chain.rule[2], 2);
	assert_int_equal(e->chain.rule[3], 1);
	assert_int_equal(e->chain.rule[4], 3);
	assert_int_equal(e->chain.rule[5], 0);
	assert_int_equal(decide(&p, &p.global, &es, "10.0.1.1", IPPROTO_UDP, 53), XLB_POL_DENY);
	assert_int_equal(decide(&p, &p.global, &es, "10.0.1.1", IPPROTO_ICMP, 0), XLB_POL_DENY);
	assert_int_equal(decide(&p, &p.global, &es, "10.0.1.1", IPPROTO_UDP, 54), XLB_POL_ALLOW);
	assert_int_equal(decide(&p, &p.global, &es, "10.1.0.1", IPPROTO_UDP, 53), XLB_POL_ALLOW);
	assert_int_equal(decide(&p, &p.global, &es, "10.1.0.1", IPPROTO_UDP, 54), XLB_POL_DENY);
	entries_free(&es);
	policy_free(&p);
}

static void test_ipv6(void **state)
{
	struct config cfg;
	struct policy p;
	struct entries es;

	make_config(&cfg);
	policy_init(&p);
	ok(&p, &cfg, "policy default vip " V6 " deny");
	ok(&p, &cfg, "policy add vip " V6 " allow 2001:db8::/32 except 2001:db8:1::/48");
	ok(&p, &cfg, "policy add vip " V6 " allow ::/0 proto icmp");
	ok(&p, &cfg, "policy add vip " V6 " allow 2001:db8:1:2::1");
	assert_int_equal(decide1(&p, V6, "2001:db8::5", IPPROTO_TCP, 443), XLB_POL_ALLOW);
	assert_int_equal(decide1(&p, V6, "2001:db8:1::5", IPPROTO_TCP, 443), XLB_POL_DENY);
	assert_int_equal(decide1(&p, V6, "2001:db8:1::5", IPPROTO_ICMP, 0), XLB_POL_ALLOW);
	assert_int_equal(decide1(&p, V6, "2001:db8:1:2::1", IPPROTO_TCP, 443), XLB_POL_ALLOW);
	assert_int_equal(decide1(&p, V6, "2001:db9::1", IPPROTO_TCP, 443), XLB_POL_DENY);
	compile(p.vip[0], 9, XLB_FAMILY_V6, &es);
	assert_int_equal(es.n, 4);
	entries_free(&es);
	/* IPv4 rules of the global scope and IPv6 ones live side by side */
	ok(&p, &cfg, "policy add deny 2001:db8::/32");
	ok(&p, &cfg, "policy add deny 10.0.0.0/8");
	compile(&p.global, XLB_POL_SCOPE_GLOBAL, XLB_FAMILY_V6, &es);
	assert_int_equal(es.n, 1);
	assert_int_equal(es.e[0].pfx.plen, 32);
	entries_free(&es);
	assert_int_equal(p.nprefix[0], 1);
	assert_int_equal(p.nprefix[1], 5);
	assert_int_equal(policy_compile(&p.global, 0, 5, collect, &es, err, sizeof(err)), -EINVAL);
	policy_free(&p);
	config_free(&cfg);
}

static void test_chain_overflow(void **state)
{
	struct policy p, before;
	char line[128];
	int i;

	policy_init(&p);
	/* 8 nested CIDRs: 10.1.2.3/32 gets 8 rules, the most there may be */
	for (i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "policy add deny 10.1.2.3/%d", 32 - 3 * i);
		ok(&p, NULL, line);
	}
	assert_int_equal(policy_copy(&before, &p), 0);
	/* a 9th rule covering them: refused, naming the prefix */
	assert_int_equal(apply_line(&p, NULL, "policy add allow 0.0.0.0/0"), -ENOSPC);
	assert_string_equal(err, "policy rule 0.0.0.0/0 in global: 9 rules would apply to "
				 "10.1.2.3/32 (at most 8)");
	assert_true(policy_equal(&p, &before));
	/* ... unless it excepts the crowded part */
	ok(&p, NULL, "policy add allow 0.0.0.0/0 except 10.1.2.0/24");
	/* a rule inside them: refused at its own CIDR */
	assert_int_equal(apply_line(&p, NULL, "policy add allow 10.1.2.3/32 proto tcp"), -ENOSPC);
	assert_non_null(strstr(err, "9 rules would apply to 10.1.2.3/32"));
	/* fits at its own CIDR (the /0 rule is excepted there), not below it */
	assert_int_equal(apply_line(&p, NULL, "policy add allow 10.1.2.2/31"), -ENOSPC);
	assert_non_null(strstr(err, "9 rules would apply to 10.1.2.3/32"));
	ok(&p, NULL, "policy del 10.1.2.3/11");
	ok(&p, NULL, "policy add allow 10.1.2.2/31");
	policy_free(&before);
	policy_free(&p);

	/* a new except block does not count its rule */
	policy_init(&p);
	for (i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "policy add deny 10.0.0.0/24 ports %d", i + 1);
		ok(&p, NULL, line);
	}
	ok(&p, NULL, "policy add allow 10.0.0.0/16 except 10.0.0.0/24");
	assert_int_equal(apply_line(&p, NULL, "policy add allow 10.0.0.0/8 except 10.0.0.0/25"),
			 -ENOSPC);
	assert_non_null(strstr(err, "would apply to 10.0.0.0/24"));
	policy_free(&p);
}

/* ---- brute force ---- */

static uint64_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 11);
}

/* A random prefix in a small space so rules nest and overlap: 10.R.R.0 /8-/30,
 * or 2001:db8:R::/32-/64 */
static void rnd_prefix(uint8_t family, unsigned int minlen, const struct cidr *inside,
		       struct cidr *c)
{
	unsigned int max = family == XLB_FAMILY_V4 ? 30 : 64;
	uint8_t *b = (uint8_t *)c->addr;

	memset(c, 0, sizeof(*c));
	c->family = family;
	if (family == XLB_FAMILY_V4) {
		c->addr[0] = htonl(0x0a000000 | ((rnd() & 0x0f0f) << 8) | (rnd() & 0x0c));
	} else {
		c->addr[0] = htonl(0x20010db8);
		b[4] = (uint8_t)(rnd() & 0x0f);
		b[5] = (uint8_t)(rnd() & 0xc3);
		b[7] = (uint8_t)(rnd() & 0x01);
	}
	if (inside) {
		unsigned int i;

		for (i = 0; i < inside->plen; i++) {
			unsigned int bit = cidr_addr_bit(inside->addr, i);

			b[i / 8] =
				(uint8_t)((b[i / 8] & ~(0x80 >> (i % 8))) | (bit << (7 - i % 8)));
		}
	}
	c->plen = (uint8_t)(minlen + rnd() % (max - minlen + 1));
	cidr_mask(c->addr, c->plen);
}

/* Does r apply to prefix q (q inside its CIDR and in none of its excepts)? */
static bool applies(const struct pol_rule *r, const struct cidr *q)
{
	unsigned int i;

	if (!cidr_contains(&r->cidr, q))
		return false;
	for (i = 0; i < r->nexcept; i++)
		if (cidr_contains(&r->except[i], q))
			return false;
	return true;
}

static bool applies_addr(const struct pol_rule *r, const struct xlb_addr *a)
{
	unsigned int i;

	if (!cidr_match_addr(&r->cidr, a))
		return false;
	for (i = 0; i < r->nexcept; i++)
		if (cidr_match_addr(&r->except[i], a))
			return false;
	return true;
}

static bool spec(const struct pol_rule *r)
{
	return r->proto || r->nports;
}

/* Chain order: longer CIDR, then proto/ports, then older */
static bool before_in_chain(const struct pol_rule *a, const struct pol_rule *b)
{
	if (a->cidr.plen != b->cidr.plen)
		return a->cidr.plen > b->cidr.plen;
	if (spec(a) != spec(b))
		return spec(a);
	return a->seq < b->seq;
}

/* The naive chain of a source address in scope s */
static unsigned int naive_chain(const struct policy *p, const struct pol_scope *s,
				const struct xlb_addr *a, uint32_t *out, unsigned int max)
{
	unsigned int n = 0, i, j;
	uint32_t id, t;

	for (id = s->head; id != POL_NONE; id = p->rule[id].next) {
		if (!applies_addr(&p->rule[id], a))
			continue;
		assert_true(n < max);
		out[n++] = id;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && before_in_chain(&p->rule[out[j]], &p->rule[out[j - 1]]); j--) {
			t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/* Would adding rule r (not in the model) make some prefix's chain too long?
 * Checked over every prefix of the union, r's own included. */
static bool naive_overflows(const struct policy *p, const struct pol_scope *s,
			    const struct pol_rule *r)
{
	struct cidr pts[4096];
	unsigned int npts = 0, i, k, cnt;
	uint32_t id;

	pts[npts++] = r->cidr;
	for (k = 0; k < r->nexcept; k++)
		pts[npts++] = r->except[k];
	for (id = s->head; id != POL_NONE; id = p->rule[id].next) {
		const struct pol_rule *q = &p->rule[id];

		if (q->cidr.family != r->cidr.family)
			continue;
		assert_true(npts + 1 + q->nexcept <= 4096);
		pts[npts++] = q->cidr;
		for (k = 0; k < q->nexcept; k++)
			pts[npts++] = q->except[k];
	}
	for (i = 0; i < npts; i++) {
		cnt = applies(r, &pts[i]);
		for (id = s->head; id != POL_NONE; id = p->rule[id].next)
			cnt += applies(&p->rule[id], &pts[i]);
		if (cnt > XLB_POL_CHAIN_MAX)
			return true;
	}
	return false;
}

/* Same rule content (ids and seq aside) */
static bool same_rule(const struct pol_rule *a, const struct pol_rule *b)
{
	return a && b && a->action == b->action && a->proto == b->proto && a->nports == b->nports &&
	       a->nexcept == b->nexcept && cidr_equal(&a->cidr, &b->cidr) &&
	       !memcmp(a->ports, b->ports, sizeof(a->ports)) &&
	       !memcmp(a->except, b->except, sizeof(a->except));
}

static int count_cb(void *arg, const void *key, const struct xlb_pol_chain *chain)
{
	(*(size_t *)arg)++;
	return chain->n <= XLB_POL_CHAIN_MAX ? 0 : -EINVAL;
}

static void rule_line(const struct cidr *c, const struct cidr *ex, unsigned int nex, uint8_t proto,
		      uint16_t port, char *line, size_t len)
{
	char cs[CIDR_STRLEN], es[GR_EXCEPT_MAX * CIDR_STRLEN];
	size_t u;

	assert_int_equal(cidr_format(c, cs, sizeof(cs)), 0);
	u = (size_t)snprintf(line, len, "policy add %s %s", rnd() % 2 ? "allow" : "deny", cs);
	if (nex) {
		assert_int_equal(gr_except_format(ex, nex, es, sizeof(es)), 0);
		u += (size_t)snprintf(line + u, len - u, " except %s", es);
	}
	if (proto)
		u += (size_t)snprintf(line + u, len - u, " proto %s", gr_proto_name(proto));
	if (port)
		snprintf(line + u, len - u, " ports %u", port);
}

static void brute_force_family(uint8_t family, unsigned int round, unsigned int *nadd,
			       unsigned int *nfull, unsigned int *nlookups)
{
	static const uint8_t protos[] = { 0, 0, IPPROTO_TCP, IPPROTO_UDP };
	struct policy p, q;
	struct entries es;
	char line[GR_LINE_MAX];
	unsigned int step, i, nex;
	struct cidr c, ex[GR_EXCEPT_MAX];
	char *text;
	int ret;

	policy_init(&p);
	for (step = 0; step < 400; step++) {
		uint8_t proto = protos[rnd() % 4];
		uint16_t port = rnd() % 3 ? 0 : (uint16_t)(1 + rnd() % 3);

		if (p.nrules && rnd() % 5 == 0) { /* delete a random rule */
			uint32_t id = p.global.head;
			const struct pol_rule *r;
			char cs[CIDR_STRLEN];
			size_t u;

			for (i = rnd() % p.nrules; i > 0; i--)
				id = p.rule[id].next;
			r = &p.rule[id];
			assert_int_equal(cidr_format(&r->cidr, cs, sizeof(cs)), 0);
			u = (size_t)snprintf(line, sizeof(line), "policy del %s", cs);
			if (r->proto)
				u += (size_t)snprintf(line + u, sizeof(line) - u, " proto %s",
						      gr_proto_name(r->proto));
			if (r->nports)
				snprintf(line + u, sizeof(line) - u, " ports %u", r->ports[0].lo);
			ok(&p, NULL, line);
			continue;
		}
		if (proto == IPPROTO_ICMP)
			port = 0;
		rnd_prefix(family, family == XLB_FAMILY_V4 ? 8 : 32, NULL, &c);
		nex = 0;
		if (rnd() % 2) {
			unsigned int want = 1 + rnd() % 3, tries;

			for (tries = 0; tries < 10 && nex < want; tries++) {
				struct cidr e;
				unsigned int k;
				bool clash = false;

				if (c.plen >= (family == XLB_FAMILY_V4 ? 30 : 64))
					break;
				rnd_prefix(family, c.plen + 1, &c, &e);
				if (e.plen <= c.plen)
					continue;
				for (k = 0; k < nex; k++)
					clash |= cidr_overlap(&ex[k], &e);
				if (!clash)
					ex[nex++] = e;
			}
		}
		rule_line(&c, ex, nex, proto, port, line, sizeof(line));
		{
			/* the verdict the naive model expects */
			struct pol_rule nr;
			struct gr_cmd cmd;
			char buf[GR_LINE_MAX], *argv[GR_MAX_WORDS];
			int argc;
			uint32_t dup = POL_NONE, id;

			snprintf(buf, sizeof(buf), "%s", line);
			assert_int_equal(
				grammar_split(buf, argv, GR_MAX_WORDS, &argc, err, sizeof(err)), 0);
			if (grammar_parse(argc, argv, &cmd, err, sizeof(err)))
				fail_msg("'%s': %s", line, err);
			memset(&nr, 0, sizeof(nr));
			nr.cidr = cmd.pol.cidr;
			nr.nexcept = cmd.pol.nexcept;
			memcpy(nr.except, cmd.pol.except, sizeof(nr.except));
			nr.proto = cmd.pol.proto;
			nr.nports = cmd.pol.nports;
			memcpy(nr.ports, cmd.pol.ports, sizeof(nr.ports));
			for (id = p.global.head; id != POL_NONE; id = p.rule[id].next)
				if (cidr_equal(&p.rule[id].cidr, &nr.cidr) &&
				    p.rule[id].proto == nr.proto &&
				    p.rule[id].nports == nr.nports &&
				    !memcmp(p.rule[id].ports, nr.ports,
					    nr.nports * sizeof(nr.ports[0])))
					dup = id;
			ret = policy_apply(&p, NULL, &cmd, err, sizeof(err));
			if (dup != POL_NONE) {
				assert_int_equal(ret, -EEXIST);
			} else if (ret == -ENOSPC) {
				/* refused: it must really overflow */
				if (!naive_overflows(&p, &p.global, &nr))
					fail_msg("'%s' refused but fits: %s", line, err);
				(*nfull)++;
			} else {
				size_t cnt = 0;

				if (ret)
					fail_msg("'%s': %d %s", line, ret, err);
				/* accepted: no prefix may have too long a chain */
				if (policy_compile(&p.global, 0, family, count_cb, &cnt, err,
						   sizeof(err)))
					fail_msg("'%s' accepted, compile fails: %s", line, err);
				(*nadd)++;
			}
		}
		if (step % 25 != 24)
			continue;
		/* compile and compare with the naive evaluation */
		compile(&p.global, XLB_POL_SCOPE_GLOBAL, family, &es);
		for (i = 0; i < 300; i++) {
			uint32_t want[64];
			struct xlb_addr a;
			const struct entry *e;
			unsigned int n, k;
			struct cidr r;

			memset(&a, 0, sizeof(a));
			rnd_prefix(family, family == XLB_FAMILY_V4 ? 32 : 64, NULL, &r);
			a.family = family;
			memcpy(a.addr, r.addr, sizeof(a.addr));
			if (family == XLB_FAMILY_V4)
				a.addr[0] |= htonl(rnd() & 0x03);
			else
				a.addr[3] = htonl(rnd());
			n = naive_chain(&p, &p.global, &a, want, 64);
			e = lpm(&es, &a);
			if (!e) {
				assert_int_equal(n, 0);
				continue;
			}
			if (e->chain.n != n)
				fail_msg("round %u step %u: chain of %u rules, naive %u", round,
					 step, e->chain.n, n);
			for (k = 0; k < n; k++)
				assert_int_equal(e->chain.rule[k], want[k]);
			(*nlookups)++;
		}
		entries_free(&es);
	}
	/* what it prints loads into an equal model that compiles the same */
	text = print_str(&p);
	policy_init(&q);
	load_text(&q, NULL, text);
	assert_true(policy_equal(&p, &q));
	{
		struct entries e1, e2;
		size_t k;

		compile(&p.global, 1, family, &e1);
		compile(&q.global, 1, family, &e2);
		assert_int_equal(e1.n, e2.n);
		for (k = 0; k < e1.n; k++) {
			unsigned int j;

			assert_true(cidr_equal(&e1.e[k].pfx, &e2.e[k].pfx));
			assert_int_equal(e1.e[k].chain.n, e2.e[k].chain.n);
			for (j = 0; j < e1.e[k].chain.n; j++)
				assert_true(same_rule(policy_rule(&p, e1.e[k].chain.rule[j]),
						      policy_rule(&q, e2.e[k].chain.rule[j])));
		}
		entries_free(&e1);
		entries_free(&e2);
	}
	free(text);
	policy_free(&q);
	policy_free(&p);
}

static void test_brute_force(void **state)
{
	unsigned int round, nadd = 0, nfull = 0, nlookups = 0;

	rnd_state = 0x9e3779b97f4a7c15ULL;
	for (round = 0; round < 12; round++)
		brute_force_family(round % 2 ? XLB_FAMILY_V6 : XLB_FAMILY_V4, round, &nadd, &nfull,
				   &nlookups);
	print_message("# brute force: %u rules added, %u refused as too long, %u lookups "
		      "matched the naive chains\n",
		      nadd, nfull, nlookups);
	assert_true(nfull > 0);
	assert_true(nlookups > 10000);
}

/* ---- ids, copies, round trips ---- */

static void test_id_reuse(void **state)
{
	struct policy p;
	uint32_t id;

	policy_init(&p);
	ok(&p, NULL, "policy add allow 10.0.0.0/8");
	ok(&p, NULL, "policy add allow 11.0.0.0/8");
	ok(&p, NULL, "policy add allow 12.0.0.0/8");
	assert_int_equal(p.global.head, 0);
	ok(&p, NULL, "policy del 11.0.0.0/8");
	assert_null(policy_rule(&p, 1));
	ok(&p, NULL, "policy add allow 13.0.0.0/8");
	assert_non_null(policy_rule(&p, 1)); /* the freed id, reused */
	assert_int_equal(p.rule[1].cidr.addr[0], htonl(0x0d000000));
	assert_true(p.rule[1].seq > p.rule[2].seq); /* but a new seq */
	ok(&p, NULL, "policy add allow 14.0.0.0/8");
	assert_non_null(policy_rule(&p, 3));
	assert_null(policy_rule(&p, 4));
	assert_null(policy_rule(&p, 100000));
	/* list order is insertion order, not id order */
	id = p.global.head;
	assert_int_equal(id, 0);
	id = p.rule[id].next;
	assert_int_equal(id, 2);
	id = p.rule[id].next;
	assert_int_equal(id, 1);
	id = p.rule[id].next;
	assert_int_equal(id, 3);
	assert_int_equal(p.rule[id].next, POL_NONE);
	ok(&p, NULL, "policy flush");
	assert_int_equal(p.nrules, 0);
	assert_int_equal(p.nprefix[0], 0);
	ok(&p, NULL, "policy add allow 15.0.0.0/8");
	assert_true(p.global.head < 4);
	policy_free(&p);
}

static void test_print_load(void **state)
{
	struct config cfg;
	struct policy p, q, c;
	char *t1, *t2;

	make_config(&cfg);
	policy_init(&p);
	ok(&p, &cfg, "policy default deny");
	ok(&p, &cfg, "policy add allow 10.0.0.0/8 except 10.1.0.0/16 proto tcp ports 80,443");
	ok(&p, &cfg, "policy add deny 2001:db8::/32 except 2001:db8:ff::/48,2001:db8:1::/48");
	ok(&p, &cfg, "ratelimit set pps 1000 burst 10 prefix-len 24 prefix-len6 48");
	ok(&p, &cfg, "ratelimit set vip " V6 " new-flows 50");
	ok(&p, &cfg, "policy add vip " V4 " deny 198.51.100.0/24 proto icmp");
	ok(&p, &cfg, "ratelimit set vip " V4 " ceiling 10000 ceiling-burst 100");
	ok(&p, &cfg, "ratelimit set vip " V6 " new-flows-burst 5 prefix-len6 56");
	ok(&p, &cfg, "policy default vip " V6 " deny");
	t1 = print_str(&p);
	assert_string_equal(
		t1, "policy default deny\n"
		    "policy add allow 10.0.0.0/8 except 10.1.0.0/16 proto tcp ports 80,443\n"
		    "policy add deny 2001:db8::/32 except 2001:db8:1::/48,2001:db8:ff::/48\n"
		    "ratelimit set pps 1000 burst 10 prefix-len 24 prefix-len6 48\n"
		    "policy default vip " V6 " deny\n"
		    "ratelimit set vip " V6 " new-flows 50 new-flows-burst 5 prefix-len6 56\n"
		    "policy add vip " V4 " deny 198.51.100.0/24 proto icmp\n"
		    "ratelimit set vip " V4 " ceiling 10000 ceiling-burst 100\n");
	policy_init(&q);
	load_text(&q, &cfg, t1);
	assert_true(policy_equal(&p, &q));
	t2 = print_str(&q);
	assert_string_equal(t1, t2);
	/* a copy is equal and independent */
	assert_int_equal(policy_copy(&c, &p), 0);
	assert_true(policy_equal(&p, &c));
	ok(&c, &cfg, "policy del 10.0.0.0/8 proto tcp ports 80,443");
	assert_false(policy_equal(&p, &c));
	assert_int_equal(p.nrules, 3);
	ok(&q, &cfg, "ratelimit set pps 1001");
	assert_false(policy_equal(&p, &q));
	policy_free(&c);
	free(t1);
	free(t2);
	policy_free(&q);
	policy_free(&p);
	config_free(&cfg);
}

static void test_drop_vip(void **state)
{
	struct config cfg;
	struct policy p;
	struct xlb_vip_key k;
	uint64_t gen;

	make_config(&cfg);
	policy_init(&p);
	ok(&p, &cfg, "policy add vip " V4 " deny 10.0.0.0/8 except 10.1.0.0/16");
	ok(&p, &cfg, "policy add vip " V4 " deny 11.0.0.0/8");
	ok(&p, &cfg, "policy add allow 12.0.0.0/8");
	ok(&p, &cfg, "ratelimit set vip " V4 " pps 5");
	assert_int_equal(parse_vip(V4, &k, err, sizeof(err)), 0);
	assert_non_null(policy_scope(&p, &k));
	gen = p.gen;
	assert_true(policy_drop_vip(&p, &k));
	assert_true(p.gen > gen);
	assert_null(policy_scope(&p, &k));
	assert_int_equal(p.nvip, 0);
	assert_int_equal(p.nrules, 1);
	assert_int_equal(p.nprefix[0], 1);
	assert_false(policy_drop_vip(&p, &k));
	assert_false(policy_drop_vip(&p, NULL));
	/* the freed ids are reused */
	ok(&p, &cfg, "policy add vip " V4 " deny 13.0.0.0/8");
	assert_true(p.vip[0]->head < 2);
	policy_free(&p);
	config_free(&cfg);
}

/* ---- values ---- */

static void test_values(void **state)
{
	struct config cfg;
	struct policy p;
	struct xlb_rl_cfg rl;
	struct xlb_pol_rule rv;
	struct xlb_pol_scope sv;
	struct xlb_vip_key k;

	make_config(&cfg);
	policy_init(&p);
	policy_rl_value(NULL, &rl);
	assert_int_equal(rl.pps_interval_ns, 0);
	assert_int_equal(rl.prefix4, 32);
	assert_int_equal(rl.prefix6, 64);
	policy_scope_value(NULL, &sv);
	assert_int_equal(sv.flags, 0);
	assert_int_equal(sv.dflt, XLB_POL_ALLOW);

	ok(&p, &cfg, "ratelimit set pps 1000");
	policy_rl_value(&p.global, &rl);
	assert_int_equal(rl.pps_interval_ns, 1000000);
	assert_int_equal(rl.pps_tolerance_ns, 999ULL * 1000000); /* burst = rate */
	assert_int_equal(rl.nf_interval_ns, 0);
	ok(&p, &cfg, "ratelimit set burst 1 new-flows 3 prefix-len 24");
	policy_rl_value(&p.global, &rl);
	assert_int_equal(rl.pps_interval_ns, 1000000);
	assert_int_equal(rl.pps_tolerance_ns, 0);
	assert_int_equal(rl.nf_interval_ns, 333333333); /* 1e9 / 3, rounded */
	assert_int_equal(rl.nf_tolerance_ns, 2ULL * 333333333);
	assert_int_equal(rl.prefix4, 24);
	ok(&p, &cfg, "ratelimit set vip " V4 " ceiling 1000000000 new-flows 2 new-flows-burst 10");
	assert_int_equal(parse_vip(V4, &k, err, sizeof(err)), 0);
	policy_rl_value(policy_scope(&p, &k), &rl);
	assert_int_equal(rl.ceil_interval_ns, 1);
	assert_int_equal(rl.ceil_tolerance_ns, 999999999ULL);
	assert_int_equal(rl.nf_interval_ns, 500000000);
	assert_int_equal(rl.nf_tolerance_ns, 9ULL * 500000000);
	assert_int_equal(rl.pps_interval_ns, 0);
	ok(&p, &cfg, "ratelimit set vip " V4 " pps 3000000");
	policy_rl_value(policy_scope(&p, &k), &rl);
	assert_int_equal(rl.pps_interval_ns, 333); /* 333.3 rounded */
	ok(&p, &cfg, "ratelimit set vip " V4 " pps 400000000");
	policy_rl_value(policy_scope(&p, &k), &rl);
	assert_int_equal(rl.pps_interval_ns, 3); /* 2.5 rounds up */
	ok(&p, &cfg, "ratelimit set vip " V4 " pps 1000000000 burst 1000000000");
	policy_rl_value(policy_scope(&p, &k), &rl);
	assert_int_equal(rl.pps_interval_ns, 1);
	assert_int_equal(rl.pps_tolerance_ns, 999999999ULL);
	ok(&p, &cfg, "ratelimit set vip " V4 " pps 7 burst 1000000000");
	policy_rl_value(policy_scope(&p, &k), &rl);
	assert_int_equal(rl.pps_interval_ns, 142857143);
	assert_int_equal(rl.pps_tolerance_ns, 999999999ULL * 142857143);

	ok(&p, &cfg, "policy add vip " V6 " allow ::/0 proto icmp");
	ok(&p, &cfg, "policy add deny 10.0.0.0/8 proto icmp");
	ok(&p, &cfg, "policy add deny 10.0.0.0/8 ports 1-2,4");
	policy_rule_value(policy_rule(&p, 0), &rv);
	assert_int_equal(rv.action, XLB_POL_ALLOW);
	assert_int_equal(rv.proto, IPPROTO_ICMPV6);
	policy_rule_value(policy_rule(&p, 1), &rv);
	assert_int_equal(rv.action, XLB_POL_DENY);
	assert_int_equal(rv.proto, IPPROTO_ICMP);
	assert_int_equal(rv.nports, 0);
	policy_rule_value(policy_rule(&p, 2), &rv);
	assert_int_equal(rv.proto, 0);
	assert_int_equal(rv.nports, 2);
	assert_int_equal(rv.ports[0].lo, 1);
	assert_int_equal(rv.ports[0].hi, 2);
	assert_int_equal(rv.ports[1].lo, 4);
	assert_int_equal(rv.ports[1].hi, 4);
	policy_scope_value(&p.global, &sv);
	assert_int_equal(sv.flags, XLB_POL_SCOPE_F_RULES);
	assert_int_equal(sv.dflt, XLB_POL_ALLOW);
	ok(&p, &cfg, "policy default vip " V4 " deny");
	policy_scope_value(policy_scope(&p, &k), &sv);
	assert_int_equal(sv.flags, 0);
	assert_int_equal(sv.dflt, XLB_POL_DENY);
	policy_free(&p);
	config_free(&cfg);
}

/* ---- scale ---- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int null_emit(void *arg, const char *line)
{
	(*(size_t *)arg) += strlen(line) + 1;
	return 0;
}

/* 100,000 random prefixes, applied as `lbctl batch` lines would be (split,
 * parse, apply), then compiled and printed. Times are printed, not asserted. */
static void test_scale(void **state)
{
	const unsigned int want = 100000;
	double t0, t_apply, t_compile, t_print, t_del;
	char line[128];
	struct policy p;
	size_t n = 0, bytes = 0;
	unsigned int added = 0, tries = 0;
	int ret;

	policy_init(&p);
	rnd_state = 42;
	t0 = now_ms();
	while (added < want) {
		uint32_t a = rnd() | 0x01000000;
		unsigned int plen = 8 + rnd() % 25;

		snprintf(line, sizeof(line), "policy add %s %u.%u.%u.%u/%u",
			 rnd() % 4 ? "deny" : "allow", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
			 a & 255, plen);
		ret = apply_line(&p, NULL, line);
		if (ret && ret != -EEXIST && ret != -ENOSPC)
			fail_msg("'%s': %d %s", line, ret, err);
		added += !ret;
		tries++;
	}
	t_apply = now_ms() - t0;
	t0 = now_ms();
	assert_int_equal(policy_compile(&p.global, XLB_POL_SCOPE_GLOBAL, XLB_FAMILY_V4, count_cb,
					&n, err, sizeof(err)),
			 0);
	t_compile = now_ms() - t0;
	assert_int_equal(n, p.global.trie[0].nprefix);
	assert_true(n >= want);
	t0 = now_ms();
	assert_int_equal(policy_print(&p, null_emit, &bytes), 0);
	t_print = now_ms() - t0;
	t0 = now_ms();
	ok(&p, NULL, "policy flush");
	t_del = now_ms() - t0;
	assert_int_equal(p.nprefix[0], 0);
	print_message("# %u prefixes (%u lines): apply %.0f ms, compile %.1f ms (%zu entries), "
		      "print %.0f ms (%zu bytes), flush %.1f ms\n",
		      want, tries, t_apply, t_compile, n, t_print, bytes, t_del);
	policy_free(&p);

	/* IPv6, with except blocks: compile only */
	policy_init(&p);
	added = 0;
	while (added < want / 2) {
		unsigned int x = rnd() & 0xffff, y = rnd() & 0xffff;

		snprintf(line, sizeof(line),
			 "policy add deny 2001:db8:%x:%x::/64 except 2001:db8:%x:%x::%x:0/112", x,
			 y, x, y, rnd() & 0xffff);
		ret = apply_line(&p, NULL, line);
		if (ret && ret != -EEXIST)
			fail_msg("'%s': %d %s", line, ret, err);
		added += !ret;
	}
	n = 0;
	t0 = now_ms();
	assert_int_equal(policy_compile(&p.global, XLB_POL_SCOPE_GLOBAL, XLB_FAMILY_V6, count_cb,
					&n, err, sizeof(err)),
			 0);
	t_compile = now_ms() - t0;
	assert_int_equal(n, 2 * (size_t)(want / 2));
	print_message("# %u IPv6 rules with an except block each: compile %.1f ms (%zu entries)\n",
		      want / 2, t_compile, n);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),	     cmocka_unit_test(test_add_del_basic),
		cmocka_unit_test(test_validation),   cmocka_unit_test(test_validation_raw),
		cmocka_unit_test(test_k8s_examples), cmocka_unit_test(test_chain_order),
		cmocka_unit_test(test_ipv6),	     cmocka_unit_test(test_chain_overflow),
		cmocka_unit_test(test_brute_force),  cmocka_unit_test(test_id_reuse),
		cmocka_unit_test(test_print_load),   cmocka_unit_test(test_drop_vip),
		cmocka_unit_test(test_values),	     cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
