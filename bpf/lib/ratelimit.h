/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Rate limits (<xlb/policy_abi.h>): GCRA buckets per source prefix and scope in
 * xlb_rl_src (pps_tat: every packet, taken by the policy stage; nf_tat: new
 * flows, taken here), and one new-flow ceiling per VIP in xlb_rl_ceil.
 *
 * xlb_rl_new_flow() is called by the flow stage for a packet that would start
 * a flow, before a backend is chosen: the source's new-flow bucket of the
 * global scope, then of the VIP's scope, then the VIP's ceiling; the first
 * limit that does not conform drops (a later one is then not charged; an
 * earlier one is: a flow refused by the ceiling has spent its source's token).
 * Returns 0 to go on, or -XLB_DROP_RL_NEW_FLOW / -XLB_DROP_RL_CEILING.
 * With XLB_CFG_F_POLICY clear it tests that flag and returns 0.
 *
 * GCRA (virtual scheduling): with interval T and tolerance tau = (burst-1)*T,
 * a packet at time t conforms when tat - t <= tau, and then
 * tat = max(tat, t) + T; a non-conforming packet leaves tat alone. So `burst`
 * packets at one instant conform and the next does not; afterwards one more
 * every T. Times are bpf_ktime_get_coarse_ns() (tick resolution, a few ms,
 * a load instead of a clock read, the clock flow.h uses): packets within one
 * tick count as simultaneous, which is what the burst is for; rates finer
 * than the tick are still exact on average, since tat advances by T whatever
 * the clock says.
 *
 * Races. A source bucket is read and written without atomics: two CPUs
 * taking a token from the same bucket at once may both conform on one token,
 * so a source spread over n RX queues may pass up to n - 1 packets more than
 * its burst in a race. The ceiling is one TAT per VIP shared by every CPU and
 * moved by compare-and-swap (at most XLB_RL_CAS_TRIES attempts; a flow whose
 * attempts all lose to other CPUs is refused, so the ceiling is never
 * exceeded).
 *
 * Buckets. A source's first limited packet creates its bucket (BPF_NOEXIST,
 * counted XLB_CNT_RL_NEW_SOURCE). When the LRU is full the creation evicts the
 * least recently used bucket: that source starts again with a full burst. If
 * no bucket can be created or found the packet is admitted
 * (XLB_CNT_RL_NO_BUCKET).
 */
#ifndef XLB_BPF_RATELIMIT_H
#define XLB_BPF_RATELIMIT_H

#include <xlb/policy_abi.h>
#include "parse.h"
#include "policy_maps.h"
#include "stats.h"

/* Which TAT of a source bucket */
#define XLB_RL_PPS 0
#define XLB_RL_NF 1

/* xlb_rl_src_take() results */
#define XLB_RL_OK 0	   /* conforms */
#define XLB_RL_NEW 1	   /* conforms; the bucket was created */
#define XLB_RL_NO_BUCKET 2 /* no bucket could be created or found: admitted */
#define XLB_RL_OVER 3	   /* does not conform */

#define XLB_RL_CAS_TRIES 8

/* meta argument of the policy subprograms: family, protocol, port (host order) */
#define XLB_PMETA(fam, proto, port) (((__u32)(fam) << 24) | ((__u32)(proto) << 16) | (port))
#define XLB_PMETA_FAM(m) ((m) >> 24)
#define XLB_PMETA_PROTO(m) (((m) >> 16) & 0xff)
#define XLB_PMETA_PORT(m) ((m)&0xffff)

/* A source address as two scalars (subprogram arguments): words 0-1 and 2-3 */
#define XLB_ADDR_LO(a) ((__u64)(a)[0] | ((__u64)(a)[1] << 32))
#define XLB_ADDR_HI(a) ((__u64)(a)[2] | ((__u64)(a)[3] << 32))

/* Network-order mask of 32-bit word @i of a @plen-bit prefix */
static __always_inline __be32 xlb_prefix_word_mask(__u32 plen, __u32 i)
{
	__s32 bits = (__s32)plen - (__s32)(32 * i);

	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return 0xffffffff;
	/* (2^32 - 2^(32-bits)): the top @bits bits, computed in 64 bits (no shift by 32) */
	return bpf_htonl((__u32)(0xffffffff00000000ULL >> bits));
}

/* One GCRA step on *@tat at @now; returns 1 if the packet conforms */
static __always_inline int xlb_gcra(__u64 *tat, __u64 now, __u64 interval, __u64 tol)
{
	__u64 t = *tat;

	if ((__s64)(t - now) > (__s64)tol)
		return 0;
	if ((__s64)(t - now) < 0)
		t = now;
	*tat = t + interval;
	return 1;
}

/* Take one token from the @kind bucket of the source (@a01, @a23: address words
 * 0-1 and 2-3, network order) in @scope. @meta: XLB_PMETA(family, kind, 0).
 * Returns XLB_RL_*. The bucket covers the source masked to the scope's prefix4
 * or prefix6 (0 or out of range: 32 / 64; over 128: 128).
 * verifier: a global subprogram with scalar arguments, verified once instead
 * of on every path of xlb_xdp that reaches the policy and flow stages.
 */
