/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sched: ring contents for schedulers other than Maglev. Pure, no I/O. */
#ifndef XLB_AGENT_SCHED_H
#define XLB_AGENT_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include "agent/dataplane/maglev.h"

/* Weighted round robin for `sched wrr`: fill table[0..m-1] with the smooth
 * weighted round-robin sequence (each step, every backend's credit grows by
 * its weight, the richest is picked and pays the total), so any window of W
 * consecutive entries (W = sum of weights) holds each backend in proportion
 * to its weight, interleaved rather than in runs. The dataplane walks it one
 * new flow at a time. Backends are taken in key order (input order does not
 * matter); weight 0 backends are skipped. 0 or -EINVAL / -ENOMEM.
 */
int sched_wrr_build(const struct maglev_backend *be, size_t n, uint32_t m, uint32_t *table);

#endif /* XLB_AGENT_SCHED_H */
