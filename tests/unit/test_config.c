// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of the config model: every verb's effect, dirty flags, rejected
 * inputs (grammar and semantic) with their codes and messages, print/load round
 * trips, atomicity on error, deep copy and limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/model/config.h"
#include "common/parse.h"

#define ERRLEN 512

/* ---- helpers ---- */

struct strbuf {
	char *s;
	size_t len;
	int lines;
	int fail_at; /* emit returns -EIO on this line (1-based); 0 = never */
};

static int emit_cb(void *arg, const char *line)
{
	struct strbuf *sb = arg;
	size_t n = strlen(line);
	char *p;

	sb->lines++;
	if (sb->fail_at && sb->lines == sb->fail_at)
		return -EIO;
	p = realloc(sb->s, sb->len + n + 2);
	assert_non_null(p);
	sb->s = p;
	memcpy(sb->s + sb->len, line, n);
	sb->len += n;
	sb->s[sb->len++] = '\n';
	sb->s[sb->len] = '\0';
	return 0;
}

/* The config as text; caller frees. Never NULL ("" for an empty config). */
static char *print_str(const struct config *c)
{
	struct strbuf sb = { 0 };

	assert_int_equal(config_print(c, emit_cb, &sb), 0);
	if (!sb.s)
		sb.s = strdup("");
	assert_non_null(sb.s);
	return sb.s;
}

static void load_ok(struct config *c, const char *text)
{
	char err[ERRLEN] = "";
	int ret = config_load_text(c, text, err, sizeof(err));

	if (ret)
		print_message("# unexpected error %d: %s\n", ret, err);
	assert_int_equal(ret, 0);
}

/* One line through split, parse and apply, as lbd does for a socket request. */
static int apply_line(struct config *c, const char *line, char *err, size_t errlen)
{
	char buf[GR_LINE_MAX], *argv[GR_MAX_WORDS];
	struct gr_cmd cmd;
	int argc, ret;

	snprintf(buf, sizeof(buf), "%s", line);
	ret = grammar_split(buf, argv, GR_MAX_WORDS, &argc, err, errlen);
	if (ret)
		return ret;
	ret = grammar_parse(argc, argv, &cmd, err, errlen);
	if (ret)
		return ret;
	return config_apply(c, &cmd, err, errlen);
}

static void apply_ok(struct config *c, const char *line)
{
	char err[ERRLEN] = "";
	int ret = apply_line(c, line, err, sizeof(err));

	if (ret)
		print_message("# '%s': unexpected error %d: %s\n", line, ret, err);
	assert_int_equal(ret, 0);
}

static struct xlb_vip_key vkey(const char *s)
{
	struct xlb_vip_key k;
	char err[ERRLEN];

	assert_int_equal(parse_vip(s, &k, err, sizeof(err)), 0);
	return k;
}

static struct xlb_addr baddr(const char *s)
{
	struct xlb_addr a;
	char err[ERRLEN];

	assert_int_equal(parse_addr(s, &a, err, sizeof(err)), 0);
	return a;
}

static struct cfg_vip *getvip(const struct config *c, const char *s)
{
	struct xlb_vip_key k = vkey(s);

	return config_vip(c, &k);
}

static struct cfg_backend *getbe(const struct config *c, const char *vip, const char *addr)
{
	struct cfg_vip *v = getvip(c, vip);
	struct xlb_addr a = baddr(addr);

	assert_non_null(v);
	return config_backend(v, &a);
}

static void clear_dirty(struct config *c)
{
	size_t i;

	for (i = 0; i < c->nvip; i++)
		c->vip[i].dirty = false;
}

#define V4 "192.0.2.10:80/tcp"
#define V6 "[2001:db8::10]:443/tcp"

/* ---- vip verbs ---- */

static void test_vip_add_defaults(void **state)
{
	struct config c;
	struct cfg_vip *v;

	config_init(&c);
	apply_ok(&c, "vip add " V4);
	assert_int_equal(c.nvip, 1);
	v = getvip(&c, V4);
	assert_non_null(v);
	assert_int_equal(v->opt.sched, CFG_DEF_SCHED);
	assert_int_equal(v->opt.encap, CFG_DEF_ENCAP);
	assert_int_equal(v->opt.hash, CFG_DEF_HASH);
	assert_int_equal(v->opt.ring_size, CFG_DEF_RING_SIZE);
	assert_int_equal(v->opt.udp_idle_ms, CFG_DEF_UDP_IDLE_MS);
	assert_int_equal(v->opt.mtu, CFG_DEF_MTU);
	assert_int_equal(v->opt.check, CFG_DEF_CHECK);
	assert_string_equal(v->opt.path, CFG_DEF_PATH);
	assert_int_equal(v->opt.interval_ms, CFG_DEF_INTERVAL_MS);
	assert_int_equal(v->opt.timeout_ms, CFG_DEF_TIMEOUT_MS);
	assert_int_equal(v->opt.rise, CFG_DEF_RISE);
	assert_int_equal(v->opt.fall, CFG_DEF_FALL);
	assert_int_equal(v->opt.eject_ms, 30000);
	assert_int_equal(v->opt.max_eject_ms, 300000);
	assert_int_equal(v->opt.half_open_flows, 3);
	assert_int_equal(v->opt.panic_pct, 50);
	assert_int_equal(v->opt.max_eject_pct, 50);
	assert_int_equal(v->opt.check_via, GR_VIA_DIRECT);
	assert_int_equal(v->opt.nexpect, 1);
	assert_int_equal(v->opt.expect[0].lo, 200);
	assert_int_equal(v->opt.expect[0].hi, 299);
	assert_string_equal(v->opt.send, "");
	assert_string_equal(v->opt.receive, "");
	assert_int_equal(v->vip_id, UINT32_MAX);
	assert_true(v->dirty);
	assert_int_equal(v->nbe, 0);
	assert_int_equal(v->key.port, htons(80));
	/* same address, other port or protocol: other VIPs */
	assert_null(getvip(&c, "192.0.2.10:81/tcp"));
	assert_null(getvip(&c, "192.0.2.10:80/udp"));
	config_free(&c);
	assert_int_equal(c.nvip, 0);
	assert_null(c.vip);
}

static void test_vip_add_options(void **state)
{
	struct config c;
	struct cfg_vip *v;

	config_init(&c);
	apply_ok(&c, "vip add " V6 " sched wrr encap gue hash src ring-size 251 udp-idle 2m "
		     "mtu 1400 check http path /healthz interval 5s timeout 1500ms rise 4 fall 6");
	apply_ok(&c, "vip add 192.0.2.11:0/udp sched maglev encap l2");
	assert_int_equal(c.nvip, 2);
	v = getvip(&c, V6);
	assert_non_null(v);
	assert_ptr_equal(v, &c.vip[0]);
	assert_int_equal(v->opt.sched, GR_SCHED_WRR);
	assert_int_equal(v->opt.encap, XLB_ENCAP_GUE);
	assert_int_equal(v->opt.hash, GR_HASH_SRC);
	assert_int_equal(v->opt.ring_size, 251);
	assert_int_equal(v->opt.udp_idle_ms, 120000);
	assert_int_equal(v->opt.mtu, 1400);
	assert_int_equal(v->opt.check, GR_CHECK_HTTP);
	assert_string_equal(v->opt.path, "/healthz");
	assert_int_equal(v->opt.interval_ms, 5000);
	assert_int_equal(v->opt.timeout_ms, 1500);
	assert_int_equal(v->opt.rise, 4);
	assert_int_equal(v->opt.fall, 6);
	v = getvip(&c, "192.0.2.11:0/udp");
	assert_non_null(v);
	assert_ptr_equal(v, &c.vip[1]);
	assert_int_equal(v->opt.sched, GR_SCHED_MAGLEV);
	assert_int_equal(v->opt.encap, XLB_ENCAP_L2);
	assert_int_equal(v->opt.ring_size, CFG_DEF_RING_SIZE);
	config_free(&c);
}

