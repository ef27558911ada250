/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The flow hash, shared by the dataplane (Maglev slot, outer source, GUE port)
 * and userspace (`lbctl flow lookup`, tests), so both always agree.
 * Bob Jenkins' lookup3 mixing (public domain) over the raw 32-bit words of
 * the tuple as they lie in memory (network-order fields read as host words).
 * Contract: pure, no memory access beyond the key, same result on every node
 * given the same seed.
 */
#ifndef XLB_HASH_H
#define XLB_HASH_H

#include <linux/types.h>
#include <xlb/types.h>

#ifndef XLB_HASH_INLINE
#define XLB_HASH_INLINE static inline __attribute__((always_inline))
#endif

#define XLB_HASH_INITVAL 0xdeadbeefU

XLB_HASH_INLINE __u32 xlb_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

/* lookup3 mix(): reversible mixing of three words */
#define XLB_HASH_MIX(a, b, c)          \
	do {                           \
		a -= c;                \
		a ^= xlb_rol32(c, 4);  \
		c += b;                \
		b -= a;                \
		b ^= xlb_rol32(a, 6);  \
		a += c;                \
		c -= b;                \
		c ^= xlb_rol32(b, 8);  \
		b += a;                \
		a -= c;                \
		a ^= xlb_rol32(c, 16); \
		c += b;                \
		b -= a;                \
		b ^= xlb_rol32(a, 19); \
		a += c;                \
		c -= b;                \
		c ^= xlb_rol32(b, 4);  \
		b += a;                \
	} while (0)

/* lookup3 final(): avalanche three words into c */
#define XLB_HASH_FINAL(a, b, c)        \
	do {                           \
		c ^= b;                \
		c -= xlb_rol32(b, 14); \
		a ^= c;                \
		a -= xlb_rol32(c, 11); \
		b ^= a;                \
		b -= xlb_rol32(a, 25); \
		c ^= b;                \
		c -= xlb_rol32(b, 16); \
		a ^= c;                \
		a -= xlb_rol32(c, 4);  \
		b ^= a;                \
		b -= xlb_rol32(a, 14); \
		c ^= b;                \
		c -= xlb_rol32(b, 24); \
	} while (0)

XLB_HASH_INLINE __u32 xlb_hash_3words(__u32 a, __u32 b, __u32 c, __u32 seed)
{
	a += XLB_HASH_INITVAL + seed;
	b += XLB_HASH_INITVAL + seed;
	c += XLB_HASH_INITVAL + seed;
	XLB_HASH_FINAL(a, b, c);
	return c;
}

/* Hash of the 5-tuple in @k. IPv4 uses addr[0] only. */
XLB_HASH_INLINE __u32 xlb_hash_flow(const struct xlb_flow_key *k, __u32 seed)
{
	__u32 ports = ((__u32)k->sport << 16) | k->dport;
	__u32 a, b, c;

	seed ^= k->proto;
	if (k->family == XLB_FAMILY_V4)
		return xlb_hash_3words(k->src[0], k->dst[0], ports, seed);

	a = k->src[0] + XLB_HASH_INITVAL + seed;
	b = k->src[1] + XLB_HASH_INITVAL + seed;
	c = k->src[2] + XLB_HASH_INITVAL + seed;
	XLB_HASH_MIX(a, b, c);
	a += k->src[3];
	b += k->dst[0];
	c += k->dst[1];
	XLB_HASH_MIX(a, b, c);
	a += k->dst[2];
	b += k->dst[3];
	c += ports;
	XLB_HASH_FINAL(a, b, c);
	return c;
}

/* Cheap per-flow value that varies the outer headers (outer source low bits,
 * GUE source port, IPv6 flow label) so backends' RSS spreads flows. Not used
 * for selection: established flows never pay for the full hash.
 */
XLB_HASH_INLINE __u32 xlb_hash_outer(const struct xlb_flow_key *k)
{
	__u32 x = k->src[0] ^ k->src[1] ^ k->src[2] ^ k->src[3];

	x ^= ((__u32)k->sport << 16) | k->dport;
	x *= 0x9e3779b1U; /* golden-ratio multiply, then fold the high bits down */
	return x ^ (x >> 16);
}

/* Hash of the source address only (client affinity, `hash src`). */
XLB_HASH_INLINE __u32 xlb_hash_src(const struct xlb_flow_key *k, __u32 seed)
{
	__u32 a, b, c;

	if (k->family == XLB_FAMILY_V4)
		return xlb_hash_3words(k->src[0], 0, 0, seed);

	a = k->src[0] + XLB_HASH_INITVAL + seed;
	b = k->src[1] + XLB_HASH_INITVAL + seed;
	c = k->src[2] + XLB_HASH_INITVAL + seed;
	XLB_HASH_MIX(a, b, c);
	a += k->src[3];
	XLB_HASH_FINAL(a, b, c);
	return c;
}

#endif /* XLB_HASH_H */
