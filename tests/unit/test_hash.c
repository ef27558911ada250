// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Known answers of the flow hashes (headers/xlb/hash.h). Every LB node must
 * compute the same values, across versions too, or a mixed fleet sends one
 * flow to different backends. The packet tests derive expectations from the
 * same header, so only these pinned values catch an accidental change. A
 * deliberate change of the hash is an announced, fleet-wide upgrade: update
 * the values then, and only then. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <xlb/hash.h>

static void keys(struct xlb_flow_key *k4, struct xlb_flow_key *k6)
{
	*k4 = (struct xlb_flow_key){
		.sport = htons(40000), .dport = htons(80), .proto = 6, .family = XLB_FAMILY_V4
	};
	inet_pton(AF_INET, "192.0.2.2", k4->src);
	inet_pton(AF_INET, "203.0.113.10", k4->dst);
	*k6 = (struct xlb_flow_key){
		.sport = htons(40000), .dport = htons(443), .proto = 17, .family = XLB_FAMILY_V6
	};
	inet_pton(AF_INET6, "2001:db8:1::2", k6->src);
	inet_pton(AF_INET6, "2001:db8:100::10", k6->dst);
}

static void test_known_answers(void **state)
{
	struct xlb_flow_key k4, k6;

	(void)state;
	keys(&k4, &k6);
	assert_int_equal(xlb_hash_flow(&k4, XLB_HASH_SEED_DEFAULT), 0xbabce5a4);
	assert_int_equal(xlb_hash_src(&k4, XLB_HASH_SEED_DEFAULT), 0x7355b619);
	assert_int_equal(xlb_hash_outer(&k4), 0xbce02820);
	assert_int_equal(xlb_hash_flow(&k6, XLB_HASH_SEED_DEFAULT), 0x722fa98e);
	assert_int_equal(xlb_hash_src(&k6, XLB_HASH_SEED_DEFAULT), 0xb2d58f60);
	assert_int_equal(xlb_hash_outer(&k6), 0xb24b489a);
	assert_int_equal(xlb_hash_flow(&k4, 1), 0xc762f8ff); /* the seed matters */
}

/* Every tuple field takes part; the source hash ignores all but the source */
static void test_fields_matter(void **state)
{
	struct xlb_flow_key k4, k6, x;
	uint32_t h, s;

	(void)state;
	keys(&k4, &k6);
	h = xlb_hash_flow(&k6, 0);
	s = xlb_hash_src(&k6, 0);
	x = k6;
	x.sport ^= htons(1);
	assert_int_not_equal(xlb_hash_flow(&x, 0), h);
	assert_int_equal(xlb_hash_src(&x, 0), s);
	x = k6;
	x.dst[3] ^= 1;
	assert_int_not_equal(xlb_hash_flow(&x, 0), h);
	assert_int_equal(xlb_hash_src(&x, 0), s);
	x = k6;
	x.proto = 6;
	assert_int_not_equal(xlb_hash_flow(&x, 0), h);
	x = k6;
	x.src[0] ^= 1;
	assert_int_not_equal(xlb_hash_src(&x, 0), s);
	x = k4;
	x.dport = htons(81);
	assert_int_not_equal(xlb_hash_outer(&x), xlb_hash_outer(&k4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_fields_matter),
	};

	return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
