/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* vipprobe: the packets of a `check-via vip` TCP check, without I/O. The inner
 * SYN to VIP:port that health.c encapsulates toward a backend (IPIP or GUE, as
 * the dataplane carries traffic), and the classification of what comes back
 * straight from the backend (DSR): SYN+ACK, RST or nothing of ours.
 */
#ifndef XLB_AGENT_VIPPROBE_H
#define XLB_AGENT_VIPPROBE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>
#include <xlb/types.h>

#define VIPPROBE_SYN_MAX 64 /* inner SYN with its MSS option: 44 (IPv4) or 64 (IPv6) bytes */
#define VIPPROBE_TTL 64	    /* inner IPv4 TTL / IPv6 hop limit */
#define VIPPROBE_WINDOW 65535
#define VIPPROBE_MSS4 1460 /* advertised MSS: a 1500-byte path, IPv4 */
#define VIPPROBE_MSS6 1440 /* same, IPv6 */
#define VIPPROBE_SNAP 256  /* bytes of a segment the receive filter keeps */

/* One running probe; addresses network order, ports host order */
struct vipprobe {
	struct xlb_addr src; /* inner source: this host's address toward the backend */
	struct xlb_addr vip; /* inner destination; the same family as src */
	uint16_t sport;	     /* inner source port, reserved by a bound TCP socket */
	uint16_t dport;	     /* the check port on the VIP */
	uint32_t isn;	     /* sequence number of the SYN */
};

enum vipprobe_reply {
	VIPPROBE_OTHER = 0, /* not an answer to this probe */
	VIPPROBE_SYNACK,    /* SYN+ACK acknowledging isn + 1: the service listens */
	VIPPROBE_RST,	    /* RST+ACK acknowledging isn + 1: refused */
};

/**
 * vipprobe_syn() - build the inner SYN of probe @p
 * @p:     the probe (src and vip of one family)
 * @ip_id: IPv4 identification (unused for IPv6)
 * @buf:   output, at least VIPPROBE_SYN_MAX bytes for any family
 * @len:   size of @buf
 *
 * IPv4: 20-byte header, DF, TTL 64, header checksum; IPv6: 40-byte header, hop
 * limit 64, flow label 0. Then a 24-byte TCP SYN with an MSS option and its
 * checksum over the pseudo-header of the inner addresses.
 *
 * Return: the packet length, -EINVAL (bad or mixed families) or -ENOSPC.
 */
int vipprobe_syn(const struct vipprobe *p, uint16_t ip_id, uint8_t *buf, size_t len);

/**
 * vipprobe_match() - what a received TCP segment means for probe @p
 * @p:     the probe
 * @saddr: the segment's source address (must be p->vip)
 * @daddr: its destination address (must be p->src)
 * @tcp:   the TCP header and whatever follows, @len bytes
 *
 * Ports must be p->dport -> p->sport and the acknowledgment isn + 1 with ACK
 * set, for a SYN+ACK as for an RST: an RST without ACK cannot be tied to our
 * SYN and is ignored.
 */
enum vipprobe_reply vipprobe_match(const struct vipprobe *p, const struct xlb_addr *saddr,
				   const struct xlb_addr *daddr, const uint8_t *tcp, size_t len);

/* The destination port (host order) of a TCP segment: the key to find its
 * probe. -1 when @len is too short.
 */
int vipprobe_reply_port(const uint8_t *tcp, size_t len);

/* Splits an IPv4 packet as an AF_INET raw socket delivers it (header
 * included) into its addresses and TCP segment. 0, or -EINVAL when it is not
 * a complete, unfragmented IPv4 TCP packet.
 */
int vipprobe_parse4(const uint8_t *pkt, size_t len, struct xlb_addr *saddr, struct xlb_addr *daddr,
		    const uint8_t **tcp, size_t *tcplen);

/* Classic BPF socket filter for the raw TCP receive socket of @family
 * (XLB_FAMILY_V4: the program sees the IP header first; V6: the TCP header):
 * keeps only segments with SYN+ACK or RST set. -EINVAL for another family.
 */
int vipprobe_rx_filter(uint8_t family, struct sock_fprog *prog);

#endif /* XLB_AGENT_VIPPROBE_H */
