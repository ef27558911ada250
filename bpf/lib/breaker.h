/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Circuit breakers, enforced per new flow. The agent mirrors each backend's
 * breaker into xlb_be_brk (one write per change): closed takes new flows,
 * open takes none, half-open takes new flows while its budget lasts (spent
 * here with an atomic add). A new flow whose choice is refused re-hashes
 * into the VIP's table, up to XLB_BRK_TRIES times: the same flow gets the
 * same next choice on every LB node. Existing flows are not affected unless
 * the VIP asks for flows of open backends to be re-selected (flow.h).
 * Also the passive signals of xlb_be_pasv (SYN retransmissions, decisions).
 */
#ifndef XLB_BPF_BREAKER_H
#define XLB_BPF_BREAKER_H

#include <bpf/bpf_helpers.h>
#include "maglev.h"
#include "maps.h"
#include "stats.h"

/* xlb_brk_admit() results */
#define XLB_BRK_NO 0	/* refused: open, or half-open with the budget spent */
#define XLB_BRK_YES 1	/* closed (or no entry) */
#define XLB_BRK_TRIAL 2 /* half-open: admitted on its budget */

/* xlb_brk_reroute(): no admitted choice in XLB_BRK_TRIES (never a slot id:
 * slots are at most XLB_MAX_BACKENDS_LIMIT) */
#define XLB_BRK_NONE 0x7fffffff

static __always_inline struct xlb_be_pasv *xlb_pasv_get(__u32 be_id)
{
	return bpf_map_lookup_elem(&xlb_be_pasv, &be_id);
}

/* Is backend @id open (takes no new flows at all)? */
static __always_inline int xlb_brk_is_open(__u32 id)
{
	struct xlb_be_brk *b = bpf_map_lookup_elem(&xlb_be_brk, &id);

	return b && b->state == XLB_BRK_OPEN;
}

/* Could backend @id take a new flow? Read-only (lc uses it to skip candidates) */
static __always_inline int xlb_brk_may_admit(__u32 id)
{
	struct xlb_be_brk *b = bpf_map_lookup_elem(&xlb_be_brk, &id);

	if (!b || b->state == XLB_BRK_CLOSED)
		return 1;
	return b->state == XLB_BRK_HALF_OPEN && b->budget > 0;
}

/* May backend @id take this new flow? Spends half-open budget. A refusal is
 * counted for the backend only when @first (the flow's own choice, not one of
 * the alternatives tried after it). */
static __always_inline int xlb_brk_admit(__u32 id, int first)
{
	struct xlb_be_brk *b = bpf_map_lookup_elem(&xlb_be_brk, &id);
	struct xlb_be_pasv *pv;
	int ret = XLB_BRK_NO;

	if (unlikely(!b) || likely(b->state == XLB_BRK_CLOSED))
		return XLB_BRK_YES;
	/* read before the atomic: a spent budget is not driven further below 0 */
	if (b->state == XLB_BRK_HALF_OPEN && b->budget > 0 &&
	    __sync_fetch_and_add(&b->budget, -1) > 0)
		ret = XLB_BRK_TRIAL;
	if (ret == XLB_BRK_NO && !first)
		return ret;
	pv = xlb_pasv_get(id);
	if (pv) {
		if (ret == XLB_BRK_TRIAL)
			pv->brk_admit++;
		else
			pv->brk_refused++;
	}
	return ret;
}

/* The k-th alternative position of a flow hash (k >= 1): a full-avalanche mix
 * so alternatives of neighbouring hashes do not line up. */
static __always_inline __u32 xlb_brk_rehash(__u32 hash, __u32 k)
{
	__u32 h = hash ^ (k * 0x9e3779b9U);

	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	h ^= h >> 16;
	return h;
}

/* Next admitted choice for a new flow whose first choice was refused: slot
 * rehash(@hash, k) % @m of the VIP's table (xlb_rings key @ring_key) for k = 1.. Returns
 * the backend slot, XLB_BRK_NONE when every try was refused, or -XLB_DROP_*.
 * verifier: a global subprogram, verified once (the tries would otherwise be
 * inlined into every caller's paths).
 */
__noinline int xlb_brk_reroute(__u32 ring_key, __u32 m, __u32 hash)
{
	struct xlb_global_stats *st;
	struct xlb_backend *be;
	__u32 k, slot, *id;
	void *ring;
	int r;

	ring = bpf_map_lookup_elem(&xlb_rings, &ring_key);
	if (!ring)
		return -XLB_DROP_NO_RING;
	if (!m)
		return -XLB_DROP_BAD_VIP;
	for (k = 1; k <= XLB_BRK_TRIES; k++) {
		slot = xlb_brk_rehash(hash, k) % m;
		id = bpf_map_lookup_elem(ring, &slot);
		if (!id)
			return -XLB_DROP_BAD_VIP;
		be = xlb_backend_get(*id);
		if (!be)
			continue;
		r = xlb_brk_admit(*id, 0);
		if (r == XLB_BRK_NO)
			continue;
		st = xlb_stats_get();
		if (st && r == XLB_BRK_TRIAL)
			XLB_COUNT(st, XLB_CNT_BRK_HALF_ADMIT);
		return *id; /* valid: xlb_backend_get found it */
	}
	return XLB_BRK_NONE;
}

#endif /* XLB_BPF_BREAKER_H */
