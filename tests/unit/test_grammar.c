// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of the lbctl grammar (userspace/common/grammar.c): word splitting,
 * parse -> print -> parse round trips to the canonical line for every command
 * form, parsed values, and rejected commands whose message names the token.
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
#include <string.h>

#include "common/grammar.h"
#include "common/parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define V4 "192.0.2.10:80/tcp"
#define V6 "[2001:db8::10]:80/udp"
#define BE "10.1.0.5"

static char err[256];

/* Split + parse one line; fails the test with the message on error. */
static void parse_line(const char *line, struct gr_cmd *c)
{
	char buf[GR_LINE_MAX];
	char *argv[GR_MAX_WORDS];
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	if (grammar_split(buf, argv, GR_MAX_WORDS, &argc, err, sizeof(err)))
		fail_msg("split '%s': %s", line, err);
	if (grammar_parse(argc, argv, c, err, sizeof(err)))
		fail_msg("parse '%s': %s", line, err);
}

/* Split + parse; returns the error and leaves the message in err. */
static int parse_bad(const char *line)
{
	char buf[GR_LINE_MAX];
	char *argv[GR_MAX_WORDS];
	struct gr_cmd c;
	int argc, ret;

	err[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", line);
	ret = grammar_split(buf, argv, GR_MAX_WORDS, &argc, err, sizeof(err));
	if (ret)
		return ret;
	return grammar_parse(argc, argv, &c, err, sizeof(err));
}

static const struct {
	const char *in;
	const char *canon;
} round_trips[] = {
	/* vip add */
	{ "vip add " V4, "vip add " V4 },
	{ "vip add 203.0.113.10:443/tcp sched maglev encap ipip hash 5tuple ring-size 65537 "
	  "udp-idle 30s mtu 1500 check http path /healthz interval 2000 timeout 500ms rise 2 "
	  "fall 3",
	  "vip add 203.0.113.10:443/tcp sched maglev encap ipip hash 5tuple ring-size 65537 "
	  "udp-idle 30s mtu 1500 check http path /healthz interval 2s timeout 500ms rise 2 "
	  "fall 3" },
	{ "vip add " V6 " fall 5 rise 1 check udp encap gue sched wrr hash src udp-idle 120000",
	  "vip add " V6 " sched wrr encap gue hash src udp-idle 2m check udp rise 1 fall 5" },
	{ "vip add [::1]:0/tcp encap l2 sched lc mtu 3498 ring-size 1048573",
	  "vip add [::1]:0/tcp sched lc encap l2 ring-size 1048573 mtu 3498" },
	{ "vip add " V4 " check http path \"/health check#1\"",
	  "vip add " V4 " check http path \"/health check#1\"" },
	{ "vip add " V4 " check none", "vip add " V4 " check none" },
	/* breaker and check keywords */
	{ "vip add " V4 " max-eject 20 panic 0 half-open-flows 1000 max-eject-time 10m "
	  "eject-time 30000",
	  "vip add " V4 " eject-time 30s max-eject-time 10m half-open-flows 1000 panic 0 "
	  "max-eject 20" },
	{ "vip add " V4 " eject-time 1ms max-eject-time 1440m",
	  "vip add " V4 " eject-time 1ms max-eject-time 1440m" },
	{ "vip set " V4 " half-open-flows 1", "vip set " V4 " half-open-flows 1" },
	{ "vip add " V4 " syn-burst 0 open-flows reselect host example.org check-port 8080 "
	  "check http",
	  "vip add " V4 " check http check-port 8080 host example.org open-flows reselect "
	  "syn-burst 0" },
	{ "backend add " V4 " 10.0.0.1 check-port 9 check udp weight 3",
	  "backend add " V4 " 10.0.0.1 weight 3 check udp check-port 9" },
	{ "backend set " V4 " 10.0.0.1 check none", "backend set " V4 " 10.0.0.1 check none" },
	{ "vip set " V4 " init-state up fall 2", "vip set " V4 " fall 2 init-state up" },
	{ "vip set " V4 " fail-min 5 fail-window 10 fail-ratio 50",
	  "vip set " V4 " fail-ratio 50 fail-window 10 fail-min 5" },
	{ "vip set " V4 " panic 100 max-eject 0", "vip set " V4 " panic 100 max-eject 0" },
	{ "vip add " V4 " expect 301,200-299 check http",
	  "vip add " V4 " check http expect 200-299,301" },
	{ "vip set " V4 " expect 200", "vip set " V4 " expect 200" },
	{ "vip set " V4 " expect 204,200-203,205-299,404,100-101,599,500-503",
	  "vip set " V4 " expect 100-101,200-299,404,500-503,599" },
	{ "vip set " V4 " expect 200-250,240-260,300-300", "vip set " V4 " expect 200-260,300" },
	{ "vip add " V6 " check udp send ping receive pong",
	  "vip add " V6 " check udp send ping receive pong" },
	{ "vip set " V6 " receive \"PONG ok\" send \"PING #1\"",
	  "vip set " V6 " send \"PING #1\" receive \"PONG ok\"" },
	{ "vip set " V6 " send \"a\"", "vip set " V6 " send a" },
	{ "vip add " V4 " check-via direct check tcp",
	  "vip add " V4 " check tcp check-via direct" },
	{ "vip set " V4 " check-via vip", "vip set " V4 " check-via vip" },
	/* vip set */
	{ "vip set 192.0.2.10:0/tcp check tcp interval 1m timeout 1440m",
	  "vip set 192.0.2.10:0/tcp check tcp interval 1m timeout 1440m" },
	{ "vip set " V4 " timeout 1ms mtu 576", "vip set " V4 " mtu 576 timeout 1ms" },
	{ "vip set " V4 " path /a/b?c=d", "vip set " V4 " path /a/b?c=d" },
	/* vip del / show / help */
	{ "vip del " V4, "vip del " V4 },
	{ "vip delete " V6, "vip del " V6 },
	{ "vip show", "vip show" },
	{ "vip", "vip show" },
	{ "vip list", "vip show" },
	{ "vip show [2001:db8::10]:80/tcp", "vip show [2001:db8::10]:80/tcp" },
	{ "vip help", "vip help" },
	/* backend add / set */
	{ "backend add " V4 " " BE, "backend add " V4 " " BE },
	{ "backend add " V4 " " BE " mac 02:00:00:00:00:05 port 8443 weight 100",
	  "backend add " V4 " " BE " weight 100 port 8443 mac 02:00:00:00:00:05" },
	{ "backend add " V6 " 2001:DB8::5 weight 65535",
	  "backend add " V6 " 2001:db8::5 weight 65535" },
	{ "backend set " V4 " " BE " weight 5", "backend set " V4 " " BE " weight 5" },
	{ "backend set " V4 " 2001:db8::5 mac 02:AA:BB:CC:DD:EE port 1",
	  "backend set " V4 " 2001:db8::5 port 1 mac 02:aa:bb:cc:dd:ee" },
	/* backend drain / enable / del / show */
	{ "backend drain " V4 " " BE, "backend drain " V4 " " BE },
	{ "backend enable " V4 " " BE, "backend enable " V4 " " BE },
	{ "backend del " V4 " " BE, "backend del " V4 " " BE },
	{ "backend delete " V6 " 2001:db8::5", "backend del " V6 " 2001:db8::5" },
	{ "backend show", "backend show" },
	{ "backend", "backend show" },
	{ "backend list " V4, "backend show " V4 },
	{ "backend help", "backend help" },
	/* stats */
	{ "stats show", "stats show" },
	{ "stats", "stats show" },
	{ "stats show " V6, "stats show " V6 },
	{ "stats list " V4, "stats show " V4 },
	/* flow lookup */
	{ "flow lookup " V4 " 198.51.100.7:40000", "flow lookup " V4 " 198.51.100.7:40000" },
	{ "flow lookup " V4 " 198.51.100.7", "flow lookup " V4 " 198.51.100.7" },
	{ "flow lookup " V6 " [2001:DB8::7]:443", "flow lookup " V6 " [2001:db8::7]:443" },
	{ "flow lookup " V6 " 2001:db8::7", "flow lookup " V6 " 2001:db8::7" },
	{ "flow lookup " V6 " [2001:db8::7]", "flow lookup " V6 " 2001:db8::7" },
	{ "flow help", "flow help" },
	/* policy */
	{ "policy add allow 10.0.0.0/8", "policy add allow 10.0.0.0/8" },
	/* addresses print as everywhere else (RFC 5952, parse.c), not as inet_ntop */
	{ "policy add deny ::1.2.3.4", "policy add deny ::102:304/128" },
	{ "policy add vip " V4 " deny 198.51.100.7/24",
	  "policy add vip " V4 " deny 198.51.100.0/24" },
	{ "policy add allow 10.0.0.0/8 ports 443,80 proto tcp except 10.2.0.0/16,10.1.0.0/16",
	  "policy add allow 10.0.0.0/8 except 10.1.0.0/16,10.2.0.0/16 proto tcp ports 80,443" },
	{ "policy add vip " V6 " allow 2001:DB8::/32 except 2001:db8:1::/48",
	  "policy add vip " V6 " allow 2001:db8::/32 except 2001:db8:1::/48" },
	{ "policy add deny 192.0.2.1", "policy add deny 192.0.2.1/32" },
	{ "policy add deny 2001:db8::1", "policy add deny 2001:db8::1/128" },
	{ "policy add allow ::/0 proto icmp", "policy add allow ::/0 proto icmp" },
	{ "policy add allow 0.0.0.0/0 ports 1-65535", "policy add allow 0.0.0.0/0 ports 1-65535" },
	{ "policy add allow 10.255.255.255/1 ports 81,80,82-90,100",
	  "policy add allow 0.0.0.0/1 ports 80-90,100" },
	{ "policy add deny 10.0.0.0/8 except 10.0.0.0/9,10.128.0.0/9 proto udp ports 53",
	  "policy add deny 10.0.0.0/8 except 10.0.0.0/9,10.128.0.0/9 proto udp ports 53" },
	{ "policy del 10.0.0.0/8", "policy del 10.0.0.0/8" },
	{ "policy delete vip " V4 " 10.1.2.3/8 ports 53 proto udp",
	  "policy del vip " V4 " 10.0.0.0/8 proto udp ports 53" },
	{ "policy default deny", "policy default deny" },
	{ "policy default vip " V4 " allow", "policy default vip " V4 " allow" },
	{ "policy show", "policy show" },
	{ "policy", "policy show" },
	{ "policy list vip " V4, "policy show vip " V4 },
	{ "policy flush", "policy flush" },
	{ "policy flush vip " V6, "policy flush vip " V6 },
	{ "policy help", "policy help" },
	/* ratelimit */
	{ "ratelimit set pps 1000", "ratelimit set pps 1000" },
	{ "ratelimit set vip " V4 " prefix-len6 56 ceiling-burst 10 ceiling 500 new-flows-burst 5 "
	  "new-flows 100 burst 2000 pps 1000 prefix-len 24",
	  "ratelimit set vip " V4 " pps 1000 burst 2000 new-flows 100 new-flows-burst 5 "
	  "ceiling 500 ceiling-burst 10 prefix-len 24 prefix-len6 56" },
	{ "ratelimit set new-flows 1000000000 prefix-len6 128",
	  "ratelimit set new-flows 1000000000 prefix-len6 128" },
	{ "ratelimit del", "ratelimit del" },
	{ "ratelimit delete vip " V4, "ratelimit del vip " V4 },
	{ "ratelimit show", "ratelimit show" },
	{ "ratelimit", "ratelimit show" },
	{ "ratelimit list vip " V6, "ratelimit show vip " V6 },
	{ "ratelimit help", "ratelimit help" },
	/* whole config */
	{ "show", "show" },
	{ "list", "show" },
	/* blanks and comments around a command */
	{ "\t vip   add\t" V4 "   sched  wrr  # the web VIP\n", "vip add " V4 " sched wrr" },
	{ "backend add " V4 " " BE "#no blank before the comment", "backend add " V4 " " BE },
	{ "\"vip\" \"add\" \"" V4 "\"", "vip add " V4 },
};

static void test_round_trip(void **state)
{
	char out[GR_LINE_MAX];
	struct gr_cmd c1, c2;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(round_trips); i++) {
		memset(&c1, 0x5a, sizeof(c1));
		memset(&c2, 0xa5, sizeof(c2));
		parse_line(round_trips[i].in, &c1);
		if (grammar_print(&c1, out, sizeof(out)))
			fail_msg("print of '%s' failed", round_trips[i].in);
		if (strcmp(out, round_trips[i].canon))
			fail_msg("'%s' printed as '%s', want '%s'", round_trips[i].in, out,
				 round_trips[i].canon);
		parse_line(out, &c2);
		if (memcmp(&c1, &c2, sizeof(c1)))
			fail_msg("'%s' does not round-trip", round_trips[i].in);
		/* the canonical line is a fixed point */
		parse_line(round_trips[i].canon, &c2);
		assert_memory_equal(&c1, &c2, sizeof(c1));
	}
}