static void test_vip_set(void **state)
{
	struct config c;
	struct cfg_vip *v;

	config_init(&c);
	apply_ok(&c, "vip add " V4 " check http path /x mtu 1400");
	clear_dirty(&c);
	/* options not given stay as they were */
	apply_ok(&c, "vip set " V4 " hash src interval 10s");
	v = getvip(&c, V4);
	assert_int_equal(v->opt.hash, GR_HASH_SRC);
	assert_int_equal(v->opt.interval_ms, 10000);
	assert_int_equal(v->opt.mtu, 1400);
	assert_string_equal(v->opt.path, "/x");
	assert_int_equal(v->opt.check, GR_CHECK_HTTP);
	assert_false(v->dirty); /* the ring does not depend on these */
	/* a new ring size means a new ring */
	apply_ok(&c, "vip set " V4 " ring-size 65521");
	assert_int_equal(v->opt.ring_size, 65521);
	assert_true(v->dirty);
	clear_dirty(&c);
	apply_ok(&c, "vip set " V4 " sched wrr");
	assert_int_equal(v->opt.sched, GR_SCHED_WRR);
	assert_true(v->dirty);
	/* leaving http drops the path, so the config stays printable */
	apply_ok(&c, "vip set " V4 " check tcp");
	assert_int_equal(v->opt.check, GR_CHECK_TCP);
	assert_string_equal(v->opt.path, CFG_DEF_PATH);
	/* timeout below interval may be reached by changing both at once */
	apply_ok(&c, "vip set " V4 " interval 500ms timeout 200ms");
	assert_int_equal(v->opt.interval_ms, 500);
	assert_int_equal(v->opt.timeout_ms, 200);
	/* a check may take the whole interval (HAProxy's default) */
	apply_ok(&c, "vip set " V4 " timeout 500ms");
	assert_int_equal(v->opt.timeout_ms, 500);
	apply_ok(&c, "vip set " V4 " interval 200ms timeout 200ms");
	assert_int_equal(v->opt.interval_ms, 200);
	assert_int_equal(v->opt.timeout_ms, 200);
	apply_ok(&c, "vip set " V4 " interval 500ms timeout 200ms");
	apply_ok(&c, "vip add 192.0.2.12:80/tcp timeout 2s"); /* the default interval */
	/* leaving http drops expect, leaving udp drops send and receive */
	apply_ok(&c, "vip set " V4 " check http expect 200-204,301");
	assert_int_equal(v->opt.nexpect, 2);
	apply_ok(&c, "vip set " V4 " check udp send ping receive pong");
	assert_int_equal(v->opt.nexpect, 1);
	assert_int_equal(v->opt.expect[0].lo, CFG_DEF_EXPECT_LO);
	assert_int_equal(v->opt.expect[0].hi, CFG_DEF_EXPECT_HI);
	assert_string_equal(v->opt.send, "ping");
	assert_string_equal(v->opt.receive, "pong");
	apply_ok(&c, "vip set " V4 " check udp");
	assert_string_equal(v->opt.send, "ping");
	apply_ok(&c, "vip set " V4 " check tcp");
	assert_string_equal(v->opt.send, "");
	assert_string_equal(v->opt.receive, "");
	/* eject-time above max-eject-time may be reached by changing both at once */
	apply_ok(&c, "vip set " V4 " eject-time 10m max-eject-time 60m");
	assert_int_equal(v->opt.eject_ms, 600000);
	assert_int_equal(v->opt.max_eject_ms, 3600000);
	apply_ok(&c, "vip set " V4 " half-open-flows 10 panic 0 max-eject 100 check-via direct");
	assert_int_equal(v->opt.half_open_flows, 10);
	assert_int_equal(v->opt.panic_pct, 0);
	assert_int_equal(v->opt.max_eject_pct, 100);
	assert_int_equal(v->opt.check_via, GR_VIA_DIRECT);
	config_free(&c);
}

static void test_vip_del(void **state)
{
	struct config c;

	config_init(&c);
	load_ok(&c, "vip add 192.0.2.1:80/tcp\n"
		    "vip add 192.0.2.2:80/tcp\n"
		    "backend add 192.0.2.2:80/tcp 10.0.0.1\n"
		    "backend add 192.0.2.2:80/tcp 10.0.0.2\n"
		    "vip add 192.0.2.3:80/tcp\n");
	apply_ok(&c, "vip del 192.0.2.2:80/tcp");
	assert_int_equal(c.nvip, 2);
	assert_null(getvip(&c, "192.0.2.2:80/tcp"));
	/* order of the others kept */
	assert_ptr_equal(getvip(&c, "192.0.2.1:80/tcp"), &c.vip[0]);
	assert_ptr_equal(getvip(&c, "192.0.2.3:80/tcp"), &c.vip[1]);
	/* re-added: no backends come back */
	apply_ok(&c, "vip add 192.0.2.2:80/tcp");
	assert_int_equal(getvip(&c, "192.0.2.2:80/tcp")->nbe, 0);
	apply_ok(&c, "vip delete 192.0.2.1:80/tcp");
	apply_ok(&c, "vip del 192.0.2.3:80/tcp");
	apply_ok(&c, "vip del 192.0.2.2:80/tcp");
	assert_int_equal(c.nvip, 0);
	config_free(&c);
}

/* ---- backend verbs ---- */

static void test_backend_add(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x0a };
	struct config c;
	struct cfg_vip *v;
	struct cfg_backend *b;

	config_init(&c);
	apply_ok(&c, "vip add " V4);
	clear_dirty(&c);
	apply_ok(&c, "backend add " V4 " 10.1.0.5");
	v = getvip(&c, V4);
	assert_true(v->dirty);
	apply_ok(&c, "backend add " V4 " 10.1.0.6 weight 7 port 8080 mac 02:00:00:00:00:0A");
	apply_ok(&c, "backend add " V4 " 2001:db8::5 weight 65535");
	assert_int_equal(v->nbe, 3);
	/* appending keeps order */
	assert_ptr_equal(getbe(&c, V4, "10.1.0.5"), &v->be[0]);
	assert_ptr_equal(getbe(&c, V4, "10.1.0.6"), &v->be[1]);
	assert_ptr_equal(getbe(&c, V4, "2001:db8::5"), &v->be[2]);
	b = &v->be[0];
	assert_int_equal(b->weight, CFG_DEF_WEIGHT);
	assert_int_equal(b->port, 0);
	assert_false(b->has_mac);
	assert_false(b->draining);
	assert_int_equal(b->slot, 0);
	b = &v->be[1];
	assert_int_equal(b->weight, 7);
	assert_int_equal(b->port, 8080);
	assert_true(b->has_mac);
	assert_memory_equal(b->mac, mac, 6);
	assert_int_equal(v->be[2].weight, 65535);
	assert_int_equal(v->be[2].addr.family, XLB_FAMILY_V6);
	assert_null(getbe(&c, V4, "10.1.0.7"));
	/* l2 with the VIP's family is fine */
	apply_ok(&c, "vip add " V6 " encap l2");
	apply_ok(&c, "backend add " V6 " 2001:db8::20 mac 02:00:00:00:00:01");
	config_free(&c);
}

