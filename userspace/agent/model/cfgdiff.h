/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cfgdiff: what replacing one configuration by another would change, line by
 * line of their canonical form (config_print), for `lbctl apply --dry-run`. Each
 * line is keyed by the object it configures (a VIP, a backend, its drain, a
 * policy rule by scope, CIDR, proto and ports, a scope's default, a scope's rate
 * limits); lines with the same key and other text are a change, which `apply`
 * makes in place (a VIP or backend keeps its id and its flows). Pure: no I/O.
 */
#ifndef XLB_AGENT_CFGDIFF_H
#define XLB_AGENT_CFGDIFF_H

#include "agent/model/config.h"

enum cfgdiff_op {
	CFGDIFF_DEL = 0, /* in the old config only */
	CFGDIFF_ADD,	 /* in the new config only */
	CFGDIFF_CHANGE,	 /* in both, written differently */
};

struct cfgdiff_change {
	enum cfgdiff_op op;
	const char *object; /* "vip", "backend", "drain", "policy", "ratelimit" */
	const char *line;   /* the new line (CFGDIFF_DEL: the old one) */
	const char *old;    /* CFGDIFF_CHANGE: the old line; else NULL */
};

/* Calls @emit for every difference between @old and @next: first what goes
 * (in @old's order), then what comes or changes (in @next's order). Returns the
 * number of differences, the first non-zero @emit result if it is negative,
 * or -ENOMEM / -EINVAL (a line that does not parse back: cannot happen). */
int cfgdiff(const struct config *old, const struct config *next,
	    int (*emit)(void *arg, const struct cfgdiff_change *c), void *arg);

const char *cfgdiff_op_name(enum cfgdiff_op op);

#endif /* XLB_AGENT_CFGDIFF_H */
