/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The value ranges of the lbctl grammar's keywords, each written once: the
 * grammar's keyword table (grammar.c, in lbctl and lbd) parses with them, and
 * the agent's checks of merged options and policy (config.c, policy_model.c)
 * check with them, naming the same range in the same words. Bounds set by the
 * dataplane come from <xlb/consts.h>.
 */
#ifndef XLB_COMMON_LIMITS_H
#define XLB_COMMON_LIMITS_H

#include <xlb/consts.h>

/* durations (ms): udp-idle, interval, timeout, eject-time, max-eject-time */
#define GR_DUR_MIN_MS 1
#define GR_DUR_MAX_MS 86400000U /* 24h */
#define GR_UDP_IDLE_MIN_MS 100

/* vip */
#define GR_RING_SIZE_MIN 1 /* and prime */
#define GR_RING_SIZE_MAX XLB_MAGLEV_M_MAX
#define GR_MTU_MIN 576 /* IPv4's minimum; an IPv6 vip needs 1280 (config.c) */
#define GR_MTU_MAX XLB_MTU_MAX

/* ports: port, check-port, policy ports; backend weight */
#define GR_PORT_MIN 1
#define GR_PORT_MAX 65535
#define GR_WEIGHT_MIN 1
#define GR_WEIGHT_MAX 65535

/* health checks and breakers */
#define GR_STATUS_MIN 100 /* expect: HTTP statuses */
#define GR_STATUS_MAX 599
#define GR_RUN_MIN 1 /* rise, fall */
#define GR_RUN_MAX 100
#define GR_PCT_MAX 100	      /* fail-ratio, panic, max-eject: 0-100 */
#define GR_FAIL_WINDOW_MAX 64 /* results a failure-ratio window holds (BREAKER_WINDOW_MAX) */
#define GR_HALF_OPEN_FLOWS_MIN 1
#define GR_HALF_OPEN_FLOWS_MAX 1000
#define GR_SYN_BURST_MAX 100000 /* 0 = off */

/* rate limits */
#define GR_RATE_MAX 1000000000U /* a rate (per second) and a burst */
#define GR_PREFIX_LEN_MAX 32	/* prefix-len: 1-32 */
#define GR_PREFIX_LEN6_MAX 128	/* prefix-len6: 1-128 */

#endif /* XLB_COMMON_LIMITS_H */
