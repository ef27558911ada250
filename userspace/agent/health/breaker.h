/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* breaker: per-backend circuit breaker, health hysteresis and the per-VIP
 * policy over them (max-eject share, panic threshold). Pure state machines:
 * no I/O, no clock reads (every call takes now_ms), no globals.
 */
#ifndef XLB_AGENT_BREAKER_H
#define XLB_AGENT_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

/* Defaults of record (issue 4; open times as Envoy's outlier detection) */
#define BREAKER_DEF_FALL 3
#define BREAKER_DEF_RISE 2
#define BREAKER_DEF_EJECT_BASE_MS 30000U
#define BREAKER_DEF_EJECT_MAX_MS 300000U
#define BREAKER_DEF_RESET_AFTER_MS 300000U /* closed this long forgets past ejections */
#define BREAKER_DEF_HALF_OPEN_FLOWS 3
#define BREAKER_DEF_PANIC_PCT 50
#define BREAKER_DEF_MAX_EJECT_PCT 50
#define BREAKER_WINDOW_MAX 64 /* longest failure-ratio window, results */
#define BREAKER_REASON_LEN 96 /* longer than any reason we write */

/* Circuit state. The numbers are what the agent mirrors into the dataplane. */
enum breaker_state {
	BREAKER_CLOSED = 0,    /* normal */
	BREAKER_OPEN = 1,      /* ejected: no new flows */
	BREAKER_HALF_OPEN = 2, /* on trial: at most budget new flows, plus probes */
	__BREAKER_STATE_MAX
};

/* Health from active checks, with rise/fall hysteresis */
enum breaker_health_state {
	BREAKER_HEALTH_UNKNOWN = 0, /* never checked yet */
	BREAKER_HEALTH_UP = 1,
	BREAKER_HEALTH_DOWN = 2,
	__BREAKER_HEALTH_MAX
};

/* Per-backend options (per VIP, with per-backend check overrides) */
struct breaker_cfg {
	uint32_t eject_base_ms;	  /* first open lasts this long (> 0) */
	uint32_t eject_max_ms;	  /* cap of base x ejections (>= eject_base_ms) */
	uint32_t reset_after_ms;  /* closed this long without tripping: ejections
				   * forgotten; 0 = forgotten as soon as it closes */
	uint32_t half_open_flows; /* new flows admitted per half-open period */
	uint8_t fall;		  /* consecutive failures: trip / health down (>= 1) */
	uint8_t rise;		  /* consecutive successes: close / health up (>= 1) */
	/* optional failure-ratio trip, on top of `fall` (off when ratio_pct 0):
	 * trip when, among the last `window` results (at least min_count of
	 * them), failures * 100 >= ratio_pct * results */
	uint8_t ratio_pct;		/* 0 (off) .. 100 */
	uint8_t window;			/* 1 .. BREAKER_WINDOW_MAX */
	uint8_t min_count;		/* 1 .. window */
	bool usable_before_first_check; /* a new (unknown) backend takes traffic */
};

/* Per-VIP policy options */
struct breaker_vip_cfg {
	uint8_t panic_pct;     /* 0 (never panic) .. 100 */
	uint8_t max_eject_pct; /* 0 (never eject) .. 100 */
};

/* Health hysteresis of one backend: driven by probe results only */
struct breaker_health {
	enum breaker_health_state state;
	uint32_t id;	   /* reported in events: the backend's index in its VIP */
	uint32_t ok_run;   /* consecutive successes so far */
	uint32_t bad_run;  /* consecutive failures so far */
	uint64_t since_ms; /* last change (or init) */
	uint8_t rise, fall;
	bool usable_before_first_check;
};

/* One backend: the circuit, plus its health (separate machine, see
 * breaker_health_on_result) so the VIP policy sees both. */
