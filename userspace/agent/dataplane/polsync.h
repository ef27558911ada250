/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* polsync: makes the dataplane's policy maps match a config's policy. Rules
 * are published into the inactive bank and switched in with one write
 * (atomic for packets); rate limits are written in place. Scopes of VIPs that
 * have no vip_id yet are skipped (call after sync_apply). */
#ifndef XLB_AGENT_POLSYNC_H
#define XLB_AGENT_POLSYNC_H

#include "agent/model/config.h"
#include "agent/dataplane/maps.h"

struct polsync;

struct polsync *polsync_new(struct xlb_maps *m); /* NULL + errno */
void polsync_free(struct polsync *ps);

/* Publish @cfg->pol (nothing is rewritten when the compiled result equals the
 * last one published). 0 or -errno with msg set. */
int polsync_apply(struct polsync *ps, const struct config *cfg, char *msg, size_t len);

/* Call from the agent's 1 s timer: the bank the dataplane stopped reading is
 * brought up to date (once packets are surely done with it), so the next
 * change writes only its own difference. */
void polsync_idle(struct polsync *ps, const struct config *cfg);

#endif /* XLB_AGENT_POLSYNC_H */
