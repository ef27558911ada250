/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The supervision's state, shared by its files (health/ only): supervise.c
 * (life cycle, result routing, queries), supervise_targets.c (check targets
 * from the config), supervise_events.c (the event ring), supervise_persist.c
 * (saved health states) and supervise_passive.c (the passive signal).
 * Health target ids index s->t, which maps them back to a VIP and a backend;
 * VIPs are allocated one by one so breaker callbacks can keep a pointer to
 * theirs.
 */
#ifndef XLB_AGENT_HEALTH_SUPERVISE_INT_H
#define XLB_AGENT_HEALTH_SUPERVISE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "agent/health/breaker.h"
#include "agent/health/health.h"
#include "agent/health/supervise.h"

struct sv_vip {
	struct supervise *s;
	struct xlb_vip_key key;
	struct gr_opts opt; /* the check options this was built from */
	uint32_t n;
	struct xlb_addr *addr;
	uint16_t *port; /* checked port, host order */
	uint64_t *tid;	/* health target ids (UINT64_MAX: none) */
	uint8_t *kind;	/* enum gr_check of each backend (override or the VIP's) */
	uint64_t *syn;	/* SYN retransmissions seen at the last tick (passive signal) */
	bool *syn_primed;
	struct breaker *be;
	struct breaker_vip bv;
};

struct sv_target {
	struct sv_vip *vip; /* NULL: free */
	uint32_t be;
};

struct sv_saved {
	struct xlb_vip_key key;
	struct xlb_addr addr;
	int state; /* enum breaker_health_state */
};

struct supervise {
	struct health *h;
	struct supervise_event ev[SUPERVISE_EVENTS];
	uint64_t ev_seq; /* events ever recorded; ev[(seq - 1) % N] is the last */
	struct supervise_counts counts;
	supervise_pasv_fn pasv;
	void *pasv_arg;
	char note[64];		/* appended to the reason of events recorded meanwhile */
	char *persist;		/* health state file, or NULL */
	struct sv_saved *saved; /* what it held at start */
	size_t nsaved;
	bool save_needed;
	struct sv_vip **vip;
	size_t nvip;
	struct sv_target *t;
	size_t nt;
	uint64_t now_ms;
	bool dirty;
	bool recalc;	      /* breaker deadlines may have moved */
	uint64_t deadline_ms; /* earliest breaker deadline, UINT64_MAX for none */
	void (*changed)(void *arg);
	void *arg;
	uint16_t gue_port; /* lbd --gue-port, for check-via vip; 0 = XLB_GUE_PORT_DEFAULT */
};

/* supervise.c: save what changed, tell the agent when usability may have */
void sv_notify(struct supervise *s);

/* supervise_targets.c */
struct sv_vip *sv_find_vip(const struct supervise *s, const struct xlb_vip_key *k);
int sv_find_be(const struct sv_vip *v, const struct xlb_addr *a); /* -1: none */
void sv_vip_free(struct supervise *s, struct sv_vip *v);

/* supervise_events.c: a breaker event (breaker_event_fn of every VIP), logged,
 * kept for `lbctl events` and counted */
void sv_on_event(void *arg, const struct breaker_event *ev);

/* supervise_persist.c: write the health states (when s->persist is set), and
 * the state a previous lbd saved for a backend (BREAKER_HEALTH_UNKNOWN: none) */
void sv_save_health(struct supervise *s);
int sv_saved_state(const struct supervise *s, const struct xlb_vip_key *k,
		   const struct xlb_addr *a);

#endif /* XLB_AGENT_HEALTH_SUPERVISE_INT_H */
