/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* config: the operator's intent (VIPs, their options, their backends) as a
 * pure in-memory model. Commands from the control socket, the config file and
 * the state file all go through config_apply(); `lbctl show` and the state
 * file come from config_print(). No I/O, no maps: sync.c makes the dataplane
 * match a config. Order is insertion order, so output is stable.
 */
#ifndef XLB_AGENT_CONFIG_H
#define XLB_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xlb/types.h>
#include "agent/model/policy_model.h"
#include "common/grammar.h"

/* Defaults of record (also in README): what a VIP or backend gets when the
 * command does not say. */
#define CFG_DEF_SCHED GR_SCHED_MAGLEV
#define CFG_DEF_ENCAP XLB_ENCAP_IPIP
#define CFG_DEF_HASH GR_HASH_5TUPLE
#define CFG_DEF_RING_SIZE 65537
#define CFG_DEF_UDP_IDLE_MS 30000
#define CFG_DEF_MTU 1500
#define CFG_DEF_CHECK GR_CHECK_NONE
#define CFG_DEF_PATH "/"
#define CFG_DEF_INTERVAL_MS 2000
#define CFG_DEF_TIMEOUT_MS 1000
#define CFG_DEF_RISE 2
#define CFG_DEF_FALL 3
#define CFG_DEF_EJECT_MS 30000	    /* eject-time */
#define CFG_DEF_MAX_EJECT_MS 300000 /* max-eject-time */
#define CFG_DEF_HALF_OPEN_FLOWS 3
#define CFG_DEF_PANIC_PCT 50
#define CFG_DEF_MAX_EJECT_PCT 50
#define CFG_DEF_EXPECT_LO 200 /* expect 200-299 */
#define CFG_DEF_EXPECT_HI 299
#define CFG_DEF_CHECK_VIA GR_VIA_DIRECT
/* send "" = the built-in payload below; receive "" = any reply */
#define CFG_DEF_UDP_PAYLOAD "xlb-health\n"
#define CFG_DEF_WEIGHT 100
#define CFG_DEF_OPEN_FLOWS GR_OPEN_FLOWS_KEEP
#define CFG_DEF_INIT_STATE GR_INIT_DOWN
/* failure-ratio trip: off; when on, over the last 20 results, at least 10 */
#define CFG_DEF_FAIL_RATIO 0
#define CFG_DEF_FAIL_WINDOW 20
#define CFG_DEF_FAIL_MIN 10
/* SYN retransmissions of never-established flows in one second that count as
 * a backend failing (passive signal); 0 = off */
#define CFG_DEF_SYN_BURST 8

struct cfg_backend {
	struct xlb_addr addr;
	uint16_t weight;
	uint16_t port; /* host order; 0 = the VIP's port */
	uint8_t mac[6];
	bool has_mac;  /* mac given by the operator (else resolved by netlink) */
	bool draining; /* no new flows; existing flows stay */
	/* overrides of the VIP's check (backend add|set ... check KIND check-port N) */
	bool has_check;	     /* check below replaces the VIP's kind */
	uint8_t check;	     /* enum gr_check */
	uint16_t check_port; /* 0 = the VIP's check-port, else the traffic port */
	/* runtime, owned by sync.c (never printed) */
	uint32_t slot; /* xlb_backends index, 0 = none yet */
};

struct cfg_vip {
	struct xlb_vip_key key;
	struct gr_opts opt; /* effective options: every field valid, opt.set ignored */
	struct cfg_backend *be;
	size_t nbe, cap;
	/* runtime, owned by sync.c */
	uint32_t vip_id; /* UINT32_MAX = none yet */
	bool dirty;	 /* backend set or weights changed: rebuild the ring */
};

struct config {
	struct cfg_vip *vip;
	size_t nvip, cap;
	struct policy pol; /* source rules and rate limits (policy_model.h) */
};

/* The most backends in all (lbd --max-backends; 0 = XLB_MAX_BACKENDS), for
 * every config of the process: set once at start-up */
void config_set_max_backends(uint32_t n);
uint32_t config_max_backends(void);

void config_init(struct config *c);
void config_free(struct config *c);
/* Deep copy (runtime fields included); 0 or -ENOMEM */
int config_copy(struct config *dst, const struct config *src);

/* Apply one config-changing command (vip add/set/del, backend add/set/drain/
 * enable/del, policy and ratelimit through policy_apply; vip del also drops
 * the VIP's policy) after checking it against the current state. Returns 0, or
 * -EINVAL (bad value for this state: not prime, path without check http,
 * family mismatch for l2, ...), -ENOENT (VIP or backend missing), -EEXIST
 * (already there), -ENOSPC (limits); err names the offending token. On error
 * @c is unchanged. Query commands (show, stats, flow) are -EOPNOTSUPP.
 */
int config_apply(struct config *c, const struct gr_cmd *cmd, char *err, size_t errlen);

/* @c's VIPs as policy_apply() asks for them, in @set (valid while @c is) */
const struct pol_vip_set *config_vip_set(const struct config *c, struct pol_vip_set *set);

/* Lookups; NULL if absent */
struct cfg_vip *config_vip(const struct config *c, const struct xlb_vip_key *key);
struct cfg_backend *config_backend(const struct cfg_vip *v, const struct xlb_addr *addr);

/* The config as command lines (grammar_print), one per call of @emit: each VIP
 * as `vip add VIP` with its non-default options, then its backends as
 * `backend add VIP ADDR` with non-default options, then `backend drain VIP
 * ADDR` for draining ones; then the policy (policy_print). Feeding the lines back through config_apply into an
 * empty config gives an equal config. Returns 0 or the first non-zero @emit
 * result.
 */
int config_print(const struct config *c, int (*emit)(void *arg, const char *line), void *arg);

/* The lines config_print gives for VIP @i alone (its vip add, backend add
 * and backend drain lines) */
int config_print_vip(const struct config *c, size_t i, int (*emit)(void *arg, const char *line),
		     void *arg);
/* A digest of everything config_print_vip(@c, @i) prints: equal digests,
 * equal lines (the state writer keeps each VIP's lines by it) */
uint64_t config_vip_digest(const struct config *c, size_t i);

/* Parse a whole file's text (config or state file) into @c (which is reset
 * first): one command per line, blank lines and # comments ignored. Stops at
 * the first bad line: -EINVAL/-ENOENT/... with err starting "line N: ".
 */
int config_load_text(struct config *c, const char *text, char *err, size_t errlen);

#endif /* XLB_AGENT_CONFIG_H */
