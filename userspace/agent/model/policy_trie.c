// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy: the prefix trie of one scope and family (path-compressed, binary),
 * holding the prefixes its rules use, and the chain of rules that applies
 * below a node. No I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent/model/policy_int.h"

/* ---- the trie ---- */

void pol_trie_free(struct pol_trie *t)
{
	free(t->node);
	memset(t, 0, sizeof(*t));
}

/* At least @more nodes can be taken without allocating */
int pol_trie_reserve(struct pol_trie *t, uint32_t more)
{
	uint32_t want, cap;
	struct pol_node *n;

	if (t->cap - t->n + t->nfree >= more)
		return 0;
	want = t->n + more;
	cap = t->cap ? t->cap : 64;
	while (cap < want)
		cap *= 2;
	n = realloc(t->node, (size_t)cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->node = n;
	if (!t->n)
		t->n = 1; /* index 0 is "none" */
	t->cap = cap;
	return 0;
}

static uint32_t node_new(struct pol_trie *t, const __be32 addr[4], unsigned int plen)
{
	struct pol_node *n;
	uint32_t idx;

	if (t->nfree) {
		idx = t->free;
		t->free = t->node[idx].child[0];
		t->nfree--;
	} else {
		idx = t->n++;
	}
	n = &t->node[idx];
	memset(n, 0, sizeof(*n));
	memcpy(n->addr, addr, sizeof(n->addr));
	cidr_mask(n->addr, plen);
	n->plen = (uint8_t)plen;
	return idx;
}

static void node_del(struct pol_trie *t, uint32_t idx)
{
	t->node[idx].child[0] = t->free;
	t->free = idx;
	t->nfree++;
}

bool pol_node_used(const struct pol_node *n)
{
	return n->ncid || n->nexc;
}

/* n is c or contains it */
bool pol_node_covers(const struct pol_node *n, const struct cidr *c)
{
	return n->plen <= c->plen && cidr_common_bits(n->addr, c->addr, n->plen) == n->plen;
}

/* c contains n (or is it) */
bool pol_cidr_covers_node(const struct cidr *c, const struct pol_node *n)
{
	return c->plen <= n->plen && cidr_common_bits(n->addr, c->addr, c->plen) == c->plen;
}

uint32_t pol_trie_find(const struct pol_trie *t, const struct cidr *c)
{
	uint32_t idx = t->root;

	while (idx) {
		const struct pol_node *n = &t->node[idx];

		if (!pol_node_covers(n, c))
			return 0;
		if (n->plen == c->plen)
			return idx;
		idx = n->child[cidr_addr_bit(c->addr, n->plen)];
	}
	return 0;
}

/* The node of c, created if needed (two nodes at most: c and a glue node).
 * The caller reserved them, so the node array does not move. */
uint32_t pol_trie_insert(struct pol_trie *t, const struct cidr *c)
{
	uint32_t *slot = &t->root, idx, nn, glue;
	unsigned int m;

	while ((idx = *slot)) {
		struct pol_node *n = &t->node[idx];

		m = cidr_common_bits(n->addr, c->addr, n->plen < c->plen ? n->plen : c->plen);
		if (m == n->plen) {
			if (n->plen == c->plen)
				return idx;
			slot = &n->child[cidr_addr_bit(c->addr, n->plen)];
			continue;
		}
		/* n is not inside c's path: c contains n, or they part at bit m */
		nn = node_new(t, c->addr, c->plen);
		if (m == c->plen) {
			t->node[nn].child[cidr_addr_bit(t->node[idx].addr, c->plen)] = idx;
			*slot = nn;
			return nn;
		}
		glue = node_new(t, c->addr, m);
		t->node[glue].child[cidr_addr_bit(c->addr, m)] = nn;
		t->node[glue].child[cidr_addr_bit(t->node[idx].addr, m)] = idx;
		*slot = glue;
		return nn;
	}
	nn = node_new(t, c->addr, c->plen);
	*slot = nn;
	return nn;
}

/* Drop the node of c if no rule uses it any more, and a glue node left with
 * one child above it. */
void pol_trie_prune(struct pol_trie *t, const struct cidr *c)
{
	uint32_t *slots[PATH_MAX_NODES], *slot = &t->root, idx;
	struct pol_node *n;
	int d = 0, k;

	while ((idx = *slot)) {
		n = &t->node[idx];
		if (!pol_node_covers(n, c) || d >= PATH_MAX_NODES)
			return;
		slots[d++] = slot;
		if (n->plen == c->plen)
			break;
		slot = &n->child[cidr_addr_bit(c->addr, n->plen)];
	}
	if (!idx)
		return;
	/* the node, then at most its parent */
	for (k = d - 1; k >= 0 && k >= d - 2; k--) {
		idx = *slots[k];
		n = &t->node[idx];
		if (pol_node_used(n) || (n->child[0] && n->child[1]))
			return;
		*slots[k] = n->child[0] ? n->child[0] : n->child[1];
		node_del(t, idx);
	}
}

int pol_trie_copy(struct pol_trie *dst, const struct pol_trie *src)
{
	*dst = *src;
	dst->node = NULL;
	if (!src->cap)
		return 0;
	dst->node = malloc((size_t)src->cap * sizeof(*src->node));
	if (!dst->node)
		return -ENOMEM;
	memcpy(dst->node, src->node, (size_t)src->n * sizeof(*src->node));
	return 0;
}

/* ---- chains ---- */

static bool has_id(const uint32_t *ids, unsigned int n, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The chain below node n: n's own rules, then those of the chain above it
 * (@act) that do not except n. Returns the length, which may exceed
 * CHAIN_MAX (out holds the first ACT_MAX). */
unsigned int pol_node_chain(const struct pol_node *n, const uint32_t *act, unsigned int nact,
			    uint32_t *out)
{
	unsigned int i, k = 0;

	for (i = 0; i < n->ncid; i++)
		out[k++] = n->cid[i];
	for (i = 0; i < nact; i++) {
		if (has_id(n->exc, n->nexc, act[i]))
			continue;
		if (k < ACT_MAX)
			out[k] = act[i];
		k++;
	}
	return k;
}

void pol_node_cidr(const struct pol_node *n, uint8_t family, struct cidr *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->addr, n->addr, sizeof(c->addr));
	c->plen = n->plen;
	c->family = family;
}