static void test_backend_set(void **state)
{
	struct config c;
	struct cfg_vip *v;
	struct cfg_backend *b;

	config_init(&c);
	load_ok(&c, "vip add " V4 "\nbackend add " V4 " 10.1.0.5\nbackend add " V4 " 10.1.0.6\n");
	v = getvip(&c, V4);
	b = getbe(&c, V4, "10.1.0.6");
	clear_dirty(&c);
	apply_ok(&c, "backend set " V4 " 10.1.0.6 weight 100"); /* same weight */
	assert_false(v->dirty);
	apply_ok(&c, "backend set " V4 " 10.1.0.6 weight 30");
	assert_int_equal(b->weight, 30);
	assert_true(v->dirty);
	clear_dirty(&c);
	apply_ok(&c, "backend set " V4 " 10.1.0.6 port 9000 mac 02:aa:bb:cc:dd:ee");
	assert_int_equal(b->port, 9000);
	assert_true(b->has_mac);
	assert_int_equal(b->mac[5], 0xee);
	assert_int_equal(b->weight, 30); /* not given: kept */
	assert_false(v->dirty);		 /* the ring holds slots, not ports or MACs */
	assert_int_equal(v->be[0].weight, CFG_DEF_WEIGHT);
	config_free(&c);
}

static void test_backend_drain_enable(void **state)
{
	struct config c;
	struct cfg_vip *v;
	struct cfg_backend *b;

	config_init(&c);
	load_ok(&c, "vip add " V4 "\nbackend add " V4 " 10.1.0.5 weight 3\n");
	v = getvip(&c, V4);
	b = getbe(&c, V4, "10.1.0.5");
	clear_dirty(&c);
	apply_ok(&c, "backend drain " V4 " 10.1.0.5");
	assert_true(b->draining);
	assert_true(v->dirty);
	assert_int_equal(b->weight, 3); /* the weight survives draining */
	clear_dirty(&c);
	apply_ok(&c, "backend drain " V4 " 10.1.0.5"); /* no change */
	assert_true(b->draining);
	assert_false(v->dirty);
	apply_ok(&c, "backend enable " V4 " 10.1.0.5");
	assert_false(b->draining);
	assert_true(v->dirty);
	clear_dirty(&c);
	apply_ok(&c, "backend enable " V4 " 10.1.0.5");
	assert_false(v->dirty);
	config_free(&c);
}

static void test_backend_del(void **state)
{
	struct config c;
	struct cfg_vip *v;

	config_init(&c);
	load_ok(&c, "vip add " V4 "\n"
		    "backend add " V4 " 10.1.0.1\n"
		    "backend add " V4 " 10.1.0.2\n"
		    "backend add " V4 " 10.1.0.3\n");
	v = getvip(&c, V4);
	clear_dirty(&c);
	apply_ok(&c, "backend del " V4 " 10.1.0.2");
	assert_true(v->dirty);
	assert_int_equal(v->nbe, 2);
	assert_null(getbe(&c, V4, "10.1.0.2"));
	assert_ptr_equal(getbe(&c, V4, "10.1.0.1"), &v->be[0]);
	assert_ptr_equal(getbe(&c, V4, "10.1.0.3"), &v->be[1]);
	apply_ok(&c, "backend delete " V4 " 10.1.0.1");
	apply_ok(&c, "backend del " V4 " 10.1.0.3");
	assert_int_equal(v->nbe, 0);
	apply_ok(&c, "backend add " V4 " 10.1.0.2");
	assert_int_equal(v->nbe, 1);
	config_free(&c);
}

static void test_query_not_supported(void **state)
{
	static const char *const q[] = { "show",	 "vip show",
					 "vip list " V4, "backend show",
					 "stats show",	 "vip help",
					 "backend help", "flow lookup " V4 " 198.51.100.1" };
	char err[ERRLEN];
	struct config c;
	size_t i;

	config_init(&c);
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		err[0] = '\0';
		assert_int_equal(apply_line(&c, q[i], err, sizeof(err)), -EOPNOTSUPP);
		assert_non_null(strstr(err, "does not change"));
	}
	assert_int_equal(c.nvip, 0);
	config_free(&c);
}

/* ---- invalid inputs through config_load_text ---- */

/* Lines 1-8. The bad line follows after 0-2 blank lines, so its number varies. */
static const char base_text[] = "# base config\n"
				"vip add " V4 "\n"
				"backend add " V4 " 10.1.0.5\n"
				"vip add " V6 " encap l2\n"
				"vip add 192.0.2.20:53/udp ring-size 3\n"
				"backend add 192.0.2.20:53/udp 10.2.0.1\n"
				"backend add 192.0.2.20:53/udp 10.2.0.2\n"
				"backend add 192.0.2.20:53/udp 2001:db8::2\n";
#define BASE_LINES 8

struct bad {
	const char *line;
	int code;
	const char *token; /* must appear in the message */
};

