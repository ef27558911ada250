// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of the Maglev table builder: weighted balance, order independence,
 * seeds, disruption bounds at several prime sizes, and argument errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/dataplane/maglev.h"
#include "agent/model/prime.h"

#define ID_BASE 1000U /* ids differ from array positions, so mix-ups show */
#define SEED 0x786c6221U

/* Deterministic PRNG (xorshift64*) for shuffles and picks: reproducible runs. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Backend i: a realistic, low-entropy key (family 4, 10.x.y.z, port 8080). */
static void make_key(uint8_t *key, uint32_t i)
{
	memset(key, 0, MAGLEV_KEY_LEN);
	key[0] = 4;
	key[1] = 10;
	key[2] = (uint8_t)(i >> 16);
	key[3] = (uint8_t)(i >> 8);
	key[4] = (uint8_t)i;
	key[5] = 8080 >> 8;
	key[6] = 8080 & 0xff;
}

static struct maglev_backend *make_backends(size_t n, uint32_t weight)
{
	struct maglev_backend *be = calloc(n, sizeof(*be));
	size_t i;

	assert_non_null(be);
	for (i = 0; i < n; i++) {
		be[i].id = ID_BASE + (uint32_t)i;
		be[i].weight = weight;
		make_key(be[i].key, (uint32_t)i);
	}
	return be;
}

static uint32_t *alloc_table(uint32_t m)
{
	uint32_t *t = malloc((size_t)m * sizeof(*t));

	assert_non_null(t);
	return t;
}

static void shuffle(struct maglev_backend *be, size_t n, uint64_t *rng)
{
	struct maglev_backend tmp;
	size_t i, j;

	for (i = n - 1; i > 0; i--) {
		j = rng_next(rng) % (i + 1);
		tmp = be[i];
		be[i] = be[j];
		be[j] = tmp;
	}
}

/* Every backend holds floor(m*w/W) or ceil(m*w/W) slots of @t, every slot
 * holds a known id, and the counts add up to m. Needs be[i].id == ID_BASE + i.
 */
static void check_table_quota(const struct maglev_backend *be, size_t n, uint32_t m,
			      const uint32_t *t)
{
	uint64_t *cnt = calloc(n, sizeof(*cnt));
	uint64_t total = 0, sum = 0, lo, hi;
	size_t i;

	assert_non_null(cnt);
	for (i = 0; i < n; i++) {
		assert_int_equal(be[i].id, ID_BASE + i);
		total += be[i].weight;
	}
	for (i = 0; i < m; i++) {
		assert_in_range(t[i], ID_BASE, ID_BASE + n - 1);
		cnt[t[i] - ID_BASE]++;
	}
	for (i = 0; i < n; i++) {
		lo = (uint64_t)m * be[i].weight / total;
		hi = lo + ((uint64_t)m * be[i].weight % total != 0);
		assert_in_range(cnt[i], lo, hi);
		sum += cnt[i];
	}
	assert_int_equal(sum, m);
	free(cnt);
}

static void check_quota(const struct maglev_backend *be, size_t n, uint32_t m)
{
	uint32_t *t = alloc_table(m);

	assert_int_equal(maglev_build(be, n, m, SEED, t), 0);
	check_table_quota(be, n, m, t);
	free(t);
}

static const uint32_t quota_primes[] = { 251, 65537, 131071 };

static void test_quota_equal(void **state)
{
	size_t k, n;

	for (k = 0; k < sizeof(quota_primes) / sizeof(quota_primes[0]); k++) {
		n = quota_primes[k] < 1000 ? 100 : 1000;
		struct maglev_backend *be = make_backends(n, 1);

		check_quota(be, n, quota_primes[k]);
		/* the weight scale must not matter */
		for (size_t i = 0; i < n; i++)
			be[i].weight = 1000;
		check_quota(be, n, quota_primes[k]);
		free(be);
	}
}

static void test_quota_skewed(void **state)
{
	uint64_t rng = 42;
	size_t k, i;

	for (k = 0; k < sizeof(quota_primes) / sizeof(quota_primes[0]); k++) {
		/* weights 1..100, one backend each */
		struct maglev_backend *be = make_backends(100, 1);

		for (i = 0; i < 100; i++)
			be[i].weight = (uint32_t)i + 1;
		check_quota(be, 100, quota_primes[k]);
		free(be);

		/* random weights 1..1000 over 200 backends */
		be = make_backends(200, 1);
		for (i = 0; i < 200; i++)
			be[i].weight = (uint32_t)(rng_next(&rng) % 1000) + 1;
		check_quota(be, 200, quota_primes[k]);
		free(be);
	}
}

