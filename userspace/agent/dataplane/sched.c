// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sched: the smooth weighted round-robin sequence behind `sched wrr`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent/dataplane/sched.h"

static int cmp_key(const void *a, const void *b)
{
	const struct maglev_backend *x = *(const struct maglev_backend *const *)a;
	const struct maglev_backend *y = *(const struct maglev_backend *const *)b;

	return memcmp(x->key, y->key, sizeof(x->key));
}

int sched_wrr_build(const struct maglev_backend *be, size_t n, uint32_t m, uint32_t *table)
{
	const struct maglev_backend **order;
	int64_t *credit, total = 0;
	size_t i, k = 0, best;
	uint32_t j;

	if (!be || !table || !n || !m)
		return -EINVAL;
	order = calloc(n, sizeof(*order));
	credit = calloc(n, sizeof(*credit));
	if (!order || !credit) {
		free(order);
		free(credit);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (!be[i].weight)
			continue; /* draining */
		order[k++] = &be[i];
		total += be[i].weight;
	}
	if (!k) {
		free(order);
		free(credit);
		return -EINVAL;
	}
	qsort(order, k, sizeof(*order), cmp_key); /* every node builds the same sequence */
	for (j = 0; j < m; j++) {
		best = 0;
		for (i = 0; i < k; i++) {
			credit[i] += order[i]->weight;
			if (credit[i] > credit[best])
				best = i;
		}
		credit[best] -= total;
		table[j] = order[best]->id;
	}
	free(order);
	free(credit);
	return 0;
}