static const struct bad bad_inputs[] = {
	/* grammar: words, objects, verbs, positionals */
	{ "vip add", -EINVAL, "VIP" },
	{ "vips add " V4, -EINVAL, "vips" },
	{ "vip create " V4, -EINVAL, "create" },
	{ "vip add 192.0.2.300:80/tcp", -EINVAL, "192.0.2.300" },
	{ "vip add 192.0.2.11:80/sctp", -EINVAL, "sctp" },
	{ "vip add 192.0.2.11:70000/tcp", -EINVAL, "70000" },
	{ "vip add 2001:db8::1:80/tcp", -EINVAL, "2001:db8::1:80/tcp" },
	{ "vip del " V4 " extra", -EINVAL, "extra" },
	{ "vip add 192.0.2.11:80/tcp check http path \"/a", -EINVAL, "/a" },
	{ "backend add " V4, -EINVAL, "ADDR" },
	{ "backend add " V4 " 10.1.0.300", -EINVAL, "10.1.0.300" },
	{ "backend add " V4 " ::ffff:10.1.0.9", -EINVAL, "::ffff:10.1.0.9" },
	/* grammar: keywords and values */
	{ "vip add 192.0.2.11:80/tcp sched rr", -EINVAL, "rr" },
	{ "vip add 192.0.2.11:80/tcp encap vxlan", -EINVAL, "vxlan" },
	{ "vip add 192.0.2.11:80/tcp hash dst", -EINVAL, "dst" },
	{ "vip add 192.0.2.11:80/tcp ring-size abc", -EINVAL, "abc" },
	{ "vip add 192.0.2.11:80/tcp ring-size 0", -EINVAL, "ring-size" },
	{ "vip add 192.0.2.11:80/tcp ring-size 2000003", -EINVAL, "2000003" },
	{ "vip add 192.0.2.11:80/tcp udp-idle 5h", -EINVAL, "5h" },
	{ "vip add 192.0.2.11:80/tcp udp-idle 0", -EINVAL, "udp-idle" },
	{ "vip add 192.0.2.11:80/tcp mtu 100", -EINVAL, "100" },
	{ "vip add 192.0.2.11:80/tcp mtu 10000", -EINVAL, "10000" },
	{ "vip add 192.0.2.11:80/tcp check icmp", -EINVAL, "icmp" },
	{ "vip add 192.0.2.11:80/tcp check http path health", -EINVAL, "health" },
	{ "vip add 192.0.2.11:80/tcp interval -1", -EINVAL, "-1" },
	{ "vip add 192.0.2.11:80/tcp timeout 10x", -EINVAL, "10x" },
	{ "vip add 192.0.2.11:80/tcp rise 0", -EINVAL, "rise" },
	{ "vip add 192.0.2.11:80/tcp fall 101", -EINVAL, "101" },
	{ "vip add 192.0.2.11:80/tcp weigth 100", -EINVAL, "weigth" },
	{ "vip add 192.0.2.11:80/tcp sched maglev sched wrr", -EINVAL, "sched" },
	{ "vip add 192.0.2.11:80/tcp mtu", -EINVAL, "mtu" },
	{ "vip set " V4, -EINVAL, "vip set" },
	{ "backend add " V4 " 10.1.0.6 weight 0", -EINVAL, "weight" },
	{ "backend add " V4 " 10.1.0.6 weight 65536", -EINVAL, "65536" },
	{ "backend add " V4 " 10.1.0.6 port 0", -EINVAL, "port" },
	{ "backend add " V4 " 10.1.0.6 mac 01:00:5e:00:00:01", -EINVAL, "01:00:5e:00:00:01" },
	{ "backend add " V4 " 10.1.0.6 mac zz:00:00:00:00:01", -EINVAL, "zz:00:00:00:00:01" },
	{ "backend add " V4 " 10.1.0.6 sched maglev", -EINVAL, "sched" },
	{ "backend set " V4 " 10.1.0.5", -EINVAL, "backend set" },
	/* semantic: values that parse but do not fit the VIP */
	{ "vip add 192.0.2.11:80/tcp ring-size 65536", -EINVAL, "65536" },
	{ "vip add 192.0.2.11:80/tcp ring-size 1", -EINVAL, "ring-size '1'" },
	{ "vip add 192.0.2.11:80/tcp path /health", -EINVAL, "'path'" },
	{ "vip add 192.0.2.11:80/tcp check tcp path /health", -EINVAL, "'path'" },
	{ "vip set " V4 " path /x", -EINVAL, "'path'" },
	{ "vip add 192.0.2.11:80/tcp path /", -EINVAL, "'path'" }, /* even the default */
	{ "vip set " V4 " check tcp path /x", -EINVAL, "'path'" },
	{ "vip add 192.0.2.11:80/tcp timeout 2s interval 1s", -EINVAL,
	  "invalid timeout '2s': must be at most interval 1s" },
	{ "vip add 192.0.2.11:80/tcp timeout 2001ms", -EINVAL,
	  "invalid timeout '2001ms': must be at most interval 2s" },
	{ "vip set " V4 " timeout 3s", -EINVAL, "3s" },
	{ "vip set " V4 " interval 500ms", -EINVAL,
	  "invalid interval '500ms': must be at least timeout 1s" },
	{ "vip add [2001:db8::11]:80/tcp mtu 1000", -EINVAL, "1000" },
	{ "vip set " V6 " mtu 1279", -EINVAL, "1279" },
	{ "backend add " V6 " 10.1.0.9", -EINVAL, "10.1.0.9" },
	{ "vip set 192.0.2.20:53/udp encap l2", -EINVAL, "2001:db8::2" },
	{ "vip set 192.0.2.20:53/udp ring-size 2", -EINVAL, "ring-size '2'" },
	/* semantic: breaker and check keywords */
	{ "vip add 192.0.2.11:80/tcp expect 200-399", -EINVAL, "'expect' needs 'check http'" },
	{ "vip add 192.0.2.11:80/tcp check tcp expect 200", -EINVAL, "'expect'" },
	{ "vip add 192.0.2.11:80/tcp check udp expect 200-299", -EINVAL, "'expect'" },
	{ "vip set " V4 " expect 204", -EINVAL, "'expect' needs 'check http'" },
	{ "vip add 192.0.2.11:80/udp check http send ping", -EINVAL, "'send' needs 'check udp'" },
	{ "vip add 192.0.2.11:80/udp receive pong", -EINVAL, "'receive' needs 'check udp'" },
	{ "vip set " V4 " check tcp send ping", -EINVAL, "'send'" },
	{ "vip add 192.0.2.11:80/tcp max-eject-time 10s", -EINVAL,
	  "invalid max-eject-time '10s': must be at least eject-time 30s" },
	{ "vip add 192.0.2.11:80/tcp eject-time 10m", -EINVAL,
	  "invalid eject-time '10m': must be at most max-eject-time 5m" },
	{ "vip add 192.0.2.11:80/tcp eject-time 1m max-eject-time 59s", -EINVAL,
	  "max-eject-time '59s'" },
	{ "vip set " V4 " max-eject-time 29999ms", -EINVAL, "max-eject-time '29999ms'" },
	{ "vip add 192.0.2.11:80/tcp check http check-via vip", -EINVAL,
	  "check-via vip works with check tcp only (vip 192.0.2.11:80/tcp has check http)" },
	{ "vip add 192.0.2.11:53/udp check-via vip check udp", -EINVAL,
	  "check-via vip works with check tcp only" },
	{ "vip set " V4 " check-via vip check http", -EINVAL, "check http" },
	{ "vip add 192.0.2.11:80/tcp check tcp check-via vip encap l2", -EINVAL,
	  "check-via vip needs encap ipip or gue (vip 192.0.2.11:80/tcp has encap l2)" },
	{ "vip set " V6 " check tcp check-via vip", -EINVAL,
	  "check-via vip needs encap ipip or gue" },
	{ "vip set 192.0.2.20:53/udp check tcp check-via vip", -EINVAL,
	  "check-via vip needs backends of the VIP's address family: backend 2001:db8::2 is IPv6" },
	{ "vip add 192.0.2.11:80/tcp check http expect 200-299,600", -EINVAL, "600" },
	{ "vip add 192.0.2.11:80/tcp check http expect 302-301", -EINVAL, "302-301" },
	{ "vip add 192.0.2.11:80/tcp check http expect 2xx", -EINVAL, "2xx" },
	{ "vip add 192.0.2.11:80/tcp check http expect 1,2,3,4,5,6,7,8,9", -EINVAL, "expect" },
	{ "vip add 192.0.2.11:80/tcp half-open-flows 1001", -EINVAL, "1001" },
	{ "vip add 192.0.2.11:80/tcp panic 101", -EINVAL, "panic '101'" },
	{ "vip add 192.0.2.11:80/tcp max-eject 200", -EINVAL, "max-eject '200'" },
	{ "vip add 192.0.2.11:53/udp check udp send \"a\"b\"", -EINVAL, "quote" },
	{ "vip add 192.0.2.11:80/tcp check-via backend", -EINVAL, "backend" },
	{ "vip add 192.0.2.11:80/tcp host example.org", -EINVAL, "'host' needs 'check http'" },
	{ "vip add 192.0.2.11:80/tcp open-flows drop", -EINVAL, "drop" },
	{ "vip add 192.0.2.11:80/tcp init-state maybe", -EINVAL, "maybe" },
	{ "vip add 192.0.2.11:80/tcp fail-ratio 101", -EINVAL, "101" },
	{ "vip add 192.0.2.11:80/tcp fail-window 65", -EINVAL, "65" },
	{ "vip add 192.0.2.11:80/tcp fail-window 5 fail-min 6", -EINVAL, "fail-min '6'" },
	{ "vip add 192.0.2.11:80/tcp syn-burst 100001", -EINVAL, "100001" },
	{ "vip add 192.0.2.11:80/tcp check-port 0", -EINVAL, "check-port" },
	{ "backend add " V4 " 10.9.9.9 check ping", -EINVAL, "ping" },
	{ "backend add " V4 " 10.9.9.9 host a", -EINVAL, "host" },
	/* limits */
	{ "backend add 192.0.2.20:53/udp 10.2.0.9", -ENOSPC, "10.2.0.9" },
	/* existence */
	{ "vip add " V4, -EEXIST, V4 },
	{ "vip add " V6 " mtu 1400", -EEXIST, V6 },
	{ "backend add " V4 " 10.1.0.5 weight 5", -EEXIST, "10.1.0.5" },
	{ "vip set 192.0.2.99:80/tcp mtu 1400", -ENOENT, "192.0.2.99:80/tcp" },
	{ "vip set 192.0.2.10:80/udp mtu 1400", -ENOENT, "192.0.2.10:80/udp" },
	{ "vip del 192.0.2.99:80/tcp", -ENOENT, "192.0.2.99:80/tcp" },
	{ "backend add 192.0.2.99:80/tcp 10.1.0.5", -ENOENT, "192.0.2.99:80/tcp" },
	{ "backend set 192.0.2.10:81/tcp 10.1.0.5 weight 5", -ENOENT, "192.0.2.10:81/tcp" },
	{ "backend set " V4 " 10.9.9.9 weight 5", -ENOENT, "10.9.9.9" },
	{ "backend drain " V4 " 10.9.9.9", -ENOENT, "10.9.9.9" },
	{ "backend enable " V4 " 10.9.9.9", -ENOENT, "10.9.9.9" },
	{ "backend del " V4 " 10.9.9.9", -ENOENT, "10.9.9.9" },
	{ "backend del " V6 " 10.1.0.5", -ENOENT, "10.1.0.5" },
	/* not config commands */
	{ "vip show", -EOPNOTSUPP, "vip show" },
	{ "stats show", -EOPNOTSUPP, "stats show" },
};

