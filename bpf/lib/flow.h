/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Sticky flows: the LRU flow table decides the backend of known flows; new
 * flows are selected by Maglev and inserted (unless the flood guard is on).
 * Rules (docs/dataplane.md): a TCP SYN always re-selects, without reading
 * the table; a FIN or RST never creates an entry; a flow whose backend slot
 * was freed or reused is re-selected; UDP entries expire after the VIP's idle
 * time. Active flows are counted per window (<xlb/active.h>). The Maglev hash is computed only when selecting. Times come from the
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
			ret = xlb_brk_reroute(XLB_RING_KEY(vip->vip_id, vip->ring_bank),
					      vip->ring_size, pos);
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

/* A flow entry the packet could not use is over: it leaves its backend's active
 * count, unless it already ended or its backend slot has a new owner since. */
static __always_inline void xlb_flow_retire(const struct xlb_flow_val *fv, __u64 now)
{
	if (!(fv->flags & XLB_FLOW_F_ENDED) && xlb_backend_get_gen(fv->backend_id, fv->backend_gen))
		xlb_active_end(fv->backend_id, now, fv->last_seen_ns);
}

/* A packet of a live entry @fv: counts the flow once per active-flow window, keeps
 * a UDP flow's stamp fresh, marks a TCP flow past its SYN, ends it on FIN or RST. */
static __always_inline void xlb_flow_hit(struct xlb_flow_val *fv, int tcp, __u8 flags, __u64 now,
					 __u64 idle, struct xlb_global_stats *st)
{
	__u32 be_id = fv->backend_id;

	XLB_COUNT(st, XLB_CNT_FLOW_HIT);
	/* past the SYN (no SYN here): a later SYN is no retransmission */
	if (tcp && unlikely(!(fv->flags & XLB_FLOW_F_ESTAB))) {
		struct xlb_be_pasv *pv = xlb_pasv_get(be_id);

		fv->flags |= XLB_FLOW_F_ESTAB;
		if (pv)
			pv->estab++;
	}
	if (fv->flags & XLB_FLOW_F_ENDED)
		return; /* the last packets of an ended flow count for nothing */
	if (xlb_active_win(now) != xlb_active_win(fv->last_seen_ns)) {
		xlb_active_touch(be_id, now, fv->last_seen_ns);
		fv->last_seen_ns = now;
	} else if (!tcp && (__s64)(now - fv->last_seen_ns) >
				   (__s64)xlb_min_u64(idle >> 4, XLB_FLOW_TOUCH_NS)) {
		/* refreshed when older than idle/16 (at most 1 s): a flow is never
		 * idle for more than 1/16 of the time it may be before its stamp
		 * moves, and busy flows write rarely */
		fv->last_seen_ns = now;
	}
	if (tcp && unlikely(flags & (XLB_TCP_FIN | XLB_TCP_RST))) {
		fv->flags |= XLB_FLOW_F_ENDED; /* the flow ends: out of the count, once */
		xlb_active_end(be_id, now, fv->last_seen_ns);
	}
}

/* The one place where a new flow changes state: its entry @nv is written and
 * counted active. @old is the entry the packet found and could not use (stale,
 * expired, moved off an open backend), replaced in place; NULL when there was none
 * or it was not read (a SYN). A SYN that finds its own entry replaces it, and is
 * the passive signal when it repeats the entry's SYN. */
static __always_inline void xlb_flow_commit(const struct xlb_flow_key *key,
					    struct xlb_flow_val *old, const struct xlb_flow_val *nv,
					    int syn, __u64 now, struct xlb_global_stats *st)
{
	if (!old && syn) {
		if (!bpf_map_update_elem(&xlb_flows, key, nv, BPF_NOEXIST)) {
			xlb_active_touch(nv->backend_id, now, 0);
			return;
		}
		old = bpf_map_lookup_elem(&xlb_flows, key);
		if (old && !(old->flags & XLB_FLOW_F_ESTAB) && old->syn_seq == nv->syn_seq) {
			/* the client asks again with the same SYN: its backend never
			 * answered it (or the answer was lost). The passive signal. A
			 * SYN with another sequence number is a new attempt on a reused
			 * port (NAT, busy port ranges, a retry after a refusal), not a
			 * sign of the backend. */
			struct xlb_be_pasv *pv = xlb_pasv_get(old->backend_id);

			XLB_COUNT(st, XLB_CNT_SYN_RETX);
			if (pv)
				pv->syn_retx++;
		}
	}
	if (old) {
		xlb_flow_retire(old, now);
		*old = *nv; /* in place: no second hash walk, no new LRU node */
		xlb_active_touch(nv->backend_id, now, 0);
		return;
	}
	if (bpf_map_update_elem(&xlb_flows, key, nv, BPF_ANY))
		XLB_COUNT(st, XLB_CNT_FLOW_INSERT_FAIL);
	else
		xlb_active_touch(nv->backend_id, now, 0);
}

