/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Maglev lookup: slot = hash % M in the VIP's inner table (map-in-map by
 * XLB_RING_KEY(vip_id, ring_bank)), giving a backend slot id. The agent fills
 * the idle bank and then flips the VIP entry, which names the table and its
 * size together: a lookup sees the old table with the old size or the new
 * with the new, never a mix.
 * For wrr VIPs the same table holds a weighted round-robin sequence (sched.h
 * supplies the position instead of the hash).
 * Returns 0 with *be_id set, or -XLB_DROP_*.
 */
#ifndef XLB_BPF_MAGLEV_H
#define XLB_BPF_MAGLEV_H

#include "maps.h"

static __always_inline int xlb_maglev_pick(const struct xlb_vip_val *vip, __u32 hash, __u32 *be_id)
{
	__u32 key = XLB_RING_KEY(vip->vip_id, vip->ring_bank);
	__u32 m = vip->ring_size;
	__u32 slot, *id;
	void *ring;

	ring = bpf_map_lookup_elem(&xlb_rings, &key);
	if (unlikely(!ring))
		return -XLB_DROP_NO_RING;
	slot = hash % m; /* m != 0: xlb_vip_valid() */
	id = bpf_map_lookup_elem(ring, &slot);
	if (unlikely(!id))
		return -XLB_DROP_BAD_VIP; /* ring_size larger than the installed table */
	*be_id = *id;
	return 0;
}

/* Backend slot @id if it is in use, else NULL */
static __always_inline struct xlb_backend *xlb_backend_get(__u32 id)
{
	struct xlb_backend *be = bpf_map_lookup_elem(&xlb_backends, &id);

	if (unlikely(!be) || !(be->flags & XLB_BE_F_ACTIVE))
		return NULL;
	return be;
}

/* Backend slot @id if it is in use and still of generation @gen (the owner a
 * flow or fragment remembered), else NULL */
static __always_inline struct xlb_backend *xlb_backend_get_gen(__u32 id, __u32 gen)
{
	struct xlb_backend *be = xlb_backend_get(id);

	return be && be->gen == gen ? be : NULL;
}

#endif /* XLB_BPF_MAGLEV_H */