static void test_values_vip(void **state)
{
	struct gr_cmd c;

	parse_line(round_trips[1].in, &c);
	assert_int_equal(c.obj, GR_OBJ_VIP);
	assert_int_equal(c.verb, GR_VERB_ADD);
	assert_int_equal(c.args, GR_ARG_VIP);
	assert_int_equal(c.vip.family, XLB_FAMILY_V4);
	assert_int_equal(c.vip.addr[0], htonl(0xcb00710a)); /* 203.0.113.10 */
	assert_int_equal(c.vip.port, htons(443));
	assert_int_equal(c.vip.proto, IPPROTO_TCP);
	assert_int_equal(c.opt.set, GR_OPT_SCHED | GR_OPT_ENCAP | GR_OPT_HASH | GR_OPT_RING_SIZE |
					    GR_OPT_UDP_IDLE | GR_OPT_MTU | GR_OPT_CHECK |
					    GR_OPT_PATH | GR_OPT_INTERVAL | GR_OPT_TIMEOUT |
					    GR_OPT_RISE | GR_OPT_FALL);
	assert_int_equal(c.opt.sched, GR_SCHED_MAGLEV);
	assert_int_equal(c.opt.encap, XLB_ENCAP_IPIP);
	assert_int_equal(c.opt.hash, GR_HASH_5TUPLE);
	assert_int_equal(c.opt.ring_size, 65537);
	assert_int_equal(c.opt.udp_idle_ms, 30000);
	assert_int_equal(c.opt.mtu, 1500);
	assert_int_equal(c.opt.check, GR_CHECK_HTTP);
	assert_string_equal(c.opt.path, "/healthz");
	assert_int_equal(c.opt.interval_ms, 2000);
	assert_int_equal(c.opt.timeout_ms, 500);
	assert_int_equal(c.opt.rise, 2);
	assert_int_equal(c.opt.fall, 3);

	parse_line("vip set " V6 " sched lc encap l2 hash src check udp timeout 1440m", &c);
	assert_int_equal(c.verb, GR_VERB_SET);
	assert_int_equal(c.vip.family, XLB_FAMILY_V6);
	assert_int_equal(c.vip.proto, IPPROTO_UDP);
	assert_int_equal(c.opt.sched, GR_SCHED_LC);
	assert_int_equal(c.opt.encap, XLB_ENCAP_L2);
	assert_int_equal(c.opt.hash, GR_HASH_SRC);
	assert_int_equal(c.opt.check, GR_CHECK_UDP);
	assert_int_equal(c.opt.timeout_ms, GR_DUR_MAX_MS);
	assert_int_equal(c.opt.set,
			 GR_OPT_SCHED | GR_OPT_ENCAP | GR_OPT_HASH | GR_OPT_CHECK | GR_OPT_TIMEOUT);

	parse_line("vip add " V4 " encap gue path \"/a b\"", &c);
	assert_int_equal(c.opt.encap, XLB_ENCAP_GUE);
	assert_string_equal(c.opt.path, "/a b");

	parse_line("vip set " V4 " eject-time 10s max-eject-time 2m half-open-flows 7 panic 30 "
		   "max-eject 40 check-via vip expect 500,200-299 send \"hi there\" receive ok",
		   &c);
	assert_int_equal(c.opt.set, GR_OPT_EJECT_TIME | GR_OPT_MAX_EJECT_TIME |
					    GR_OPT_HALF_OPEN_FLOWS | GR_OPT_PANIC |
					    GR_OPT_MAX_EJECT | GR_OPT_CHECK_VIA | GR_OPT_EXPECT |
					    GR_OPT_SEND | GR_OPT_RECEIVE);
	assert_int_equal(c.opt.eject_ms, 10000);
	assert_int_equal(c.opt.max_eject_ms, 120000);
	assert_int_equal(c.opt.half_open_flows, 7);
	assert_int_equal(c.opt.panic_pct, 30);
	assert_int_equal(c.opt.max_eject_pct, 40);
	assert_int_equal(c.opt.check_via, GR_VIA_VIP);
	assert_int_equal(c.opt.nexpect, 2);
	assert_int_equal(c.opt.expect[0].lo, 200);
	assert_int_equal(c.opt.expect[0].hi, 299);
	assert_int_equal(c.opt.expect[1].lo, 500);
	assert_int_equal(c.opt.expect[1].hi, 500);
	assert_string_equal(c.opt.send, "hi there");
	assert_string_equal(c.opt.receive, "ok");
}