__noinline int xlb_rl_src_take(__u32 scope, __u32 meta, __u64 a01, __u64 a23)
{
	__u32 fam = XLB_PMETA_FAM(meta), kind = XLB_PMETA_PROTO(meta), plen;
	struct xlb_rl_key key = {};
	struct xlb_rl_val nv = {}, *v;
	__u64 now, interval, tol;
	struct xlb_rl_cfg *c;

	c = bpf_map_lookup_elem(&xlb_rl_cfg, &scope);
	if (!c)
		return XLB_RL_OK; /* scope out of range: nothing configured */
	interval = kind == XLB_RL_NF ? c->nf_interval_ns : c->pps_interval_ns;
	tol = kind == XLB_RL_NF ? c->nf_tolerance_ns : c->pps_tolerance_ns;
	if (!interval)
		return XLB_RL_OK;

	key.scope = scope;
	key.family = fam;
	key.addr[0] = (__u32)a01;
	if (fam == XLB_FAMILY_V4) {
		plen = c->prefix4;
		if (!plen || plen > 32)
			plen = 32;
		key.addr[0] &= xlb_prefix_word_mask(plen, 0);
	} else {
		plen = c->prefix6;
		if (!plen)
			plen = 64;
		if (plen > 128)
			plen = 128;
		key.addr[1] = (__u32)(a01 >> 32);
		key.addr[2] = (__u32)a23;
		key.addr[3] = (__u32)(a23 >> 32);
		key.addr[0] &= xlb_prefix_word_mask(plen, 0);
		key.addr[1] &= xlb_prefix_word_mask(plen, 1);
		key.addr[2] &= xlb_prefix_word_mask(plen, 2);
		key.addr[3] &= xlb_prefix_word_mask(plen, 3);
	}

	now = bpf_ktime_get_coarse_ns();
	v = bpf_map_lookup_elem(&xlb_rl_src, &key);
	if (!v) {
		/* a fresh bucket: this packet conforms (burst >= 1), tat = now + T */
		if (kind == XLB_RL_NF)
			nv.nf_tat = now + interval;
		else
			nv.pps_tat = now + interval;
		if (!bpf_map_update_elem(&xlb_rl_src, &key, &nv, BPF_NOEXIST))
			return XLB_RL_NEW;
		v = bpf_map_lookup_elem(&xlb_rl_src, &key); /* another CPU made it first */
		if (unlikely(!v))
			return XLB_RL_NO_BUCKET;
	}
	if (kind == XLB_RL_NF)
		return xlb_gcra(&v->nf_tat, now, interval, tol) ? XLB_RL_OK : XLB_RL_OVER;
	return xlb_gcra(&v->pps_tat, now, interval, tol) ? XLB_RL_OK : XLB_RL_OVER;
}

/* The @kind bucket of @pkt's source in @scope, if @interval (the scope's
 * setting) is on. Returns 1 when the packet does not conform. */
static __always_inline int xlb_rl_src_over(const struct xlb_pkt *pkt, __u32 scope, __u32 kind,
					   __u64 interval, struct xlb_global_stats *st)
{
	int r;

	if (!interval)
		return 0;
	r = xlb_rl_src_take(scope, XLB_PMETA(pkt->key.family, kind, 0), XLB_ADDR_LO(pkt->key.src),
			    XLB_ADDR_HI(pkt->key.src));
	if (r == XLB_RL_NEW)
		XLB_COUNT(st, XLB_CNT_RL_NEW_SOURCE);
	else if (unlikely(r == XLB_RL_NO_BUCKET))
		XLB_COUNT(st, XLB_CNT_RL_NO_BUCKET);
	return r == XLB_RL_OVER;
}

/* The VIP's new-flow ceiling; returns 1 if the flow is admitted */
static __always_inline int xlb_rl_ceil_take(__u32 vip_id, __u64 interval, __u64 tol)
{
	__u64 *p = bpf_map_lookup_elem(&xlb_rl_ceil, &vip_id);
	__u64 now, tat, next;
	int i;

	if (unlikely(!p))
		return 1; /* vip_id out of range: cannot happen for a valid VIP */
	now = bpf_ktime_get_coarse_ns();
	for (i = 0; i < XLB_RL_CAS_TRIES; i++) {
		tat = *(volatile __u64 *)p;
		if ((__s64)(tat - now) > (__s64)tol)
			return 0;
		next = ((__s64)(tat - now) < 0 ? now : tat) + interval;
		if (__sync_val_compare_and_swap(p, tat, next) == tat)
			return 1;
	}
	return 0; /* lost every race: refuse rather than exceed the ceiling */
}

static __always_inline int xlb_rl_new_flow(const struct xlb_pkt *pkt, const struct xlb_vip_val *vip,
					   const struct xlb_config *cfg,
					   struct xlb_global_stats *st)
{
	__u32 scope = XLB_POL_SCOPE_GLOBAL, vip_id = vip->vip_id;
	struct xlb_rl_cfg *c;

	if (likely(!(cfg->flags & XLB_CFG_F_POLICY)))
		return 0;
	c = bpf_map_lookup_elem(&xlb_rl_cfg, &scope);
	if (c && xlb_rl_src_over(pkt, scope, XLB_RL_NF, c->nf_interval_ns, st))
		return -XLB_DROP_RL_NEW_FLOW;
	c = bpf_map_lookup_elem(&xlb_rl_cfg, &vip_id);
	if (!c)
		return 0;
	if (xlb_rl_src_over(pkt, vip_id, XLB_RL_NF, c->nf_interval_ns, st))
		return -XLB_DROP_RL_NEW_FLOW;
	if (c->ceil_interval_ns &&
	    !xlb_rl_ceil_take(vip_id, c->ceil_interval_ns, c->ceil_tolerance_ns))
		return -XLB_DROP_RL_CEILING;
	return 0;
}

#endif /* XLB_BPF_RATELIMIT_H */
