/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Schedulers other than Maglev, one function each. wrr: the ring position a
 * new flow takes (this CPU's cursor through the weighted sequence). lc: the
 * candidate with the fewest active flows per unit of weight, scanning at most
 * XLB_LC_MAX slots from a hash-chosen start (so ties spread, not herd).
 * Active flows (<xlb/active.h>) are shared atomics in xlb_be_active. Candidates whose
 * breaker could not admit a new flow (open, half-open budget spent) are skipped.
 * Return a ring position, or 0 / -XLB_DROP_* with *be_id set.
 */
#ifndef XLB_BPF_SCHED_H
#define XLB_BPF_SCHED_H

#include "breaker.h"
#include "maps.h"

/* wrr: this CPU's next position in the VIP's weighted round-robin ring */
static __always_inline __u32 xlb_wrr_next(const struct xlb_vip_val *vip)
{
	__u32 vip_id = vip->vip_id, *pos;

	pos = bpf_map_lookup_elem(&xlb_wrr_pos, &vip_id);
	if (unlikely(!pos))
		return 0; /* cannot happen (array); slot 0 is still a valid choice */
	return (*pos)++;  /* per CPU: no atomics; each CPU walks the sequence */
}

/* One less in window @w's count, whichever word holds it (none: nothing) */
static __always_inline void xlb_active_dec(struct xlb_be_active *a, __u64 w)
{
	__u64 v = a->cur;

	if (xlb_active_word_win(v) == w) {
		if (xlb_active_word_cnt(v))
			__sync_fetch_and_add(&a->cur, -1);
		return;
	}
	v = a->prev;
	if (xlb_active_word_win(v) == w && xlb_active_word_cnt(v))
		__sync_fetch_and_add(&a->prev, -1);
}

/* Counts a flow of backend @be_id in the window of @now; the caller does it once
 * per flow and window (the flow's stamp says). @stamp is the flow's last counted
 * time, 0 for a new flow: a flow counted in the previous window moves out of
 * `prev`. The first count of a new window makes the finished one `prev`; racing
 * CPUs settle that with compare-and-swap. */
static __always_inline void xlb_active_touch(__u32 be_id, __u64 now, __u64 stamp)
{
	struct xlb_be_active *a = bpf_map_lookup_elem(&xlb_be_active, &be_id);
	__u64 w = xlb_active_win(now), before = (w - 1) & XLB_ACTIVE_WIN_MASK, v;
	int i;

	if (unlikely(!a))
		return;
	for (i = 0; i < XLB_ACTIVE_CAS_TRIES; i++) {
		v = a->cur;
		if (xlb_active_word_win(v) == w) {
			__sync_fetch_and_add(&a->cur, 1);
			break;
		}
		a->prev = xlb_active_word_win(v) == before ? v : xlb_active_word(before, 0);
		if (__sync_val_compare_and_swap(&a->cur, v, xlb_active_word(w, 1)) == v)
			break;
	}
	if (stamp && xlb_active_win(stamp) == before)
		xlb_active_dec(a, before);
}

/* A flow of backend @be_id last counted at @stamp ends at @now: it leaves the
 * window it is counted in (this one or the one before; older: it is in none) */
static __always_inline void xlb_active_end(__u32 be_id, __u64 now, __u64 stamp)
{
	struct xlb_be_active *a;
	__u64 w = xlb_active_win(now), sw = xlb_active_win(stamp);

	if (sw != w && sw != ((w - 1) & XLB_ACTIVE_WIN_MASK))
		return;
	a = bpf_map_lookup_elem(&xlb_be_active, &be_id);
	if (unlikely(!a))
		return;
	xlb_active_dec(a, sw);
}

static __always_inline __u64 xlb_active_get(__u32 be_id, __u64 now)
{
	struct xlb_be_active *a = bpf_map_lookup_elem(&xlb_be_active, &be_id);

	if (unlikely(!a))
		return 0;
	return xlb_active_estimate(a->cur, a->prev, now);
}

/* lc: fewest active flows per unit of weight among the VIP's candidates.
 * Returns the backend slot, or -XLB_DROP_*.
 * verifier: a global subprogram, verified once on its own; inlined into every
 * caller's paths the scan exceeded the 1M-instruction budget.
 */
__noinline int xlb_lc_pick(__u32 vip_id, __u32 hash)
{
	__u32 n, i, j, w, start, best_w = 0, best_id = 0;
	__u64 a, best_a = 0, now = bpf_ktime_get_coarse_ns();
	struct xlb_lc_set *set;

	set = bpf_map_lookup_elem(&xlb_lc_sets, &vip_id);
	if (!set)
		return -XLB_DROP_NO_RING;
	n = set->n;
	if (!n || n > XLB_LC_MAX)
		return -XLB_DROP_NO_RING;
	start = hash % n;
	for (i = 0; i < XLB_LC_MAX; i++) {
		if (i >= n)
			break;
		/* verifier: the index is computed afresh, not carried from one
		 * iteration to the next. A carried index that wrapped to 0 held a
		 * different constant on each path, so every iteration multiplied
		 * the states: xlb_xdp went past 1M insns on 6.1 */
		j = start + i;
		if (j >= n)
			j -= n;
		j &= XLB_LC_MAX - 1; /* verifier: bounded index */
		w = xlb_brk_may_admit(set->ids[j]) ? set->weights[j] : 0;
		a = xlb_active_get(set->ids[j], now);
		/* (a+1)/w < (best_a+1)/best_w, without division; +1 prefers heavy idle ones */
		if (w && (!best_w || (a + 1) * best_w < (best_a + 1) * w)) {
			best_a = a;
			best_w = w;
			best_id = set->ids[j];
		}
	}
	if (!best_w)
		return -XLB_DROP_NO_RING;
	return best_id; /* slot ids are <= XLB_MAX_BACKENDS_LIMIT: never negative */
}

#endif /* XLB_BPF_SCHED_H */
