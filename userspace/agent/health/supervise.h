/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* supervise: runs the active health checks of every backend whose VIP (or
 * the backend itself) has a `check`, feeds each result to that VIP's breaker
 * policy (health hysteresis and circuit, max-eject, panic), adds the passive
 * SYN-retransmission signal, and answers two questions for sync.c: the state
 * the dataplane enforces per backend (xlb_be_brk: one write per change, new
 * flows move at once) and which backends belong in the tables (down ones, and
 * ones ejected twice in a row, are rebuilt out). It also keeps the recent
 * state changes for `lbctl events` and counts them for the metrics.
 */
#ifndef XLB_AGENT_SUPERVISE_H
#define XLB_AGENT_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <xlb/types.h>
#include "agent/model/config.h"
#include "agent/health/health.h"

struct supervise;

/* Events kept for `lbctl events` (older ones are dropped, oldest first) */
#define SUPERVISE_EVENTS 1024

/* One recorded change (kinds and states: breaker.h enums) */
struct supervise_event {
	uint64_t seq;	  /* 1, 2, ... never reused while lbd runs */
	uint64_t time_ms; /* wall clock, ms since the epoch */
	uint64_t open_ms; /* breaker opened: for how long */
	uint32_t ejections;
	int kind; /* enum breaker_ev_kind */
	int old_state, new_state;
	char vip[64];
	char backend[48];
	char reason[168]; /* the breaker's reason, "; " and any note */
};

/* State changes since start, for metrics */
struct supervise_counts {
	uint64_t breaker[3]; /* transitions into closed, open, half-open */
	uint64_t health[3];  /* into unknown (never), up, down */
	uint64_t refused;    /* ejections refused by max-eject */
	uint64_t panic;	     /* times a VIP entered panic */
	uint64_t syn_bursts; /* passive SYN-retransmission bursts seen */
};

/* Reads a backend's passive counters (xlb_be_pasv) */
typedef int (*supervise_pasv_fn)(void *arg, const struct cfg_vip *v, const struct cfg_backend *b,
				 struct xlb_be_pasv *out);

/* @changed is called (from dispatch/tick) whenever a backend's usability may
 * have changed, so the agent re-applies the config to the maps. */
struct supervise *supervise_new(void (*changed)(void *arg), void *arg);
void supervise_free(struct supervise *s);

/* Persist health states in @path (one "VIP ADDR up|down" line each, rewritten
 * on every change by the durable writer, mode 0600) and restore the ones found
 * there, so a restarted lbd keeps a down backend out and an up one in until its
 * checks say otherwise. Call before the first supervise_sync. 0 or -errno
 * (-EINVAL: @path is not a regular file; nothing restored). */
int supervise_persist(struct supervise *s, const char *path);

/* The UDP port GUE probes (check-via vip) go to: lbd's --gue-port (0 = default) */
void supervise_set_gue_port(struct supervise *s, uint16_t port);

int supervise_fd(const struct supervise *s); /* for the agent's epoll */
void supervise_dispatch(struct supervise *s, uint64_t now_ms);
void supervise_tick(struct supervise *s, uint64_t now_ms);
/* When supervise_tick next has something to do (an open period ending, ...):
 * monotonic ms, UINT64_MAX for nothing. Cached; cheap to call every loop. */
uint64_t supervise_next_ms(struct supervise *s);

/* Follow the config: checks for new backends, none for removed ones; state is
 * kept for backends that stay. 0 or -errno. */
int supervise_sync(struct supervise *s, const struct config *cfg, uint64_t now_ms);

/* Whether backend @b belongs in VIP @v's table (true without a check): not
 * when its checks say down, nor when it is ejected for the second time in a
 * row; a first ejection is enforced by the dataplane map alone. */
bool supervise_usable(const struct supervise *s, const struct cfg_vip *v,
		      const struct cfg_backend *b);
/* "up" / "down" / "unknown" and "closed" / "open" / "half-open"; for VIPs
 * without a check "up" and "closed" */
const char *supervise_health(const struct supervise *s, const struct cfg_vip *v,
			     const struct cfg_backend *b);
const char *supervise_breaker(const struct supervise *s, const struct cfg_vip *v,
			      const struct cfg_backend *b);
/* The state the dataplane must enforce for @b (XLB_BRK_*; returned and in
 * *out with the half-open budget) and the breaker generation it belongs to:
 * write the map when either changed (a new generation refills the budget). */
int supervise_dp_state(const struct supervise *s, const struct cfg_vip *v,
		       const struct cfg_backend *b, struct xlb_be_brk *out, uint32_t *gen);

/* The passive signal: @fn reads a backend's xlb_be_pasv; supervise_passive
 * (once a second) turns a burst of syn-burst SYN retransmissions in that
 * second into `fall` circuit failures. */
void supervise_set_pasv(struct supervise *s, supervise_pasv_fn fn, void *arg);
void supervise_passive(struct supervise *s, const struct config *cfg, uint64_t now_ms);

/* Recorded events with seq > @since, oldest first, until @cb returns non-zero
 * (returned). */
int supervise_events(const struct supervise *s, uint64_t since,
		     int (*cb)(void *arg, const struct supervise_event *e), void *arg);
const struct supervise_counts *supervise_counts(const struct supervise *s);
/* Consecutive ejections; whether the breaker is open, and for how much longer
 * (as of the last tick or check result) */
bool supervise_breaker_info(const struct supervise *s, const struct cfg_vip *v,
			    const struct cfg_backend *b, uint32_t *ejections,
			    uint64_t *open_left_ms);

/* Panic: too few usable backends, so all are used */
bool supervise_panic(const struct supervise *s, const struct cfg_vip *v);
/* The duration histogram of a backend's successful checks; -ENOENT when unchecked */
int supervise_check_hist(const struct supervise *s, const struct cfg_vip *v,
			 const struct cfg_backend *b, struct health_hist *out);

/* Check latency of a backend, µs (last and moving average); 0 when none */
void supervise_latency(const struct supervise *s, const struct cfg_vip *v,
		       const struct cfg_backend *b, uint32_t *last_us, uint32_t *avg_us);

#endif /* XLB_AGENT_SUPERVISE_H */
