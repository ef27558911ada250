/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Packet builders for the BPF packet tests: Ethernet, VLAN, IPv4 (+options),
 * IPv6 (+extension headers, fragments), TCP, UDP, ICMP, ICMPv6, and raw bytes
 * (quotes, tunnel payloads). Independent of the code under test, checksums
 * included.
 *
 * Usage: pkt_init(), append headers outer to inner, then pkt_finish() fills
 * every length and checksum of the headers appended through the builders
 * (innermost first), unless a spec asks for a fixed value. Bytes appended with
 * pkt_put() are opaque: a nested packet is built on its own, finished, and
 * appended, so the outer finish never touches it. Anything appended after
 * pkt_finish() (Ethernet padding) is outside every length.
 * Multi-byte spec fields are host order; addresses are byte arrays as on the wire.
 */
#ifndef XLB_TESTS_PKT_H
#define XLB_TESTS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PKT_MAX 4096
#define PKT_LAYERS 16

#define ETH_TYPE_IP 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_8021Q 0x8100
#define ETH_TYPE_8021AD 0x88a8
#define ETH_TYPE_LLDP 0x88cc

#define IP4_DF 0x4000
#define IP4_MF 0x2000

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

enum pkt_layer_kind {
	PL_IP4 = 1,
	PL_IP6,
	PL_TCP,
	PL_UDP,
	PL_ICMP4,
	PL_ICMP6
};

struct pkt_layer {
	uint8_t kind;
	uint8_t keep_len;  /* IP: length field given by the spec, leave it */
	uint8_t keep_csum; /* checksum given by the spec (or 0 for UDP), leave it */
	uint16_t off;
};

struct pkt {
	uint8_t d[PKT_MAX];
	size_t len;
	struct pkt_layer l[PKT_LAYERS];
	int nl;
	int l3;	 /* offset of the first IP header, -1 if none */
	int l4;	 /* offset of the first TCP/UDP/ICMP header, -1 if none */
	int bad; /* a builder ran out of room */
};

static inline void pkt_init(struct pkt *p)
{
	p->len = 0;
	p->nl = 0;
	p->l3 = -1;
	p->l4 = -1;
	p->bad = 0;
}

/* Appends @n bytes (zeros when @src is NULL); returns their offset. */
static inline size_t pkt_put(struct pkt *p, const void *src, size_t n)
{
	size_t off = p->len;

	if (p->len + n > PKT_MAX) {
		p->bad = 1;
		return off;
	}
	if (src)
		memcpy(p->d + off, src, n);
	else
		memset(p->d + off, 0, n);
	p->len += n;
	return off;
}

/* Appends @n bytes of a pattern that differs per @seed (payloads). */
static inline void pkt_fill(struct pkt *p, size_t n, uint8_t seed)
{
	size_t off = pkt_put(p, NULL, n);

	for (size_t i = 0; i < n && !p->bad; i++)
		p->d[off + i] = (uint8_t)(seed + i * 7);
}

static inline void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static inline void put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

static inline uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t get32(const uint8_t *b)
{
	return (uint32_t)get16(b) << 16 | get16(b + 2);
}

static inline void pkt_layer_add(struct pkt *p, uint8_t kind, size_t off, bool keep_len,
				 bool keep_csum)
{
	if (p->nl >= PKT_LAYERS) {
		p->bad = 1;
		return;
	}
	p->l[p->nl++] = (struct pkt_layer){
		.kind = kind, .off = (uint16_t)off, .keep_len = keep_len, .keep_csum = keep_csum
	};
}

/* ---- checksums (RFC 1071) ---- */

/* One's complement sum of @n bytes starting at an even position of the whole. */
static inline uint32_t csum_add(uint32_t sum, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += get16(b + i);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline uint16_t csum(const uint8_t *b, size_t n)
{
	return csum_fold(csum_add(0, b, n));
}

/* Pseudo-header sum for an upper-layer packet of @len bytes under the IP header at @ip. */
static inline uint32_t csum_pseudo(const uint8_t *ip, uint8_t proto, uint32_t len)
{
	uint32_t sum = 0;

	if ((ip[0] >> 4) == 4) {
		sum = csum_add(sum, ip + 12, 8);
		sum += proto;
		sum += len;
	} else {
		sum = csum_add(sum, ip + 8, 32);
		sum += len >> 16;
		sum += len & 0xffff;
		sum += proto;
	}
	return sum;
}

/* ---- Ethernet ---- */

/* Destination and source MAC; follow with pkt_vlan()* and pkt_ethertype(). */
static inline void pkt_eth_addrs(struct pkt *p, const uint8_t dst[6], const uint8_t src[6])
{
	pkt_put(p, dst, 6);
	pkt_put(p, src, 6);
}

static inline void pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t tci)
{
	uint8_t b[4];

	put16(b, tpid);
	put16(b + 2, tci);
	pkt_put(p, b, 4);
}