static void test_invalid_inputs(void **state)
{
	static const char keep[] = "vip add 198.51.100.1:80/tcp mtu 1400\n"
				   "backend add 198.51.100.1:80/tcp 10.0.0.1 weight 9\n";
	size_t nbad = sizeof(bad_inputs) / sizeof(bad_inputs[0]);
	char *before, *after, *text, want[32], err[ERRLEN];
	struct config c;
	size_t i;

	assert_true(nbad >= 62);
	config_init(&c);
	load_ok(&c, base_text); /* the base itself is valid */
	load_ok(&c, keep);
	before = print_str(&c);
	for (i = 0; i < nbad; i++) {
		const struct bad *b = &bad_inputs[i];
		int blanks = (int)(i % 3), line = BASE_LINES + blanks + 1, ret;

		text = malloc(sizeof(base_text) + strlen(b->line) + 8);
		assert_non_null(text);
		sprintf(text, "%s%s%s\n", base_text,
			blanks == 0 ? "" :
			blanks == 1 ? "\n" :
				      "  \n\n",
			b->line);
		err[0] = '\0';
		ret = config_load_text(&c, text, err, sizeof(err));
		snprintf(want, sizeof(want), "line %d: ", line);
		if (ret != b->code || strncmp(err, want, strlen(want)) != 0 ||
		    !strstr(err, b->token))
			print_message("# case %zu '%s': ret %d (want %d), err '%s' (want '%s' and "
				      "'%s')\n",
				      i, b->line, ret, b->code, err, want, b->token);
		assert_int_equal(ret, b->code);
		assert_int_equal(strncmp(err, want, strlen(want)), 0);
		assert_non_null(strstr(err, b->token));
		free(text);
		/* a bad file leaves the running config as it was */
		after = print_str(&c);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	config_free(&c);
}

static void test_error_line_number(void **state)
{
	char err[ERRLEN] = "";
	struct config c;

	config_init(&c);
	/* the bad line is in the middle; CRLF and comments count as lines */
	assert_int_equal(config_load_text(&c,
					  "# one\r\n"
					  "vip add " V4 " # trailing comment\r\n"
					  "\r\n"
					  "backend add " V4 " 10.1.0.5 weight 0\r\n"
					  "vip add " V6 "\r\n",
					  err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "line 4: "));
	assert_non_null(strstr(err, "'0'"));
	assert_int_equal(c.nvip, 0);
	/* the same file without the bad line loads */
	load_ok(&c, "# one\r\nvip add " V4 " # trailing comment\r\n\r\nvip add " V6 "\r\n");
	assert_int_equal(c.nvip, 2);
	/* a file that does not end in a newline */
	load_ok(&c, "vip add " V4 "\nbackend add " V4 " 10.1.0.5");
	assert_int_equal(c.nvip, 1);
	assert_int_equal(c.vip[0].nbe, 1);
	/* empty and comment-only files give an empty config */
	load_ok(&c, "");
	assert_int_equal(c.nvip, 0);
	load_ok(&c, "# nothing\n\n   \t\n");
	assert_int_equal(c.nvip, 0);
	config_free(&c);
}

/* ---- atomicity of config_apply ---- */

static void test_failed_apply_unchanged(void **state)
{
	static const char *const fails[] = {
		"vip add " V4,
		"vip set " V4 " ring-size 4",
		"vip set " V4 " check tcp path /x",
		"vip set " V4 " sched wrr timeout 9s", /* sched valid, timeout not */
		"vip set " V4 " encap l2",	       /* backend 2001:db8::5 */
		"vip set " V4 " ring-size 2",	       /* 3 backends */
		"backend add " V4 " 10.1.0.5",
		"backend add " V6 " 10.1.0.5",
		"backend set " V4 " 10.1.0.9 weight 1",
		"vip del 192.0.2.99:80/tcp",
	};
	char err[ERRLEN], *before, *after;
	struct config c;
	size_t i;

	config_init(&c);
	load_ok(&c, "vip add " V4 " check http path /p\n"
		    "backend add " V4 " 10.1.0.5 weight 5\n"
		    "backend add " V4 " 10.1.0.6\n"
		    "backend add " V4 " 2001:db8::5\n"
		    "vip add " V6 " encap l2\n");
	clear_dirty(&c);
	before = print_str(&c);
	for (i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(apply_line(&c, fails[i], err, sizeof(err)), 0);
		assert_true(err[0] != '\0');
		after = print_str(&c);
		assert_string_equal(before, after);
		free(after);
		assert_false(c.vip[0].dirty);
		assert_false(c.vip[1].dirty);
		assert_int_equal(c.vip[0].opt.sched, GR_SCHED_MAGLEV);
	}
	free(before);
	config_free(&c);
}

/* ---- printing and round trips ---- */

/* Canonical text: keywords in grammar order, non-defaults only. */
static const char canon[] =
	"vip add 192.0.2.10:80/tcp sched wrr encap gue hash src ring-size 251 udp-idle 2m "
	"mtu 1400 check http path \"/health check\" interval 5s timeout 1500ms rise 3 fall 5\n"
	"backend add 192.0.2.10:80/tcp 10.1.0.5 weight 50 port 8080 mac 02:00:00:00:00:01\n"
	"backend add 192.0.2.10:80/tcp 10.1.0.6\n"
	"backend add 192.0.2.10:80/tcp 2001:db8::6 weight 1\n"
	"backend drain 192.0.2.10:80/tcp 10.1.0.6\n"
	"backend drain 192.0.2.10:80/tcp 2001:db8::6\n"
	"vip add [2001:db8::10]:0/udp encap l2\n"
	"backend add [2001:db8::10]:0/udp 2001:db8::20 mac 02:00:00:00:00:02\n"
	"vip add 192.0.2.11:443/tcp\n"
	"vip add 192.0.2.12:443/tcp check tcp\n"
	"backend add 192.0.2.12:443/tcp 10.3.0.1 port 443\n"
	"vip add 192.0.2.13:80/tcp check http expect 200-204,301,500-599 eject-time 5s "
	"max-eject-time 1m half-open-flows 1 panic 0 max-eject 100\n"
	"vip add 192.0.2.13:53/udp check udp send \"ping #1\" receive pong\n"
	"vip add 192.0.2.14:53/udp check udp receive \"a b\" eject-time 5m\n"
	"vip add 192.0.2.15:80/tcp check http check-port 8080 host www.example.org "
	"fail-ratio 50 fail-window 8 fail-min 4 init-state up open-flows reselect syn-burst 0\n"
	"backend add 192.0.2.15:80/tcp 10.4.0.1 check tcp check-port 22\n"
	"backend add 192.0.2.15:80/tcp 10.4.0.2 check none\n";

static void test_print_canonical(void **state)
{
	struct config c;
	char *out;

	config_init(&c);
	load_ok(&c, canon);
	out = print_str(&c);
	assert_string_equal(out, canon);
	free(out);
	config_free(&c);
}

static void test_print_defaults_omitted(void **state)
{
	struct config c;
	char *out;

	config_init(&c);
	/* defaults given explicitly are not printed */
	load_ok(&c, "vip add " V4 " sched maglev encap ipip hash 5tuple ring-size 65537 "
		    "udp-idle 30s mtu 1500 check none interval 2s timeout 1s rise 2 fall 3 "
		    "check-via direct eject-time 30s max-eject-time 5m half-open-flows 3 "
		    "panic 50 max-eject 50\n"
		    "backend add " V4 " 10.1.0.5 weight 100\n"
		    "vip add " V6 " check http expect 200-250,251-299\n");
	out = print_str(&c);
	assert_string_equal(out, "vip add " V4 "\nbackend add " V4 " 10.1.0.5\n"
				 "vip add " V6 " check http\n");
	free(out);
	config_free(&c);
}

static void test_round_trip(void **state)
{
	struct config a, b;
	char *ta, *tb;
	size_t i, j;

	config_init(&a);
	config_init(&b);
	/* built through set verbs, so the text differs from what print gives */
	load_ok(&a, "vip add 192.0.2.10:80/tcp\n"
		    "vip set 192.0.2.10:80/tcp check http path /h ring-size 13 hash src\n"
		    "backend add 192.0.2.10:80/tcp 10.1.0.1 weight 10\n"
		    "backend add 192.0.2.10:80/tcp 10.1.0.2\n"
		    "backend add 192.0.2.10:80/tcp 10.1.0.3\n"
		    "backend set 192.0.2.10:80/tcp 10.1.0.2 weight 20 mac 02:00:00:00:00:09\n"
		    "backend drain 192.0.2.10:80/tcp 10.1.0.3\n"
		    "backend drain 192.0.2.10:80/tcp 10.1.0.1\n"
		    "backend enable 192.0.2.10:80/tcp 10.1.0.1\n"
		    "backend del 192.0.2.10:80/tcp 10.1.0.1\n"
		    "vip add [2001:db8::1]:53/udp udp-idle 90s mtu 1280 encap l2\n"
		    "backend add [2001:db8::1]:53/udp 2001:db8::53 port 5353\n"
		    "backend drain [2001:db8::1]:53/udp 2001:db8::53\n"
		    "vip set 192.0.2.10:80/tcp expect 500,200-299 eject-time 1s panic 10\n"
		    "vip set 192.0.2.10:80/tcp max-eject-time 2s half-open-flows 9 max-eject 0\n"
		    "vip set [2001:db8::1]:53/udp check udp send \"q #\" receive r\n"
		    "vip set [2001:db8::1]:53/udp check-via direct\n");
	ta = print_str(&a);
	load_ok(&b, ta);
	tb = print_str(&b);
	assert_string_equal(ta, tb);
	assert_int_equal(a.nvip, b.nvip);
	for (i = 0; i < a.nvip; i++) {
		const struct cfg_vip *va = &a.vip[i], *vb = &b.vip[i];

		assert_memory_equal(&va->key, &vb->key, sizeof(va->key));
		assert_memory_equal(&va->opt, &vb->opt, sizeof(va->opt));
		assert_int_equal(va->nbe, vb->nbe);
		for (j = 0; j < va->nbe; j++) {
			const struct cfg_backend *ba = &va->be[j], *bb = &vb->be[j];

			assert_memory_equal(&ba->addr, &bb->addr, sizeof(ba->addr));
			assert_int_equal(ba->weight, bb->weight);
			assert_int_equal(ba->port, bb->port);
			assert_int_equal(ba->has_mac, bb->has_mac);
			assert_memory_equal(ba->mac, bb->mac, 6);
			assert_int_equal(ba->draining, bb->draining);
		}
	}
	/* a few fields by value */
	assert_int_equal(b.vip[0].opt.ring_size, 13);
	assert_string_equal(b.vip[0].opt.path, "/h");
	assert_int_equal(b.vip[0].nbe, 2);
	assert_int_equal(getbe(&b, V4, "10.1.0.2")->weight, 20);
	assert_true(getbe(&b, V4, "10.1.0.2")->has_mac);
	assert_true(getbe(&b, V4, "10.1.0.3")->draining);
	assert_false(getbe(&b, V4, "10.1.0.2")->draining);
	assert_true(getbe(&b, "[2001:db8::1]:53/udp", "2001:db8::53")->draining);
	assert_int_equal(getbe(&b, "[2001:db8::1]:53/udp", "2001:db8::53")->port, 5353);
	assert_int_equal(b.vip[1].opt.mtu, 1280);
	assert_int_equal(b.vip[1].opt.udp_idle_ms, 90000);
	assert_int_equal(b.vip[0].opt.nexpect, 2);
	assert_int_equal(b.vip[0].opt.expect[1].lo, 500);
	assert_int_equal(b.vip[0].opt.eject_ms, 1000);
	assert_int_equal(b.vip[0].opt.max_eject_ms, 2000);
	assert_int_equal(b.vip[0].opt.half_open_flows, 9);
	assert_int_equal(b.vip[0].opt.panic_pct, 10);
	assert_int_equal(b.vip[0].opt.max_eject_pct, 0);
	assert_string_equal(b.vip[1].opt.send, "q #");
	assert_string_equal(b.vip[1].opt.receive, "r");
	free(ta);
	free(tb);
	config_free(&a);
	config_free(&b);
}

/* check-via vip: accepted with check tcp, encap ipip/gue and one address
 * family; backends and later changes are held to the same rules; round trips
 */
static void test_check_via_vip(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} bad[] = {
		{ "backend add " V4 " 2001:db8::1",
		  "check-via vip needs backends of the VIP's address family: backend 2001:db8::1 is "
		  "IPv6" },
		{ "backend add " V4 " 10.1.0.3 check http",
		  "check-via vip works with check tcp only: backend 10.1.0.3 has check http" },
		{ "backend set " V4 " 10.1.0.1 check udp",
		  "check-via vip works with check tcp only: backend 10.1.0.1 has check udp" },
		{ "vip set " V4 " check udp",
		  "check-via vip works with check tcp only (vip " V4 " has check udp)" },
		{ "vip set " V4 " encap l2",
		  "check-via vip needs encap ipip or gue (vip " V4 " has encap l2)" },
		{ "backend add " V6 " 10.1.0.9",
		  "check-via vip needs backends of the VIP's address family: backend 10.1.0.9 is "
		  "IPv4" },
		{ "vip set 192.0.2.30:80/tcp check-via vip",
		  "check-via vip needs backends of the VIP's address family: backend 2001:db8::30 "
		  "is IPv6" },
	};
	struct config a, b;
	char err[ERRLEN], *ta, *tb, *before, *after;
	size_t i;

	config_init(&a);
	config_init(&b);
	apply_ok(&a, "vip add " V4 " check tcp check-via vip interval 200ms timeout 100ms "
		     "rise 1 fall 2");
	apply_ok(&a, "backend add " V4 " 10.1.0.1");
	apply_ok(&a, "backend add " V4 " 10.1.0.2 check-port 8080 check none");
	apply_ok(&a, "backend set " V4 " 10.1.0.2 check tcp");
	apply_ok(&a, "vip set " V4 " encap gue");
	apply_ok(&a, "vip add " V6 " check-via vip"); /* check none: nothing to check yet */
	apply_ok(&a, "backend add " V6 " 2001:db8::20 check tcp");
	apply_ok(&a, "vip add 192.0.2.30:80/tcp encap ipip check tcp");
	apply_ok(&a, "backend add 192.0.2.30:80/tcp 2001:db8::30"); /* direct: 6-in-4 is fine */
	assert_int_equal(getvip(&a, V4)->opt.check_via, GR_VIA_VIP);
	assert_int_equal(getvip(&a, V4)->opt.encap, XLB_ENCAP_GUE);
	before = print_str(&a);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(apply_line(&a, bad[i].line, err, sizeof(err)), -EINVAL);
		if (strcmp(err, bad[i].msg))
			print_message("# '%s': '%s'\n", bad[i].line, err);
		assert_string_equal(err, bad[i].msg);
		after = print_str(&a); /* a refused command changes nothing */
		assert_string_equal(before, after);
		free(after);
	}
	/* back to direct: the checks may go anywhere again */
	apply_ok(&a, "vip set " V4 " check-via direct encap l2");
	apply_ok(&a, "vip set " V4 " encap ipip check-via vip");
	/* `lbctl show` prints it and the output loads back the same */
	ta = print_str(&a);
	assert_non_null(strstr(ta, "vip add " V4 " check tcp check-via vip interval 200ms "
				   "timeout 100ms rise 1 fall 2\n"));
	assert_non_null(strstr(ta, "vip add " V6 " check-via vip\n"));
	load_ok(&b, ta);
	tb = print_str(&b);
	assert_string_equal(ta, tb);
	assert_int_equal(getvip(&b, V4)->opt.check_via, GR_VIA_VIP);
	assert_memory_equal(&getvip(&a, V4)->opt, &getvip(&b, V4)->opt, sizeof(struct gr_opts));
	free(before);
	free(ta);
	free(tb);
	config_free(&a);
	config_free(&b);
}

