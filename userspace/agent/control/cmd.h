/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cmd: lbctl's verbs on the agent side, served on the control socket (ctl.c);
 * every change goes through the commit transaction (commit.h).
 */
#ifndef XLB_AGENT_CONTROL_CMD_H
#define XLB_AGENT_CONTROL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "agent/control/agent.h"

struct ctl_peer;
struct json_object;

/* A control connection went away: its open policy transaction is dropped */
void cmd_conn_closed(void *arg, uint64_t conn);

/* Re-read --config and apply its difference like `lbctl apply`, but keep the
 * runtime drains the file does not mention (agent reload, SIGHUP); each change
 * is logged. Returns an lbctl exit code; msg says why on failure; *@data (if
 * @data) gets the changes made, as apply --dry-run, plus "kept". */
int cmd_reload(struct agent *a, struct json_object **data, char *msg, size_t msglen);

/* Read --config (if any) as the reference of the next reload: drains it makes
 * are its own, the others are runtime drains. 0 or -errno */
int cmd_remember_file(struct agent *a);

/* Whether the request @argv (a JSON array of strings) only reads: shows, stats,
 * flow lookups, events, agent status, version, help, apply ... dry-run */
bool cmd_is_readonly(struct json_object *argv);

/* The control-socket handler (ctl_handler_fn): lbctl's verbs on the agent side */
int cmd_handle(void *arg, const struct ctl_peer *peer, struct json_object *argv,
	       struct json_object **data, char *msg, size_t msglen, const char **errname);

#endif /* XLB_AGENT_CONTROL_CMD_H */
