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

/* The checksum @check after one 16-bit word of the summed data changed from @old
 * to @new (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'))
 */
static __always_inline __sum16 xlb_csum_replace16(__sum16 check, __be16 old, __be16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + (__u16) new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__sum16)~sum;
}

/* Sum of the @N (even, constant) packet bytes at @start, which the caller has
 * checked to lie before data_end. A constant length keeps the walk free of
 * branches: the variable-length walk with a bounds check per word pushed more
 * than 8192 pending branches on 6.1 ("sequence of jumps is too complex").
 */
#define xlb_csum_pkt_const(start, N)                                \
	({                                                          \
		const __u16 *__w = (const __u16 *)(start);          \
		__u64 __sum = 0;                                    \
		int __i;                                            \
		_Static_assert((N) % 2 == 0, "an even byte count"); \
		for (__i = 0; __i < (N) / 2; __i++)                 \
			__sum += __w[__i];                          \
		__sum;                                              \
	})

#endif /* XLB_BPF_CSUM_H */