static void test_print_emit_error(void **state)
{
	struct strbuf sb = { .fail_at = 2 };
	struct config c;

	config_init(&c);
	load_ok(&c, canon);
	assert_int_equal(config_print(&c, emit_cb, &sb), -EIO);
	assert_int_equal(sb.lines, 2); /* stopped at the failing line */
	free(sb.s);
	config_free(&c);
	/* an empty config prints nothing */
	sb = (struct strbuf){ 0 };
	assert_int_equal(config_print(&c, emit_cb, &sb), 0);
	assert_int_equal(sb.lines, 0);
}

/* ---- copy ---- */

static void test_copy(void **state)
{
	struct config a, b;
	char *ta, *tb;

	config_init(&a);
	load_ok(&a, canon);
	a.vip[0].vip_id = 7;
	a.vip[0].dirty = false;
	a.vip[0].be[1].slot = 42;
	assert_int_equal(config_copy(&b, &a), 0);
	ta = print_str(&a);
	tb = print_str(&b);
	assert_string_equal(ta, tb);
	free(tb);
	/* runtime fields copied */
	assert_int_equal(b.vip[0].vip_id, 7);
	assert_false(b.vip[0].dirty);
	assert_int_equal(b.vip[0].be[1].slot, 42);
	/* deep: changing the copy leaves the original alone */
	assert_ptr_not_equal(a.vip, b.vip);
	assert_ptr_not_equal(a.vip[0].be, b.vip[0].be);
	apply_ok(&b, "backend set 192.0.2.10:80/tcp 10.1.0.5 weight 1");
	apply_ok(&b, "vip del 192.0.2.11:443/tcp");
	apply_ok(&b, "backend add 192.0.2.10:80/tcp 10.1.0.7");
	tb = print_str(&a);
	assert_string_equal(ta, tb);
	free(tb);
	assert_int_equal(getbe(&a, V4, "10.1.0.5")->weight, 50);
	config_free(&b);
	/* empty config */
	config_free(&a);
	assert_int_equal(config_copy(&b, &a), 0);
	assert_int_equal(b.nvip, 0);
	config_free(&b);
	free(ta);
}