/* send/receive: at most GR_PAYLOAD_MAX bytes; expect formatting */
static void test_text_expect_limits(void **state)
{
	struct gr_range r[2] = { { 200, 299 }, { 404, 404 } };
	char text[300], line[400], buf[16];
	struct gr_cmd c;

	(void)state;
	memset(text, 'x', sizeof(text));
	text[GR_PAYLOAD_MAX] = '\0';
	snprintf(line, sizeof(line), "vip add " V4 " send %s", text);
	parse_line(line, &c);
	assert_int_equal(strlen(c.opt.send), GR_PAYLOAD_MAX);
	text[GR_PAYLOAD_MAX] = 'x';
	text[GR_PAYLOAD_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "vip add " V4 " receive %s", text);
	assert_int_equal(parse_bad(line), -EINVAL);
	assert_non_null(strstr(err, "longer than 255 bytes"));

	assert_int_equal(gr_expect_format(r, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "200-299,404");
	assert_int_equal(gr_expect_format(r, 2, buf, 8), -ENOSPC);
	assert_int_equal(gr_expect_format(r, 0, buf, sizeof(buf)), -EINVAL);
	r[1].lo = 405;
	assert_int_equal(gr_expect_format(r, 2, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(gr_via_name(GR_VIA_DIRECT), "direct");
	assert_string_equal(gr_via_name(GR_VIA_VIP), "vip");
	assert_null(gr_via_name(__GR_VIA_MAX));
}

static void test_values_backend(void **state)
{
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x05 };
	struct gr_cmd c;

	parse_line("backend add " V4 " " BE " weight 100 port 8443 mac 02:00:00:00:00:05", &c);
	assert_int_equal(c.obj, GR_OBJ_BACKEND);
	assert_int_equal(c.verb, GR_VERB_ADD);
	assert_int_equal(c.args, GR_ARG_VIP | GR_ARG_ADDR);
	assert_int_equal(c.addr.family, XLB_FAMILY_V4);
	assert_int_equal(c.addr.addr[0], htonl(0x0a010005));
	assert_int_equal(c.opt.weight, 100);
	assert_int_equal(c.opt.port, 8443);
	assert_memory_equal(c.opt.mac, mac, 6);
	assert_int_equal(c.opt.set, GR_OPT_WEIGHT | GR_OPT_PORT | GR_OPT_MAC);

	parse_line("backend drain " V4 " " BE, &c);
	assert_int_equal(c.verb, GR_VERB_DRAIN);
	assert_int_equal(c.opt.set, 0);
	parse_line("backend enable " V4 " " BE, &c);
	assert_int_equal(c.verb, GR_VERB_ENABLE);
	parse_line("backend delete " V4 " " BE, &c);
	assert_int_equal(c.verb, GR_VERB_DEL);
	parse_line("backend", &c);
	assert_int_equal(c.obj, GR_OBJ_BACKEND);
	assert_int_equal(c.verb, GR_VERB_SHOW);
	assert_int_equal(c.args, 0);
}

static void test_values_flow_show(void **state)
{
	struct gr_cmd c;

	parse_line("flow lookup " V6 " [2001:db8::7]:443", &c);
	assert_int_equal(c.obj, GR_OBJ_FLOW);
	assert_int_equal(c.verb, GR_VERB_LOOKUP);
	assert_int_equal(c.args, GR_ARG_VIP | GR_ARG_ADDR | GR_ARG_SRC_PORT);
	assert_int_equal(c.addr.family, XLB_FAMILY_V6);
	assert_int_equal(c.src_port, 443);
	parse_line("flow lookup " V4 " 198.51.100.7", &c);
	assert_int_equal(c.args, GR_ARG_VIP | GR_ARG_ADDR);
	assert_int_equal(c.src_port, 0);

	parse_line("list", &c);
	assert_int_equal(c.obj, GR_OBJ_ALL);
	assert_int_equal(c.verb, GR_VERB_SHOW);
	parse_line("stats show " V4, &c);
	assert_int_equal(c.obj, GR_OBJ_STATS);
	assert_int_equal(c.args, GR_ARG_VIP);
}

static void test_values_policy(void **state)
{
	struct gr_cmd c;

	parse_line("policy add vip " V4 " deny 10.1.2.3/8 except 10.2.0.0/16,10.1.0.0/16 "
		   "proto udp ports 53,5353-5354",
		   &c);
	assert_int_equal(c.obj, GR_OBJ_POLICY);
	assert_int_equal(c.verb, GR_VERB_ADD);
	assert_int_equal(c.args, GR_ARG_VIP | GR_ARG_ACTION | GR_ARG_CIDR);
	assert_int_equal(c.vip.port, htons(80));
	assert_int_equal(c.pol.action, XLB_POL_DENY);
	assert_int_equal(c.pol.cidr.family, XLB_FAMILY_V4);
	assert_int_equal(c.pol.cidr.plen, 8);
	assert_int_equal(c.pol.cidr.addr[0], htonl(0x0a000000)); /* host bits cleared */
	assert_int_equal(c.pol.set, GR_POL_EXCEPT | GR_POL_PROTO | GR_POL_PORTS);
	assert_int_equal(c.pol.nexcept, 2);
	assert_int_equal(c.pol.except[0].addr[0], htonl(0x0a010000)); /* sorted */
	assert_int_equal(c.pol.except[1].addr[0], htonl(0x0a020000));
	assert_int_equal(c.pol.except[1].plen, 16);
	assert_int_equal(c.pol.proto, IPPROTO_UDP);
	assert_int_equal(c.pol.nports, 2);
	assert_int_equal(c.pol.ports[0].lo, 53);
	assert_int_equal(c.pol.ports[0].hi, 53);
	assert_int_equal(c.pol.ports[1].lo, 5353);
	assert_int_equal(c.pol.ports[1].hi, 5354);
	assert_int_equal(c.opt.set, 0);

	parse_line("policy add allow 2001:db8::1:2/112", &c);
	assert_int_equal(c.args, GR_ARG_ACTION | GR_ARG_CIDR);
	assert_int_equal(c.pol.action, XLB_POL_ALLOW);
	assert_int_equal(c.pol.cidr.family, XLB_FAMILY_V6);
	assert_int_equal(c.pol.cidr.plen, 112);
	assert_int_equal(c.pol.cidr.addr[3], htonl(0x00010000));
	assert_int_equal(c.pol.set, 0);

	parse_line("policy del 10.0.0.0/8 proto icmp", &c);
	assert_int_equal(c.verb, GR_VERB_DEL);
	assert_int_equal(c.args, GR_ARG_CIDR);
	assert_int_equal(c.pol.proto, IPPROTO_ICMP);
	parse_line("policy default vip " V6 " deny", &c);
	assert_int_equal(c.verb, GR_VERB_DEFAULT);
	assert_int_equal(c.args, GR_ARG_VIP | GR_ARG_ACTION);
	assert_int_equal(c.pol.action, XLB_POL_DENY);
	parse_line("policy flush", &c);
	assert_int_equal(c.verb, GR_VERB_FLUSH);
	assert_int_equal(c.args, 0);
	parse_line("policy", &c);
	assert_int_equal(c.obj, GR_OBJ_POLICY);
	assert_int_equal(c.verb, GR_VERB_SHOW);

	parse_line("ratelimit set vip " V4 " pps 100 burst 7 new-flows 10 new-flows-burst 3 "
		   "ceiling 1000 ceiling-burst 50 prefix-len 24 prefix-len6 48",
		   &c);
	assert_int_equal(c.obj, GR_OBJ_RATELIMIT);
	assert_int_equal(c.verb, GR_VERB_SET);
	assert_int_equal(c.args, GR_ARG_VIP);
	assert_int_equal(c.rl.set, GR_RL_PPS | GR_RL_BURST | GR_RL_NEW_FLOWS |
					   GR_RL_NEW_FLOWS_BURST | GR_RL_CEILING |
					   GR_RL_CEILING_BURST | GR_RL_PREFIX_LEN |
					   GR_RL_PREFIX_LEN6);
	assert_int_equal(c.rl.pps, 100);
	assert_int_equal(c.rl.burst, 7);
	assert_int_equal(c.rl.new_flows, 10);
	assert_int_equal(c.rl.new_flows_burst, 3);
	assert_int_equal(c.rl.ceiling, 1000);
	assert_int_equal(c.rl.ceiling_burst, 50);
	assert_int_equal(c.rl.prefix_len, 24);
	assert_int_equal(c.rl.prefix_len6, 48);
	parse_line("ratelimit del", &c);
	assert_int_equal(c.verb, GR_VERB_DEL);
	assert_int_equal(c.args, 0);

	assert_string_equal(gr_object_name(GR_OBJ_POLICY), "policy");
	assert_string_equal(gr_object_name(GR_OBJ_RATELIMIT), "ratelimit");
	assert_string_equal(gr_verb_name(GR_VERB_FLUSH), "flush");
	assert_string_equal(gr_verb_name(GR_VERB_DEFAULT), "default");
	assert_string_equal(gr_action_name(XLB_POL_DENY), "deny");
	assert_null(gr_action_name(2));
	assert_string_equal(gr_proto_name(IPPROTO_ICMP), "icmp");
	assert_null(gr_proto_name(0));
	assert_null(gr_proto_name(IPPROTO_UDP + 1));
}

static const struct {
	const char *in;
	const char *want; /* substring the message must contain */
} bad_cmds[] = {
	/* objects and verbs */
	{ "vips show", "unknown object 'vips'; try 'lbctl help'" },
	{ "vip sh", "unknown command 'sh' for 'vip'; try 'lbctl vip help'" },
	{ "backend frobnicate", "unknown command 'frobnicate' for 'backend'" },
	{ "backend replace " V4 " " BE, "unknown command 'replace' for 'backend'" },
	{ "stats reset", "unknown command 'reset' for 'stats'" },
	{ "flow", "missing command for 'flow'; try 'lbctl flow help'" },
	{ "flow show", "unknown command 'show' for 'flow'" },
	{ "VIP add " V4, "unknown object 'VIP'" },
	{ "show vip", "unexpected argument 'vip' for 'show'" },
	{ "vip help me", "unexpected argument 'me' for 'vip help'" },
	/* positional arguments */
	{ "vip add", "missing VIP for 'vip add'; try 'lbctl vip help'" },
	{ "vip del", "missing VIP for 'vip del'" },
	{ "backend add", "missing VIP for 'backend add'" },
	{ "backend add " V4, "missing ADDR for 'backend add'" },
	{ "backend set " V4, "missing ADDR for 'backend set'" },
	{ "backend drain " V4, "missing ADDR for 'backend drain'" },
	{ "flow lookup " V4, "missing SRC_ADDR for 'flow lookup'" },
	{ "vip del " V4 " extra", "unexpected argument 'extra' for 'vip del'" },
	{ "vip show " V4 " extra", "unexpected argument 'extra' for 'vip show'" },
	{ "stats show " V4 " more", "unexpected argument 'more' for 'stats show'" },
	{ "backend drain " V4 " " BE " weight 5",
	  "unexpected argument 'weight' for 'backend drain'" },
	{ "flow lookup " V4 " 198.51.100.7 80", "unexpected argument '80' for 'flow lookup'" },
	{ "vip show notavip", "invalid vip 'notavip'" },
	{ "backend add " V4 " 10.1.0.256", "invalid address '10.1.0.256'" },
	{ "backend add " V4 " " V4, "invalid address '" V4 "'" },
	{ "flow lookup " V4 " 198.51.100.7:0", "invalid port '0'" },
	{ "flow lookup " V4 " [198.51.100.7]:80", "brackets are for IPv6" },
	/* VIP tokens */
	{ "vip add ::1:80/tcp", "'::1:80/tcp': write an IPv6 address in brackets" },
	{ "vip add 203.0.113.10:80/sctp", "invalid protocol 'sctp'" },
	{ "vip add 1.2.3.4:80", "invalid vip '1.2.3.4:80': missing '/tcp' or '/udp'" },
	{ "vip add 192.0.2.10:65536/tcp", "invalid port '65536'" },
	{ "vip add 192.0.2.10:080/tcp", "invalid port '080'" },
	/* keywords */
	{ "backend add " V4 " " BE " weigth 5",
	  "unknown keyword 'weigth' for 'backend add'; try 'lbctl backend help'" },
	{ "vip add " V4 " weight 5", "unknown keyword 'weight' for 'vip add'" },
	{ "vip add " V4 " mtu 1500 port 80", "unknown keyword 'port' for 'vip add'" },
	{ "vip add " V4 " SCHED maglev", "unknown keyword 'SCHED'" },
	{ "vip add " V4 " sch maglev", "unknown keyword 'sch'" },
	{ "vip add " V4 " sched maglev sched wrr", "duplicate keyword 'sched'" },
	{ "backend add " V4 " " BE " weight 1 port 2 weight 2", "duplicate keyword 'weight'" },
	{ "backend add " V4 " " BE " weight", "missing value for 'weight'" },
	{ "vip add " V4 " encap", "missing value for 'encap'" },
	{ "backend set " V4 " " BE, "nothing to set for 'backend set'" },
	{ "vip set " V4, "nothing to set for 'vip set'" },
	/* keyword values */
	{ "backend add " V4 " " BE " weight 0", "invalid weight '0': must be 1-65535" },
	{ "backend add " V4 " " BE " weight 65536", "invalid weight '65536': must be 1-65535" },
	{ "backend add " V4 " " BE " weight +5", "invalid weight '+5'" },
	{ "backend add " V4 " " BE " weight 010", "invalid weight '010'" },
	{ "backend add " V4 " " BE " weight -1", "invalid weight '-1'" },
	{ "backend add " V4 " " BE " port 70000", "invalid port '70000': must be 1-65535" },
	{ "backend add " V4 " " BE " port 0", "invalid port '0': must be 1-65535" },
	{ "backend set " V4 " " BE " mac zz:00:00:00:00:01", "invalid mac 'zz:00:00:00:00:01'" },
	{ "backend add " V4 " " BE " mac 01:00:5e:00:00:01", "invalid mac '01:00:5e:00:00:01'" },
	{ "vip add " V4 " sched random", "invalid sched 'random': must be maglev, wrr or lc" },
	{ "vip add " V4 " encap vxlan", "invalid encap 'vxlan': must be ipip, gue or l2" },
	{ "vip add " V4 " encap none", "invalid encap 'none'" },
	{ "vip add " V4 " hash dst", "invalid hash 'dst': must be 5tuple or src" },
	{ "vip add " V4 " check icmp", "invalid check 'icmp': must be none, tcp, http or udp" },
	{ "vip add " V4 " ring-size 0", "invalid ring-size '0': must be 1-1048573" },
	{ "vip add " V4 " ring-size 1048574", "invalid ring-size '1048574'" },
	{ "vip add " V4 " ring-size 0x10", "invalid ring-size '0x10'" },
	{ "vip add " V4 " mtu 575", "invalid mtu '575': must be 576-3498" },
	/* single-buffer XDP: a jumbo MTU cannot be carried, and is refused at vip add */
	{ "vip add " V4 " mtu 3499", "invalid mtu '3499'" },
	{ "vip add " V4 " mtu 9000", "invalid mtu '9000': must be 576-3498" },
	{ "vip add " V4 " rise 0", "invalid rise '0': must be 1-100" },
	{ "vip add " V4 " fall 101", "invalid fall '101': must be 1-100" },
	{ "vip add " V4 " udp-idle 0", "invalid udp-idle '0': must be 100ms-24h" },
	/* the dataplane clock ticks every few ms: shorter idle times cannot be kept */
	{ "vip add " V4 " udp-idle 99ms", "invalid udp-idle '99ms': must be 100ms-24h" },
	{ "vip add " V4 " interval 25h", "invalid interval '25h': unit must be ms, s or m" },
	{ "vip add " V4 " timeout 1441m", "invalid timeout '1441m': must be 1ms-24h" },
	{ "vip add " V4 " timeout 86400001", "invalid timeout '86400001'" },
	{ "vip add " V4 " interval -1s", "invalid interval '-1s'" },
	{ "vip add " V4 " interval 1.5s", "invalid interval '1.5s'" },
	{ "vip add " V4 " interval \"\"", "invalid interval ''" },
	{ "vip add " V4 " path healthz", "invalid path 'healthz': must start with '/'" },
	{ "vip add " V4 " path \"/a\tb\"", "invalid path '/a\tb': printable characters only" },
	{ "vip add " V4 " path \"\"", "invalid path ''" },
	{ "vip add " V4 " eject-time 0", "invalid eject-time '0': must be 1ms-24h" },
	{ "vip add " V4 " max-eject-time 25h", "invalid max-eject-time '25h'" },
	{ "vip add " V4 " half-open-flows 0", "invalid half-open-flows '0': must be 1-1000" },
	{ "vip add " V4 " half-open-flows 1001", "invalid half-open-flows '1001'" },
	{ "vip add " V4 " panic 101", "invalid panic '101': must be 0-100" },
	{ "vip add " V4 " max-eject -1", "invalid max-eject '-1'" },
	{ "vip add " V4 " check-via proxy", "invalid check-via 'proxy': must be direct or vip" },
	{ "vip add " V4 " expect 2xx", "invalid expect '2xx': want statuses or ranges" },
	{ "vip add " V4 " expect 99", "invalid expect '99': statuses must be 100-599" },
	{ "vip add " V4 " expect 200-600", "invalid expect '200-600': statuses must be 100-599" },
	{ "vip add " V4 " expect 299-200", "invalid expect '299-200': range 299-200 is reversed" },
	{ "vip add " V4 " expect 200,", "invalid expect '200,'" },
	{ "vip add " V4 " expect ,200", "invalid expect ',200'" },
	{ "vip add " V4 " expect 200-", "invalid expect '200-'" },
	{ "vip add " V4 " expect 0200", "invalid expect '0200'" },
	{ "vip add " V4 " expect \"200, 301\"", "invalid expect '200, 301'" },
	{ "vip add " V4 " expect 200,201,202,203,204,205,206,207,208",
	  "invalid expect '200,201,202,203,204,205,206,207,208': at most 8" },
	{ "vip add " V4 " send \"\"", "invalid send '': must not be empty" },
	{ "vip add " V4 " receive \"a\tb\"", "invalid receive 'a\tb': printable characters only" },
	/* policy */
	{ "policy add", "missing action for 'policy add': allow or deny; try 'lbctl policy help'" },
	{ "policy add permit 10.0.0.0/8", "invalid action 'permit': must be allow or deny" },
	{ "policy add 10.0.0.0/8 allow", "invalid action '10.0.0.0/8'" },
	{ "policy add allow", "missing CIDR for 'policy add'; try 'lbctl policy help'" },
	{ "policy add vip " V4 " deny", "missing CIDR for 'policy add'" },
	{ "policy add allow 10.0.0.0/33",
	  "invalid CIDR '10.0.0.0/33': prefix length must be 0-32" },
	{ "policy add allow 2001:db8::/129", "invalid CIDR '2001:db8::/129': prefix length must be "
					     "0-128" },
	{ "policy add allow 10.0.0/8", "invalid CIDR '10.0.0/8': not an IPv4 address" },
	{ "policy add allow 2001:db8:::/32", "invalid CIDR '2001:db8:::/32': not an IPv6 address" },
	{ "policy add allow 10.0.0.0/08", "invalid CIDR '10.0.0.0/08'" },
	{ "policy add allow 10.0.0.0/", "invalid CIDR '10.0.0.0/'" },
	{ "policy add allow 10.0.0.0/8/8", "invalid CIDR '10.0.0.0/8/8'" },
	{ "policy add allow /8", "invalid CIDR '/8': want a prefix like 10.0.0.0/8" },
	{ "policy add allow 10.0.0.0/-1", "invalid CIDR '10.0.0.0/-1'" },
	{ "policy add allow ::ffff:10.0.0.0/104",
	  "invalid CIDR '::ffff:10.0.0.0/104': IPv4-mapped" },
	{ "policy add allow 10.0.0.0/8 except", "missing value for 'except'" },
	{ "policy add allow 10.0.0.0/8 except 10.1.0.0/16,",
	  "invalid except '10.1.0.0/16,': want prefixes like 10.1.0.0/16,10.2.0.0/16" },
	{ "policy add allow 10.0.0.0/8 except ,10.1.0.0/16", "invalid except ',10.1.0.0/16'" },
	{ "policy add allow 10.0.0.0/8 except 10.1.0.0/16,10.2.0.0/99",
	  "invalid except '10.2.0.0/99': prefix length must be 0-32" },
	{ "policy add allow 10.0.0.0/8 except 10.1.0.0/16,nope", "invalid except 'nope'" },
	{ "policy add allow 10.0.0.0/8 except 10.1.0.0/16,10.2.0.0/16,10.3.0.0/16,10.4.0.0/16,"
	  "10.5.0.0/16,10.6.0.0/16,10.7.0.0/16,10.8.0.0/16,10.9.0.0/16",
	  "at most 8 prefixes" },
	{ "policy add allow 10.0.0.0/8 proto sctp",
	  "invalid proto 'sctp': must be icmp, tcp or udp" },
	{ "policy add allow 10.0.0.0/8 proto TCP", "invalid proto 'TCP'" },
	{ "policy add allow 10.0.0.0/8 ports 0", "invalid ports '0': ports must be 1-65535" },
	{ "policy add allow 10.0.0.0/8 ports 65536",
	  "invalid ports '65536': ports must be 1-65535" },
	{ "policy add allow 10.0.0.0/8 ports 70000-80", "invalid ports '70000-80': ports must be" },
	{ "policy add allow 10.0.0.0/8 ports 90-80",
	  "invalid ports '90-80': range 90-80 is reversed" },
	{ "policy add allow 10.0.0.0/8 ports 1,2,3,4,5",
	  "invalid ports '1,2,3,4,5': at most 4 ports or ranges" },
	{ "policy add allow 10.0.0.0/8 ports http",
	  "invalid ports 'http': want ports or ranges like 80,8000-8080" },
	{ "policy add allow 10.0.0.0/8 ports 80,", "invalid ports '80,'" },
	{ "policy add allow 10.0.0.0/8 ports 080", "invalid ports '080'" },
	{ "policy add allow 10.0.0.0/8 ports 123456", "invalid ports '123456'" },
	{ "policy add allow 10.0.0.0/8 proto tcp proto udp", "duplicate keyword 'proto'" },
	{ "policy add allow 10.0.0.0/8 ports", "missing value for 'ports'" },
	{ "policy add allow 10.0.0.0/8 weight 5", "unknown keyword 'weight' for 'policy add'" },
	{ "policy add allow 10.0.0.0/8 10.1.0.0/16",
	  "unknown keyword '10.1.0.0/16' for 'policy add'" },
	{ "policy del 10.0.0.0/8 except 10.1.0.0/16",
	  "unknown keyword 'except' for 'policy del'; try 'lbctl policy help'" },
	{ "policy add allow 10.0.0.0/8 vip " V4,
	  "misplaced 'vip': write 'vip VIP' right after 'policy add'" },
	{ "policy add vip", "missing VIP after 'vip' for 'policy add'" },
	{ "policy add vip 1.2.3.4 allow 10.0.0.0/8", "invalid vip '1.2.3.4'" },
	{ "policy add vip " V4 " vip " V4 " allow 10.0.0.0/8", "invalid action 'vip'" },
	{ "policy default", "missing action for 'policy default'" },
	{ "policy default maybe", "invalid action 'maybe'" },
	{ "policy default allow extra", "unexpected argument 'extra' for 'policy default'" },
	{ "policy flush 10.0.0.0/8", "unexpected argument '10.0.0.0/8' for 'policy flush'" },
	{ "policy show " V4, "unexpected argument '" V4 "' for 'policy show'" },
	{ "policy show vip", "missing VIP after 'vip' for 'policy show'" },
	{ "policy set", "unknown command 'set' for 'policy'; try 'lbctl policy help'" },
	{ "policy del", "missing CIDR for 'policy del'" },
	{ "policy help me", "unexpected argument 'me' for 'policy help'" },
	{ "policy help vip " V4, "unexpected argument 'vip' for 'policy help'" },
	/* ratelimit */
	{ "ratelimit set", "nothing to set for 'ratelimit set': give a keyword" },
	{ "ratelimit set vip " V4, "nothing to set for 'ratelimit set'" },
	{ "ratelimit set pps 1000000001", "invalid pps '1000000001': must be 0-1000000000" },
	{ "ratelimit set pps 1000000001", "invalid pps '1000000001'" },
	{ "ratelimit set burst -1", "invalid burst '-1'" },
	{ "ratelimit set new-flows 1k", "invalid new-flows '1k'" },
	{ "ratelimit set ceiling -1", "invalid ceiling '-1'" },
	{ "ratelimit set prefix-len 33", "invalid prefix-len '33': must be 1-32" },
	{ "ratelimit set prefix-len 0", "invalid prefix-len '0'" },
	{ "ratelimit set prefix-len6 0", "invalid prefix-len6 '0': must be 1-128" },
	{ "ratelimit set prefix-len6 129", "invalid prefix-len6 '129'" },
	{ "ratelimit set pps 10 pps 20", "duplicate keyword 'pps'" },
	{ "ratelimit set rate 10", "unknown keyword 'rate' for 'ratelimit set'" },
	{ "ratelimit set pps", "missing value for 'pps'" },
	{ "ratelimit add pps 1", "unknown command 'add' for 'ratelimit'" },
	{ "ratelimit del pps 1", "unexpected argument 'pps' for 'ratelimit del'" },
	{ "ratelimit set pps 10 vip " V4, "misplaced 'vip'" },
	{ "ratelimit show " V4, "unexpected argument '" V4 "' for 'ratelimit show'" },
	{ "ratelimits show", "unknown object 'ratelimits'" },
	/* splitting */
	{ "vip add " V4 " path \"/a b", "unterminated quote in '\"/a b'" },
	{ "vip add " V4 " path /a\"b\"", "quote inside word '/a\"'" },
	{ "vip add " V4 " path \"/a\"b", "closing quote of '\"/a\"' must end the word" },
};

static void test_bad(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cmds); i++) {
		if (parse_bad(bad_cmds[i].in) != -EINVAL)
			fail_msg("accepted '%s'", bad_cmds[i].in);
		if (!strstr(err, bad_cmds[i].want))
			fail_msg("'%s': message '%s' lacks '%s'", bad_cmds[i].in, err,
				 bad_cmds[i].want);
		/* message shape: lowercase start, no final period, no newline */
		assert_true(err[0] >= 'a' && err[0] <= 'z');
		assert_true(err[strlen(err) - 1] != '.');
		assert_null(strchr(err, '\n'));
	}
	print_message("# %zu invalid commands rejected\n", ARRAY_SIZE(bad_cmds));
}

