// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Weighted Maglev lookup-table builder (Eisenbud et al., NSDI'16, section 3.4).
 * Pure computation: the caller owns the table and reports errors with its own context.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/dataplane/maglev.h"
#include "agent/model/prime.h"

/* Domain-separation constants for the permutation hash (arbitrary odd values). */
#define MAGLEV_HASH_INIT 0x786c622d6d61676cULL /* "xlb-magl" */
#define MAGLEV_HASH_OFFSET 0x9e3779b97f4a7c15ULL
#define MAGLEV_HASH_SKIP 0xc2b2ae3d27d4eb4fULL

/* Per-backend build state: one entry per input backend, so O(n) memory. */
struct maglev_state {
	const struct maglev_backend *be;
	uint64_t pos;  /* preference j: (offset + j * skip) % m, kept running */
	uint32_t skip; /* in [1, m - 1] */
	uint32_t left; /* slots still to take before reaching floor(m * w / W) */
	bool extra;    /* m * w / W is not whole: may take one slot above floor */
};

/* splitmix64 finalizer: a bijective 64-bit mixer with full avalanche. */
static uint64_t maglev_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Keys are read byte by byte as little-endian words, so every architecture
 * computes the same permutation and nodes of mixed endianness agree.
 */
static uint64_t maglev_load_le(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Two independent 64-bit hashes of (key, seed): one for the offset, one for
 * the skip. The key is absorbed in 8-byte words, each through the bijective
 * mixer, so keys differing in one word never collide for a fixed prefix.
 */
static void maglev_hash_key(const uint8_t *key, uint32_t seed, uint64_t *h_off, uint64_t *h_skip)
{
	uint64_t h = maglev_mix64(MAGLEV_HASH_INIT ^ seed);

	h = maglev_mix64(h ^ maglev_load_le(key, 8));
	h = maglev_mix64(h ^ maglev_load_le(key + 8, 8));
	h = maglev_mix64(h ^ maglev_load_le(key + 16, MAGLEV_KEY_LEN - 16) ^
			 ((uint64_t)MAGLEV_KEY_LEN << 56));
	*h_off = maglev_mix64(h ^ MAGLEV_HASH_OFFSET);
	*h_skip = maglev_mix64(h ^ MAGLEV_HASH_SKIP);
}

/* Key order: the only order the result may depend on. */
static int maglev_cmp_key(const void *a, const void *b)
{
	const struct maglev_state *x = a, *y = b;

	return memcmp(x->be->key, y->be->key, MAGLEV_KEY_LEN);
}

/* Population (paper, Pseudocode 1, with two changes). Backends take turns
 * in key order; on each turn a backend looks at its next preference and
 * claims the slot if it is free.
 *
 * 1. One preference per turn: the paper's loop skips ahead to the next free
 *    preference instead. Here every backend is at preference j on round j,
 *    so a slot goes to the backend that ranks it highest (ties: smaller
 *    key) among those still short of their quota. Removing a backend then
 *    mostly reassigns its own slots; the paper's loop shifts the turns of
 *    every later claim. Measured at n=1000, m=65537 (mean over removals):
 *    one removal moves 0.41% of slots instead of 0.70%, ten 2.0% not 3.4%.
 * 2. Weights: a backend stops at floor(m * w / W), except that the first
 *    (m - sum of floors) backends to reach floor + 1 keep that slot. So each
 *    holds floor or ceil of its exact share and the total is exactly m. The
 *    extra slots follow the preferences rather than a fixed list (such as
 *    largest remainder, ties by key), which measured lower disruption, most
 *    of all when a change moves the floor (n=2000: 20 removals move 2.4%
 *    instead of 4.0%).
 *
 * Ends with every slot filled: while a backend may claim, a free slot exists
 * (quotas sum to m) and its preferences visit all m slots; the fractional
 * shares sum to the number of extra slots, so at least that many backends
 * have @extra set. @active has room for @nu.
 */
static void maglev_populate(struct maglev_state *st, size_t nu, uint32_t m, uint64_t total,
			    uint64_t *used, struct maglev_state **active, uint32_t *table)
{
	uint64_t extras = m, filled = 0, prod, pos;
	size_t na = 0, keep, i;

	for (i = 0; i < nu; i++) {
		/* m and the weight are both 32-bit: the product fits in 64 bits */
		prod = (uint64_t)m * st[i].be->weight;
		st[i].left = (uint32_t)(prod / total);
		st[i].extra = prod % total != 0;
		extras -= st[i].left;
		if (st[i].left || st[i].extra)
			active[na++] = &st[i];
	}

	/* The rotation empties when the table is full. The filled check is a
	 * guard: a broken invariant gives a wrong table (the tests catch it),
	 * never an endless loop over backends that can no longer claim.
	 */
	while (na && filled < m) {
		keep = 0;
		for (i = 0; i < na; i++) {
			struct maglev_state *s = active[i];

			if (!s->left && (!s->extra || !extras))
				continue; /* done: leaves the rotation */

			pos = s->pos;
			s->pos += s->skip; /* < 2m: no overflow in 64 bits */
			if (s->pos >= m)
				s->pos -= m;
			if (!(used[pos >> 6] & (1ULL << (pos & 63)))) {
				used[pos >> 6] |= 1ULL << (pos & 63);
				table[pos] = s->be->id;
				filled++;
				if (!s->left) {
					extras--; /* took its slot above floor: done */
					continue;
				}
				s->left--;
			}
			active[keep++] = s; /* keeps key order for the next round */
		}
		na = keep;
	}
}

int maglev_build(const struct maglev_backend *be, size_t n, uint32_t m, uint32_t seed,
		 uint32_t *table)
{
	struct maglev_state *st = NULL, **active = NULL;
	uint64_t *used = NULL;
	uint64_t total = 0, h_off, h_skip;
	size_t i, nu = 0;
	int err = 0;

	if (!be || !table || n == 0 || !prime_test(m))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (be[i].weight)
			nu++;
	if (nu == 0 || nu > m)
		return -EINVAL;
	/* nu <= m < 2^32 weights below 2^32 each: the sum fits in 64 bits */
	for (i = 0; i < n; i++)
		total += be[i].weight;

	st = calloc(n, sizeof(*st));
	active = calloc(nu, sizeof(*active));
	used = calloc(((size_t)m + 63) / 64, sizeof(*used));
	if (!st || !active || !used) {
		err = -ENOMEM;
		goto out_free;
	}

	/* Sort every input, draining ones included, so a duplicate key is caught
	 * whatever its weight and the input order cannot matter.
	 */
	for (i = 0; i < n; i++)
		st[i].be = &be[i];
	qsort(st, n, sizeof(*st), maglev_cmp_key);
	for (i = 1; i < n; i++) {
		if (!maglev_cmp_key(&st[i - 1], &st[i])) {
			err = -EINVAL;
			goto out_free;
		}
	}

	/* Keep the weighted ones, in key order, and derive their permutations
	 * (paper: offset = h1 % M, skip = h2 % (M - 1) + 1; M prime makes every
	 * skip coprime with M, so each preference list visits all M slots).
	 */
	nu = 0;
	for (i = 0; i < n; i++) {
		if (!st[i].be->weight)
			continue;
		st[nu].be = st[i].be;
		maglev_hash_key(st[nu].be->key, seed, &h_off, &h_skip);
		st[nu].pos = h_off % m;
		st[nu].skip = (uint32_t)(h_skip % (m - 1)) + 1;
		nu++;
	}

	maglev_populate(st, nu, m, total, used, active, table);

out_free:
	free(used);
	free(active);
	free(st);
	return err;
}