/* ---- limits ---- */

static void test_limit_vips(void **state)
{
	char line[128], err[ERRLEN] = "";
	struct config c;
	int i;

	config_init(&c);
	for (i = 0; i < XLB_MAX_VIPS; i++) {
		snprintf(line, sizeof(line), "vip add 10.%d.%d.1:80/tcp", i / 256, i % 256);
		apply_ok(&c, line);
	}
	assert_int_equal(c.nvip, XLB_MAX_VIPS);
	assert_int_equal(apply_line(&c, "vip add 192.0.2.1:80/tcp", err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "192.0.2.1:80/tcp"));
	assert_int_equal(c.nvip, XLB_MAX_VIPS);
	/* room again after a delete */
	apply_ok(&c, "vip del 10.0.0.1:80/tcp");
	apply_ok(&c, "vip add 192.0.2.1:80/tcp");
	config_free(&c);
}

static void test_limit_backends(void **state)
{
	char line[128], err[ERRLEN] = "";
	struct config c;
	int i, per = 1024, nv = XLB_MAX_BACKENDS / 1024;

	config_init(&c);
	for (i = 0; i < XLB_MAX_BACKENDS; i++) {
		if (i % per == 0) {
			snprintf(line, sizeof(line), "vip add 192.0.2.%d:80/tcp", i / per);
			apply_ok(&c, line);
		}
		snprintf(line, sizeof(line), "backend add 192.0.2.%d:80/tcp 10.%d.%d.%d", i / per,
			 i / 65536, (i / 256) % 256, i % 256);
		apply_ok(&c, line);
	}
	assert_int_equal(c.nvip, nv);
	assert_int_equal(apply_line(&c, "backend add 192.0.2.0:80/tcp 10.200.0.1", err,
				    sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "10.200.0.1"));
	/* the limit is global: a new VIP cannot take one either */
	apply_ok(&c, "vip add 198.51.100.1:80/tcp");
	assert_int_equal(apply_line(&c, "backend add 198.51.100.1:80/tcp 10.200.0.1", err,
				    sizeof(err)),
			 -ENOSPC);
	apply_ok(&c, "backend del 192.0.2.3:80/tcp 10.0.12.0");
	apply_ok(&c, "backend add 198.51.100.1:80/tcp 10.200.0.1");
	config_free(&c);
}

