/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Fragment tracking: the first fragment of a datagram (which carries the
 * ports) records where it went; later fragments (no ports) follow it. A later
 * fragment whose first one was not seen cannot be placed: the caller drops it
 * when it is addressed to a VIP. Keys are network order as in the headers.
 */
#ifndef XLB_BPF_FRAG_H
#define XLB_BPF_FRAG_H

#include "maps.h"
#include "parse.h"

static __always_inline void xlb_frag_key(const struct xlb_pkt *pkt, struct xlb_frag_key *fk)
{
	__builtin_memcpy(fk->src, pkt->key.src, sizeof(fk->src));
	__builtin_memcpy(fk->dst, pkt->key.dst, sizeof(fk->dst));
	fk->id = pkt->frag_id;
	fk->proto = pkt->frag_proto; /* the same in every fragment of a datagram */
	fk->family = pkt->key.family;
}

static __always_inline void xlb_frag_record(const struct xlb_pkt *pkt, __u32 be_id, __u32 be_gen,
					    __u32 vip_id, __u32 hash, __u8 encap)
{
	struct xlb_frag_key fk = {};
	struct xlb_frag_val fv = {};

	xlb_frag_key(pkt, &fk);
	fv.backend_id = be_id;
	fv.backend_gen = be_gen;
	fv.vip_id = vip_id;
	fv.hash = hash;
	fv.encap = encap;
	bpf_map_update_elem(&xlb_frags, &fk, &fv, BPF_ANY);
}

static __always_inline struct xlb_frag_val *xlb_frag_lookup(const struct xlb_pkt *pkt)
{
	struct xlb_frag_key fk = {};

	xlb_frag_key(pkt, &fk);
	return bpf_map_lookup_elem(&xlb_frags, &fk);
}

#endif /* XLB_BPF_FRAG_H */
