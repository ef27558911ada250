/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* commit: the transaction of every change the control handlers make. A new
 * config (or policy) goes to the checks and the dataplane, then to the state
 * file; it is acknowledged only once durable, and on any failure the running
 * config is brought back everywhere.
 */
#ifndef XLB_AGENT_CONTROL_COMMIT_H
#define XLB_AGENT_CONTROL_COMMIT_H

#include <stddef.h>
#include "agent/control/agent.h"

/* Replace the running config with @next (already validated): make the maps
 * match it, persist it, then swap. On failure (the dataplane refused, or the
 * state file could not be saved: acknowledged means durable) the maps and
 * checks are brought back to the running config, which stays as it was, and
 * @next is freed. 0 or -errno (message in msg, with the real cause). */
int commit_config(struct agent *a, struct config *next, char *msg, size_t msglen);

/* Publish the running policy (already changed in a->cfg.pol) to the dataplane
 * and persist the state. @prev is the policy before the change, taken over:
 * on failure it is put back into a->cfg.pol and published again. 0 or -errno
 * (message in msg). */
int commit_policy(struct agent *a, struct policy *prev, char *msg, size_t msglen);

#endif /* XLB_AGENT_CONTROL_COMMIT_H */