/* The flow stage, as classify -> decide -> commit: first what the table says of
 * the packet, then everything that may refuse it or leave it without state (rate
 * limits, breakers, a FIN/RST, the flood guard), and only then one write
 * (xlb_flow_commit). A refused packet changes no entry and no count. */
static __always_inline int xlb_flow_select(const struct xlb_pkt *pkt, const struct xlb_vip_val *vip,
					   const struct xlb_config *cfg,
					   struct xlb_global_stats *st, struct xlb_sel *sel)
{
	__u8 flags = pkt->tcp_flags;
	int tcp = pkt->key.proto == IPPROTO_TCP;
	int syn = tcp && (flags & (XLB_TCP_SYN | XLB_TCP_ACK)) == XLB_TCP_SYN;
	int ends = tcp && (flags & (XLB_TCP_FIN | XLB_TCP_RST));
	__u64 now = bpf_ktime_get_coarse_ns();
	__u64 idle = vip->udp_idle_ns ?: XLB_UDP_IDLE_DEFAULT_NS;
	struct xlb_flow_val *fv = NULL, nv = {};
	int ret;

	/* classify */
	if (syn) {
		/* a SYN re-selects whatever the table says: skip the (cold) read */
		XLB_COUNT(st, XLB_CNT_SYN);
	} else if (!(fv = bpf_map_lookup_elem(&xlb_flows, &pkt->key))) {
		XLB_COUNT(st, XLB_CNT_FLOW_MISS);
	} else if (!(sel->be = xlb_backend_get_gen(fv->backend_id, fv->backend_gen))) {
		XLB_COUNT(st, XLB_CNT_FLOW_RESELECT);
	} else if (unlikely(vip->flags & XLB_VIP_F_RESELECT_OPEN) &&
		   xlb_brk_is_open(fv->backend_id)) {
		XLB_COUNT(st, XLB_CNT_BRK_FLOW_MOVED); /* the VIP moves flows off open backends */
	} else if (!tcp && (__s64)(now - fv->last_seen_ns) > (__s64)idle) {
		/* a stamp from the future (another CPU's newer tick) is fresh */
		XLB_COUNT(st, XLB_CNT_UDP_EXPIRED);
	} else {
		sel->be_id = fv->backend_id;
		xlb_flow_hit(fv, tcp, flags, now, idle, st);
		return 0;
	}

	/* decide */
	if (ends) {
		/* a FIN or RST never starts a flow: it goes where the stateless
		 * choice says, and nothing is written or counted */
		ret = xlb_select_stateless(&pkt->key, vip, 0, sel, st);
		if (!ret)
			XLB_COUNT(st, XLB_CNT_RST_NO_FLOW);
		return ret;
	}
	/* this packet would start a flow: rate limits before anything is spent */
	ret = xlb_rl_new_flow(pkt, vip, cfg, st);
	if (ret)
		return ret;
	ret = xlb_select_stateless(&pkt->key, vip, 1, sel, st);
	if (ret)
		return ret;
	sel->new_flow = 1;
	if (!xlb_flood_admit(cfg->flood_rate, now)) {
		XLB_COUNT(st, XLB_CNT_FLOOD_GUARD);
		return 0;
	}

	/* commit */
	nv.last_seen_ns = now;
	nv.backend_id = sel->be_id;
	nv.backend_gen = sel->be->gen;
	nv.syn_seq = syn ? pkt->tcp_seq : 0;
	xlb_flow_commit(&pkt->key, fv, &nv, syn, now, st);
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
