/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cfgmap: the dataplane's global settings (xlb_config: outer sources, GUE
 * port, flood guard and ICMP rates) from lbd's options, set at start-up.
 */
#ifndef XLB_AGENT_CFGMAP_H
#define XLB_AGENT_CFGMAP_H

#include "agent/control/agent.h"
#include "agent/options.h"

/* Write xlb_config from @o (outer sources default to the first addresses of
 * the first interface), keeping the flags sync maintains. A bad --src4/--src6
 * is a usage error (exit 2). 0 or -errno */
int cfgmap_setup(struct agent *a, const struct opts *o);

#endif /* XLB_AGENT_CFGMAP_H */