static void test_quota_one_huge(void **state)
{
	size_t k;

	for (k = 0; k < sizeof(quota_primes) / sizeof(quota_primes[0]); k++) {
		struct maglev_backend *be = make_backends(50, 1);

		/* largest weight: m * w needs the full 64 bits */
		be[17].weight = UINT32_MAX;
		check_quota(be, 50, quota_primes[k]);
		be[17].weight = 1000000;
		check_quota(be, 50, quota_primes[k]);
		free(be);
	}
}

/* Shares that are whole numbers get exactly that, never an extra slot:
 * W = 2m, so weight 2 is exactly one slot and weight 4 two; weight 3 is 1.5.
 */
static void test_quota_exact_shares(void **state)
{
	struct maglev_backend *be = make_backends(151, 3);
	size_t i;

	for (i = 0; i < 50; i++)
		be[i * 3].weight = 4; /* 50 * 4 + 100 * 3 = 500 */
	be[150].weight = 2;	      /* W = 502 = 2 * 251 */
	check_quota(be, 151, 251);
	free(be);
}

/* Same set in any order: byte-identical table. */
static void check_order_independent(struct maglev_backend *be, size_t n, uint32_t m)
{
	uint32_t *ref = alloc_table(m), *t = alloc_table(m);
	uint64_t rng = 7;
	int round;

	assert_int_equal(maglev_build(be, n, m, SEED, ref), 0);
	for (round = 0; round < 6; round++) {
		if (round == 0) {
			for (size_t i = 0; i < n / 2; i++) { /* reversed */
				struct maglev_backend tmp = be[i];

				be[i] = be[n - 1 - i];
				be[n - 1 - i] = tmp;
			}
		} else {
			shuffle(be, n, &rng);
		}
		memset(t, 0xa5, (size_t)m * sizeof(*t));
		assert_int_equal(maglev_build(be, n, m, SEED, t), 0);
		assert_memory_equal(ref, t, (size_t)m * sizeof(*t));
	}
	free(t);
	free(ref);
}

static void test_order_independent(void **state)
{
	struct maglev_backend *be = make_backends(1000, 1);
	size_t i;

	check_order_independent(be, 1000, 65537);
	for (i = 0; i < 1000; i++)
		be[i].weight = (uint32_t)(i % 100) + 1;
	be[3].weight = 0; /* draining entries may sit anywhere too */
	check_order_independent(be, 1000, 65537);
	check_order_independent(be, 100, 251);
	free(be);
}

static void test_seed_changes_table(void **state)
{
	struct maglev_backend *be = make_backends(1000, 1);
	uint32_t *a = alloc_table(65537), *b = alloc_table(65537);
	uint32_t i, diff = 0;

	assert_int_equal(maglev_build(be, 1000, 65537, 1, a), 0);
	assert_int_equal(maglev_build(be, 1000, 65537, 2, b), 0);
	for (i = 0; i < 65537; i++)
		diff += a[i] != b[i];
	print_message("# seed 1 vs 2: %u of 65537 slots differ\n", diff);
	/* independent permutations agree on about 1/n of the slots */
	assert_in_range(diff, 65537 * 9 / 10, 65537);
	/* the balance holds for every seed */
	check_table_quota(be, 1000, 65537, a);
	check_table_quota(be, 1000, 65537, b);
	free(b);
	free(a);
	free(be);
}

/* Slots whose value changed between the full set and the set without the
 * backends in @gone (the removed backends' own slots count as moved).
 */
static uint32_t moved_after_removal(const struct maglev_backend *be, size_t n, uint32_t m,
				    const uint32_t *before, const bool *gone)
{
	struct maglev_backend *rest = calloc(n, sizeof(*rest));
	uint32_t *after = alloc_table(m);
	uint32_t i, moved = 0;
	size_t j, nr = 0;

	assert_non_null(rest);
	for (j = 0; j < n; j++)
		if (!gone[j])
			rest[nr++] = be[j];
	assert_int_equal(maglev_build(rest, nr, m, SEED, after), 0);
	for (i = 0; i < m; i++) {
		moved += before[i] != after[i];
		/* a removed backend never stays in the table */
		assert_false(gone[after[i] - ID_BASE]);
	}
	free(after);
	free(rest);
	return moved;
}

/* Remove @k random backends, @trials times. The worst number of moved slots
 * must stay at or below @max_x100 / 100 times the ideal (the removed backends'
 * own share, m * k / n). The acceptance targets at n=1000, m=65537 are 0.75%
 * for one removal (7.5 times ideal) and 3.7% for ten (3.7 times ideal); other
 * sizes use the same ratios.
 */
