/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* VIP lookup: exact (addr, port, proto), then the port-0 wildcard of the
 * address. Also the address-only check used to fail closed when a packet to a
 * VIP address cannot be parsed far enough to find its service. The wildcard
 * lookup happens only while config says a port-0 VIP exists (XLB_CFG_F_PORT0).
 * Returns a map value pointer or NULL.
 */
#ifndef XLB_BPF_VIP_H
#define XLB_BPF_VIP_H

#include "maps.h"
#include "parse.h"

static __always_inline struct xlb_vip_val *xlb_vip_lookup_addr(const __be32 *addr, __be16 port,
							       __u8 proto, __u8 family,
							       const struct xlb_config *cfg)
{
	struct xlb_vip_key k = {};
	struct xlb_vip_val *v;

	__builtin_memcpy(k.addr, addr, sizeof(k.addr));
	k.port = port;
	k.proto = proto;
	k.family = family;
	v = bpf_map_lookup_elem(&xlb_vips, &k);
	if (v || !port || !(cfg->flags & XLB_CFG_F_PORT0))
		return v;
	k.port = 0; /* a port-0 VIP takes every port of its address */
	return bpf_map_lookup_elem(&xlb_vips, &k);
}

static __always_inline struct xlb_vip_val *xlb_vip_lookup(const struct xlb_pkt *pkt,
							  const struct xlb_config *cfg)
{
	return xlb_vip_lookup_addr(pkt->key.dst, pkt->key.dport, pkt->key.proto, pkt->key.family,
				   cfg);
}

static __always_inline int xlb_is_vip_addr(const struct xlb_pkt *pkt)
{
	struct xlb_addr a = {};

	__builtin_memcpy(a.addr, pkt->key.dst, sizeof(a.addr));
	a.family = pkt->key.family;
	return bpf_map_lookup_elem(&xlb_vip_addrs, &a) != NULL;
}

/* A parse error: drop (fail closed) if the destination hosts a VIP, else pass. */
static __always_inline int xlb_fail_closed(const struct xlb_pkt *pkt, int reason)
{
	if (xlb_is_vip_addr(pkt)) /* errors come after the addresses were read */
		return reason;
	return XDP_PASS;
}

#endif /* XLB_BPF_VIP_H */