static inline void pkt_ethertype(struct pkt *p, uint16_t type)
{
	uint8_t b[2];

	put16(b, type);
	pkt_put(p, b, 2);
}

static inline void pkt_eth(struct pkt *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	pkt_eth_addrs(p, dst, src);
	pkt_ethertype(p, type);
}

/* ---- IPv4 ---- */

struct ip4_spec {
	uint8_t tos;
	uint16_t id;
	uint16_t frag; /* flags (IP4_DF, IP4_MF) | offset in 8-byte units */
	uint8_t ttl;   /* 0 = 64 */
	uint8_t proto;
	uint8_t src[4], dst[4];
	const uint8_t *opts; /* NULL with optlen: NOP options */
	uint8_t optlen;	     /* multiple of 4, <= 40 */
	uint8_t ihl;	     /* 0 = from optlen; else written as is */
	uint8_t version;     /* 0 = 4 */
	uint16_t tot_len;    /* 0 = computed by pkt_finish */
	bool bad_csum;	     /* write a wrong header checksum */
};

static inline size_t pkt_ip4(struct pkt *p, const struct ip4_spec *s)
{
	size_t hl = 20 + s->optlen, off = pkt_put(p, NULL, hl);
	uint8_t *h = p->d + off;

	if (p->bad)
		return off;
	h[0] = (uint8_t)((s->version ? s->version : 4) << 4 | (s->ihl ? s->ihl : hl / 4));
	h[1] = s->tos;
	put16(h + 2, s->tot_len);
	put16(h + 4, s->id);
	put16(h + 6, s->frag);
	h[8] = s->ttl ? s->ttl : 64;
	h[9] = s->proto;
	memcpy(h + 12, s->src, 4);
	memcpy(h + 16, s->dst, 4);
	if (s->opts)
		memcpy(h + 20, s->opts, s->optlen);
	else
		memset(h + 20, 1, s->optlen); /* NOP */
	if (p->l3 < 0)
		p->l3 = (int)off;
	pkt_layer_add(p, PL_IP4, off, s->tot_len != 0, s->bad_csum);
	if (s->bad_csum)
		put16(h + 10, 0xbad1);
	return off;
}

/* ---- IPv6 ---- */

struct ip6_spec {
	uint8_t tc;
	uint32_t flow; /* 20 bits */
	uint8_t nh;
	uint8_t hop; /* 0 = 64 */
	uint8_t src[16], dst[16];
	uint8_t version; /* 0 = 6 */
	uint16_t plen;	 /* 0 = computed */
};

static inline size_t pkt_ip6(struct pkt *p, const struct ip6_spec *s)
{
	size_t off = pkt_put(p, NULL, 40);
	uint8_t *h = p->d + off;

	if (p->bad)
		return off;
	put32(h, (uint32_t)(s->version ? s->version : 6) << 28 | (uint32_t)s->tc << 20 |
			 (s->flow & 0xfffff));
	put16(h + 4, s->plen);
	h[6] = s->nh;
	h[7] = s->hop ? s->hop : 64;
	memcpy(h + 8, s->src, 16);
	memcpy(h + 24, s->dst, 16);
	if (p->l3 < 0)
		p->l3 = (int)off;
	pkt_layer_add(p, PL_IP6, off, s->plen != 0, false);
	return off;
}

#define IP6_NH_HOP 0
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAG 44
#define IP6_NH_DSTOPTS 60
#define IP6_NH_NONE 59

/* An 8-byte extension header of @type (hop-by-hop, routing, destination
 * options) followed by @nh: options are one PadN; routing is an experimental
 * type (253) with segments left 0, which nodes skip.
 */
static inline void pkt_ip6_ext(struct pkt *p, uint8_t type, uint8_t nh)
{
	uint8_t b[8] = { nh, 0 };

	if (type == IP6_NH_ROUTING) {
		b[2] = 253;
		b[3] = 0;
	} else {
		b[2] = 1; /* PadN, 4 bytes of padding */
		b[3] = 4;
	}
	pkt_put(p, b, sizeof(b));
}

/* Fragment header: @off in 8-byte units, @more = M flag. */
static inline void pkt_ip6_frag(struct pkt *p, uint8_t nh, uint16_t off, bool more, uint32_t id)
{
	uint8_t b[8] = { nh, 0 };

	put16(b + 2, (uint16_t)(off << 3 | (more ? 1 : 0)));
	put32(b + 4, id);
	pkt_put(p, b, sizeof(b));
}

/* ---- L4 ---- */