static void check_disruption(size_t n, uint32_t m, size_t k, int trials, uint32_t max_x100)
{
	struct maglev_backend *be = make_backends(n, 1);
	uint32_t *before = alloc_table(m);
	bool *gone = calloc(n, sizeof(*gone));
	uint64_t ideal = (uint64_t)m * k / n;
	uint64_t bound = (uint64_t)m * k * max_x100 / (n * 100);
	uint32_t moved, worst = 0;
	uint64_t rng = 0x1234567ULL + n + k;
	size_t picked;
	int trial;

	assert_non_null(gone);
	assert_int_equal(maglev_build(be, n, m, SEED, before), 0);
	for (trial = 0; trial < trials; trial++) {
		memset(gone, 0, n * sizeof(*gone));
		for (picked = 0; picked < k;) {
			size_t v = rng_next(&rng) % n;

			if (!gone[v]) {
				gone[v] = true;
				picked++;
			}
		}
		moved = moved_after_removal(be, n, m, before, gone);
		if (moved > worst)
			worst = moved;
	}
	print_message("# disruption n=%zu m=%u remove %zu: worst of %d trials %u slots (%.3f%%; "
		      "ideal %.3f%%, bound %.3f%%)\n",
		      n, m, k, trials, worst, 100.0 * worst / m, 100.0 * k / n, 100.0 * bound / m);
	/* at least the removed backends' own slots move */
	assert_in_range(worst, ideal, bound);
	free(gone);
	free(before);
	free(be);
}

/* Acceptance: at most 0.75% of slots for one removal, 3.7% for 1% (ten) */
static void test_disruption_m65537_remove_one(void **state)
{
	check_disruption(1000, 65537, 1, 20, 750);
}

static void test_disruption_m65537_remove_1pct(void **state)
{
	check_disruption(1000, 65537, 10, 10, 370);
}

/* Twice the table, twice the backends: same slots per backend */
static void test_disruption_m131071(void **state)
{
	check_disruption(2000, 131071, 1, 10, 750);
	check_disruption(2000, 131071, 20, 5, 370);
}

/* A quarter of the table: 250 backends keep the slots per backend, 1000
 * backends get 16 slots each (tighter, still within the absolute targets).
 */
static void test_disruption_m16381(void **state)
{
	check_disruption(250, 16381, 1, 20, 750);
	check_disruption(250, 16381, 3, 10, 370);
	check_disruption(1000, 16381, 1, 20, 750);
	check_disruption(1000, 16381, 10, 10, 370);
}

/* Weighted (weights 1..100): removing one backend moves at most 7.5 times its
 * own share, as for equal weights, with the share counted as at least the
 * average (m / n): a light backend's few slots still reshuffle the tail.
 */
static void test_disruption_weighted(void **state)
{
	const size_t n = 1000;
	const uint32_t m = 65537;
	struct maglev_backend *be = make_backends(n, 1);
	uint32_t *before = alloc_table(m);
	bool *gone = calloc(n, sizeof(*gone));
	uint64_t total = 0, share, bound;
	uint32_t moved, worst = 0, worst_w = 0;
	size_t v;

	assert_non_null(gone);
	for (v = 0; v < n; v++) {
		be[v].weight = (uint32_t)(v * 37 % 100) + 1;
		total += be[v].weight;
	}
	assert_int_equal(maglev_build(be, n, m, SEED, before), 0);
	for (v = 0; v < n; v += 23) {
		share = (uint64_t)m * be[v].weight / total;
		if (share < m / n)
			share = m / n;
		bound = share * 75 / 10;
		gone[v] = true;
		moved = moved_after_removal(be, n, m, before, gone);
		gone[v] = false;
		if (moved > worst) {
			worst = moved;
			worst_w = be[v].weight;
		}
		assert_in_range(moved, 1, bound);
	}
	print_message(
		"# disruption weighted n=%zu m=%u remove 1: worst %u slots (%.3f%%, weight %u "
		"of total %llu)\n",
		n, m, worst, 100.0 * worst / m, worst_w, (unsigned long long)total);
	free(gone);
	free(before);
	free(be);
}

