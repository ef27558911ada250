/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* CIDR prefixes (IPv4 and IPv6) for policy rules: parse, format, compare and
 * test containment. Pure, no I/O. A prefix is always stored normalised: the
 * host bits below its length are zero. Addresses are parsed and printed by
 * parse.c (one address syntax everywhere). Header-only (static inline).
 */
#ifndef XLB_COMMON_CIDR_H
#define XLB_COMMON_CIDR_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xlb/consts.h>
#include <xlb/types.h>
#include "errmsg.h"
#include "parse.h"

#define CIDR_STRLEN 50 /* longest "ADDR6/128" and its NUL */
#define CIDR_TOKMAX 64 /* longest word quoted back in a message */

struct cidr {
	__be32 addr[4]; /* network order, host bits zero; IPv4 in addr[0], addr[1..3] = 0 */
	uint8_t family; /* XLB_FAMILY_V4 / XLB_FAMILY_V6 */
	uint8_t plen;	/* 0-32 / 0-128 */
	uint8_t pad[2];
};

/* Bit @i (0 = most significant) of the address */
static inline unsigned int cidr_addr_bit(const __be32 addr[4], unsigned int i)
{
	const uint8_t *b = (const uint8_t *)addr;

	return (b[i / 8] >> (7 - i % 8)) & 1;
}

/* 32 or 128; 0 for a bad family */
static inline unsigned int cidr_maxlen(uint8_t family)
{
	if (family == XLB_FAMILY_V4)
		return 32;
	if (family == XLB_FAMILY_V6)
		return 128;
	return 0;
}

/* Clear the bits of addr from bit @plen on (keep the first @plen bits) */
static inline void cidr_mask(__be32 addr[4], unsigned int plen)
{
	uint8_t *b = (uint8_t *)addr;
	unsigned int i;

	for (i = plen / 8; i < 16; i++) {
		if (i == plen / 8 && plen % 8)
			b[i] &= (uint8_t)(0xff << (8 - plen % 8));
		else
			b[i] = 0;
	}
}

/* Number of leading bits a and b share, at most @max */
static inline unsigned int cidr_common_bits(const __be32 a[4], const __be32 b[4], unsigned int max)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	unsigned int n = 0, i;

	for (i = 0; i < 16 && n < max; i++) {
		uint8_t d = x[i] ^ y[i];

		if (!d) {
			n += 8;
			continue;
		}
		while (!(d & 0x80)) {
			d <<= 1;
			n++;
		}
		break;
	}
	return n < max ? n : max;
}

/* ADDR/LEN or a bare ADDR (= /32 or /128). Host bits set below LEN are
 * accepted and cleared ("10.1.2.3/8" is 10.0.0.0/8). LEN is plain decimal,
 * no leading zero. IPv4-mapped IPv6 is refused, as for addresses. @name is the
 * word used in the message: "invalid except '10.0.0.0/33': prefix length must
 * be 0-32". 0 or -EINVAL.
 */
static inline int cidr_parse(const char *s, const char *name, struct cidr *out, char *err,
			     size_t errlen)
{
	char buf[PARSE_ADDR_STRLEN], why[160];
	const char *slash = strchr(s, '/'), *reason;
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned int max, plen, i;
	struct xlb_addr a;
	struct cidr c;

	memset(&c, 0, sizeof(c));
	if (!alen || alen >= sizeof(buf))
		return errmsg(-EINVAL, err, errlen,
			      "invalid %s '%.*s': want a prefix like 10.0.0.0/8 or 2001:db8::/32",
			      name, CIDR_TOKMAX, s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (parse_addr(buf, &a, why, sizeof(why))) {
		/* parse_addr says "invalid address 'X': REASON": keep the reason */
		reason = strstr(why, "': ");
		return errmsg(-EINVAL, err, errlen, "invalid %s '%.*s': %s", name, CIDR_TOKMAX, s,
			      reason ? reason + 3 : why);
	}
	memcpy(c.addr, a.addr, sizeof(c.addr));
	c.family = a.family;
	max = cidr_maxlen(c.family);
	plen = max;
	if (slash) {
		const char *p = slash + 1;

		plen = 0;
		for (i = 0; p[i]; i++) {
			if (p[i] < '0' || p[i] > '9' || i >= 3)
				break;
			plen = plen * 10 + (unsigned int)(p[i] - '0');
		}
		if (!i || p[i] || (p[0] == '0' && i > 1) || plen > max)
			return errmsg(-EINVAL, err, errlen,
				      "invalid %s '%.*s': prefix length must be 0-%u", name,
				      CIDR_TOKMAX, s, max);
	}
	c.plen = (uint8_t)plen;
	cidr_mask(c.addr, plen); /* host bits: accepted and cleared */
	*out = c;
	return 0;
}

/* "10.0.0.0/8", "2001:db8::/32": always with the length. 0, -EINVAL, -ENOSPC */
static inline int cidr_format(const struct cidr *c, char *buf, size_t len)
{
	struct xlb_addr a = { .family = c->family };
	char as[PARSE_ADDR_STRLEN];
	int n;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (c->plen > cidr_maxlen(c->family))
		return -EINVAL;
	memcpy(a.addr, c->addr, sizeof(a.addr));
	if (format_addr(&a, as, sizeof(as)))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%u", as, c->plen);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENOSPC : 0;
}

/* inner lies inside outer (equal counts); false across families */
static inline bool cidr_contains(const struct cidr *outer, const struct cidr *inner)
{
	return outer->family == inner->family && outer->plen <= inner->plen &&
	       cidr_common_bits(outer->addr, inner->addr, outer->plen) == outer->plen;
}

/* one contains the other */
static inline bool cidr_overlap(const struct cidr *a, const struct cidr *b)
{
	return cidr_contains(a, b) || cidr_contains(b, a);
}

static inline bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Total order: family, then address bytes, then length (a prefix sorts
 * before the prefixes inside it). <0, 0, >0 */
static inline int cidr_cmp(const struct cidr *a, const struct cidr *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (r)
		return r;
	return (int)a->plen - (int)b->plen;
}

/* The address a (of the same family) lies inside c */
static inline bool cidr_match_addr(const struct cidr *c, const struct xlb_addr *a)
{
	return c->family == a->family && cidr_common_bits(c->addr, a->addr, c->plen) == c->plen;
}

#endif /* XLB_COMMON_CIDR_H */