/* lbd --max-backends: the limit every config of the process is checked against */
static void test_limit_max_backends(void **state)
{
	char line[128], err[ERRLEN] = "";
	struct config c;
	int i;

	(void)state;
	config_set_max_backends(5);
	assert_int_equal(config_max_backends(), 5);
	config_init(&c);
	apply_ok(&c, "vip add 192.0.2.1:80/tcp");
	apply_ok(&c, "vip add 192.0.2.2:80/tcp");
	for (i = 1; i <= 5; i++) {
		snprintf(line, sizeof(line), "backend add 192.0.2.%d:80/tcp 10.0.0.%d", i % 2 + 1,
			 i);
		apply_ok(&c, line);
	}
	assert_int_equal(apply_line(&c, "backend add 192.0.2.1:80/tcp 10.0.0.9", err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "10.0.0.9"));
	assert_non_null(strstr(err, "at most 5"));
	assert_non_null(strstr(err, "--max-backends"));
	apply_ok(&c, "backend del 192.0.2.2:80/tcp 10.0.0.1");
	apply_ok(&c, "backend add 192.0.2.1:80/tcp 10.0.0.9");
	config_free(&c);
	config_set_max_backends(0); /* the default again */
	assert_int_equal(config_max_backends(), XLB_MAX_BACKENDS);
}

static void test_limit_ring(void **state)
{
	char err[ERRLEN] = "";
	struct config c;

	config_init(&c);
	load_ok(&c, "vip add " V4 " ring-size 2\n"
		    "backend add " V4 " 10.1.0.1\n"
		    "backend add " V4 " 10.1.0.2\n");
	assert_int_equal(apply_line(&c, "backend add " V4 " 10.1.0.3", err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "ring-size"));
	apply_ok(&c, "vip set " V4 " ring-size 3");
	apply_ok(&c, "backend add " V4 " 10.1.0.3");
	/* the largest ring is accepted, the next prime is not (grammar bound) */
	apply_ok(&c, "vip set " V4 " ring-size 1048573");
	assert_int_equal(apply_line(&c, "vip set " V4 " ring-size 1048583", err, sizeof(err)),
			 -EINVAL);
	config_free(&c);
}

/* Commands built by hand, as a control-socket handler might: checked too. */
static void test_apply_struct_checks(void **state)
{
	struct gr_cmd cmd = { .obj = GR_OBJ_VIP, .verb = GR_VERB_ADD, .args = GR_ARG_VIP };
	char err[ERRLEN];
	struct config c;

	config_init(&c);
	cmd.vip = vkey(V4);
	cmd.opt.set = GR_OPT_ENCAP;
	cmd.opt.encap = XLB_ENCAP_NONE;
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "encap"));
	cmd.opt.encap = 9;
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	cmd.opt.set = GR_OPT_RING_SIZE;
	cmd.opt.ring_size = 2147483647; /* prime, but above XLB_MAGLEV_M_MAX */
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "2147483647"));
	cmd.opt.set = GR_OPT_WEIGHT;
	cmd.opt.weight = 5;
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	cmd.opt.set = GR_OPT_PATH | GR_OPT_CHECK;
	cmd.opt.check = GR_CHECK_HTTP;
	memset(cmd.opt.path, 'a', sizeof(cmd.opt.path)); /* no NUL */
	cmd.opt.path[0] = '/';
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	memset(cmd.opt.path, 0, sizeof(cmd.opt.path));
	cmd.opt.set = GR_OPT_SEND | GR_OPT_CHECK;
	cmd.opt.check = GR_CHECK_UDP;
	memset(cmd.opt.send, 'a', sizeof(cmd.opt.send)); /* no NUL */
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "send"));
	memset(cmd.opt.send, 0, sizeof(cmd.opt.send));
	cmd.opt.send[0] = '\t'; /* not printable */
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	memset(cmd.opt.send, 0, sizeof(cmd.opt.send));
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL); /* empty */
	cmd.opt.set = GR_OPT_EXPECT | GR_OPT_CHECK;
	cmd.opt.check = GR_CHECK_HTTP;
	cmd.opt.nexpect = 2;
	cmd.opt.expect[0] = (struct gr_range){ 200, 299 };
	cmd.opt.expect[1] = (struct gr_range){ 250, 400 }; /* overlapping */
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expect"));
	cmd.opt.nexpect = 0;
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	cmd.opt.set = GR_OPT_HALF_OPEN_FLOWS;
	cmd.opt.half_open_flows = 0;
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "half-open-flows"));
	cmd.opt.set = GR_OPT_CHECK_VIA;
	cmd.opt.check_via = 7;
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	cmd.opt.set = 0;
	cmd.args = 0;
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	cmd.args = GR_ARG_VIP;
	cmd.vip.family = 5;
	assert_int_equal(config_apply(&c, &cmd, err, sizeof(err)), -EINVAL);
	assert_int_equal(c.nvip, 0);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vip_add_defaults),
		cmocka_unit_test(test_vip_add_options),
		cmocka_unit_test(test_vip_set),
		cmocka_unit_test(test_vip_del),
		cmocka_unit_test(test_backend_add),
		cmocka_unit_test(test_backend_set),
		cmocka_unit_test(test_backend_drain_enable),
		cmocka_unit_test(test_backend_del),
		cmocka_unit_test(test_query_not_supported),
		cmocka_unit_test(test_invalid_inputs),
		cmocka_unit_test(test_error_line_number),
		cmocka_unit_test(test_failed_apply_unchanged),
		cmocka_unit_test(test_print_canonical),
		cmocka_unit_test(test_print_defaults_omitted),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_check_via_vip),
		cmocka_unit_test(test_print_emit_error),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_limit_vips),
		cmocka_unit_test(test_limit_backends),
		cmocka_unit_test(test_limit_max_backends),
		cmocka_unit_test(test_limit_ring),
		cmocka_unit_test(test_apply_struct_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