static void test_path_limits(void **state)
{
	char path[300], line[400];
	char *argv[8];
	struct gr_cmd c;

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[GR_PATH_MAX] = '\0'; /* 255 bytes: the longest allowed */
	snprintf(line, sizeof(line), "vip add " V4 " path %s", path);
	parse_line(line, &c);
	assert_int_equal(strlen(c.opt.path), GR_PATH_MAX);

	path[GR_PATH_MAX] = 'a';
	path[GR_PATH_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "vip add " V4 " path %s", path);
	assert_int_equal(parse_bad(line), -EINVAL);
	assert_non_null(strstr(err, "longer than 255 bytes"));

	/* a quote can only reach the parser through argv (lbctl's own command line) */
	argv[0] = "vip";
	argv[1] = "add";
	argv[2] = V4;
	argv[3] = "path";
	argv[4] = "/a\"b";
	assert_int_equal(grammar_parse(5, argv, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid path '/a\"b'"));
	argv[4] = "/caf\xc3\xa9";
	assert_int_equal(grammar_parse(5, argv, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "printable characters only"));
	assert_int_equal(grammar_parse(0, argv, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty command"));
}

static void test_split(void **state)
{
	char *argv[4];
	char buf[128];
	int argc = -1;

	strcpy(buf, "");
	assert_int_equal(grammar_split(buf, argv, 4, &argc, err, sizeof(err)), 0);
	assert_int_equal(argc, 0);
	strcpy(buf, "   \t \n");
	assert_int_equal(grammar_split(buf, argv, 4, &argc, err, sizeof(err)), 0);
	assert_int_equal(argc, 0);
	strcpy(buf, "  # vip add 192.0.2.10:80/tcp");
	assert_int_equal(grammar_split(buf, argv, 4, &argc, err, sizeof(err)), 0);
	assert_int_equal(argc, 0);
	strcpy(buf, "a \"b # c\" d#e");
	assert_int_equal(grammar_split(buf, argv, 4, &argc, err, sizeof(err)), 0);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[0], "a");
	assert_string_equal(argv[1], "b # c");
	assert_string_equal(argv[2], "d");
	strcpy(buf, "\"\" x");
	assert_int_equal(grammar_split(buf, argv, 4, &argc, err, sizeof(err)), 0);
	assert_int_equal(argc, 2);
	assert_string_equal(argv[0], "");
	strcpy(buf, "a b c d e");
	assert_int_equal(grammar_split(buf, argv, 4, &argc, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "too many words (at most 4)");
	assert_int_equal(argc, 0);
	strcpy(buf, "a b c d # four words and a comment");
	assert_int_equal(grammar_split(buf, argv, 4, &argc, err, sizeof(err)), 0);
	assert_int_equal(argc, 4);
	assert_string_equal(argv[3], "d");
}

static void test_print_errors(void **state)
{
	char out[GR_LINE_MAX];
	struct gr_cmd c;

	parse_line("vip add " V4 " sched wrr", &c);
	assert_int_equal(grammar_print(&c, out, 10), -ENOSPC);
	assert_int_equal(strlen(out), 9);
	assert_int_equal(grammar_print(&c, out, strlen("vip add " V4 " sched wrr")), -ENOSPC);
	assert_int_equal(grammar_print(&c, out, strlen("vip add " V4 " sched wrr") + 1), 0);
	c.opt.sched = 9;
	assert_int_equal(grammar_print(&c, out, sizeof(out)), -EINVAL);
	c.opt.sched = GR_SCHED_WRR;
	c.vip.proto = 132;
	assert_int_equal(grammar_print(&c, out, sizeof(out)), -EINVAL);

	/* longest command there is still fits GR_LINE_MAX */
	memset(&c, 0, sizeof(c));
	parse_line("vip add [ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535/tcp sched maglev "
		   "encap ipip hash 5tuple ring-size 1048573 udp-idle 86399999 mtu 3498 "
		   "check http check-via direct interval 86399999 timeout 86399999 rise 100 "
		   "fall 100 eject-time 86399999 max-eject-time 86399999 half-open-flows 1000 "
		   "panic 100 max-eject 100 "
		   "expect 100-101,103-104,106-107,109-110,112-113,115-116,118-119,121-599",
		   &c);
	memset(c.opt.path, ' ', GR_PATH_MAX);
	c.opt.path[0] = '/';
	memset(c.opt.send, ' ', GR_PAYLOAD_MAX);
	memset(c.opt.receive, '#', GR_PAYLOAD_MAX);
	c.opt.set |= GR_OPT_PATH | GR_OPT_SEND | GR_OPT_RECEIVE;
	assert_int_equal(grammar_print(&c, out, sizeof(out)), 0);
	assert_true(strlen(out) < 1400);

	/* the longest policy line */
	parse_line("policy add vip [ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535/tcp deny "
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120 except "
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/128,"
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff01/128,"
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff02/128,"
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff03/128,"
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff04/128,"
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff05/128,"
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff06/128,"
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff07/128 "
		   "proto tcp ports 10000-10001,20000-20001,30000-30001,40000-65535",
		   &c);
	assert_int_equal(grammar_print(&c, out, sizeof(out)), 0);
	assert_true(strlen(out) < 700);
	/* values out of any table */
	c.pol.proto = 2;
	assert_int_equal(grammar_print(&c, out, sizeof(out)), -EINVAL);
	c.pol.proto = IPPROTO_TCP;
	c.pol.nports = 0;
	assert_int_equal(grammar_print(&c, out, sizeof(out)), -EINVAL);
	c.pol.nports = 1;
	c.pol.nexcept = GR_EXCEPT_MAX + 1;
	assert_int_equal(grammar_print(&c, out, sizeof(out)), -EINVAL);
	c.pol.nexcept = 1;
	c.pol.action = 2;
	assert_int_equal(grammar_print(&c, out, sizeof(out)), -EINVAL);
	c.pol.action = XLB_POL_DENY;
	c.pol.cidr.plen = 129;
	assert_int_equal(grammar_print(&c, out, sizeof(out)), -EINVAL);
	c.pol.cidr.plen = 120;
	assert_int_equal(grammar_print(&c, out, sizeof(out)), 0);
	assert_int_equal(grammar_print(&c, out, 40), -ENOSPC);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Property: random policy and ratelimit commands built from their grammar
 * (random prefixes with host bits, except lists in any order, overlapping
 * port lists) print to their canonical line, which parses back equal. */
static void test_random_policy_round_trip(void **state)
{
	static const char *const verbs[] = { "add", "del", "default", "flush", "show" };
	static const char *const protos[] = { "tcp", "udp", "icmp" };
	static const char *const rlkw[] = { "pps",	  "burst",
					    "new-flows",  "new-flows-burst",
					    "ceiling",	  "ceiling-burst",
					    "prefix-len", "prefix-len6" };
	uint64_t x = 0x2545f4914f6cdd1dULL;
	char line[GR_LINE_MAX], out[GR_LINE_MAX], again[GR_LINE_MAX];
	struct gr_cmd c1, c2;
	int i, j, n, ok = 0;

#define RND() xorshift(&x)
	for (i = 0; i < 20000; i++) {
		size_t u = 0;

#define ADD(...) (u += (size_t)snprintf(line + u, sizeof(line) - u, __VA_ARGS__))
		if (RND() % 4 == 0) {
			ADD("ratelimit %s", RND() % 5 ? "set" : "del");
			if (RND() % 2)
				ADD(" vip %s", RND() % 2 ? V4 : V6);
			n = 1 + (int)(RND() % 8);
			for (j = 0; j < n; j++)
				if (RND() % 2)
					ADD(" %s %u", rlkw[j], 1 + (unsigned int)(RND() % 32));
		} else {
			const char *verb = verbs[RND() % 5];
			int v6 = (int)(RND() % 2);

			ADD("policy %s", verb);
			if (RND() % 2)
				ADD(" vip %s", v6 ? V6 : V4);
			if (!strcmp(verb, "add") || !strcmp(verb, "default"))
				ADD(" %s", RND() % 2 ? "allow" : "deny");
			if (!strcmp(verb, "add") || !strcmp(verb, "del")) {
				if (v6)
					ADD(" 2001:db8:%x::%x/%u", (unsigned int)(RND() % 65536),
					    (unsigned int)(RND() % 65536),
					    (unsigned int)(RND() % 129));
				else
					ADD(" 10.%u.%u.%u/%u", (unsigned int)(RND() % 256),
					    (unsigned int)(RND() % 256),
					    (unsigned int)(RND() % 256),
					    (unsigned int)(RND() % 33));
				if (!strcmp(verb, "add") && RND() % 2) {
					n = 1 + (int)(RND() % GR_EXCEPT_MAX);
					ADD(" except ");
					for (j = 0; j < n; j++)
						ADD("%s10.%u.0.0/%u", j ? "," : "",
						    (unsigned int)(RND() % 256),
						    16 + (unsigned int)(RND() % 17));
				}
				if (RND() % 2)
					ADD(" proto %s", protos[RND() % 3]);
				if (RND() % 2) {
					n = 1 + (int)(RND() % XLB_POL_PORTS_MAX);
					ADD(" ports ");
					for (j = 0; j < n; j++) {
						unsigned int lo = 1 + (unsigned int)(RND() % 200);

						ADD("%s%u", j ? "," : "", lo);
						if (RND() % 2)
							ADD("-%u", lo + (unsigned int)(RND() % 50));
					}
				}
			}
		}
#undef ADD
		if (strlen(line) > sizeof(line) - 2)
			continue;
		if (parse_bad(line))
			continue; /* e.g. ratelimit set without keywords */
		parse_line(line, &c1);
		ok++;
		assert_int_equal(grammar_print(&c1, out, sizeof(out)), 0);
		parse_line(out, &c2);
		if (memcmp(&c1, &c2, sizeof(c1)))
			fail_msg("'%s' (printed '%s') does not round-trip", line, out);
		assert_int_equal(grammar_print(&c2, again, sizeof(again)), 0);
		assert_string_equal(out, again);
	}
#undef RND
	print_message("# %d random policy/ratelimit lines round-tripped\n", ok);
	assert_true(ok > 10000);
}

/* Property: every line the parser accepts prints to a line that parses back to
 * the same command, and printing that again gives the same text. Lines are
 * drawn (reproducibly) from a pool of valid and invalid words.
 */
static void test_random_round_trip(void **state)
{
	static const char *const pool[] = {
		"vip",
		"backend",
		"stats",
		"flow",
		"show",
		"list",
		"add",
		"set",
		"del",
		"delete",
		"drain",
		"enable",
		"lookup",
		"help",
		"policy",
		"ratelimit",
		"default",
		"flush",
		V4,
		V6,
		"[::1]:0/tcp",
		BE,
		"2001:db8::5",
		"198.51.100.7:40000",
		"[2001:db8::7]:443",
		"sched",
		"wrr",
		"lc",
		"maglev",
		"encap",
		"ipip",
		"gue",
		"l2",
		"hash",
		"src",
		"5tuple",
		"ring-size",
		"65537",
		"udp-idle",
		"30s",
		"mtu",
		"1500",
		"check",
		"http",
		"tcp",
		"udp",
		"none",
		"path",
		"/h",
		"\"/a b\"",
		"interval",
		"2000",
		"timeout",
		"1m",
		"rise",
		"fall",
		"3",
		"eject-time",
		"max-eject-time",
		"half-open-flows",
		"panic",
		"max-eject",
		"100",
		"expect",
		"301,200-299",
		"200-299",
		"send",
		"receive",
		"\"a #b\"",
		"pong",
		"check-via",
		"direct",
		"weight",
		"port",
		"8443",
		"mac",
		"02:00:00:00:00:05",
		"0",
		"#",
		"x",
		"vip",
		"allow",
		"deny",
		"10.1.2.3/8",
		"2001:db8::/32",
		"except",
		"10.1.0.0/16,10.2.0.0/16",
		"proto",
		"icmp",
		"ports",
		"80,443-444",
		"pps",
		"burst",
		"new-flows",
		"new-flows-burst",
		"ceiling",
		"ceiling-burst",
		"prefix-len",
		"prefix-len6",
		"24",
	};
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	char line[GR_LINE_MAX], out[GR_LINE_MAX], again[GR_LINE_MAX];
	char *argv[GR_MAX_WORDS];
	struct gr_cmd c1, c2;
	int i, n, w, argc, accepted = 0;

	for (i = 0; i < 200000; i++) {
		size_t used = 0;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		n = 1 + (int)(s % 10);
		line[0] = '\0';
		for (w = 0; w < n; w++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			/* bias the first two words towards object and verb */
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s ",
						 pool[w < 2 ? s % 20 : s % ARRAY_SIZE(pool)]);
		}
		if (grammar_split(line, argv, GR_MAX_WORDS, &argc, err, sizeof(err)) || !argc ||
		    grammar_parse(argc, argv, &c1, err, sizeof(err)))
			continue;
		accepted++;
		assert_int_equal(grammar_print(&c1, out, sizeof(out)), 0);
		parse_line(out, &c2);
		if (memcmp(&c1, &c2, sizeof(c1)))
			fail_msg("'%s' does not round-trip", out);
		assert_int_equal(grammar_print(&c2, again, sizeof(again)), 0);
		assert_string_equal(out, again);
	}
	print_message("# %d random lines accepted and round-tripped\n", accepted);
	assert_true(accepted > 1000);
}

static void test_names(void **state)
{
	assert_string_equal(gr_object_name(GR_OBJ_BACKEND), "backend");
	assert_string_equal(gr_object_name(GR_OBJ_ALL), "show");
	assert_string_equal(gr_verb_name(GR_VERB_DEL), "del");
	assert_null(gr_verb_name((enum gr_verb)99));
	assert_string_equal(gr_sched_name(GR_SCHED_LC), "lc");
	assert_string_equal(gr_hash_name(GR_HASH_SRC), "src");
	assert_string_equal(gr_check_name(GR_CHECK_HTTP), "http");
	assert_null(gr_check_name(__GR_CHECK_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_values_vip),
		cmocka_unit_test(test_values_backend),
		cmocka_unit_test(test_values_flow_show),
		cmocka_unit_test(test_values_policy),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_path_limits),
		cmocka_unit_test(test_text_expect_limits),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_print_errors),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_random_policy_round_trip),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
