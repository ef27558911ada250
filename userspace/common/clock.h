/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The one monotonic clock of lbd and lbctl (CLOCK_MONOTONIC): timers,
 * deadlines, latencies and build durations all read it through these. */
#ifndef XLB_COMMON_CLOCK_H
#define XLB_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t mono_us(void)
{
	return mono_ns() / 1000;
}

static inline uint64_t mono_ms(void)
{
	return mono_ns() / 1000000;
}

#endif /* XLB_COMMON_CLOCK_H */