static void test_is_prime(void **state)
{
	static const uint32_t primes[] = {
		2, 3, 5, 7, 13, 251, 16381, 65537, 131071, 1048573, 2147483647U, 4294967291U
	};
	/* 4294049777 = 65521 * 65537: factors near the square root */
	static const uint32_t composites[] = {
		0, 1, 4, 9, 25, 49, 121, 65535, 65536, 1048575, 4294049777U, 4294967295U
	};
	size_t i;

	for (i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
		assert_true(prime_test(primes[i]));
	for (i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
		assert_false(prime_test(composites[i]));
}

/* An error leaves the table untouched. */
static void check_einval(const struct maglev_backend *be, size_t n, uint32_t m)
{
	uint32_t t[300], ref[300];

	memset(t, 0x5a, sizeof(t));
	memcpy(ref, t, sizeof(t));
	assert_int_equal(maglev_build(be, n, m, SEED, t), -EINVAL);
	assert_memory_equal(ref, t, sizeof(t));
}

static void test_err_not_prime(void **state)
{
	struct maglev_backend *be = make_backends(4, 1);

	check_einval(be, 4, 0);
	check_einval(be, 4, 1);
	check_einval(be, 4, 250);
	check_einval(be, 4, 221); /* 13 * 17 */
	free(be);
}

static void test_err_empty(void **state)
{
	struct maglev_backend *be = make_backends(4, 0);

	check_einval(be, 0, 251);
	check_einval(NULL, 0, 251);
	check_einval(be, 4, 251); /* all weights zero */
	free(be);
}

static void test_err_duplicate_keys(void **state)
{
	struct maglev_backend *be = make_backends(10, 1);

	memcpy(be[7].key, be[2].key, MAGLEV_KEY_LEN);
	check_einval(be, 10, 251);
	be[7].weight = 0; /* a draining duplicate is still a duplicate */
	check_einval(be, 10, 251);
	be[7].id = be[2].id; /* same id too: still rejected */
	check_einval(be, 10, 251);
	free(be);
}

static void test_err_m_too_small(void **state)
{
	struct maglev_backend *be = make_backends(12, 1);

	check_einval(be, 12, 11);
	check_einval(be, 12, 2);
	/* draining backends do not count: 11 weighted fit in 11 slots */
	be[5].weight = 0;
	check_quota(be, 12, 11);
	free(be);
}

static void test_single_backend(void **state)
{
	static const uint32_t ms[] = { 2, 3, 251, 65537 };
	struct maglev_backend *be = make_backends(1, 3);
	uint32_t *t;
	size_t k, i;

	for (k = 0; k < sizeof(ms) / sizeof(ms[0]); k++) {
		t = alloc_table(ms[k]);
		assert_int_equal(maglev_build(be, 1, ms[k], SEED, t), 0);
		for (i = 0; i < ms[k]; i++)
			assert_int_equal(t[i], ID_BASE);
		free(t);
	}
	free(be);
}

/* Table size equal to the backend count: one slot each. */
static void test_one_slot_each(void **state)
{
	struct maglev_backend *be = make_backends(251, 1);

	check_quota(be, 251, 251);
	check_quota(be, 2, 2);
	free(be);
}

static void test_weight_zero_no_slots(void **state)
{
	struct maglev_backend *be = make_backends(10, 5);
	uint32_t with[251], without[251];
	size_t i;

	be[4].weight = 0;
	assert_int_equal(maglev_build(be, 10, 251, SEED, with), 0);
	for (i = 0; i < 251; i++)
		assert_int_not_equal(with[i], ID_BASE + 4);
	check_quota(be, 10, 251);

	/* draining is the same as absent */
	memmove(&be[4], &be[5], 5 * sizeof(*be));
	assert_int_equal(maglev_build(be, 9, 251, SEED, without), 0);
	assert_memory_equal(with, without, sizeof(with));
	free(be);
}

/* Known answer: every node, build and architecture must produce this exact
 * table. Changing the hash or the population order breaks mixed-version
 * clusters, and must be a deliberate, announced change to this value.
 */
static void test_known_answer(void **state)
{
	struct maglev_backend *be = make_backends(5, 1);
	uint32_t t[251];
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a over the ids, little-endian */
	size_t i, b;

	be[1].weight = 3;
	be[4].weight = 2;
	assert_int_equal(maglev_build(be, 5, 251, SEED, t), 0);
	for (i = 0; i < 251; i++) {
		for (b = 0; b < 4; b++) {
			h ^= (t[i] >> (8 * b)) & 0xff;
			h *= 0x100000001b3ULL;
		}
	}
	print_message("# known answer: first slots %u %u %u %u, fnv1a %#llx\n", t[0], t[1], t[2],
		      t[3], (unsigned long long)h);
	assert_int_equal(h, 0x931b73a135a5415cULL);
	free(be);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_prime),
		cmocka_unit_test(test_quota_equal),
		cmocka_unit_test(test_quota_skewed),
		cmocka_unit_test(test_quota_one_huge),
		cmocka_unit_test(test_quota_exact_shares),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_seed_changes_table),
		cmocka_unit_test(test_disruption_m65537_remove_one),
		cmocka_unit_test(test_disruption_m65537_remove_1pct),
		cmocka_unit_test(test_disruption_m131071),
		cmocka_unit_test(test_disruption_m16381),
		cmocka_unit_test(test_disruption_weighted),
		cmocka_unit_test(test_err_not_prime),
		cmocka_unit_test(test_err_empty),
		cmocka_unit_test(test_err_duplicate_keys),
		cmocka_unit_test(test_err_m_too_small),
		cmocka_unit_test(test_single_backend),
		cmocka_unit_test(test_one_slot_each),
		cmocka_unit_test(test_weight_zero_no_slots),
		cmocka_unit_test(test_known_answer),
	};

	return cmocka_run_group_tests_name("maglev", tests, NULL, NULL);
}
