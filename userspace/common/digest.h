/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* digest: a 64-bit digest of bytes, to tell whether inputs changed (not a
 * cryptographic hash: nobody chooses them against it). It mixes 8 bytes a
 * step (byte-wise FNV-1a took 4 ms of a no-op apply with 100,000 backends).
 * Used by the sync (a table's inputs) and the state writer (a VIP's lines).
 */
#ifndef XLB_COMMON_DIGEST_H
#define XLB_COMMON_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DIGEST_INIT 0xcbf29ce484222325ULL

static inline uint64_t digest_word(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/* @h continued over @n bytes at @p */
static inline uint64_t digest_mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t w;

	for (; n >= 8; n -= 8, b += 8) {
		memcpy(&w, b, 8);
		h = digest_word(h, w);
	}
	w = (uint64_t)n << 56; /* the tail's length: "ab" and "ab\0" differ */
	memcpy(&w, b, n);
	return digest_word(h, w);
}

#endif /* XLB_COMMON_DIGEST_H */
