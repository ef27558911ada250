/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Internet checksums (RFC 1071) over stack structs and bounded packet ranges.
 * Sums are of 16-bit words as loaded in host order; folding and inverting
 * gives a value to store as is (the one's complement sum is byte-order
 * independent). Packet sums bounds-check every load.
 */
#ifndef XLB_BPF_CSUM_H
#define XLB_BPF_CSUM_H

#include <linux/types.h>
#include "compiler.h"

/* Largest packet range summed by xlb_csum_pkt (ICMP header + quote) */
#define XLB_CSUM_MAX_BYTES (8 + XLB_ICMP_QUOTE_MAX)

static __always_inline __u16 xlb_csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Sum of @words 16-bit words at @p (a stack object of known size) */
static __always_inline __u64 xlb_csum_words(const void *p, int words)
{
	const __u16 *w = p;
	__u64 sum = 0;
	int i;

	for (i = 0; i < words; i++)
		sum += w[i];
	return sum;
}

/* Sum of @len (<= XLB_CSUM_MAX_BYTES) packet bytes at @start; an odd last byte is
 * padded with zero. @start must be 2-byte aligned relative to the checksummed
 * message, which holds for everything we sum (ICMP header + quote).
 */
static __always_inline __u64 xlb_csum_pkt(void *start, __u32 len, void *data_end)
{
	__u64 sum = 0;
	__u16 *w;
	__u8 *b;
	int i;

	for (i = 0; i < XLB_CSUM_MAX_BYTES / 2; i++) {
		if ((__u32)(i * 2 + 2) > len)
			break;
		w = start + i * 2;
		if ((void *)(w + 1) > data_end)
			break;
		sum += *w;
	}
	if (len & 1) {
		b = start + ((len - 1) & (XLB_CSUM_MAX_BYTES - 1));
		if ((void *)(b + 1) <= data_end)
			sum += *b; /* little endian: the lone byte is the word's low half */
	}
	return sum;
}

#endif /* XLB_BPF_CSUM_H */
