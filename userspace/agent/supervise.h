/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* supervise: runs the active health checks of every backend whose VIP has a
 * `check`, feeds the results to that VIP's breaker policy (health hysteresis,
 * max-eject, panic) and answers which backends belong in the tables. The
 * circuit breaker's kernel-side enforcement is not wired yet: a backend that
 * is not usable leaves the VIP's table (new flows go elsewhere, existing
 * flows stay), and comes back when it is.
 */
#ifndef XLB_AGENT_SUPERVISE_H
#define XLB_AGENT_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include "agent/config.h"

struct supervise;

/* @changed is called (from dispatch/tick) whenever a backend's usability may
 * have changed, so the agent re-applies the config to the maps. */
struct supervise *supervise_new(void (*changed)(void *arg), void *arg);
void supervise_free(struct supervise *s);

/* Persist health states in @path (one "VIP ADDR up|down" line each, rewritten
 * atomically on every change) and restore the ones found there, so a
 * restarted lbd keeps a down backend out and an up one in until its checks
 * say otherwise. Call before the first supervise_sync. 0 or -errno. */
int supervise_persist(struct supervise *s, const char *path);

int supervise_fd(const struct supervise *s); /* for the agent's epoll */
void supervise_dispatch(struct supervise *s, uint64_t now_ms);
void supervise_tick(struct supervise *s, uint64_t now_ms);

/* Follow the config: checks for new backends, none for removed ones; state is
 * kept for backends that stay. 0 or -errno. */
int supervise_sync(struct supervise *s, const struct config *cfg, uint64_t now_ms);

/* Whether new flows may go to backend @b of VIP @v (true without a check) */
bool supervise_usable(const struct supervise *s, const struct cfg_vip *v,
		      const struct cfg_backend *b);
/* "up" / "down" / "unknown" and "closed" / "open" / "half-open"; for VIPs
 * without a check "up" and "closed" */
const char *supervise_health(const struct supervise *s, const struct cfg_vip *v,
			     const struct cfg_backend *b);
const char *supervise_breaker(const struct supervise *s, const struct cfg_vip *v,
			      const struct cfg_backend *b);
/* Panic: too few usable backends, so all are used */
bool supervise_panic(const struct supervise *s, const struct cfg_vip *v);
/* Check latency of a backend, µs (last and moving average); 0 when none */
void supervise_latency(const struct supervise *s, const struct cfg_vip *v,
		       const struct cfg_backend *b, uint32_t *last_us, uint32_t *avg_us);

#endif /* XLB_AGENT_SUPERVISE_H */
