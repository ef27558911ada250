/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Weighted Maglev lookup-table builder (Eisenbud et al., NSDI'16, section 3.4).
 * Pure: no I/O, no libbpf, no globals. The agent writes the result into a VIP's ring.
 */
#ifndef XLB_AGENT_MAGLEV_H
#define XLB_AGENT_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAGLEV_KEY_LEN 20

struct maglev_backend {
	uint32_t id;	 /* value written into the table (backend slot id) */
	uint32_t weight; /* > 0; backends with weight 0 are skipped (draining) */
	/* Stable identity (e.g. family + address + port). The permutation derives ONLY
	 * from key + seed, never from array position or id. Keys must be unique.
	 */
	uint8_t key[MAGLEV_KEY_LEN];
};

/**
 * maglev_build() - fill a Maglev lookup table with backend ids
 * @be:    backends, in any order (the result does not depend on it)
 * @n:     number of entries in @be, weight-0 (draining) ones included
 * @m:     table size, must be prime
 * @seed:  selects another permutation family; nodes must agree on it
 * @table: output, @m entries
 *
 * Each backend with weight w gets floor(m*w/W) or ceil(m*w/W) slots, W being the
 * sum of weights (a backend whose share is below one slot may get none). The same
 * set of backends, weights, @m and @seed give a byte-identical table on every node
 * and every architecture, whatever the order of @be.
 *
 * Allocates O(n) per-backend state plus an m-bit bitmap for the duration of the
 * call; never a per-backend array of size m.
 *
 * Return: 0, -EINVAL if @m is not prime, @n is 0, every weight is 0, two keys are
 * equal or @m is smaller than the number of weighted backends, -ENOMEM. On error
 * @table is left untouched.
 */
int maglev_build(const struct maglev_backend *be, size_t n, uint32_t m, uint32_t seed,
		 uint32_t *table);

#endif /* XLB_AGENT_MAGLEV_H */
