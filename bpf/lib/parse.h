/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Cursor parsers: Ethernet + up to XLB_VLAN_MAX VLAN tags, IPv4 (+options),
 * IPv6 (+up to XLB_IPV6_EXT_MAX extension headers), TCP, UDP, ICMP/ICMPv6.
 * Contract: every read is preceded by its own bounds check; results in
 * struct xlb_pkt keep packet byte order for addresses and ports (network
 * order) and host order for lengths and offsets. Parsers return 0, or a
 * negative -XLB_DROP_* reason that the caller turns into a drop only when the
 * destination hosts a VIP (XLB_PARSE_NOT_IP: not ours at all, pass).
 */
#ifndef XLB_BPF_PARSE_H
#define XLB_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include "icmphdr.h" /* not <linux/icmp.h>: it pulls in glibc */
#include <linux/icmpv6.h>
#include <bpf/bpf_endian.h>
#include <xlb/consts.h>
#include <xlb/stats.h>
#include <xlb/types.h>
#include "compiler.h"

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define XLB_IP_MF 0x2000
#define XLB_IP_DF 0x4000
#define XLB_IP_OFFMASK 0x1fff

#define XLB_PARSE_NOT_IP 1 /* not IPv4/IPv6 (ARP, LLDP, 3+ VLAN tags): pass */

#define XLB_FRAG_NONE 0
#define XLB_FRAG_FIRST 1 /* offset 0, more fragments follow */
#define XLB_FRAG_LATER 2 /* offset != 0: no L4 header */

/* TCP flag bits in byte 13 of the TCP header */
#define XLB_TCP_FIN 0x01
#define XLB_TCP_SYN 0x02
#define XLB_TCP_RST 0x04
#define XLB_TCP_ACK 0x10

struct xlb_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct xlb_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
};

/* Everything later stages need, parsed once. Offsets are from ctx->data. */
struct xlb_pkt {
	struct xlb_flow_key key; /* 5-tuple as received (ports 0 when absent) */
	__be32 frag_id;		 /* IPv4 id (zero-extended) or IPv6 fragment id */
	__be32 tcp_seq;		 /* TCP sequence number (the passive signal's SYN match) */
	__u16 l3_off;		 /* start of the IP header = length of the L2 header */
	__u16 l4_off;		 /* start of the L4 header */
	__u16 l3_len;		 /* IP total length (IPv6: 40 + payload length) */
	__u8 nvlan;		 /* VLAN tags present (0..XLB_VLAN_MAX) */
	__u8 tos;		 /* IPv4 TOS / IPv6 traffic class */
	__u8 df;		 /* IPv4 DF bit */
	__u8 frag;		 /* XLB_FRAG_* */
	__u8 tcp_flags;		 /* byte 13 of the TCP header */
	__u8 icmp_type;
	__u8 frag_proto; /* fragments: IPv4 protocol / the IPv6 fragment header's next header */
};

/* Largest offset of a header from ctx->data that the parsers follow */
#define XLB_PKT_OFF_MAX 0xfff

/* A 16-bit network-order length in host order, with its bound visible.
 * verifier: 6.1 forgets every bound across a byte swap (be16), and then refuses
 * the packet-pointer arithmetic with the length ("unbounded min value").
 */
static __always_inline __u32 xlb_ntohs_len(__be16 v)
{
	__u32 x = bpf_ntohs(v);

	barrier_var(x); /* else the compiler drops the mask as redundant */
	return x & 0xffff;
}

/* Ethernet and VLAN tags. Sets l3_off/nvlan; *proto gets the innermost ethertype. */
static __always_inline int parse_eth(void *data, void *data_end, struct xlb_pkt *pkt, __be16 *proto)
{
	struct ethhdr *eth = data;
	struct xlb_vlan_hdr *vh;
	__u16 off = sizeof(*eth);
	__be16 p;
	int i;

	if ((void *)(eth + 1) > data_end)
		return XLB_PARSE_NOT_IP;
	p = eth->h_proto;

	for (i = 0; i < XLB_VLAN_MAX; i++) {
		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return XLB_PARSE_NOT_IP;
		p = vh->proto;
		off += sizeof(*vh);
		pkt->nvlan++;
	}
	if (p != bpf_htons(ETH_P_IP) && p != bpf_htons(ETH_P_IPV6))
		return XLB_PARSE_NOT_IP; /* ARP, LLDP, a third tag: not ours */

	pkt->l3_off = off;
	*proto = p;
	return 0;
}

static __always_inline int parse_ipv4(void *data, void *data_end, struct xlb_pkt *pkt)
{
	struct iphdr *iph = data + pkt->l3_off;
	__u32 ihl, tot_len;
	__u16 frag_off;

	if ((void *)(iph + 1) > data_end)
		return XLB_PARSE_NOT_IP; /* cannot even read the destination */
	pkt->key.family = XLB_FAMILY_V4;
	pkt->key.src[0] = iph->saddr;
	pkt->key.dst[0] = iph->daddr;
	pkt->key.proto = iph->protocol;
	pkt->tos = iph->tos;

	ihl = iph->ihl * 4;
	tot_len = xlb_ntohs_len(iph->tot_len);
	if (iph->version != 4 || ihl < sizeof(*iph) || tot_len < ihl)
		return -XLB_DROP_IP_MALFORMED;
	if (data + pkt->l3_off + tot_len > data_end)
		return -XLB_DROP_IP_MALFORMED;
	pkt->l3_len = tot_len;
	pkt->l4_off = pkt->l3_off + ihl; /* options skipped, not refused */

	frag_off = bpf_ntohs(iph->frag_off);
	pkt->df = !!(frag_off & XLB_IP_DF);
	if (frag_off & XLB_IP_OFFMASK)
		pkt->frag = XLB_FRAG_LATER;
	else if (frag_off & XLB_IP_MF)
		pkt->frag = XLB_FRAG_FIRST;
	pkt->frag_id = (__be32)iph->id;
	pkt->frag_proto = iph->protocol;
	return 0;
}