struct breaker {
	struct breaker_cfg cfg;
	struct breaker_health health;
	enum breaker_state state;
	uint32_t id;		/* reported in events: the backend's index in its VIP */
	uint32_t gen;		/* bumped on every state change; starts at 1 */
	uint32_t ejections;	/* consecutive ejections: open time multiplier */
	uint32_t budget;	/* half-open: the new flows granted (the dataplane spends them) */
	uint32_t ok_run;	/* consecutive successes in this generation */
	uint32_t bad_run;	/* consecutive failures in this generation */
	uint64_t since_ms;	/* last state change (or init) */
	uint64_t open_until_ms; /* open: half-open then at the latest (checks coming up: sooner) */
	uint64_t win;		/* ratio window, bit i = result i steps ago failed */
	uint32_t win_len;	/* results in the window */
	uint64_t stale;		/* results ignored for an old generation (metrics) */
	bool refused;		/* a trip was refused by max-eject, reported once */
};

enum breaker_ev_kind {
	BREAKER_EV_STATE = 0,	/* circuit changed; old/new are enum breaker_state */
	BREAKER_EV_HEALTH = 1,	/* health changed; old/new are enum breaker_health_state */
	BREAKER_EV_REFUSED = 2, /* trip refused by max-eject; old == new == CLOSED */
	BREAKER_EV_PANIC = 3,	/* VIP panic: new 1 entered, 0 left; backend UINT32_MAX */
	__BREAKER_EV_MAX
};

/* What changed, for the agent to log once, count and stream */
struct breaker_event {
	uint64_t time_ms;
	uint64_t open_until_ms; /* STATE with new_state OPEN: when it goes half-open */
	uint32_t backend;	/* id of the breaker; UINT32_MAX for PANIC */
	uint32_t gen;		/* STATE: the new generation; else the current one */
	uint32_t ejections;	/* STATE: consecutive ejections after the change */
	enum breaker_ev_kind kind;
	int old_state, new_state;
	char reason[BREAKER_REASON_LEN]; /* "3 consecutive failures", ... */
};

typedef void (*breaker_event_fn)(void *arg, const struct breaker_event *ev);

/* A VIP's backends. @be is the caller's array (not copied, not freed). */
struct breaker_vip {
	struct breaker_vip_cfg cfg;
	struct breaker *be;
	uint32_t n;
	bool panic;
	breaker_event_fn emit; /* may be NULL */
	void *arg;
};

/* Fill the defaults above; breaker_cfg_check: 0 or -EINVAL on a bad value */
void breaker_cfg_default(struct breaker_cfg *cfg);
int breaker_cfg_check(const struct breaker_cfg *cfg);
void breaker_vip_cfg_default(struct breaker_vip_cfg *cfg);
int breaker_vip_cfg_check(const struct breaker_vip_cfg *cfg);

/* "closed", "open", "half-open"; "up", "down", "unknown"; "state", "health",
 * "refused", "panic". "?" when out of range. */
const char *breaker_state_name(int state);
const char *breaker_health_name(int state);
const char *breaker_ev_kind_name(int kind);

/* Health hysteresis. Unknown goes up on its first success and down after
 * `fall` consecutive failures; up goes down after `fall` consecutive
 * failures; down goes up after `rise` consecutive successes. So any run of
 * equal results changes the state at most once, and alternating input never
 * does. breaker_health_on_result: 1 with *ev filled on a change, else 0
 * (-EINVAL on NULL).
 */
int breaker_health_init(struct breaker_health *h, const struct breaker_cfg *cfg, uint32_t id,
			uint64_t now_ms);
int breaker_health_on_result(struct breaker_health *h, bool ok, uint64_t now_ms,
			     struct breaker_event *ev);
/* up, or unknown with usable_before_first_check */
bool breaker_health_usable(const struct breaker_health *h);

/* Start closed, generation 1, no ejections, health unknown. 0 or -EINVAL. */
int breaker_init(struct breaker *b, const struct breaker_cfg *cfg, uint32_t id, uint64_t now_ms);

/* One result (probe, or a flow's outcome / passive signal) for the circuit,
 * started under generation @gen (read b->gen when starting it). Closed trips
 * on `fall` consecutive failures or the failure ratio; half-open closes after
 * `rise` consecutive successes and reopens (longer) on any failure; results
 * while open are ignored (here only time ends an open; the VIP functions
 * below also end it when the health comes back up). Does not touch b->health.
 * Returns 1 with *ev filled on a state change, 0 if none, -ESTALE if @gen is
 * not the current generation (ignored, counted in b->stale), -EINVAL on NULL.
 * No VIP limit applies here: use breaker_vip_result for max-eject.
 */
