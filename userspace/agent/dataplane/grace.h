/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* grace: has an RCU grace period ended since a moment? Answered without
 * blocking the caller: a thread waits for grace periods when asked.
 *
 * The dataplane reads a Maglev table through its VIP entry, inside one
 * program run (an RCU read-side section). Once the entry names the other
 * bank, a grace period later no program can still read the old one, so the
 * agent may rewrite it in place instead of installing a new table (which
 * makes the kernel wait for a grace period inside the update: 10-20 ms per
 * change). membarrier(MEMBARRIER_CMD_GLOBAL) is the kernel's
 * synchronize_rcu(), the same wait.
 */
#ifndef XLB_AGENT_GRACE_H
#define XLB_AGENT_GRACE_H

#include <stdbool.h>
#include <stdint.h>

struct grace;

/* The waiting thread, or NULL (errno set) where membarrier's global command or
 * threads are not available: the caller then falls back to waiting long enough. */
struct grace *grace_new(void);
void grace_free(struct grace *g);

/* A moment: asks for a grace period that starts after it. */
uint64_t grace_mark(struct grace *g);
/* True once a grace period has ended after @mark was taken. */
bool grace_passed(const struct grace *g, uint64_t mark);
/* Block until grace_passed(@mark) (tests) */
void grace_wait(struct grace *g, uint64_t mark);

#endif /* XLB_AGENT_GRACE_H */