static __always_inline int xlb_ipv6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT;
}

static __always_inline int parse_ipv6(void *data, void *data_end, struct xlb_pkt *pkt)
{
	struct ipv6hdr *ip6h = data + pkt->l3_off;
	struct ipv6_opt_hdr *opt;
	struct xlb_ipv6_frag_hdr *fh;
	__u32 off, len;
	__u8 nh;
	int i;

	if ((void *)(ip6h + 1) > data_end)
		return XLB_PARSE_NOT_IP;
	pkt->key.family = XLB_FAMILY_V6;
	__builtin_memcpy(pkt->key.src, &ip6h->saddr, 16);
	__builtin_memcpy(pkt->key.dst, &ip6h->daddr, 16);
	pkt->tos = (ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4);
	/* 32 bits: 40 + a payload length near 64 KiB must not wrap below 40 */
	len = sizeof(*ip6h) + xlb_ntohs_len(ip6h->payload_len);
	if (ip6h->version != 6 || data + pkt->l3_off + len > data_end)
		return -XLB_DROP_IP_MALFORMED;
	pkt->l3_len = len; /* fits: it is within the frame */

	nh = ip6h->nexthdr;
	off = pkt->l3_off + sizeof(*ip6h);
	for (i = 0; i < XLB_IPV6_EXT_MAX; i++) {
		if (!xlb_ipv6_is_ext(nh))
			break;
		/* a chain reaching past what we follow is refused, never wrapped */
		if (off > XLB_PKT_OFF_MAX)
			return -XLB_DROP_IPV6_EXT_BOUND;
		if (nh == IPPROTO_FRAGMENT) {
			fh = data + off;
			if ((void *)(fh + 1) > data_end)
				return -XLB_DROP_IP_MALFORMED;
			nh = fh->nexthdr;
			pkt->frag_id = fh->id;
			pkt->frag_proto = nh;
			off += sizeof(*fh);
			if (bpf_ntohs(fh->frag_off) & 0xfff8) {
				/* a later fragment: what follows is payload, whatever
				 * the next-header value says */
				pkt->frag = XLB_FRAG_LATER;
				pkt->key.proto = nh;
				pkt->l4_off = off;
				return 0;
			}
			if (bpf_ntohs(fh->frag_off) & 1)
				pkt->frag = XLB_FRAG_FIRST;
		} else {
			opt = data + off;
			if ((void *)(opt + 1) > data_end)
				return -XLB_DROP_IP_MALFORMED;
			nh = opt->nexthdr;
			off += (opt->hdrlen + 1) * 8;
		}
	}
	if (xlb_ipv6_is_ext(nh) || off > XLB_PKT_OFF_MAX)
		return -XLB_DROP_IPV6_EXT_BOUND; /* fail closed past the bound */
	pkt->key.proto = nh;
	pkt->l4_off = off;
	return 0;
}

/* L4 ports and TCP flags. Later fragments and ICMP have no ports. */
static __always_inline int parse_l4(void *data, void *data_end, struct xlb_pkt *pkt)
{
	void *l4 = data + (pkt->l4_off & XLB_PKT_OFF_MAX); /* verifier: bounded offset */
	__u32 ip_end = pkt->l3_off + pkt->l3_len;
	/* L4 bytes the IP length holds (an IPv6 chain may end past it) */
	__u32 room = ip_end > pkt->l4_off ? ip_end - pkt->l4_off : 0;
	struct tcphdr *th;
	struct udphdr *uh;
	struct xlb_icmphdr *ich;

	if (pkt->frag == XLB_FRAG_LATER)
		return 0;

	switch (pkt->key.proto) {
	case IPPROTO_TCP:
		th = l4;
		/* bounded by the IP length too: Ethernet padding is not a header */
		if ((void *)(th + 1) > data_end || room < sizeof(*th))
			return -XLB_DROP_L4_TRUNCATED;
		if (th->doff < 5)
			return -XLB_DROP_TCP_DOFF;
		pkt->key.sport = th->source;
		pkt->key.dport = th->dest;
		pkt->tcp_flags = ((__u8 *)th)[13];
		pkt->tcp_seq = th->seq;
		break;
	case IPPROTO_UDP:
		uh = l4;
		if ((void *)(uh + 1) > data_end || room < sizeof(*uh))
			return -XLB_DROP_L4_TRUNCATED;
		pkt->key.sport = uh->source;
		pkt->key.dport = uh->dest;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		ich = l4;
		if ((void *)(ich + 1) > data_end || room < sizeof(*ich))
			return -XLB_DROP_L4_TRUNCATED;
		pkt->icmp_type = ich->type;
		break;
	}
	return 0;
}

/* Whole packet: 0, XLB_PARSE_NOT_IP, or -XLB_DROP_* (conditional on a VIP address) */
static __always_inline int parse_packet(void *data, void *data_end, struct xlb_pkt *pkt)
{
	__be16 proto;
	int ret;

	ret = parse_eth(data, data_end, pkt, &proto);
	if (ret)
		return ret;
	if (proto == bpf_htons(ETH_P_IP))
		ret = parse_ipv4(data, data_end, pkt);
	else
		ret = parse_ipv6(data, data_end, pkt);
	if (ret)
		return ret;
	return parse_l4(data, data_end, pkt);
}

#endif /* XLB_BPF_PARSE_H */
