/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The ICMPv4 header and the few type/code numbers the dataplane uses (RFC 792,
 * RFC 1191 for the frag-needed MTU field). Defined here rather than taken from
 * <linux/icmp.h>, because that UAPI header includes <linux/if.h> and through it
 * glibc's <sys/socket.h>, which for the BPF target wants gnu/stubs-32.h: a file
 * only the i386 libc headers ship, so a fresh Debian 12 machine could not build.
 * Multi-byte fields are network order.
 */
#ifndef XLB_BPF_ICMPHDR_H
#define XLB_BPF_ICMPHDR_H

#include <linux/types.h>

#define XLB_ICMP4_DEST_UNREACH 3   /* type */
#define XLB_ICMP4_FRAG_NEEDED 4	   /* code of DEST_UNREACH: "fragmentation needed and DF set" */
#define XLB_ICMP4_TIME_EXCEEDED 11 /* type */

struct xlb_icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	union {
		__be32 rest; /* echo id/sequence, gateway, ... */
		struct {
			__be16 unused;
			__be16 mtu; /* next-hop MTU of frag-needed (RFC 1191) */
		} frag;
	} un;
};

_Static_assert(sizeof(struct xlb_icmphdr) == 8, "ICMP header is 8 bytes");

#endif /* XLB_BPF_ICMPHDR_H */
