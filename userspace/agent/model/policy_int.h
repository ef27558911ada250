/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The policy model's internals, shared by its files (model/ only):
 * policy_trie.c (the prefix trie and its chains), policy_model.c (scopes,
 * rules, limits, policy_apply), policy_print.c (command lines, equality),
 * policy_compile.c (trie entries and map values) and policy_rate.c (the
 * rate-limit arithmetic).
 */
#ifndef XLB_AGENT_MODEL_POLICY_INT_H
#define XLB_AGENT_MODEL_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xlb/consts.h>
#include "common/cidr.h"
#include "common/parse.h"
#include "agent/model/policy_model.h"

#define CHAIN_MAX XLB_POL_CHAIN_MAX
#define ACT_MAX (2 * CHAIN_MAX) /* a node's own rules + its parent's chain */
#define PATH_MAX_NODES 130	/* one node per prefix length 0..128, + 1 */
#define SCOPE_STRLEN (PARSE_VIP_STRLEN + 8)

/* One prefix used by the scope's rules, or a glue node where two branches
 * part (no rules, always two children). */
struct pol_node {
	__be32 addr[4];		 /* network order, host bits zero */
	uint32_t child[2];	 /* by the bit after plen; 0 = none */
	uint32_t cid[CHAIN_MAX]; /* rules whose CIDR this is, in chain order */
	uint32_t exc[CHAIN_MAX]; /* rules that except it */
	uint8_t plen;
	uint8_t ncid, nexc;
	uint8_t pad;
};

static inline int pol_fam_idx(uint8_t family)
{
	return family == XLB_FAMILY_V6;
}

/* "10.0.0.0/8", or "?" if it cannot be formatted (policy_model.c) */
const char *pol_cidr_str(const struct cidr *c, char *buf, size_t len);

/* The trie (policy_trie.c). Nodes are indexed; 0 means none. A node is used
 * when rules name it (CIDR or except block), else it is glue. find gives the
 * node of exactly @c (0: none); insert creates it if needed, in nodes the
 * caller reserved; prune drops it once unused, with the glue it leaves. The
 * chain of a node: its own rules, then those of the chain above (@act) that
 * do not except it; the length returned may exceed CHAIN_MAX (@out holds the
 * first ACT_MAX). Comments at each definition. */
void pol_trie_free(struct pol_trie *t);
int pol_trie_reserve(struct pol_trie *t, uint32_t more);
bool pol_node_used(const struct pol_node *n);
bool pol_node_covers(const struct pol_node *n, const struct cidr *c);
bool pol_cidr_covers_node(const struct cidr *c, const struct pol_node *n);
uint32_t pol_trie_find(const struct pol_trie *t, const struct cidr *c);
uint32_t pol_trie_insert(struct pol_trie *t, const struct cidr *c);
void pol_trie_prune(struct pol_trie *t, const struct cidr *c);
int pol_trie_copy(struct pol_trie *dst, const struct pol_trie *src);
unsigned int pol_node_chain(const struct pol_node *n, const uint32_t *act, unsigned int nact,
			    uint32_t *out);
void pol_node_cidr(const struct pol_node *n, uint8_t family, struct cidr *c);

#endif /* XLB_AGENT_MODEL_POLICY_INT_H */
