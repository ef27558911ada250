/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sync: makes the dataplane maps match a struct config. Owns the runtime ids
 * (vip_id per VIP, backend slot per VIP/backend pair, slot generations) and
 * the next-hop resolution of each backend. Idempotent: applying the same
 * config twice writes nothing the second time.
 */
#ifndef XLB_AGENT_SYNC_H
#define XLB_AGENT_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include "agent/model/config.h"
#include "agent/dataplane/maps.h"

/* How to reach @dst: egress ifindex, next-hop MAC and egress MAC. 0, or -EAGAIN
 * while the neighbour is unresolved, or another -errno. */
typedef int (*sync_resolve_fn)(void *arg, const struct xlb_addr *dst, uint32_t *ifindex,
			       uint8_t dmac[6], uint8_t smac[6], struct xlb_addr *via);

struct sync;

/* Whether new flows may go to backend @b of @v (health checks); NULL = always */
typedef bool (*sync_usable_fn)(void *arg, const struct cfg_vip *v, const struct cfg_backend *b);

/* The breaker state the dataplane must enforce for @b (fills *out; *gen is
 * the breaker generation: a change rewrites the entry, refilling a half-open
 * budget). NULL = every backend closed. */
typedef int (*sync_brk_fn)(void *arg, const struct cfg_vip *v, const struct cfg_backend *b,
			   struct xlb_be_brk *out, uint32_t *gen);

/* NULL + errno on failure. Reads the current backend slots from the maps. */
struct sync *sync_new(struct xlb_maps *m, sync_resolve_fn resolve, void *arg);
void sync_free(struct sync *s);
/* Backends @fn calls unusable stay out of the tables (their flows stay) */
void sync_set_usable(struct sync *s, sync_usable_fn fn, void *arg);
/* Breaker states are written before tables are rebuilt, so new flows leave an
 * opened backend with that one map write. */
void sync_set_breaker(struct sync *s, sync_brk_fn fn, void *arg);

/* After a restart: adopt the vip_ids and slots that the pinned maps already
 * hold for the VIPs and backends of @cfg, so established flows keep their
 * backend and no table changes. */
int sync_recover(struct sync *s, struct config *cfg);

/* Make the maps match @cfg, in an order that never shows the dataplane a half
 * state (backends, then rings, then VIP entries; removals the other way).
 * Backends whose next hop is not resolved yet stay out of the rings and make
 * sync_pending() true until a later sync_apply() resolves them. 0 or -errno. */
int sync_apply(struct sync *s, struct config *cfg);
bool sync_pending(const struct sync *s);

/* A route or neighbour changed: @addr is the neighbour (NULL: routes, or events
 * lost: everything). Next hops resolved through it are resolved again on the next
 * sync_apply(); the others keep their cached answer, so a change resolves only
 * the next hops it needs. Returns whether a sync_apply() is needed. */
bool sync_nh_invalidate(struct sync *s, const struct xlb_addr *addr);

/* Duration of the last table build (Maglev or wrr), ns; 0 before the first */
uint64_t sync_last_build_ns(const struct sync *s);

/* The dataplane entry of a backend slot as last written (NULL if out of range) */
const struct xlb_backend *sync_slot_entry(const struct sync *s, uint32_t slot);

/* Backend slot usable for new flows (resolved, in the ring) */
bool sync_slot_ready(const struct sync *s, uint32_t slot);

/* Wait until no program can read a table bank a VIP entry stopped naming,
 * so the next change rewrites idle banks in place (tests, benchmarks) */
void sync_settle(struct sync *s);

#endif /* XLB_AGENT_SYNC_H */
