/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* check_config: lbd --check-config FILE, which touches nothing but FILE */
#ifndef XLB_AGENT_CHECK_CONFIG_H
#define XLB_AGENT_CHECK_CONFIG_H

/* FILE read, parsed and validated exactly as lbd loads a --config or state
 * file (a state file's end line checked too), and the configuration it holds
 * printed in the canonical form on stdout. Nothing else is touched: no map,
 * pin, socket, state file or netlink. Returns the exit status: 0 valid, 1
 * cannot be read, 2 invalid. */
int check_config(const char *path);

#endif /* XLB_AGENT_CHECK_CONFIG_H */
