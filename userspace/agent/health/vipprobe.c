// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* vipprobe: builds the inner SYN of a `check-via vip` check and classifies the
 * backend's direct reply. Pure byte work, so the unit tests check every byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "agent/health/vipprobe.h"

#define IP4_HLEN 20
#define IP6_HLEN 40
#define TCP_HLEN 20
#define TCP_SYN_LEN 24 /* header and MSS option */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10
#define IP4_DF 0x4000
#define IP4_MF_OFF 0x3fff /* more-fragments flag and fragment offset */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* One's-complement sum of 16-bit big-endian words (RFC 1071), unfolded */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t addr_len(uint8_t family)
{
	return family == XLB_FAMILY_V4 ? 4 : family == XLB_FAMILY_V6 ? 16 : 0;
}

static bool probe_addr_eq(const struct xlb_addr *a, const struct xlb_addr *b)
{
	size_t n = addr_len(a->family);

	return n && a->family == b->family && !memcmp(a->addr, b->addr, n);
}

/* The TCP SYN at @tcp, checksummed over the pseudo-header of src and vip */
static void tcp_syn(const struct vipprobe *p, uint8_t *tcp, size_t alen)
{
	uint32_t sum;

	memset(tcp, 0, TCP_SYN_LEN);
	put16(tcp, p->sport);
	put16(tcp + 2, p->dport);
	put32(tcp + 4, p->isn);
	tcp[12] = (TCP_SYN_LEN / 4) << 4; /* data offset, in 32-bit words */
	tcp[13] = TCP_SYN;
	put16(tcp + 14, VIPPROBE_WINDOW);
	tcp[20] = 2; /* MSS option: kind 2, length 4 */
	tcp[21] = 4;
	put16(tcp + 22, alen == 4 ? VIPPROBE_MSS4 : VIPPROBE_MSS6);
	/* pseudo-header: both addresses, zero, protocol, TCP length */
	sum = sum16(0, (const uint8_t *)p->src.addr, alen);
	sum = sum16(sum, (const uint8_t *)p->vip.addr, alen);
	sum += IPPROTO_TCP + TCP_SYN_LEN;
	put16(tcp + 16, fold(sum16(sum, tcp, TCP_SYN_LEN)));
}

int vipprobe_syn(const struct vipprobe *p, uint16_t ip_id, uint8_t *buf, size_t len)
{
	size_t alen = addr_len(p->vip.family);
	size_t hlen = alen == 4 ? IP4_HLEN : IP6_HLEN;

	if (!alen || p->src.family != p->vip.family)
		return -EINVAL;
	if (len < hlen + TCP_SYN_LEN)
		return -ENOSPC;
	memset(buf, 0, hlen);
	if (alen == 4) {
		buf[0] = 0x45; /* version 4, IHL 5 */
		put16(buf + 2, IP4_HLEN + TCP_SYN_LEN);
		put16(buf + 4, ip_id);
		put16(buf + 6, IP4_DF);
		buf[8] = VIPPROBE_TTL;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, p->src.addr, 4);
		memcpy(buf + 16, p->vip.addr, 4);
		put16(buf + 10, fold(sum16(0, buf, IP4_HLEN)));
	} else {
		buf[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
		put16(buf + 4, TCP_SYN_LEN);
		buf[6] = IPPROTO_TCP;
		buf[7] = VIPPROBE_TTL;
		memcpy(buf + 8, p->src.addr, 16);
		memcpy(buf + 24, p->vip.addr, 16);
	}
	tcp_syn(p, buf + hlen, alen);
	return (int)(hlen + TCP_SYN_LEN);
}

int vipprobe_reply_port(const uint8_t *tcp, size_t len)
{
	return len < 4 ? -1 : get16(tcp + 2);
}

enum vipprobe_reply vipprobe_match(const struct vipprobe *p, const struct xlb_addr *saddr,
				   const struct xlb_addr *daddr, const uint8_t *tcp, size_t len)
{
	uint8_t flags;

	if (len < TCP_HLEN || !probe_addr_eq(saddr, &p->vip) || !probe_addr_eq(daddr, &p->src) ||
	    get16(tcp) != p->dport || get16(tcp + 2) != p->sport)
		return VIPPROBE_OTHER;
	flags = tcp[13];
	/* only an acknowledgment of our very SYN counts (no blind answers) */
	if (!(flags & TCP_ACK) || get32(tcp + 8) != p->isn + 1)
		return VIPPROBE_OTHER;
	if (flags & TCP_RST)
		return VIPPROBE_RST;
	if ((flags & (TCP_SYN | TCP_FIN)) == TCP_SYN)
		return VIPPROBE_SYNACK;
	return VIPPROBE_OTHER;
}

int vipprobe_parse4(const uint8_t *pkt, size_t len, struct xlb_addr *saddr, struct xlb_addr *daddr,
		    const uint8_t **tcp, size_t *tcplen)
{
	size_t ihl, tot;

	if (len < IP4_HLEN || pkt[0] >> 4 != 4 || pkt[9] != IPPROTO_TCP ||
	    (get16(pkt + 6) & IP4_MF_OFF))
		return -EINVAL;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = get16(pkt + 2);
	if (ihl < IP4_HLEN || tot < ihl + TCP_HLEN || len < ihl + TCP_HLEN)
		return -EINVAL;
	memset(saddr, 0, sizeof(*saddr));
	memset(daddr, 0, sizeof(*daddr));
	saddr->family = XLB_FAMILY_V4;
	daddr->family = XLB_FAMILY_V4;
	memcpy(saddr->addr, pkt + 12, 4);
	memcpy(daddr->addr, pkt + 16, 4);
	*tcp = pkt + ihl;
	/* the filter may have cut the segment's payload: the header is what counts */
	*tcplen = (tot < len ? tot : len) - ihl;
	return 0;
}

/* SYN+ACK (both bits) or RST: keep VIPPROBE_SNAP bytes; anything else: drop */
static struct sock_filter filter4[] = {
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),		     /* x = IPv4 header length */
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),		     /* a = TCP flags */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TCP_RST, 2, 0), /* RST: keep */
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, TCP_SYN | TCP_ACK),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCP_SYN | TCP_ACK, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, VIPPROBE_SNAP),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* An IPv6 raw socket gets the transport header first */
static struct sock_filter filter6[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TCP_RST, 2, 0),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, TCP_SYN | TCP_ACK),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCP_SYN | TCP_ACK, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, VIPPROBE_SNAP),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

int vipprobe_rx_filter(uint8_t family, struct sock_fprog *prog)
{
	if (family == XLB_FAMILY_V4) {
		prog->len = sizeof(filter4) / sizeof(filter4[0]);
		prog->filter = filter4;
		return 0;
	}
	if (family == XLB_FAMILY_V6) {
		prog->len = sizeof(filter6) / sizeof(filter6[0]);
		prog->filter = filter6;
		return 0;
	}
	return -EINVAL;
}
