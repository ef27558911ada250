/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Sticky flows: the LRU flow table decides the backend of known flows; new
 * flows are selected by Maglev and inserted (unless the flood guard is on).
 * Rules (docs/dataplane.md): a TCP SYN always re-selects, without reading
 * the table; an RST never creates an entry; a flow whose backend slot was
 * freed or reused is re-selected; UDP entries expire after the VIP's idle
 * time. The Maglev hash is computed only when selecting. Times come from the
 * coarse clock (tick resolution is plenty for idle expiry and the flood
 * window, and it costs a load instead of a clock read).
 * Returns 0 with the choice in *sel, or -XLB_DROP_*.
 */
#ifndef XLB_BPF_FLOW_H
#define XLB_BPF_FLOW_H

#include <bpf/bpf_helpers.h>
#include <xlb/hash.h>
#include "breaker.h"
#include "maps.h"
#include "maglev.h"
#include "ratelimit.h"
#include "sched.h"
#include "parse.h"
#include "stats.h"

struct xlb_sel {
	struct xlb_backend *be;
	__u32 be_id;
	__u32 new_flow; /* 1 if this packet started a flow */
};

static __always_inline __u64 xlb_min_u64(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

/* Flood guard: may this CPU insert one more flow in the current second? */
static __always_inline int xlb_flood_admit(__u32 rate, __u64 now)
{
	struct xlb_flood_state *fs;
	__u32 zero = 0;

	if (!rate)
		return 1;
	fs = bpf_map_lookup_elem(&xlb_flood, &zero);
	if (unlikely(!fs))
		return 1;
	if (now - fs->window_start_ns > 1000000000ULL) {
		fs->window_start_ns = now;
		fs->new_flows = 0;
	}
	if (fs->new_flows >= rate)
		return 0;
	fs->new_flows++;
	return 1;
}

/* Load-time knob (rodata): every LB node must use the same seed */
const volatile __u32 xlb_hash_seed = XLB_HASH_SEED_DEFAULT;

/* The selection hash: 5-tuple, or source only for client-affinity VIPs */
static __always_inline __u32 xlb_select_hash(const struct xlb_flow_key *key,
					     const struct xlb_vip_val *vip)
{
	if (vip->flags & XLB_VIP_F_HASH_SRC)
		return xlb_hash_src(key, xlb_hash_seed);
	return xlb_hash_flow(key, xlb_hash_seed);
}

/* Ring choice for the flow @key of @vip, checked to be a live backend. A
 * @new_flow of a wrr VIP takes the next round-robin position; everything else
 * (maglev, and wrr packets that cannot be new flows: RST, ICMP errors) the hash.
 * A @new_flow must also be admitted by the choice's breaker (breaker.h). */
static __always_inline int xlb_select_stateless(const struct xlb_flow_key *key,
						const struct xlb_vip_val *vip, int new_flow,
						struct xlb_sel *sel, struct xlb_global_stats *st)
{
	__u32 pos;
	int ret;

	/* a wrr new flow takes the next round-robin position: no hash needed */
	pos = vip->sched == XLB_SCHED_WRR && new_flow ? xlb_wrr_next(vip) :
							xlb_select_hash(key, vip);
	if (vip->sched == XLB_SCHED_LC && new_flow) {
		ret = xlb_lc_pick(vip->vip_id, pos);
		if (ret < 0)
			return ret;
		sel->be_id = ret;
	} else {
		ret = xlb_maglev_pick(vip, pos, &sel->be_id);
		if (ret)
			return ret;
	}
	if (new_flow) {
		ret = xlb_brk_admit(sel->be_id, 1);
		if (unlikely(ret == XLB_BRK_TRIAL)) {
			XLB_COUNT(st, XLB_CNT_BRK_HALF_ADMIT);
		} else if (unlikely(ret == XLB_BRK_NO)) {
			if (vip->sched == XLB_SCHED_WRR)
				pos = xlb_select_hash(key, vip); /* alternatives follow the flow */
			ret = xlb_brk_reroute(vip->vip_id, vip->ring_size, pos);
			if (ret < 0)
				return ret;
			if (ret == XLB_BRK_NONE) {
				XLB_COUNT(st, XLB_CNT_BRK_EXHAUSTED); /* first choice kept */
			} else {
				XLB_COUNT(st, XLB_CNT_BRK_REROUTE);
				sel->be_id = ret;
			}
		}
	}
	sel->be = xlb_backend_get(sel->be_id);
	if (unlikely(!sel->be))
		return -XLB_DROP_BAD_BACKEND;
	return 0;
}

static __always_inline int xlb_flow_select(const struct xlb_pkt *pkt, const struct xlb_vip_val *vip,
					   const struct xlb_config *cfg,
					   struct xlb_global_stats *st, struct xlb_sel *sel)
{
	__u8 flags = pkt->tcp_flags;
	int tcp = pkt->key.proto == IPPROTO_TCP;
	int syn = tcp && (flags & (XLB_TCP_SYN | XLB_TCP_ACK)) == XLB_TCP_SYN;
	int rst = tcp && (flags & XLB_TCP_RST);
	struct xlb_flow_val *fv = NULL, nv = {};
	__u64 now = 0, idle;
	int ret;

	if (syn) {
		/* a SYN re-selects whatever the table says: skip the (cold) read */
		XLB_COUNT(st, XLB_CNT_SYN);
	} else if (!(fv = bpf_map_lookup_elem(&xlb_flows, &pkt->key))) {
		XLB_COUNT(st, XLB_CNT_FLOW_MISS);
	} else {
		sel->be = xlb_backend_get_gen(fv->backend_id, fv->backend_gen);
		if (!sel->be) {
			XLB_COUNT(st, XLB_CNT_FLOW_RESELECT);
		} else if (unlikely(vip->flags & XLB_VIP_F_RESELECT_OPEN) &&
			   xlb_brk_is_open(fv->backend_id)) {
			/* the VIP moves flows off open backends */
			XLB_COUNT(st, XLB_CNT_BRK_FLOW_MOVED);
			if (!(fv->flags & XLB_FLOW_F_ENDED))
				xlb_active_add(fv->backend_id, -1);
		} else if (!tcp) {
			now = bpf_ktime_get_coarse_ns();
			idle = vip->udp_idle_ns ?: XLB_UDP_IDLE_DEFAULT_NS;
			/* a stamp from the future (another CPU's newer tick) is fresh */
			if ((__s64)(now - fv->last_seen_ns) > (__s64)idle) {
				XLB_COUNT(st, XLB_CNT_UDP_EXPIRED);
				xlb_active_add(fv->backend_id, -1); /* that flow is over */
			} else {
				/* refreshed when older than idle/16 (at most 1 s): a flow
				 * is never idle for more than 1/16 of the time it may be
				 * before its stamp moves, and busy flows write rarely */
				if ((__s64)(now - fv->last_seen_ns) >
				    (__s64)xlb_min_u64(idle >> 4, XLB_FLOW_TOUCH_NS))
					fv->last_seen_ns = now;
				sel->be_id = fv->backend_id;
				XLB_COUNT(st, XLB_CNT_FLOW_HIT);
				return 0;
			}
		} else {
			sel->be_id = fv->backend_id;
			XLB_COUNT(st, XLB_CNT_FLOW_HIT);
			/* past the SYN (no SYN here): a later SYN is no retransmission */
			if (unlikely(!(fv->flags & XLB_FLOW_F_ESTAB))) {
				struct xlb_be_pasv *pv = xlb_pasv_get(sel->be_id);

				fv->flags |= XLB_FLOW_F_ESTAB;
				if (pv)
					pv->estab++;
			}
			/* the flow ends: subtract it from active flows, once */
			if (unlikely(flags & (XLB_TCP_FIN | XLB_TCP_RST)) &&
			    !(fv->flags & XLB_FLOW_F_ENDED)) {
				fv->flags |= XLB_FLOW_F_ENDED;
				xlb_active_add(sel->be_id, -1);
			}
			return 0;
		}
	}

	if (!rst) {
		/* this packet would start a flow: rate limits before anything is spent */
		ret = xlb_rl_new_flow(pkt, vip, cfg, st);
		if (ret)
			return ret;
	}
	ret = xlb_select_stateless(&pkt->key, vip, !rst, sel, st);
	if (ret)
		return ret;
	if (rst && !fv) {
		XLB_COUNT(st, XLB_CNT_RST_NO_FLOW); /* never create state from an RST */
		return 0;
	}
	sel->new_flow = 1;
	/* the clock serves UDP idle expiry and the flood guard only: TCP entries
	 * never read their stamp */
	if (!now && (!tcp || cfg->flood_rate))
		now = bpf_ktime_get_coarse_ns();
	if (!xlb_flood_admit(cfg->flood_rate, now)) {
		XLB_COUNT(st, XLB_CNT_FLOOD_GUARD);
		return 0;
	}
	nv.last_seen_ns = now;
	nv.backend_id = sel->be_id;
	nv.backend_gen = sel->be->gen;
	if (syn) {
		nv.syn_seq = pkt->tcp_seq;
		/* a retransmitted SYN finds its own entry: replace it, counted once */
		if (!bpf_map_update_elem(&xlb_flows, &pkt->key, &nv, BPF_NOEXIST)) {
			xlb_active_add(sel->be_id, 1);
			return 0;
		}
		fv = bpf_map_lookup_elem(&xlb_flows, &pkt->key);
		if (fv) {
			if (!(fv->flags & XLB_FLOW_F_ENDED))
				xlb_active_add(fv->backend_id, -1);
			if (!(fv->flags & XLB_FLOW_F_ESTAB) && fv->syn_seq == pkt->tcp_seq) {
				/* the client asks again with the same SYN: its backend
				 * never answered it (or the answer was lost). The passive
				 * signal. A SYN with another sequence number is a new
				 * attempt on a reused port (NAT, busy port ranges, a
				 * retry after a refusal), not a sign of the backend. */
				struct xlb_be_pasv *pv = xlb_pasv_get(fv->backend_id);

				XLB_COUNT(st, XLB_CNT_SYN_RETX);
				if (pv)
					pv->syn_retx++;
			}
			*fv = nv; /* in place: no second hash walk, no new LRU node */
			xlb_active_add(sel->be_id, 1);
			return 0;
		}
	}
	if (bpf_map_update_elem(&xlb_flows, &pkt->key, &nv, BPF_ANY))
		XLB_COUNT(st, XLB_CNT_FLOW_INSERT_FAIL);
	else
		xlb_active_add(sel->be_id, 1);
	return 0;
}

/* ICMP errors: which backend owns the (reversed, quoted) flow @key? No insert. */
static __always_inline int xlb_flow_peek(const struct xlb_flow_key *key,
					 const struct xlb_vip_val *vip, struct xlb_sel *sel,
					 struct xlb_global_stats *st)
{
	struct xlb_flow_val *fv = bpf_map_lookup_elem(&xlb_flows, key);

	if (fv) {
		sel->be = xlb_backend_get_gen(fv->backend_id, fv->backend_gen);
		if (sel->be) {
			sel->be_id = fv->backend_id;
			return 0;
		}
	}
	return xlb_select_stateless(key, vip, 0, sel, st);
}

#endif /* XLB_BPF_FLOW_H */
