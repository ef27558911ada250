// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Times maglev_build() on one core: median, min and max of repeated builds,
 * in microseconds, one line per (backends, table size). Prints numbers only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "agent/dataplane/maglev.h"

#define BENCH_RUNS 21 /* odd: the median is one sample */

struct bench_case {
	size_t n;
	uint32_t m;
};

static const struct bench_case bench_cases[] = {
	{ 100, 65537 },
	{ 1000, 65537 },
	{ 1000, 1048573 },
};

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Backends as the agent keys them: family, IPv4 address, port. */
static void bench_fill(struct maglev_backend *be, size_t n)
{
	size_t i;

	memset(be, 0, n * sizeof(*be));
	for (i = 0; i < n; i++) {
		be[i].id = (uint32_t)i;
		be[i].weight = 1;
		be[i].key[0] = 4;
		be[i].key[1] = 10;
		be[i].key[2] = (uint8_t)(i >> 16);
		be[i].key[3] = (uint8_t)(i >> 8);
		be[i].key[4] = (uint8_t)i;
		be[i].key[5] = 8080 >> 8;
		be[i].key[6] = 8080 & 0xff;
	}
}

static int bench_run(const struct bench_case *c)
{
	uint64_t us[BENCH_RUNS], t0;
	struct maglev_backend *be;
	uint32_t *table;
	int i, err = 0;

	be = calloc(c->n, sizeof(*be));
	table = calloc(c->m, sizeof(*table));
	if (!be || !table) {
		fprintf(stderr, "maglev_bench: n=%zu m=%u: %s\n", c->n, c->m, strerror(ENOMEM));
		err = -ENOMEM;
		goto out_free;
	}
	bench_fill(be, c->n);

	/* one untimed build warms the caches and the allocator */
	err = maglev_build(be, c->n, c->m, 0, table);
	for (i = 0; i < BENCH_RUNS && !err; i++) {
		t0 = mono_ns();
		err = maglev_build(be, c->n, c->m, (uint32_t)i, table);
		us[i] = (mono_ns() - t0) / 1000;
	}
	if (err) {
		fprintf(stderr, "maglev_bench: n=%zu m=%u: build failed: %s\n", c->n, c->m,
			strerror(-err));
		goto out_free;
	}
	qsort(us, BENCH_RUNS, sizeof(us[0]), bench_cmp_u64);
	printf("maglev_build n=%zu m=%u: median %llu us (min %llu, max %llu, %d runs)\n", c->n,
	       c->m, (unsigned long long)us[BENCH_RUNS / 2], (unsigned long long)us[0],
	       (unsigned long long)us[BENCH_RUNS - 1], BENCH_RUNS);

out_free:
	free(table);
	free(be);
	return err;
}

int main(void)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(bench_cases) / sizeof(bench_cases[0]); i++)
		if (bench_run(&bench_cases[i]))
			ret = 1;
	return ret;
}
