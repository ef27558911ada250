/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Active flows of a backend slot (xlb_be_active), shared by the dataplane (which
 * counts, and reads them for `sched lc`) and lbd (which shows and exports them).
 *
 * Definition: a backend's active flows are its flows that sent a packet in the
 * current window of XLB_ACTIVE_WIN_NS (2^36 ns, 68.7 s), plus those whose last
 * packet was in the previous window, counted less and less as this window goes
 * by; a flow leaves at once when the balancer sees it end (TCP FIN or RST) or
 * its entry is replaced. Each flow is counted in exactly one of the two windows:
 * `cur` when it sent a packet in this window, else `prev`. So a connection idle
 * for a minute still counts, and one whose end the balancer never sees (LRU
 * eviction, DSR where the backend's RST goes straight to the client, a client
 * that vanished) fades out within two windows: the count cannot drift.
 *
 * A flow's entry stamps (last_seen_ns) the last window it was counted in. A word
 * holds a window number (24 bits of now >> 36) and a count (40 bits); `cur` is
 * the latest window anyone counted in, `prev` the window before it. Times are
 * bpf_ktime_get_coarse_ns(), CLOCK_MONOTONIC for lbd.
 */
#ifndef XLB_ACTIVE_H
#define XLB_ACTIVE_H

#include <linux/types.h>

#ifndef XLB_ACTIVE_INLINE
#define XLB_ACTIVE_INLINE static inline __attribute__((always_inline))
#endif

#define XLB_ACTIVE_WIN_SHIFT 36
#define XLB_ACTIVE_WIN_NS (1ULL << XLB_ACTIVE_WIN_SHIFT)
#define XLB_ACTIVE_CNT_BITS 40
#define XLB_ACTIVE_CNT_MASK ((1ULL << XLB_ACTIVE_CNT_BITS) - 1)
#define XLB_ACTIVE_WIN_MASK ((1ULL << (64 - XLB_ACTIVE_CNT_BITS)) - 1)

/* xlb_be_active value, indexed by backend slot; both words are read and written
 * with atomics by every CPU (the agent zeroes them for a slot's new owner) */
struct xlb_be_active {
	__u64 cur;  /* window << XLB_ACTIVE_CNT_BITS | flows counted in it */
	__u64 prev; /* the same for the window before cur's */
};

XLB_ACTIVE_INLINE __u64 xlb_active_win(__u64 now)
{
	return (now >> XLB_ACTIVE_WIN_SHIFT) & XLB_ACTIVE_WIN_MASK;
}

XLB_ACTIVE_INLINE __u64 xlb_active_word(__u64 win, __u64 cnt)
{
	return (win & XLB_ACTIVE_WIN_MASK) << XLB_ACTIVE_CNT_BITS | (cnt & XLB_ACTIVE_CNT_MASK);
}

XLB_ACTIVE_INLINE __u64 xlb_active_word_win(__u64 v)
{
	return v >> XLB_ACTIVE_CNT_BITS;
}

XLB_ACTIVE_INLINE __u64 xlb_active_word_cnt(__u64 v)
{
	return v & XLB_ACTIVE_CNT_MASK;
}

/* Active flows at @now from the words @cur and @prev (see the definition above):
 * this window's count plus the previous window's, scaled by what is left of
 * this window (rounded, so a lone idle flow counts while more than half is left) */
XLB_ACTIVE_INLINE __u64 xlb_active_estimate(__u64 cur, __u64 prev, __u64 now)
{
	__u64 w = xlb_active_win(now), before = (w - 1) & XLB_ACTIVE_WIN_MASK;
	__u64 c = 0, p = 0, left;

	if (xlb_active_word_win(cur) == w) {
		c = xlb_active_word_cnt(cur);
		if (xlb_active_word_win(prev) == before)
			p = xlb_active_word_cnt(prev);
	} else if (xlb_active_word_win(cur) == before) {
		p = xlb_active_word_cnt(cur); /* nobody counted in this window yet */
	}
	/* what is left of this window, in 1/1024ths: the previous count fades out */
	left = (XLB_ACTIVE_WIN_NS - (now & (XLB_ACTIVE_WIN_NS - 1))) >> (XLB_ACTIVE_WIN_SHIFT - 10);
	return c + ((p * left + 512) >> 10);
}

#endif /* XLB_ACTIVE_H */
