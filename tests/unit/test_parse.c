// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of the value parsers and formatters in userspace/common/parse.c:
 * real values (byte order, families), edge cases, and rejected inputs whose
 * message must name the offending token.
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

#include "common/parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char err[256];

static void test_addr_v4(void **state)
{
	struct xlb_addr a;

	memset(&a, 0xaa, sizeof(a));
	assert_int_equal(parse_addr("192.0.2.10", &a, err, sizeof(err)), 0);
	assert_int_equal(a.family, XLB_FAMILY_V4);
	assert_int_equal(a.addr[0], htonl(0xc000020a));
	assert_int_equal(a.addr[1], 0);
	assert_int_equal(a.addr[2], 0);
	assert_int_equal(a.addr[3], 0);
	assert_int_equal(a.pad[0] | a.pad[1] | a.pad[2], 0);
}

static void test_addr_v6(void **state)
{
	const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
	/* RFC 5952: longest zero run (first on a tie), no lone-zero "::", no dotted tail */
	static const char *const canon[][2] = {
		{ "::1", "::1" },
		{ "::", "::" },
		{ "1::", "1::" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		{ "2001:0DB8:0000:0000:0000:0000:0000:00A0", "2001:db8::a0" },
		{ "::1:80", "::1:80" },
		{ "::192.0.2.1", "::c000:201" },
		{ "64:ff9b::192.0.2.1", "64:ff9b::c000:201" },
	};
	struct xlb_addr a;
	char buf[PARSE_ADDR_STRLEN];
	size_t i;

	assert_int_equal(parse_addr("2001:DB8::10", &a, err, sizeof(err)), 0);
	assert_int_equal(a.family, XLB_FAMILY_V6);
	assert_memory_equal(a.addr, want, 16);
	assert_int_equal(format_addr(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::10");

	for (i = 0; i < ARRAY_SIZE(canon); i++) {
		if (parse_addr(canon[i][0], &a, err, sizeof(err)))
			fail_msg("rejected '%s': %s", canon[i][0], err);
		assert_int_equal(format_addr(&a, buf, sizeof(buf)), 0);
		assert_string_equal(buf, canon[i][1]);
	}
}

static void test_addr_mapped(void **state)
{
	struct xlb_addr a;

	assert_int_equal(parse_addr("::ffff:192.0.2.1", &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'::ffff:192.0.2.1'"));
	assert_non_null(strstr(err, "write 192.0.2.1"));
}

struct bad {
	const char *in;
	const char *want; /* substring the message must contain */
};

static const struct bad bad_addrs[] = {
	{ "", "invalid address ''" },	      { "1.2.3", "'1.2.3'" },
	{ "1.2.3.4.5", "'1.2.3.4.5'" },	      { "256.0.0.1", "'256.0.0.1'" },
	{ "010.0.0.1", "'010.0.0.1'" },	      { "0x7f.0.0.1", "'0x7f.0.0.1'" },
	{ " 1.2.3.4", "' 1.2.3.4'" },	      { "1.2.3.4 ", "'1.2.3.4 '" },
	{ "fe80::1%eth0", "'fe80::1%eth0'" }, { "2001:db8:::1", "'2001:db8:::1'" },
	{ "host.example", "'host.example'" },
};

static void test_addr_bad(void **state)
{
	struct xlb_addr a;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_addrs); i++) {
		err[0] = '\0';
		if (parse_addr(bad_addrs[i].in, &a, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted address '%s'", bad_addrs[i].in);
		if (!strstr(err, bad_addrs[i].want))
			fail_msg("'%s': message '%s' lacks '%s'", bad_addrs[i].in, err,
				 bad_addrs[i].want);
	}
}

static void test_vip_v4(void **state)
{
	struct xlb_vip_key k;
	char buf[PARSE_VIP_STRLEN];

	memset(&k, 0xaa, sizeof(k));
	assert_int_equal(parse_vip("192.0.2.10:80/tcp", &k, err, sizeof(err)), 0);
	assert_int_equal(k.family, XLB_FAMILY_V4);
	assert_int_equal(k.addr[0], htonl(0xc000020a));
	assert_int_equal(k.addr[1] | k.addr[2] | k.addr[3], 0);
	assert_int_equal(k.port, htons(80));
	assert_int_equal(k.proto, IPPROTO_TCP);
	assert_int_equal(format_vip(&k, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "192.0.2.10:80/tcp");

	/* port 0 = every port */
	assert_int_equal(parse_vip("203.0.113.10:0/udp", &k, err, sizeof(err)), 0);
	assert_int_equal(k.port, 0);
	assert_int_equal(k.proto, IPPROTO_UDP);
	assert_int_equal(format_vip(&k, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "203.0.113.10:0/udp");

	assert_int_equal(parse_vip("203.0.113.10:65535/tcp", &k, err, sizeof(err)), 0);
	assert_int_equal(ntohs(k.port), 65535);
}

static void test_vip_v6(void **state)
{
	const uint8_t lo[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct xlb_vip_key k;
	char buf[PARSE_VIP_STRLEN];

	assert_int_equal(parse_vip("[::1]:80/tcp", &k, err, sizeof(err)), 0);
	assert_int_equal(k.family, XLB_FAMILY_V6);
	assert_memory_equal(k.addr, lo, 16);
	assert_int_equal(k.port, htons(80));
	assert_int_equal(format_vip(&k, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[::1]:80/tcp");

	assert_int_equal(parse_vip("[2001:DB8:0::10]:80/udp", &k, err, sizeof(err)), 0);
	assert_int_equal(format_vip(&k, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[2001:db8::10]:80/udp");

	/* longest form fits PARSE_VIP_STRLEN */
	assert_int_equal(parse_vip("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535/tcp", &k, err,
				   sizeof(err)),
			 0);
	assert_int_equal(format_vip(&k, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535/tcp");
	assert_int_equal(format_vip(&k, buf, 10), -ENOSPC);
	assert_int_equal(strlen(buf), 9);
}

static const struct bad bad_vips[] = {
	{ "::1:80/tcp", "brackets" },
	{ "::1:80/tcp", "'::1:80/tcp'" },
	{ "203.0.113.10:80/sctp", "invalid protocol 'sctp'" },
	{ "203.0.113.10:80/TCP", "'TCP'" },
	{ "1.2.3.4:80", "missing '/tcp' or '/udp'" },
	{ "1.2.3.4:80", "'1.2.3.4:80'" },
	{ "1.2.3.4/tcp", "missing ':PORT'" },
	{ "1.2.3.4:65536/tcp", "invalid port '65536'" },
	{ "1.2.3.4:-1/tcp", "invalid port '-1'" },
	{ "1.2.3.4:+80/tcp", "invalid port '+80'" },
	{ "1.2.3.4:080/tcp", "invalid port '080'" },
	{ "1.2.3.4:0x50/tcp", "invalid port '0x50'" },
	{ "1.2.3.4:/tcp", "invalid port ''" },
	{ "1.2.3.4:80/tcp ", "invalid protocol 'tcp '" },
	{ " 1.2.3.4:80/tcp", "invalid address ' 1.2.3.4'" },
	{ "1.2.3.4:80/", "invalid protocol ''" },
	{ "[1.2.3.4]:80/tcp", "brackets are for IPv6" },
	{ "[::1]80/tcp", "missing ':PORT' after ']'" },
	{ "[::1:80/tcp", "missing ']'" },
	{ "1.2.3:80/tcp", "invalid address '1.2.3'" },
	{ "[::ffff:1.2.3.4]:80/tcp", "write 1.2.3.4" },
	{ ":80/tcp", "invalid address ''" },
	{ "1.2.3.4:80/tcp/udp", "invalid port '80/tcp'" },
};

static void test_vip_bad(void **state)
{
	struct xlb_vip_key k;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_vips); i++) {
		err[0] = '\0';
		if (parse_vip(bad_vips[i].in, &k, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted vip '%s'", bad_vips[i].in);
		if (!strstr(err, bad_vips[i].want))
			fail_msg("'%s': message '%s' lacks '%s'", bad_vips[i].in, err,
				 bad_vips[i].want);
	}
	/* too long */
	assert_int_equal(
		parse_vip("[0000:0000:0000:0000:0000:0000:0000:0001]:000000000000000000080/tcp", &k,
			  err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "too long"));
}

static void test_port(void **state)
{
	uint16_t p = 7;

	assert_int_equal(parse_port("1", &p, err, sizeof(err)), 0);
	assert_int_equal(p, 1);
	assert_int_equal(parse_port("65535", &p, err, sizeof(err)), 0);
	assert_int_equal(p, 65535);
	assert_int_equal(parse_port("0", &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid port '0': must be 1-65535");
	assert_int_equal(p, 65535); /* untouched on error */
	assert_int_equal(parse_port("70000", &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid port '70000': must be 1-65535");
	assert_int_equal(parse_port0("0", &p, err, sizeof(err)), 0);
	assert_int_equal(p, 0);
	assert_int_equal(parse_port0("65536", &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid port '65536': must be 0-65535");
	/* wraps to 80 with a naive 16-bit cast */
	assert_int_equal(parse_port("65616", &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(parse_port("18446744073709551696", &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'18446744073709551696'"));
}

static void test_uint(void **state)
{
	static const char *const bad[] = { "",
					   "-1",
					   "+1",
					   " 1",
					   "1 ",
					   "0x10",
					   "010",
					   "1e3",
					   "1.0",
					   "4294967296",
					   "99999999999999999999999" };
	uint64_t v = 0;
	size_t i;

	assert_int_equal(parse_uint("0", "n", 0, 10, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_uint("4294967295", "n", 0, UINT32_MAX, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 4294967295ULL);
	assert_int_equal(
		parse_uint("18446744073709551615", "n", 0, UINT64_MAX, &v, err, sizeof(err)), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_uint("18446744073709551616", "n", 0, UINT64_MAX, &v, err,
				    sizeof(err)),
			 -EINVAL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char want[64];

		if (parse_uint(bad[i], "weight", 0, UINT32_MAX, &v, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted number '%s'", bad[i]);
		snprintf(want, sizeof(want), "invalid weight '%s'", bad[i]);
		if (!strstr(err, want))
			fail_msg("'%s': message '%s'", bad[i], err);
	}
}

static void test_dur(void **state)
{
	static const struct {
		const char *in;
		uint64_t ms;
		const char *canon;
	} good[] = {
		{ "0", 0, "0ms" },	     { "1", 1, "1ms" },
		{ "1500", 1500, "1500ms" },  { "1500ms", 1500, "1500ms" },
		{ "2000", 2000, "2s" },	     { "2s", 2000, "2s" },
		{ "120s", 120000, "2m" },    { "2m", 120000, "2m" },
		{ "90s", 90000, "90s" },     { "1440m", 86400000, "1440m" },
		{ "61000ms", 61000, "61s" },
	};
	static const struct bad bad[] = {
		{ "", "invalid duration ''" },
		{ "-1s", "'-1s'" },
		{ "+1s", "'+1s'" },
		{ "1.5s", "'1.5s'" },
		{ "1h", "unit must be ms, s or m" },
		{ "1 s", "'1 s'" },
		{ " 1s", "' 1s'" },
		{ "1s ", "'1s '" },
		{ "s", "invalid duration 's'" },
		{ "ms", "invalid duration 'ms'" },
		{ "0x10", "'0x10'" },
		{ "01s", "'01s'" },
		{ "1S", "'1S'" },
		{ "1sm", "'1sm'" },
		{ "307445734561825861m", "too large" },
		{ "18446744073709551616", "too large" },
	};
	char buf[PARSE_DUR_STRLEN];
	uint64_t ms;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		ms = 12345;
		if (parse_dur(good[i].in, &ms, err, sizeof(err)))
			fail_msg("rejected duration '%s': %s", good[i].in, err);
		assert_true(ms == good[i].ms);
		assert_int_equal(format_dur(ms, buf, sizeof(buf)), 0);
		assert_string_equal(buf, good[i].canon);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse_dur(bad[i].in, &ms, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted duration '%s'", bad[i].in);
		if (!strstr(err, bad[i].want))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].in, err, bad[i].want);
	}
	/* largest minute count that fits in 64-bit milliseconds, and one more */
	assert_int_equal(parse_dur("307445734561825m", &ms, err, sizeof(err)), 0);
	assert_true(ms == 307445734561825ULL * 60000ULL);
	assert_int_equal(parse_dur("307445734561826m", &ms, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'307445734561826m': too large"));

	assert_int_equal(parse_dur_range("0", "interval", 1, 86400000, &ms, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "invalid interval '0': must be 1ms-24h");
	assert_int_equal(parse_dur_range("1441m", "interval", 1, 86400000, &ms, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "invalid interval '1441m': must be 1ms-24h");
	assert_int_equal(format_dur(UINT64_MAX, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "18446744073709551615ms");
}

static void test_mac(void **state)
{
	const uint8_t want[6] = { 0x02, 0xab, 0xcd, 0xef, 0x00, 0x01 };
	static const struct bad bad[] = {
		{ "02:ab:cd:ef:00", "'02:ab:cd:ef:00'" },
		{ "02:ab:cd:ef:00:01:02", "'02:ab:cd:ef:00:01:02'" },
		{ "02-ab-cd-ef-00-01", "'02-ab-cd-ef-00-01'" },
		{ "2:ab:cd:ef:00:001", "'2:ab:cd:ef:00:001'" },
		{ "02:ab:cd:ef:00:0g", "'02:ab:cd:ef:00:0g'" },
		{ "ff:ff:ff:ff:ff:ff", "unicast" },
		{ "01:00:5e:00:00:01", "'01:00:5e:00:00:01'" },
		{ "00:00:00:00:00:00", "unicast" },
		{ "", "invalid mac ''" },
	};
	uint8_t mac[6];
	char buf[PARSE_MAC_STRLEN];
	size_t i;

	assert_int_equal(parse_mac("02:AB:cd:EF:00:01", mac, err, sizeof(err)), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(format_mac(mac, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "02:ab:cd:ef:00:01");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse_mac(bad[i].in, mac, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted mac '%s'", bad[i].in);
		if (!strstr(err, bad[i].want))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].in, err, bad[i].want);
	}
}

static void test_addr_port(void **state)
{
	static const struct {
		const char *in;
		uint8_t family;
		uint16_t port;
		const char *canon;
	} good[] = {
		{ "198.51.100.7", XLB_FAMILY_V4, 0, "198.51.100.7" },
		{ "198.51.100.7:40000", XLB_FAMILY_V4, 40000, "198.51.100.7:40000" },
		{ "2001:db8::7", XLB_FAMILY_V6, 0, "2001:db8::7" },
		{ "::1:80", XLB_FAMILY_V6, 0, "::1:80" }, /* an address, not a port */
		{ "[2001:db8::7]", XLB_FAMILY_V6, 0, "2001:db8::7" },
		{ "[2001:db8::7]:443", XLB_FAMILY_V6, 443, "[2001:db8::7]:443" },
	};
	static const struct bad bad[] = {
		{ "198.51.100.7:0", "invalid port '0'" },
		{ "198.51.100.7:65536", "invalid port '65536'" },
		{ "[2001:db8::7]:", "invalid port ''" },
		{ "[2001:db8::7]x", "'[2001:db8::7]x'" },
		{ "[198.51.100.7]:80", "brackets are for IPv6" },
		{ "[2001:db8::7", "missing ']'" },
		{ "198.51.100:80", "'198.51.100'" },
	};
	struct xlb_addr a;
	uint16_t port;
	char buf[PARSE_VIP_STRLEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		port = 1;
		if (parse_addr_port(good[i].in, &a, &port, err, sizeof(err)))
			fail_msg("rejected '%s': %s", good[i].in, err);
		assert_int_equal(a.family, good[i].family);
		assert_int_equal(port, good[i].port);
		assert_int_equal(format_addr_port(&a, port, buf, sizeof(buf)), 0);
		assert_string_equal(buf, good[i].canon);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse_addr_port(bad[i].in, &a, &port, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted '%s'", bad[i].in);
		if (!strstr(err, bad[i].want))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].in, err, bad[i].want);
	}
}

static void test_format_bad(void **state)
{
	struct xlb_vip_key k;
	struct xlb_addr a;
	char buf[PARSE_VIP_STRLEN];

	memset(&k, 0, sizeof(k));
	k.family = XLB_FAMILY_V4;
	k.proto = 132; /* sctp */
	assert_int_equal(format_vip(&k, buf, sizeof(buf)), -EINVAL);
	k.proto = IPPROTO_TCP;
	k.family = 0;
	assert_int_equal(format_vip(&k, buf, sizeof(buf)), -EINVAL);
	memset(&a, 0, sizeof(a));
	a.family = 5;
	assert_int_equal(format_addr(&a, buf, sizeof(buf)), -EINVAL);
}

static void test_proto(void **state)
{
	uint8_t p = 0;

	assert_int_equal(parse_proto("udp", &p, err, sizeof(err)), 0);
	assert_int_equal(p, IPPROTO_UDP);
	assert_int_equal(parse_proto("icmp", &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid protocol 'icmp': must be tcp or udp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_v4),	    cmocka_unit_test(test_addr_v6),
		cmocka_unit_test(test_addr_mapped), cmocka_unit_test(test_addr_bad),
		cmocka_unit_test(test_vip_v4),	    cmocka_unit_test(test_vip_v6),
		cmocka_unit_test(test_vip_bad),	    cmocka_unit_test(test_port),
		cmocka_unit_test(test_uint),	    cmocka_unit_test(test_dur),
		cmocka_unit_test(test_mac),	    cmocka_unit_test(test_addr_port),
		cmocka_unit_test(test_format_bad),  cmocka_unit_test(test_proto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