struct tcp_spec {
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	uint8_t doff;	/* 0 = 5 (+ optlen / 4); else written as is */
	uint8_t optlen; /* NOP options, multiple of 4 */
	uint16_t win;	/* 0 = 65535 */
};

static inline size_t pkt_tcp(struct pkt *p, const struct tcp_spec *s)
{
	size_t hl = 20 + s->optlen, off = pkt_put(p, NULL, hl);
	uint8_t *h = p->d + off;

	if (p->bad)
		return off;
	put16(h, s->sport);
	put16(h + 2, s->dport);
	put32(h + 4, s->seq);
	put32(h + 8, s->ack);
	h[12] = (uint8_t)((s->doff ? s->doff : hl / 4) << 4);
	h[13] = s->flags;
	put16(h + 14, s->win ? s->win : 65535);
	memset(h + 20, 1, s->optlen);
	if (p->l4 < 0)
		p->l4 = (int)off;
	pkt_layer_add(p, PL_TCP, off, false, false);
	return off;
}

/* UDP header; @zero_csum leaves the checksum 0 (tunnels, RFC 6935). */
static inline size_t pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport, bool zero_csum)
{
	size_t off = pkt_put(p, NULL, 8);

	if (p->bad)
		return off;
	put16(p->d + off, sport);
	put16(p->d + off + 2, dport);
	if (p->l4 < 0)
		p->l4 = (int)off;
	pkt_layer_add(p, PL_UDP, off, false, zero_csum);
	return off;
}

/* ICMP (@v6 false) or ICMPv6 header: type, code, checksum, 4 bytes @rest. */
static inline size_t pkt_icmp(struct pkt *p, bool v6, uint8_t type, uint8_t code, uint32_t rest)
{
	size_t off = pkt_put(p, NULL, 8);

	if (p->bad)
		return off;
	p->d[off] = type;
	p->d[off + 1] = code;
	put32(p->d + off + 4, rest);
	if (p->l4 < 0)
		p->l4 = (int)off;
	pkt_layer_add(p, v6 ? PL_ICMP6 : PL_ICMP4, off, false, false);
	return off;
}

/* ---- finish ---- */

/* The IP header enclosing layer @i (the nearest IP layer before it), or NULL. */
static inline const uint8_t *pkt_ip_of(const struct pkt *p, int i)
{
	while (--i >= 0)
		if (p->l[i].kind == PL_IP4 || p->l[i].kind == PL_IP6)
			return p->d + p->l[i].off;
	return NULL;
}

/* Fills lengths and checksums, innermost layer first; every layer runs to the
 * current end of the packet.
 */
static inline void pkt_finish(struct pkt *p)
{
	for (int i = p->nl - 1; i >= 0; i--) {
		const struct pkt_layer *l = &p->l[i];
		uint8_t *h = p->d + l->off;
		uint32_t n = (uint32_t)(p->len - l->off);
		const uint8_t *ip = pkt_ip_of(p, i);
		uint16_t c;

		switch (l->kind) {
		case PL_IP4:
			if (!l->keep_len)
				put16(h + 2, (uint16_t)n);
			if (!l->keep_csum) {
				put16(h + 10, 0);
				put16(h + 10,
				      csum(h, (h[0] & 0xf) * 4u > n ? n : (h[0] & 0xf) * 4u));
			}
			break;
		case PL_IP6:
			if (!l->keep_len)
				put16(h + 4, (uint16_t)(n - 40));
			break;
		case PL_UDP:
			put16(h + 4, (uint16_t)n);
			put16(h + 6, 0);
			if (l->keep_csum || !ip)
				break;
			c = csum_fold(csum_add(csum_pseudo(ip, 17, n), h, n));
			put16(h + 6, c ? c : 0xffff);
			break;
		case PL_TCP:
			put16(h + 16, 0);
			if (ip)
				put16(h + 16, csum_fold(csum_add(csum_pseudo(ip, 6, n), h, n)));
			break;
		case PL_ICMP4:
			put16(h + 2, 0);
			put16(h + 2, csum(h, n));
			break;
		case PL_ICMP6:
			put16(h + 2, 0);
			if (ip)
				put16(h + 2, csum_fold(csum_add(csum_pseudo(ip, 58, n), h, n)));
			break;
		}
	}
}

/* ---- reading back ---- */

/* L3 length of the IP packet at @off of @b[0..len): tot_len (v4), 40 + payload
 * length (v6); 0 when no IP header fits.
 */
static inline size_t ip_l3_len(const uint8_t *b, size_t len, size_t off)
{
	if (off + 20 <= len && (b[off] >> 4) == 4)
		return get16(b + off + 2);
	if (off + 40 <= len && (b[off] >> 4) == 6)
		return 40u + get16(b + off + 4);
	return 0;
}

#endif /* XLB_TESTS_PKT_H */