int breaker_on_result(struct breaker *b, uint32_t gen, bool ok, uint64_t now_ms,
		      struct breaker_event *ev);

/* Time passes: open -> half-open when open_until_ms is reached (budget
 * refilled); closed for reset_after_ms forgets the ejections (no event).
 * 1 with *ev filled on a state change, 0 if none, -EINVAL on NULL.
 */
int breaker_tick(struct breaker *b, uint64_t now_ms, struct breaker_event *ev);

/* When breaker_tick next has something to do; UINT64_MAX for never */
uint64_t breaker_deadline(const struct breaker *b);

/* Open time for the ejection number @ejections (1 = first): base x n, capped */
uint64_t breaker_open_ms(const struct breaker_cfg *cfg, uint32_t ejections);

/* Bind a VIP to its backends (be[i].id should be i). Panic is computed
 * silently here; breaker_vip_set_backends rebinds after backends changed and
 * reports a panic change. 0 or -EINVAL. */
int breaker_vip_init(struct breaker_vip *v, const struct breaker_vip_cfg *cfg, struct breaker *be,
		     uint32_t n, breaker_event_fn emit, void *arg);
int breaker_vip_set_backends(struct breaker_vip *v, struct breaker *be, uint32_t n,
			     uint64_t now_ms);

/* Results for backend @i, reported through v->emit (backend event first,
 * then a panic change if any). A trip from closed that would leave more than
 * max_eject_pct of the VIP's backends not closed (open or half-open) is
 * refused: the backend stays closed, a REFUSED event is emitted once (until
 * it succeeds or trips), and the next failure asks again.
 * Recovery by the checks: when a result takes the health from down to up
 * (`rise` successes) while the circuit is open, the circuit goes half-open at
 * once (new generation, budget refilled; the HEALTH event, then the STATE
 * one) rather than at open_until_ms, and that result is not counted by the
 * circuit (it started under the open generation). So while the checks say
 * down they govern the circuit; while they pass (an ejection by the passive
 * signal or by the failure ratio) only time ends an open.
 *  breaker_vip_probe: an active check result: health and circuit.
 *  breaker_vip_result: a passive result (flow outcome, SYN-only burst): circuit only.
 *  breaker_vip_health: health only (when circuit results come separately).
 * @gen is the circuit generation the result started under (a probe: when it
 * was sent). Return the number of events emitted, -EINVAL on a bad index. A
 * stale circuit result is ignored as in breaker_on_result (not an error here);
 * health takes every result whatever its generation.
 */
int breaker_vip_probe(struct breaker_vip *v, uint32_t i, uint32_t gen, bool ok, uint64_t now_ms);
int breaker_vip_result(struct breaker_vip *v, uint32_t i, uint32_t gen, bool ok, uint64_t now_ms);
int breaker_vip_health(struct breaker_vip *v, uint32_t i, bool ok, uint64_t now_ms);
/* breaker_tick on every backend; events emitted; count or -EINVAL */
int breaker_vip_tick(struct breaker_vip *v, uint64_t now_ms);
/* earliest breaker_deadline of the VIP's backends */
uint64_t breaker_vip_deadline(const struct breaker_vip *v);

/* Panic: among the VIP's counted backends (those checked at least once, or
 * usable before their first check), fewer than panic_pct are usable (health
 * usable and circuit not open). Then every counted backend is usable. Never
 * checked backends are neither counted nor rescued: a new VIP is not flooded
 * onto unchecked backends, and a checker that fails (timeouts are failures)
 * still leads to panic. */
bool breaker_vip_panic(const struct breaker_vip *v);
/* Whether backend @i belongs in the tables (new flows may go there) */
bool breaker_vip_usable(const struct breaker_vip *v, uint32_t i);
/* usable[i] for every backend; returns how many are usable */
uint32_t breaker_vip_usable_set(const struct breaker_vip *v, bool *usable);
/* The state the dataplane map should hold for backend @i: OPEN when not
 * usable, else the circuit state (CLOSED for everyone counted in panic). */
enum breaker_state breaker_vip_dp_state(const struct breaker_vip *v, uint32_t i);

#endif /* XLB_AGENT_BREAKER_H */
